//! Advisories in the store: OSV records imported (the newest `modified` of each id wins, the
//! same content twice is a no-op), found by any identifier, and loaded for exactly the
//! packages a match needs (migration 2). Findings (`findings.rs`) are what they match in
//! the portfolio; VEX, KEV and EPSS (`vex.rs`) are applied to findings when read.

pub(crate) mod findings;
pub(crate) mod summary;
pub(crate) mod update;
pub(crate) mod vex;

use chainwatch_advisory::Record;
use chainwatch_match::{AdvisoryIndex, record_keys};
use chainwatch_purl::Purl;
use serde::Serialize;

use crate::db::{Db, Table, args};
use crate::{Result, Store, StoreError};

/// One record ready to write: computed outside the write transaction.
#[derive(Debug, Clone)]
pub struct AdvisoryRow {
    pub osv_id: String,
    pub modified: Option<String>,
    /// `modified` in microseconds, for ordering versions of a record.
    pub modified_micros: Option<i64>,
    pub withdrawn: bool,
    pub malicious: bool,
    pub severity: Option<String>,
    pub score: Option<f64>,
    pub summary: Option<String>,
    pub digest: String,
    /// zstd-compressed JSON of the record.
    pub record: Vec<u8>,
    /// Upper-cased identifiers.
    pub identifiers: Vec<String>,
    /// (OSV ecosystem, canonical name) of every affected package.
    pub packages: Vec<(String, String)>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdvisoryImport {
    /// Records new to the store.
    pub added: u64,
    /// Records whose newer version replaced the stored one.
    pub updated: u64,
    /// Records already stored with the same content, or older than the stored version.
    pub unchanged: u64,
}

/// What the store holds of advisories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdvisoryStats {
    pub records: u64,
    pub withdrawn: u64,
    pub malicious: u64,
    /// When the last import wrote something (microseconds since the epoch).
    pub last_import: Option<i64>,
}

/// Prepares a record for the store.
pub fn prepare_advisory(record: &Record) -> Result<AdvisoryRow> {
    let json = serde_json::to_vec(record).map_err(|e| {
        StoreError::Corrupt(format!(
            "advisory `{}` cannot be serialized: {e}",
            record.id
        ))
    })?;
    let digest = crate::digest_hex(&json);
    let compressed =
        zstd::bulk::compress(&json, 3).map_err(|e| StoreError::Compression(e.to_string()))?;
    let severity = record.severity();
    let mut identifiers: Vec<String> = record.identifiers().map(str::to_ascii_uppercase).collect();
    identifiers.sort();
    identifiers.dedup();
    Ok(AdvisoryRow {
        osv_id: record.id.clone(),
        modified: record.modified.clone(),
        modified_micros: record.modified.as_deref().and_then(crate::parse_instant),
        withdrawn: record.is_withdrawn(),
        malicious: record.is_malicious(),
        severity: severity.as_ref().map(|s| s.level.as_str().to_owned()),
        score: severity.as_ref().and_then(|s| s.score),
        summary: record.title(),
        digest,
        record: compressed,
        identifiers,
        packages: record_keys(record),
    })
}

/// A stored record, decompressed.
pub(crate) fn decode(compressed: &[u8]) -> Result<Record> {
    let json =
        zstd::stream::decode_all(compressed).map_err(|e| StoreError::Compression(e.to_string()))?;
    serde_json::from_slice(&json)
        .map_err(|e| StoreError::Corrupt(format!("a stored advisory does not decode: {e}")))
}

