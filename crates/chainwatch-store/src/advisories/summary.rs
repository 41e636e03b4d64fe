//! The portfolio's findings summed up, for a dashboard: counts by product and severity,
//! findings opened and resolved per day, and the few most urgent and newest findings.
//!
//! [`Store::findings`] builds every finding whole (names, purls, summaries, aliases from
//! the records); on a large portfolio that is hundreds of thousands of rows and a
//! gigabyte. A summary reads only keys and a severity per finding, takes identifiers from
//! `advisory_ids` instead of decoding records, applies VEX to the findings whose
//! advisories have statements, and builds whole findings only for the few it lists.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::db::{Db, Table};
use crate::{FindingQuery, ProductFinding, Result, Store};

const DAY: i64 = 86_400_000_000;

/// Severity levels in the order the counts keep them, most severe first.
pub const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "unknown"];

/// What to sum up.
pub struct SummaryQuery<'a> {
    /// Which products count (a token's scope).
    pub include: &'a dyn Fn(&str) -> bool,
    /// Days of the opened/resolved series, today last.
    pub days: usize,
    /// How many findings the urgent and newest lists hold at most.
    pub top: usize,
    /// Now (microseconds since the epoch).
    pub now: i64,
}

impl std::fmt::Debug for SummaryQuery<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SummaryQuery")
            .field("days", &self.days)
            .field("top", &self.top)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Open findings counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FindingCounts {
    /// Vulnerabilities (neither malicious packages nor notices) by severity, in
    /// [`LEVELS`] order.
    pub by_level: [usize; 5],
    /// Known-malicious packages.
    pub malicious: usize,
    /// Findings in CISA's Known Exploited Vulnerabilities catalog.
    pub known_exploited: usize,
    /// Informational notices (unmaintained, unsound, …).
    pub informational: usize,
}

impl FindingCounts {
    /// Vulnerabilities and malicious packages (not notices).
    pub fn open(&self) -> usize {
        self.by_level.iter().sum::<usize>() + self.malicious
    }
}

/// The findings of the current inventories, summed up.
#[derive(Debug, Clone, Default)]
pub struct FindingsSummary {
    pub total: FindingCounts,
    pub by_product: HashMap<String, FindingCounts>,
    /// Findings first seen per day, oldest first, today last.
    pub opened: Vec<usize>,
    /// Findings resolved per day: no longer matched, or decided not affected or fixed by
    /// a VEX statement made that day.
    pub resolved: Vec<usize>,
    /// Malicious and known-exploited findings, most urgent first.
    pub urgent: Vec<ProductFinding>,
    /// The newest findings.
    pub newest: Vec<ProductFinding>,
}

/// A finding as the summary reads it: keys and what is counted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key {
    pub version: i64,
    pub package: i64,
    pub advisory: i64,
    /// An index into [`LEVELS`].
    pub level: u8,
    /// The rating as read (`None`: unrated or a name no scale knows).
    pub severity: Option<chainwatch_advisory::Level>,
    /// The CVSS score (of the finding's own rating, else its advisory's).
    pub score: Option<f64>,
    pub malicious: bool,
    pub informational: bool,
    pub first_seen: i64,
}

/// Open findings of current inventories, VEX applied ([`Store::open_findings`]).
pub(crate) struct Open {
    /// Sorted by (product version, package, advisory), each once.
    pub keys: Vec<Key>,
    /// Every identifier (upper-cased) of their advisories.
    pub identifiers: HashMap<i64, Vec<String>>,
    pub exploitation: HashMap<i64, crate::Exploitation>,
    /// When VEX statements suppressed findings: their times (one per finding).
    pub suppressed_at: Vec<i64>,
}

/// A finding's severity as an index into [`LEVELS`] (anything unrated or unknown: the last).
pub fn level_index(severity: Option<&str>) -> u8 {
    match severity {
        Some("critical") => 0,
        Some("high") => 1,
        Some("medium") => 2,
        Some("low") => 3,
        _ => 4,
    }
}

/// The day slot of a time in a series of `days` ending today.
fn day_slot(now: i64, t: i64, days: usize) -> Option<usize> {
    let age = usize::try_from((now - t).div_euclid(DAY)).ok()?;
    (age < days).then(|| days - 1 - age)
}

