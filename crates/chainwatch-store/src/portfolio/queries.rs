//! The portfolio's questions: range-aware `who-has`, dependency paths (`why`), reverse
//! dependencies and diffs.

use std::collections::{HashMap, HashSet, VecDeque};

use chainwatch_purl::{PackageName, Purl};
use chainwatch_version::{Scheme, Vers};
use serde::Serialize;

use crate::db::{Db, Table, args};
use crate::portfolio::graph;
use crate::{Result, Store, StoreError};

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

/// Edge kinds that `why` follows: dependencies and containment.
fn followed(kind: &str) -> bool {
    kind == "contains" || kind.ends_with("depends-on")
}

/// Caps on the path search, so a dense graph cannot make one query unbounded.
const MAX_PATH_STATES: usize = 1_000_000;

/// What leads to the components a package query names in one document's graph.
struct Reach {
    /// The matching components.
    targets: Vec<u32>,
    /// Followed edges, children sorted.
    forward: HashMap<u32, Vec<u32>>,
    /// Whether a component can reach a target (targets included).
    useful: Vec<bool>,
    /// Where paths start: the subject, else the parentless components that lead to a
    /// target.
    roots: Vec<u32>,
}

/// `None` when nothing in the graph matches.
fn reach(graph: &graph::Graph, name: &str, filter: &VersionFilter) -> Option<Reach> {
    let n = graph.nodes.len();
    let targets: Vec<u32> = (0..n)
        .filter(|&i| {
            let node = &graph.nodes[i];
            node.name_identity.as_deref() == Some(name) && filter.accepts(node.version.as_deref())
        })
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    if targets.is_empty() {
        return None;
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
    Some(Reach {
        targets,
        forward,
        useful,
        roots,
    })
}

/// Why a package is in a product version, as a tree to unfold: from the roots, each
/// component's children that lead to the package (see [`Store::why_index`]).
#[derive(Debug, Clone, Default)]
pub struct WhyIndex {
    pub product: String,
    pub version: String,
    /// The document it was computed on.
    pub document: i64,
    /// Where the tree starts (the subject, else the parentless components that lead to
    /// the package).
    pub roots: Vec<u32>,
    nodes: HashMap<u32, WhyNode>,
}

/// A component of a [`WhyIndex`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhyNode {
    /// Its purl, else its name and version.
    pub label: String,
    /// Whether it is the package asked about.
    pub target: bool,
    /// Its children that lead to the package, by ordinal.
    pub children: Vec<u32>,
}

impl WhyIndex {
    /// A component of the tree by ordinal (`None` when it does not lead to the package).
    pub fn node(&self, ordinal: u32) -> Option<&WhyNode> {
        self.nodes.get(&ordinal)
    }

    /// The components that are the package asked about.
    pub fn targets(&self) -> usize {
        self.nodes.values().filter(|n| n.target).count()
    }
}

impl Store {
    /// Every product version whose current inventory (at `as_of`) holds a package with
    /// the purl's name identity and, when the purl has a version or a vers `range` is
    /// given, a matching version under the ecosystem's own ordering.
    /// The name identity (a purl without version) of every stored package, each once.
    pub fn package_names(&self) -> Result<Vec<String>> {
        self.read(|db| db.query("SELECT DISTINCT name FROM packages", &[], |r| r.get(0)))
    }

