//! Attestations for chainwatch, verified offline: DSSE envelopes (`dsse`), in-toto
//! statements and classic links/layouts (`intoto`), SLSA provenance (`slsa`), Sigstore
//! bundles (`bundle`, through the sigstore project's verifier), public keys (`keys`).
//!
//! [`verify`] reads a document (one JSON value, or JSON lines as `.intoto.jsonl` files
//! hold them), verifies each attestation in it against a [`Policy`] and reports every
//! check it made, passed or failed, with the reason; [`Verification::verified`] is true
//! when all passed. Bad input is an [`AttestError`] (with a JSON pointer or a line and
//! column); a signature that does not verify is a failed check, not an error. Nothing a
//! document names is ever fetched.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod bundle;
pub mod dsse;
pub mod intoto;
pub mod keys;
pub mod slsa;

use serde::Serialize;
use serde_json::Value;

pub use dsse::Envelope;
pub use intoto::{Metadata, Statement, Subject};
pub use keys::{KeyKind, PublicKey};
pub use slsa::Provenance;

/// Why a document, key or trust root could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("at `{pointer}`: {message}")]
    Invalid { pointer: String, message: String },
    #[error("line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Key(String),
    #[error("{0}")]
    Certificate(String),
    #[error("trusted root: {0}")]
    TrustedRoot(String),
    #[error("{0}")]
    Unsupported(String),
}

impl AttestError {
    pub(crate) fn at(pointer: &str, message: &str) -> AttestError {
        AttestError::Invalid {
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer.into()
            },
            message: message.into(),
        }
    }
}

/// How an identity or issuer must look: exactly this, or matching a regular expression
/// (anchored: the whole value must match).
#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    Regex(regex::Regex),
}

impl Matcher {
    /// A regular expression matcher; the pattern is anchored at both ends.
    pub fn regex(pattern: &str) -> Result<Matcher, AttestError> {
        regex::Regex::new(&format!("^(?:{pattern})$"))
            .map(Matcher::Regex)
            .map_err(|e| AttestError::Unsupported(format!("regular expression `{pattern}`: {e}")))
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regex(r) => r.is_match(value),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Matcher::Exact(s) => f.write_str(s),
            Matcher::Regex(r) => write!(f, "/{}/", r.as_str()),
        }
    }
}

/// The artifact an attestation must be about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// `sha256`, `sha384` or `sha512`.
    pub algorithm: String,
    /// The digest in lower-case hex.
    pub hex: String,
    /// The bytes, when the artifact itself was given (message signatures need them).
    pub bytes: Option<Vec<u8>>,
}

impl Artifact {
    /// The artifact's bytes, digested with SHA-256.
    pub fn from_bytes(bytes: Vec<u8>) -> Artifact {
        Artifact {
            algorithm: "sha256".into(),
            hex: keys::hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes).as_ref()),
            bytes: Some(bytes),
        }
    }

    /// `sha256:HEX` (or `sha384:`, `sha512:`).
    pub fn from_digest(text: &str) -> Result<Artifact, AttestError> {
        let (alg, hex) = text.split_once(':').ok_or_else(|| {
            AttestError::Unsupported(format!("digest `{text}`: expected `sha256:HEX`"))
        })?;
        let alg = alg.to_ascii_lowercase().replace('-', "");
        let len = match alg.as_str() {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            _ => {
                return Err(AttestError::Unsupported(format!(
                    "digest algorithm `{alg}`: expected sha256, sha384 or sha512"
                )));
            }
        };
        if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AttestError::Unsupported(format!(
                "digest `{text}`: expected {len} hex digits"
            )));
        }
        Ok(Artifact {
            algorithm: alg,
            hex: hex.to_ascii_lowercase(),
            bytes: None,
        })
    }
}

/// What an attestation must satisfy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Keys allowed to sign (DSSE envelopes, in-toto metadata, managed-key bundles).
    pub keys: Vec<PublicKey>,
    /// How many distinct keys must have signed (at least 1).
    pub threshold: usize,
    /// A Sigstore `trusted_root.json`; `None` is the public-good instance's root built
    /// into the binary.
    pub trusted_root: Option<String>,
    pub identity: Option<Matcher>,
    pub issuer: Option<Matcher>,
    /// Builder ids allowed (globs); empty: any.
    pub builders: Vec<String>,
    /// The source repository the build must come from.
    pub source: Option<String>,
    pub artifact: Option<Artifact>,
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Who signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// The outcome of verifying one attestation.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// `dsse`, `sigstore-bundle`, `in-toto-link`, `in-toto-layout` or `statement`.
    pub format: &'static str,
    pub verified: bool,
    pub checks: Vec<Check>,
    pub signers: Vec<Signer>,
    /// When the signature was made, as a transparency log or timestamp proved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<String>,
    /// What the trust came from: key ids or the trusted root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_root: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Statement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// The attestation itself (one line of a JSON-lines file), as read.
    #[serde(skip)]
    pub document: Value,
}

