//! Vulnerability policies in the store: the decisions the active policy's `[[analysis]]`
//! entries make on findings, kept as VEX statements by the policy.
//!
//! They are computed from every finding of the versions evaluated, VEX not applied (a
//! decision must not depend on decisions, or it would come and go), and recorded per
//! (product version, package, advisory) with the time the same decision was first made:
//! that time places it among the other statements, so a later triage decision or VEX
//! document overrides it and an earlier one is overridden. A decision whose window ends
//! stops applying at once (statements are read with `until_at > now`); one that no longer
//! holds (the entry changed or went, the finding resolved) is removed at the next
//! evaluation.

use std::collections::{HashMap, HashSet};

use chainwatch_policy::{Component, Finding, Policy};
use chainwatch_purl::Purl;

use crate::advisories::summary::{Key, Open};
use crate::db::{Db, Table};
use crate::{Result, StoreError};

/// What the rules and analyses see of a finding.
pub(super) fn finding_of(
    k: &Key,
    open: Option<&Open>,
    osv: &HashMap<i64, String>,
    cwes: &HashMap<i64, Vec<String>>,
) -> Finding {
    let identifiers = open
        .and_then(|o| o.identifiers.get(&k.advisory))
        .map_or(&[][..], Vec::as_slice);
    let advisory = osv.get(&k.advisory).cloned().unwrap_or_default();
    let exploitation = open
        .and_then(|o| o.exploitation.get(&k.advisory))
        .copied()
        .unwrap_or_default();
    Finding {
        aliases: identifiers
            .iter()
            .filter(|i| !i.eq_ignore_ascii_case(&advisory))
            .cloned()
            .collect(),
        advisory,
        severity: k.severity,
        score: k.score,
        epss: exploitation.epss,
        known_exploited: exploitation.known_exploited,
        malicious: k.malicious,
        cwes: cwes.get(&k.advisory).cloned().unwrap_or_default(),
    }
}

/// What the evaluation read of the findings: every finding of the versions evaluated
/// (VEX not applied), the purls of their packages, their advisories' OSV ids and CWEs.
pub(super) struct Facts<'a> {
    pub open: Option<&'a Open>,
    pub purls: &'a HashMap<i64, Option<Purl>>,
    pub osv: &'a HashMap<i64, String>,
    pub cwes: &'a HashMap<i64, Vec<String>>,
}

/// A decision of the policy on one finding.
pub(super) struct Decision {
    version: i64,
    package: i64,
    advisory: i64,
    /// The analysis (an index into the policy's).
    analysis: usize,
}

/// What the analyses of the policy decide at `now` on the findings of `facts`, for the
/// versions with analyses in scope (`scope_of`: version → an index into `scopes`).
pub(super) fn decide(
    policy: &Policy,
    scopes: &[Vec<usize>],
    scope_of: &HashMap<i64, usize>,
    facts: &Facts<'_>,
    now: i64,
) -> Vec<Decision> {
    let Facts {
        open,
        purls,
        osv,
        cwes,
    } = *facts;
    let Some(open) = open else {
        return Vec::new();
    };
    // The same package and advisory decide alike under the same analyses.
    let mut memo: HashMap<(usize, i64, i64), Option<usize>> = HashMap::new();
    let mut out = Vec::new();
    for k in &open.keys {
        let Some(&scope) = scope_of.get(&k.version) else {
            continue;
        };
        let decided = *memo
            .entry((scope, k.package, k.advisory))
            .or_insert_with(|| {
                let purl = purls.get(&k.package).cloned().flatten();
                let component = Component {
                    name: purl
                        .as_ref()
                        .map(|p| p.name().to_owned())
                        .unwrap_or_default(),
                    version: purl.as_ref().and_then(|p| p.version().map(str::to_owned)),
                    purl,
                    ..Component::default()
                };
                let finding = finding_of(k, Some(open), osv, cwes);
                policy.deciding(scopes.get(scope)?, &component, &finding, now)
            });
        if let Some(analysis) = decided {
            out.push(Decision {
                version: k.version,
                package: k.package,
                advisory: k.advisory,
                analysis,
            });
        }
    }
    out
}

/// What recording the decisions changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnalysesOutcome {
    /// Decisions made or changed now.
    pub made: usize,
    /// Decisions that no longer hold, removed.
    pub withdrawn: usize,
    /// Decisions that hold for the versions evaluated.
    pub holding: usize,
}

