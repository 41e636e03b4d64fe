//! The chainwatch portfolio store: products and their versions, every SBOM ingested for
//! each (kept compressed, so any can be exported again), packages deduplicated by
//! canonical purl and name identity, their occurrences in documents and the dependency
//! edges between them; and the queries over it (`who-has`, `why`, `dependents`, `diff`).
//!
//! Two backends share one schema ([`schema`]): SQLite (embedded, the default: a single
//! file) and PostgreSQL (a server that many chainwatch processes share). Every document
//! is stored in one transaction: completely or not at all.
//!
//! ```
//! let store = chainwatch_store::Store::open_in_memory().unwrap();
//! let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6",
//!   "metadata":{"component":{"bom-ref":"app","type":"application","name":"shop","version":"1.0"}},
//!   "components":[{"bom-ref":"lp","type":"library","name":"left-pad","version":"1.3.0",
//!                  "purl":"pkg:npm/left-pad@1.3.0"}],
//!   "dependencies":[{"ref":"app","dependsOn":["lp"]}]}"#;
//! let outcome = store.ingest(doc, &Default::default()).unwrap();
//! assert!(outcome.stored);
//! let rows = store.who_has("pkg:npm/left-pad", None, None).unwrap();
//! assert_eq!(rows[0].product, "shop");
//! ```

#![warn(clippy::print_stdout, clippy::print_stderr)]

mod advisories;
mod attestations;
mod audits;
mod caches;
mod db;
mod policies;
mod portfolio;
pub mod schema;
mod server;
mod time;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use chainwatch_sbom::{ReadError, ReadOptions};
use serde::Serialize;

pub use advisories::findings::{
    FindingChange, FindingQuery, MatchReport, ProductFinding, findings_sarif,
};
pub use advisories::summary::{FindingCounts, FindingsSummary, LEVELS, SummaryQuery, level_index};
pub use advisories::update::{EcosystemReport, UpdateError, UpdateOptions, UpdateProgress};
pub use advisories::vex::{
    Enrichment, Enrichments, Exploitation, VexEntry, VexImport, VexStatements, VexVerdict,
    statement_time,
};
pub use advisories::{AdvisoryImport, AdvisoryRow, AdvisoryStats, Affected, prepare_advisory};
pub use attestations::{AttestationImport, Evidence};
pub use audits::{AuditHolder, AuditRecord, StoredAudit};
pub use policies::{
    AnalysesOutcome, OPENED_LISTED, PolicyOutcome, PolicyRun, PolicySet, StoredViolation,
    ViolationCursor, ViolationQuery, ViolationState, clean_tags, violations_sarif,
};
pub use portfolio::prepare::{Naming, Prepared, UNVERSIONED, digest_hex};
pub use portfolio::queries::{Dependent, WhoHas, WhyIndex, WhyNode, WhyPath};
pub use portfolio::{CheckReport, DocumentInfo, ProductRef, ProductSummary, Stats};
pub use schema::MigrateReport;
pub use server::jobs::{Job, JobOutcome, JobRequest, JobStatus, POLICY_EVALUATION_JOB, backoff};
pub use server::leases::Lease;
pub use server::outbox::{Attempt, Outgoing, Pending};
pub use server::tokens::{Role, Token};
pub use server::{Delivery, MonitorRun, renewing, worker_name};
pub use time::{format_micros, now_micros, parse_instant};

use db::Backend;
pub use db::Trace;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the document names no product (no subject component and no name): give `--product`")]
    NoProduct,
    #[error("{0}")]
    InvalidQuery(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the policy: {0}")]
    InvalidPolicy(chainwatch_policy::PolicyError),
    #[error(
        "the store at `{location}` has schema version {found}, newer than this chainwatch supports ({supported}): upgrade chainwatch"
    )]
    SchemaTooNew {
        location: String,
        found: i64,
        supported: i64,
    },
    #[error("cannot open the store at `{location}`: {message}")]
    Open { location: String, message: String },
    #[error(
        "all {connections} connections to `{location}` stayed busy for {} s: raise `pool_size` in the store URL, or the database's capacity",
        waited.as_secs()
    )]
    Busy {
        location: String,
        connections: usize,
        waited: std::time::Duration,
    },
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {}", db::postgres::describe(.0))]
    Postgres(#[from] ::postgres::Error),
    #[error("compression: {0}")]
    Compression(String),
    #[error("the stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("the document has more than 4,294,967,295 components")]
    TooLarge,
}

impl StoreError {
    /// Whether the caller's input is at fault (a document, a query, a name), as opposed to
    /// the store or the machine.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            StoreError::Read(_)
                | StoreError::NoProduct
                | StoreError::InvalidQuery(_)
                | StoreError::NotFound(_)
                | StoreError::InvalidPolicy(_)
                | StoreError::TooLarge
        )
    }
}

