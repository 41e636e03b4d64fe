//! Verified attestations as evidence (migration 7): the facts an attestation establishes
//! (built by, built from source at revision, signed by), how and when it was verified,
//! linked to the product version it was ingested for and, through its subjects' digests,
//! to the components whose hashes match.

use chainwatch_attest::Verification;
use serde::Serialize;

use crate::db::{Db, Row, Table, args};
use crate::{Result, Store, StoreError};

/// An attestation as stored.
#[derive(Debug, Clone)]
struct AttestationRow {
    digest: String,
    format: &'static str,
    predicate_type: Option<String>,
    builder_id: Option<String>,
    build_type: Option<String>,
    source_repo: Option<String>,
    source_revision: Option<String>,
    signer_identity: Option<String>,
    signer_issuer: Option<String>,
    signer_key: Option<String>,
    signed_at: Option<String>,
    trust_root: Option<String>,
    checks: String,
    verified_at: i64,
    data: Vec<u8>,
    /// (algorithm, digest, name).
    subjects: Vec<(String, String, String)>,
    /// The product version it was ingested for.
    product: Option<(String, String)>,
}

/// The outcome of storing an attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttestationImport {
    pub id: i64,
    /// False when the same attestation was stored before (its product link is added).
    pub stored: bool,
}

/// One piece of evidence about a product version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub attestation: i64,
    pub format: String,
    pub predicate_type: Option<String>,
    pub builder: Option<String>,
    pub build_type: Option<String>,
    pub source: Option<String>,
    pub revision: Option<String>,
    pub signer: Option<String>,
    pub issuer: Option<String>,
    pub key: Option<String>,
    pub signed_at: Option<String>,
    pub trust_root: Option<String>,
    /// When chainwatch verified it (RFC 3339).
    pub verified_at: String,
    /// What it is about: `product version`, or the component (purl or name) whose digest
    /// is one of its subjects.
    pub about: String,
}

/// The columns evidence is read from, in [`Evidence`] order (after the id).
const EVIDENCE_COLUMNS: &str = "a.id, a.format, a.predicate_type, a.builder_id, a.build_type, \
    a.source_repo, a.source_revision, a.signer_identity, a.signer_issuer, a.signer_key, \
    a.signed_at, a.trust_root, a.verified_at";

/// An evidence row before `about` is known: the columns of [`EVIDENCE_COLUMNS`].
#[derive(Debug, Clone)]
struct EvidenceRaw {
    id: i64,
    texts: [Option<String>; 11],
    verified_at: i64,
}

impl EvidenceRaw {
    fn read(r: &Row<'_>) -> Result<EvidenceRaw> {
        let mut texts: [Option<String>; 11] = Default::default();
        for (i, t) in texts.iter_mut().enumerate() {
            *t = r.get(i + 1)?;
        }
        Ok(EvidenceRaw {
            id: r.get(0)?,
            texts,
            verified_at: r.get(12)?,
        })
    }

    fn into_evidence(self, about: String) -> Evidence {
        let [
            format,
            predicate_type,
            builder,
            build_type,
            source,
            revision,
            signer,
            issuer,
            key,
            signed_at,
            trust_root,
        ] = self.texts;
        Evidence {
            attestation: self.id,
            format: format.unwrap_or_default(),
            predicate_type,
            builder,
            build_type,
            source,
            revision,
            signer,
            issuer,
            key,
            signed_at,
            trust_root,
            verified_at: crate::format_micros(self.verified_at),
            about,
        }
    }
}

/// CycloneDX hash names to in-toto's digest names.
fn algorithm(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_uppercase().as_str() {
        "SHA-256" | "SHA256" => "sha256",
        "SHA-384" | "SHA384" => "sha384",
        "SHA-512" | "SHA512" => "sha512",
        "SHA-1" | "SHA1" => "sha1",
        _ => return None,
    })
}

