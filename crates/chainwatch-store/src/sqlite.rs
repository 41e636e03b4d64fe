//! The embedded backend: one SQLite file (WAL, foreign keys, busy timeout). Writers
//! take the write lock up front (`BEGIN IMMEDIATE`), so concurrent processes queue
//! instead of failing, and a killed process leaves only a rolled-back transaction.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::advisories::{AdvisoryImport, AdvisoryRow, AdvisoryStats, newer};
use crate::findings::{FindingQuery, MatchWrite, PackageRef, RawFinding, findings_sql};
use crate::prepare::Prepared;
use crate::query::{OUTCOME_SELECT, current};
use crate::schema::{self, Dialect};
use crate::to_u64;
use crate::vex::{Enrichment, VexRow};
use crate::{
    Backend, Candidate, CheckReport, DocRef, DocumentInfo, Graph, IngestOutcome, MigrateReport,
    Naming, Node, ProductSummary, Result, Stats, StoreError, time,
};
use chainwatch_advisory::enrich::{EpssEntry, KevEntry};

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_mins(2);

pub(crate) struct Sqlite {
    conn: Mutex<Connection>,
    /// A second connection for the reads that run beside a writer (whether a document
    /// is already stored): WAL lets it read while the writer's transaction is open.
    reader: Option<Mutex<Connection>>,
    location: String,
    /// Package ids by purl, as committed: packages are never deleted or renumbered, so
    /// an id once committed stays right, and ingesting skips an index probe per
    /// component. Filled only after a commit (ids of a rolled-back transaction never
    /// enter); cleared when it grows past `PACKAGE_CACHE`.
    package_ids: Mutex<HashMap<Box<str>, i64>>,
}

/// WAL pages after which a commit checkpoints (256 MiB): bulk ingests modify the same
/// index pages commit after commit, and a larger WAL lets one checkpoint write each of
/// them once instead of once per commit.
const WAL_AUTOCHECKPOINT: i64 = 65_536;
/// What the WAL is truncated to after a checkpoint, so a quiet store does not keep a
/// large file.
const WAL_SIZE_LIMIT: i64 = 64 << 20;

