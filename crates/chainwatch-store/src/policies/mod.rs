//! Policies in the store: the active policy file (every applied version kept), product
//! tags that rule scopes name, and the violations of each product version's current
//! inventory with first and last seen (`evaluate.rs` computes and records them).

mod analyses;
mod evaluate;

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::db::{Db, args};
use crate::{Result, Store, StoreError};

pub use analyses::AnalysesOutcome;
pub use evaluate::{OPENED_LISTED, PolicyOutcome, PolicyRun};

/// An applied policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySet {
    pub id: i64,
    pub text: String,
    /// SHA-256 of the text, hex.
    pub digest: String,
    /// µs since the epoch.
    pub applied_at: i64,
    /// Who applied it (a token's name, or `cli`).
    pub applied_by: Option<String>,
}

/// A violation as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredViolation {
    pub id: i64,
    pub product: String,
    pub version: String,
    pub rule: String,
    /// `info`, `warn` or `fail`.
    pub level: String,
    pub component: String,
    pub advisory: Option<String>,
    pub reason: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub resolved_at: Option<i64>,
}

/// Which violations to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ViolationState {
    /// Those that hold now.
    #[default]
    Open,
    /// Those that no longer hold.
    Resolved,
    All,
}

/// What [`Store::violations`] lists.
#[derive(Debug, Clone, Default)]
pub struct ViolationQuery {
    pub product: Option<String>,
    pub version: Option<String>,
    pub rule: Option<String>,
    /// At or above this level.
    pub level: Option<chainwatch_policy::RuleLevel>,
    pub state: ViolationState,
}

/// Product tags as stored: trimmed, without empty ones, each once, sorted; a tag over
/// 100 characters or with control characters is refused.
pub fn clean_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.len() > 100 || t.chars().any(char::is_control) {
            return Err(StoreError::InvalidQuery(format!(
                "tag `{}`: expected at most 100 characters, no control characters",
                t.escape_debug()
            )));
        }
        out.push(t.to_owned());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The active policy set, if any.
pub(crate) fn active(db: &mut Db<'_>) -> Result<Option<PolicySet>> {
    let row = db.query_opt(
        "SELECT id, text, digest, applied_at, applied_by FROM policy_sets
         ORDER BY id DESC LIMIT 1",
        &[],
        |r| {
            Ok(PolicySet {
                id: r.get(0)?,
                text: r.get(1)?,
                digest: r.get(2)?,
                applied_at: r.get(3)?,
                applied_by: r.get(4)?,
            })
        },
    )?;
    Ok(row.filter(|p| !p.text.is_empty()))
}

/// Every product's tags, by product name.
pub(crate) fn tags(db: &mut Db<'_>) -> Result<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    db.for_each(
        "SELECT p.name, t.tag FROM product_tags t JOIN products p ON p.id = t.product_id
         ORDER BY p.name, t.tag",
        &[],
        &mut |r| {
            out.entry(r.get(0)?).or_default().push(r.get(1)?);
            Ok(())
        },
    )?;
    Ok(out)
}

impl Store {
    /// The active policy file, if one is applied.
    pub fn policy(&self) -> Result<Option<PolicySet>> {
        self.read(active)
    }

    /// Whether an evaluation without a policy would change something: a violation holds
    /// or a vulnerability policy's decision is recorded.
    pub fn policy_results_held(&self) -> Result<bool> {
        self.read(|db| {
            let violation: Option<i64> = db.query_opt(
                "SELECT id FROM policy_violations WHERE resolved_at IS NULL LIMIT 1",
                &[],
                |r| r.get(0),
            )?;
            let decision: Option<i64> = db.query_opt(
                "SELECT product_version_id FROM policy_analyses LIMIT 1",
                &[],
                |r| r.get(0),
            )?;
            Ok(violation.is_some() || decision.is_some())
        })
    }

