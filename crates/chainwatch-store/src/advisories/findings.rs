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

use crate::advisories::vex::VexVerdict;
use crate::advisories::{decode, for_packages, records};
use crate::db::{Db, Table};
use crate::{Result, Store, StoreError, time};

/// Packages matched per transaction: bounds memory (the records they need are loaded
/// per chunk) and lets a killed run keep what it finished.
const CHUNK: usize = 20_000;

/// A package to match: id, canonical purl.
type PackageRef = (i64, String);

/// One finding as the matcher writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FindingRow {
    package_id: i64,
    advisory_id: i64,
    via: &'static str,
    /// JSON array.
    fixed_in: String,
    informational: Option<String>,
    /// The severity taken from an alias's record (the finding's own record has none).
    borrowed: Option<Borrowed>,
}

/// A severity taken from another record that shares an identifier with the finding's.
#[derive(Debug, Clone, PartialEq)]
struct Borrowed {
    severity: String,
    score: Option<f64>,
    from: String,
}

impl Eq for Borrowed {}

/// What one chunk of matching writes, in one transaction.
#[derive(Debug, Default)]
struct MatchWrite {
    now: i64,
    /// Packages matched for the first time, with their advisory keys.
    first_matched: Vec<(i64, Vec<(String, String)>)>,
    /// Every finding of the chunk's packages (inserted, refreshed or reopened).
    current: Vec<FindingRow>,
    /// (package, advisory) findings that no longer match.
    resolved: Vec<(i64, i64)>,
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
    /// Only findings at or above this severity (malicious packages always pass; a finding
    /// no record rates counts as high).
    pub min_severity: Option<Level>,
    /// Which documents are current (microseconds since the epoch); now when `None`.
    pub as_of: Option<i64>,
    /// Also the findings a VEX statement says are not affected or fixed.
    pub include_suppressed: bool,
    /// Only findings of these advisories (OSV ids).
    pub advisories: Option<Vec<String>>,
}

/// A stored finding as read.
#[derive(Debug, Clone)]
struct RawFinding {
    product: String,
    version: String,
    package: String,
    advisory_id: i64,
    advisory: String,
    severity: Option<String>,
    score: Option<f64>,
    malicious: bool,
    summary: Option<String>,
    via: String,
    fixed_in: String,
    informational: Option<String>,
    first_seen: i64,
    last_seen: i64,
    severity_from: Option<String>,
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
    /// The record's severity, else the highest of the records sharing an identifier
    /// with it (`severity_from` names the one).
    pub severity: Option<String>,
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity_from: Option<String>,
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
        let _matching = self
            .matching
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (changes, concerned, unmatched) = self.read(|db| {
            Ok((
                queued_changes(db)?,
                packages_concerned(db)?,
                unmatched_packages(db)?,
            ))
        })?;
        let mut todo: BTreeMap<i64, (String, bool)> = BTreeMap::new();
        for (id, purl) in concerned {
            todo.insert(id, (purl, false));
        }
        for (id, purl) in unmatched {
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
        self.write(|db| {
            clear_changes(db, &changes)?;
            // Advisory changes concern every product version's violations.
            if changes.is_empty() {
                Ok(())
            } else {
                crate::server::jobs::request_policy_evaluation(db, "advisories")
            }
        })?;
        report.new.sort();
        report.resolved.sort();
        Ok(report)
    }

    /// Forgets which packages were matched, so that the next `rematch` matches the whole
    /// portfolio again (findings keep their first-seen times).
    pub fn reset_matches(&self) -> Result<()> {
        self.write(|db| {
            db.execute("DELETE FROM matched_packages", &[])?;
            Ok(())
        })
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
        let ids: Vec<i64> = parsed.iter().map(|(id, _, _)| *id).collect();
        let (blobs, before) = self.read(|db| Ok((for_packages(db, &keys)?, active(db, &ids)?)))?;
        let mut row_of: HashMap<String, i64> = HashMap::with_capacity(blobs.len());
        let mut records = Vec::with_capacity(blobs.len());
        for (id, blob) in &blobs {
            let record = decode(blob)?;
            row_of.insert(record.id.clone(), *id);
            records.push(record);
        }
        let index = AdvisoryIndex::from_records(records);
        let before: BTreeMap<(i64, i64), String> = before
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
                    borrowed: f.severity_from.zip(f.severity).map(|(from, s)| Borrowed {
                        severity: s.level.as_str().to_owned(),
                        score: s.score,
                        from,
                    }),
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
        self.write(|db| write_matches(db, &write))
    }