impl Verification {
    fn new(format: &'static str) -> Verification {
        Verification {
            document: Value::Null,
            format,
            verified: false,
            checks: Vec::new(),
            signers: Vec::new(),
            signed_at: None,
            trust_root: None,
            statement: None,
            provenance: None,
            metadata: None,
        }
    }

    pub(crate) fn check(&mut self, check: &'static str, ok: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            check,
            ok,
            detail: detail.into(),
        });
    }

    fn finish(mut self) -> Verification {
        self.verified = !self.checks.is_empty() && self.checks.iter().all(|c| c.ok);
        self
    }

    /// The first failed check.
    pub fn failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| !c.ok)
    }
}

/// Parses a document: one JSON value, or one per line.
pub fn parse_document(bytes: &[u8]) -> Result<Vec<Value>, AttestError> {
    let json_error = |e: &serde_json::Error, line_offset: usize| AttestError::Json {
        line: e.line() + line_offset,
        column: e.column(),
        message: e.to_string(),
    };
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Ok(vec![v]),
        Err(whole) => {
            let text = std::str::from_utf8(bytes).map_err(|_| json_error(&whole, 0))?;
            let lines: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .collect();
            // JSON lines only when the first line is a whole value; otherwise the
            // document is one broken value and its error says where.
            if lines.len() < 2 || serde_json::from_str::<Value>(lines[0].1).is_err() {
                return Err(json_error(&whole, 0));
            }
            lines
                .into_iter()
                .map(|(i, l)| serde_json::from_str(l).map_err(|e| json_error(&e, i)))
                .collect()
        }
    }
}

/// The in-toto statements of a document, unverified: bare statements, DSSE envelopes and
/// Sigstore bundles of them, one per line in JSON lines. Other attestations (signatures
/// over artifacts, in-toto links) have none.
pub fn statements(document: &[u8]) -> Result<Vec<Statement>, AttestError> {
    let mut out = Vec::new();
    for v in parse_document(document)? {
        let envelope = if Envelope::is_envelope(&v) {
            Some(Envelope::from_value(&v)?)
        } else if let Some(e) = v.get("dsseEnvelope") {
            Some(Envelope::from_value(e)?)
        } else {
            None
        };
        let value = match envelope {
            Some(e) if e.payload_type == intoto::PAYLOAD_TYPE => serde_json::from_slice(&e.payload)
                .map_err(|err| AttestError::at("/payload", &format!("not JSON: {err}")))?,
            Some(_) => continue,
            None => v,
        };
        if Statement::is_statement(&value) {
            out.push(Statement::from_value(&value)?);
        }
    }
    Ok(out)
}

/// Verifies every attestation of a document.
pub fn verify(document: &[u8], policy: &Policy) -> Result<Vec<Verification>, AttestError> {
    let mut out = Vec::new();
    for v in parse_document(document)? {
        // npm's attestations document: `{"attestations": [{"predicateType", "bundle"}]}`.
        if let Some(list) = v.get("attestations").and_then(Value::as_array) {
            for (i, a) in list.iter().enumerate() {
                let bundle = a.get("bundle").ok_or_else(|| {
                    AttestError::at(
                        &format!("/attestations/{i}/bundle"),
                        "expected a Sigstore bundle",
                    )
                })?;
                out.push(verify_value(bundle, policy)?);
            }
            continue;
        }
        out.push(verify_value(&v, policy)?);
    }
    Ok(out)
}

/// Verifies one attestation (a parsed JSON value).
pub fn verify_value(v: &Value, policy: &Policy) -> Result<Verification, AttestError> {
    let mut out = verify_one(v, policy)?;
    out.document = v.clone();
    Ok(out)
}

/// Whether a document looks like an attestation rather than an SBOM, from its first
/// bytes: a Sigstore bundle, a DSSE envelope, in-toto metadata or statement, npm's
/// attestations. Cheap; [`verify`] decides.
pub fn sniff(document: &[u8]) -> bool {
    let head = &document[..document.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start();
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).take(64).collect();
    t.starts_with('{')
        && !text.contains("\"bomFormat\"")
        && !text.contains("\"spdxVersion\"")
        && (text.contains("\"payloadType\"")
            || text.contains("application/vnd.dev.sigstore.bundle")
            || (text.contains("\"_type\"") && text.contains("\"https://in-toto.io/Statement/"))
            || (compact.starts_with("{\"signed\":") && text.contains("\"signatures\""))
            || compact.starts_with("{\"attestations\":["))
}

