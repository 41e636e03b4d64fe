//! The shared backend: a PostgreSQL server, for many chainwatch processes and server
//! replicas at once. Connections come from a small pool; documents are loaded in bulk
//! (array `INSERT … SELECT unnest(…)` for the deduplicated tables, binary `COPY` for
//! occurrences and edges), in one transaction each. Keys are inserted in sorted order so
//! concurrent ingesters wait for each other instead of deadlocking; serialization
//! failures and deadlocks are retried.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls, Transaction};

use crate::advisories::{AdvisoryImport, AdvisoryRow, AdvisoryStats, newer};
use crate::findings::{FindingQuery, FindingRow, MatchWrite, PackageRef, RawFinding, findings_sql};
use crate::prepare::Prepared;
use crate::query::{OUTCOME_SELECT, current};
use crate::schema::{self, Dialect};
use crate::to_u64;
use crate::vex::{Enrichment, VexRow};
use crate::{
    Backend, Candidate, CheckReport, DocRef, DocumentInfo, Graph, IngestOutcome, MigrateReport,
    Naming, ProductSummary, Result, Stats, StoreError, time,
};
use chainwatch_advisory::enrich::{EpssEntry, KevEntry};

/// Connections kept open for reuse.
const POOL_SIZE: usize = 8;
/// Attempts for a transaction that fails with a serialization failure or deadlock.
const ATTEMPTS: usize = 8;

pub(crate) struct Pg {
    config: Config,
    schema: Option<String>,
    location: String,
    idle: Mutex<Vec<Client>>,
    /// Package ids by purl, as committed (see the SQLite backend: packages are never
    /// deleted or renumbered, so a committed id stays right for every process).
    package_ids: Mutex<HashMap<Box<str>, i64>>,
}

/// A pooled connection, returned to the pool when dropped (unless broken).
struct Conn<'a> {
    pool: &'a Pg,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until drop")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && !client.is_closed()
        {
            let mut idle = self
                .pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if idle.len() < POOL_SIZE {
                idle.push(client);
            }
        }
    }
}

