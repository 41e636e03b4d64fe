//! The queries, on top of the few primitives each backend provides: range-aware
//! `who-has`, dependency paths (`why`), reverse dependencies and diffs.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read as _;

use chainwatch_purl::{PackageName, Purl};
use chainwatch_version::{Scheme, Vers};
use serde::Serialize;

use crate::{Node, Result, Store, StoreError};

/// A product version whose current inventory has the package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct WhoHas {
    pub product: String,
    pub version: String,
    /// The canonical purl of the package found.
    pub package: String,
}

/// A dependency path from a product to a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhyPath {
    pub product: String,
    pub version: String,
    /// Purls (or names, for components without one), from the product to the package.
    pub path: Vec<String>,
}

/// A component that depends on the package asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependent {
    pub product: String,
    pub version: String,
    pub package: String,
    /// The component with the edge (purl, or name).
    pub dependent: String,
    /// The edge kind (`depends-on`, `dev-depends-on`, `contains`, …).
    pub kind: String,
}

/// How to match versions in `who-has` and `dependents`.
#[derive(Debug, Clone)]
pub(crate) enum VersionFilter {
    Any,
    /// Equal under the ecosystem's ordering (`1.0` is `1.0.0` for PyPI).
    Exactly(Scheme, String),
    Range(Vers),
}

impl VersionFilter {
    fn accepts(&self, version: Option<&str>) -> bool {
        match (self, version) {
            (VersionFilter::Any, _) => true,
            (_, None) => false,
            (VersionFilter::Exactly(scheme, want), Some(v)) => match scheme.compare(v, want) {
                Ok(o) => o.is_eq(),
                Err(_) => v == want,
            },
            (VersionFilter::Range(vers), Some(v)) => vers.contains_str(v).unwrap_or(false),
        }
    }
}

/// Reads a `who-has` question: a purl (with or without version) and an optional vers
/// range.
pub(crate) fn package_query(
    purl: &str,
    range: Option<&str>,
) -> Result<(PackageName, VersionFilter)> {
    let parsed = Purl::parse(purl)
        .map_err(|e| StoreError::InvalidQuery(format!("invalid purl `{purl}`: {e}")))?;
    let name = parsed.package_name();
    let filter = match (parsed.version(), range) {
        (Some(_), Some(_)) => {
            return Err(StoreError::InvalidQuery(format!(
                "give a version in the purl `{purl}` or a range, not both"
            )));
        }
        (None, Some(r)) => VersionFilter::Range(
            Vers::parse(r)
                .map_err(|e| StoreError::InvalidQuery(format!("invalid vers range `{r}`: {e}")))?,
        ),
        (Some(v), None) => VersionFilter::Exactly(Scheme::for_purl_type(parsed.ty()), v.to_owned()),
        (None, None) => VersionFilter::Any,
    };
    Ok((name, filter))
}

pub(crate) fn node(
    purl: Option<String>,
    name_identity: Option<String>,
    name: String,
    version: Option<String>,
) -> Node {
    let label = match (&purl, &version) {
        (Some(p), _) => p.clone(),
        (None, Some(v)) => format!("{name}@{v}"),
        (None, None) => name,
    };
    Node {
        label,
        name_identity,
        version: version
            .or_else(|| purl.and_then(|p| p.rsplit_once('@').map(|(_, v)| v.to_owned()))),
    }
}

/// Documents larger than this decompressed are refused when read back (corruption guard).
const MAX_DOCUMENT: u64 = 8 << 30;

pub(crate) fn decompress(codec: &str, data: &[u8]) -> Result<Vec<u8>> {
    match codec {
        "zstd" => {
            let mut out = Vec::new();
            zstd::Decoder::new(data)
                .map_err(|e| StoreError::Compression(e.to_string()))?
                .take(MAX_DOCUMENT)
                .read_to_end(&mut out)
                .map_err(|e| StoreError::Compression(e.to_string()))?;
            Ok(out)
        }
        other => Err(StoreError::Corrupt(format!("unknown codec `{other}`"))),
    }
}

/// A problem with a stored copy, if any.
pub(crate) fn check_blob(digest: &str, codec: &str, data: &[u8]) -> Option<String> {
    match decompress(codec, data) {
        Ok(raw) if crate::digest_hex(&raw) == digest => None,
        Ok(_) => Some(format!(
            "stored document `{digest}` does not match its digest"
        )),
        Err(e) => Some(format!("stored document `{digest}` cannot be read: {e}")),
    }
}