fn verify_one(v: &Value, policy: &Policy) -> Result<Verification, AttestError> {
    if v.get("mediaType")
        .and_then(Value::as_str)
        .is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle"))
    {
        return bundle::verify(v, policy);
    }
    if Envelope::is_envelope(v) {
        return Ok(verify_envelope(&Envelope::from_value(v)?, policy));
    }
    if intoto::Metablock::is_metablock(v) {
        return Ok(verify_metablock(&intoto::Metablock::from_value(v)?, policy));
    }
    if Statement::is_statement(v) {
        let mut out = Verification::new("statement");
        out.check(
            "signature",
            false,
            "the statement is not signed: verify its DSSE envelope or Sigstore bundle",
        );
        let statement = Statement::from_value(v)?;
        statement_checks(&mut out, statement, policy);
        return Ok(out.finish());
    }
    Err(AttestError::at(
        "",
        "expected a DSSE envelope, a Sigstore bundle, in-toto link or layout metadata, or an in-toto statement",
    ))
}

fn threshold(policy: &Policy) -> usize {
    policy.threshold.max(1)
}

fn short(id: &str) -> &str {
    id.get(..16).unwrap_or(id)
}

fn signature_check(
    out: &mut Verification,
    verified: &[&PublicKey],
    signatures: usize,
    policy: &Policy,
) {
    let need = threshold(policy);
    let ids: Vec<&str> = verified.iter().map(|k| short(&k.id)).collect();
    let ok = verified.len() >= need;
    let detail = if verified.is_empty() {
        format!(
            "none of the {signatures} signature(s) verifies with the {} key(s) given",
            policy.keys.len()
        )
    } else {
        format!(
            "{} distinct key(s) verified ({}), threshold {need}",
            verified.len(),
            ids.join(", ")
        )
    };
    out.check("signature", ok, detail);
    out.signers = signers_of(verified);
    out.trust_root = Some(format!("keys {}", ids.join(", ")));
}

/// The signers whose keys verified.
fn signers_of(keys: &[&PublicKey]) -> Vec<Signer> {
    keys.iter()
        .map(|k| Signer {
            key: Some(k.id.clone()),
            identity: k.certificate_identities.first().cloned(),
            issuer: None,
        })
        .collect()
}

fn verify_envelope(env: &Envelope, policy: &Policy) -> Verification {
    let mut out = Verification::new("dsse");
    if env.signatures.is_empty() {
        out.check("signature", false, "the envelope has no signatures");
    } else if !policy.keys.is_empty() {
        let verified = env.verified_by(&policy.keys);
        signature_check(&mut out, &verified, env.signatures.len(), policy);
    } else if let Some(cert) = env.signatures.iter().find_map(|s| s.cert.as_deref()) {
        // Keyless signing: the envelope carries a Fulcio certificate, but not the
        // transparency-log entry that proves when it signed.
        let keys = cert_keys(cert);
        match keys {
            Ok(keys) => {
                let verified = env.verified_by(&keys);
                out.check(
                    "signature",
                    !verified.is_empty(),
                    if verified.is_empty() {
                        "the signature does not verify with the envelope's certificate".to_owned()
                    } else {
                        "verified with the envelope's own certificate".to_owned()
                    },
                );
                out.signers = signers_of(&verified);
            }
            Err(e) => out.check("certificate", false, e.to_string()),
        }
        out.check(
            "certificate",
            false,
            "a keyless DSSE envelope carries no transparency-log entry, so its certificate cannot be checked against the trusted root offline: verify the Sigstore bundle of the attestation, or give `--key`",
        );
    } else {
        out.check(
            "signature",
            false,
            "no key to verify with: give the signer's public key (`--key`)",
        );
    }
    payload_checks(&mut out, env, policy);
    out.finish()
}

fn cert_keys(cert: &[u8]) -> Result<Vec<PublicKey>, AttestError> {
    if cert.starts_with(b"-----") {
        PublicKey::from_pem(cert)
    } else {
        let der = std::str::from_utf8(cert)
            .ok()
            .and_then(dsse::base64_any)
            .ok_or_else(|| {
                AttestError::Certificate("certificate: expected PEM or base64".into())
            })?;
        Ok(vec![PublicKey::from_certificate(&der)?])
    }
}