/// `"name"` with embedded quotes doubled.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The URL without the `schema` parameter (which the driver does not know), and the
/// schema.
fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.strip_prefix("schema=") {
            Some(s) => {
                schema = Some(s.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

/// The URL with any password replaced, for messages.
fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

fn is_transient(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// Package ids from `(id, purl)` rows, keyed by the document's own purls; read as they
/// arrive (a document of 500,000 new packages would otherwise hold as many rows).
fn record_ids<'d>(
    mut rows: postgres::RowIter<'_>,
    wanted: &BTreeMap<&'d str, (&'d str, Option<&'d str>)>,
    ids: &mut HashMap<&'d str, i64>,
) -> Result<()> {
    use postgres::fallible_iterator::FallibleIterator as _;
    while let Some(row) = rows.next()? {
        if let Some((purl, _)) = wanted.get_key_value(row.get::<_, &str>(1)) {
            ids.insert(purl, row.get(0));
        }
    }
    Ok(())
}

fn outcome(row: &postgres::Row) -> IngestOutcome {
    IngestOutcome {
        stored: false,
        document: row.get(0),
        product: row.get(1),
        version: row.get(2),
        format: row.get(3),
        digest: row.get(4),
        components: to_u64(row.get(5)),
        edges: to_u64(row.get(6)),
    }
}

impl Pg {
    pub(crate) fn open(url: &str) -> Result<Pg> {
        let (driver_url, schema) = split_schema(url);
        let location = redact(url);
        let config = Config::from_str(&driver_url).map_err(|e| StoreError::Open {
            location: location.clone(),
            message: e.to_string(),
        })?;
        let pg = Pg {
            config,
            schema,
            location,
            idle: Mutex::new(Vec::new()),
            package_ids: Mutex::new(HashMap::new()),
        };
        // Connect once now, so a wrong URL fails here with a clear message.
        drop(pg.conn()?);
        Ok(pg)
    }

    fn connect(&self) -> Result<Client> {
        let mut client = self.config.connect(NoTls).map_err(|e| StoreError::Open {
            location: self.location.clone(),
            message: e.to_string(),
        })?;
        // Queries here are short: compiling them (JIT) costs more than it saves. Servers
        // without the setting (PostgreSQL-compatible ones) are fine without it.
        let _ = client.batch_execute("SET jit = off");
        if let Some(schema) = &self.schema {
            let q = quote_ident(schema);
            if let Err(e) = client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {q}")) {
                // Another process creating it at the same moment is fine.
                if e.code() != Some(&SqlState::UNIQUE_VIOLATION) {
                    return Err(e.into());
                }
            }
            client.batch_execute(&format!("SET search_path TO {q}"))?;
        }
        Ok(client)
    }

    fn conn(&self) -> Result<Conn<'_>> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let client = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => self.connect()?,
        };
        Ok(Conn {
            pool: self,
            client: Some(client),
        })
    }

    /// Runs `f` in a transaction, retrying serialization failures and deadlocks.
    fn with_tx<T>(&self, mut f: impl FnMut(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut tx = conn.transaction()?;
            let result = f(&mut tx).and_then(|v| {
                tx.commit()?;
                Ok(v)
            });
            match result {
                Err(StoreError::Postgres(e)) if is_transient(&e) && attempt < ATTEMPTS => {
                    std::thread::sleep(std::time::Duration::from_millis(5 << attempt));
                }
                other => return other,
            }
        }
    }

    /// Stores one document. `known` are package ids committed earlier; the ids this call
    /// reads or inserts are pushed to `added`, for the caller to remember once they are
    /// committed.
    fn ingest_once(
        tx: &mut Transaction<'_>,
        doc: &Prepared,
        known: &Mutex<HashMap<Box<str>, i64>>,
        added: &mut Vec<(Box<str>, i64)>,
    ) -> Result<IngestOutcome> {
        let now = time::now_micros();
        tx.execute(
            "INSERT INTO products (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&doc.product, &now],
        )?;
        let product_id: i64 = tx
            .query_one("SELECT id FROM products WHERE name = $1", &[&doc.product])?
            .get(0);
        tx.execute(
            "INSERT INTO product_versions (product_id, version, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (product_id, version) DO NOTHING",
            &[&product_id, &doc.version, &now],
        )?;
        let pv: i64 = tx
            .query_one(
                "SELECT id FROM product_versions WHERE product_id = $1 AND version = $2",
                &[&product_id, &doc.version],
            )?
            .get(0);
        let existing_sql =
            format!("{OUTCOME_SELECT} WHERE d.product_version_id = $1 AND d.digest = $2");
        if let Some(row) = tx.query_opt(&existing_sql, &[&pv, &doc.digest])? {
            return Ok(outcome(&row));
        }
        let size = i64::try_from(doc.raw_size).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO blobs (digest, codec, size, data) VALUES ($1, 'zstd', $2, $3)
             ON CONFLICT (digest) DO NOTHING",
            &[&doc.digest, &size, &doc.raw],
        )?;
        let components = i64::try_from(doc.components.len()).unwrap_or(i64::MAX);
        let edges = crate::int(doc.edge_count);
        let subject = doc.subject.map(i64::from);
        let inserted = tx.query_opt(
            "INSERT INTO documents (product_version_id, digest, format, spec_version, serial,
                 created, subject, components, edges, ingested_at, self_named)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (product_version_id, digest) DO NOTHING
             RETURNING id",
            &[
                &pv,
                &doc.digest,
                &doc.format.as_str(),
                &doc.spec_version,
                &doc.serial,
                &doc.created,
                &subject,
                &components,
                &edges,
                &now,
                &i32::from(doc.self_named),
            ],
        )?;
        let Some(inserted) = inserted else {
            // Another process stored it first (we waited for its commit).
            let row = tx.query_one(&existing_sql, &[&pv, &doc.digest])?;
            return Ok(outcome(&row));
        };
        let document: i64 = inserted.get(0);

        // Packages: deduplicated, sorted (so concurrent ingesters queue instead of
        // deadlocking), inserted in bulk. Those this process saw committed are known.
        let mut wanted: BTreeMap<&str, (&str, Option<&str>)> = BTreeMap::new();
        for r in &doc.components {
            if let (Some(purl), Some(name)) = (&r.purl, &r.name_identity) {
                wanted
                    .entry(purl.as_str())
                    .or_insert((name.as_str(), r.package_version.as_deref()));
            }
        }
        let mut package_ids: HashMap<&str, i64> = HashMap::with_capacity(wanted.len());
        {
            // Held for the lookups only: other uploads of this process (the server's)
            // write their own transactions meanwhile.
            let known = known.lock().unwrap_or_else(PoisonError::into_inner);
            wanted.retain(|purl, _| match known.get(*purl) {
                Some(&id) => {
                    package_ids.insert(purl, id);
                    false
                }
                None => true,
            });
        }
        if !wanted.is_empty() {
            // The others are looked up (an index probe each; `LIMIT 1` keeps the planner
            // from making a join of it: without statistics, on a new store or a server
            // whose autovacuum is off, it prices hundreds of purls as most of the table
            // and would scan all of it for every document), then only the new ones are
            // inserted; any that another process inserted meanwhile are read again.
            let find = "SELECT p.id, t.purl FROM unnest($1::text[]) AS t(purl),
                        LATERAL (SELECT id FROM packages WHERE purl = t.purl LIMIT 1) p";
            let purls: Vec<&str> = wanted.keys().copied().collect();
            record_ids(tx.query_raw(find, [&purls])?, &wanted, &mut package_ids)?;
            let missing: Vec<(&str, &(&str, Option<&str>))> = wanted
                .iter()
                .filter(|(purl, _)| !package_ids.contains_key(**purl))
                .map(|(purl, v)| (*purl, v))
                .collect();
            if !missing.is_empty() {
                let purl_col: Vec<&str> = missing.iter().map(|m| m.0).collect();
                let name_col: Vec<&str> = missing.iter().map(|m| m.1.0).collect();
                let version_col: Vec<Option<&str>> = missing.iter().map(|m| m.1.1).collect();
                let columns: [&(dyn ToSql + Sync); 3] = [&purl_col, &name_col, &version_col];
                record_ids(
                    tx.query_raw(
                        "INSERT INTO packages (purl, name, version)
                         SELECT t.purl, t.name, t.version
                         FROM unnest($1::text[], $2::text[], $3::text[])
                             AS t(purl, name, version)
                         ORDER BY t.purl ON CONFLICT (purl) DO NOTHING RETURNING id, purl",
                        columns,
                    )?,
                    &wanted,
                    &mut package_ids,
                )?;
                let again: Vec<&str> = purl_col
                    .into_iter()
                    .filter(|p| !package_ids.contains_key(*p))
                    .collect();
                if !again.is_empty() {
                    record_ids(tx.query_raw(find, [&again])?, &wanted, &mut package_ids)?;
                }
            }
            if wanted.len() <= crate::PACKAGE_CACHE_PER_DOCUMENT {
                for purl in wanted.keys() {
                    if let Some(&id) = package_ids.get(purl) {
                        added.push(((*purl).into(), id));
                    }
                }
            }
        }
        let sink = tx.copy_in(
            "COPY occurrences (document_id, ordinal, package_id, bom_ref, name, version, kind,
                 scope, license, hashes, source_file) FROM STDIN (FORMAT binary)",
        )?;
        let mut writer = BinaryCopyInWriter::new(
            sink,
            &[
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
            ],
        );
        for (ordinal, r) in doc.components.iter().enumerate() {
            let ordinal = i64::try_from(ordinal).unwrap_or(i64::MAX);
            let package: Option<i64> = r.purl.as_deref().and_then(|p| package_ids.get(p).copied());
            let values: [&(dyn ToSql + Sync); 11] = [
                &document,
                &ordinal,
                &package,
                &r.bom_ref,
                &r.name,
                &r.version,
                &r.kind,
                &r.scope,
                &r.license,
                &r.hashes,
                &r.source_file,
            ];
            writer.write(&values)?;
        }
        writer.finish()?;
        tx.execute(
            "INSERT INTO graphs (document_id, data) VALUES ($1, $2)",
            &[&document, &doc.graph],
        )?;
        tx.execute(
            &crate::query::set_current_sql(["$1", "$2", "$3"]),
            &[&document, &now, &pv],
        )?;
        Ok(doc.stored_as(document))
    }
}

fn node(row: &postgres::Row, offset: usize) -> crate::Node {
    crate::query::node(
        row.get(offset),
        row.get(offset + 1),
        row.get(offset + 2),
        row.get(offset + 3),
    )
}

impl Backend for Pg {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn location(&self) -> String {
        match &self.schema {
            Some(s) if !self.location.contains("schema=") => {
                format!("{} (schema {s})", self.location)
            }
            _ => self.location.clone(),
        }
    }

