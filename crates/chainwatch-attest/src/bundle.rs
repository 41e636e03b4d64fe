//! Sigstore bundles (media types v0.1, v0.2, v0.3), verified offline against a trusted
//! root by the sigstore project's `sigstore-verify`: the certificate chain to the Fulcio
//! CA at signing time, signed certificate timestamps, the Rekor entry's inclusion proof
//! and checkpoint (or signed entry timestamp), RFC 3161 timestamps, the signature over the
//! artifact or DSSE payload, and the identity. The statement of a DSSE bundle then goes
//! through the same checks as an envelope's (artifact, builder, source).

use serde_json::Value;
use sigstore_verify::trust_root::{SIGSTORE_PRODUCTION_TRUSTED_ROOT, TrustedRoot};
use sigstore_verify::types::{
    Artifact as SigstoreArtifact, ArtifactDigest, Bundle, DerPublicKey, DigestBytes, HashAlgorithm,
};
use sigstore_verify::{Error as SigstoreError, PublicKeyVerificationPolicy, VerificationPolicy};

use crate::keys::unhex;
use crate::{AttestError, Envelope, Policy, Signer, Verification, intoto};

/// Reads a trusted root (`trusted_root.json`).
pub fn trusted_root(json: Option<&str>) -> Result<TrustedRoot, AttestError> {
    TrustedRoot::from_json(json.unwrap_or(SIGSTORE_PRODUCTION_TRUSTED_ROOT))
        .map_err(|e| AttestError::TrustedRoot(e.to_string()))
}

/// The digest to bind the bundle to: the given artifact's, else the first subject's of
/// an attestation.
fn artifact_digest(
    policy: &Policy,
    envelope: Option<&Envelope>,
) -> Result<ArtifactDigest, AttestError> {
    let (alg, hex) = if let Some(a) = &policy.artifact {
        let alg = match a.algorithm.as_str() {
            "sha256" => HashAlgorithm::Sha2256,
            "sha384" => HashAlgorithm::Sha2384,
            _ => HashAlgorithm::Sha2512,
        };
        (alg, a.hex.clone())
    } else {
        let statement = envelope
            .filter(|e| e.payload_type == intoto::PAYLOAD_TYPE)
            .and_then(|e| serde_json::from_slice::<Value>(&e.payload).ok());
        [
            ("sha256", HashAlgorithm::Sha2256),
            ("sha512", HashAlgorithm::Sha2512),
            ("sha384", HashAlgorithm::Sha2384),
        ]
        .into_iter()
        .find_map(|(name, alg)| {
            statement
                .as_ref()?
                .pointer(&format!("/subject/0/digest/{name}"))
                .and_then(Value::as_str)
                .map(|h| (alg, h.to_ascii_lowercase()))
        })
        .ok_or_else(|| {
            AttestError::Unsupported(
                "a signature over an artifact: give the artifact (`--artifact FILE` or `--digest sha256:…`)"
                    .into(),
            )
        })?
    };
    let bytes = unhex(&hex)
        .ok_or_else(|| AttestError::Unsupported(format!("digest `{hex}`: expected hex")))?;
    ArtifactDigest::new(alg, DigestBytes::new(bytes))
        .map_err(|e| AttestError::Unsupported(e.to_string()))
}

/// The check a sigstore-verify error is about.
fn failed_check(e: &SigstoreError) -> &'static str {
    match e {
        SigstoreError::IdentityMismatch { .. } => "identity",
        SigstoreError::IssuerMismatch { .. } => "issuer",
        SigstoreError::SignatureInvalid(_) => "signature",
        SigstoreError::ArtifactMismatch(_) | SigstoreError::UnsupportedArtifact(_) => "artifact",
        SigstoreError::Certificate(_) => "certificate",
        SigstoreError::TransparencyLog(_) => "transparency-log",
        SigstoreError::Timestamp(_) => "timestamp",
        SigstoreError::InvalidTrustRoot(_) => "trusted-root",
        _ => "bundle",
    }
}

