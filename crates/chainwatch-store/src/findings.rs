//! Findings: which stored packages the stored advisories affect, kept with first-seen and
//! last-seen times and matched incrementally. `rematch` handles exactly what changed
//! since it last ran: packages never matched (new since an ingest) and packages that the
//! queued advisory changes concern (by their advisory keys, or because they had a finding
//! for a changed advisory). It reports the delta: findings that are new and findings that
//! are resolved.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use chainwatch_advisory::Level;
use chainwatch_match::{AdvisoryIndex, Via, purl_keys};
use chainwatch_purl::Purl;
use serde::Serialize;

use crate::advisories::decode;
use crate::vex::{Enrichment, VexVerdict};
use crate::{Result, Store, StoreError, time};

/// Packages matched per transaction: bounds memory (the records they need are loaded
/// per chunk) and lets a killed run keep what it finished.
const CHUNK: usize = 20_000;

/// A package to match: id, canonical purl.
pub(crate) type PackageRef = (i64, String);

/// One finding as the matcher writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FindingRow {
    pub package_id: i64,
    pub advisory_id: i64,
    pub via: &'static str,
    /// JSON array.
    pub fixed_in: String,
    pub informational: Option<String>,
}

/// What one chunk of matching writes, in one transaction.
#[derive(Debug, Default)]
pub(crate) struct MatchWrite {
    pub now: i64,
    /// Packages matched for the first time, with their advisory keys.
    pub first_matched: Vec<(i64, Vec<(String, String)>)>,
    /// Every finding of the chunk's packages (inserted, refreshed or reopened).
    pub current: Vec<FindingRow>,
    /// (package, advisory) findings that no longer match.
    pub resolved: Vec<(i64, i64)>,
}

/// A finding that appeared or went away.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingChange {
    /// The package's canonical purl.
    pub package: String,
    /// The advisory's OSV id.
    pub advisory: String,
}

/// What a `rematch` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MatchReport {
    /// Packages matched (new ones and those that changed advisories concern).
    pub packages: u64,
    /// Advisory changes handled.
    pub advisory_changes: u64,
    /// Findings that did not exist (or had been resolved) before.
    pub new: Vec<FindingChange>,
    /// Findings that no longer match (the advisory changed, was withdrawn or removed).
    pub resolved: Vec<FindingChange>,
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    pub product: Option<String>,
    pub version: Option<String>,
    /// Only findings at or above this severity (malicious packages always pass).
    pub min_severity: Option<Level>,
    /// Which documents are current (microseconds since the epoch); now when `None`.
    pub as_of: Option<i64>,
    /// Also the findings a VEX statement says are not affected or fixed.
    pub include_suppressed: bool,
    /// Only findings of these advisories (OSV ids).
    pub advisories: Option<Vec<String>>,
}

/// A stored finding as the backends read it.
#[derive(Debug, Clone)]
pub(crate) struct RawFinding {
    pub product: String,
    pub version: String,
    pub package: String,
    pub advisory_id: i64,
    pub advisory: String,
    pub severity: Option<String>,
    pub score: Option<f64>,
    pub malicious: bool,
    pub summary: Option<String>,
    pub via: String,
    pub fixed_in: String,
    pub informational: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// A finding in a product version's current inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductFinding {
    pub product: String,
    pub version: String,
    /// The package's canonical purl.
    pub package: String,
    pub advisory: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub severity: Option<String>,
    pub score: Option<f64>,
    pub fixed_in: Vec<String>,
    pub malicious: bool,
    /// `unmaintained`, `unsound`, … for informational notices (never a vulnerability).
    pub informational: Option<String>,
    /// `name`, or `upstream` when matched through the distribution source package.
    pub via: String,
    /// RFC 3339 times.
    pub first_seen: String,
    pub last_seen: String,
    /// The VEX statement that applies (the most recent), if any.
    pub vex: Option<VexVerdict>,
    /// In CISA's Known Exploited Vulnerabilities catalog (under any CVE alias).
    pub known_exploited: bool,
    /// The highest EPSS score of its CVE aliases, and that score's percentile.
    pub epss: Option<f64>,
    pub epss_percentile: Option<f64>,
}

