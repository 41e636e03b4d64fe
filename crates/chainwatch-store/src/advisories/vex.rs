//! VEX statements and enrichment (KEV, EPSS) in the store. VEX documents are kept whole
//! (compressed) as evidence, their statements by vulnerability identifier; both are
//! applied when findings are read, so a new statement or score takes effect at once.

use std::collections::HashMap;

use chainwatch_advisory::enrich::{EpssEntry, KevEntry};
use chainwatch_advisory::vex::{Statement, VexDocument, VexStatus};
use chainwatch_match::vex::{Subject, decide};
use serde::Serialize;

use crate::db::{Db, Table, args};
use crate::{Result, Store, StoreError};

/// A VEX document ready to write.
#[derive(Debug, Clone)]
struct VexRow {
    digest: String,
    format: &'static str,
    document_id: Option<String>,
    author: Option<String>,
    issued: Option<String>,
    /// zstd-compressed original bytes.
    data: Vec<u8>,
    /// (statement JSON, its time in µs, upper-cased identifiers).
    statements: Vec<(String, i64, Vec<String>)>,
}

/// What a VEX import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexImport {
    /// The stored document's id.
    pub id: i64,
    /// False when the same content was stored before (nothing written).
    pub stored: bool,
    pub format: String,
    pub statements: usize,
}

/// Enrichment for one CVE.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Enrichment {
    /// In CISA's Known Exploited Vulnerabilities catalog: the day it was added.
    pub kev_added: Option<String>,
    pub epss: Option<f64>,
    pub epss_percentile: Option<f64>,
}

/// KEV and EPSS data by (upper-cased) CVE id.
#[derive(Debug, Clone, Default)]
pub struct Enrichments(HashMap<String, Enrichment>);

/// What is known of a vulnerability's exploitation, under any of its identifiers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Exploitation {
    /// In CISA's Known Exploited Vulnerabilities catalog under any CVE alias.
    pub known_exploited: bool,
    /// The highest EPSS score of its CVE aliases, and that score's percentile.
    pub epss: Option<f64>,
    pub epss_percentile: Option<f64>,
}

impl Enrichments {
    /// The exploitation data of a vulnerability known by these identifiers (its id and
    /// aliases, any case).
    pub fn of(&self, identifiers: &[String]) -> Exploitation {
        let mut out = Exploitation::default();
        for id in identifiers {
            let Some(e) = self.0.get(&id.to_ascii_uppercase()) else {
                continue;
            };
            out.known_exploited |= e.kev_added.is_some();
            if let Some(score) = e.epss
                && out.epss.is_none_or(|s| score > s)
            {
                out.epss = Some(score);
                out.epss_percentile = e.epss_percentile;
            }
        }
        out
    }

    /// The data of one CVE id (upper case).
    pub fn get(&self, cve: &str) -> Option<&Enrichment> {
        self.0.get(cve)
    }
}

/// The VEX verdict on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexVerdict {
    pub status: VexStatus,
    /// The CycloneDX analysis state when the statement gave one (`false_positive`,
    /// `resolved`, `exploitable`, `in_triage`, `not_affected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<String>,
    pub justification: Option<String>,
    pub impact: Option<String>,
    pub action: Option<String>,
    pub timestamp: Option<String>,
}

impl From<&Statement> for VexVerdict {
    fn from(s: &Statement) -> VexVerdict {
        VexVerdict {
            status: s.status,
            analysis: s.analysis.clone(),
            justification: s.justification.clone(),
            impact: s.impact.clone(),
            action: s.action.clone(),
            timestamp: s.timestamp.clone(),
        }
    }
}

/// One statement of a finding's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexEntry {
    pub statement: Statement,
    /// When it was made (RFC 3339): its own time, else its document's.
    pub at: String,
    /// Its document's author (the token name, for decisions made in the console).
    pub author: Option<String>,
    /// When its document was stored (RFC 3339).
    pub imported: String,
    /// Its document's format.
    pub format: String,
}

/// Statements loaded for a set of identifiers, ready to decide findings.
#[derive(Debug, Default)]
pub struct VexStatements {
    statements: Vec<(Statement, i64)>,
    /// The policy's decisions, each about one package in one product version: by
    /// (`product@version`, package purl), so that a finding looks up its own instead of
    /// testing every one.
    decisions: HashMap<(String, String), Vec<(Statement, i64)>>,
}