    /// How many findings each vulnerability policy (`[[analysis]]`, by name) decides now,
    /// by product: (product, analysis, findings).
    pub fn policy_decision_counts(&self) -> Result<Vec<(String, String, u64)>> {
        let now = crate::now_micros();
        self.read(|db| {
            db.query(
                "SELECT p.name, a.rule, COUNT(*) FROM policy_analyses a
                 JOIN product_versions pv ON pv.id = a.product_version_id
                 JOIN products p ON p.id = pv.product_id
                 WHERE a.until_at > $1 GROUP BY p.name, a.rule",
                &args![now],
                |r| {
                    Ok((
                        r.get::<String>(0)?,
                        r.get::<String>(1)?,
                        u64::try_from(r.get::<i64>(2)?).unwrap_or(0),
                    ))
                },
            )
        })
    }

    /// Applies a policy file (checked first: an unusable one changes nothing); an empty
    /// text removes the active policy. Violations are recorded by the next
    /// [`Store::evaluate_policy`].
    pub fn set_policy(&self, text: &str, by: Option<&str>) -> Result<Option<PolicySet>> {
        if !text.trim().is_empty() {
            chainwatch_policy::Policy::parse(text).map_err(StoreError::InvalidPolicy)?;
        }
        let text = if text.trim().is_empty() { "" } else { text };
        let digest = crate::digest_hex(text.as_bytes());
        let now = crate::now_micros();
        let text = crate::db::clean(text);
        self.write(|db| {
            db.execute(
                "INSERT INTO policy_sets (text, digest, applied_at, applied_by)
                 VALUES ($1, $2, $3, $4)",
                &args![text.as_ref(), digest.as_str(), now, by],
            )?;
            active(db)
        })
    }

    /// Every product's tags, by product name.
    pub fn product_tags(&self) -> Result<HashMap<String, Vec<String>>> {
        self.read(tags)
    }

    /// Sets a product's tags (replacing those it had); the product must exist.
    pub fn set_product_tags(&self, product: &str, tags: &[String]) -> Result<Vec<String>> {
        let tags = clean_tags(tags)?;
        self.write(|db| {
            let id = product_id(db, product)?;
            db.execute("DELETE FROM product_tags WHERE product_id = $1", &args![id])?;
            for t in &tags {
                db.execute(
                    "INSERT INTO product_tags (product_id, tag) VALUES ($1, $2)",
                    &args![id, t.as_str()],
                )?;
            }
            // Scopes by tag: every rule may now apply to this product or no longer.
            crate::server::jobs::request_policy_evaluation(db, "tags")?;
            Ok(tags.clone())
        })
    }

    /// Adds tags to a product (those it has stay); the product must exist.
    pub fn add_product_tags(&self, product: &str, tags: &[String]) -> Result<()> {
        let tags = clean_tags(tags)?;
        if tags.is_empty() {
            return Ok(());
        }
        self.write(|db| {
            let id = product_id(db, product)?;
            for t in &tags {
                db.execute(
                    "INSERT INTO product_tags (product_id, tag) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &args![id, t.as_str()],
                )?;
            }
            Ok(())
        })
    }

    /// The violations `query` asks for, most severe first, then by product, version,
    /// rule and component.
    pub fn violations(&self, query: &ViolationQuery) -> Result<Vec<StoredViolation>> {
        let mut params: Vec<crate::db::Value<'_>> = Vec::new();
        let sql = format!("{SELECT} WHERE {}", filters(query, &mut params));
        let mut rows = self.read(|db| db.query(&sql, &params, |r| violation(&r)))?;
        rows.sort_by_cached_key(StoredViolation::key);
        Ok(rows)
    }

