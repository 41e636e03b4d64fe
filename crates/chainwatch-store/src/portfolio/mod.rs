//! The portfolio: products, their versions and every document (SBOM) stored for each,
//! with its packages, occurrences and dependency graph. Reading documents back lives
//! here; `ingest.rs` writes them, `queries.rs` answers who-has, why, dependents and
//! diff, `names.rs` counts the names the portfolio uses, `check.rs` verifies it all.

mod check;
pub(crate) mod graph;
mod ingest;
mod names;
pub(crate) mod prepare;
pub(crate) mod queries;

use std::io::Read as _;

use chainwatch_sbom::ReadOptions;
use serde::Serialize;

pub use check::{CheckReport, Stats};

use crate::db::{Db, Row, args};
use crate::{Result, Store, StoreError, time};

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

/// A product, or one version of it, as people write it: `NAME` or `NAME@VERSION`, split
/// at the last `@` (so that scoped names such as `@acme/web` work).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductRef {
    pub name: String,
    pub version: Option<String>,
}

impl ProductRef {
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

impl std::str::FromStr for ProductRef {
    type Err = StoreError;

    fn from_str(spec: &str) -> Result<ProductRef> {
        let invalid =
            |why: &str| StoreError::InvalidQuery(format!("invalid product `{spec}`: {why}"));
        if spec.trim().is_empty() {
            return Err(invalid("a product needs a name"));
        }
        match spec.rsplit_once('@') {
            Some((name, _)) if name.trim().is_empty() => Ok(ProductRef {
                name: spec.to_owned(),
                version: None,
            }),
            Some((_, version)) if version.trim().is_empty() => Err(invalid(
                "a version is expected after `@` (write `NAME` for the newest version)",
            )),
            Some((name, version)) => Ok(ProductRef {
                name: name.to_owned(),
                version: Some(version.to_owned()),
            }),
            None => Ok(ProductRef {
                name: spec.to_owned(),
                version: None,
            }),
        }
    }
}

impl std::fmt::Display for ProductRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A document by id, with where it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocRef {
    pub id: i64,
    pub product: String,
    pub version: String,
}

/// The condition that `d` is the current document of its product version at the
/// ingestion time bound to `param` (`$2`): the newest ingested by then.
pub(crate) fn current(param: &str) -> String {
    format!(
        "d.id = (SELECT d2.id FROM documents d2
          WHERE d2.product_version_id = d.product_version_id AND d2.ingested_at <= {param}
          ORDER BY d2.ingested_at DESC, d2.id DESC LIMIT 1)"
    )
}

/// The columns of a [`DocumentInfo`] ([`document_row`]); the caller adds the `WHERE`.
const DOCUMENT_SELECT: &str = "SELECT d.id, p.name, pv.version, d.format, d.spec_version, \
     d.digest, d.components, d.edges, d.ingested_at
     FROM documents d
     JOIN product_versions pv ON pv.id = d.product_version_id
     JOIN products p ON p.id = pv.product_id";

fn document_row(r: Row<'_>) -> Result<DocumentInfo> {
    Ok(DocumentInfo {
        id: r.get(0)?,
        product: r.get(1)?,
        version: r.get(2)?,
        format: r.get(3)?,
        spec_version: r.get(4)?,
        digest: r.get(5)?,
        components: r.get(6)?,
        edges: r.get(7)?,
        ingested: time::format_micros(r.get(8)?),
    })
}

/// Documents larger than this decompressed are refused when read back (corruption guard).
const MAX_DOCUMENT: u64 = 8 << 30;

pub(crate) fn decompress(codec: &str, data: &[u8]) -> Result<Vec<u8>> {
    match codec {
        "zstd" => {
            let mut out = Vec::new();
            zstd::Decoder::new(data)
                .map_err(|e| StoreError::Compression(e.to_string()))?
                .take(MAX_DOCUMENT)
                .read_to_end(&mut out)
                .map_err(|e| StoreError::Compression(e.to_string()))?;
            Ok(out)
        }
        other => Err(StoreError::Corrupt(format!("unknown codec `{other}`"))),
    }
}

/// A document's bytes as ingested.
fn raw(db: &mut Db<'_>, document: i64) -> Result<Vec<u8>> {
    let (codec, data): (String, Vec<u8>) = db
        .query_opt(
            "SELECT b.codec, b.data FROM documents d JOIN blobs b ON b.digest = d.digest
             WHERE d.id = $1",
            &args![document],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .ok_or_else(|| StoreError::NotFound(format!("no document with id `{document}`")))?;
    decompress(&codec, &data)
}

fn documents(
    db: &mut Db<'_>,
    product: &str,
    version: Option<&str>,
    as_of: i64,
) -> Result<Vec<DocumentInfo>> {
    db.query(
        &format!(
            "{DOCUMENT_SELECT}
             WHERE p.name = $1 AND (CAST($2 AS TEXT) IS NULL OR pv.version = $2)
                 AND d.ingested_at <= $3
             ORDER BY pv.version, d.ingested_at, d.id"
        ),
        &args![product, version, as_of],
        document_row,
    )
}

fn not_found(product: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("no document for product `{product}` version `{v}`"),
        None => format!("no document for product `{product}`"),
    }
}