impl VexStatements {
    /// Adds statements (with their times, microseconds since the epoch), such as those of
    /// a VEX file given on the command line.
    pub fn extend(&mut self, statements: impl IntoIterator<Item = (Statement, i64)>) {
        self.statements.extend(statements);
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty() && self.decisions.is_empty()
    }

    /// Adds a decision of the policy (about one package of one product version).
    fn add_decision(&mut self, statement: Statement, at: i64) {
        let key = (
            statement.products.first().cloned().unwrap_or_default(),
            statement.components.first().cloned().unwrap_or_default(),
        );
        self.decisions.entry(key).or_default().push((statement, at));
    }

    /// The statements that may be about a finding: every general one, and the policy's
    /// decisions about its package in its product version.
    fn candidates<'a>(
        &'a self,
        product: &str,
        version: &str,
        package: &str,
    ) -> impl Iterator<Item = (&'a Statement, i64)> {
        let own = if self.decisions.is_empty() {
            None
        } else {
            let product = if version.is_empty() {
                product.to_owned()
            } else {
                format!("{product}@{version}")
            };
            self.decisions.get(&(product, package.to_owned()))
        };
        self.statements
            .iter()
            .chain(own.into_iter().flatten())
            .map(|(s, t)| (s, *t))
    }

    /// The verdict on a finding, if any statement applies.
    pub fn verdict(
        &self,
        product: &str,
        version: &str,
        package: &str,
        identifiers: &[String],
    ) -> Option<VexVerdict> {
        let subject = Subject {
            product,
            version,
            package,
            identifiers,
        };
        decide(self.candidates(product, version, package), &subject).map(VexVerdict::from)
    }

    /// The verdict on a finding with the time of the statement that made it
    /// (microseconds since the epoch).
    pub fn verdict_at(
        &self,
        product: &str,
        version: &str,
        package: &str,
        identifiers: &[String],
    ) -> Option<(VexVerdict, i64)> {
        let subject = Subject {
            product,
            version,
            package,
            identifiers,
        };
        let chosen = decide(self.candidates(product, version, package), &subject)?;
        let at = self
            .candidates(product, version, package)
            .find(|(s, _)| std::ptr::eq(*s, chosen))
            .map_or(0, |(_, t)| t);
        Some((VexVerdict::from(chosen), at))
    }

    /// Every vulnerability identifier the statements name, upper-cased.
    pub fn vulnerabilities(&self) -> std::collections::HashSet<String> {
        self.statements
            .iter()
            .chain(self.decisions.values().flatten())
            .flat_map(|(s, _)| s.identifiers().map(str::to_ascii_uppercase))
            .collect()
    }
}

/// When a statement was made (microseconds since the epoch): its own timestamp, else its
/// document's.
pub fn statement_time(doc: &VexDocument, statement: &Statement) -> Option<i64> {
    statement
        .timestamp
        .as_deref()
        .or(doc.timestamp.as_deref())
        .and_then(crate::parse_instant)
}

impl Store {
    /// Stores a VEX document read by `chainwatch_advisory::vex::parse` from `bytes`; the
    /// same content again is a no-op.
    pub fn import_vex(&self, bytes: &[u8], doc: &VexDocument) -> Result<VexImport> {
        let digest = crate::digest_hex(bytes);
        let data =
            zstd::bulk::compress(bytes, 3).map_err(|e| StoreError::Compression(e.to_string()))?;
        let now = crate::now_micros();
        let mut statements = Vec::with_capacity(doc.statements.len());
        for s in &doc.statements {
            let json = serde_json::to_string(s).map_err(|e| {
                StoreError::Corrupt(format!("a VEX statement does not serialize: {e}"))
            })?;
            let at = statement_time(doc, s).unwrap_or(now);
            let mut ids: Vec<String> = s.identifiers().map(str::to_ascii_uppercase).collect();
            ids.sort();
            ids.dedup();
            statements.push((json, at, ids));
        }
        let row = VexRow {
            digest,
            format: doc.format.as_str(),
            document_id: doc.id.clone(),
            author: doc.author.clone(),
            issued: doc.timestamp.clone(),
            data,
            statements,
        };
        let (id, stored) = self.write(|db| {
            let (id, stored) = import(db, &row)?;
            if stored {
                crate::server::jobs::request_policy_evaluation(db, "vex")?;
            }
            Ok((id, stored))
        })?;
        Ok(VexImport {
            id,
            stored,
            format: row.format.to_owned(),
            statements: row.statements.len(),
        })
    }