impl Store {
    /// The findings of the current inventories of the products `query.include` accepts,
    /// summed up (the same findings as [`Store::findings`] with its default query).
    pub fn findings_summary(&self, query: &SummaryQuery<'_>) -> Result<FindingsSummary> {
        let since = query
            .now
            .saturating_sub(DAY.saturating_mul(i64::try_from(query.days).unwrap_or(i64::MAX)));
        let versions = self.read(product_versions)?;
        let allowed: HashSet<i64> = versions
            .iter()
            .filter(|(_, (product, _))| (query.include)(product))
            .map(|(id, _)| *id)
            .collect();
        let resolved = self.read(|db| resolved_since(db, since, &allowed))?;
        let mut series_resolved = vec![0usize; query.days];
        for t in resolved {
            if let Some(slot) = day_slot(query.now, t, query.days) {
                series_resolved[slot] += 1;
            }
        }
        let Open {
            keys,
            exploitation,
            suppressed_at,
            ..
        } = self.open_findings(&versions, &allowed)?;
        for at in suppressed_at {
            if let Some(slot) = day_slot(query.now, at, query.days) {
                series_resolved[slot] += 1;
            }
        }

        let mut summary = FindingsSummary {
            opened: vec![0; query.days],
            resolved: series_resolved,
            ..FindingsSummary::default()
        };
        let mut by_product: HashMap<i64, FindingCounts> = HashMap::new();
        let known = |k: &Key| {
            exploitation
                .get(&k.advisory)
                .is_some_and(|e| e.known_exploited)
        };
        for k in &keys {
            if let Some(slot) = day_slot(query.now, k.first_seen, query.days) {
                summary.opened[slot] += 1;
            }
            let counts = by_product.entry(k.version).or_default();
            if k.informational {
                counts.informational += 1;
                continue;
            }
            if k.malicious {
                counts.malicious += 1;
            } else {
                counts.by_level[usize::from(k.level)] += 1;
            }
            if known(k) {
                counts.known_exploited += 1;
            }
        }
        for (version, counts) in by_product {
            let Some((product, _)) = versions.get(&version) else {
                continue;
            };
            let entry = summary.by_product.entry(product.clone()).or_default();
            for (into, from) in [(&mut summary.total, counts), (entry, counts)] {
                for (i, n) in from.by_level.iter().enumerate() {
                    into.by_level[i] += n;
                }
                into.malicious += from.malicious;
                into.known_exploited += from.known_exploited;
                into.informational += from.informational;
            }
        }

        // The lists: most urgent (malicious, known-exploited, severity, EPSS) and newest.
        let epss = |k: &Key| {
            exploitation
                .get(&k.advisory)
                .and_then(|e| e.epss)
                .unwrap_or(0.0)
        };
        let urgency = |a: &Key, b: &Key| {
            (!a.malicious, !known(a), a.level)
                .cmp(&(!b.malicious, !known(b), b.level))
                .then_with(|| epss(b).total_cmp(&epss(a)))
        };
        let urgent = first(
            keys.iter()
                .filter(|k| !k.informational && (k.malicious || known(k)))
                .collect(),
            query.top,
            &urgency,
        );
        let newest = first(keys.iter().collect(), query.top, &|a: &Key, b: &Key| {
            b.first_seen.cmp(&a.first_seen).then_with(|| urgency(a, b))
        });
        let whole = self.whole_findings(urgent.iter().chain(&newest).copied(), &versions)?;
        let pick = |list: &[&Key]| -> Vec<ProductFinding> {
            list.iter()
                .filter_map(|k| whole.get(&(k.version, k.package, k.advisory)).cloned())
                .collect()
        };
        summary.urgent = pick(&urgent);
        summary.newest = pick(&newest);
        Ok(summary)
    }

    /// The open findings of the current inventories of the `allowed` product versions
    /// (`versions`: every product version, id → (product, version)), less those a VEX
    /// statement says are not affected or fixed, with their advisories' identifiers and
    /// exploitation.
    pub(crate) fn open_findings(
        &self,
        versions: &HashMap<i64, (String, String)>,
        allowed: &HashSet<i64>,
    ) -> Result<Open> {
        let mut open = self.all_findings(allowed)?;
        self.apply_vex(&mut open, versions)?;
        Ok(open)
    }

    /// The findings of the current inventories of the `allowed` product versions, VEX
    /// not applied, with their advisories' identifiers and exploitation.
    pub(crate) fn all_findings(&self, allowed: &HashSet<i64>) -> Result<Open> {
        let (keys, identifiers) = self.read(|db| {
            let keys = open_keys(db, allowed)?;
            let mut advisories: Vec<i64> = keys.iter().map(|k| k.advisory).collect();
            advisories.sort_unstable();
            advisories.dedup();
            Ok((keys, advisory_identifiers(db, &advisories)?))
        })?;
        let mut all_ids: Vec<String> = identifiers.values().flatten().cloned().collect();
        all_ids.sort();
        all_ids.dedup();
        let enrichment = self.enrichment(&all_ids)?;
        let exploitation: HashMap<i64, crate::Exploitation> = identifiers
            .iter()
            .map(|(a, ids)| (*a, enrichment.of(ids)))
            .collect();
        Ok(Open {
            keys,
            identifiers,
            exploitation,
            suppressed_at: Vec::new(),
        })
    }