impl ProductFinding {
    /// Every identifier of the advisory: its id and aliases.
    pub fn identifiers(&self) -> Vec<String> {
        std::iter::once(self.advisory.clone())
            .chain(self.aliases.iter().cloned())
            .collect()
    }

    /// Whether a VEX statement says the product is not affected or the finding fixed.
    pub fn suppressed(&self) -> bool {
        self.vex.as_ref().is_some_and(|v| v.status.suppresses())
    }
}

/// Sets `known_exploited` and the EPSS score of findings from the enrichment tables.
pub(crate) fn enrich<'a>(
    found: impl Iterator<
        Item = (
            &'a [String],
            &'a mut bool,
            &'a mut Option<f64>,
            &'a mut Option<f64>,
        ),
    >,
    data: &HashMap<String, Enrichment>,
) {
    for (ids, kev, epss, pct) in found {
        for id in ids {
            let Some(e) = data.get(&id.to_ascii_uppercase()) else {
                continue;
            };
            *kev |= e.kev_added.is_some();
            if let Some(score) = e.epss
                && epss.is_none_or(|s| score > s)
            {
                *epss = Some(score);
                *pct = e.epss_percentile;
            }
        }
    }
}

fn via_str(via: Via) -> &'static str {
    match via {
        Via::Name => "name",
        Via::Upstream => "upstream",
    }
}

impl Store {
    /// Matches what changed since the last run: packages never matched, and packages that
    /// queued advisory changes concern. Safe to run at any time and repeatedly; an
    /// interrupted run is completed by the next.
    pub fn rematch(&self) -> Result<MatchReport> {
        let changes = self.backend.queued_changes()?;
        let mut todo: BTreeMap<i64, (String, bool)> = BTreeMap::new();
        for (id, purl) in self.backend.packages_concerned()? {
            todo.insert(id, (purl, false));
        }
        for (id, purl) in self.backend.unmatched_packages()? {
            todo.insert(id, (purl, true));
        }
        // Packages of one name together: the records they need are loaded once.
        let mut todo: Vec<(i64, String, bool)> = todo
            .into_iter()
            .map(|(id, (p, first))| (id, p, first))
            .collect();
        todo.sort_by(|a, b| a.1.cmp(&b.1));
        let mut report = MatchReport {
            packages: crate::to_u64(crate::int(todo.len())),
            advisory_changes: crate::to_u64(crate::int(changes.len())),
            ..MatchReport::default()
        };
        for chunk in todo.chunks(CHUNK) {
            self.match_chunk(chunk, &mut report)?;
        }
        self.backend.clear_changes(&changes)?;
        report.new.sort();
        report.resolved.sort();
        Ok(report)
    }

    /// Forgets which packages were matched, so that the next `rematch` matches the whole
    /// portfolio again (findings keep their first-seen times).
    pub fn reset_matches(&self) -> Result<()> {
        self.backend.reset_matches()
    }