/// The columns of an [`crate::IngestOutcome`] for an already stored document; both backends
/// add their own `WHERE`.
pub(crate) const OUTCOME_SELECT: &str =
    "SELECT d.id, p.name, pv.version, d.format, d.digest, d.components, d.edges
     FROM documents d
     JOIN product_versions pv ON pv.id = d.product_version_id
     JOIN products p ON p.id = pv.product_id";

/// The condition that `d` is the current document of its product version at the
/// ingestion time bound to `param` (`?2`, `$2`): the newest ingested by then.
pub(crate) fn current(param: &str) -> String {
    format!(
        "d.id = (SELECT d2.id FROM documents d2
          WHERE d2.product_version_id = d.product_version_id AND d2.ingested_at <= {param}
          ORDER BY d2.ingested_at DESC, d2.id DESC LIMIT 1)"
    )
}

/// Name identities under a prefix (`?1`/`$1`, a `LIKE` pattern) used by at least `?2`
/// products' current inventories, most used first, at most `?3`.
pub(crate) fn portfolio_names_sql(p: [&str; 3]) -> String {
    format!(
        "SELECT pk.name, COUNT(DISTINCT pv.product_id) AS n
         FROM documents d
         JOIN product_versions pv ON pv.id = d.product_version_id
         JOIN occurrences o ON o.document_id = d.id
         JOIN packages pk ON pk.id = o.package_id
         WHERE pk.name LIKE {} ESCAPE '\\' AND {}
         GROUP BY pk.name
         HAVING COUNT(DISTINCT pv.product_id) >= {}
         ORDER BY n DESC, pk.name
         LIMIT {}",
        p[0],
        current(&i64::MAX.to_string()),
        p[1],
        p[2]
    )
}

/// A cache entry (the `caches` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cached {
    /// The newest document id when it was computed.
    pub(crate) documents: i64,
    /// When (microseconds since the epoch).
    pub(crate) computed_at: i64,
    /// How long it took (microseconds).
    pub(crate) took: i64,
    pub(crate) data: Vec<u8>,
}

/// Stores or replaces a cache entry: `?1`…`?5` / `$1`…`$5` are key, documents,
/// `computed_at`, `took`, `data`.
pub(crate) fn cache_put_sql(p: [&str; 5]) -> String {
    format!(
        "INSERT INTO caches (key, documents, computed_at, took, data) VALUES ({}, {}, {}, {}, {})
         ON CONFLICT (key) DO UPDATE SET documents = excluded.documents,
             computed_at = excluded.computed_at, took = excluded.took, data = excluded.data",
        p[0], p[1], p[2], p[3], p[4]
    )
}

/// Portfolio name counts are cached for names used by at least this many products…
const CACHED_MIN_PRODUCTS: i64 = 2;
/// …at most this many of them.
const CACHED_NAMES: i64 = 20_000;
/// A count that took longer than this to compute is reused while it is younger than
/// [`RECOUNT_AFTER`] and the portfolio has not grown by a tenth; a cheaper one is redone
/// whenever a document was added.
const CHEAP_COUNT_MICROS: i64 = 200_000;
const RECOUNT_AFTER_MICROS: i64 = 3_600_000_000;

/// `name\tcount` lines.
fn encode_names(names: &[(String, i64)]) -> Vec<u8> {
    let mut out = String::new();
    for (name, n) in names {
        out.push_str(name);
        out.push('\t');
        out.push_str(&n.to_string());
        out.push('\n');
    }
    out.into_bytes()
}

fn decode_names(data: &[u8]) -> Option<Vec<(String, i64)>> {
    std::str::from_utf8(data)
        .ok()?
        .lines()
        .map(|l| {
            let (name, n) = l.split_once('\t')?;
            Some((name.to_owned(), n.parse().ok()?))
        })
        .collect()
}

/// `text` as a literal `LIKE` pattern (the statement says `ESCAPE` with a backslash).
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What `check` verifies, for the report.
pub(crate) const CHECKED: &[&str] = &[
    "database integrity",
    "foreign keys (declared, and those of components)",
    "documents complete (component and edge counts)",
    "edges between components of their own document",
    "stored documents match their digests",
];