    fn migrate(&self) -> Result<MigrateReport> {
        let mut conn = self.conn()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = (|| -> Result<MigrateReport> {
                let mut tx = conn.transaction()?;
                tx.batch_execute(schema::MIGRATIONS_TABLE)?;
                let from: i64 = tx
                    .query_one(
                        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
                        &[],
                    )?
                    .get(0);
                if from > schema::latest() {
                    return Err(StoreError::SchemaTooNew {
                        location: self.location.clone(),
                        found: from,
                        supported: schema::latest(),
                    });
                }
                let mut applied = Vec::new();
                for m in schema::MIGRATIONS.iter().filter(|m| m.version > from) {
                    // The row first: a concurrent migrator fails here, before any DDL.
                    tx.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                        &[&m.version, &m.name, &time::now_micros()],
                    )?;
                    for statement in m.statements(Dialect::Postgres) {
                        tx.batch_execute(&statement)?;
                    }
                    applied.push(format!("{:04} {}", m.version, m.name));
                }
                tx.commit()?;
                Ok(MigrateReport {
                    from,
                    to: schema::latest().max(from),
                    applied,
                })
            })();
            match result {
                // Another process created the table or applied the migration first.
                Err(StoreError::Postgres(e))
                    if attempt < ATTEMPTS
                        && (is_transient(&e)
                            || matches!(e.code(), Some(c) if *c == SqlState::UNIQUE_VIOLATION
                                || *c == SqlState::DUPLICATE_TABLE
                                || *c == SqlState::DUPLICATE_OBJECT)) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10 << attempt));
                }
                other => return other,
            }
        }
    }

    fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_one(
                "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
                &[],
            )?
            .get(0))
    }

    fn find_digest(&self, digest: &str, naming: &Naming) -> Result<Option<IngestOutcome>> {
        if naming.product.is_some() || naming.version.is_some() {
            // Where an override puts the document is known only after parsing; the
            // ingest transaction checks then.
            return Ok(None);
        }
        let row = self.conn()?.query_opt(
            &format!(
                "{OUTCOME_SELECT} WHERE d.digest = $1 AND d.self_named = 1 ORDER BY d.id LIMIT 1"
            ),
            &[&digest],
        )?;
        Ok(row.as_ref().map(outcome))
    }

    fn ingest_batch(&self, docs: &[&Prepared]) -> Result<Vec<Result<IngestOutcome>>> {
        let mut added = Vec::new();
        let outcomes = self.with_tx(|tx| {
            added.clear();
            let mut outcomes = Vec::with_capacity(docs.len());
            for doc in docs {
                // Each document in its own savepoint: one that fails (or is already
                // stored) leaves no trace, the others commit together.
                let mark = added.len();
                let mut sp = tx.transaction()?;
                match Self::ingest_once(&mut sp, doc, &self.package_ids, &mut added) {
                    Ok(o) if o.stored => {
                        sp.commit()?;
                        outcomes.push(Ok(o));
                    }
                    // A deadlock or serialization failure aborts the whole transaction:
                    // retry the batch.
                    Err(StoreError::Postgres(e)) if is_transient(&e) => {
                        return Err(StoreError::Postgres(e));
                    }
                    other => {
                        // Rolled back: ids this document inserted do not exist.
                        added.truncate(mark);
                        sp.rollback()?;
                        outcomes.push(other);
                    }
                }
            }
            Ok(outcomes)
        })?;
        let mut known = self
            .package_ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if known.len() > crate::PACKAGE_CACHE {
            known.clear();
        }
        known.extend(added);
        Ok(outcomes)
    }

    fn products(&self, as_of: i64) -> Result<Vec<ProductSummary>> {
        let rows = self.conn()?.query(
            &format!(
                "SELECT p.name, pv.version,
                     (SELECT COUNT(*) FROM documents d3 WHERE d3.product_version_id = pv.id
                         AND d3.ingested_at <= $1),
                     d.components, d.ingested_at
                 FROM documents d
                 JOIN product_versions pv ON pv.id = d.product_version_id
                 JOIN products p ON p.id = pv.product_id
                 WHERE {}
                 ORDER BY p.name, pv.version",
                current("$1")
            ),
            &[&as_of],
        )?;
        Ok(rows
            .iter()
            .map(|r| ProductSummary {
                name: r.get(0),
                version: r.get(1),
                documents: to_u64(r.get(2)),
                components: to_u64(r.get(3)),
                updated: time::format_micros(r.get(4)),
            })
            .collect())
    }

    fn documents(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: i64,
    ) -> Result<Vec<DocumentInfo>> {
        let rows = self.conn()?.query(
            "SELECT d.id, p.name, pv.version, d.format, d.spec_version, d.digest,
                 d.components, d.edges, d.ingested_at
             FROM documents d
             JOIN product_versions pv ON pv.id = d.product_version_id
             JOIN products p ON p.id = pv.product_id
             WHERE p.name = $1 AND ($2::text IS NULL OR pv.version = $2) AND d.ingested_at <= $3
             ORDER BY pv.version, d.ingested_at, d.id",
            &[&product, &version, &as_of],
        )?;
        Ok(rows.iter().map(document_row).collect())
    }

    fn candidates(&self, name_identity: &str, as_of: i64) -> Result<Vec<Candidate>> {
        let rows = self.conn()?.query(
            &format!(
                "SELECT p.name, pv.version, o.document_id, o.ordinal, pk.purl, pk.version
                 FROM packages pk
                 JOIN occurrences o ON o.package_id = pk.id
                 JOIN documents d ON d.id = o.document_id
                 JOIN product_versions pv ON pv.id = d.product_version_id
                 JOIN products p ON p.id = pv.product_id
                 WHERE pk.name = $1 AND {}
                 ORDER BY p.name, pv.version, pk.purl, o.ordinal",
                current("$2")
            ),
            &[&name_identity, &as_of],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Candidate {
                    product: r.get(0),
                    version: r.get(1),
                    document: r.get(2),
                    ordinal: u32::try_from(r.get::<_, i64>(3))
                        .map_err(|_| StoreError::Corrupt("negative ordinal".into()))?,
                    purl: r.get(4),
                    package_version: r.get(5),
                })
            })
            .collect()
    }

    fn packages_named(&self, name_identity: &str) -> Result<Vec<crate::PackageRow>> {
        let rows = self.conn()?.query(
            "SELECT id, purl, version FROM packages WHERE name = $1",
            &[&name_identity],
        )?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn holders(&self, package: i64, as_of: i64) -> Result<Vec<(i64, String)>> {
        let mut conn = self.conn()?;
        let rows = if as_of == i64::MAX {
            conn.query(&crate::query::holders_sql(["$1", "$2"], true), &[&package])?
        } else {
            conn.query(
                &crate::query::holders_sql(["$1", "$2"], false),
                &[&package, &as_of],
            )?
        };
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn product_names(&self, ids: &[i64]) -> Result<HashMap<i64, String>> {
        // One probe of the primary key each (see `ingest_once` on `= ANY`).
        let rows = self.conn()?.query(
            "SELECT p.id, p.name FROM unnest($1::bigint[]) AS t(id),
             LATERAL (SELECT id, name FROM products WHERE id = t.id) p",
            &[&ids],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn resolve(&self, product: &str, version: Option<&str>, as_of: i64) -> Result<Option<DocRef>> {
        let row = self.conn()?.query_opt(
            "SELECT d.id, p.name, pv.version
             FROM documents d
             JOIN product_versions pv ON pv.id = d.product_version_id
             JOIN products p ON p.id = pv.product_id
             WHERE p.name = $1 AND ($2::text IS NULL OR pv.version = $2) AND d.ingested_at <= $3
             ORDER BY d.ingested_at DESC, d.id DESC LIMIT 1",
            &[&product, &version, &as_of],
        )?;
        Ok(row.map(|r| DocRef {
            id: r.get(0),
            product: r.get(1),
            version: r.get(2),
        }))
    }

    fn graph(&self, document: i64) -> Result<Graph> {
        let mut conn = self.conn()?;
        let subject: Option<i64> = conn
            .query_one("SELECT subject FROM documents WHERE id = $1", &[&document])?
            .get(0);
        let mut graph = Graph {
            subject: subject.and_then(|s| u32::try_from(s).ok()),
            ..Graph::default()
        };
        for r in conn.query(
            "SELECT o.ordinal, pk.purl, pk.name, o.name, o.version
             FROM occurrences o
             LEFT JOIN packages pk ON pk.id = o.package_id
             WHERE o.document_id = $1 ORDER BY o.ordinal",
            &[&document],
        )? {
            if r.get::<_, i64>(0) != crate::int(graph.nodes.len()) {
                return Err(StoreError::Corrupt(format!(
                    "document {document} misses component {}",
                    graph.nodes.len()
                )));
            }
            graph.nodes.push(node(&r, 1));
        }
        drop(conn);
        graph.edges = self.edges(document)?;
        Ok(graph)
    }

    fn edges(&self, document: i64) -> Result<Vec<(u32, u32, String)>> {
        let row = self.conn()?.query_opt(
            "SELECT data FROM graphs WHERE document_id = $1",
            &[&document],
        )?;
        row.map_or_else(|| Ok(Vec::new()), |r| crate::graph::decode(r.get(0)))
    }

    fn nodes(&self, document: i64, ordinals: &[u32]) -> Result<Vec<(u32, crate::Node)>> {
        let wanted: Vec<i64> = ordinals.iter().map(|o| i64::from(*o)).collect();
        let rows = self.conn()?.query(
            "SELECT o.ordinal, pk.purl, pk.name, o.name, o.version
             FROM occurrences o
             LEFT JOIN packages pk ON pk.id = o.package_id
             WHERE o.document_id = $1 AND o.ordinal = ANY($2)",
            &[&document, &wanted],
        )?;
        rows.iter()
            .map(|r| {
                let ordinal = u32::try_from(r.get::<_, i64>(0))
                    .map_err(|_| StoreError::Corrupt("negative ordinal".into()))?;
                Ok((ordinal, node(r, 1)))
            })
            .collect()
    }

    fn raw(&self, document: i64) -> Result<Vec<u8>> {
        let row = self
            .conn()?
            .query_opt(
                "SELECT b.codec, b.data FROM documents d JOIN blobs b ON b.digest = d.digest
                 WHERE d.id = $1",
                &[&document],
            )?
            .ok_or_else(|| StoreError::NotFound(format!("no document with id `{document}`")))?;
        crate::query::decompress(row.get(0), row.get(1))
    }

    fn stats(&self) -> Result<Stats> {
        let mut conn = self.conn()?;
        let mut count = |table: &str| -> Result<u64> {
            Ok(to_u64(
                conn.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
                    .get(0),
            ))
        };
        let products = count("products")?;
        let product_versions = count("product_versions")?;
        let documents = count("documents")?;
        let names = count("(SELECT DISTINCT name FROM packages) AS n")?;
        let packages = count("packages")?;
        let occurrences = count("occurrences")?;
        let edges: u64 = to_u64(
            conn.query_one(
                "SELECT CAST(COALESCE(SUM(edges), 0) AS BIGINT) FROM documents",
                &[],
            )?
            .get(0),
        );
        let sizes = conn.query_one(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT),
                    CAST(COALESCE(SUM(LENGTH(data)), 0) AS BIGINT) FROM blobs",
            &[],
        )?;
        let schema_version: i64 = conn
            .query_one(
                "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
                &[],
            )?
            .get(0);
        Ok(Stats {
            backend: "postgres",
            location: self.location(),
            schema_version,
            products,
            product_versions,
            documents,
            names,
            packages,
            occurrences,
            edges,
            document_bytes: to_u64(sizes.get(0)),
            stored_bytes: to_u64(sizes.get(1)),
        })
    }

    fn optimize(&self) -> Result<()> {
        self.conn()?.batch_execute(
            // VACUUM too: it marks the new pages all-visible, which lets who-has read
            // occurrences from their index alone (a server with autovacuum would do
            // it later; until then every row costs a random heap read).
            "VACUUM (ANALYZE) products, product_versions, documents, packages, occurrences",
        )?;
        Ok(())
    }

    fn import_advisories(&self, rows: &[AdvisoryRow]) -> Result<AdvisoryImport> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let mut report = AdvisoryImport::default();
        let now = time::now_micros();
        let select = tx.prepare("SELECT id, digest, modified FROM advisories WHERE osv_id = $1")?;
        let insert_id = tx.prepare(
            "INSERT INTO advisory_ids (identifier, advisory_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
        )?;
        let insert_package = tx.prepare(
            "INSERT INTO advisory_packages (ecosystem, name, advisory_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )?;
        for row in rows {
            let stored = tx.query_opt(&select, &[&row.osv_id])?;
            let stored: Option<(i64, String, Option<String>)> =
                stored.map(|r| (r.get(0), r.get(1), r.get(2)));
            let withdrawn = i32::from(row.withdrawn);
            let malicious = i32::from(row.malicious);
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
                    tx.execute("DELETE FROM advisory_ids WHERE advisory_id = $1", &[&id])?;
                    tx.execute(
                        "DELETE FROM advisory_packages WHERE advisory_id = $1",
                        &[&id],
                    )?;
                    tx.execute(
                        "UPDATE advisories SET modified = $1, withdrawn = $2, malicious = $3,
                             severity = $4, score = $5, summary = $6, digest = $7, record = $8,
                             imported_at = $9
                         WHERE id = $10",
                        &[
                            &row.modified,
                            &withdrawn,
                            &malicious,
                            &row.severity,
                            &row.score,
                            &row.summary,
                            &row.digest,
                            &row.record,
                            &now,
                            &id,
                        ],
                    )?;
                    report.updated += 1;
                    id
                }
                None => {
                    let r = tx.query_one(
                        "INSERT INTO advisories (osv_id, modified, withdrawn, malicious, severity,
                             score, summary, digest, record, imported_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                        &[
                            &row.osv_id,
                            &row.modified,
                            &withdrawn,
                            &malicious,
                            &row.severity,
                            &row.score,
                            &row.summary,
                            &row.digest,
                            &row.record,
                            &now,
                        ],
                    )?;
                    report.added += 1;
                    r.get(0)
                }
            };
            tx.execute(
                "INSERT INTO advisory_changes (advisory_id, changed_at) VALUES ($1, $2)
                 ON CONFLICT (advisory_id) DO UPDATE SET changed_at = excluded.changed_at",
                &[&id, &now],
            )?;
            for identifier in &row.identifiers {
                tx.execute(&insert_id, &[identifier, &id])?;
            }
            for (ecosystem, name) in &row.packages {
                tx.execute(&insert_package, &[ecosystem, name, &id])?;
            }
        }
        tx.commit()?;
        Ok(report)
    }

    fn advisories_by_identifiers(&self, identifiers: &[String]) -> Result<Vec<Vec<u8>>> {
        let mut conn = self.conn()?;
        let rows = conn.query(
            "SELECT DISTINCT a.id, a.record FROM advisory_ids i
             JOIN advisories a ON a.id = i.advisory_id
             WHERE i.identifier = ANY($1)",
            &[&identifiers],
        )?;
        Ok(rows.iter().map(|r| r.get::<_, Vec<u8>>(1)).collect())
    }

    fn advisories_for_packages(&self, keys: &[(String, String)]) -> Result<Vec<(i64, Vec<u8>)>> {
        let mut conn = self.conn()?;
        let ecosystems: Vec<&str> = keys.iter().map(|(e, _)| e.as_str()).collect();
        let names: Vec<&str> = keys.iter().map(|(_, n)| n.as_str()).collect();
        let rows = conn.query(
            "SELECT DISTINCT a.id, a.record
             FROM unnest($1::text[], $2::text[]) AS k (ecosystem, name)
             JOIN advisory_packages p ON p.ecosystem = k.ecosystem AND p.name = k.name
             JOIN advisories a ON a.id = p.advisory_id
             WHERE a.withdrawn = 0",
            &[&ecosystems, &names],
        )?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, i64>(0), r.get::<_, Vec<u8>>(1)))
            .collect())
    }

    fn advisory_records(&self, ids: &[i64]) -> Result<Vec<(i64, Vec<u8>)>> {
        let rows = self.conn()?.query(
            // `unnest` joins, not `= ANY`: see `ingest_once`.
            "SELECT a.id, a.record FROM (SELECT DISTINCT unnest($1::bigint[]) AS id) t
             JOIN advisories a ON a.id = t.id",
            &[&ids],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn queued_changes(&self) -> Result<Vec<(i64, i64)>> {
        let rows = self
            .conn()?
            .query("SELECT advisory_id, changed_at FROM advisory_changes", &[])?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn packages_concerned(&self) -> Result<Vec<PackageRef>> {
        let rows = self.conn()?.query(
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
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn unmatched_packages(&self) -> Result<Vec<PackageRef>> {
        let rows = self.conn()?.query(
            "SELECT p.id, p.purl FROM packages p
             WHERE NOT EXISTS (SELECT 1 FROM matched_packages m WHERE m.package_id = p.id)",
            &[],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn active_findings(&self, packages: &[i64]) -> Result<Vec<(i64, i64, String)>> {
        let rows = self.conn()?.query(
            "SELECT f.package_id, f.advisory_id, a.osv_id
             FROM (SELECT DISTINCT unnest($1::bigint[]) AS id) t
             JOIN findings f ON f.package_id = t.id
             JOIN advisories a ON a.id = f.advisory_id
             WHERE f.resolved_at IS NULL",
            &[&packages],
        )?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn write_matches(&self, write: &MatchWrite) -> Result<()> {
        let mut keys: Vec<(&str, &str, i64)> = write
            .first_matched
            .iter()
            .flat_map(|(p, keys)| keys.iter().map(move |(e, n)| (e.as_str(), n.as_str(), *p)))
            .collect();
        keys.sort_unstable();
        let key_e: Vec<&str> = keys.iter().map(|k| k.0).collect();
        let key_n: Vec<&str> = keys.iter().map(|k| k.1).collect();
        let key_p: Vec<i64> = keys.iter().map(|k| k.2).collect();
        let mut matched: Vec<i64> = write.first_matched.iter().map(|(p, _)| *p).collect();
        matched.sort_unstable();
        let mut current: Vec<&FindingRow> = write.current.iter().collect();
        current.sort_by_key(|f| (f.package_id, f.advisory_id));
        let f_package: Vec<i64> = current.iter().map(|f| f.package_id).collect();
        let f_advisory: Vec<i64> = current.iter().map(|f| f.advisory_id).collect();
        let f_via: Vec<&str> = current.iter().map(|f| f.via).collect();
        let f_fixed: Vec<&str> = current.iter().map(|f| f.fixed_in.as_str()).collect();
        let f_info: Vec<Option<&str>> =
            current.iter().map(|f| f.informational.as_deref()).collect();
        let mut resolved = write.resolved.clone();
        resolved.sort_unstable();
        let r_package: Vec<i64> = resolved.iter().map(|r| r.0).collect();
        let r_advisory: Vec<i64> = resolved.iter().map(|r| r.1).collect();
        self.with_tx(|tx| {
            tx.execute(
                "INSERT INTO package_keys (ecosystem, name, package_id)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
                 ON CONFLICT DO NOTHING",
                &[&key_e, &key_n, &key_p],
            )?;
            tx.execute(
                "INSERT INTO matched_packages (package_id, matched_at)
                 SELECT t.p, $2 FROM unnest($1::bigint[]) AS t(p)
                 ON CONFLICT (package_id) DO UPDATE SET matched_at = excluded.matched_at",
                &[&matched, &write.now],
            )?;
            tx.execute(
                "INSERT INTO findings (package_id, advisory_id, via, fixed_in, informational,
                     first_seen, last_seen, resolved_at)
                 SELECT t.p, t.a, t.v, t.f, t.i, $6, $6, NULL
                 FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[])
                     AS t(p, a, v, f, i)
                 ON CONFLICT (package_id, advisory_id) DO UPDATE SET via = excluded.via,
                     fixed_in = excluded.fixed_in, informational = excluded.informational,
                     last_seen = excluded.last_seen, resolved_at = NULL",
                &[
                    &f_package,
                    &f_advisory,
                    &f_via,
                    &f_fixed,
                    &f_info,
                    &write.now,
                ],
            )?;
            tx.execute(
                "UPDATE findings f SET resolved_at = $3
                 FROM unnest($1::bigint[], $2::bigint[]) AS t(p, a)
                 WHERE f.package_id = t.p AND f.advisory_id = t.a AND f.resolved_at IS NULL",
                &[&r_package, &r_advisory, &write.now],
            )?;
            Ok(())
        })
    }

    fn clear_changes(&self, changes: &[(i64, i64)]) -> Result<()> {
        let ids: Vec<i64> = changes.iter().map(|c| c.0).collect();
        let ats: Vec<i64> = changes.iter().map(|c| c.1).collect();
        self.conn()?.execute(
            "DELETE FROM advisory_changes c USING unnest($1::bigint[], $2::bigint[]) AS t(a, at)
             WHERE c.advisory_id = t.a AND c.changed_at = t.at",
            &[&ids, &ats],
        )?;
        Ok(())
    }

    fn has_pending_matches(&self) -> Result<bool> {
        Ok(self
            .conn()?
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM advisory_changes)
                     OR EXISTS (SELECT 1 FROM packages p WHERE NOT EXISTS
                         (SELECT 1 FROM matched_packages m WHERE m.package_id = p.id))",
                &[],
            )?
            .get(0))
    }

    fn reset_matches(&self) -> Result<()> {
        self.conn()?.execute("DELETE FROM matched_packages", &[])?;
        Ok(())
    }

    fn findings(&self, query: &FindingQuery, as_of: i64) -> Result<Vec<RawFinding>> {
        let mut values: Vec<&(dyn ::postgres::types::ToSql + Sync)> = vec![&as_of];
        if let Some(p) = &query.product {
            values.push(p);
        }
        if let Some(v) = &query.version {
            values.push(v);
        }
        if let Some(a) = &query.advisories {
            values.push(a);
        }
        let rows = self
            .conn()?
            .query(&findings_sql(query, Dialect::Postgres), &values)?;
        Ok(rows
            .iter()
            .map(|r| RawFinding {
                product: r.get(0),
                version: r.get(1),
                package: r.get(2),
                advisory_id: r.get(3),
                advisory: r.get(4),
                severity: r.get(5),
                score: r.get(6),
                malicious: r.get::<_, i32>(7) != 0,
                summary: r.get(8),
                via: r.get(9),
                fixed_in: r.get(10),
                informational: r.get(11),
                first_seen: r.get(12),
                last_seen: r.get(13),
            })
            .collect())
    }

    fn import_vex(&self, row: &VexRow) -> Result<(i64, bool)> {
        self.with_tx(|tx| {
            if let Some(r) = tx.query_opt(
                "SELECT id FROM vex_documents WHERE digest = $1",
                &[&row.digest],
            )? {
                return Ok((r.get(0), false));
            }
            let Some(r) = tx.query_opt(
                "INSERT INTO vex_documents (digest, format, document_id, author, issued,
                     statements, imported_at, data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (digest) DO NOTHING RETURNING id",
                &[
                    &row.digest,
                    &row.format,
                    &row.document_id,
                    &row.author,
                    &row.issued,
                    &crate::int(row.statements.len()),
                    &time::now_micros(),
                    &row.data,
                ],
            )?
            else {
                // Stored by a concurrent import.
                let r = tx.query_one(
                    "SELECT id FROM vex_documents WHERE digest = $1",
                    &[&row.digest],
                )?;
                return Ok((r.get(0), false));
            };
            let id: i64 = r.get(0);
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
            tx.execute(
                "INSERT INTO vex_statements (vex_document_id, ordinal, issued_at, statement)
                 SELECT $1, t.o, t.a, t.s FROM unnest($2::bigint[], $3::bigint[], $4::text[])
                     AS t(o, a, s)",
                &[&id, &ordinals, &times, &jsons],
            )?;
            tx.execute(
                "INSERT INTO vex_ids (identifier, vex_document_id, ordinal)
                 SELECT t.i, $1, t.o FROM unnest($2::text[], $3::bigint[]) AS t(i, o)
                 ON CONFLICT DO NOTHING",
                &[&id, &id_ident, &id_ordinal],
            )?;
            Ok((id, true))
        })
    }

    fn vex_statements(&self, identifiers: &[String]) -> Result<Vec<(String, i64)>> {
        let rows = self.conn()?.query(
            "SELECT DISTINCT s.vex_document_id, s.ordinal, s.statement, s.issued_at
             FROM vex_ids i
             JOIN vex_statements s ON s.vex_document_id = i.vex_document_id AND s.ordinal = i.ordinal
             WHERE i.identifier = ANY($1)
             ORDER BY s.vex_document_id, s.ordinal",
            &[&identifiers],
        )?;
        Ok(rows.iter().map(|r| (r.get(2), r.get(3))).collect())
    }

    fn import_kev(&self, entries: &[KevEntry]) -> Result<u64> {
        let mut sorted: Vec<&KevEntry> = entries.iter().collect();
        sorted.sort_by(|a, b| a.cve.cmp(&b.cve));
        sorted.dedup_by(|a, b| a.cve == b.cve);
        let col = |f: fn(&KevEntry) -> Option<&str>| -> Vec<Option<&str>> {
            sorted.iter().map(|e| f(e)).collect()
        };
        let cve: Vec<&str> = sorted.iter().map(|e| e.cve.as_str()).collect();
        let vendor = col(|e| e.vendor.as_deref());
        let product = col(|e| e.product.as_deref());
        let name = col(|e| e.name.as_deref());
        let added = col(|e| e.date_added.as_deref());
        let due = col(|e| e.due_date.as_deref());
        let ransomware = col(|e| e.ransomware.as_deref());
        let now = time::now_micros();
        self.with_tx(|tx| {
            tx.execute(
                "INSERT INTO kev (cve, vendor, product, name, date_added, due_date, ransomware,
                     imported_at)
                 SELECT t.*, $8 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                     $5::text[], $6::text[], $7::text[]) AS t
                 ON CONFLICT (cve) DO UPDATE SET vendor = excluded.vendor,
                     product = excluded.product, name = excluded.name,
                     date_added = excluded.date_added, due_date = excluded.due_date,
                     ransomware = excluded.ransomware, imported_at = excluded.imported_at",
                &[
                    &cve,
                    &vendor,
                    &product,
                    &name,
                    &added,
                    &due,
                    &ransomware,
                    &now,
                ],
            )?;
            Ok(())
        })?;
        Ok(to_u64(crate::int(sorted.len())))
    }

    fn import_epss(&self, entries: &[EpssEntry]) -> Result<u64> {
        let mut sorted: Vec<&EpssEntry> = entries.iter().collect();
        sorted.sort_by(|a, b| a.cve.cmp(&b.cve));
        sorted.dedup_by(|a, b| a.cve == b.cve);
        let now = time::now_micros();
        self.with_tx(|tx| {
            for chunk in sorted.chunks(20_000) {
                let cve: Vec<&str> = chunk.iter().map(|e| e.cve.as_str()).collect();
                let score: Vec<f64> = chunk.iter().map(|e| e.score).collect();
                let pct: Vec<Option<f64>> = chunk.iter().map(|e| e.percentile).collect();
                let date: Vec<Option<&str>> = chunk.iter().map(|e| e.date.as_deref()).collect();
                tx.execute(
                    "INSERT INTO epss (cve, score, percentile, score_date, imported_at)
                     SELECT t.*, $5 FROM unnest($1::text[], $2::float8[], $3::float8[],
                         $4::text[]) AS t
                     ON CONFLICT (cve) DO UPDATE SET score = excluded.score,
                         percentile = excluded.percentile, score_date = excluded.score_date,
                         imported_at = excluded.imported_at",
                    &[&cve, &score, &pct, &date, &now],
                )?;
            }
            Ok(())
        })?;
        Ok(to_u64(crate::int(sorted.len())))
    }

    fn enrichment(&self, cves: &[String]) -> Result<HashMap<String, Enrichment>> {
        let rows = self.conn()?.query(
            "SELECT c.cve, k.cve IS NOT NULL, k.date_added, e.score, e.percentile
             FROM unnest($1::text[]) AS c(cve)
             LEFT JOIN kev k ON k.cve = c.cve
             LEFT JOIN epss e ON e.cve = c.cve
             WHERE k.cve IS NOT NULL OR e.cve IS NOT NULL",
            &[&cves],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let in_kev: bool = r.get(1);
                (
                    r.get::<_, String>(0),
                    Enrichment {
                        kev_added: in_kev
                            .then(|| r.get::<_, Option<String>>(2).unwrap_or_default()),
                        epss: r.get(3),
                        epss_percentile: r.get(4),
                    },
                )
            })
            .collect())
    }

    fn source_state(&self, source: &str) -> Result<Option<(Option<String>, i64)>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT last_modified, synced_at FROM advisory_sources WHERE source = $1",
                &[&source],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn set_source_state(&self, source: &str, last_modified: Option<&str>) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO advisory_sources (source, last_modified, synced_at) VALUES ($1, $2, $3)
             ON CONFLICT (source) DO UPDATE SET last_modified = excluded.last_modified,
                 synced_at = excluded.synced_at",
            &[&source, &last_modified, &time::now_micros()],
        )?;
        Ok(())
    }

    fn package_ecosystems(&self) -> Result<Vec<String>> {
        let rows = self.conn()?.query(
            "SELECT DISTINCT ecosystem FROM package_keys ORDER BY 1",
            &[],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn portfolio_names(
        &self,
        prefix: &str,
        min_products: i64,
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        let pattern = format!("{}%", crate::query::like_escape(prefix));
        let rows = self.conn()?.query(
            &crate::query::portfolio_names_sql(["$1", "$2", "$3"]),
            &[&pattern, &min_products, &limit],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn store_attestation(&self, row: &crate::attest::AttestationRow) -> Result<(i64, bool)> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let product_version: Option<i64> = match &row.product {
            None => None,
            Some((product, version)) => Some(
                tx.query_opt(
                    "SELECT pv.id FROM product_versions pv JOIN products p ON p.id = pv.product_id
                     WHERE p.name = $1 AND pv.version = $2",
                    &[product, version],
                )?
                .map(|r| r.get(0))
                .ok_or_else(|| {
                    StoreError::NotFound(format!(
                        "no product version `{product}@{version}` in the store: ingest its SBOM first"
                    ))
                })?,
            ),
        };
        // Concurrent writers of the same attestation: the unique digest decides, the
        // loser reads the winner's row.
        let inserted = tx.query_opt(
            "INSERT INTO attestations (digest, format, predicate_type, builder_id, build_type,
                 source_repo, source_revision, signer_identity, signer_issuer, signer_key,
                 signed_at, trust_root, checks, verified_at, data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (digest) DO NOTHING RETURNING id",
            &[
                &row.digest,
                &row.format,
                &row.predicate_type,
                &row.builder_id,
                &row.build_type,
                &row.source_repo,
                &row.source_revision,
                &row.signer_identity,
                &row.signer_issuer,
                &row.signer_key,
                &row.signed_at,
                &row.trust_root,
                &row.checks,
                &row.verified_at,
                &row.data,
            ],
        )?;
        let (id, stored) = match inserted {
            Some(r) => {
                let id: i64 = r.get(0);
                let stmt = tx.prepare(
                    "INSERT INTO attestation_subjects (attestation_id, algorithm, digest, name)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )?;
                for (alg, digest, name) in &row.subjects {
                    tx.execute(&stmt, &[&id, alg, digest, name])?;
                }
                (id, true)
            }
            None => (
                tx.query_one(
                    "SELECT id FROM attestations WHERE digest = $1",
                    &[&row.digest],
                )?
                .get(0),
                false,
            ),
        };
        if let Some(pv) = product_version {
            tx.execute(
                "INSERT INTO attestation_products (attestation_id, product_version_id)
                 VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&id, &pv],
            )?;
        }
        tx.commit()?;
        Ok((id, stored))
    }

    fn evidence_for_document(&self, document: i64) -> Result<Vec<crate::attest::EvidenceRaw>> {
        let rows = self.conn()?.query(
            &format!(
                "SELECT {} FROM attestations a
                 JOIN attestation_products ap ON ap.attestation_id = a.id
                 JOIN documents d ON d.product_version_id = ap.product_version_id
                 WHERE d.id = $1 ORDER BY a.id",
                crate::attest::EVIDENCE_COLUMNS
            ),
            &[&document],
        )?;
        Ok(rows.iter().map(evidence_row).collect())
    }

    fn evidence_for_digests(
        &self,
        digests: &[(String, String)],
    ) -> Result<Vec<(crate::attest::EvidenceRaw, String, String)>> {
        let algs: Vec<&str> = digests.iter().map(|(a, _)| a.as_str()).collect();
        let hexes: Vec<&str> = digests.iter().map(|(_, h)| h.as_str()).collect();
        let rows = self.conn()?.query(
            &format!(
                "SELECT {}, s.algorithm, s.digest
                 FROM unnest($1::text[], $2::text[]) AS w(algorithm, digest)
                 JOIN attestation_subjects s ON s.algorithm = w.algorithm AND s.digest = w.digest
                 JOIN attestations a ON a.id = s.attestation_id",
                crate::attest::EVIDENCE_COLUMNS
            ),
            &[&algs, &hexes],
        )?;
        Ok(rows
            .iter()
            .map(|r| (evidence_row(r), r.get(13), r.get(14)))
            .collect())
    }

    fn document_hashes(&self, document: i64) -> Result<Vec<(String, Option<String>, String)>> {
        let rows = self.conn()?.query(
            "SELECT o.hashes, pk.purl, o.name FROM occurrences o
             LEFT JOIN packages pk ON pk.id = o.package_id
             WHERE o.document_id = $1 AND o.hashes IS NOT NULL ORDER BY o.ordinal",
            &[&document],
        )?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
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
        Ok(self
            .conn()?
            .query_one(
                "INSERT INTO tokens (name, role, products, hash, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&name, &role, &products, &hash, &created_at, &expires_at],
            )?
            .get(0))
    }

    fn revoke_token(&self, name: &str, at: i64) -> Result<bool> {
        Ok(self.conn()?.execute(
            "UPDATE tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
            &[&name, &at],
        )? > 0)
    }

    fn tokens(&self) -> Result<Vec<crate::tokens::TokenRow>> {
        let rows = self.conn()?.query(
            "SELECT id, name, role, products, created_at, expires_at, revoked_at FROM tokens ORDER BY id",
            &[],
        )?;
        Ok(rows.iter().map(token_row).collect())
    }

    fn token_by_name(&self, name: &str) -> Result<Option<crate::tokens::TokenRow>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT id, name, role, products, created_at, expires_at, revoked_at FROM tokens WHERE name = $1",
                &[&name],
            )?
            .map(|r| token_row(&r)))
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<crate::tokens::TokenRow>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT id, name, role, products, created_at, expires_at, revoked_at FROM tokens WHERE hash = $1",
                &[&hash],
            )?
            .map(|r| token_row(&r)))
    }

    fn try_lead(&self, task: &str) -> Result<Option<Box<dyn Send>>> {
        // A connection of its own holds the session lock for as long as it lives.
        let mut client = self.connect()?;
        let key = i64::from_str_radix(&crate::digest_hex(task.as_bytes())[7..22], 16).unwrap_or(0);
        let locked: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])?
            .get(0);
        Ok(locked.then(|| Box::new(Lead { client, key }) as Box<dyn Send>))
    }

    fn record_delivery(&self, d: &crate::tokens::Delivery) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO webhook_deliveries (url, event, delivered, attempts, response_code,
                 error, created_at, finished_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &d.url,
                &d.event,
                &i32::from(d.delivered),
                &i64::from(d.attempts),
                &d.response_code.map(i64::from),
                &d.error,
                &d.created_at,
                &d.finished_at,
            ],
        )?;
        Ok(())
    }

    fn deliveries(&self, limit: u32) -> Result<Vec<crate::tokens::Delivery>> {
        let rows = self.conn()?.query(
            "SELECT url, event, delivered, attempts, response_code, error, created_at, finished_at
             FROM webhook_deliveries ORDER BY id DESC LIMIT $1",
            &[&i64::from(limit)],
        )?;
        Ok(rows
            .iter()
            .map(|r| crate::tokens::Delivery {
                url: r.get(0),
                event: r.get(1),
                delivered: r.get::<_, i32>(2) != 0,
                attempts: u32::try_from(r.get::<_, i64>(3)).unwrap_or(u32::MAX),
                response_code: r
                    .get::<_, Option<i64>>(4)
                    .and_then(|c| u16::try_from(c).ok()),
                error: r.get(5),
                created_at: r.get(6),
                finished_at: r.get(7),
            })
            .collect())
    }

    fn document_info(&self, id: i64) -> Result<Option<DocumentInfo>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT d.id, p.name, pv.version, d.format, d.spec_version, d.digest,
                     d.components, d.edges, d.ingested_at
                 FROM documents d
                 JOIN product_versions pv ON pv.id = d.product_version_id
                 JOIN products p ON p.id = pv.product_id
                 WHERE d.id = $1",
                &[&id],
            )?
            .map(|r| document_row(&r)))
    }

    fn documents_high_water(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_one("SELECT COALESCE(MAX(id), 0) FROM documents", &[])?
            .get(0))
    }

    fn cache_get(&self, key: &str) -> Result<Option<crate::query::Cached>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT documents, computed_at, took, data FROM caches WHERE key = $1",
                &[&key],
            )?
            .map(|r| crate::query::Cached {
                documents: r.get(0),
                computed_at: r.get(1),
                took: r.get(2),
                data: r.get(3),
            }))
    }

    fn cache_put(&self, key: &str, entry: &crate::query::Cached) -> Result<()> {
        self.conn()?.execute(
            &crate::query::cache_put_sql(["$1", "$2", "$3", "$4", "$5"]),
            &[
                &key,
                &entry.documents,
                &entry.computed_at,
                &entry.took,
                &entry.data,
            ],
        )?;
        Ok(())
    }

    fn advisories_last_import(&self) -> Result<Option<i64>> {
        Ok(self
            .conn()?
            .query_one("SELECT MAX(imported_at) FROM advisories", &[])?
            .get(0))
    }

    fn advisory_stats(&self) -> Result<AdvisoryStats> {
        let mut conn = self.conn()?;
        let r = conn.query_one(
            "SELECT COUNT(*), CAST(COALESCE(SUM(withdrawn), 0) AS BIGINT),
                    CAST(COALESCE(SUM(malicious), 0) AS BIGINT), MAX(imported_at)
             FROM advisories",
            &[],
        )?;
        Ok(AdvisoryStats {
            records: to_u64(r.get(0)),
            withdrawn: to_u64(r.get(1)),
            malicious: to_u64(r.get(2)),
            last_import: r.get(3),
        })
    }

    fn check(&self) -> Result<CheckReport> {
        let mut conn = self.conn()?;
        let mut problems = Vec::new();
        // PostgreSQL enforces the declared foreign keys itself; this finds documents
        // whose stored copy is gone if constraints were ever disabled by hand.
        let n: i64 = conn
            .query_one(
                "SELECT COUNT(*) FROM documents d LEFT JOIN blobs b ON b.digest = d.digest
                 WHERE b.digest IS NULL",
                &[],
            )?
            .get(0);
        if n > 0 {
            problems.push(format!(
                "foreign key: {n} documents without their stored copy"
            ));
        }
        for (sql, what) in crate::query::INVARIANTS {
            for row in conn.query(*sql, &[])? {
                problems.push(format!("document {}: {what}", row.get::<_, i64>(0)));
            }
        }
        for row in conn.query(
            "SELECT d.id, d.components, d.edges, g.data
             FROM documents d LEFT JOIN graphs g ON g.document_id = d.id",
            &[],
        )? {
            let data: Option<&[u8]> = row.get(3);
            if let Some(p) = crate::query::check_graph(row.get(0), row.get(1), row.get(2), data) {
                problems.push(p);
            }
        }
        for row in conn.query("SELECT digest, codec, data FROM blobs", &[])? {
            if let Some(p) = crate::query::check_blob(row.get(0), row.get(1), row.get(2)) {
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

/// An evidence row: the columns of `attest::EVIDENCE_COLUMNS`.
fn evidence_row(r: &::postgres::Row) -> crate::attest::EvidenceRaw {
    let mut texts: [Option<String>; 11] = Default::default();
    for (i, t) in texts.iter_mut().enumerate() {
        *t = r.get(i + 1);
    }
    crate::attest::EvidenceRaw {
        id: r.get(0),
        texts,
        verified_at: r.get(12),
    }
}

fn token_row(r: &::postgres::Row) -> crate::tokens::TokenRow {
    (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
    )
}

/// A `DocumentInfo` from `d.id, p.name, pv.version, d.format, d.spec_version, d.digest,
/// d.components, d.edges, d.ingested_at`.
fn document_row(r: &::postgres::Row) -> DocumentInfo {
    DocumentInfo {
        id: r.get(0),
        product: r.get(1),
        version: r.get(2),
        format: r.get(3),
        spec_version: r.get(4),
        digest: r.get(5),
        components: to_u64(r.get(6)),
        edges: to_u64(r.get(7)),
        ingested: time::format_micros(r.get(8)),
    }
}

/// A session advisory lock, released when dropped: explicitly, so that it is free when
/// the drop returns (closing the connection releases it only once the server notices).
struct Lead {
    client: Client,
    key: i64,
}

impl Drop for Lead {
    fn drop(&mut self) {
        let _ = self
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&self.key]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            split_schema("postgres://u@h/db?schema=t1&sslmode=disable"),
            (
                "postgres://u@h/db?sslmode=disable".into(),
                Some("t1".into())
            )
        );
        assert_eq!(
            split_schema("postgres://u@h/db"),
            ("postgres://u@h/db".into(), None)
        );
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
