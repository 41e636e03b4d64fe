//! Verified attestations as evidence (migration 7): the facts an attestation establishes
//! (built by, built from source at revision, signed by), how and when it was verified,
//! linked to the product version it was ingested for and, through its subjects' digests,
//! to the components whose hashes match.

use chainwatch_attest::Verification;
use serde::Serialize;

use crate::{Result, Store, StoreError};

/// An attestation as stored.
#[derive(Debug, Clone)]
pub(crate) struct AttestationRow {
    pub digest: String,
    pub format: &'static str,
    pub predicate_type: Option<String>,
    pub builder_id: Option<String>,
    pub build_type: Option<String>,
    pub source_repo: Option<String>,
    pub source_revision: Option<String>,
    pub signer_identity: Option<String>,
    pub signer_issuer: Option<String>,
    pub signer_key: Option<String>,
    pub signed_at: Option<String>,
    pub trust_root: Option<String>,
    pub checks: String,
    pub verified_at: i64,
    pub data: Vec<u8>,
    /// (algorithm, digest, name).
    pub subjects: Vec<(String, String, String)>,
    /// The product version it was ingested for.
    pub product: Option<(String, String)>,
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
pub(crate) const EVIDENCE_COLUMNS: &str = "a.id, a.format, a.predicate_type, a.builder_id, a.build_type, a.source_repo, a.source_revision, a.signer_identity, a.signer_issuer, a.signer_key, a.signed_at, a.trust_root, a.verified_at";

/// An evidence row before `about` is known: the columns of [`EVIDENCE_COLUMNS`].
#[derive(Debug, Clone)]
pub(crate) struct EvidenceRaw {
    pub id: i64,
    pub texts: [Option<String>; 11],
    pub verified_at: i64,
}

impl EvidenceRaw {
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
        let (id, stored) = self.backend.store_attestation(&row)?;
        Ok(AttestationImport { id, stored })
    }

    /// The evidence about a product version (its current version when `version` is
    /// `None`): attestations ingested for it, and those whose subjects have the digest
    /// of one of its current inventory's components (the product's own subject
    /// component included).
    pub fn provenance(
        &self,
        product: &str,
        version: Option<&str>,
        as_of: Option<i64>,
    ) -> Result<Vec<Evidence>> {
        let doc = self
            .backend
            .resolve(product, version, as_of.unwrap_or(i64::MAX))?
            .ok_or_else(|| {
                StoreError::NotFound(match version {
                    Some(v) => format!("no product version `{product}@{v}` in the store"),
                    None => format!("no product `{product}` in the store"),
                })
            })?;
        let mut out: Vec<Evidence> = self
            .backend
            .evidence_for_document(doc.id)?
            .into_iter()
            .map(|r| r.into_evidence("product version".into()))
            .collect();
        // Component digests (sha256/384/512) and what each belongs to.
        let mut digests: Vec<(String, String, String)> = Vec::new();
        for (hashes, purl, name) in self.backend.document_hashes(doc.id)? {
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
            for (raw, alg, hex) in self.backend.evidence_for_digests(&keys)? {
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