    /// The stored statements about any of these vulnerability identifiers.
    pub fn vex_statements(&self, identifiers: &[String]) -> Result<VexStatements> {
        let mut ids: Vec<String> = identifiers.iter().map(|i| i.to_ascii_uppercase()).collect();
        ids.sort();
        ids.dedup();
        let mut out = VexStatements::default();
        let now = crate::now_micros();
        let (rows, decisions) = self.read(|db| {
            Ok((
                stored_statements(db, &ids)?,
                policy_decisions(db, &ids, now)?,
            ))
        })?;
        let decode = |json: &str| -> Result<Statement> {
            serde_json::from_str(json).map_err(|e| {
                StoreError::Corrupt(format!("a stored VEX statement does not decode: {e}"))
            })
        };
        for (json, at) in rows {
            out.statements.push((decode(&json)?, at));
        }
        for (json, at, _) in decisions {
            out.add_decision(decode(&json)?, at);
        }
        Ok(out)
    }

    /// The audit trail of one finding: every stored statement about the advisory (by any
    /// of its identifiers) that applies to the product version's package, oldest first,
    /// with who made it (the document's author) and when it was stored. The last one
    /// decides (a `not_set` one leaves no decision).
    pub fn vex_history(
        &self,
        product: &str,
        version: &str,
        package: &str,
        identifiers: &[String],
    ) -> Result<Vec<VexEntry>> {
        let mut ids: Vec<String> = identifiers.iter().map(|i| i.to_ascii_uppercase()).collect();
        ids.sort();
        ids.dedup();
        let subject = Subject {
            product,
            version,
            package,
            identifiers,
        };
        let mut entries = Vec::new();
        let now = crate::now_micros();
        let rows =
            self.read(|db| {
                let mut rows = statement_trail(db, &ids)?;
                // The policy's decisions, by the policy (`policy NAME`), stored when made.
                rows.extend(policy_decisions(db, &ids, now)?.into_iter().map(
                    |(json, at, rule)| {
                        (
                            json,
                            at,
                            Some(format!("policy {rule}")),
                            at,
                            "policy".to_owned(),
                        )
                    },
                ));
                Ok(rows)
            })?;
        for (json, at, author, imported_at, format) in rows {
            let statement: Statement = serde_json::from_str(&json).map_err(|e| {
                StoreError::Corrupt(format!("a stored VEX statement does not decode: {e}"))
            })?;
            if chainwatch_match::vex::applies(&statement, &subject) {
                entries.push(VexEntry {
                    statement,
                    at: crate::format_micros(at),
                    author,
                    imported: crate::format_micros(imported_at),
                    format,
                });
            }
        }
        entries.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(entries)
    }

