//! Turning a document into the rows the store keeps: done once, before any backend
//! work, so both backends store exactly the same thing.

use std::collections::HashMap;

use chainwatch_sbom::{Component, ComponentKind, Format, Sbom};
use sha2::{Digest as _, Sha256};

use crate::StoreError;
use crate::db::ComponentRow as Row;

/// The zstd level raw documents are kept at: fast, and SBOMs compress ~10×.
const ZSTD_LEVEL: i32 = 3;

/// Documents at least this large are compressed on a second thread while parsed.
const PARALLEL_PACK: usize = 8 << 20;

/// A document ready to store.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// `sha256:` and the hex digest of the decompressed document.
    pub digest: String,
    /// The decompressed document, zstd-compressed.
    pub raw: Vec<u8>,
    pub raw_size: u64,
    pub format: Format,
    pub spec_version: String,
    pub serial: Option<String>,
    pub created: Option<String>,
    pub product: String,
    pub version: String,
    /// Whether the document named its product and version (no override).
    pub self_named: bool,
    /// Ordinal of the subject component.
    pub subject: Option<u32>,
    pub components: Vec<Row>,
    /// The ordinals of the components that name a package, in the order of their purls
    /// (then of their ordinals): made while preparing, on the preparing threads, so
    /// that the writer finds each package once without hashing or sorting.
    pub by_purl: Vec<u32>,
    /// The number of distinct edges between components.
    pub edge_count: usize,
    /// The edges, encoded (`graph.rs`).
    pub graph: Vec<u8>,
}

impl Prepared {
    /// The outcome of storing this document as `document`.
    pub(crate) fn stored_as(&self, document: i64) -> crate::IngestOutcome {
        crate::IngestOutcome {
            stored: true,
            document,
            product: self.product.clone(),
            version: self.version.clone(),
            format: self.format.as_str().to_owned(),
            digest: self.digest.clone(),
            components: self.components.len() as u64,
            edges: self.edge_count as u64,
        }
    }
}

/// What names the product a document is stored under.
#[derive(Debug, Clone, Default)]
pub struct Naming {
    pub product: Option<String>,
    pub version: Option<String>,
    /// The product of a document that names none (no subject, no name), instead of
    /// refusing it: a name from outside, such as its file's.
    pub fallback_product: Option<String>,
}

/// The version a product version gets when neither the document nor the caller gives one.
pub const UNVERSIONED: &str = "unversioned";

/// The zstd-compressed copy of `text` the store keeps. Each thread keeps its compression
/// context (a few MiB of tables that would otherwise be set up for every document).
pub(crate) fn compress(text: &[u8]) -> Result<Vec<u8>, StoreError> {
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    let err = |e: std::io::Error| StoreError::Compression(e.to_string());
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(err)?);
        }
        match cell.as_mut() {
            Some(c) => c.compress(text).map_err(err),
            None => Err(StoreError::Compression("no compressor".into())),
        }
    })
}

