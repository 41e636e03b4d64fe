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
mod attest;
mod findings;
mod graph;
mod postgres;
mod prepare;
mod query;
pub mod schema;
mod sqlite;
mod time;
mod tokens;
mod vex;

use std::path::Path;

use chainwatch_sbom::{ReadError, ReadOptions};
use serde::Serialize;

pub use advisories::{AdvisoryImport, AdvisoryRow, AdvisoryStats, Affected, prepare_advisory};
pub use attest::{AttestationImport, Evidence};
pub use findings::{FindingChange, FindingQuery, MatchReport, ProductFinding, findings_sarif};
pub use prepare::{Naming, Prepared, UNVERSIONED, digest_hex};
pub use query::{Dependent, WhoHas, WhyPath};
pub use time::{format_micros, now_micros, parse_instant};
pub use tokens::{Delivery, Leadership, Role, Token};
pub use vex::{Enrichment, VexImport, VexStatements, VexVerdict, statement_time};

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
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
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
                | StoreError::TooLarge
        )
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

/// One row of `products`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSummary {
    pub name: String,
    pub version: String,
    /// Documents stored for this product version (its history).
    pub documents: u64,
    /// Components in the current document.
    pub components: u64,
    /// When the current document was ingested (RFC 3339).
    pub updated: String,
}

/// A document read for ingestion.
#[derive(Debug)]
pub enum Prepare {
    /// Already stored: nothing to do.
    Known(IngestOutcome),
    /// Ready for [`Store::ingest_prepared`].
    Ready(Box<Prepared>),
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentInfo {
    pub id: i64,
    pub product: String,
    pub version: String,
    pub format: String,
    pub spec_version: String,
    pub digest: String,
    pub components: u64,
    pub edges: u64,
    pub ingested: String,
}

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

/// The result of `migrate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrateReport {
    pub from: i64,
    pub to: i64,
    pub applied: Vec<String>,
}

/// A document by id, with where it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocRef {
    pub id: i64,
    pub product: String,
    pub version: String,
}

/// Most package ids a backend remembers (about 100 MiB at most); past it, it forgets
/// them all and starts again.
pub(crate) const PACKAGE_CACHE: usize = 1_000_000;
/// Packages of a document above which its ids are not remembered: a portfolio repeats
/// its packages document after document, a one-off SBOM of hundreds of thousands of
/// packages would only take memory (measured: 60 MiB and 0.2 s for 500,000).
pub(crate) const PACKAGE_CACHE_PER_DOCUMENT: usize = 50_000;

/// A package: id, canonical purl, version.
pub(crate) type PackageRow = (i64, String, Option<String>);

/// A package occurrence found by name identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub product: String,
    pub version: String,
    pub document: i64,
    pub ordinal: u32,
    pub purl: String,
    pub package_version: Option<String>,
}

/// A component of a stored document, as the graph queries see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub label: String,
    pub name_identity: Option<String>,
    pub version: Option<String>,
}

/// A document's components and edges.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<(u32, u32, String)>,
    pub subject: Option<u32>,
}