    /// Stores the KEV catalog's entries (replacing those of the same CVE); returns how
    /// many.
    pub fn import_kev(&self, entries: &[KevEntry]) -> Result<u64> {
        let mut sorted: Vec<&KevEntry> = entries.iter().collect();
        sorted.sort_by(|a, b| a.cve.cmp(&b.cve));
        sorted.dedup_by(|a, b| a.cve == b.cve);
        let now = crate::now_micros();
        self.write(|db| {
            let col = |f: fn(&KevEntry) -> Option<&str>| -> Vec<Option<&str>> {
                sorted.iter().map(|e| f(e)).collect()
            };
            let table = Table::new()
                .text("cve", sorted.iter().map(|e| e.cve.as_str()).collect())
                .opt_text("vendor", col(|e| e.vendor.as_deref()))
                .opt_text("product", col(|e| e.product.as_deref()))
                .opt_text("name", col(|e| e.name.as_deref()))
                .opt_text("date_added", col(|e| e.date_added.as_deref()))
                .opt_text("due_date", col(|e| e.due_date.as_deref()))
                .opt_text("ransomware", col(|e| e.ransomware.as_deref()));
            let sql = format!(
                "INSERT INTO kev (cve, vendor, product, name, date_added, due_date, ransomware,
                     imported_at)
                 SELECT t.cve, t.vendor, t.product, t.name, t.date_added, t.due_date,
                     t.ransomware, $1
                 FROM {} WHERE true
                 ON CONFLICT (cve) DO UPDATE SET vendor = excluded.vendor,
                     product = excluded.product, name = excluded.name,
                     date_added = excluded.date_added, due_date = excluded.due_date,
                     ransomware = excluded.ransomware, imported_at = excluded.imported_at",
                db.dialect().table(2, "t", &table)
            );
            db.execute(&sql, &[now.into(), table.into()])?;
            if sorted.is_empty() {
                Ok(())
            } else {
                crate::server::jobs::request_policy_evaluation(db, "kev")
            }
        })?;
        Ok(crate::to_u64(crate::int(sorted.len())))
    }

    /// Stores EPSS scores (replacing those of the same CVE); returns how many.
    pub fn import_epss(&self, entries: &[EpssEntry]) -> Result<u64> {
        let mut sorted: Vec<&EpssEntry> = entries.iter().collect();
        sorted.sort_by(|a, b| a.cve.cmp(&b.cve));
        sorted.dedup_by(|a, b| a.cve == b.cve);
        let now = crate::now_micros();
        self.write(|db| {
            for chunk in sorted.chunks(EPSS_ROWS_PER_STATEMENT) {
                let table = Table::new()
                    .text("cve", chunk.iter().map(|e| e.cve.as_str()).collect())
                    .real("score", chunk.iter().map(|e| Some(e.score)).collect())
                    .real("percentile", chunk.iter().map(|e| e.percentile).collect())
                    .opt_text(
                        "score_date",
                        chunk.iter().map(|e| e.date.as_deref()).collect(),
                    );
                let sql = format!(
                    "INSERT INTO epss (cve, score, percentile, score_date, imported_at)
                     SELECT t.cve, t.score, t.percentile, t.score_date, $1 FROM {} WHERE true
                     ON CONFLICT (cve) DO UPDATE SET score = excluded.score,
                         percentile = excluded.percentile, score_date = excluded.score_date,
                         imported_at = excluded.imported_at",
                    db.dialect().table(2, "t", &table)
                );
                db.execute(&sql, &[now.into(), table.into()])?;
            }
            if sorted.is_empty() {
                Ok(())
            } else {
                crate::server::jobs::request_policy_evaluation(db, "epss")
            }
        })?;
        Ok(crate::to_u64(crate::int(sorted.len())))
    }

    /// KEV and EPSS data of these identifiers (those that are CVE ids).
    pub fn enrichment(&self, identifiers: &[String]) -> Result<Enrichments> {
        let mut cves: Vec<String> = identifiers
            .iter()
            .map(|i| i.to_ascii_uppercase())
            .filter(|i| i.starts_with("CVE-"))
            .collect();
        cves.sort();
        cves.dedup();
        let table = Table::new().text("cve", cves.iter().map(String::as_str).collect());
        self.read(|db| {
            let sql = format!(
                "SELECT c.cve, k.cve IS NOT NULL, k.date_added, e.score, e.percentile
                 FROM {}
                 LEFT JOIN kev k ON k.cve = c.cve
                 LEFT JOIN epss e ON e.cve = c.cve
                 WHERE k.cve IS NOT NULL OR e.cve IS NOT NULL",
                db.dialect().table(1, "c", &table)
            );
            db.query(&sql, &[table.into()], |r| {
                let in_kev: bool = r.get(1)?;
                let added: Option<String> = r.get(2)?;
                Ok((
                    r.get::<String>(0)?,
                    Enrichment {
                        kev_added: in_kev.then(|| added.unwrap_or_default()),
                        epss: r.get(3)?,
                        epss_percentile: r.get(4)?,
                    },
                ))
            })
        })
        .map(|rows| Enrichments(rows.into_iter().collect()))
    }
}

/// EPSS rows per statement: the whole catalog (about 300,000 CVEs) in statements of a
/// bounded size.
const EPSS_ROWS_PER_STATEMENT: usize = 20_000;