    /// Leaves out of `open` the findings a VEX statement (imported, a triage decision or
    /// the policy's) says are not affected or fixed, noting when it said so.
    pub(crate) fn apply_vex(
        &self,
        open: &mut Open,
        versions: &HashMap<i64, (String, String)>,
    ) -> Result<()> {
        let Open {
            keys,
            identifiers,
            suppressed_at,
            ..
        } = open;
        let mut all_ids: Vec<String> = identifiers.values().flatten().cloned().collect();
        all_ids.sort();
        all_ids.dedup();
        // VEX: only the findings of advisories some statement names are looked at.
        let statements = self.vex_statements(&all_ids)?;
        if !statements.is_empty() {
            let named = statements.vulnerabilities();
            let concerned: HashSet<i64> = identifiers
                .iter()
                .filter(|(_, ids)| ids.iter().any(|i| named.contains(i)))
                .map(|(a, _)| *a)
                .collect();
            let mut packages: Vec<i64> = keys
                .iter()
                .filter(|k| concerned.contains(&k.advisory))
                .map(|k| k.package)
                .collect();
            packages.sort_unstable();
            packages.dedup();
            let purls = self.read(|db| package_purls(db, &packages))?;
            let empty = Vec::new();
            keys.retain(|k| {
                if !concerned.contains(&k.advisory) {
                    return true;
                }
                let (Some((product, version)), Some(purl)) =
                    (versions.get(&k.version), purls.get(&k.package))
                else {
                    return true;
                };
                let ids = identifiers.get(&k.advisory).unwrap_or(&empty);
                match statements.verdict_at(product, version, purl, ids) {
                    Some((verdict, at)) if verdict.status.suppresses() => {
                        suppressed_at.push(at);
                        false
                    }
                    _ => true,
                }
            });
        }
        Ok(())
    }

    /// The findings these keys name, built whole, by key.
    fn whole_findings<'k>(
        &self,
        keys: impl Iterator<Item = &'k Key>,
        versions: &HashMap<i64, (String, String)>,
    ) -> Result<HashMap<(i64, i64, i64), ProductFinding>> {
        let keys: Vec<&Key> = keys.collect();
        let mut packages: Vec<i64> = keys.iter().map(|k| k.package).collect();
        let mut advisories: Vec<i64> = keys.iter().map(|k| k.advisory).collect();
        packages.sort_unstable();
        packages.dedup();
        advisories.sort_unstable();
        advisories.dedup();
        let (purls, osv) = self.read(|db| {
            Ok((
                package_purls(db, &packages)?,
                advisory_osv_ids(db, &advisories)?,
            ))
        })?;
        let mut by_version: HashMap<i64, Vec<&Key>> = HashMap::new();
        for k in &keys {
            by_version.entry(k.version).or_default().push(k);
        }
        let mut out = HashMap::new();
        for (version, wanted) in by_version {
            let Some((product, name)) = versions.get(&version) else {
                continue;
            };
            let mut ids: Vec<String> = wanted
                .iter()
                .filter_map(|k| osv.get(&k.advisory).cloned())
                .collect();
            ids.sort();
            ids.dedup();
            let rows = self.findings(&FindingQuery {
                product: Some(product.clone()),
                version: Some(name.clone()),
                advisories: Some(ids),
                ..FindingQuery::default()
            })?;
            for k in wanted {
                let (Some(purl), Some(id)) = (purls.get(&k.package), osv.get(&k.advisory)) else {
                    continue;
                };
                if let Some(f) = rows
                    .iter()
                    .find(|f| f.package == *purl && f.advisory == *id)
                {
                    out.insert((k.version, k.package, k.advisory), f.clone());
                }
            }
        }
        Ok(out)
    }
}

/// The first `n` keys in `order`, sorted, without sorting the others.
fn first<'k>(
    mut keys: Vec<&'k Key>,
    n: usize,
    order: &dyn Fn(&Key, &Key) -> std::cmp::Ordering,
) -> Vec<&'k Key> {
    if n == 0 {
        return Vec::new();
    }
    if keys.len() > n {
        keys.select_nth_unstable_by(n - 1, |a, b| order(a, b));
        keys.truncate(n);
    }
    keys.sort_by(|a, b| order(a, b));
    keys
}

/// Every product version: id → (product name, version).
pub(crate) fn product_versions(db: &mut Db<'_>) -> Result<HashMap<i64, (String, String)>> {
    let rows = db.query(
        "SELECT pv.id, p.name, pv.version FROM product_versions pv
         JOIN products p ON p.id = pv.product_id",
        &[],
        |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))),
    )?;
    Ok(rows.into_iter().collect())
}