/// `sha256:` and the hex digest of `bytes`: a document's identity in the store.
pub fn digest_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut hex = String::with_capacity(71);
    hex.push_str("sha256:");
    for b in Sha256::digest(bytes) {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Parses decoded document text, compressing it on a second thread meanwhile: the
/// document and its stored copy.
pub(crate) fn parse_and_pack(text: &str, format: Format) -> Result<(Sbom, Vec<u8>), StoreError> {
    // Small documents are many, and already read on several threads: compress inline.
    if text.len() < PARALLEL_PACK {
        let raw = compress(text.as_bytes())?;
        return Ok((chainwatch_sbom::read_text(text, format)?.sbom, raw));
    }
    let (parsed, raw) = std::thread::scope(|scope| {
        let packer = scope.spawn(|| compress(text.as_bytes()));
        let parsed = chainwatch_sbom::read_text(text, format);
        let raw = packer
            .join()
            .unwrap_or_else(|_| Err(StoreError::Compression("compression failed".into())));
        (parsed, raw)
    });
    Ok((parsed?.sbom, raw?))
}

fn source_file(c: &Component) -> Option<String> {
    [
        "chainwatch:source-file",
        "syft:location:0:path",
        "cdx:npm:package:path",
    ]
    .iter()
    .find_map(|k| c.property(k))
    .map(str::to_owned)
}

fn hashes(c: &Component) -> Option<String> {
    if c.hashes.is_empty() {
        return None;
    }
    let mut out = String::new();
    for h in &c.hashes {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(h.alg.cyclonedx_name());
        out.push(':');
        out.push_str(&h.value);
    }
    Some(out)
}

/// The rows of components, appended to `rows`. Each component is taken out of the slice
/// (an empty one left in its place) and freed once its row is made, so that the rows
/// reuse its memory.
/// A component's licence as stored: its statements ([`Component::license_statements`])
/// as one normalized SPDX expression, the way policies and `chainwatch licenses` read
/// them; none when nothing is stated.
fn licence(c: &Component, known: &mut HashMap<Vec<String>, Option<String>>) -> Option<String> {
    let (stated, _) = c.license_statements();
    if stated.is_empty() {
        return None;
    }
    known
        .entry(stated)
        .or_insert_with_key(|stated| {
            let refs: Vec<&str> = stated.iter().map(String::as_str).collect();
            let n = chainwatch_license::normalize_all(&refs);
            (n.how != chainwatch_license::How::NoAssertion).then_some(n.expression)
        })
        .clone()
}

fn rows_of(components: &mut [Component], rows: &mut Vec<Row>) {
    // Licences repeat across a document: each distinct statement normalized once.
    let mut licences: HashMap<Vec<String>, Option<String>> = HashMap::new();
    for slot in components {
        let empty = Component::new(String::new(), ComponentKind::Library, String::new());
        let c = std::mem::replace(slot, empty);
        let purl = c.purl();
        let package_version = purl
            .as_ref()
            .and_then(|p| p.version().map(str::to_owned))
            .or_else(|| c.version.clone());
        // Text as both engines store it, made here once (on the preparing threads)
        // rather than by each backend's writer.
        let clean = |t: String| match crate::db::clean(&t) {
            std::borrow::Cow::Borrowed(_) => t,
            std::borrow::Cow::Owned(cleaned) => cleaned,
        };
        rows.push(Row {
            package_version: package_version.map(clean),
            name_identity: purl.as_ref().map(|p| clean(p.package_name().canonical())),
            purl: purl.map(|p| clean(p.canonical().to_owned())),
            kind: c.kind.as_str().to_owned(),
            scope: c.scope.map(chainwatch_sbom::Scope::as_str),
            license: licence(&c, &mut licences).map(clean),
            hashes: hashes(&c).map(clean),
            source_file: source_file(&c).map(clean),
            name: clean(c.name),
            version: c.version.map(clean),
            bom_ref: clean(c.id),
        });
    }
}

/// The ordinals (plus `offset`) of `rows` that name a package, in the order of their
/// purls, then of their ordinals.
fn purl_order(rows: &[Row], offset: u32) -> Vec<u32> {
    let mut order: Vec<u32> = (0..rows.len())
        .filter(|&i| rows[i].purl.is_some() && rows[i].name_identity.is_some())
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    order.sort_by(|&a, &b| rows[a as usize].purl.cmp(&rows[b as usize].purl));
    order.into_iter().map(|o| o + offset).collect()
}

/// Two [`purl_order`]s of `rows` merged into one (`earlier`'s ordinals are below
/// `later`'s, so equal purls stay in ordinal order).
fn merge_by_purl(rows: &[Row], earlier: &[u32], later: impl Iterator<Item = u32>) -> Vec<u32> {
    let purl = |o: u32| rows[o as usize].purl.as_deref();
    let mut out = Vec::with_capacity(earlier.len() + later.size_hint().0);
    let mut earlier = earlier.iter().copied().peekable();
    for b in later {
        while let Some(&a) = earlier.peek() {
            if purl(a) <= purl(b) {
                out.push(a);
                earlier.next();
            } else {
                break;
            }
        }
        out.push(b);
    }
    out.extend(earlier);
    out
}

/// Rows from a parsed document (consumed, so its memory is given back as rows are made).
pub(crate) fn from_sbom(
    mut sbom: Sbom,
    digest: String,
    raw: Vec<u8>,
    raw_size: u64,
    naming: &Naming,
) -> Result<Prepared, StoreError> {
    let subject = sbom.subject_component();
    let product = naming
        .product
        .clone()
        .or_else(|| subject.map(|c| c.name.clone()).filter(|n| !n.is_empty()))
        .or_else(|| sbom.name.clone().filter(|n| !n.trim().is_empty()));
    let named_from_outside = naming.product.is_some() || naming.version.is_some();
    let (product, named_from_outside) = match (product, &naming.fallback_product) {
        (Some(p), _) => (p, named_from_outside),
        (None, Some(fallback)) if !fallback.trim().is_empty() => (fallback.clone(), true),
        (None, _) => return Err(StoreError::NoProduct),
    };
    let version = naming
        .version
        .clone()
        .or_else(|| {
            subject
                .and_then(|c| c.version.clone())
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| UNVERSIONED.to_owned());

    let mut components = std::mem::take(&mut sbom.components);
    if u32::try_from(components.len()).is_err() {
        return Err(StoreError::TooLarge);
    }
    // The graph first: its relationships (millions of strings in a large document) are
    // freed before the rows are made.
    let (subject, graph, edge_count) = {
        // The first of duplicated ids wins, as in the readers.
        let mut ordinals: HashMap<&str, u32, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(
                components.len(),
                foldhash::fast::RandomState::default(),
            );
        for (i, c) in components.iter().enumerate() {
            ordinals
                .entry(c.id.as_str())
                .or_insert(u32::try_from(i).unwrap_or(u32::MAX));
        }
        let subject = sbom
            .subject
            .as_deref()
            .and_then(|s| ordinals.get(s).copied());
        let mut edges: Vec<(u32, u32, &str)> = Vec::with_capacity(sbom.relationships.len());
        for r in &sbom.relationships {
            if r.kind == chainwatch_sbom::RelationshipKind::Describes {
                continue;
            }
            let (Some(&from), Some(&to)) =
                (ordinals.get(r.from.as_str()), ordinals.get(r.to.as_str()))
            else {
                continue;
            };
            edges.push((from, to, r.kind.as_str()));
        }
        drop(ordinals);
        let graph = crate::portfolio::graph::encode(&mut edges);
        (subject, graph, edges.len())
    };
    drop(std::mem::take(&mut sbom.relationships));
    // Large documents: the two halves on two threads (purl parsing dominates), the rows
    // in one vector made to size (growing one, or joining two, would hold a copy).
    let mut rows: Vec<Row> = Vec::with_capacity(components.len());
    let by_purl = if components.len() >= 20_000 {
        let mid = components.len() / 2;
        let (first, second) = components.split_at_mut(mid);
        let ((more, later), earlier) = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let mut more = Vec::with_capacity(second.len());
                rows_of(second, &mut more);
                let order = purl_order(&more, 0);
                (more, order)
            });
            rows_of(first, &mut rows);
            let order = purl_order(&rows, 0);
            (other.join().unwrap_or_default(), order)
        });
        let offset = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        rows.extend(more);
        merge_by_purl(&rows, &earlier, later.into_iter().map(|o| o + offset))
    } else {
        rows_of(&mut components, &mut rows);
        purl_order(&rows, 0)
    };
    drop(components);
    Ok(Prepared {
        digest,
        raw,
        raw_size,
        format: sbom.format,
        spec_version: sbom.spec_version,
        serial: sbom.serial,
        created: sbom.created,
        self_named: !named_from_outside,
        product,
        version,
        subject,
        components: rows,
        by_purl,
        edge_count,
        graph,
    })
}