    pub fn who_has(
        &self,
        purl: &str,
        range: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<Vec<WhoHas>> {
        let (name, filter) = package_query(purl, range)?;
        let as_of = as_of.unwrap_or(i64::MAX);
        let (packages, rows) = self.read(|db| {
            // Versions are decided per package, before any occurrence is read: a range
            // reads only the inventories of the versions in it.
            let packages: Vec<(i64, String, Option<String>)> = db
                .query(
                    "SELECT id, purl, version FROM packages WHERE name = $1",
                    &args![name.canonical().as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get::<Option<String>>(2)?)),
                )?
                .into_iter()
                .filter(|(_, _, v)| filter.accepts(v.as_deref()))
                .collect();
            let rows = holders(db, packages.iter().map(|p| p.0).collect(), as_of)?;
            Ok((packages, rows))
        })?;
        let purls: HashMap<i64, &str> = packages
            .iter()
            .map(|(id, purl, _)| (*id, purl.as_str()))
            .collect();
        let mut out = rows
            .into_iter()
            .map(|(package, product, version)| {
                Ok(WhoHas {
                    product,
                    version,
                    package: (*purls.get(&package).ok_or_else(|| {
                        StoreError::Corrupt(format!("package {package} is missing"))
                    })?)
                    .to_owned(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Sorted here, bytewise, so both backends answer in the same order whatever
        // the database's collation.
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// A page of [`Store::who_has`] on the current inventories: the holders after
    /// `after`, in the same order (bytewise by product, version, package, on both
    /// backends), at most `limit`, and whether more may follow. The database sorts and
    /// cuts the page, so a package a whole portfolio holds costs a page, not the
    /// portfolio, to answer. A page may be shorter than `limit` with more to follow (a
    /// document that lists a package twice).
    pub fn who_has_page(
        &self,
        purl: &str,
        range: Option<&str>,
        after: Option<&WhoHas>,
        limit: usize,
    ) -> Result<(Vec<WhoHas>, bool)> {
        let (name, filter) = package_query(purl, range)?;
        let rows = self.read(|db| {
            let mut packages: Vec<(i64, String)> = db
                .query(
                    "SELECT id, purl, version FROM packages WHERE name = $1",
                    &args![name.canonical().as_str()],
                    |r| {
                        Ok((
                            r.get::<i64>(0)?,
                            r.get::<String>(1)?,
                            r.get::<Option<String>>(2)?,
                        ))
                    },
                )?
                .into_iter()
                .filter(|(_, _, v)| filter.accepts(v.as_deref()))
                .map(|(id, purl, _)| (id, purl))
                .collect();
            if packages.is_empty() {
                return Ok((Vec::new(), Vec::new()));
            }
            // Each package's rank in bytewise purl order stands for its purl in the
            // statement (no join for the text, and the order is the same).
            packages.sort_unstable_by(|a, b| a.1.cmp(&b.1));
            let after_rank = after.map_or(-1, |w| {
                crate::int(packages.partition_point(|(_, p)| p.as_str() <= w.package.as_str())) - 1
            });
            let (product, version) =
                after.map_or(("", ""), |w| (w.product.as_str(), w.version.as_str()));
            let c = db.dialect().bytewise();
            let table = Table::new()
                .int("id", packages.iter().map(|p| p.0).collect())
                .int("rank", (0..packages.len()).map(crate::int).collect());
            let from = db.dialect().table(6, "t", &table);
            let rows: Vec<(String, String, i64)> = db.query(
                &format!(
                    "SELECT p.name, pv.version, t.rank
                     FROM {from}
                     JOIN occurrences o ON o.package_id = t.id
                     JOIN product_versions pv ON pv.current_document_id = o.document_id
                     JOIN products p ON p.id = pv.product_id
                     WHERE $1 = 0 OR p.name{c} > $2
                         OR (p.name = $2 AND (pv.version{c} > $3
                             OR (pv.version = $3 AND t.rank > $4)))
                     ORDER BY p.name{c}, pv.version{c}, t.rank
                     LIMIT $5"
                ),
                &[
                    i64::from(after.is_some()).into(),
                    product.into(),
                    version.into(),
                    after_rank.into(),
                    crate::int(limit).into(),
                    table.into(),
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            Ok((packages, rows))
        })?;
        let (packages, rows) = rows;
        let more = rows.len() >= limit && limit > 0;
        let mut out: Vec<WhoHas> = Vec::with_capacity(rows.len());
        for (product, version, rank) in rows {
            let package = usize::try_from(rank)
                .ok()
                .and_then(|k| packages.get(k))
                .ok_or_else(|| StoreError::Corrupt(format!("package rank {rank} is missing")))?
                .1
                .clone();
            let row = WhoHas {
                product,
                version,
                package,
            };
            // A document listing a package twice gives the same holder twice, in a row.
            if out.last() != Some(&row) {
                out.push(row);
            }
        }
        Ok((out, more))
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
        let graph = self.read(|db| graph::graph(db, doc.id))?;
        let Some(Reach {
            targets,
            forward,
            useful,
            roots,
        }) = reach(&graph, &name, &filter)
        else {
            return Ok(Vec::new());
        };
        if max_paths == 0 {
            return Ok(Vec::new());
        }
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

    /// The tree of dependency paths from a product version to the components matching
    /// `purl`: only components that lead to one, each with such children, for a client
    /// that unfolds it a level at a time. Empty when nothing matches.
    pub fn why_index(&self, product: &str, version: &str, purl: &str) -> Result<WhyIndex> {
        let (name, filter) = package_query(purl, None)?;
        let name = name.canonical();
        let doc = self.resolve(product, Some(version), None)?;
        let graph = self.read(|db| graph::graph(db, doc.id))?;
        let mut index = WhyIndex {
            product: doc.product.clone(),
            version: doc.version.clone(),
            document: doc.id,
            ..WhyIndex::default()
        };
        let Some(reach) = reach(&graph, &name, &filter) else {
            return Ok(index);
        };
        let targets: HashSet<u32> = reach.targets.iter().copied().collect();
        for (i, node) in graph.nodes.iter().enumerate() {
            let Ok(ordinal) = u32::try_from(i) else {
                continue;
            };
            if !reach.useful[i] && !reach.roots.contains(&ordinal) {
                continue;
            }
            let children = reach
                .forward
                .get(&ordinal)
                .map(|c| {
                    c.iter()
                        .copied()
                        .filter(|c| reach.useful[*c as usize])
                        .collect()
                })
                .unwrap_or_default();
            index.nodes.insert(
                ordinal,
                WhyNode {
                    label: node.label.clone(),
                    target: targets.contains(&ordinal),
                    children,
                },
            );
        }
        index.roots = reach.roots;
        // A package the graph does not connect hangs from the subject.
        if let [root] = index.roots[..]
            && let Some(r) = index.nodes.get_mut(&root)
            && r.children.is_empty()
            && !r.target
        {
            r.children.clone_from(&reach.targets);
        }
        Ok(index)
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
        let as_of = as_of.unwrap_or(i64::MAX);
        self.read(|db| {
            let mut out = Vec::new();
            for c in candidates(db, &name.canonical(), as_of)? {
                if !filter.accepts(c.package_version.as_deref()) {
                    continue;
                }
                let incoming: Vec<(u32, String)> = graph::edges(db, c.document)?
                    .into_iter()
                    .filter(|(_, to, kind)| *to == c.ordinal && followed(kind))
                    .map(|(from, _, kind)| (from, kind))
                    .collect();
                if incoming.is_empty() {
                    continue;
                }
                let ordinals: Vec<u32> = incoming.iter().map(|(f, _)| *f).collect();
                let labels = graph::nodes(db, c.document, &ordinals)?;
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
        })
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

/// A package occurrence found by name identity.
struct Candidate {
    product: String,
    version: String,
    document: i64,
    ordinal: u32,
    purl: String,
    package_version: Option<String>,
}

/// The occurrences of packages with a name identity in current inventories (at `as_of`).
fn candidates(db: &mut Db<'_>, name_identity: &str, as_of: i64) -> Result<Vec<Candidate>> {
    db.query(
        &format!(
            "SELECT p.name, pv.version, o.document_id, o.ordinal, pk.purl, pk.version
             FROM packages pk
             JOIN occurrences o ON o.package_id = pk.id
             JOIN documents d ON d.id = o.document_id
             JOIN product_versions pv ON pv.id = d.product_version_id
             JOIN products p ON p.id = pv.product_id
             WHERE pk.name = $1 AND {}
             ORDER BY p.name, pv.version, pk.purl, o.ordinal",
            super::current("$2")
        ),
        &args![name_identity, as_of],
        |r| {
            Ok(Candidate {
                product: r.get(0)?,
                version: r.get(1)?,
                document: r.get(2)?,
                ordinal: r.get(3)?,
                purl: r.get(4)?,
                package_version: r.get(5)?,
            })
        },
    )
}

/// `(product id, version)` of the product versions whose current inventory (at `as_of`)
/// holds the package, in no order, possibly repeated: joined on the recorded current
/// documents when `as_of` is now (index-only on PostgreSQL after `VACUUM`: no heap read
/// and no search for the newest document per row), else on the newest document ingested
/// by then. Product ids, not names: a join per row costs more than the rest (PostgreSQL,
/// a package in all 10,000 inventories: 22 ms with names and `DISTINCT`, 8.5 ms without).
/// (package, product, version) of the product versions whose inventory at `as_of`
/// holds one of `packages`: one statement for all of them and their product names (a
/// name's versions are many packages, and a statement each cost a round trip and a plan
/// each on PostgreSQL).
fn holders(db: &mut Db<'_>, packages: Vec<i64>, as_of: i64) -> Result<Vec<(i64, String, String)>> {
    if packages.is_empty() {
        return Ok(Vec::new());
    }
    let triple = |r: crate::db::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
    let table = Table::new().int("id", packages);
    if as_of == i64::MAX {
        let from = db.dialect().table(1, "t", &table);
        db.query(
            &format!(
                "SELECT o.package_id, p.name, pv.version
                 FROM {from}
                 JOIN occurrences o ON o.package_id = t.id
                 JOIN product_versions pv ON pv.current_document_id = o.document_id
                 JOIN products p ON p.id = pv.product_id"
            ),
            &[table.into()],
            triple,
        )
    } else {
        // A table is bound last: the instant is `$1`.
        let from = db.dialect().table(2, "t", &table);
        db.query(
            &format!(
                "SELECT o.package_id, p.name, pv.version
                 FROM {from}
                 JOIN occurrences o ON o.package_id = t.id
                 JOIN documents d ON d.id = o.document_id
                 JOIN product_versions pv ON pv.id = d.product_version_id
                 JOIN products p ON p.id = pv.product_id
                 WHERE {}",
                super::current("$1")
            ),
            &[as_of.into(), table.into()],
            triple,
        )
    }
}