impl Store {
    /// Every product version with its document count and current size.
    pub fn products(&self, as_of: Option<i64>) -> Result<Vec<ProductSummary>> {
        let Some(as_of) = as_of else {
            return self.products_after(None, usize::MAX);
        };
        self.read(|db| {
            db.query(
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
                &args![as_of],
                ProductSummary::read,
            )
        })
    }

    /// The current product versions after `after` (name, version), by name then version
    /// (bytewise, on both backends), at most `limit`: a page of [`Store::products`]
    /// read from the recorded current documents and the primary keys, however large the
    /// portfolio.
    pub fn products_after(
        &self,
        after: Option<(&str, &str)>,
        limit: usize,
    ) -> Result<Vec<ProductSummary>> {
        let (name, version) = after.unwrap_or_default();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|db| {
            let c = db.dialect().bytewise();
            db.query(
                &format!(
                    "SELECT p.name, pv.version,
                         (SELECT COUNT(*) FROM documents d3 WHERE d3.product_version_id = pv.id),
                         d.components, d.ingested_at
                     FROM product_versions pv
                     JOIN products p ON p.id = pv.product_id
                     JOIN documents d ON d.id = pv.current_document_id
                     WHERE $4 = 0 OR p.name{c} > $1
                         OR (p.name = $1 AND pv.version{c} > $2)
                     ORDER BY p.name{c}, pv.version{c}
                     LIMIT $3"
                ),
                &args![name, version, limit, i64::from(after.is_some())],
                ProductSummary::read,
            )
        })
    }

    /// The documents (history) of a product, or of one of its versions, ingested up to
    /// `as_of`, oldest first.
    pub fn documents(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<Vec<DocumentInfo>> {
        let docs = self.read(|db| {
            let docs = documents(db, product, version, as_of.unwrap_or(i64::MAX))?;
            // Looking back to before its first document is an empty history, not an
            // unknown product.
            if docs.is_empty()
                && (as_of.is_none() || documents(db, product, version, i64::MAX)?.is_empty())
            {
                return Err(StoreError::NotFound(not_found(product, version)));
            }
            Ok(docs)
        })?;
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
        let (info, raw) = self.document(doc.id)?;
        let sbom = chainwatch_sbom::parse(&raw, &ReadOptions::default())
            .map_err(|e| StoreError::Corrupt(format!("stored document {}: {e}", doc.id)))?;
        Ok((info, sbom))
    }

    /// The stored bytes of a document (decompressed), by id.
    pub fn raw_document(&self, id: i64) -> Result<Vec<u8>> {
        self.read(|db| raw(db, id))
    }

    /// A stored document by id: what it is, and its bytes as ingested.
    pub fn document(&self, id: i64) -> Result<(DocumentInfo, Vec<u8>)> {
        self.read(|db| {
            let info = db
                .query_opt(
                    &format!("{DOCUMENT_SELECT} WHERE d.id = $1"),
                    &args![id],
                    document_row,
                )?
                .ok_or_else(|| StoreError::NotFound(format!("no stored document {id}")))?;
            Ok((info, raw(db, id)?))
        })
    }

    /// The current document of `product` (or `product@version`) at `as_of`.
    pub(crate) fn resolve(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<DocRef> {
        self.read(|db| {
            db.query_opt(
                "SELECT d.id, p.name, pv.version
                 FROM documents d
                 JOIN product_versions pv ON pv.id = d.product_version_id
                 JOIN products p ON p.id = pv.product_id
                 WHERE p.name = $1 AND (CAST($2 AS TEXT) IS NULL OR pv.version = $2)
                     AND d.ingested_at <= $3
                 ORDER BY d.ingested_at DESC, d.id DESC LIMIT 1",
                &args![product, version, as_of.unwrap_or(i64::MAX)],
                |r| {
                    Ok(DocRef {
                        id: r.get(0)?,
                        product: r.get(1)?,
                        version: r.get(2)?,
                    })
                },
            )
        })?
        .ok_or_else(|| StoreError::NotFound(not_found(product, version)))
    }
}

impl ProductSummary {
    /// A row of (name, version, documents, components, ingested at).
    fn read(r: crate::db::Row<'_>) -> Result<ProductSummary> {
        Ok(ProductSummary {
            name: r.get(0)?,
            version: r.get(1)?,
            documents: r.get(2)?,
            components: r.get(3)?,
            updated: time::format_micros(r.get(4)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ProductRef;

    #[test]
    fn product_references() {
        let r = |s: &str| s.parse::<ProductRef>().map(|p| (p.name, p.version));
        assert_eq!(r("shop").unwrap(), ("shop".into(), None));
        assert_eq!(r("shop@1.0").unwrap(), ("shop".into(), Some("1.0".into())));
        assert_eq!(r("@acme/web").unwrap(), ("@acme/web".into(), None));
        assert_eq!(
            r("@acme/web@2.0@rc").unwrap(),
            ("@acme/web@2.0".into(), Some("rc".into()))
        );
        assert!(r("").is_err());
        assert!(r("shop@").is_err());
        assert_eq!(
            "shop@1.0".parse::<ProductRef>().unwrap().to_string(),
            "shop@1.0"
        );
    }
}