impl Store {
    /// Stores a verified attestation, linked to `product` (name, version) when given (the
    /// product version must exist). The same attestation again only adds the link.
    pub fn store_attestation(
        &self,
        v: &Verification,
        product: Option<(&str, &str)>,
    ) -> Result<AttestationImport> {
        if !v.verified {
            let why = v
                .failure()
                .map_or_else(String::new, |c| format!(": {}", c.detail));
            return Err(StoreError::InvalidQuery(format!(
                "only verified attestations are evidence{why}"
            )));
        }
        let json = serde_json::to_vec(&v.document)
            .map_err(|e| StoreError::Corrupt(format!("an attestation does not serialize: {e}")))?;
        let data =
            zstd::bulk::compress(&json, 3).map_err(|e| StoreError::Compression(e.to_string()))?;
        let signer = v.signers.first();
        let mut subjects = Vec::new();
        if let Some(s) = &v.statement {
            for subject in &s.subjects {
                for (alg, hex) in &subject.digest {
                    subjects.push((alg.clone(), hex.clone(), subject.name.clone()));
                }
            }
        }
        if let Some(m) = &v.metadata {
            for (path, digests) in &m.products {
                for (alg, hex) in digests {
                    subjects.push((alg.clone(), hex.clone(), path.clone()));
                }
            }
        }
        subjects.sort();
        subjects.dedup();
        let row = AttestationRow {
            digest: crate::digest_hex(&json),
            format: v.format,
            predicate_type: v.statement.as_ref().map(|s| s.predicate_type.clone()),
            builder_id: v.provenance.as_ref().and_then(|p| p.builder_id.clone()),
            build_type: v.provenance.as_ref().and_then(|p| p.build_type.clone()),
            source_repo: v.provenance.as_ref().and_then(|p| p.source.clone()),
            source_revision: v.provenance.as_ref().and_then(|p| p.revision.clone()),
            signer_identity: signer.and_then(|s| s.identity.clone()),
            signer_issuer: signer.and_then(|s| s.issuer.clone()),
            signer_key: signer.and_then(|s| s.key.clone()),
            signed_at: v.signed_at.clone(),
            trust_root: v.trust_root.clone(),
            checks: serde_json::to_string(&v.checks)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            verified_at: crate::now_micros(),
            data,
            subjects,
            product: product.map(|(p, v)| (p.to_owned(), v.to_owned())),
        };
        let (id, stored) = self.write(|db| store(db, &row))?;
        Ok(AttestationImport { id, stored })
    }

    /// The evidence about a product version (its current version when `version` is
    /// `None`): attestations ingested for it, and those whose subjects have the digest
    /// of one of its current inventory's components (the product's own subject
    /// component included).
    /// The builders (`builder.id`) of the verified provenance about a product version
    /// itself: attestations ingested for it and those about its subject component; what
    /// policy rules on provenance read. A version not in the store has none.
    pub fn release_builders(&self, product: &str, version: &str) -> Result<Vec<String>> {
        let evidence = match self.provenance(product, Some(version), None) {
            Ok(e) => e,
            Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let subject: Option<String> = self.read(|db| {
            db.query_opt(
                "SELECT COALESCE(pk.purl, o.name) FROM product_versions pv
                 JOIN products p ON p.id = pv.product_id
                 JOIN documents d ON d.id = pv.current_document_id
                 JOIN occurrences o ON o.document_id = d.id AND o.ordinal = d.subject
                 LEFT JOIN packages pk ON pk.id = o.package_id
                 WHERE p.name = $1 AND pv.version = $2",
                &args![product, version],
                |r| r.get(0),
            )
        })?;
        let subject = subject.map(|s| format!("component {s}"));
        let mut builders: Vec<String> = evidence
            .into_iter()
            .filter(|e| e.about == "product version" || Some(&e.about) == subject.as_ref())
            .filter_map(|e| e.builder)
            .collect();
        builders.sort();
        builders.dedup();
        Ok(builders)
    }

    pub fn provenance(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<Vec<Evidence>> {
        let doc = self.resolve(product, version, as_of).map_err(|e| match e {
            StoreError::NotFound(_) => StoreError::NotFound(match version {
                Some(v) => format!("no product version `{product}@{v}` in the store"),
                None => format!("no product `{product}` in the store"),
            }),
            other => other,
        })?;
        let (for_document, hashes) = self.read(|db| {
            Ok((
                evidence_for_document(db, doc.id)?,
                document_hashes(db, doc.id)?,
            ))
        })?;
        let mut out: Vec<Evidence> = for_document
            .into_iter()
            .map(|r| r.into_evidence("product version".into()))
            .collect();
        // Component digests (sha256/384/512) and what each belongs to.
        let mut digests: Vec<(String, String, String)> = Vec::new();
        for (hashes, purl, name) in hashes {
            for h in hashes.split_whitespace() {
                let Some((alg, hex)) = h.split_once(':') else {
                    continue;
                };
                if let Some(alg) = algorithm(alg).filter(|a| *a != "sha1") {
                    let about = purl.clone().unwrap_or_else(|| name.clone());
                    digests.push((alg.to_owned(), hex.to_ascii_lowercase(), about));
                }
            }
        }
        if !digests.is_empty() {
            let keys: Vec<(String, String)> = digests
                .iter()
                .map(|(a, h, _)| (a.clone(), h.clone()))
                .collect();
            for (raw, alg, hex) in self.read(|db| evidence_for_digests(db, &keys))? {
                let about = digests
                    .iter()
                    .find(|(a, h, _)| *a == alg && *h == hex)
                    .map_or_else(
                        || format!("{alg}:{hex}"),
                        |(_, _, about)| format!("component {about}"),
                    );
                out.push(raw.into_evidence(about));
            }
        }
        out.sort_by(|a, b| (a.attestation, &a.about).cmp(&(b.attestation, &b.about)));
        out.dedup_by(|a, b| a.attestation == b.attestation && a.about == b.about);
        Ok(out)
    }
}

/// Stores a verified attestation (and its product link); (id, whether it was new).
/// Concurrent writers of the same attestation: the unique digest decides, the loser
/// reads the winner's row.
fn store(db: &mut Db<'_>, row: &AttestationRow) -> Result<(i64, bool)> {
    let product_version: Option<i64> = match &row.product {
        None => None,
        Some((product, version)) => Some(
            db.query_opt(
                "SELECT pv.id FROM product_versions pv JOIN products p ON p.id = pv.product_id
                 WHERE p.name = $1 AND pv.version = $2",
                &args![product, version],
                |r| r.get(0),
            )?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "no product version `{product}@{version}` in the store: ingest its SBOM first"
                ))
            })?,
        ),
    };
    let inserted: Option<i64> = db.query_opt(
        "INSERT INTO attestations (digest, format, predicate_type, builder_id, build_type,
             source_repo, source_revision, signer_identity, signer_issuer, signer_key,
             signed_at, trust_root, checks, verified_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (digest) DO NOTHING RETURNING id",
        &args![
            &row.digest,
            row.format,
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
            row.verified_at,
            &row.data,
        ],
        |r| r.get(0),
    )?;
    let (id, stored) = match inserted {
        Some(id) => {
            let table = Table::new()
                .text(
                    "algorithm",
                    row.subjects.iter().map(|s| s.0.as_str()).collect(),
                )
                .text(
                    "digest",
                    row.subjects.iter().map(|s| s.1.as_str()).collect(),
                )
                .text("name", row.subjects.iter().map(|s| s.2.as_str()).collect());
            let sql = format!(
                "INSERT INTO attestation_subjects (attestation_id, algorithm, digest, name)
                 SELECT $1, t.algorithm, t.digest, t.name FROM {} WHERE true
                 ON CONFLICT DO NOTHING",
                db.dialect().table(2, "t", &table)
            );
            db.execute(&sql, &[id.into(), table.into()])?;
            (id, true)
        }
        None => (
            db.value(
                "SELECT id FROM attestations WHERE digest = $1",
                &args![&row.digest],
            )?,
            false,
        ),
    };
    if let Some(pv) = product_version {
        db.execute(
            "INSERT INTO attestation_products (attestation_id, product_version_id)
             VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &args![id, pv],
        )?;
    }
    Ok((id, stored))
}