/// The open findings of the current inventories of these product versions, as keys (the
/// same rows as `read_findings` reads for the whole portfolio, through the current
/// document each product version keeps).
fn open_keys(db: &mut Db<'_>, allowed: &HashSet<i64>) -> Result<Vec<Key>> {
    let sql = "WITH open AS MATERIALIZED (
             SELECT f.package_id, f.advisory_id, COALESCE(f.severity, a.severity) AS severity,
                 CASE WHEN f.severity IS NULL THEN a.score ELSE f.score END AS score,
                 a.malicious, CASE WHEN f.informational IS NULL THEN 0 ELSE 1 END AS notice,
                 f.first_seen
             FROM findings f
             JOIN advisories a ON a.id = f.advisory_id
             WHERE f.resolved_at IS NULL AND a.withdrawn = 0)
         SELECT pv.id, f.package_id, f.advisory_id, f.severity, f.malicious, f.notice,
             f.first_seen, f.score
         FROM open f
         JOIN occurrences o ON o.package_id = f.package_id
         JOIN product_versions pv ON pv.current_document_id = o.document_id";
    let mut keys = Vec::new();
    db.for_each(sql, &[], &mut |r| {
        let version: i64 = r.get(0)?;
        if allowed.contains(&version) {
            let severity: Option<String> = r.get(3)?;
            let notice: i64 = r.get(5)?;
            keys.push(Key {
                version,
                package: r.get(1)?,
                advisory: r.get(2)?,
                level: level_index(severity.as_deref()),
                severity: severity
                    .as_deref()
                    .and_then(chainwatch_advisory::Level::from_name),
                malicious: r.get(4)?,
                informational: notice != 0,
                first_seen: r.get(6)?,
                score: r.get(7)?,
            });
        }
        Ok(())
    })?;
    // A package listed twice in a document is one finding (deduplicated here: a
    // `DISTINCT` costs the database seven times the query).
    keys.sort_unstable_by_key(|k| (k.version, k.package, k.advisory));
    keys.dedup_by_key(|k| (k.version, k.package, k.advisory));
    Ok(keys)
}

/// Every identifier (upper-cased) of these advisories, by advisory.
fn advisory_identifiers(db: &mut Db<'_>, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    let table = Table::new().int("id", ids.to_vec());
    let sql = format!(
        "SELECT i.advisory_id, i.identifier FROM {} JOIN advisory_ids i ON i.advisory_id = t.id",
        db.dialect().table(1, "t", &table)
    );
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    db.for_each(&sql, &[table.into()], &mut |r| {
        out.entry(r.get(0)?).or_default().push(r.get(1)?);
        Ok(())
    })?;
    Ok(out)
}

/// The times at which findings of these product versions were resolved since `since`,
/// one per (product version, package, advisory).
fn resolved_since(db: &mut Db<'_>, since: i64, allowed: &HashSet<i64>) -> Result<Vec<i64>> {
    let rows = db.query(
        // The few resolved findings first: left to itself the planner reads every
        // occurrence and looks each one's findings up.
        "WITH resolved AS MATERIALIZED (
             SELECT package_id, advisory_id, resolved_at FROM findings WHERE resolved_at >= $1)
         SELECT DISTINCT d.product_version_id, f.package_id, f.advisory_id, f.resolved_at
         FROM resolved f
         JOIN occurrences o ON o.package_id = f.package_id
         JOIN documents d ON d.id = o.document_id",
        &[since.into()],
        |r| Ok((r.get::<i64>(0)?, r.get::<i64>(3)?)),
    )?;
    Ok(rows
        .into_iter()
        .filter(|(v, _)| allowed.contains(v))
        .map(|(_, t)| t)
        .collect())
}

/// The canonical purls of these packages, by id.
pub(crate) fn package_purls(db: &mut Db<'_>, ids: &[i64]) -> Result<HashMap<i64, String>> {
    let table = Table::new().int("id", ids.to_vec());
    let sql = format!(
        "SELECT p.id, p.purl FROM {} JOIN packages p ON p.id = t.id",
        db.dialect().table(1, "t", &table)
    );
    let rows = db.query(&sql, &[table.into()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.into_iter().collect())
}

/// The OSV ids of these advisories, by row id.
pub(crate) fn advisory_osv_ids(db: &mut Db<'_>, ids: &[i64]) -> Result<HashMap<i64, String>> {
    let table = Table::new().int("id", ids.to_vec());
    let sql = format!(
        "SELECT a.id, a.osv_id FROM {} JOIN advisories a ON a.id = t.id",
        db.dialect().table(1, "t", &table)
    );
    let rows = db.query(&sql, &[table.into()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.into_iter().collect())
}