/// The weaknesses (CWE ids) of these advisories' records, by row id (those that name
/// none left out).
pub(crate) fn advisory_cwes(
    db: &mut crate::db::Db<'_>,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<String>>> {
    let table = crate::db::Table::new().int("id", ids.to_vec());
    let sql = format!(
        "SELECT a.id, a.record FROM {} JOIN advisories a ON a.id = t.id",
        db.dialect().table(1, "t", &table)
    );
    let mut out = std::collections::HashMap::new();
    db.for_each(&sql, &[table.into()], &mut |r| {
        let record = decode(r.get::<&[u8]>(1)?)?;
        let cwes = record.cwes();
        if !cwes.is_empty() {
            out.insert(r.get(0)?, cwes);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Whether a row with `modified` should replace a stored one with `stored_modified`.
fn newer(row: &AdvisoryRow, stored_modified: Option<&str>) -> bool {
    let stored = stored_modified.and_then(crate::parse_instant);
    match (row.modified_micros, stored) {
        (Some(new), Some(old)) => new > old,
        // A record without a time never replaces one with a time.
        (None, Some(_)) => false,
        (_, None) => true,
    }
}

/// A product version whose current inventory has a package an advisory affects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Affected {
    pub product: String,
    pub version: String,
    /// The package's canonical purl.
    pub package: String,
    pub advisory: String,
    pub aliases: Vec<String>,
    pub severity: Option<String>,
    pub fixed_in: Vec<String>,
    /// The status of the VEX statement that applies (the most recent), if any.
    pub vex_status: Option<String>,
    pub vex_justification: Option<String>,
    /// In CISA's Known Exploited Vulnerabilities catalog (under any CVE alias).
    pub known_exploited: bool,
    pub epss: Option<f64>,
}

impl Store {
    /// Every product version whose current inventory (at `as_of`) has a package affected
    /// by the advisory `id` or any record linked to it by aliases: the stored findings
    /// (brought up to date first when advisories or packages are waiting to be matched),
    /// so distribution binary packages are found through their source package too.
    pub fn affected(&self, id: &str, as_of: Option<i64>) -> Result<Vec<Affected>> {
        let records = self.advisories_by_id(id)?;
        if records.is_empty() {
            return Err(StoreError::NotFound(format!(
                "no stored advisory has the identifier `{id}`"
            )));
        }
        if self.read(findings::has_pending_matches)? {
            self.rematch()?;
        }
        let found = self.findings(&crate::FindingQuery {
            as_of,
            include_suppressed: true,
            advisories: Some(records.iter().map(|r| r.id.clone()).collect()),
            ..crate::FindingQuery::default()
        })?;
        Ok(found
            .into_iter()
            .map(|f| Affected {
                vex_status: f.vex.as_ref().map(|v| v.status.as_str().to_owned()),
                vex_justification: f.vex.and_then(|v| v.justification),
                product: f.product,
                version: f.version,
                package: f.package,
                advisory: f.advisory,
                aliases: f.aliases,
                severity: f.severity,
                fixed_in: f.fixed_in,
                known_exploited: f.known_exploited,
                epss: f.epss,
            })
            .collect())
    }

    /// Imports records in one transaction per call (batch them: a few thousand at a time).
    pub fn import_advisories(&self, records: &[Record]) -> Result<AdvisoryImport> {
        let rows = records
            .iter()
            .map(prepare_advisory)
            .collect::<Result<Vec<_>>>()?;
        self.write(|db| import(db, &rows))
    }

    /// The stored records carrying an identifier (id, alias or upstream id, any case), and
    /// those linked to them through their own identifiers.
    pub fn advisories_by_id(&self, identifier: &str) -> Result<Vec<Record>> {
        let mut seen_ids = std::collections::BTreeSet::new();
        let mut records: Vec<Record> = Vec::new();
        let mut frontier = vec![identifier.trim().to_ascii_uppercase()];
        while !frontier.is_empty() {
            let found = self.read(|db| by_identifiers(db, &frontier))?;
            frontier.clear();
            for blob in found {
                let r = decode(&blob)?;
                if seen_ids.insert(r.id.clone()) {
                    frontier.extend(r.identifiers().map(str::to_ascii_uppercase));
                    records.push(r);
                }
            }
            frontier.retain(|i| !seen_ids.contains(i));
        }
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    /// The ids of the known-malicious records (OSV `MAL-` and malware advisories, not
    /// withdrawn) naming this package, whatever its version.
    pub fn malicious_records(&self, purl: &Purl) -> Result<Vec<String>> {
        let keys = chainwatch_match::purl_keys(purl);
        let mut ids = Vec::new();
        for (_, blob) in self.read(|db| for_packages(db, &keys))? {
            let record = decode(&blob)?;
            if record.is_malicious() {
                ids.push(record.id);
            }
        }
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// An index of exactly the stored records that concern these packages.
    pub fn advisory_index_for(&self, purls: &[Purl]) -> Result<AdvisoryIndex> {
        let mut keys: Vec<(String, String)> =
            purls.iter().flat_map(chainwatch_match::purl_keys).collect();
        keys.sort();
        keys.dedup();
        let blobs = self.read(|db| for_packages(db, &keys))?;
        let records = blobs
            .iter()
            .map(|(_, b)| decode(b))
            .collect::<Result<Vec<_>>>()?;
        Ok(AdvisoryIndex::from_records(records))
    }

    /// Where `advisories update` of `source` left off: the newest `modified` imported
    /// and when (microseconds since the epoch).
    pub fn source_state(&self, source: &str) -> Result<Option<(Option<String>, i64)>> {
        self.read(|db| {
            db.query_opt(
                "SELECT last_modified, synced_at FROM advisory_sources WHERE source = $1",
                &args![source],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }

    /// Every advisory source with where its update left off (the newest `modified`
    /// imported) and when it last synced (microseconds since the epoch), by name.
    pub fn source_states(&self) -> Result<Vec<(String, Option<String>, i64)>> {
        self.read(|db| {
            db.query(
                "SELECT source, last_modified, synced_at FROM advisory_sources ORDER BY source",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
    }

    pub fn set_source_state(&self, source: &str, last_modified: Option<&str>) -> Result<()> {
        let now = crate::now_micros();
        self.write(|db| {
            db.execute(
                "INSERT INTO advisory_sources (source, last_modified, synced_at)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (source) DO UPDATE SET last_modified = excluded.last_modified,
                     synced_at = excluded.synced_at",
                &args![source, last_modified, now],
            )?;
            Ok(())
        })
    }

    /// The OSV ecosystems (base names: `PyPI`, `Debian`) of the portfolio's matched
    /// packages: what an update needs by default.
    pub fn package_ecosystems(&self) -> Result<Vec<String>> {
        self.read(|db| {
            db.query(
                "SELECT DISTINCT ecosystem FROM package_keys ORDER BY 1",
                &[],
                |r| r.get(0),
            )
        })
    }

    /// When advisories were last imported (microseconds since the epoch), `None` when the
    /// store has none; cheap (an index lookup), unlike [`Store::advisory_stats`].
    pub fn advisories_last_import(&self) -> Result<Option<i64>> {
        self.read(|db| db.value("SELECT MAX(imported_at) FROM advisories", &[]))
    }

    pub fn advisory_stats(&self) -> Result<AdvisoryStats> {
        self.read(|db| {
            db.query_one(
                "SELECT COUNT(*), CAST(COALESCE(SUM(withdrawn), 0) AS BIGINT),
                        CAST(COALESCE(SUM(malicious), 0) AS BIGINT), MAX(imported_at)
                 FROM advisories",
                &[],
                |r| {
                    Ok(AdvisoryStats {
                        records: r.get(0)?,
                        withdrawn: r.get(1)?,
                        malicious: r.get(2)?,
                        last_import: r.get(3)?,
                    })
                },
            )
        })
    }
}

/// Writes advisory rows (in the caller's transaction): new records inserted, newer
/// versions replacing older ones, and every change queued for `rematch`.
fn import(db: &mut Db<'_>, rows: &[AdvisoryRow]) -> Result<AdvisoryImport> {
    let mut report = AdvisoryImport::default();
    let now = crate::now_micros();
    for row in rows {
        let stored: Option<(i64, String, Option<String>)> = db.query_opt(
            "SELECT id, digest, modified FROM advisories WHERE osv_id = $1",
            &args![&row.osv_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let columns = args![
            &row.modified,
            row.withdrawn,
            row.malicious,
            &row.severity,
            row.score,
            &row.summary,
            &row.digest,
            &row.record,
            now,
            &row.osv_id,
        ];
        let id: i64 = match stored {
            Some((_, digest, _)) if digest == row.digest => {
                report.unchanged += 1;
                continue;
            }
            Some((_, _, modified)) if !newer(row, modified.as_deref()) => {
                report.unchanged += 1;
                continue;
            }
            Some((id, _, _)) => {
                db.execute(
                    "DELETE FROM advisory_ids WHERE advisory_id = $1",
                    &args![id],
                )?;
                db.execute(
                    "DELETE FROM advisory_packages WHERE advisory_id = $1",
                    &args![id],
                )?;
                db.execute(
                    "UPDATE advisories SET modified = $1, withdrawn = $2, malicious = $3,
                         severity = $4, score = $5, summary = $6, digest = $7, record = $8,
                         imported_at = $9
                     WHERE osv_id = $10",
                    &columns,
                )?;
                report.updated += 1;
                id
            }
            None => {
                report.added += 1;
                db.value(
                    "INSERT INTO advisories (modified, withdrawn, malicious, severity, score,
                         summary, digest, record, imported_at, osv_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    &columns,
                )?
            }
        };
        db.execute(
            "INSERT INTO advisory_changes (advisory_id, changed_at) VALUES ($1, $2)
             ON CONFLICT (advisory_id) DO UPDATE SET changed_at = excluded.changed_at",
            &args![id, now],
        )?;
        let identifiers = Table::new().text(
            "identifier",
            row.identifiers.iter().map(String::as_str).collect(),
        );
        let sql = format!(
            "INSERT INTO advisory_ids (identifier, advisory_id)
             SELECT t.identifier, $1 FROM {} WHERE true ON CONFLICT DO NOTHING",
            db.dialect().table(2, "t", &identifiers)
        );
        db.execute(&sql, &[id.into(), identifiers.into()])?;
        let packages = Table::new()
            .text(
                "ecosystem",
                row.packages.iter().map(|p| p.0.as_str()).collect(),
            )
            .text("name", row.packages.iter().map(|p| p.1.as_str()).collect());
        let sql = format!(
            "INSERT INTO advisory_packages (ecosystem, name, advisory_id)
             SELECT t.ecosystem, t.name, $1 FROM {} WHERE true ON CONFLICT DO NOTHING",
            db.dialect().table(2, "t", &packages)
        );
        db.execute(&sql, &[id.into(), packages.into()])?;
    }
    Ok(report)
}

/// The compressed records carrying any of these (upper-cased) identifiers.
fn by_identifiers(db: &mut Db<'_>, identifiers: &[String]) -> Result<Vec<Vec<u8>>> {
    let table = Table::new().text(
        "identifier",
        identifiers.iter().map(String::as_str).collect(),
    );
    let sql = format!(
        "SELECT DISTINCT a.id, a.record FROM {}
         JOIN advisory_ids i ON i.identifier = t.identifier
         JOIN advisories a ON a.id = i.advisory_id",
        db.dialect().table(1, "t", &table)
    );
    db.query(&sql, &[table.into()], |r| r.get(1))
}

/// The compressed records (with their row ids) affecting any of these (ecosystem, name)
/// packages; withdrawn records left out.
pub(crate) fn for_packages(
    db: &mut Db<'_>,
    keys: &[(String, String)],
) -> Result<Vec<(i64, Vec<u8>)>> {
    let table = Table::new()
        .text("ecosystem", keys.iter().map(|k| k.0.as_str()).collect())
        .text("name", keys.iter().map(|k| k.1.as_str()).collect());
    let sql = format!(
        "SELECT DISTINCT a.id, a.record FROM {}
         JOIN advisory_packages p ON p.ecosystem = k.ecosystem AND p.name = k.name
         JOIN advisories a ON a.id = p.advisory_id
         WHERE a.withdrawn = 0",
        db.dialect().table(1, "k", &table)
    );
    db.query(&sql, &[table.into()], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// Compressed records by row id.
pub(crate) fn records(db: &mut Db<'_>, ids: &[i64]) -> Result<Vec<(i64, Vec<u8>)>> {
    let table = Table::new().int("id", ids.to_vec());
    let sql = format!(
        "SELECT a.id, a.record FROM (SELECT DISTINCT t.id FROM {}) u
         JOIN advisories a ON a.id = u.id",
        db.dialect().table(1, "t", &table)
    );
    db.query(&sql, &[table.into()], |r| Ok((r.get(0)?, r.get(1)?)))
}
