//! Turning a document into the rows the store keeps: done once, before any backend
//! work, so both backends store exactly the same thing.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;

use chainwatch_sbom::{Component, Format, Sbom};
use sha2::{Digest as _, Sha256};

use crate::StoreError;

/// The zstd level raw documents are kept at: fast, and SBOMs compress ~10×.
const ZSTD_LEVEL: i32 = 3;

/// One component of a document, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The component's id in the document (`bom-ref`, `SPDXID`).
    pub bom_ref: String,
    pub name: String,
    pub version: Option<String>,
    /// The version of the package: the purl's, else the component's.
    pub package_version: Option<String>,
    /// The canonical purl, when the component has a valid one.
    pub purl: Option<String>,
    /// The canonical name identity of the purl.
    pub name_identity: Option<String>,
    pub kind: String,
    pub scope: Option<&'static str>,
    pub license: Option<String>,
    /// `ALG:hex` pairs separated by spaces.
    pub hashes: Option<String>,
    /// The file the component was found in, when the document says.
    pub source_file: Option<String>,
}

/// A dependency-graph edge between two components of one document, by ordinal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeRow {
    pub from: u32,
    pub to: u32,
    pub kind: String,
}

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
    pub edges: Vec<EdgeRow>,
}

/// What names the product a document is stored under.
#[derive(Debug, Clone, Default)]
pub struct Naming {
    pub product: Option<String>,
    pub version: Option<String>,
}

/// The version a product version gets when neither the document nor the caller gives one.
pub const UNVERSIONED: &str = "unversioned";

/// The zstd-compressed copy of `text` the store keeps.
pub(crate) fn compress(text: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut encoder = zstd::Encoder::new(Vec::with_capacity(text.len() / 8), ZSTD_LEVEL)
        .map_err(|e| StoreError::Compression(e.to_string()))?;
    encoder
        .write_all(text)
        .map_err(|e| StoreError::Compression(e.to_string()))?;
    encoder
        .finish()
        .map_err(|e| StoreError::Compression(e.to_string()))
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

/// Parses decoded document text and prepares its rows; compression runs on a second
/// thread while the document is parsed.
pub(crate) fn prepare(
    text: &str,
    format: Format,
    digest: String,
    naming: &Naming,
) -> Result<Prepared, StoreError> {
    let (parsed, raw) = std::thread::scope(|scope| {
        let packer = scope.spawn(|| compress(text.as_bytes()));
        let parsed = chainwatch_sbom::read_text(text, format);
        let raw = packer
            .join()
            .unwrap_or_else(|_| Err(StoreError::Compression("compression failed".into())));
        (parsed, raw)
    });
    let sbom = parsed?.sbom;
    from_sbom(sbom, digest, raw?, text.len() as u64, naming)
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
        .or_else(|| sbom.name.clone().filter(|n| !n.trim().is_empty()))
        .ok_or(StoreError::NoProduct)?;
    let version = naming
        .version
        .clone()
        .or_else(|| {
            subject
                .and_then(|c| c.version.clone())
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| UNVERSIONED.to_owned());

    let components = std::mem::take(&mut sbom.components);
    let mut ordinals: HashMap<String, u32> = HashMap::with_capacity(components.len());
    let mut rows = Vec::with_capacity(components.len());
    for c in components {
        let purl = c.purl();
        let package_version = purl
            .as_ref()
            .and_then(|p| p.version().map(str::to_owned))
            .or_else(|| c.version.clone());
        let row = Row {
            package_version,
            name: c.name.clone(),
            version: c
                .version
                .clone()
                .or_else(|| purl.as_ref().and_then(|p| p.version().map(str::to_owned))),
            name_identity: purl.as_ref().map(|p| p.package_name().canonical()),
            purl: purl.map(|p| p.canonical().to_owned()),
            kind: c.kind.as_str().to_owned(),
            scope: c.scope.map(chainwatch_sbom::Scope::as_str),
            license: c.effective_license(),
            hashes: hashes(&c),
            source_file: source_file(&c),
            bom_ref: c.id,
        };
        let ordinal = u32::try_from(rows.len()).map_err(|_| StoreError::TooLarge)?;
        // The first of duplicated ids wins, as in the readers.
        ordinals.entry(row.bom_ref.clone()).or_insert(ordinal);
        rows.push(row);
    }
    let subject = sbom
        .subject
        .as_deref()
        .and_then(|s| ordinals.get(s).copied());
    let mut seen = HashSet::new();
    let mut edges = Vec::new();
    for r in std::mem::take(&mut sbom.relationships) {
        if r.kind == chainwatch_sbom::RelationshipKind::Describes {
            continue;
        }
        let (Some(&from), Some(&to)) = (ordinals.get(&r.from), ordinals.get(&r.to)) else {
            continue;
        };
        let edge = EdgeRow {
            from,
            to,
            kind: r.kind.as_str().to_owned(),
        };
        if seen.insert(edge.clone()) {
            edges.push(edge);
        }
    }
    Ok(Prepared {
        digest,
        raw,
        raw_size,
        format: sbom.format,
        spec_version: sbom.spec_version,
        serial: sbom.serial,
        created: sbom.created,
        self_named: naming.product.is_none() && naming.version.is_none(),
        product,
        version,
        subject,
        components: rows,
        edges,
    })
}