/// The checks on what an envelope says: a statement (artifact, provenance) or in-toto
/// metadata.
pub(crate) fn payload_checks(out: &mut Verification, env: &Envelope, policy: &Policy) {
    if env.payload_type != intoto::PAYLOAD_TYPE {
        if policy.artifact.is_some() || !policy.builders.is_empty() || policy.source.is_some() {
            out.check(
                "payload",
                false,
                format!(
                    "payload type `{}` is not an in-toto statement (`{}`)",
                    env.payload_type,
                    intoto::PAYLOAD_TYPE
                ),
            );
        }
        return;
    }
    let value: Value = match serde_json::from_slice(&env.payload) {
        Ok(v) => v,
        Err(e) => {
            out.check("payload", false, format!("the payload is not JSON: {e}"));
            return;
        }
    };
    if Statement::is_statement(&value) {
        match Statement::from_value(&value) {
            Ok(s) => statement_checks(out, s, policy),
            Err(e) => out.check("payload", false, format!("not an in-toto statement: {e}")),
        }
    } else {
        match Metadata::from_signed(&value, "") {
            Ok(m) => {
                out.format = "dsse";
                metadata_checks(out, &m, policy);
                out.metadata = Some(m);
            }
            Err(e) => out.check("payload", false, format!("not an in-toto statement: {e}")),
        }
    }
}

fn statement_checks(out: &mut Verification, statement: Statement, policy: &Policy) {
    if let Some(a) = &policy.artifact {
        let found = statement.subjects_with(&a.algorithm, &a.hex);
        out.check(
            "artifact",
            !found.is_empty(),
            match found.first() {
                Some(s) => format!("subject `{}` has {}:{}", s.name, a.algorithm, a.hex),
                None => format!(
                    "no subject of the statement has {}:{} ({} subject(s))",
                    a.algorithm,
                    a.hex,
                    statement.subjects.len()
                ),
            },
        );
    }
    let provenance = Provenance::of(&statement);
    if !policy.builders.is_empty() || policy.source.is_some() {
        match &provenance {
            None => out.check(
                "provenance",
                false,
                format!(
                    "predicate `{}` is not SLSA provenance",
                    statement.predicate_type
                ),
            ),
            Some(p) => provenance_checks(out, p, policy),
        }
    }
    out.statement = Some(statement);
    out.provenance = provenance;
}

pub(crate) fn provenance_checks(out: &mut Verification, p: &Provenance, policy: &Policy) {
    if !policy.builders.is_empty() {
        let ok = p
            .builder_id
            .as_deref()
            .is_some_and(|id| policy.builders.iter().any(|g| slsa::glob_matches(g, id)));
        out.check(
            "builder",
            ok,
            match &p.builder_id {
                Some(id) if ok => format!("builder `{id}` is allowed"),
                Some(id) => format!(
                    "builder `{id}` is not one of the allowed ({})",
                    policy.builders.join(", ")
                ),
                None => "the provenance names no builder".to_owned(),
            },
        );
    }
    if let Some(expected) = &policy.source {
        let want = slsa::normalize_repository(expected);
        let ok = p
            .source
            .as_deref()
            .is_some_and(|s| slsa::normalize_repository(s) == want);
        out.check(
            "source",
            ok,
            match &p.source {
                Some(s) if ok => format!(
                    "built from `{s}`{}",
                    p.revision
                        .as_deref()
                        .map(|r| format!(" at {r}"))
                        .unwrap_or_default()
                ),
                Some(s) => format!("built from `{s}`, not `{expected}`"),
                None => "the provenance names no source repository".to_owned(),
            },
        );
    }
}

fn metadata_checks(out: &mut Verification, m: &Metadata, policy: &Policy) {
    if let Some(a) = &policy.artifact {
        let found = m.artifacts_with(&a.algorithm, &a.hex);
        out.check(
            "artifact",
            !found.is_empty(),
            match found.first() {
                Some((role, path)) => format!("{role} `{path}` has {}:{}", a.algorithm, a.hex),
                None => format!("no material or product has {}:{}", a.algorithm, a.hex),
            },
        );
    }
    if let Some(expires) = &m.expires {
        match jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%SZ", expires)
            .or_else(|_| expires.parse::<jiff::Timestamp>())
        {
            Ok(t) => {
                let ok = t > jiff::Timestamp::now();
                out.check(
                    "expiry",
                    ok,
                    if ok {
                        format!("the layout expires {expires}")
                    } else {
                        format!("the layout expired {expires}")
                    },
                );
            }
            Err(_) => out.check(
                "expiry",
                false,
                format!("`expires` is not a time: `{expires}`"),
            ),
        }
    }
}

fn verify_metablock(block: &intoto::Metablock, policy: &Policy) -> Verification {
    let mut out = Verification::new(match block.metadata.kind {
        intoto::MetadataKind::Link => "in-toto-link",
        intoto::MetadataKind::Layout => "in-toto-layout",
    });
    if policy.keys.is_empty() {
        out.check(
            "signature",
            false,
            "no key to verify with: give the signer's public key (`--key`)",
        );
    } else {
        let verified = block.verified_by(&policy.keys);
        signature_check(&mut out, &verified, block.signature_count(), policy);
    }
    metadata_checks(&mut out, &block.metadata, policy);
    out.metadata = Some(block.metadata.clone());
    out.finish()
}
