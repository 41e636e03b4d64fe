//! Package content audits (migration 17: `package_audits`): the latest `chainwatch audit
//! package --record` result per package version, keyed like `packages` by the name
//! identity (a purl without version) and the version, so that policies (`suspicious`),
//! queries and the console see what a package contains wherever the portfolio holds it.

use std::collections::HashMap;

use chainwatch_purl::Purl;
use serde::Serialize;

use crate::db::{Db, args};
use crate::{Result, Store, StoreError};

/// One package version's audit, to record.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// The package version (`pkg:npm/x@1.0.0`): its name identity and version are the key.
    pub purl: Purl,
    /// The worst severity found (`low` … `critical`), `None` when nothing was.
    pub worst: Option<String>,
    /// The findings, as `audit package --format json` writes them.
    pub findings: serde_json::Value,
    /// How many files were read.
    pub files: i64,
    /// What was read (the archive or directory, as given).
    pub source: String,
}

/// A recorded audit, with the product versions whose current inventory holds the package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAudit {
    pub purl: String,
    pub worst: Option<String>,
    pub findings: serde_json::Value,
    pub files: i64,
    pub source: String,
    /// When it was recorded (RFC 3339).
    pub audited_at: String,
    /// The product versions whose current inventory holds it.
    pub products: Vec<AuditHolder>,
}

impl StoredAudit {
    /// A key that sorts audits as [`Store::audits`] answers (most serious first, then by
    /// purl) and names each once: for pages.
    pub fn page_key(&self) -> String {
        let rank = rank(self.worst.as_deref()).map_or(0, |r| r + 1);
        format!("{}\u{0}{}", SEVERITIES.len() - rank, self.purl)
    }
}

/// A product version holding an audited package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditHolder {
    pub product: String,
    pub version: String,
}

/// The severities in order, for `worst` comparisons.
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

fn rank(severity: Option<&str>) -> Option<usize> {
    severity.and_then(|s| SEVERITIES.iter().position(|x| *x == s))
}