    /// A value that changes whenever what [`Store::findings`] returns may have changed:
    /// a document stored, a finding opened or resolved, VEX, KEV or EPSS imported. Cheap
    /// (aggregates over keys and small tables), for caches of summaries of findings.
    pub fn findings_marker(&self) -> Result<String> {
        self.read(|db| {
            db.query_one(
                "SELECT (SELECT MAX(id) FROM documents), (SELECT MAX(id) FROM vex_documents),
                     (SELECT COUNT(*) FROM findings), (SELECT MAX(first_seen) FROM findings),
                     (SELECT MAX(resolved_at) FROM findings),
                     (SELECT MAX(imported_at) FROM kev), (SELECT MAX(imported_at) FROM epss)",
                &[],
                |r| {
                    let mut parts = Vec::with_capacity(7);
                    for i in 0..7 {
                        let v: Option<i64> = r.get(i)?;
                        parts.push(v.map_or_else(|| "-".to_owned(), |v| v.to_string()));
                    }
                    Ok(parts.join(":"))
                },
            )
        })
    }

    /// The findings in the current inventories of the portfolio's product versions.
    pub fn findings(&self, query: &FindingQuery) -> Result<Vec<ProductFinding>> {
        let (raw, blobs) = self.read(|db| {
            let raw = read_findings(db, query, query.as_of.unwrap_or(i64::MAX))?;
            let mut advisory_ids: Vec<i64> = raw.iter().map(|r| r.advisory_id).collect();
            advisory_ids.sort_unstable();
            advisory_ids.dedup();
            Ok((raw, records(db, &advisory_ids)?))
        })?;
        let mut aliases: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, blob) in blobs {
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
                // A finding no record rates is not hidden by a threshold: it counts as
                // high, as `scan --fail-on` counts it by default.
                r.malicious
                    || r.severity
                        .as_deref()
                        .and_then(Level::from_name)
                        .unwrap_or(Level::High)
                        >= min
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
                    severity_from: r.severity_from,
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
        for f in &mut out {
            let e = data.of(&f.identifiers());
            f.known_exploited = e.known_exploited;
            f.epss = e.epss;
            f.epss_percentile = e.epss_percentile;
        }
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

/// The stored findings in current inventories: `$1` the `as_of` time, then the product
/// name and version when the query names them (conditions are left out rather than
/// written `$2 IS NULL OR …`, which would keep the planner from the indexes), and the
/// advisories as a table.
fn read_findings(db: &mut Db<'_>, query: &FindingQuery, as_of: i64) -> Result<Vec<RawFinding>> {
    let mut conditions = String::new();
    let mut params = vec![as_of.into()];
    if let Some(p) = &query.product {
        params.push(p.into());
        let _ = write!(conditions, " AND p.name = ${}", params.len());
    }
    if let Some(v) = &query.version {
        params.push(v.into());
        let _ = write!(conditions, " AND pv.version = ${}", params.len());
    }
    if let Some(a) = &query.advisories {
        let table = Table::new().text("osv_id", a.iter().map(String::as_str).collect());
        let _ = write!(
            conditions,
            " AND a.osv_id IN (SELECT w.osv_id FROM {})",
            db.dialect().table(params.len() + 1, "w", &table)
        );
        params.push(table.into());
    }
    let sql = if query.product.is_none() && query.advisories.is_none() {
        // The whole portfolio: the open findings first (a few per package), then where
        // their packages occur. Left to itself the planner starts from the documents and
        // reads every advisory for each (minutes on 10,000 documents and 300,000
        // advisories, against seconds this way).
        format!(
            "WITH open AS MATERIALIZED (
                 SELECT f.package_id, f.advisory_id, f.severity, f.score, f.via, f.fixed_in,
                     f.informational, f.first_seen, f.last_seen, f.severity_from, a.osv_id,
                     a.severity AS advisory_severity, a.score AS advisory_score, a.malicious,
                     a.summary
                 FROM findings f
                 JOIN advisories a ON a.id = f.advisory_id
                 WHERE f.resolved_at IS NULL AND a.withdrawn = 0)
             SELECT DISTINCT p.name, pv.version, pk.purl, f.advisory_id, f.osv_id,
                 COALESCE(f.severity, f.advisory_severity),
                 CASE WHEN f.severity IS NULL THEN f.advisory_score ELSE f.score END,
                 f.malicious, f.summary, f.via, f.fixed_in, f.informational, f.first_seen,
                 f.last_seen, f.severity_from
             FROM open f
             JOIN packages pk ON pk.id = f.package_id
             JOIN occurrences o ON o.package_id = f.package_id
             JOIN documents d ON d.id = o.document_id
             JOIN product_versions pv ON pv.id = d.product_version_id
             JOIN products p ON p.id = pv.product_id
             WHERE true{conditions} AND {}",
            crate::portfolio::current("$1")
        )
    } else {
        format!(
            "SELECT DISTINCT p.name, pv.version, pk.purl, a.id, a.osv_id,
                COALESCE(f.severity, a.severity),
                CASE WHEN f.severity IS NULL THEN a.score ELSE f.score END,
                a.malicious, a.summary, f.via, f.fixed_in, f.informational, f.first_seen,
                f.last_seen, f.severity_from
         FROM findings f
         JOIN advisories a ON a.id = f.advisory_id
         JOIN packages pk ON pk.id = f.package_id
         JOIN occurrences o ON o.package_id = f.package_id
         JOIN documents d ON d.id = o.document_id
         JOIN product_versions pv ON pv.id = d.product_version_id
         JOIN products p ON p.id = pv.product_id
         WHERE f.resolved_at IS NULL AND a.withdrawn = 0{conditions}
           AND {}",
            crate::portfolio::current("$1")
        )
    };
    db.query(&sql, &params, |r| {
        Ok(RawFinding {
            product: r.get(0)?,
            version: r.get(1)?,
            package: r.get(2)?,
            advisory_id: r.get(3)?,
            advisory: r.get(4)?,
            severity: r.get(5)?,
            score: r.get(6)?,
            malicious: r.get(7)?,
            summary: r.get(8)?,
            via: r.get(9)?,
            fixed_in: r.get(10)?,
            informational: r.get(11)?,
            first_seen: r.get(12)?,
            last_seen: r.get(13)?,
            severity_from: r.get(14)?,
        })
    })
}

/// Queued advisory changes: (advisory row id, changed at).
fn queued_changes(db: &mut Db<'_>) -> Result<Vec<(i64, i64)>> {
    db.query(
        "SELECT advisory_id, changed_at FROM advisory_changes",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Matched packages that queued advisory changes concern: by their advisory keys, or
/// through an active finding for a changed advisory.
fn packages_concerned(db: &mut Db<'_>) -> Result<Vec<PackageRef>> {
    db.query(
        "SELECT pk.package_id, p.purl
         FROM advisory_changes c
         JOIN advisory_packages ap ON ap.advisory_id = c.advisory_id
         JOIN package_keys pk ON pk.ecosystem = ap.ecosystem AND pk.name = ap.name
         JOIN packages p ON p.id = pk.package_id
         UNION
         SELECT f.package_id, p.purl
         FROM advisory_changes c
         JOIN findings f ON f.advisory_id = c.advisory_id AND f.resolved_at IS NULL
         JOIN packages p ON p.id = f.package_id",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Packages never matched.
fn unmatched_packages(db: &mut Db<'_>) -> Result<Vec<PackageRef>> {
    db.query(
        "SELECT p.id, p.purl FROM packages p
         WHERE NOT EXISTS (SELECT 1 FROM matched_packages m WHERE m.package_id = p.id)",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Whether `rematch` has work: queued advisory changes or packages never matched.
pub(crate) fn has_pending_matches(db: &mut Db<'_>) -> Result<bool> {
    db.value(
        "SELECT EXISTS (SELECT 1 FROM advisory_changes)
             OR EXISTS (SELECT 1 FROM packages p WHERE NOT EXISTS
                 (SELECT 1 FROM matched_packages m WHERE m.package_id = p.id))",
        &[],
    )
}

/// (package, advisory row id, OSV id) of the active findings of these packages.
fn active(db: &mut Db<'_>, packages: &[i64]) -> Result<Vec<(i64, i64, String)>> {
    let table = Table::new().int("id", packages.to_vec());
    let sql = format!(
        "SELECT f.package_id, f.advisory_id, a.osv_id
         FROM (SELECT DISTINCT t.id FROM {}) u
         JOIN findings f ON f.package_id = u.id
         JOIN advisories a ON a.id = f.advisory_id
         WHERE f.resolved_at IS NULL",
        db.dialect().table(1, "t", &table)
    );
    db.query(&sql, &[table.into()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
}

/// Writes one chunk of matching. Rows go in key order, so that concurrent matchers wait
/// for each other instead of deadlocking.
fn write_matches(db: &mut Db<'_>, write: &MatchWrite) -> Result<()> {
    let mut keys: Vec<(&str, &str, i64)> = write
        .first_matched
        .iter()
        .flat_map(|(p, keys)| keys.iter().map(move |(e, n)| (e.as_str(), n.as_str(), *p)))
        .collect();
    keys.sort_unstable();
    let table = Table::new()
        .text("ecosystem", keys.iter().map(|k| k.0).collect())
        .text("name", keys.iter().map(|k| k.1).collect())
        .int("package_id", keys.iter().map(|k| k.2).collect());
    let sql = format!(
        "INSERT INTO package_keys (ecosystem, name, package_id)
         SELECT t.ecosystem, t.name, t.package_id FROM {} WHERE true ON CONFLICT DO NOTHING",
        db.dialect().table(1, "t", &table)
    );
    db.execute(&sql, &[table.into()])?;

    let mut matched: Vec<i64> = write.first_matched.iter().map(|(p, _)| *p).collect();
    matched.sort_unstable();
    let table = Table::new().int("package_id", matched);
    let sql = format!(
        "INSERT INTO matched_packages (package_id, matched_at)
         SELECT t.package_id, $1 FROM {} WHERE true
         ON CONFLICT (package_id) DO UPDATE SET matched_at = excluded.matched_at",
        db.dialect().table(2, "t", &table)
    );
    db.execute(&sql, &[write.now.into(), table.into()])?;

    let mut current: Vec<&FindingRow> = write.current.iter().collect();
    current.sort_by_key(|f| (f.package_id, f.advisory_id));
    let table = Table::new()
        .int("package_id", current.iter().map(|f| f.package_id).collect())
        .int(
            "advisory_id",
            current.iter().map(|f| f.advisory_id).collect(),
        )
        .text("via", current.iter().map(|f| f.via).collect())
        .text(
            "fixed_in",
            current.iter().map(|f| f.fixed_in.as_str()).collect(),
        )
        .opt_text(
            "informational",
            current.iter().map(|f| f.informational.as_deref()).collect(),
        )
        .opt_text(
            "severity",
            current
                .iter()
                .map(|f| f.borrowed.as_ref().map(|b| b.severity.as_str()))
                .collect(),
        )
        .real(
            "score",
            current
                .iter()
                .map(|f| f.borrowed.as_ref().and_then(|b| b.score))
                .collect(),
        )
        .opt_text(
            "severity_from",
            current
                .iter()
                .map(|f| f.borrowed.as_ref().map(|b| b.from.as_str()))
                .collect(),
        );
    let sql = format!(
        "INSERT INTO findings (package_id, advisory_id, via, fixed_in, informational,
             severity, score, severity_from, first_seen, last_seen, resolved_at)
         SELECT t.package_id, t.advisory_id, t.via, t.fixed_in, t.informational,
             t.severity, t.score, t.severity_from, $1, $1, NULL
         FROM {} WHERE true
         ON CONFLICT (package_id, advisory_id) DO UPDATE SET via = excluded.via,
             fixed_in = excluded.fixed_in, informational = excluded.informational,
             severity = excluded.severity, score = excluded.score,
             severity_from = excluded.severity_from,
             last_seen = excluded.last_seen, resolved_at = NULL",
        db.dialect().table(2, "t", &table)
    );
    db.execute(&sql, &[write.now.into(), table.into()])?;

    let mut resolved = write.resolved.clone();
    resolved.sort_unstable();
    let table = Table::new()
        .int("package_id", resolved.iter().map(|r| r.0).collect())
        .int("advisory_id", resolved.iter().map(|r| r.1).collect());
    let sql = format!(
        "UPDATE findings SET resolved_at = $1
         WHERE resolved_at IS NULL
           AND (package_id, advisory_id) IN (SELECT t.package_id, t.advisory_id FROM {})",
        db.dialect().table(2, "t", &table)
    );
    db.execute(&sql, &[write.now.into(), table.into()])?;
    Ok(())
}

/// Removes handled changes; a change queued again since (a newer `changed_at`) stays.
fn clear_changes(db: &mut Db<'_>, changes: &[(i64, i64)]) -> Result<()> {
    let table = Table::new()
        .int("advisory_id", changes.iter().map(|c| c.0).collect())
        .int("changed_at", changes.iter().map(|c| c.1).collect());
    let sql = format!(
        "DELETE FROM advisory_changes
         WHERE (advisory_id, changed_at) IN (SELECT t.advisory_id, t.changed_at FROM {})",
        db.dialect().table(1, "t", &table)
    );
    db.execute(&sql, &[table.into()])?;
    Ok(())
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