/// What each backend provides; the query logic on top is shared (`query.rs`).
pub(crate) trait Backend: Send + Sync {
    fn kind(&self) -> &'static str;
    fn location(&self) -> String;
    fn migrate(&self) -> Result<MigrateReport>;
    fn schema_version(&self) -> Result<i64>;
    /// A document already stored with this digest: for the product version named, or
    /// (without one) under any product version.
    fn find_digest(&self, digest: &str, naming: &Naming) -> Result<Option<IngestOutcome>>;
    /// Stores documents in one transaction, each in its own savepoint: the outer error
    /// means none was stored; an inner one, that this document was not.
    fn ingest_batch(&self, docs: &[&Prepared]) -> Result<Vec<Result<IngestOutcome>>>;
    fn products(&self, as_of: i64) -> Result<Vec<ProductSummary>>;
    fn documents(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: i64,
    ) -> Result<Vec<DocumentInfo>>;
    fn candidates(&self, name_identity: &str, as_of: i64) -> Result<Vec<Candidate>>;
    /// `(id, purl, version)` of the packages with the name identity.
    fn packages_named(&self, name_identity: &str) -> Result<Vec<PackageRow>>;
    /// `(product id, version)` of the product versions whose current inventory (at
    /// `as_of`) holds the package, in no order, possibly repeated.
    fn holders(&self, package: i64, as_of: i64) -> Result<Vec<(i64, String)>>;
    /// Product names by id.
    fn product_names(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>>;
    fn resolve(&self, product: &str, version: Option<&str>, as_of: i64) -> Result<Option<DocRef>>;
    /// A document's components and edges.
    fn graph(&self, document: i64) -> Result<Graph>;
    /// A document's edges only.
    fn edges(&self, document: i64) -> Result<Vec<(u32, u32, String)>>;
    /// Some components of a document, by ordinal.
    fn nodes(&self, document: i64, ordinals: &[u32]) -> Result<Vec<(u32, Node)>>;
    /// The decompressed document.
    fn raw(&self, document: i64) -> Result<Vec<u8>>;
    fn stats(&self) -> Result<Stats>;
    fn check(&self) -> Result<CheckReport>;
    /// Refreshes the query planner's statistics.
    fn optimize(&self) -> Result<()>;
    /// Writes advisory rows in one transaction.
    fn import_advisories(&self, rows: &[AdvisoryRow]) -> Result<AdvisoryImport>;
    /// The compressed records carrying any of these (upper-cased) identifiers.
    fn advisories_by_identifiers(&self, identifiers: &[String]) -> Result<Vec<Vec<u8>>>;
    /// The compressed records (with their row ids) affecting any of these (ecosystem,
    /// name) packages; withdrawn records left out.
    fn advisories_for_packages(&self, keys: &[(String, String)]) -> Result<Vec<(i64, Vec<u8>)>>;
    /// Compressed records by row id.
    fn advisory_records(&self, ids: &[i64]) -> Result<Vec<(i64, Vec<u8>)>>;
    fn advisory_stats(&self) -> Result<AdvisoryStats>;
    /// When advisories were last imported (an index lookup: no record is read); `None`
    /// when there are none.
    fn advisories_last_import(&self) -> Result<Option<i64>>;
    /// Queued advisory changes: (advisory row id, changed at).
    fn queued_changes(&self) -> Result<Vec<(i64, i64)>>;
    /// Matched packages that queued advisory changes concern: by their advisory keys, or
    /// through an active finding for a changed advisory.
    fn packages_concerned(&self) -> Result<Vec<findings::PackageRef>>;
    /// Packages never matched.
    fn unmatched_packages(&self) -> Result<Vec<findings::PackageRef>>;
    /// (package, advisory row id, OSV id) of the active findings of these packages.
    fn active_findings(&self, packages: &[i64]) -> Result<Vec<(i64, i64, String)>>;
    /// Writes one chunk of matching in one transaction.
    fn write_matches(&self, write: &findings::MatchWrite) -> Result<()>;
    /// Removes handled changes; a change queued again since (a newer `changed_at`) stays.
    fn clear_changes(&self, changes: &[(i64, i64)]) -> Result<()>;
    /// Whether `rematch` has work: queued advisory changes or packages never matched.
    fn has_pending_matches(&self) -> Result<bool>;
    /// Marks every package unmatched.
    fn reset_matches(&self) -> Result<()>;
    /// Stores a VEX document and its statements; (id, whether it was new).
    fn import_vex(&self, row: &vex::VexRow) -> Result<(i64, bool)>;
    /// (statement JSON, time) of the statements about any of these identifiers.
    fn vex_statements(&self, identifiers: &[String]) -> Result<Vec<(String, i64)>>;
    fn import_kev(&self, entries: &[chainwatch_advisory::enrich::KevEntry]) -> Result<u64>;
    fn import_epss(&self, entries: &[chainwatch_advisory::enrich::EpssEntry]) -> Result<u64>;
    /// KEV and EPSS data by (upper-cased) CVE id, for those that have any.
    fn enrichment(
        &self,
        cves: &[String],
    ) -> Result<std::collections::HashMap<String, vex::Enrichment>>;
    /// Where an update of `source` left off: (newest modified imported, when).
    fn source_state(&self, source: &str) -> Result<Option<(Option<String>, i64)>>;
    fn set_source_state(&self, source: &str, last_modified: Option<&str>) -> Result<()>;
    /// Base ecosystem names (`PyPI`, `Debian`) of the packages matched so far.
    fn package_ecosystems(&self) -> Result<Vec<String>>;
    /// Name identities (`pkg:npm/lodash`) under `prefix` in the current inventories of at
    /// least `min_products` products, with their product counts, most used first.
    fn portfolio_names(
        &self,
        prefix: &str,
        min_products: i64,
        limit: i64,
    ) -> Result<Vec<(String, i64)>>;
    /// Stores a verified attestation (and its product link); (id, whether it was new).
    fn store_attestation(&self, row: &attest::AttestationRow) -> Result<(i64, bool)>;
    /// Attestations ingested for the product version of a document.
    fn evidence_for_document(&self, document: i64) -> Result<Vec<attest::EvidenceRaw>>;
    /// Attestations with a subject of one of these (algorithm, digest) pairs, with the
    /// pair.
    fn evidence_for_digests(
        &self,
        digests: &[(String, String)],
    ) -> Result<Vec<(attest::EvidenceRaw, String, String)>>;
    /// (hashes, purl, name) of a document's components that have hashes.
    fn document_hashes(&self, document: i64) -> Result<Vec<(String, Option<String>, String)>>;
    fn insert_token(
        &self,
        name: &str,
        role: &str,
        products: Option<&str>,
        hash: &str,
        created_at: i64,
        expires_at: Option<i64>,
    ) -> Result<i64>;
    fn revoke_token(&self, name: &str, at: i64) -> Result<bool>;
    fn tokens(&self) -> Result<Vec<tokens::TokenRow>>;
    fn token_by_name(&self, name: &str) -> Result<Option<tokens::TokenRow>>;
    fn token_by_hash(&self, hash: &str) -> Result<Option<tokens::TokenRow>>;
    /// Something that holds the leadership of `task` while it lives, or `None`.
    fn try_lead(&self, task: &str) -> Result<Option<Box<dyn Send>>>;
    fn record_delivery(&self, d: &tokens::Delivery) -> Result<()>;
    fn deliveries(&self, limit: u32) -> Result<Vec<tokens::Delivery>>;
    fn document_info(&self, id: i64) -> Result<Option<DocumentInfo>>;
    /// The newest document's id (0 without documents).
    fn documents_high_water(&self) -> Result<i64>;
    fn cache_get(&self, key: &str) -> Result<Option<query::Cached>>;
    /// Stores (or replaces) a cache entry.
    fn cache_put(&self, key: &str, entry: &query::Cached) -> Result<()>;
    /// Active findings in current inventories.
    fn findings(
        &self,
        query: &findings::FindingQuery,
        as_of: i64,
    ) -> Result<Vec<findings::RawFinding>>;
}

/// The portfolio store. Cheap to share between threads (`Send + Sync`).
pub struct Store {
    backend: Box<dyn Backend>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.kind())
            .field("location", &self.backend.location())
            .finish()
    }
}

