//! Values that are expensive to compute and cheap to compute again (migration 6:
//! `caches`), each with the document high-water mark it saw.

use crate::db::{Db, args};
use crate::{Result, Store};

/// A cache entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cached {
    /// The newest document id when it was computed.
    pub(crate) documents: i64,
    /// When (microseconds since the epoch).
    pub(crate) computed_at: i64,
    /// How long it took (microseconds).
    pub(crate) took: i64,
    pub(crate) data: Vec<u8>,
}

pub(crate) fn get(db: &mut Db<'_>, key: &str) -> Result<Option<Cached>> {
    db.query_opt(
        "SELECT documents, computed_at, took, data FROM caches WHERE key = $1",
        &args![key],
        |r| {
            Ok(Cached {
                documents: r.get(0)?,
                computed_at: r.get(1)?,
                took: r.get(2)?,
                data: r.get(3)?,
            })
        },
    )
}

/// The newest document's id (0 without documents).
pub(crate) fn documents_high_water(db: &mut Db<'_>) -> Result<i64> {
    db.value("SELECT COALESCE(MAX(id), 0) FROM documents", &[])
}

impl Store {
    /// Stores (or replaces) a cache entry, unless this process is writing (the entry was
    /// computed beside an ingest): it is only a cache, which the next computation
    /// stores.
    pub(crate) fn cache_put(&self, key: &str, entry: &Cached) -> Result<()> {
        self.backend.write_if_idle(&mut |db| {
            db.execute(
                "INSERT INTO caches (key, documents, computed_at, took, data)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (key) DO UPDATE SET documents = excluded.documents,
                     computed_at = excluded.computed_at, took = excluded.took,
                     data = excluded.data",
                &args![
                    key,
                    entry.documents,
                    entry.computed_at,
                    entry.took,
                    &entry.data
                ],
            )?;
            Ok(())
        })
    }
}
