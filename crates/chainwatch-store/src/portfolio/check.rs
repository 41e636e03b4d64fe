//! What the store holds (`db stats`) and whether it is whole (`db check`): the engine's
//! own integrity, then chainwatch's invariants, written once for both backends.

use serde::Serialize;

use super::decompress;
use crate::db::args;
use crate::{Result, Store};

/// Counts of what the store holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub backend: &'static str,
    pub location: String,
    pub schema_version: i64,
    pub products: u64,
    pub product_versions: u64,
    pub documents: u64,
    pub names: u64,
    pub packages: u64,
    pub occurrences: u64,
    pub edges: u64,
    /// Decompressed size of the stored documents.
    pub document_bytes: u64,
    /// What they take compressed.
    pub stored_bytes: u64,
}

/// The result of an integrity check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub checked: Vec<&'static str>,
    pub problems: Vec<String>,
}

/// What `check` verifies, for the report.
const CHECKED: &[&str] = &[
    "database integrity",
    "foreign keys (declared, and those of components)",
    "documents complete (component and edge counts)",
    "edges between components of their own document",
    "stored documents match their digests",
];

/// Queries returning the ids of documents that break an invariant, with what is broken.
const INVARIANTS: &[(&str, &str)] = &[
    (
        "SELECT DISTINCT o.document_id FROM occurrences o
             LEFT JOIN documents d ON d.id = o.document_id WHERE d.id IS NULL",
        "components stored for a document that does not exist",
    ),
    (
        "SELECT DISTINCT o.document_id FROM occurrences o
             LEFT JOIN packages p ON p.id = o.package_id
             WHERE o.package_id IS NOT NULL AND p.id IS NULL",
        "a component refers to a package that does not exist",
    ),
    (
        "SELECT d.id FROM documents d WHERE d.components <>
             (SELECT COUNT(*) FROM occurrences o WHERE o.document_id = d.id)",
        "component count differs from the stored components",
    ),
    (
        "SELECT d.id FROM documents d WHERE d.subject IS NOT NULL
             AND (d.subject < 0 OR d.subject >= d.components)",
        "the subject is not one of its components",
    ),
    (
        "SELECT d.id FROM documents d
             JOIN product_versions pv ON pv.id = d.product_version_id
             WHERE d.id = (SELECT d2.id FROM documents d2
                 WHERE d2.product_version_id = d.product_version_id
                 ORDER BY d2.ingested_at DESC, d2.id DESC LIMIT 1)
             AND (pv.current_document_id IS NULL OR pv.current_document_id <> d.id
                 OR pv.current_ingested_at IS NULL OR pv.current_ingested_at <> d.ingested_at)",
        "the newest document of its product version is not recorded as current",
    ),
    (
        "SELECT d.id FROM documents d LEFT JOIN blobs b ON b.digest = d.digest
             WHERE b.digest IS NULL",
        "its stored copy is missing",
    ),
];

/// A problem with a document's stored graph, if any.
fn check_graph(document: i64, components: i64, edges: i64, data: Option<&[u8]>) -> Option<String> {
    let Some(data) = data else {
        return Some(format!(
            "document {document}: the dependency graph is missing"
        ));
    };
    match super::graph::decode(data) {
        Err(e) => Some(format!("document {document}: {e}")),
        Ok(list) if crate::int(list.len()) != edges => Some(format!(
            "document {document}: edge count differs from the stored edges"
        )),
        Ok(list) => list
            .iter()
            .any(|(f, t, _)| i64::from(*f) >= components || i64::from(*t) >= components)
            .then(|| {
                format!(
                    "document {document}: an edge refers to a component the document does not have"
                )
            }),
    }
}

/// A problem with a stored copy, if any.
fn check_blob(digest: &str, codec: &str, data: &[u8]) -> Option<String> {
    match decompress(codec, data) {
        Ok(raw) if crate::digest_hex(&raw) == digest => None,
        Ok(_) => Some(format!(
            "stored document `{digest}` does not match its digest"
        )),
        Err(e) => Some(format!("stored document `{digest}` cannot be read: {e}")),
    }
}

impl Store {
    pub fn stats(&self) -> Result<Stats> {
        let backend = self.backend();
        let location = self.location();
        self.read(|db| {
            let mut count = |sql: &str| db.value::<u64>(sql, &[]);
            let products = count("SELECT COUNT(*) FROM products")?;
            let product_versions = count("SELECT COUNT(*) FROM product_versions")?;
            let documents = count("SELECT COUNT(*) FROM documents")?;
            let names = count("SELECT COUNT(DISTINCT name) FROM packages")?;
            let packages = count("SELECT COUNT(*) FROM packages")?;
            let occurrences = count("SELECT COUNT(*) FROM occurrences")?;
            let edges = count("SELECT CAST(COALESCE(SUM(edges), 0) AS BIGINT) FROM documents")?;
            let (document_bytes, stored_bytes) = db.query_one(
                "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT),
                        CAST(COALESCE(SUM(LENGTH(data)), 0) AS BIGINT) FROM blobs",
                &args![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(Stats {
                backend,
                location,
                schema_version: crate::schema::version(db)?,
                products,
                product_versions,
                documents,
                names,
                packages,
                occurrences,
                edges,
                document_bytes,
                stored_bytes,
            })
        })
    }

    /// Refreshes the query planner's statistics (SQLite `PRAGMA optimize`, PostgreSQL
    /// `VACUUM (ANALYZE)`): worth it after a large ingest, so queries use the indexes at
    /// once instead of after the database's own background analysis.
    pub fn optimize(&self) -> Result<()> {
        self.backend.optimize()
    }

    /// Copies what SQLite's write-ahead log holds into the database file now rather
    /// than when the store closes: after a large ingest, on a thread that would
    /// otherwise only wait. Nothing on PostgreSQL, whose checkpointer does it.
    pub fn checkpoint(&self) -> Result<()> {
        self.backend.checkpoint()
    }

    /// Checks the database engine's own integrity and chainwatch's invariants (every
    /// document complete, every edge between its own components, every stored copy
    /// matching its digest).
    pub fn check(&self) -> Result<CheckReport> {
        let mut problems = self.backend.engine_problems()?;
        self.read(|db| {
            for (sql, what) in INVARIANTS {
                for id in db.query(sql, &[], |r| r.get::<i64>(0))? {
                    problems.push(format!("document {id}: {what}"));
                }
            }
            db.for_each(
                "SELECT d.id, d.components, d.edges, g.data
                 FROM documents d LEFT JOIN graphs g ON g.document_id = d.id",
                &[],
                &mut |r| {
                    if let Some(p) = check_graph(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?) {
                        problems.push(p);
                    }
                    Ok(())
                },
            )?;
            db.for_each("SELECT digest, codec, data FROM blobs", &[], &mut |r| {
                if let Some(p) = check_blob(r.get(0)?, r.get(1)?, r.get(2)?) {
                    problems.push(p);
                }
                Ok(())
            })
        })?;
        Ok(CheckReport {
            ok: problems.is_empty(),
            checked: CHECKED.to_vec(),
            problems,
        })
    }
}