    /// How many violations in `state` each product has, by rule and level:
    /// `(product, rule, level, count)` (the figures of a portfolio view, without reading
    /// the violations).
    pub fn violation_counts(
        &self,
        state: ViolationState,
    ) -> Result<Vec<(String, String, String, u64)>> {
        let query = ViolationQuery {
            state,
            ..ViolationQuery::default()
        };
        let mut params: Vec<crate::db::Value<'_>> = Vec::new();
        let sql = format!(
            "SELECT p.name, v.rule, v.level, COUNT(*) FROM policy_violations v
             JOIN product_versions pv ON pv.id = v.product_version_id
             JOIN products p ON p.id = pv.product_id
             WHERE {} GROUP BY p.name, v.rule, v.level",
            filters(&query, &mut params)
        );
        self.read(|db| {
            db.query(&sql, &params, |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, crate::to_u64(r.get(3)?)))
            })
        })
    }

    /// A page of the violations `query` asks for, in the order an index keeps (level, then
    /// product version, rule and component: [`ViolationCursor`]), after `after`: at most
    /// `limit`, each with its cursor, and whether more follow. A page costs its own rows,
    /// however many violations there are.
    pub fn violations_page(
        &self,
        query: &ViolationQuery,
        after: Option<&ViolationCursor>,
        limit: usize,
    ) -> Result<(Vec<(ViolationCursor, StoredViolation)>, bool)> {
        let mut params: Vec<crate::db::Value<'_>> = Vec::new();
        let bytewise = self.read(|db| Ok(db.dialect().bytewise()))?;
        // Without a product, the violations' own index gives the order: SQLite is told to
        // read them first (`CROSS JOIN` fixes its join order), whatever its statistics
        // say; PostgreSQL plans an inner join either way.
        let mut sql = if query.product.is_some() {
            format!("{SELECT} WHERE {}", filters(query, &mut params))
        } else {
            format!(
                "{COLUMNS} CROSS JOIN product_versions pv CROSS JOIN products p
                 WHERE pv.id = v.product_version_id AND p.id = pv.product_id AND {}",
                filters(query, &mut params)
            )
        };
        if let Some(c) = after {
            let n = params.len();
            let _ = write!(
                sql,
                " AND (v.rank > ${a} OR (v.rank = ${a} AND (v.product_version_id > ${b}
                     OR (v.product_version_id = ${b} AND (v.rule{bytewise} > ${c}
                     OR (v.rule = ${c} AND v.component{bytewise} > ${d}))))))",
                a = n + 1,
                b = n + 2,
                c = n + 3,
                d = n + 4
            );
            params.push(c.rank.into());
            params.push(c.version_id.into());
            params.push(c.rule.as_str().into());
            params.push(c.component.as_str().into());
        }
        let _ = write!(
            sql,
            " ORDER BY v.rank, v.product_version_id, v.rule{bytewise}, v.component{bytewise} LIMIT {}",
            limit.saturating_add(1)
        );
        let mut rows = self.read(|db| {
            db.query(&sql, &params, |r| {
                Ok((
                    ViolationCursor {
                        rank: r.get(11)?,
                        version_id: r.get(12)?,
                        rule: r.get(3)?,
                        component: r.get(5)?,
                    },
                    violation(&r)?,
                ))
            })
        })?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows, more))
    }
}

/// What every violation query reads (`violation` makes the rows), from the violations.
const COLUMNS: &str = "SELECT v.id, p.name, pv.version, v.rule, v.level, v.component,
         v.advisory, v.reason, v.first_seen, v.last_seen, v.resolved_at, v.rank,
         v.product_version_id
     FROM policy_violations v";

/// [`COLUMNS`] with their products.
const SELECT: &str = "SELECT v.id, p.name, pv.version, v.rule, v.level, v.component,
         v.advisory, v.reason, v.first_seen, v.last_seen, v.resolved_at, v.rank,
         v.product_version_id
     FROM policy_violations v
     JOIN product_versions pv ON pv.id = v.product_version_id
     JOIN products p ON p.id = pv.product_id";

fn violation(r: &crate::db::Row<'_>) -> Result<StoredViolation> {
    Ok(StoredViolation {
        id: r.get(0)?,
        product: r.get(1)?,
        version: r.get(2)?,
        rule: r.get(3)?,
        level: r.get(4)?,
        component: r.get(5)?,
        advisory: r.get(6)?,
        reason: r.get(7)?,
        first_seen: r.get(8)?,
        last_seen: r.get(9)?,
        resolved_at: r.get(10)?,
    })
}

/// The conditions of `query`, its values added to `params`.
fn filters<'q>(query: &'q ViolationQuery, params: &mut Vec<crate::db::Value<'q>>) -> String {
    let mut sql = String::from(match query.state {
        ViolationState::Open => "v.resolved_at IS NULL",
        ViolationState::Resolved => "v.resolved_at IS NOT NULL",
        ViolationState::All => "1 = 1",
    });
    for (column, value) in [
        ("p.name", &query.product),
        ("pv.version", &query.version),
        ("v.rule", &query.rule),
    ] {
        if let Some(v) = value {
            params.push(v.as_str().into());
            let _ = write!(sql, " AND {column} = ${}", params.len());
        }
    }
    if let Some(min) = query.level {
        let _ = write!(sql, " AND v.rank <= {}", rank(min));
    }
    sql
}