/// Verifies a Sigstore bundle (`v`, its JSON value).
pub(crate) fn verify(v: &Value, policy: &Policy) -> Result<Verification, AttestError> {
    let json = v.to_string();
    let root = trusted_root(policy.trusted_root.as_deref())?;
    let mut out = Verification::new("sigstore-bundle");
    // A bundle that does not decode (a signature or entry that is not valid base64, a
    // missing member) cannot be trusted: a failed check, as tampering usually is.
    let bundle = match Bundle::from_json(&json) {
        Ok(b) => b,
        Err(e) => {
            out.check("bundle", false, format!("the bundle does not decode: {e}"));
            return Ok(out.finish());
        }
    };
    out.trust_root = Some(match &policy.trusted_root {
        Some(_) => "the given trusted root".to_owned(),
        None => "the Sigstore public-good trusted root (built in)".to_owned(),
    });
    // The DSSE envelope of an attestation bundle, for its statement.
    let envelope = match v.get("dsseEnvelope") {
        Some(e) => Some(Envelope::from_value(e).map_err(|err| match err {
            AttestError::Invalid { pointer, message } => AttestError::Invalid {
                pointer: format!("/dsseEnvelope{pointer}"),
                message,
            },
            other => other,
        })?),
        None => None,
    };
    // The artifact: the one given, else (attestations only) the statement's first
    // subject, so that everything but the binding to an artifact is verified.
    let digest = artifact_digest(policy, envelope.as_ref())?;
    let artifact: SigstoreArtifact<'_> =
        if let Some(bytes) = policy.artifact.as_ref().and_then(|a| a.bytes.as_deref()) {
            SigstoreArtifact::Blob(bytes)
        } else {
            SigstoreArtifact::Digest(digest)
        };
    if policy.keys.is_empty()
        && let Some(hint) = v
            .pointer("/verificationMaterial/publicKey/hint")
            .and_then(Value::as_str)
    {
        out.check(
            "key",
            false,
            format!("signed with a managed key (hint `{hint}`), not a certificate: give the key with `--key`"),
        );
        if let Some(env) = &envelope {
            crate::payload_checks(&mut out, env, policy);
        }
        return Ok(out.finish());
    }
    let result = if let Some(key) = policy.keys.first() {
        let p = PublicKeyVerificationPolicy::new(DerPublicKey::new(key.spki().to_vec()));
        sigstore_verify::verify(artifact, &bundle, &p, &root)
    } else {
        let mut p = VerificationPolicy::any_identity();
        if let Some(crate::Matcher::Exact(id)) = &policy.identity {
            p = p.require_identity(id.as_str());
        }
        if let Some(crate::Matcher::Exact(iss)) = &policy.issuer {
            p = p.require_issuer(iss.as_str());
        }
        sigstore_verify::verify(artifact, &bundle, &p, &root)
    };
    match result {
        Err(e) => {
            out.check(failed_check(&e), false, e.to_string());
        }
        Ok(r) => {
            out.check(
                "signature",
                true,
                match &envelope {
                    Some(_) => "the DSSE envelope's signature verifies",
                    None => "the signature over the artifact verifies",
                },
            );
            if policy.keys.is_empty() {
                out.check(
                    "certificate",
                    r.certificate_verified(),
                    "chains to the trusted root's Fulcio CA and was valid at signing time",
                );
            } else {
                out.check("key", true, "signed by the given key");
            }
            out.check(
                "transparency-log",
                r.tlog_verified(),
                "inclusion in the Rekor log proven (inclusion proof and checkpoint, or signed entry timestamp)",
            );
            let identity = r.identity().map(ToString::to_string);
            let issuer = r.issuer().map(str::to_owned);
            if let Some(m) = &policy.identity {
                let ok = identity.as_deref().is_some_and(|i| m.matches(i));
                out.check(
                    "identity",
                    ok,
                    format!(
                        "certificate identity `{}`{} {m}",
                        identity.as_deref().unwrap_or("(none)"),
                        if ok { " matches" } else { " does not match" }
                    ),
                );
            }
            if policy.identity.is_none() && policy.keys.is_empty() {
                // Anyone can get a Sigstore certificate: without an expected identity a
                // keyless signature proves nothing. SLSA builders sign as their workflow,
                // so the allowed builders are the expected identities.
                let ok = !policy.builders.is_empty()
                    && identity.as_deref().is_some_and(|i| {
                        policy
                            .builders
                            .iter()
                            .any(|g| crate::slsa::glob_matches(g, i))
                    });
                out.check(
                    "identity",
                    ok,
                    if policy.builders.is_empty() {
                        "no expected signer: give `--identity` or `--identity-regexp` (anyone can obtain a Sigstore certificate)".to_owned()
                    } else {
                        format!(
                            "certificate identity `{}`{} an allowed builder",
                            identity.as_deref().unwrap_or("(none)"),
                            if ok { " is" } else { " is not" }
                        )
                    },
                );
            }
            if let Some(m) = &policy.issuer {
                let ok = issuer.as_deref().is_some_and(|i| m.matches(i));
                out.check(
                    "issuer",
                    ok,
                    format!(
                        "OIDC issuer `{}`{} {m}",
                        issuer.as_deref().unwrap_or("(none)"),
                        if ok { " matches" } else { " does not match" }
                    ),
                );
            }
            out.signed_at = r
                .integrated_time()
                .or_else(|| r.verified_timestamps().first().copied())
                .map(|t| t.to_string());
            out.signers.push(Signer {
                key: policy.keys.first().map(|k| k.id.clone()),
                identity,
                issuer,
            });
        }
    }
    if let Some(env) = &envelope {
        crate::payload_checks(&mut out, env, policy);
    }
    Ok(out.finish())
}