    fn match_chunk(&self, chunk: &[(i64, String, bool)], report: &mut MatchReport) -> Result<()> {
        let now = time::now_micros();
        let parsed: Vec<(i64, Option<Purl>, bool)> = chunk
            .iter()
            .map(|(id, p, first)| (*id, Purl::parse(p).ok(), *first))
            .collect();
        let mut keys: Vec<(String, String)> = parsed
            .iter()
            .filter_map(|(_, p, _)| p.as_ref())
            .flat_map(purl_keys)
            .collect();
        keys.sort();
        keys.dedup();
        let blobs = self.backend.advisories_for_packages(&keys)?;
        let mut row_of: HashMap<String, i64> = HashMap::with_capacity(blobs.len());
        let mut records = Vec::with_capacity(blobs.len());
        for (id, blob) in &blobs {
            let record = decode(blob)?;
            row_of.insert(record.id.clone(), *id);
            records.push(record);
        }
        let index = AdvisoryIndex::from_records(records);
        let ids: Vec<i64> = parsed.iter().map(|(id, _, _)| *id).collect();
        let before: BTreeMap<(i64, i64), String> = self
            .backend
            .active_findings(&ids)?
            .into_iter()
            .map(|(p, a, osv)| ((p, a), osv))
            .collect();
        let mut write = MatchWrite {
            now,
            ..MatchWrite::default()
        };
        let mut after: BTreeSet<(i64, i64)> = BTreeSet::new();
        for ((id, purl, first), (_, text, _)) in parsed.iter().zip(chunk) {
            let Some(purl) = purl else {
                if *first {
                    write.first_matched.push((*id, Vec::new()));
                }
                continue;
            };
            if *first {
                write.first_matched.push((*id, purl_keys(purl)));
            }
            for f in index.matches(purl) {
                let Some(&advisory_id) = row_of.get(&f.advisory) else {
                    continue;
                };
                after.insert((*id, advisory_id));
                if !before.contains_key(&(*id, advisory_id)) {
                    report.new.push(FindingChange {
                        package: text.clone(),
                        advisory: f.advisory.clone(),
                    });
                }
                write.current.push(FindingRow {
                    package_id: *id,
                    advisory_id,
                    via: via_str(f.via),
                    fixed_in: serde_json::to_string(&f.fixed_in).map_err(|e| {
                        StoreError::Corrupt(format!("fixed versions do not serialize: {e}"))
                    })?,
                    informational: f.informational,
                });
            }
        }
        let purl_of: HashMap<i64, &str> =
            chunk.iter().map(|(id, p, _)| (*id, p.as_str())).collect();
        for ((p, a), osv) in &before {
            if !after.contains(&(*p, *a)) {
                write.resolved.push((*p, *a));
                report.resolved.push(FindingChange {
                    package: purl_of.get(p).map_or_else(String::new, |s| (*s).to_owned()),
                    advisory: osv.clone(),
                });
            }
        }
        self.backend.write_matches(&write)
    }

    /// The findings in the current inventories of the portfolio's product versions.
    pub fn findings(&self, query: &FindingQuery) -> Result<Vec<ProductFinding>> {
        let raw = self
            .backend
            .findings(query, query.as_of.unwrap_or(i64::MAX))?;
        let mut advisory_ids: Vec<i64> = raw.iter().map(|r| r.advisory_id).collect();
        advisory_ids.sort_unstable();
        advisory_ids.dedup();
        let mut aliases: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, blob) in self.backend.advisory_records(&advisory_ids)? {
            let record = decode(&blob)?;
            let mut a: Vec<String> = record
                .aliases
                .iter()
                .chain(&record.upstream)
                .filter(|a| **a != record.id)
                .cloned()
                .collect();
            a.sort();
            a.dedup();
            aliases.insert(id, a);
        }
        let mut out: Vec<ProductFinding> = raw
            .into_iter()
            .filter(|r| {
                let Some(min) = query.min_severity else {
                    return true;
                };
                r.malicious
                    || r.severity
                        .as_deref()
                        .and_then(Level::from_name)
                        .is_some_and(|l| l >= min)
            })
            .map(|r| {
                let a = aliases.get(&r.advisory_id).cloned().unwrap_or_default();
                ProductFinding {
                    product: r.product,
                    version: r.version,
                    package: r.package,
                    advisory: r.advisory,
                    aliases: a,
                    summary: r.summary,
                    severity: r.severity,
                    score: r.score,
                    fixed_in: serde_json::from_str(&r.fixed_in).unwrap_or_default(),
                    malicious: r.malicious,
                    informational: r.informational,
                    via: r.via,
                    first_seen: time::format_micros(r.first_seen),
                    last_seen: time::format_micros(r.last_seen),
                    vex: None,
                    known_exploited: false,
                    epss: None,
                    epss_percentile: None,
                }
            })
            .collect();
        let mut identifiers: Vec<String> =
            out.iter().flat_map(ProductFinding::identifiers).collect();
        identifiers.sort();
        identifiers.dedup();
        let statements = self.vex_statements(&identifiers)?;
        if !statements.is_empty() {
            for f in &mut out {
                f.vex = statements.verdict(&f.product, &f.version, &f.package, &f.identifiers());
            }
        }
        let data = self.enrichment(&identifiers)?;
        let ids: Vec<Vec<String>> = out.iter().map(ProductFinding::identifiers).collect();
        enrich(
            out.iter_mut().zip(&ids).map(|(f, ids)| {
                (
                    ids.as_slice(),
                    &mut f.known_exploited,
                    &mut f.epss,
                    &mut f.epss_percentile,
                )
            }),
            &data,
        );
        if !query.include_suppressed {
            out.retain(|f| !f.suppressed());
        }
        out.sort_by(|a, b| {
            (&a.product, &a.version, &a.package, &a.advisory).cmp(&(
                &b.product,
                &b.version,
                &b.package,
                &b.advisory,
            ))
        });
        out.dedup_by(|a, b| {
            (&a.product, &a.version, &a.package, &a.advisory)
                == (&b.product, &b.version, &b.package, &b.advisory)
        });
        Ok(out)
    }
}