impl Sqlite {
    pub(crate) fn open(path: &Path) -> Result<Sqlite> {
        let location = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                location: location.clone(),
                message: e.to_string(),
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::Open {
            location: location.clone(),
            message: e.to_string(),
        })?;
        let mut store = Self::configure(conn, location)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(BUSY_TIMEOUT)?;
        reader.pragma_update(None, "foreign_keys", "ON")?;
        reader.pragma_update(None, "cache_size", -32_768)?;
        store.reader = Some(Mutex::new(reader));
        Ok(store)
    }

    pub(crate) fn open_in_memory() -> Result<Sqlite> {
        Self::configure(Connection::open_in_memory()?, ":memory:".into())
    }

    fn configure(conn: Connection, location: String) -> Result<Sqlite> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: readers never block the writer; NORMAL sync is durable across process
        // crashes (only an OS crash can lose the last commits, never corrupt).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT)?;
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Sqlite {
            conn: Mutex::new(conn),
            reader: None,
            location,
            package_ids: Mutex::new(HashMap::new()),
        })
    }

    /// The reading connection (the main one for in-memory stores): queries and the
    /// reads of other tasks (typo-squatting checks beside an ingest, the server's
    /// requests) never wait for a write transaction; each sees what was committed.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.as_ref().map_or_else(
            || self.conn(),
            |r| r.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn count(conn: &Connection, sql: &str) -> Result<u64> {
    let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn stored_outcome(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<IngestOutcome>> {
    Ok(conn
        .query_row(sql, params, |r| {
            Ok(IngestOutcome {
                stored: false,
                document: r.get(0)?,
                product: r.get(1)?,
                version: r.get(2)?,
                format: r.get(3)?,
                digest: r.get(4)?,
                components: to_u64(r.get(5)?),
                edges: to_u64(r.get(6)?),
            })
        })
        .optional()?)
}

impl Backend for Sqlite {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    fn migrate(&self) -> Result<MigrateReport> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(schema::MIGRATIONS_TABLE, [])?;
        let from: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        if from > schema::latest() {
            return Err(StoreError::SchemaTooNew {
                location: self.location.clone(),
                found: from,
                supported: schema::latest(),
            });
        }
        let mut applied = Vec::new();
        for m in schema::MIGRATIONS.iter().filter(|m| m.version > from) {
            for statement in m.statements(Dialect::Sqlite) {
                tx.execute(&statement, [])?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                params![m.version, m.name, time::now_micros()],
            )?;
            applied.push(format!("{:04} {}", m.version, m.name));
        }
        tx.commit()?;
        Ok(MigrateReport {
            from,
            to: schema::latest().max(from),
            applied,
        })
    }

    fn schema_version(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?)
    }

    fn find_digest(&self, digest: &str, naming: &Naming) -> Result<Option<IngestOutcome>> {
        let conn = self.reader();
        if naming.product.is_some() || naming.version.is_some() {
            // Where an override puts the document is known only after parsing; the
            // ingest transaction checks then.
            return Ok(None);
        }
        stored_outcome(
            &conn,
            &format!(
                "{OUTCOME_SELECT} WHERE d.digest = ? AND d.self_named = 1 ORDER BY d.id LIMIT 1"
            ),
            params![digest],
        )
    }

    fn ingest_batch(&self, docs: &[&Prepared]) -> Result<Vec<Result<IngestOutcome>>> {
        let mut conn = self.conn();
        let mut known = self
            .package_ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.len() > crate::PACKAGE_CACHE {
            known.clear();
        }
        // All documents in one transaction. Should one fail, the batch is rolled back
        // and each document is tried alone, so one bad document costs only itself.
        let mut added = Vec::new();
        let batch = (|| -> Result<Vec<IngestOutcome>> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let outcomes = docs
                .iter()
                .map(|doc| ingest_one(&tx, doc, &known, &mut added))
                .collect::<Result<Vec<_>>>()?;
            tx.commit()?;
            Ok(outcomes)
        })();
        match batch {
            Ok(outcomes) => {
                known.extend(added);
                Ok(outcomes.into_iter().map(Ok).collect())
            }
            Err(_) if docs.len() > 1 => Ok(docs
                .iter()
                .map(|doc| {
                    let mut added = Vec::new();
                    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    let outcome = ingest_one(&tx, doc, &known, &mut added)?;
                    tx.commit()?;
                    known.extend(added);
                    Ok(outcome)
                })
                .collect()),
            Err(e) => Ok(vec![Err(e)]),
        }
    }

    fn products(&self, as_of: i64) -> Result<Vec<ProductSummary>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT p.name, pv.version,
                 (SELECT COUNT(*) FROM documents d3 WHERE d3.product_version_id = pv.id
                     AND d3.ingested_at <= ?1),
                 d.components, d.ingested_at
             FROM documents d
             JOIN product_versions pv ON pv.id = d.product_version_id
             JOIN products p ON p.id = pv.product_id
             WHERE {}
             ORDER BY p.name, pv.version",
            current("?1")
        ))?;
        let rows = stmt.query_map(params![as_of], |r| {
            Ok(ProductSummary {
                name: r.get(0)?,
                version: r.get(1)?,
                documents: to_u64(r.get(2)?),
                components: to_u64(r.get(3)?),
                updated: time::format_micros(r.get(4)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn documents(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: i64,
    ) -> Result<Vec<DocumentInfo>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, p.name, pv.version, d.format, d.spec_version, d.digest,
                 d.components, d.edges, d.ingested_at
             FROM documents d
             JOIN product_versions pv ON pv.id = d.product_version_id
             JOIN products p ON p.id = pv.product_id
             WHERE p.name = ?1 AND (?2 IS NULL OR pv.version = ?2) AND d.ingested_at <= ?3
             ORDER BY pv.version, d.ingested_at, d.id",
        )?;
        let rows = stmt.query_map(params![product, version, as_of], document_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn candidates(&self, name_identity: &str, as_of: i64) -> Result<Vec<Candidate>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT p.name, pv.version, o.document_id, o.ordinal, pk.purl, pk.version
             FROM packages pk
             JOIN occurrences o ON o.package_id = pk.id
             JOIN documents d ON d.id = o.document_id
             JOIN product_versions pv ON pv.id = d.product_version_id
             JOIN products p ON p.id = pv.product_id
             WHERE pk.name = ?1 AND {}
             ORDER BY p.name, pv.version, pk.purl, o.ordinal",
            current("?2")
        ))?;
        let rows = stmt.query_map(params![name_identity, as_of], |r| {
            Ok(Candidate {
                product: r.get(0)?,
                version: r.get(1)?,
                document: r.get(2)?,
                ordinal: r.get(3)?,
                purl: r.get(4)?,
                package_version: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn packages_named(&self, name_identity: &str) -> Result<Vec<crate::PackageRow>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT id, purl, version FROM packages WHERE name = ?1")?;
        let rows = stmt.query_map([name_identity], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn holders(&self, package: i64, as_of: i64) -> Result<Vec<(i64, String)>> {
        let conn = self.reader();
        let now = as_of == i64::MAX;
        let mut stmt = conn.prepare_cached(&crate::query::holders_sql(["?1", "?2"], now))?;
        let pair = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
        let rows = if now {
            stmt.query_map(params![package], pair)?
        } else {
            stmt.query_map(params![package, as_of], pair)?
        };
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn product_names(&self, ids: &[i64]) -> Result<HashMap<i64, String>> {
        // One statement for the whole list (a JSON array of ids): a statement per id
        // cost more than the rest of who-has for a package a thousand products use.
        let list = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.name FROM json_each(?1) AS j JOIN products p ON p.id = j.value",
        )?;
        let rows = stmt.query_map([list], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn resolve(&self, product: &str, version: Option<&str>, as_of: i64) -> Result<Option<DocRef>> {
        let conn = self.reader();
        Ok(conn
            .query_row(
                "SELECT d.id, p.name, pv.version
                 FROM documents d
                 JOIN product_versions pv ON pv.id = d.product_version_id
                 JOIN products p ON p.id = pv.product_id
                 WHERE p.name = ?1 AND (?2 IS NULL OR pv.version = ?2) AND d.ingested_at <= ?3
                 ORDER BY d.ingested_at DESC, d.id DESC LIMIT 1",
                params![product, version, as_of],
                |r| {
                    Ok(DocRef {
                        id: r.get(0)?,
                        product: r.get(1)?,
                        version: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    fn graph(&self, document: i64) -> Result<Graph> {
        let conn = self.reader();
        let subject: Option<i64> = conn.query_row(
            "SELECT subject FROM documents WHERE id = ?",
            [document],
            |r| r.get(0),
        )?;
        let mut graph = Graph {
            subject: subject.and_then(|s| u32::try_from(s).ok()),
            ..Graph::default()
        };
        let mut stmt = conn.prepare_cached(
            "SELECT o.ordinal, pk.purl, pk.name, o.name, o.version
             FROM occurrences o
             LEFT JOIN packages pk ON pk.id = o.package_id
             WHERE o.document_id = ? ORDER BY o.ordinal",
        )?;
        let mut rows = stmt.query([document])?;
        while let Some(r) = rows.next()? {
            let ordinal: i64 = r.get(0)?;
            if ordinal != crate::int(graph.nodes.len()) {
                return Err(StoreError::Corrupt(format!(
                    "document {document} misses component {}",
                    graph.nodes.len()
                )));
            }
            graph.nodes.push(crate::query::node(
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ));
        }
        drop(rows);
        drop(stmt);
        drop(conn);
        graph.edges = self.edges(document)?;
        Ok(graph)
    }

    fn edges(&self, document: i64) -> Result<Vec<(u32, u32, String)>> {
        let conn = self.reader();
        let data: Option<Vec<u8>> = conn
            .query_row(
                "SELECT data FROM graphs WHERE document_id = ?",
                [document],
                |r| r.get(0),
            )
            .optional()?;
        data.map_or_else(|| Ok(Vec::new()), |d| crate::graph::decode(&d))
    }

    fn nodes(&self, document: i64, ordinals: &[u32]) -> Result<Vec<(u32, Node)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT pk.purl, pk.name, o.name, o.version
             FROM occurrences o
             LEFT JOIN packages pk ON pk.id = o.package_id
             WHERE o.document_id = ? AND o.ordinal = ?",
        )?;
        let mut out = Vec::with_capacity(ordinals.len());
        for &ordinal in ordinals {
            if let Some(node) = stmt
                .query_row(params![document, ordinal], |r| {
                    Ok(crate::query::node(
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                    ))
                })
                .optional()?
            {
                out.push((ordinal, node));
            }
        }
        Ok(out)
    }

    fn raw(&self, document: i64) -> Result<Vec<u8>> {
        let conn = self.reader();
        let (codec, data): (String, Vec<u8>) = conn
            .query_row(
                "SELECT b.codec, b.data FROM documents d JOIN blobs b ON b.digest = d.digest
                 WHERE d.id = ?",
                [document],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("no document with id `{document}`")))?;
        crate::query::decompress(&codec, &data)
    }

    fn stats(&self) -> Result<Stats> {
        let conn = self.reader();
        let sizes: (i64, i64) = conn.query_row(
            "SELECT COALESCE(SUM(size), 0), COALESCE(SUM(LENGTH(data)), 0) FROM blobs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Stats {
            backend: "sqlite",
            location: self.location.clone(),
            schema_version: conn.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )?,
            products: count(&conn, "SELECT COUNT(*) FROM products")?,
            product_versions: count(&conn, "SELECT COUNT(*) FROM product_versions")?,
            documents: count(&conn, "SELECT COUNT(*) FROM documents")?,
            names: count(&conn, "SELECT COUNT(DISTINCT name) FROM packages")?,
            packages: count(&conn, "SELECT COUNT(*) FROM packages")?,
            occurrences: count(&conn, "SELECT COUNT(*) FROM occurrences")?,
            edges: count(&conn, "SELECT COALESCE(SUM(edges), 0) FROM documents")?,
            document_bytes: to_u64(sizes.0),
            stored_bytes: to_u64(sizes.1),
        })
    }

    fn optimize(&self) -> Result<()> {
        self.conn()
            .execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002")?;
        Ok(())
    }

    fn import_advisories(&self, rows: &[AdvisoryRow]) -> Result<AdvisoryImport> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut report = AdvisoryImport::default();
        let now = time::now_micros();
        for row in rows {
            let stored: Option<(i64, String, Option<String>)> = tx
                .query_row(
                    "SELECT id, digest, modified FROM advisories WHERE osv_id = ?",
                    params![row.osv_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let id = match stored {
                Some((_, digest, _)) if digest == row.digest => {
                    report.unchanged += 1;
                    continue;
                }
                Some((_, _, modified)) if !newer(row, modified.as_deref()) => {
                    report.unchanged += 1;
                    continue;
                }
                Some((id, _, _)) => {
                    tx.execute(
                        "DELETE FROM advisory_ids WHERE advisory_id = ?",
                        params![id],
                    )?;
                    tx.execute(
                        "DELETE FROM advisory_packages WHERE advisory_id = ?",
                        params![id],
                    )?;
                    tx.execute(
                        "UPDATE advisories SET modified = ?, withdrawn = ?, malicious = ?,
                             severity = ?, score = ?, summary = ?, digest = ?, record = ?,
                             imported_at = ?
                         WHERE id = ?",
                        params![
                            row.modified,
                            i64::from(row.withdrawn),
                            i64::from(row.malicious),
                            row.severity,
                            row.score,
                            row.summary,
                            row.digest,
                            row.record,
                            now,
                            id
                        ],
                    )?;
                    report.updated += 1;
                    id
                }
                None => {
                    tx.execute(
                        "INSERT INTO advisories (osv_id, modified, withdrawn, malicious, severity,
                             score, summary, digest, record, imported_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        params![
                            row.osv_id,
                            row.modified,
                            i64::from(row.withdrawn),
                            i64::from(row.malicious),
                            row.severity,
                            row.score,
                            row.summary,
                            row.digest,
                            row.record,
                            now
                        ],
                    )?;
                    report.added += 1;
                    tx.last_insert_rowid()
                }
            };
            tx.prepare_cached(
                "INSERT INTO advisory_changes (advisory_id, changed_at) VALUES (?, ?)
                 ON CONFLICT (advisory_id) DO UPDATE SET changed_at = excluded.changed_at",
            )?
            .execute(params![id, now])?;
            let mut ids = tx.prepare_cached(
                "INSERT INTO advisory_ids (identifier, advisory_id) VALUES (?, ?)
                 ON CONFLICT DO NOTHING",
            )?;
            for identifier in &row.identifiers {
                ids.execute(params![identifier, id])?;
            }
            let mut packages = tx.prepare_cached(
                "INSERT INTO advisory_packages (ecosystem, name, advisory_id) VALUES (?, ?, ?)
                 ON CONFLICT DO NOTHING",
            )?;
            for (ecosystem, name) in &row.packages {
                packages.execute(params![ecosystem, name, id])?;
            }
        }
        tx.commit()?;
        Ok(report)
    }

    fn advisories_by_identifiers(&self, identifiers: &[String]) -> Result<Vec<Vec<u8>>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT a.record FROM advisory_ids i JOIN advisories a ON a.id = i.advisory_id
             WHERE i.identifier = ?",
        )?;
        let mut out = Vec::new();
        for identifier in identifiers {
            let rows = stmt.query_map(params![identifier], |r| r.get::<_, Vec<u8>>(0))?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    fn advisories_for_packages(&self, keys: &[(String, String)]) -> Result<Vec<(i64, Vec<u8>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT a.id, a.record FROM advisory_packages p JOIN advisories a ON a.id = p.advisory_id
             WHERE p.ecosystem = ? AND p.name = ? AND a.withdrawn = 0",
        )?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (ecosystem, name) in keys {
            let rows = stmt.query_map(params![ecosystem, name], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?;
            for row in rows {
                let (id, record) = row?;
                if seen.insert(id) {
                    out.push((id, record));
                }
            }
        }
        Ok(out)
    }

    fn advisory_records(&self, ids: &[i64]) -> Result<Vec<(i64, Vec<u8>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT record FROM advisories WHERE id = ?")?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(record) = stmt
                .query_row(params![id], |r| r.get::<_, Vec<u8>>(0))
                .optional()?
            {
                out.push((id, record));
            }
        }
        Ok(out)
    }

    fn queued_changes(&self) -> Result<Vec<(i64, i64)>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT advisory_id, changed_at FROM advisory_changes")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn packages_concerned(&self) -> Result<Vec<PackageRef>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
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
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn unmatched_packages(&self) -> Result<Vec<PackageRef>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.purl FROM packages p
             WHERE NOT EXISTS (SELECT 1 FROM matched_packages m WHERE m.package_id = p.id)",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn active_findings(&self, packages: &[i64]) -> Result<Vec<(i64, i64, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT f.package_id, f.advisory_id, a.osv_id
             FROM findings f JOIN advisories a ON a.id = f.advisory_id
             WHERE f.package_id = ? AND f.resolved_at IS NULL",
        )?;
        let mut out = Vec::new();
        for &id in packages {
            let rows = stmt.query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    fn write_matches(&self, write: &MatchWrite) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut key = tx.prepare_cached(
                "INSERT INTO package_keys (ecosystem, name, package_id) VALUES (?, ?, ?)
                 ON CONFLICT DO NOTHING",
            )?;
            let mut matched = tx.prepare_cached(
                "INSERT INTO matched_packages (package_id, matched_at) VALUES (?, ?)
                 ON CONFLICT (package_id) DO UPDATE SET matched_at = excluded.matched_at",
            )?;
            for (package, keys) in &write.first_matched {
                for (ecosystem, name) in keys {
                    key.execute(params![ecosystem, name, package])?;
                }
                matched.execute(params![package, write.now])?;
            }
            let mut finding = tx.prepare_cached(
                "INSERT INTO findings (package_id, advisory_id, via, fixed_in, informational,
                     first_seen, last_seen, resolved_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, NULL)
                 ON CONFLICT (package_id, advisory_id) DO UPDATE SET via = excluded.via,
                     fixed_in = excluded.fixed_in, informational = excluded.informational,
                     last_seen = excluded.last_seen, resolved_at = NULL",
            )?;
            for f in &write.current {
                finding.execute(params![
                    f.package_id,
                    f.advisory_id,
                    f.via,
                    f.fixed_in,
                    f.informational,
                    write.now
                ])?;
            }
            let mut resolve = tx.prepare_cached(
                "UPDATE findings SET resolved_at = ?
                 WHERE package_id = ? AND advisory_id = ? AND resolved_at IS NULL",
            )?;
            for (package, advisory) in &write.resolved {
                resolve.execute(params![write.now, package, advisory])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn clear_changes(&self, changes: &[(i64, i64)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM advisory_changes WHERE advisory_id = ? AND changed_at = ?",
            )?;
            for (id, at) in changes {
                stmt.execute(params![id, at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn has_pending_matches(&self) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM advisory_changes)
                 OR EXISTS (SELECT 1 FROM packages p WHERE NOT EXISTS
                     (SELECT 1 FROM matched_packages m WHERE m.package_id = p.id))",
            [],
            |r| r.get(0),
        )?)
    }

    fn reset_matches(&self) -> Result<()> {
        self.conn().execute("DELETE FROM matched_packages", [])?;
        Ok(())
    }

    fn findings(&self, query: &FindingQuery, as_of: i64) -> Result<Vec<RawFinding>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached(&findings_sql(query, Dialect::Sqlite).replace('$', "?"))?;
        let advisories = query
            .advisories
            .as_ref()
            .map(|a| serde_json::to_string(a).unwrap_or_default());
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&as_of];
        if let Some(p) = &query.product {
            values.push(p);
        }
        if let Some(v) = &query.version {
            values.push(v);
        }
        if let Some(a) = &advisories {
            values.push(a);
        }
        let rows = stmt.query_map(values.as_slice(), |r| {
            Ok(RawFinding {
                product: r.get(0)?,
                version: r.get(1)?,
                package: r.get(2)?,
                advisory_id: r.get(3)?,
                advisory: r.get(4)?,
                severity: r.get(5)?,
                score: r.get(6)?,
                malicious: r.get::<_, i64>(7)? != 0,
                summary: r.get(8)?,
                via: r.get(9)?,
                fixed_in: r.get(10)?,
                informational: r.get(11)?,
                first_seen: r.get(12)?,
                last_seen: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn import_vex(&self, row: &VexRow) -> Result<(i64, bool)> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(id) = tx
            .query_row(
                "SELECT id FROM vex_documents WHERE digest = ?",
                params![row.digest],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
        {
            return Ok((id, false));
        }
        tx.execute(
            "INSERT INTO vex_documents (digest, format, document_id, author, issued, statements,
                 imported_at, data)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                row.digest,
                row.format,
                row.document_id,
                row.author,
                row.issued,
                crate::int(row.statements.len()),
                time::now_micros(),
                row.data
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut statement = tx.prepare_cached(
                "INSERT INTO vex_statements (vex_document_id, ordinal, issued_at, statement)
                 VALUES (?, ?, ?, ?)",
            )?;
            let mut ids = tx.prepare_cached(
                "INSERT INTO vex_ids (identifier, vex_document_id, ordinal) VALUES (?, ?, ?)
                 ON CONFLICT DO NOTHING",
            )?;
            for (ordinal, (json, at, identifiers)) in row.statements.iter().enumerate() {
                let ordinal = crate::int(ordinal);
                statement.execute(params![id, ordinal, at, json])?;
                for identifier in identifiers {
                    ids.execute(params![identifier, id, ordinal])?;
                }
            }
        }
        tx.commit()?;
        Ok((id, true))
    }

    fn vex_statements(&self, identifiers: &[String]) -> Result<Vec<(String, i64)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT s.vex_document_id, s.ordinal, s.statement, s.issued_at
             FROM vex_ids i
             JOIN vex_statements s ON s.vex_document_id = i.vex_document_id AND s.ordinal = i.ordinal
             WHERE i.identifier = ?",
        )?;
        let mut seen = std::collections::BTreeMap::new();
        for identifier in identifiers {
            let rows = stmt.query_map(params![identifier], |r| {
                Ok((
                    (r.get::<_, i64>(0)?, r.get::<_, i64>(1)?),
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            for row in rows {
                let (key, json, at) = row?;
                seen.insert(key, (json, at));
            }
        }
        Ok(seen.into_values().collect())
    }

    fn import_kev(&self, entries: &[KevEntry]) -> Result<u64> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = time::now_micros();
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO kev (cve, vendor, product, name, date_added, due_date, ransomware,
                     imported_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (cve) DO UPDATE SET vendor = excluded.vendor,
                     product = excluded.product, name = excluded.name,
                     date_added = excluded.date_added, due_date = excluded.due_date,
                     ransomware = excluded.ransomware, imported_at = excluded.imported_at",
            )?;
            for e in entries {
                stmt.execute(params![
                    e.cve,
                    e.vendor,
                    e.product,
                    e.name,
                    e.date_added,
                    e.due_date,
                    e.ransomware,
                    now
                ])?;
            }
        }
        tx.commit()?;
        Ok(to_u64(crate::int(entries.len())))
    }

    fn import_epss(&self, entries: &[EpssEntry]) -> Result<u64> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = time::now_micros();
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO epss (cve, score, percentile, score_date, imported_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (cve) DO UPDATE SET score = excluded.score,
                     percentile = excluded.percentile, score_date = excluded.score_date,
                     imported_at = excluded.imported_at",
            )?;
            for e in entries {
                stmt.execute(params![e.cve, e.score, e.percentile, e.date, now])?;
            }
        }
        tx.commit()?;
        Ok(to_u64(crate::int(entries.len())))
    }

    fn enrichment(&self, cves: &[String]) -> Result<HashMap<String, Enrichment>> {
        let conn = self.reader();
        let mut kev = conn.prepare_cached("SELECT date_added FROM kev WHERE cve = ?")?;
        let mut epss = conn.prepare_cached("SELECT score, percentile FROM epss WHERE cve = ?")?;
        let mut out = HashMap::new();
        for cve in cves {
            let added: Option<Option<String>> =
                kev.query_row(params![cve], |r| r.get(0)).optional()?;
            let score: Option<(f64, Option<f64>)> = epss
                .query_row(params![cve], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if added.is_none() && score.is_none() {
                continue;
            }
            out.insert(
                cve.clone(),
                Enrichment {
                    kev_added: added.map(Option::unwrap_or_default),
                    epss: score.map(|s| s.0),
                    epss_percentile: score.and_then(|s| s.1),
                },
            );
        }
        Ok(out)
    }

    fn source_state(&self, source: &str) -> Result<Option<(Option<String>, i64)>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT last_modified, synced_at FROM advisory_sources WHERE source = ?",
                params![source],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn set_source_state(&self, source: &str, last_modified: Option<&str>) -> Result<()> {
        self.conn().execute(
            "INSERT INTO advisory_sources (source, last_modified, synced_at) VALUES (?, ?, ?)
             ON CONFLICT (source) DO UPDATE SET last_modified = excluded.last_modified,
                 synced_at = excluded.synced_at",
            params![source, last_modified, time::now_micros()],
        )?;
        Ok(())
    }

    fn package_ecosystems(&self) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT DISTINCT ecosystem FROM package_keys ORDER BY 1")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn portfolio_names(
        &self,
        prefix: &str,
        min_products: i64,
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached(&crate::query::portfolio_names_sql(["?1", "?2", "?3"]))?;
        let pattern = format!("{}%", crate::query::like_escape(prefix));
        let rows = stmt.query_map(params![pattern, min_products, limit], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn store_attestation(&self, row: &crate::attest::AttestationRow) -> Result<(i64, bool)> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let product_version: Option<i64> = match &row.product {
            None => None,
            Some((product, version)) => Some(
                tx.query_row(
                    "SELECT pv.id FROM product_versions pv JOIN products p ON p.id = pv.product_id
                     WHERE p.name = ?1 AND pv.version = ?2",
                    params![product, version],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| {
                    StoreError::NotFound(format!(
                        "no product version `{product}@{version}` in the store: ingest its SBOM first"
                    ))
                })?,
            ),
        };
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM attestations WHERE digest = ?1",
                [&row.digest],
                |r| r.get(0),
            )
            .optional()?;
        let (id, stored) = if let Some(id) = existing {
            (id, false)
        } else {
            tx.execute(
                "INSERT INTO attestations (digest, format, predicate_type, builder_id, build_type,
                     source_repo, source_revision, signer_identity, signer_issuer, signer_key,
                     signed_at, trust_root, checks, verified_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![
                    row.digest,
                    row.format,
                    row.predicate_type,
                    row.builder_id,
                    row.build_type,
                    row.source_repo,
                    row.source_revision,
                    row.signer_identity,
                    row.signer_issuer,
                    row.signer_key,
                    row.signed_at,
                    row.trust_root,
                    row.checks,
                    row.verified_at,
                    row.data
                ],
            )?;
            let id = tx.last_insert_rowid();
            let mut stmt = tx.prepare_cached(
                "INSERT INTO attestation_subjects (attestation_id, algorithm, digest, name)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            )?;
            for (alg, digest, name) in &row.subjects {
                stmt.execute(params![id, alg, digest, name])?;
            }
            drop(stmt);
            (id, true)
        };
        if let Some(pv) = product_version {
            tx.execute(
                "INSERT INTO attestation_products (attestation_id, product_version_id)
                 VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![id, pv],
            )?;
        }
        tx.commit()?;
        Ok((id, stored))
    }

    fn evidence_for_document(&self, document: i64) -> Result<Vec<crate::attest::EvidenceRaw>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {} FROM attestations a
             JOIN attestation_products ap ON ap.attestation_id = a.id
             JOIN documents d ON d.product_version_id = ap.product_version_id
             WHERE d.id = ?1 ORDER BY a.id",
            crate::attest::EVIDENCE_COLUMNS
        ))?;
        let rows = stmt.query_map([document], evidence_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn evidence_for_digests(
        &self,
        digests: &[(String, String)],
    ) -> Result<Vec<(crate::attest::EvidenceRaw, String, String)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {}, s.algorithm, s.digest FROM attestation_subjects s
             JOIN attestations a ON a.id = s.attestation_id
             WHERE s.algorithm = ?1 AND s.digest = ?2",
            crate::attest::EVIDENCE_COLUMNS
        ))?;
        let mut out = Vec::new();
        for (alg, digest) in digests {
            let rows = stmt.query_map(params![alg, digest], |r| {
                Ok((evidence_row(r)?, r.get(13)?, r.get(14)?))
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    fn document_hashes(&self, document: i64) -> Result<Vec<(String, Option<String>, String)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT o.hashes, pk.purl, o.name FROM occurrences o
             LEFT JOIN packages pk ON pk.id = o.package_id
             WHERE o.document_id = ?1 AND o.hashes IS NOT NULL ORDER BY o.ordinal",
        )?;
        let rows = stmt.query_map([document], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn insert_token(
        &self,
        name: &str,
        role: &str,
        products: Option<&str>,
        hash: &str,
        created_at: i64,
        expires_at: Option<i64>,
    ) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO tokens (name, role, products, hash, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![name, role, products, hash, created_at, expires_at],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn revoke_token(&self, name: &str, at: i64) -> Result<bool> {
        Ok(self.conn().execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            params![name, at],
        )? > 0)
    }

    fn tokens(&self) -> Result<Vec<crate::tokens::TokenRow>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, role, products, created_at, expires_at, revoked_at FROM tokens ORDER BY id",
        )?;
        let rows = stmt.query_map([], token_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn token_by_name(&self, name: &str) -> Result<Option<crate::tokens::TokenRow>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT id, name, role, products, created_at, expires_at, revoked_at FROM tokens WHERE name = ?1",
                [name],
                token_row,
            )
            .optional()?)
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<crate::tokens::TokenRow>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT id, name, role, products, created_at, expires_at, revoked_at FROM tokens WHERE hash = ?1",
                [hash],
                token_row,
            )
            .optional()?)
    }

    fn try_lead(&self, _task: &str) -> Result<Option<Box<dyn Send>>> {
        Ok(Some(Box::new(())))
    }

    fn record_delivery(&self, d: &crate::tokens::Delivery) -> Result<()> {
        self.conn().execute(
            "INSERT INTO webhook_deliveries (url, event, delivered, attempts, response_code,
                 error, created_at, finished_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                d.url,
                d.event,
                i64::from(d.delivered),
                i64::from(d.attempts),
                d.response_code.map(i64::from),
                d.error,
                d.created_at,
                d.finished_at
            ],
        )?;
        Ok(())
    }

    fn deliveries(&self, limit: u32) -> Result<Vec<crate::tokens::Delivery>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT url, event, delivered, attempts, response_code, error, created_at, finished_at
             FROM webhook_deliveries ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::from(limit)], |r| {
            Ok(crate::tokens::Delivery {
                url: r.get(0)?,
                event: r.get(1)?,
                delivered: r.get::<_, i64>(2)? != 0,
                attempts: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(u32::MAX),
                response_code: r
                    .get::<_, Option<i64>>(4)?
                    .and_then(|c| u16::try_from(c).ok()),
                error: r.get(5)?,
                created_at: r.get(6)?,
                finished_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn document_info(&self, id: i64) -> Result<Option<DocumentInfo>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT d.id, p.name, pv.version, d.format, d.spec_version, d.digest,
                     d.components, d.edges, d.ingested_at
                 FROM documents d
                 JOIN product_versions pv ON pv.id = d.product_version_id
                 JOIN products p ON p.id = pv.product_id
                 WHERE d.id = ?1",
                [id],
                document_row,
            )
            .optional()?)
    }

    fn documents_high_water(&self) -> Result<i64> {
        Ok(self
            .reader()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM documents", [], |r| {
                r.get(0)
            })?)
    }

    fn cache_get(&self, key: &str) -> Result<Option<crate::query::Cached>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT documents, computed_at, took, data FROM caches WHERE key = ?1",
                [key],
                |r| {
                    Ok(crate::query::Cached {
                        documents: r.get(0)?,
                        computed_at: r.get(1)?,
                        took: r.get(2)?,
                        data: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn cache_put(&self, key: &str, entry: &crate::query::Cached) -> Result<()> {
        // Only a cache: when this process is writing (a reader computed the entry beside
        // an ingest), it is not worth waiting for; the next computation stores it.
        let conn = match self.conn.try_lock() {
            Ok(conn) => conn,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Ok(()),
        };
        conn.execute(
            &crate::query::cache_put_sql(["?1", "?2", "?3", "?4", "?5"]),
            params![
                key,
                entry.documents,
                entry.computed_at,
                entry.took,
                entry.data
            ],
        )?;
        Ok(())
    }

    fn advisories_last_import(&self) -> Result<Option<i64>> {
        Ok(self
            .reader()
            .query_row("SELECT MAX(imported_at) FROM advisories", [], |r| r.get(0))?)
    }

    fn advisory_stats(&self) -> Result<AdvisoryStats> {
        let conn = self.reader();
        Ok(conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(withdrawn), 0), COALESCE(SUM(malicious), 0),
                    MAX(imported_at)
             FROM advisories",
            [],
            |r| {
                Ok(AdvisoryStats {
                    records: to_u64(r.get(0)?),
                    withdrawn: to_u64(r.get(1)?),
                    malicious: to_u64(r.get(2)?),
                    last_import: r.get(3)?,
                })
            },
        )?)
    }

    fn check(&self) -> Result<CheckReport> {
        let conn = self.conn();
        let mut problems = Vec::new();
        {
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for row in rows {
                let row = row?;
                if row != "ok" {
                    problems.push(format!("sqlite integrity: {row}"));
                }
            }
        }
        {
            let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
            let rows = stmt.query_map([], |r| {
                Ok(format!(
                    "foreign key: a row of `{}` refers to a missing `{}`",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(2)?
                ))
            })?;
            for row in rows {
                problems.push(row?);
            }
        }
        for (sql, what) in crate::query::INVARIANTS {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| r.get::<_, i64>(0))?;
            for id in rows {
                problems.push(format!("document {}: {what}", id?));
            }
        }
        {
            let mut stmt = conn.prepare(
                "SELECT d.id, d.components, d.edges, g.data
                 FROM documents d LEFT JOIN graphs g ON g.document_id = d.id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let data: Option<Vec<u8>> = r.get(3)?;
                if let Some(p) =
                    crate::query::check_graph(r.get(0)?, r.get(1)?, r.get(2)?, data.as_deref())
                {
                    problems.push(p);
                }
            }
        }
        let mut stmt = conn.prepare("SELECT digest, codec, data FROM blobs")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let digest: String = r.get(0)?;
            let codec: String = r.get(1)?;
            let data: Vec<u8> = r.get(2)?;
            if let Some(p) = crate::query::check_blob(&digest, &codec, &data) {
                problems.push(p);
            }
        }
        Ok(CheckReport {
            ok: problems.is_empty(),
            checked: crate::query::CHECKED.to_vec(),
            problems,
        })
    }
}

/// Occurrence rows per `INSERT` (11 parameters each, well below SQLite's limit).
const OCCURRENCES_PER_STATEMENT: usize = 64;

/// `INSERT INTO occurrences … VALUES (…), (…)…` for `n` rows.
fn occurrence_insert(n: usize) -> String {
    let mut sql = String::from(
        "INSERT OR FAIL INTO occurrences (document_id, ordinal, package_id, bom_ref, name, version, \
         kind, scope, license, hashes, source_file) VALUES ",
    );
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?,?)");
    }
    sql
}