/// Stores a VEX document and its statements; (id, whether it was new).
fn import(db: &mut Db<'_>, row: &VexRow) -> Result<(i64, bool)> {
    let select = "SELECT id FROM vex_documents WHERE digest = $1";
    if let Some(id) = db.query_opt(select, &args![&row.digest], |r| r.get(0))? {
        return Ok((id, false));
    }
    let inserted: Option<i64> = db.query_opt(
        "INSERT INTO vex_documents (digest, format, document_id, author, issued, statements,
             imported_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (digest) DO NOTHING RETURNING id",
        &args![
            &row.digest,
            row.format,
            &row.document_id,
            &row.author,
            &row.issued,
            crate::int(row.statements.len()),
            crate::now_micros(),
            &row.data
        ],
        |r| r.get(0),
    )?;
    let Some(id) = inserted else {
        // Stored by a concurrent import.
        return Ok((db.value(select, &args![&row.digest])?, false));
    };
    let mut ordinals = Vec::new();
    let mut times = Vec::new();
    let mut jsons = Vec::new();
    let mut id_ident = Vec::new();
    let mut id_ordinal = Vec::new();
    for (ordinal, (json, at, identifiers)) in row.statements.iter().enumerate() {
        let ordinal = crate::int(ordinal);
        ordinals.push(ordinal);
        times.push(*at);
        jsons.push(json.as_str());
        for identifier in identifiers {
            id_ident.push(identifier.as_str());
            id_ordinal.push(ordinal);
        }
    }
    let table = Table::new()
        .int("ordinal", ordinals)
        .int("issued_at", times)
        .text("statement", jsons);
    let sql = format!(
        "INSERT INTO vex_statements (vex_document_id, ordinal, issued_at, statement)
         SELECT $1, t.ordinal, t.issued_at, t.statement FROM {}",
        db.dialect().table(2, "t", &table)
    );
    db.execute(&sql, &[id.into(), table.into()])?;
    let table = Table::new()
        .text("identifier", id_ident)
        .int("ordinal", id_ordinal);
    let sql = format!(
        "INSERT INTO vex_ids (identifier, vex_document_id, ordinal)
         SELECT t.identifier, $1, t.ordinal FROM {} WHERE true ON CONFLICT DO NOTHING",
        db.dialect().table(2, "t", &table)
    );
    db.execute(&sql, &[id.into(), table.into()])?;
    Ok((id, true))
}

/// (statement JSON, time) of the statements about any of these identifiers, each once,
/// in the order they were stored.
type TrailRow = (String, i64, Option<String>, i64, String);

fn statement_trail(db: &mut Db<'_>, identifiers: &[String]) -> Result<Vec<TrailRow>> {
    let table = Table::new().text(
        "identifier",
        identifiers.iter().map(String::as_str).collect(),
    );
    let sql = format!(
        "SELECT DISTINCT s.vex_document_id, s.ordinal, s.statement, s.issued_at, d.author,
             d.imported_at, d.format
         FROM {}
         JOIN vex_ids i ON i.identifier = t.identifier
         JOIN vex_statements s ON s.vex_document_id = i.vex_document_id
             AND s.ordinal = i.ordinal
         JOIN vex_documents d ON d.id = s.vex_document_id
         ORDER BY s.vex_document_id, s.ordinal",
        db.dialect().table(1, "t", &table)
    );
    db.query(&sql, &[table.into()], |r| {
        Ok((r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
    })
}

/// (statement JSON, time, rule) of the policy's decisions in force at `now` about
/// advisories known by any of these identifiers.
fn policy_decisions(
    db: &mut Db<'_>,
    identifiers: &[String],
    now: i64,
) -> Result<Vec<(String, i64, String)>> {
    let table = Table::new().text(
        "identifier",
        identifiers.iter().map(String::as_str).collect(),
    );
    let sql = format!(
        "SELECT pa.statement, pa.issued_at, pa.rule FROM policy_analyses pa
         WHERE pa.until_at > $1 AND pa.advisory_id IN (
             SELECT i.advisory_id FROM {} JOIN advisory_ids i ON i.identifier = t.identifier)
         ORDER BY pa.product_version_id, pa.package_id, pa.advisory_id",
        db.dialect().table(2, "t", &table)
    );
    db.query(&sql, &[now.into(), table.into()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
}

fn stored_statements(db: &mut Db<'_>, identifiers: &[String]) -> Result<Vec<(String, i64)>> {
    let table = Table::new().text(
        "identifier",
        identifiers.iter().map(String::as_str).collect(),
    );
    let sql = format!(
        "SELECT DISTINCT s.vex_document_id, s.ordinal, s.statement, s.issued_at
         FROM {}
         JOIN vex_ids i ON i.identifier = t.identifier
         JOIN vex_statements s ON s.vex_document_id = i.vex_document_id
             AND s.ordinal = i.ordinal
         ORDER BY s.vex_document_id, s.ordinal",
        db.dialect().table(1, "t", &table)
    );
    db.query(&sql, &[table.into()], |r| Ok((r.get(2)?, r.get(3)?)))
}