/// The query behind [`Store::findings`], written once: `$1` the `as_of` time, then the
/// product name and version when the query names them (conditions are left out rather
/// than written `$2 IS NULL OR …`, which would keep the planner from the indexes). SQLite
/// reads `$N` as `?N`.
pub(crate) fn findings_sql(query: &FindingQuery, dialect: crate::schema::Dialect) -> String {
    let mut conditions = String::new();
    let mut n = 1;
    if query.product.is_some() {
        n += 1;
        let _ = write!(conditions, " AND p.name = ${n}");
    }
    if query.version.is_some() {
        n += 1;
        let _ = write!(conditions, " AND pv.version = ${n}");
    }
    if query.advisories.is_some() {
        n += 1;
        // Bound as one value: a JSON array for SQLite, a text array for PostgreSQL.
        let _ = match dialect {
            crate::schema::Dialect::Sqlite => write!(
                conditions,
                " AND a.osv_id IN (SELECT value FROM json_each(${n}))"
            ),
            crate::schema::Dialect::Postgres => {
                write!(conditions, " AND a.osv_id = ANY(${n})")
            }
        };
    }
    format!(
        "SELECT DISTINCT p.name, pv.version, pk.purl, a.id, a.osv_id, a.severity, a.score,
                a.malicious, a.summary, f.via, f.fixed_in, f.informational, f.first_seen,
                f.last_seen
         FROM findings f
         JOIN advisories a ON a.id = f.advisory_id
         JOIN packages pk ON pk.id = f.package_id
         JOIN occurrences o ON o.package_id = f.package_id
         JOIN documents d ON d.id = o.document_id
         JOIN product_versions pv ON pv.id = d.product_version_id
         JOIN products p ON p.id = pv.product_id
         WHERE f.resolved_at IS NULL AND a.withdrawn = 0{conditions}
           AND {}",
        crate::query::current("$1")
    )
}

/// The findings as a SARIF 2.1.0 log: one rule per advisory, one result per product
/// version and package.
pub fn findings_sarif(rows: &[ProductFinding]) -> serde_json::Value {
    use chainwatch_advisory::sarif;
    let mut rules = sarif::AdvisoryRules::default();
    let mut results = Vec::new();
    for f in rows {
        let idx = rules.index(&f.advisory, f.summary.as_deref(), &f.aliases, f.score);
        let level = f
            .severity
            .as_deref()
            .and_then(chainwatch_advisory::Level::from_name);
        results.push(serde_json::json!({
            "ruleId": f.advisory,
            "ruleIndex": idx,
            "level": sarif::level(f.malicious, level),
            "message": {"text": format!("{}@{} contains {}, affected by {}", f.product, f.version, f.package, f.advisory)},
            "locations": [{"logicalLocations": [{"name": format!("{}@{}", f.product, f.version), "fullyQualifiedName": format!("{}@{}/{}", f.product, f.version, f.package), "kind": "module"}]}],
            "properties": {"firstSeen": f.first_seen, "lastSeen": f.last_seen, "fixedIn": f.fixed_in},
        }));
    }
    sarif::log(&rules.rules, &results)
}
