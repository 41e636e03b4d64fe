//! The names the portfolio itself says are popular: those many products' current
//! inventories use (a typo-squatting corpus source), counted and cached.

use crate::caches::{self, Cached};
use crate::db::{Db, args};
use crate::{Result, Store};

/// Portfolio name counts are cached for names used by at least this many products…
const CACHED_MIN_PRODUCTS: i64 = 2;
/// …at most this many of them per purl type.
const CACHED_NAMES: i64 = 20_000;
/// A count that took longer than this to compute is reused while it is younger than
/// [`RECOUNT_AFTER_MICROS`] and the portfolio has not grown by a tenth; a cheaper one is
/// redone whenever a document was added.
const CHEAP_COUNT_MICROS: i64 = 200_000;
const RECOUNT_AFTER_MICROS: i64 = 3_600_000_000;

/// `name\tcount` lines.
fn encode_names(names: &[(String, i64)]) -> Vec<u8> {
    let mut out = String::new();
    for (name, n) in names {
        out.push_str(name);
        out.push('\t');
        out.push_str(&n.to_string());
        out.push('\n');
    }
    out.into_bytes()
}

fn decode_names(data: &[u8]) -> Option<Vec<(String, i64)>> {
    std::str::from_utf8(data)
        .ok()?
        .lines()
        .map(|l| {
            let (name, n) = l.split_once('\t')?;
            Some((name.to_owned(), n.parse().ok()?))
        })
        .collect()
}

/// `text` as a literal `LIKE` pattern (the statement says `ESCAPE` with a backslash).
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Name identities under `prefix` in the current inventories of at least `min_products`
/// products, with their product counts, most used first, at most `limit`.
fn count_names(
    db: &mut Db<'_>,
    prefix: &str,
    min_products: i64,
    limit: i64,
) -> Result<Vec<(String, i64)>> {
    db.query(
        "SELECT pk.name, COUNT(DISTINCT pv.product_id) AS n
         FROM product_versions pv
         JOIN occurrences o ON o.document_id = pv.current_document_id
         JOIN packages pk ON pk.id = o.package_id
         WHERE pk.name LIKE $1 ESCAPE '\\'
         GROUP BY pk.name
         HAVING COUNT(DISTINCT pv.product_id) >= $2
         ORDER BY n DESC, pk.name
         LIMIT $3",
        &args![
            format!("{}%", like_escape(prefix)).as_str(),
            min_products,
            limit
        ],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Every name identity in the current inventories of at least `min_products` products,
/// with their product counts, most used first, at most `per_type` of each purl type: one
/// pass over the occurrences for all ecosystems.
fn count_all_names(
    db: &mut Db<'_>,
    min_products: i64,
    per_type: usize,
) -> Result<Vec<(String, i64)>> {
    let names: Vec<(String, i64)> = db.query(
        "SELECT pk.name, COUNT(DISTINCT pv.product_id) AS n
         FROM product_versions pv
         JOIN occurrences o ON o.document_id = pv.current_document_id
         JOIN packages pk ON pk.id = o.package_id
         GROUP BY pk.name
         HAVING COUNT(DISTINCT pv.product_id) >= $1
         ORDER BY n DESC, pk.name",
        &args![min_products],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut kept: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    Ok(names
        .into_iter()
        .filter(|(name, _)| {
            let purl_type = name.split('/').next().unwrap_or_default();
            let n = kept.entry(purl_type.to_owned()).or_default();
            *n += 1;
            *n <= per_type
        })
        .collect())
}

impl Store {
    /// The names of a purl type (`npm`, `pypi`) that the current inventories of at least
    /// `min_products` products use, as name identities (`pkg:npm/lodash`) with their
    /// product counts, most used first, at most `limit`: what the portfolio itself says is
    /// popular.
    pub fn portfolio_names(
        &self,
        purl_type: &str,
        min_products: u64,
        limit: u64,
    ) -> Result<Vec<(String, u64)>> {
        let min = i64::try_from(min_products).unwrap_or(i64::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let prefix = format!("pkg:{purl_type}/");
        let names = if min < CACHED_MIN_PRODUCTS {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            self.read(|db| count_names(db, &prefix, min, limit))?
        } else {
            self.counted_names(&prefix)?
        };
        Ok(names
            .into_iter()
            .filter(|(_, n)| *n >= min)
            .take(limit)
            .map(|(name, n)| (name, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// The names under `prefix` that at least [`CACHED_MIN_PRODUCTS`] products use, from
    /// the cache while it is fresh enough: counting reads every component of every
    /// current inventory (seconds for millions of them), so it is done once for every
    /// ecosystem.
    fn counted_names(&self, prefix: &str) -> Result<Vec<(String, i64)>> {
        let key = "portfolio-names";
        let now = crate::time::now_micros();
        let (high_water, cached) =
            self.read(|db| Ok((caches::documents_high_water(db)?, caches::get(db, key)?)))?;
        let under = |names: Vec<(String, i64)>| {
            names
                .into_iter()
                .filter(|(name, _)| name.starts_with(prefix))
                .collect()
        };
        if let Some(c) = cached
            && (c.documents == high_water
                || (c.took > CHEAP_COUNT_MICROS
                    && now.saturating_sub(c.computed_at) < RECOUNT_AFTER_MICROS
                    && high_water.saturating_sub(c.documents) < c.documents / 10))
            && let Some(names) = decode_names(&c.data)
        {
            return Ok(under(names));
        }
        let start = std::time::Instant::now();
        let per_type = usize::try_from(CACHED_NAMES).unwrap_or(usize::MAX);
        let names = self.read(|db| count_all_names(db, CACHED_MIN_PRODUCTS, per_type))?;
        let took = i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX);
        self.cache_put(
            key,
            &Cached {
                documents: high_water,
                computed_at: now,
                took,
                data: encode_names(&names),
            },
        )?;
        Ok(under(names))
    }
}