/// Whether `location` names a PostgreSQL server.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

impl Store {
    /// Opens (creating and migrating as needed) the store at `location`: a
    /// `postgres://` URL (a `schema=NAME` query parameter selects a schema), a
    /// `sqlite://` URL or a file path.
    pub fn open(location: &str) -> Result<Store> {
        let backend: Box<dyn Backend> = if is_postgres_url(location) {
            Box::new(postgres::Pg::open(location)?)
        } else {
            let path = location.strip_prefix("sqlite://").unwrap_or(location);
            Box::new(sqlite::Sqlite::open(Path::new(path))?)
        };
        let store = Store { backend };
        store.migrate()?;
        Ok(store)
    }

    /// A private in-memory SQLite store (tests, one-off runs).
    pub fn open_in_memory() -> Result<Store> {
        let store = Store {
            backend: Box::new(sqlite::Sqlite::open_in_memory()?),
        };
        store.migrate()?;
        Ok(store)
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend.kind()
    }

    /// Where the store is (a path, or the URL without its password).
    pub fn location(&self) -> String {
        self.backend.location()
    }

    /// Applies the migrations this build has and the store lacks. Safe to run from many
    /// processes at once.
    pub fn migrate(&self) -> Result<MigrateReport> {
        self.backend.migrate()
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.backend.schema_version()
    }

    /// Ingests one document (any supported format, compressed too). Storing the same
    /// document again for the same product version changes nothing and says so
    /// (`stored: false`). A document is stored completely or not at all.
    pub fn ingest(&self, bytes: &[u8], options: &IngestOptions) -> Result<IngestOutcome> {
        match self.prepare(bytes, options)? {
            Prepare::Known(outcome) => Ok(outcome),
            Prepare::Ready(prepared) => self.ingest_prepared(&prepared),
        }
    }

    /// The first half of [`Store::ingest`], which needs no write access and can run on
    /// many threads: reads the document and makes its rows, unless it is already stored.
    pub fn prepare(&self, bytes: &[u8], options: &IngestOptions) -> Result<Prepare> {
        self.prepare_from(bytes, options)
    }

    /// [`Store::prepare`] for input the store may free as soon as it is parsed, which
    /// lowers peak memory for large documents by the size of the input.
    pub fn prepare_owned(&self, bytes: Vec<u8>, options: &IngestOptions) -> Result<Prepare> {
        self.prepare_from(bytes, options)
    }