/// Queries returning the ids of documents that break an invariant, with what is broken.
/// Written once for both backends.
pub(crate) const INVARIANTS: &[(&str, &str)] = &[
    (
        "SELECT DISTINCT o.document_id FROM occurrences o
             LEFT JOIN documents d ON d.id = o.document_id WHERE d.id IS NULL",
        "components stored for a document that does not exist",
    ),
    (
        "SELECT DISTINCT o.document_id FROM occurrences o
             LEFT JOIN packages p ON p.id = o.package_id
             WHERE o.package_id IS NOT NULL AND p.id IS NULL",
        "a component refers to a package that does not exist",
    ),
    (
        "SELECT d.id FROM documents d WHERE d.components <>
             (SELECT COUNT(*) FROM occurrences o WHERE o.document_id = d.id)",
        "component count differs from the stored components",
    ),
    (
        "SELECT d.id FROM documents d WHERE d.subject IS NOT NULL
             AND (d.subject < 0 OR d.subject >= d.components)",
        "the subject is not one of its components",
    ),
    (
        "SELECT d.id FROM documents d
             JOIN product_versions pv ON pv.id = d.product_version_id
             WHERE d.id = (SELECT d2.id FROM documents d2
                 WHERE d2.product_version_id = d.product_version_id
                 ORDER BY d2.ingested_at DESC, d2.id DESC LIMIT 1)
             AND (pv.current_document_id IS NULL OR pv.current_document_id <> d.id
                 OR pv.current_ingested_at IS NULL OR pv.current_ingested_at <> d.ingested_at)",
        "the newest document of its product version is not recorded as current",
    ),
];

/// `Backend::holders` for package `?1`/`$1` at `?2`/`$2`: joined on the recorded current
/// documents when `as_of` is now (index-only on PostgreSQL after `VACUUM`: no heap read
/// and no search for the newest document per row), else on the newest document ingested
/// by then. Product ids, not names: a join per row costs more than the rest (PostgreSQL,
/// a package in all 10,000 inventories: 22 ms with names and `DISTINCT`, 8.5 ms without).
pub(crate) fn holders_sql(p: [&str; 2], now: bool) -> String {
    let [package, as_of] = p;
    if now {
        format!(
            "SELECT pv.product_id, pv.version
             FROM occurrences o
             JOIN product_versions pv ON pv.current_document_id = o.document_id
             WHERE o.package_id = {package}"
        )
    } else {
        format!(
            "SELECT pv.product_id, pv.version
             FROM occurrences o
             JOIN documents d ON d.id = o.document_id
             JOIN product_versions pv ON pv.id = d.product_version_id
             WHERE o.package_id = {package} AND {}",
            current(as_of)
        )
    }
}

/// Records document `?1`/`$1`, ingested at `?2`/`$2`, as its product version's (`?3`/`$3`)
/// current document unless a newer one is recorded. Under PostgreSQL's row lock a
/// concurrent ingester re-reads the row after the other commits, so the newest wins.
pub(crate) fn set_current_sql(p: [&str; 3]) -> String {
    let [doc, at, pv] = p;
    format!(
        "UPDATE product_versions SET current_document_id = {doc}, current_ingested_at = {at}
         WHERE id = {pv} AND (current_document_id IS NULL OR current_ingested_at < {at}
             OR (current_ingested_at = {at} AND current_document_id < {doc}))"
    )
}

/// A problem with a document's stored graph, if any.
pub(crate) fn check_graph(
    document: i64,
    components: i64,
    edges: i64,
    data: Option<&[u8]>,
) -> Option<String> {
    let Some(data) = data else {
        return Some(format!(
            "document {document}: the dependency graph is missing"
        ));
    };
    match crate::graph::decode(data) {
        Err(e) => Some(format!("document {document}: {e}")),
        Ok(list) if crate::int(list.len()) != edges => Some(format!(
            "document {document}: edge count differs from the stored edges"
        )),
        Ok(list) => list
            .iter()
            .any(|(f, t, _)| i64::from(*f) >= components || i64::from(*t) >= components)
            .then(|| {
                format!(
                    "document {document}: an edge refers to a component the document does not have"
                )
            }),
    }
}

/// Edge kinds that `why` follows: dependencies and containment.
fn followed(kind: &str) -> bool {
    kind == "contains" || kind.ends_with("depends-on")
}

/// Caps on the path search, so a dense graph cannot make one query unbounded.
const MAX_PATH_STATES: usize = 1_000_000;