impl StoreError {
    /// Whether the database could not be reached or refused the work for now (it is down,
    /// refuses connections, or another writer holds it too long): worth trying again later,
    /// not a fault of the request or of chainwatch.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Open { .. } | StoreError::Busy { .. } => true,
            StoreError::Postgres(e) => db::postgres::unavailable(e),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How to ingest a document.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Store under this product instead of the one the document's subject names.
    pub product: Option<String>,
    /// Store under this product version instead of the subject's version.
    pub version: Option<String>,
    /// The product of a document that names none (no subject component, no name),
    /// instead of refusing it with [`StoreError::NoProduct`].
    pub fallback_product: Option<String>,
    pub read: ReadOptions,
}

/// What ingesting one document did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestOutcome {
    /// `false` when the same document was already stored for that product version.
    pub stored: bool,
    pub document: i64,
    pub product: String,
    pub version: String,
    pub format: String,
    pub digest: String,
    pub components: u64,
    pub edges: u64,
}

/// A document read for ingestion.
#[derive(Debug)]
pub enum Prepare {
    /// Already stored: nothing to do.
    Known(IngestOutcome),
    /// Ready for [`Store::ingest_prepared`].
    Ready(Box<Prepared>),
}

/// The portfolio store. Cheap to share between threads (`Send + Sync`).
pub struct Store {
    backend: Box<dyn Backend>,
    /// Package ids by purl, as committed: packages are never deleted or renumbered, so
    /// an id once committed stays right for every process, and ingesting skips a lookup
    /// per component. Filled only after a commit (ids of a rolled-back transaction
    /// never enter); cleared when it grows past [`PACKAGE_CACHE`].
    package_ids: Mutex<HashMap<Box<str>, i64>>,
    /// Held while this process matches ([`Store::rematch`]): concurrent callers (uploads
    /// arriving together) would each match every unmatched package, and wait on each
    /// other's row locks doing it; one after the other, each finds little left to do.
    matching: Mutex<()>,
    /// Held while this process evaluates the policy ([`Store::evaluate_policy`]): two
    /// evaluations at once would record the same changes twice.
    evaluating: Mutex<()>,
    trace: Option<db::Trace>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("location", &self.backend.location())
            .finish_non_exhaustive()
    }
}

/// Whether `location` names a PostgreSQL server.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Most package ids a store remembers (about 100 MiB at most); past it, it forgets them
/// all and starts again.
pub(crate) const PACKAGE_CACHE: usize = 1_000_000;

impl Store {
    /// Opens (creating and migrating as needed) the store at `location`: a
    /// `postgres://` URL (a `schema=NAME` query parameter selects a schema), a
    /// `sqlite://` URL or a file path. A SQLite file is created only in a directory that
    /// exists; any other URL scheme is an error.
    pub fn open(location: &str) -> Result<Store> {
        let backend: Box<dyn Backend> = if is_postgres_url(location) {
            Box::new(db::postgres::Pg::open(location)?)
        } else if let Some((scheme, _)) = location.split_once("://")
            && scheme != "sqlite"
        {
            return Err(StoreError::Open {
                location: location.to_owned(),
                message: format!(
                    "`{scheme}://` is not a store chainwatch knows: give a SQLite file path, \
                     `sqlite://PATH` or a `postgres://` URL"
                ),
            });
        } else {
            let path = location.strip_prefix("sqlite://").unwrap_or(location);
            Box::new(db::sqlite::Sqlite::open(Path::new(path))?)
        };
        Store::with(backend)
    }

    /// A private in-memory SQLite store (tests, one-off runs).
    pub fn open_in_memory() -> Result<Store> {
        Store::with(Box::new(db::sqlite::Sqlite::open_in_memory()?))
    }

    fn with(backend: Box<dyn Backend>) -> Result<Store> {
        let store = Store {
            backend,
            matching: Mutex::new(()),
            evaluating: Mutex::new(()),
            package_ids: Mutex::new(HashMap::new()),
            trace: None,
        };
        store.migrate()?;
        Ok(store)
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.backend.dialect() {
            schema::Dialect::Sqlite => "sqlite",
            schema::Dialect::Postgres => "postgres",
        }
    }

    /// Where the store is (a path, or the URL without its password).
    pub fn location(&self) -> String {
        self.backend.location()
    }

    /// Has `trace` told of every statement the store runs and how long it took.
    #[must_use]
    pub fn with_trace(mut self, trace: Trace) -> Store {
        self.trace = Some(trace);
        self
    }

    /// Runs `f` on a connection that sees what is committed.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&mut db::Db<'_>) -> Result<T>) -> Result<T> {
        db::read(&*self.backend, |db| {
            db.trace.clone_from(&self.trace);
            f(db)
        })
    }

    /// Runs `f` in one write transaction (again, from scratch, when PostgreSQL reports a
    /// serialization failure or deadlock).
    pub(crate) fn write<T>(&self, mut f: impl FnMut(&mut db::Db<'_>) -> Result<T>) -> Result<T> {
        db::write(&*self.backend, |db| {
            db.trace.clone_from(&self.trace);
            f(db)
        })
    }
}

/// A database count as a count (negative ones, which the schema never stores, as 0).
pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A count or index as a database integer.
pub(crate) fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