impl Store {
    /// Records (or replaces) the audits of package versions, in one transaction.
    pub fn record_audits(&self, records: &[AuditRecord]) -> Result<usize> {
        for r in records {
            if r.purl.version().is_none() {
                return Err(StoreError::InvalidQuery(format!(
                    "audit of `{}`: a package version is needed",
                    r.purl.canonical()
                )));
            }
            if r.worst.is_some() && rank(r.worst.as_deref()).is_none() {
                return Err(StoreError::InvalidQuery(format!(
                    "audit of `{}`: severity `{}`",
                    r.purl.canonical(),
                    r.worst.as_deref().unwrap_or_default()
                )));
            }
        }
        let now = crate::time::now_micros();
        self.write(|db| {
            for r in records {
                let name = r.purl.package_name().canonical();
                let findings = serde_json::to_string(&r.findings)
                    .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
                db.execute(
                    "INSERT INTO package_audits
                         (name, version, purl, worst, findings, files, source, audited_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (name, version) DO UPDATE SET purl = excluded.purl,
                         worst = excluded.worst, findings = excluded.findings,
                         files = excluded.files, source = excluded.source,
                         audited_at = excluded.audited_at",
                    &args![
                        name.as_str(),
                        r.purl.version().unwrap_or_default(),
                        r.purl.canonical(),
                        r.worst.as_deref(),
                        findings.as_str(),
                        r.files,
                        r.source.as_str(),
                        now
                    ],
                )?;
            }
            Ok(records.len())
        })
    }

    /// The recorded audits whose worst finding is at least `min` (all of them, clean ones
    /// included, when `None`), most serious first, each with the product versions whose
    /// current inventory holds the package; with `held_by`, only the audits of packages
    /// that product version holds.
    pub fn audits(
        &self,
        min: Option<&str>,
        held_by: Option<(&str, &str)>,
    ) -> Result<Vec<StoredAudit>> {
        let floor = match min {
            Some(m) => Some(
                rank(Some(m)).ok_or_else(|| StoreError::InvalidQuery(format!("severity `{m}`")))?,
            ),
            None => None,
        };
        let (rows, holders) = self.read(|db| {
            let rows = db.query(
                "SELECT name, version, purl, worst, findings, files, source, audited_at
                 FROM package_audits",
                &[],
                |r| {
                    Ok((
                        (r.get::<String>(0)?, r.get::<String>(1)?),
                        r.get::<String>(2)?,
                        r.get::<Option<String>>(3)?,
                        r.get::<String>(4)?,
                        r.get::<i64>(5)?,
                        r.get::<String>(6)?,
                        r.get::<i64>(7)?,
                    ))
                },
            )?;
            // Every holder at once: the current inventories holding an audited version.
            let holders = db.query(
                "SELECT DISTINCT a.name, a.version, pr.name, pv.version
                 FROM package_audits a
                 JOIN packages p ON p.name = a.name AND p.version = a.version
                 JOIN occurrences o ON o.package_id = p.id
                 JOIN product_versions pv ON pv.current_document_id = o.document_id
                 JOIN products pr ON pr.id = pv.product_id",
                &[],
                |r| {
                    Ok((
                        (r.get::<String>(0)?, r.get::<String>(1)?),
                        AuditHolder {
                            product: r.get(2)?,
                            version: r.get(3)?,
                        },
                    ))
                },
            )?;
            Ok((rows, holders))
        })?;
        let mut held: HashMap<(String, String), Vec<AuditHolder>> = HashMap::new();
        for (key, holder) in holders {
            held.entry(key).or_default().push(holder);
        }
        let mut out = Vec::new();
        for (key, purl, worst, findings, files, source, at) in rows {
            if floor.is_some() && rank(worst.as_deref()) < floor {
                continue;
            }
            let mut products = held.remove(&key).unwrap_or_default();
            if let Some((product, version)) = held_by
                && !products
                    .iter()
                    .any(|h| h.product == product && h.version == version)
            {
                continue;
            }
            products.sort_by(|a, b| {
                (a.product.as_bytes(), a.version.as_bytes())
                    .cmp(&(b.product.as_bytes(), b.version.as_bytes()))
            });
            out.push(StoredAudit {
                purl,
                worst,
                findings: serde_json::from_str(&findings)
                    .map_err(|e| StoreError::Corrupt(format!("audit findings: {e}")))?,
                files,
                source,
                audited_at: crate::time::format_micros(at),
                products,
            });
        }
        out.sort_by_cached_key(StoredAudit::page_key);
        Ok(out)
    }
}

/// The worst audit severity of each stored package that has a recorded audit with
/// findings, by package id (for policy evaluation).
pub(crate) fn worst_by_package(db: &mut Db<'_>) -> Result<HashMap<i64, String>> {
    let rows = db.query(
        "SELECT p.id, a.worst FROM package_audits a
         JOIN packages p ON p.name = a.name AND p.version = a.version
         WHERE a.worst IS NOT NULL",
        &[],
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
    )?;
    Ok(rows.into_iter().collect())
}

impl Store {
    /// The recorded content audits that found something, as findings of the product
    /// versions whose current inventory holds the package: one per package and product
    /// version, at the audit's worst severity, named `content-audit:RULE` after its most
    /// serious rule, `via` `content`. Filtered like [`Store::findings`] by product,
    /// version and severity; none for a query `as_of` a past time (audits keep no
    /// history) or for given advisories.
    pub fn content_findings(
        &self,
        query: &crate::FindingQuery,
    ) -> Result<Vec<crate::ProductFinding>> {
        if query.as_of.is_some() || query.advisories.is_some() {
            return Ok(Vec::new());
        }
        let min = query.min_severity.map(|l| match l {
            chainwatch_advisory::Level::None | chainwatch_advisory::Level::Low => "low",
            chainwatch_advisory::Level::Medium => "medium",
            chainwatch_advisory::Level::High => "high",
            chainwatch_advisory::Level::Critical => "critical",
        });
        let mut out = Vec::new();
        for audit in self.audits(Some(min.unwrap_or("low")), None)? {
            let Some(worst) = audit.worst.clone() else {
                continue;
            };
            let list = audit
                .findings
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            // The most serious finding names the row (the list is most serious first;
            // the first of the worst severity is taken either way).
            let top = list
                .iter()
                .find(|f| f["severity"].as_str() == Some(worst.as_str()))
                .or_else(|| list.first());
            let rule = top.and_then(|f| f["rule"].as_str()).unwrap_or("finding");
            let summary = match (top.and_then(|f| f["message"].as_str()), list.len()) {
                (Some(m), 1) => m.to_owned(),
                (Some(m), n) => format!("{m} (and {} more content findings)", n - 1),
                (None, n) => format!("{n} content findings"),
            };
            for holder in &audit.products {
                if query.product.as_ref().is_some_and(|p| *p != holder.product)
                    || query.version.as_ref().is_some_and(|v| *v != holder.version)
                {
                    continue;
                }
                out.push(crate::ProductFinding {
                    product: holder.product.clone(),
                    version: holder.version.clone(),
                    package: audit.purl.clone(),
                    advisory: format!("content-audit:{rule}"),
                    aliases: Vec::new(),
                    summary: Some(summary.clone()),
                    severity: Some(worst.clone()),
                    score: None,
                    severity_from: None,
                    fixed_in: Vec::new(),
                    malicious: false,
                    informational: None,
                    via: "content".to_owned(),
                    first_seen: audit.audited_at.clone(),
                    last_seen: audit.audited_at.clone(),
                    vex: None,
                    known_exploited: false,
                    epss: None,
                    epss_percentile: None,
                });
            }
        }
        Ok(out)
    }
}