impl Store {
    /// The names of a purl type (`npm`, `pypi`) that the current inventories of at least
    /// `min_products` products use, as name identities (`pkg:npm/lodash`) with their
    /// product counts, most used first, at most `limit`: what the portfolio itself says is
    /// popular.
    pub fn portfolio_names(
        &self,
        purl_type: &str,
        min_products: u64,
        limit: u64,
    ) -> Result<Vec<(String, u64)>> {
        let min = i64::try_from(min_products).unwrap_or(i64::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let prefix = format!("pkg:{purl_type}/");
        let names = if min < CACHED_MIN_PRODUCTS {
            self.backend
                .portfolio_names(&prefix, min, i64::try_from(limit).unwrap_or(i64::MAX))?
        } else {
            self.counted_names(&prefix)?
        };
        Ok(names
            .into_iter()
            .filter(|(_, n)| *n >= min)
            .take(limit)
            .map(|(name, n)| (name, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// The names under `prefix` that at least [`CACHED_MIN_PRODUCTS`] products use, from
    /// the cache while it is fresh enough: counting reads every component of every
    /// current inventory (seconds for millions of them).
    fn counted_names(&self, prefix: &str) -> Result<Vec<(String, i64)>> {
        let key = format!("portfolio-names:{prefix}");
        let high_water = self.backend.documents_high_water()?;
        let now = crate::time::now_micros();
        if let Some(c) = self.backend.cache_get(&key)?
            && (c.documents == high_water
                || (c.took > CHEAP_COUNT_MICROS
                    && now.saturating_sub(c.computed_at) < RECOUNT_AFTER_MICROS
                    && high_water.saturating_sub(c.documents) < c.documents / 10))
            && let Some(names) = decode_names(&c.data)
        {
            return Ok(names);
        }
        let start = std::time::Instant::now();
        let names = self
            .backend
            .portfolio_names(prefix, CACHED_MIN_PRODUCTS, CACHED_NAMES)?;
        let took = i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX);
        self.backend.cache_put(
            &key,
            &Cached {
                documents: high_water,
                computed_at: now,
                took,
                data: encode_names(&names),
            },
        )?;
        Ok(names)
    }

    /// Every product version whose current inventory (at `as_of`) holds a package with
    /// the purl's name identity and, when the purl has a version or a vers `range` is
    /// given, a matching version under the ecosystem's own ordering.
    pub fn who_has(
        &self,
        purl: &str,
        range: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<Vec<WhoHas>> {
        let (name, filter) = package_query(purl, range)?;
        let as_of = as_of.unwrap_or(i64::MAX);
        // Versions are decided per package, before any occurrence is read: a range
        // reads only the inventories of the versions in it.
        let mut rows: Vec<(i64, String, usize)> = Vec::new();
        let packages: Vec<(i64, String, Option<String>)> = self
            .backend
            .packages_named(&name.canonical())?
            .into_iter()
            .filter(|(_, _, v)| filter.accepts(v.as_deref()))
            .collect();
        for (k, (id, _, _)) in packages.iter().enumerate() {
            rows.extend(
                self.backend
                    .holders(*id, as_of)?
                    .into_iter()
                    .map(|(product, version)| (product, version, k)),
            );
        }
        let mut ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let names = self.backend.product_names(&ids)?;
        let mut out = rows
            .into_iter()
            .map(|(product, version, k)| {
                Ok(WhoHas {
                    product: names.get(&product).cloned().ok_or_else(|| {
                        StoreError::Corrupt(format!("product {product} is missing"))
                    })?,
                    version,
                    package: packages[k].1.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Sorted here, bytewise, so both backends answer in the same order whatever
        // the database's collation.
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Dependency paths from `product` (its current version when `version` is `None`) to
    /// the components matching `purl`, shortest first, at most `max_paths`.
    pub fn why(
        &self,
        product: &str,
        version: Option<&str>,
        purl: &str,
        max_paths: usize,
        as_of: Option<i64>,
    ) -> Result<Vec<WhyPath>> {
        let (name, filter) = package_query(purl, None)?;
        let name = name.canonical();
        let doc = self.resolve(product, version, as_of)?;
        let graph = self.backend.graph(doc.id)?;
        let n = graph.nodes.len();
        let targets: Vec<u32> = (0..n)
            .filter(|&i| {
                let node = &graph.nodes[i];
                node.name_identity.as_deref() == Some(name.as_str())
                    && filter.accepts(node.version.as_deref())
            })
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        if targets.is_empty() || max_paths == 0 {
            return Ok(Vec::new());
        }
        let mut forward: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut backward: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut has_parent = vec![false; n];
        for (from, to, kind) in &graph.edges {
            if followed(kind) && from != to {
                forward.entry(*from).or_default().push(*to);
                backward.entry(*to).or_default().push(*from);
                if let Some(p) = has_parent.get_mut(*to as usize) {
                    *p = true;
                }
            }
        }
        for list in forward.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        // Only nodes that can reach a target are worth walking through.
        let mut useful = vec![false; n];
        let mut queue: VecDeque<u32> = targets.iter().copied().collect();
        for &t in &targets {
            useful[t as usize] = true;
        }
        while let Some(x) = queue.pop_front() {
            for &p in backward.get(&x).map_or(&[][..], Vec::as_slice) {
                if !useful[p as usize] {
                    useful[p as usize] = true;
                    queue.push_back(p);
                }
            }
        }
        let roots: Vec<u32> = match graph.subject {
            Some(s) if (s as usize) < n => vec![s],
            _ => (0..n)
                .filter(|&i| !has_parent[i] && useful[i])
                .filter_map(|i| u32::try_from(i).ok())
                .collect(),
        };
        let is_target: HashSet<u32> = targets.iter().copied().collect();
        let label = |i: u32| graph.nodes[i as usize].label.clone();
        let mut paths: Vec<Vec<u32>> = Vec::new();
        let mut states: VecDeque<Vec<u32>> = roots
            .iter()
            .filter(|r| useful[**r as usize])
            .map(|r| vec![*r])
            .collect();
        let mut explored = 0usize;
        while let Some(path) = states.pop_front() {
            let Some(&last) = path.last() else { continue };
            if is_target.contains(&last) && (path.len() > 1 || graph.subject.is_none()) {
                paths.push(path.clone());
                if paths.len() >= max_paths {
                    break;
                }
            }
            explored += 1;
            if explored > MAX_PATH_STATES {
                break;
            }
            for &next in forward.get(&last).map_or(&[][..], Vec::as_slice) {
                if useful[next as usize] && !path.contains(&next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    states.push_back(longer);
                }
            }
        }
        // A component the graph does not connect is still in the product: it is listed.
        if paths.is_empty() {
            for &t in &targets {
                let mut path = Vec::new();
                if let Some(s) = graph.subject.filter(|s| *s != t) {
                    path.push(s);
                }
                path.push(t);
                paths.push(path);
                if paths.len() >= max_paths {
                    break;
                }
            }
        }
        Ok(paths
            .into_iter()
            .map(|p| WhyPath {
                product: doc.product.clone(),
                version: doc.version.clone(),
                path: p.into_iter().map(label).collect(),
            })
            .collect())
    }

    /// Components across the portfolio's current inventories that depend on (or contain)
    /// a package with the purl's name identity (and matching version).
    pub fn dependents(
        &self,
        purl: &str,
        range: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<Vec<Dependent>> {
        let (name, filter) = package_query(purl, range)?;
        let mut out = Vec::new();
        for c in self
            .backend
            .candidates(&name.canonical(), as_of.unwrap_or(i64::MAX))?
        {
            if !filter.accepts(c.package_version.as_deref()) {
                continue;
            }
            let incoming: Vec<(u32, String)> = self
                .backend
                .edges(c.document)?
                .into_iter()
                .filter(|(_, to, kind)| *to == c.ordinal && followed(kind))
                .map(|(from, _, kind)| (from, kind))
                .collect();
            if incoming.is_empty() {
                continue;
            }
            let ordinals: Vec<u32> = incoming.iter().map(|(f, _)| *f).collect();
            let labels = self.backend.nodes(c.document, &ordinals)?;
            for (from, kind) in incoming {
                let dependent = labels
                    .iter()
                    .find(|(o, _)| *o == from)
                    .map_or_else(|| format!("#{from}"), |(_, n)| n.label.clone());
                out.push(Dependent {
                    product: c.product.clone(),
                    version: c.version.clone(),
                    package: c.purl.clone(),
                    dependent,
                    kind,
                });
            }
        }
        out.dedup();
        Ok(out)
    }

    /// What changed between the current inventories of two versions of a product.
    pub fn diff(
        &self,
        product: &str,
        from: &str,
        to: &str,
        as_of: Option<i64>,
    ) -> Result<chainwatch_sbom::SbomDiff> {
        let (_, old) = self.export(product, Some(from), as_of)?;
        let (_, new) = self.export(product, Some(to), as_of)?;
        Ok(chainwatch_sbom::diff(&old, &new))
    }
}