/// Stores one document with `tx` (the batch's transaction). `known` are package ids
/// committed earlier; the ids of packages this call looks up or inserts are pushed to
/// `added`, for the caller to remember once the transaction commits.
fn ingest_one(
    tx: &Connection,
    doc: &Prepared,
    known: &HashMap<Box<str>, i64>,
    added: &mut Vec<(Box<str>, i64)>,
) -> Result<IngestOutcome> {
    let now = time::now_micros();
    // Already stored for this product version: nothing to write.
    if let Some(existing) = stored_outcome(
        tx,
        &format!("{OUTCOME_SELECT} WHERE p.name = ? AND pv.version = ? AND d.digest = ?"),
        params![doc.product, doc.version, doc.digest],
    )? {
        return Ok(existing);
    }
    tx.execute(
        "INSERT INTO products (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        params![doc.product, now],
    )?;
    let product_id: i64 = tx.query_row(
        "SELECT id FROM products WHERE name = ?",
        params![doc.product],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO product_versions (product_id, version, created_at) VALUES (?, ?, ?)
         ON CONFLICT (product_id, version) DO NOTHING",
        params![product_id, doc.version, now],
    )?;
    let pv: i64 = tx.query_row(
        "SELECT id FROM product_versions WHERE product_id = ? AND version = ?",
        params![product_id, doc.version],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO blobs (digest, codec, size, data) VALUES (?, 'zstd', ?, ?)
         ON CONFLICT (digest) DO NOTHING",
        params![
            doc.digest,
            i64::try_from(doc.raw_size).unwrap_or(i64::MAX),
            doc.raw
        ],
    )?;
    tx.execute(
        "INSERT INTO documents (product_version_id, digest, format, spec_version, serial,
             created, subject, components, edges, ingested_at, self_named)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            pv,
            doc.digest,
            doc.format.as_str(),
            doc.spec_version,
            doc.serial,
            doc.created,
            doc.subject,
            crate::int(doc.components.len()),
            crate::int(doc.edge_count),
            now,
            i64::from(doc.self_named)
        ],
    )?;
    let document = tx.last_insert_rowid();
    {
        // Packages first, in purl order: index inserts land next to each other.
        let mut wanted: Vec<(&str, &str, Option<&str>)> = doc
            .components
            .iter()
            .filter_map(|r| match (&r.purl, &r.name_identity) {
                (Some(p), Some(n)) => Some((p.as_str(), n.as_str(), r.package_version.as_deref())),
                _ => None,
            })
            .collect();
        wanted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        wanted.dedup_by(|a, b| a.0 == b.0);
        let mut packages: HashMap<&str, i64> = HashMap::with_capacity(wanted.len());
        // Within the write transaction a missing package cannot appear concurrently:
        // look up, insert when missing.
        let mut find_package = tx.prepare_cached("SELECT id FROM packages WHERE purl = ?")?;
        let mut add_package = tx.prepare_cached(
            "INSERT OR FAIL INTO packages (purl, name, version) VALUES (?, ?, ?)",
        )?;
        let remember = wanted.len() <= crate::PACKAGE_CACHE_PER_DOCUMENT;
        for (purl, name, version) in wanted {
            if let Some(&id) = known.get(purl) {
                packages.insert(purl, id);
                continue;
            }
            let found = find_package
                .query_row([purl], |r| r.get::<_, i64>(0))
                .optional()?;
            let id = if let Some(id) = found {
                id
            } else {
                add_package.execute(params![purl, name, version])?;
                tx.last_insert_rowid()
            };
            packages.insert(purl, id);
            if remember {
                added.push((purl.into(), id));
            }
        }
        // Many rows per statement: the per-statement work (binding aside) is shared.
        let ids: Vec<Option<i64>> = doc
            .components
            .iter()
            .map(|r| r.purl.as_deref().and_then(|p| packages.get(p).copied()))
            .collect();
        let mut start = 0;
        while start < doc.components.len() {
            let n = (doc.components.len() - start).min(OCCURRENCES_PER_STATEMENT);
            let mut stmt = tx.prepare_cached(&occurrence_insert(n))?;
            let mut i = 1;
            for (ordinal, row) in doc.components.iter().enumerate().skip(start).take(n) {
                stmt.raw_bind_parameter(i, document)?;
                stmt.raw_bind_parameter(i + 1, crate::int(ordinal))?;
                stmt.raw_bind_parameter(i + 2, ids[ordinal])?;
                stmt.raw_bind_parameter(i + 3, &row.bom_ref)?;
                stmt.raw_bind_parameter(i + 4, &row.name)?;
                stmt.raw_bind_parameter(i + 5, &row.version)?;
                stmt.raw_bind_parameter(i + 6, &row.kind)?;
                stmt.raw_bind_parameter(i + 7, row.scope)?;
                stmt.raw_bind_parameter(i + 8, &row.license)?;
                stmt.raw_bind_parameter(i + 9, &row.hashes)?;
                stmt.raw_bind_parameter(i + 10, &row.source_file)?;
                i += 11;
            }
            stmt.raw_execute()?;
            start += n;
        }
    }
    tx.execute(
        "INSERT INTO graphs (document_id, data) VALUES (?, ?)",
        params![document, doc.graph],
    )?;
    tx.execute(
        &crate::query::set_current_sql(["?1", "?2", "?3"]),
        params![document, now, pv],
    )?;
    Ok(doc.stored_as(document))
}

/// An evidence row: the columns of `attest::EVIDENCE_COLUMNS`.
fn evidence_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::attest::EvidenceRaw> {
    let mut texts: [Option<String>; 11] = Default::default();
    for (i, t) in texts.iter_mut().enumerate() {
        *t = r.get(i + 1)?;
    }
    Ok(crate::attest::EvidenceRaw {
        id: r.get(0)?,
        texts,
        verified_at: r.get(12)?,
    })
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::tokens::TokenRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

/// A `DocumentInfo` from `d.id, p.name, pv.version, d.format, d.spec_version, d.digest,
/// d.components, d.edges, d.ingested_at`.
fn document_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentInfo> {
    Ok(DocumentInfo {
        id: r.get(0)?,
        product: r.get(1)?,
        version: r.get(2)?,
        format: r.get(3)?,
        spec_version: r.get(4)?,
        digest: r.get(5)?,
        components: to_u64(r.get(6)?),
        edges: to_u64(r.get(7)?),
        ingested: time::format_micros(r.get(8)?),
    })
}