/// A level's place in lists: `fail` 0, `warn` 1, `info` 2.
pub(crate) fn rank(level: chainwatch_policy::RuleLevel) -> i64 {
    match level {
        chainwatch_policy::RuleLevel::Fail => 0,
        chainwatch_policy::RuleLevel::Warn => 1,
        chainwatch_policy::RuleLevel::Info => 2,
    }
}

/// Where a page of violations ends ([`Store::violations_page`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViolationCursor {
    pub rank: i64,
    pub version_id: i64,
    pub rule: String,
    pub component: String,
}

impl ViolationCursor {
    /// As text (for an opaque API cursor).
    pub fn encode(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            self.rank, self.version_id, self.rule, self.component
        )
    }

    /// From [`ViolationCursor::encode`]'s text.
    pub fn decode(text: &str) -> Option<ViolationCursor> {
        let mut parts = text.splitn(4, '\u{0}');
        Some(ViolationCursor {
            rank: parts.next()?.parse().ok()?,
            version_id: parts.next()?.parse().ok()?,
            rule: parts.next()?.to_owned(),
            component: parts.next()?.to_owned(),
        })
    }
}

fn product_id(db: &mut Db<'_>, product: &str) -> Result<i64> {
    db.query_opt(
        "SELECT id FROM products WHERE name = $1",
        &args![product],
        |r| r.get(0),
    )?
    .ok_or_else(|| StoreError::NotFound(format!("no product `{product}` in the store")))
}

/// Violations as a SARIF 2.1.0 log: one rule per policy rule (`policy/NAME`), one result
/// per product version, rule and component.
pub fn violations_sarif(rows: &[StoredViolation]) -> serde_json::Value {
    use chainwatch_policy::RuleLevel;
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut results = Vec::with_capacity(rows.len());
    for v in rows {
        let level = RuleLevel::from_name(&v.level).unwrap_or(RuleLevel::Info);
        let (id, description) = chainwatch_policy::sarif_rule(&v.rule, level);
        let idx = *index.entry(v.rule.as_str()).or_insert_with(|| {
            rules.push(serde_json::json!({"id": id, "shortDescription": {"text": description}}));
            rules.len() - 1
        });
        let at = format!("{}@{}", v.product, v.version);
        results.push(serde_json::json!({
            "ruleId": id,
            "ruleIndex": idx,
            "level": level.sarif_level(),
            "message": {"text": format!("{at}: {} violates `{}`: {}", v.component, v.rule, v.reason)},
            "locations": [{"logicalLocations": [{"name": at, "fullyQualifiedName": format!("{at}/{}", v.component), "kind": "module"}]}],
            "properties": {
                "firstSeen": crate::format_micros(v.first_seen),
                "lastSeen": crate::format_micros(v.last_seen),
                "advisory": v.advisory,
            },
        }));
    }
    chainwatch_advisory::sarif::log(&rules, &results)
}

impl StoredViolation {
    /// Its place in lists (unique among the violations of one state): `fail` first,
    /// then by product, version, rule and component.
    pub fn key(&self) -> String {
        let rank = match self.level.as_str() {
            "fail" => 0,
            "warn" => 1,
            _ => 2,
        };
        format!(
            "{rank}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            self.product, self.version, self.rule, self.component
        )
    }

    /// As the CLI and the API show it: times in RFC 3339, `resolved` only when it is.
    pub fn json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "id": self.id,
            "product": self.product,
            "version": self.version,
            "rule": self.rule,
            "level": self.level,
            "component": self.component,
            "advisory": self.advisory,
            "reason": self.reason,
            "first_seen": crate::format_micros(self.first_seen),
            "last_seen": crate::format_micros(self.last_seen),
        });
        if let Some(at) = self.resolved_at {
            v["resolved"] = crate::format_micros(at).into();
        }
        v
    }
}
