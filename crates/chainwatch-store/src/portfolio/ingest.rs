//! Storing documents. Reading and preparing a document (`prepare.rs`) needs no write
//! access and runs on many threads; writing runs many documents in one transaction, each
//! completely or not at all.

use crate::db::{Db, Table, args};
use crate::portfolio::prepare::{self, Naming, Prepared, digest_hex};
use crate::{IngestOptions, IngestOutcome, Prepare, Result, Store, StoreError, time};

/// Packages of a document above which its ids are not remembered: a portfolio repeats
/// its packages document after document, a one-off SBOM of hundreds of thousands of
/// packages would only take memory (measured: 60 MiB and 0.2 s for 500,000).
const PACKAGE_CACHE_PER_DOCUMENT: usize = 50_000;

/// Packages looked up or inserted per statement.
const PACKAGES_PER_STATEMENT: usize = 16_384;

/// The columns of an [`IngestOutcome`] for an already stored document; the caller adds
/// the `WHERE`.
const OUTCOME_SELECT: &str =
    "SELECT d.id, p.name, pv.version, d.format, d.digest, d.components, d.edges
     FROM documents d
     JOIN product_versions pv ON pv.id = d.product_version_id
     JOIN products p ON p.id = pv.product_id";

fn stored_outcome(
    db: &mut Db<'_>,
    condition: &str,
    params: &[crate::db::Value<'_>],
) -> Result<Option<IngestOutcome>> {
    db.query_opt(
        &format!("{OUTCOME_SELECT} WHERE {condition}"),
        params,
        |r| {
            Ok(IngestOutcome {
                stored: false,
                document: r.get(0)?,
                product: r.get(1)?,
                version: r.get(2)?,
                format: r.get(3)?,
                digest: r.get(4)?,
                components: r.get(5)?,
                edges: r.get(6)?,
            })
        },
    )
}

/// Records document `$1`, ingested at `$2`, as its product version's (`$3`) current
/// document unless a newer one is recorded. Under PostgreSQL's row lock a concurrent
/// ingester re-reads the row after the other commits, so the newest wins.
const SET_CURRENT: &str =
    "UPDATE product_versions SET current_document_id = $1, current_ingested_at = $2
     WHERE id = $3 AND (current_document_id IS NULL OR current_ingested_at < $2
         OR (current_ingested_at = $2 AND current_document_id < $1))";

impl Store {
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
            fallback_product: options.fallback_product.clone(),
        };
        let (sbom, raw, size, digest) = {
            let text = chainwatch_sbom::text_of(bytes.as_ref(), &options.read)?;
            let format = chainwatch_sbom::detect_format(&text)?;
            let digest = digest_hex(text.as_bytes());
            // Where an override puts the document is known only after parsing; the
            // ingest transaction checks then.
            if naming.product.is_none() && naming.version.is_none() {
                let known = self.read(|db| {
                    stored_outcome(
                        db,
                        "d.digest = $1 AND d.self_named = 1 ORDER BY d.id LIMIT 1",
                        &args![&digest],
                    )
                })?;
                if let Some(existing) = known {
                    return Ok(Prepare::Known(existing));
                }
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
        self.ingest_prepared_batch(&[prepared])
            .pop()
            .unwrap_or_else(|| Err(StoreError::Corrupt("no outcome".into())))
    }

    /// Stores several prepared documents in one transaction (much faster than one
    /// each: index pages and the commit are shared). Each document is still stored
    /// completely or not at all: should one fail, the batch is rolled back and each
    /// document is stored alone, so one bad document costs only itself (its error is
    /// its entry in the result). Savepoints per document would do the same, but cost
    /// SQLite a copy of every page each document touches.
    pub fn ingest_prepared_batch(&self, prepared: &[&Prepared]) -> Vec<Result<IngestOutcome>> {
        if prepared.is_empty() {
            return Vec::new();
        }
        let mut added = Vec::new();
        let batch = self.write(|db| {
            added.clear();
            prepared
                .iter()
                .map(|doc| self.ingest_one(db, doc, &mut added))
                .collect::<Result<Vec<_>>>()
        });
        match batch {
            Ok(outcomes) => {
                self.remember(added);
                outcomes.into_iter().map(Ok).collect()
            }
            Err(_) if prepared.len() > 1 => prepared
                .iter()
                .map(|doc| {
                    let mut added = Vec::new();
                    let outcome = self.write(|db| {
                        added.clear();
                        self.ingest_one(db, doc, &mut added)
                    })?;
                    self.remember(added);
                    Ok(outcome)
                })
                .collect(),
            Err(e) => vec![Err(e)],
        }
    }

    /// Remembers committed package ids.
    fn remember(&self, added: Vec<(Box<str>, i64)>) {
        let mut known = self
            .package_ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.len() > crate::PACKAGE_CACHE {
            known.clear();
        }
        known.extend(added);
    }

    /// Stores one document in the batch's transaction. The ids of packages this call
    /// looks up or inserts are pushed to `added`, to be remembered once committed.
    fn ingest_one(
        &self,
        db: &mut Db<'_>,
        doc: &Prepared,
        added: &mut Vec<(Box<str>, i64)>,
    ) -> Result<IngestOutcome> {
        let now = time::now_micros();
        // Already stored for this product version: nothing to write.
        let existing = "p.name = $1 AND pv.version = $2 AND d.digest = $3";
        let key = args![&doc.product, &doc.version, &doc.digest];
        if let Some(existing) = stored_outcome(db, existing, &key)? {
            return Ok(existing);
        }
        db.execute(
            "INSERT INTO products (name, created_at) VALUES ($1, $2)
             ON CONFLICT (name) DO NOTHING",
            &args![&doc.product, now],
        )?;
        let product_id: i64 = db.value(
            "SELECT id FROM products WHERE name = $1",
            &args![&doc.product],
        )?;
        db.execute(
            "INSERT INTO product_versions (product_id, version, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (product_id, version) DO NOTHING",
            &args![product_id, &doc.version, now],
        )?;
        let pv: i64 = db.value(
            "SELECT id FROM product_versions WHERE product_id = $1 AND version = $2",
            &args![product_id, &doc.version],
        )?;
        db.execute(
            "INSERT INTO blobs (digest, codec, size, data) VALUES ($1, 'zstd', $2, $3)
             ON CONFLICT (digest) DO NOTHING",
            &args![
                &doc.digest,
                i64::try_from(doc.raw_size).unwrap_or(i64::MAX),
                &doc.raw
            ],
        )?;
        let inserted: Option<i64> = db.query_opt(
            "INSERT INTO documents (product_version_id, digest, format, spec_version, serial,
                 created, subject, components, edges, ingested_at, self_named)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (product_version_id, digest) DO NOTHING
             RETURNING id",
            &args![
                pv,
                &doc.digest,
                doc.format.as_str(),
                &doc.spec_version,
                &doc.serial,
                &doc.created,
                doc.subject.map(i64::from),
                crate::int(doc.components.len()),
                crate::int(doc.edge_count),
                now,
                doc.self_named
            ],
            |r| r.get(0),
        )?;
        let Some(document) = inserted else {
            // Another process stored it first (PostgreSQL waited for its commit).
            return stored_outcome(db, existing, &key)?
                .ok_or_else(|| StoreError::Corrupt("a stored document vanished".into()));
        };
        let ids = self.package_ids(db, doc, added)?;
        db.insert_occurrences(document, &doc.components, &ids)?;
        db.execute(
            "INSERT INTO graphs (document_id, data) VALUES ($1, $2)",
            &args![document, &doc.graph],
        )?;
        db.execute(SET_CURRENT, &args![document, now, pv])?;
        Ok(doc.stored_as(document))
    }

    /// The package id of each component (`None` for those without a purl): remembered,
    /// looked up, or inserted. Packages are handled in purl order: concurrent ingesters
    /// lock them in the same order (they queue instead of deadlocking) and index inserts
    /// land next to each other.
    fn package_ids(
        &self,
        db: &mut Db<'_>,
        doc: &Prepared,
        added: &mut Vec<(Box<str>, i64)>,
    ) -> Result<Vec<Option<i64>>> {
        let row = |o: u32| &doc.components[o as usize];
        // Each package once, in purl order: where its run starts in `by_purl`.
        let mut starts: Vec<usize> = Vec::new();
        for (k, &o) in doc.by_purl.iter().enumerate() {
            if k == 0 || row(doc.by_purl[k - 1]).purl != row(o).purl {
                starts.push(k);
            }
        }
        let wanted = |w: usize| row(doc.by_purl[starts[w]]);
        let purl = |w: usize| wanted(w).purl.as_deref().unwrap_or_default();
        let mut found: Vec<Option<i64>> = vec![None; starts.len()];
        let remember = starts.len() <= PACKAGE_CACHE_PER_DOCUMENT;
        {
            // Held for the lookups only: other uploads of this process (the server's)
            // write their own transactions meanwhile.
            let known = self
                .package_ids
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !known.is_empty() {
                for (w, id) in found.iter_mut().enumerate() {
                    *id = known.get(purl(w)).copied();
                }
            }
        }
        let unknown: Vec<usize> = (0..starts.len()).filter(|&w| found[w].is_none()).collect();
        // A store without packages (its first document) has none to look up; asked only
        // when the lookups would take more than the question.
        let none_stored = unknown.len() > PACKAGES_PER_STATEMENT / 4
            && db.value::<i64>(
                "SELECT COUNT(*) FROM (SELECT 1 FROM packages LIMIT 1) AS t",
                &[],
            )? == 0;
        // The position in `found` of a purl among `chunk` (sorted by purl).
        let position = |chunk: &[usize], p: &str| {
            chunk
                .binary_search_by(|&w| purl(w).cmp(p))
                .ok()
                .map(|k| chunk[k])
        };
        // Looks up the packages of `among` (in purl order) that are still unknown.
        let lookup = |db: &mut Db<'_>, among: &[usize], found: &mut Vec<Option<i64>>| {
            let purls: Vec<&str> = among.iter().map(|&w| purl(w)).collect();
            find_packages(db, &purls, &mut |p, id| {
                if let Some(w) = position(among, p) {
                    found[w] = Some(id);
                }
            })
        };
        let unfound = |among: &[usize], found: &[Option<i64>]| -> Vec<usize> {
            among
                .iter()
                .copied()
                .filter(|&w| found[w].is_none())
                .collect()
        };
        // In chunks, so that a document of hundreds of thousands of new packages binds
        // tables of a bounded size.
        for chunk in unknown.chunks(PACKAGES_PER_STATEMENT) {
            if !none_stored {
                lookup(db, chunk, &mut found)?;
            }
            let missing = unfound(chunk, &found);
            if missing.is_empty() {
                continue;
            }
            let rows: Vec<(&str, &str, Option<&str>)> = missing
                .iter()
                .map(|&w| {
                    let r = wanted(w);
                    (
                        purl(w),
                        r.name_identity.as_deref().unwrap_or_default(),
                        r.package_version.as_deref(),
                    )
                })
                .collect();
            db.insert_packages(&rows, &mut |k, id| {
                if let Some(&w) = missing.get(k) {
                    found[w] = Some(id);
                }
                Ok(())
            })?;
            // Inserted by another process meanwhile (PostgreSQL).
            let again = unfound(&missing, &found);
            if !again.is_empty() {
                lookup(db, &again, &mut found)?;
            }
        }
        if remember {
            added.extend(
                unknown
                    .iter()
                    .filter_map(|&w| found[w].map(|id| (purl(w).into(), id))),
            );
        }
        let mut ids = vec![None; doc.components.len()];
        for (w, &start) in starts.iter().enumerate() {
            let end = starts.get(w + 1).copied().unwrap_or(doc.by_purl.len());
            for &o in &doc.by_purl[start..end] {
                ids[o as usize] = found[w];
            }
        }
        Ok(ids)
    }
}

/// Looks up the ids of stored packages among `purls` (sorted, distinct): one index probe each. A
/// scalar subquery per row keeps PostgreSQL from planning a join, which it would price
/// as a scan of the whole table when it has no statistics yet (a new store, or a server
/// whose autovacuum is off).
fn find_packages(db: &mut Db<'_>, purls: &[&str], found: &mut dyn FnMut(&str, i64)) -> Result<()> {
    let table = Table::new().text("purl", purls.to_vec());
    let sql = format!(
        "SELECT t.purl, (SELECT p.id FROM packages p WHERE p.purl = t.purl) FROM {}",
        db.dialect().table(1, "t", &table)
    );
    db.for_each(&sql, &[table.into()], &mut |r| {
        if let Some(id) = r.get::<Option<i64>>(1)? {
            found(r.get(0)?, id);
        }
        Ok(())
    })
}