/// Attestations ingested for the product version of a document.
fn evidence_for_document(db: &mut Db<'_>, document: i64) -> Result<Vec<EvidenceRaw>> {
    db.query(
        &format!(
            "SELECT {EVIDENCE_COLUMNS} FROM attestations a
             JOIN attestation_products ap ON ap.attestation_id = a.id
             JOIN documents d ON d.product_version_id = ap.product_version_id
             WHERE d.id = $1 ORDER BY a.id"
        ),
        &args![document],
        |r| EvidenceRaw::read(&r),
    )
}

/// Attestations with a subject of one of these (algorithm, digest) pairs, with the pair.
fn evidence_for_digests(
    db: &mut Db<'_>,
    digests: &[(String, String)],
) -> Result<Vec<(EvidenceRaw, String, String)>> {
    let table = Table::new()
        .text("algorithm", digests.iter().map(|d| d.0.as_str()).collect())
        .text("digest", digests.iter().map(|d| d.1.as_str()).collect());
    let sql = format!(
        "SELECT {EVIDENCE_COLUMNS}, s.algorithm, s.digest
         FROM {}
         JOIN attestation_subjects s ON s.algorithm = w.algorithm AND s.digest = w.digest
         JOIN attestations a ON a.id = s.attestation_id",
        db.dialect().table(1, "w", &table)
    );
    db.query(&sql, &[table.into()], |r| {
        Ok((EvidenceRaw::read(&r)?, r.get(13)?, r.get(14)?))
    })
}

/// (hashes, purl, name) of a document's components that have hashes.
fn document_hashes(
    db: &mut Db<'_>,
    document: i64,
) -> Result<Vec<(String, Option<String>, String)>> {
    db.query(
        "SELECT o.hashes, pk.purl, o.name FROM occurrences o
         LEFT JOIN packages pk ON pk.id = o.package_id
         WHERE o.document_id = $1 AND o.hashes IS NOT NULL ORDER BY o.ordinal",
        &args![document],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}