    fn prepare_from<B: AsRef<[u8]>>(&self, bytes: B, options: &IngestOptions) -> Result<Prepare> {
        let naming = Naming {
            product: options.product.clone(),
            version: options.version.clone(),
        };
        let (sbom, raw, size, digest) = {
            let text = chainwatch_sbom::text_of(bytes.as_ref(), &options.read)?;
            let format = chainwatch_sbom::detect_format(&text)?;
            let digest = digest_hex(text.as_bytes());
            if let Some(existing) = self.backend.find_digest(&digest, &naming)? {
                return Ok(Prepare::Known(existing));
            }
            let (sbom, raw) = prepare::parse_and_pack(&text, format)?;
            (sbom, raw, text.len() as u64, digest)
        };
        drop(bytes);
        Ok(Prepare::Ready(Box::new(prepare::from_sbom(
            sbom, digest, raw, size, &naming,
        )?)))
    }

    /// The second half of [`Store::ingest`]: one transaction.
    pub fn ingest_prepared(&self, prepared: &Prepared) -> Result<IngestOutcome> {
        self.backend
            .ingest_batch(&[prepared])?
            .pop()
            .unwrap_or_else(|| Err(StoreError::Corrupt("no outcome".into())))
    }

    /// Stores several prepared documents in one transaction (much faster than one
    /// each: index pages and the commit are shared). Each document is still stored
    /// completely or not at all: one that fails is rolled back alone, and its error is
    /// its entry in the result. The outer error means that none was stored.
    pub fn ingest_prepared_batch(
        &self,
        prepared: &[&Prepared],
    ) -> Result<Vec<Result<IngestOutcome>>> {
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        self.backend.ingest_batch(prepared)
    }

    /// Every product version with its document count and current size.
    pub fn products(&self, as_of: Option<i64>) -> Result<Vec<ProductSummary>> {
        self.backend.products(as_of.unwrap_or(i64::MAX))
    }

    /// The documents (history) of a product, or of one of its versions, ingested up to
    /// `as_of`, oldest first.
    pub fn documents(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<Vec<DocumentInfo>> {
        let docs = self
            .backend
            .documents(product, version, as_of.unwrap_or(i64::MAX))?;
        // Looking back to before its first document is an empty history, not an unknown
        // product.
        if docs.is_empty()
            && (as_of.is_none()
                || self
                    .backend
                    .documents(product, version, i64::MAX)?
                    .is_empty())
        {
            return Err(StoreError::NotFound(not_found(product, version)));
        }
        Ok(docs)
    }

    /// The document that is `product`'s (or `product@version`'s) current inventory at
    /// `as_of`, parsed again from the stored copy.
    pub fn export(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<(DocumentInfo, chainwatch_sbom::Sbom)> {
        let doc = self.resolve(product, version, as_of)?;
        let raw = self.backend.raw(doc.id)?;
        let sbom = chainwatch_sbom::parse(&raw, &ReadOptions::default())
            .map_err(|e| StoreError::Corrupt(format!("stored document {}: {e}", doc.id)))?;
        let info = self
            .backend
            .documents(&doc.product, Some(&doc.version), i64::MAX)?
            .into_iter()
            .find(|d| d.id == doc.id)
            .ok_or_else(|| StoreError::Corrupt(format!("document {} vanished", doc.id)))?;
        Ok((info, sbom))
    }

    /// The stored bytes of a document (decompressed), by id.
    pub fn raw_document(&self, id: i64) -> Result<Vec<u8>> {
        self.backend.raw(id)
    }

    /// A stored document by id: what it is, and its bytes as ingested.
    pub fn document(&self, id: i64) -> Result<(DocumentInfo, Vec<u8>)> {
        let info = self
            .backend
            .document_info(id)?
            .ok_or_else(|| StoreError::NotFound(format!("no stored document {id}")))?;
        Ok((info, self.backend.raw(id)?))
    }

    pub fn stats(&self) -> Result<Stats> {
        self.backend.stats()
    }

    /// Refreshes the query planner's statistics (SQLite `PRAGMA optimize`, PostgreSQL
    /// `ANALYZE`): worth it after a large ingest, so queries use the indexes at once
    /// instead of after the database's own background analysis.
    pub fn optimize(&self) -> Result<()> {
        self.backend.optimize()
    }

    /// Checks the database engine's own integrity and chainwatch's invariants (every
    /// document complete, every edge between its own components, every stored copy
    /// matching its digest).
    pub fn check(&self) -> Result<CheckReport> {
        self.backend.check()
    }

    pub(crate) fn resolve(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<DocRef> {
        self.backend
            .resolve(product, version, as_of.unwrap_or(i64::MAX))?
            .ok_or_else(|| StoreError::NotFound(not_found(product, version)))
    }
}

fn not_found(product: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("no document for product `{product}` version `{v}`"),
        None => format!("no document for product `{product}`"),
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