/// Records the decisions for the product versions `selected`: new or changed ones with
/// the time now, those that no longer hold removed.
pub(super) fn record(
    db: &mut Db<'_>,
    policy: &Policy,
    selected: &[i64],
    decisions: &[Decision],
    facts: &Facts<'_>,
    versions: &HashMap<i64, (String, String)>,
    now: i64,
) -> Result<AnalysesOutcome> {
    let Facts {
        open,
        purls,
        osv,
        cwes,
    } = *facts;
    let mut sql = String::from(
        "SELECT product_version_id, package_id, advisory_id, fingerprint FROM policy_analyses",
    );
    let mut params: Vec<crate::db::Value<'_>> = Vec::new();
    if let [one] = selected {
        sql.push_str(" WHERE product_version_id = $1");
        params.push((*one).into());
    }
    let existing: HashMap<(i64, i64, i64), String> = db
        .query(&sql, &params, |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?))
        })?
        .into_iter()
        .collect();
    let selected: HashSet<i64> = selected.iter().copied().collect();
    let wanted: HashSet<(i64, i64, i64)> = decisions
        .iter()
        .map(|d| (d.version, d.package, d.advisory))
        .collect();
    let fingerprints: Vec<String> = policy
        .analyses
        .iter()
        .map(chainwatch_policy::Analysis::fingerprint)
        .collect();

    // New and changed decisions.
    let key_of: HashMap<(i64, i64, i64), &Key> = open
        .map_or(&[][..], |o| o.keys.as_slice())
        .iter()
        .map(|k| ((k.version, k.package, k.advisory), k))
        .collect();
    let mut rows: Vec<(i64, i64, i64, &str, &str, String, i64)> = Vec::new();
    for d in decisions {
        let (Some(analysis), Some(fingerprint)) = (
            policy.analyses.get(d.analysis),
            fingerprints.get(d.analysis),
        ) else {
            continue;
        };
        let id = (d.version, d.package, d.advisory);
        if existing.get(&id) == Some(fingerprint) {
            continue;
        }
        let (Some((product, version)), Some(key)) = (versions.get(&d.version), key_of.get(&id))
        else {
            continue;
        };
        let finding = finding_of(key, open, osv, cwes);
        let package = purls
            .get(&d.package)
            .and_then(Option::as_ref)
            .map(|p| p.canonical().to_owned())
            .unwrap_or_default();
        let statement = analysis.statement(&finding, product, version, &package, now);
        let json = serde_json::to_string(&statement).map_err(|e| {
            StoreError::Corrupt(format!("a policy decision does not serialize: {e}"))
        })?;
        rows.push((
            d.version,
            d.package,
            d.advisory,
            analysis.name.as_str(),
            fingerprint.as_str(),
            json,
            analysis.until.unwrap_or(i64::MAX),
        ));
    }
    let gone: Vec<(i64, i64, i64)> = existing
        .keys()
        .filter(|k| selected.contains(&k.0) && !wanted.contains(k))
        .copied()
        .collect();

    let dialect = db.dialect();
    if !rows.is_empty() {
        let table = Table::new()
            .int("pv", rows.iter().map(|r| r.0).collect())
            .int("package", rows.iter().map(|r| r.1).collect())
            .int("advisory", rows.iter().map(|r| r.2).collect())
            .text("rule", rows.iter().map(|r| r.3).collect())
            .text("fingerprint", rows.iter().map(|r| r.4).collect())
            .text("statement", rows.iter().map(|r| r.5.as_str()).collect())
            .int("until_at", rows.iter().map(|r| r.6).collect());
        let sql = format!(
            "INSERT INTO policy_analyses
                 (product_version_id, package_id, advisory_id, rule, fingerprint, statement,
                  issued_at, until_at)
             SELECT t.pv, t.package, t.advisory, t.rule, t.fingerprint, t.statement, $1,
                 t.until_at
             FROM {} WHERE true
             ON CONFLICT (product_version_id, package_id, advisory_id) DO UPDATE SET
                 rule = excluded.rule, fingerprint = excluded.fingerprint,
                 statement = excluded.statement, issued_at = excluded.issued_at,
                 until_at = excluded.until_at",
            dialect.table(2, "t", &table)
        );
        db.execute(&sql, &[now.into(), table.into()])?;
    }
    if !gone.is_empty() {
        let table = Table::new()
            .int("pv", gone.iter().map(|g| g.0).collect())
            .int("package", gone.iter().map(|g| g.1).collect())
            .int("advisory", gone.iter().map(|g| g.2).collect());
        let sql = format!(
            "DELETE FROM policy_analyses
             WHERE (product_version_id, package_id, advisory_id) IN
                 (SELECT t.pv, t.package, t.advisory FROM {})",
            dialect.table(1, "t", &table)
        );
        db.execute(&sql, &[table.into()])?;
    }
    Ok(AnalysesOutcome {
        made: rows.len(),
        withdrawn: gone.len(),
        holding: decisions.len(),
    })
}
