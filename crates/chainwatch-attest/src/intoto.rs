//! in-toto: attestation Statements (v0.1 and v1: subjects with digests, a predicate of
//! some type) and the classic signed metadata of in-toto 0.9 (links and layouts in a
//! `{"signed", "signatures"}` metablock, signed over canonical JSON).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::AttestError;
use crate::keys::{PublicKey, unhex};

pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Digests by algorithm (`sha256`, `sha512`, `gitCommit`, …), values in lower case.
pub type Digests = BTreeMap<String, String>;

/// One subject of a statement: an artifact by name and digests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subject {
    pub name: String,
    pub digest: Digests,
}

/// An in-toto Statement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Statement {
    /// `https://in-toto.io/Statement/v0.1` or `…/v1`.
    #[serde(rename = "type")]
    pub statement_type: String,
    pub predicate_type: String,
    pub subjects: Vec<Subject>,
    #[serde(skip)]
    pub predicate: Value,
}

fn digests(v: &Value, at: &str) -> Result<Digests, AttestError> {
    let map = v
        .as_object()
        .ok_or_else(|| AttestError::at(at, "expected an object of digests"))?;
    map.iter()
        .map(|(alg, hex)| {
            hex.as_str()
                .map(|h| (alg.clone(), h.to_ascii_lowercase()))
                .ok_or_else(|| AttestError::at(&format!("{at}/{alg}"), "expected a string"))
        })
        .collect()
}

/// `_type` (or GUAC's `type`).
fn statement_type(v: &Value) -> Option<&str> {
    v.get("_type")
        .or_else(|| v.get("type"))
        .and_then(Value::as_str)
}

impl Statement {
    /// Whether a JSON value is a Statement (by `_type`).
    pub fn is_statement(v: &Value) -> bool {
        matches!(statement_type(v), Some(STATEMENT_V01 | STATEMENT_V1))
    }

    pub fn from_value(v: &Value) -> Result<Statement, AttestError> {
        let statement_type = statement_type(v)
            .filter(|t| *t == STATEMENT_V01 || *t == STATEMENT_V1)
            .ok_or_else(|| {
                AttestError::at(
                    "/_type",
                    &format!("expected `{STATEMENT_V01}` or `{STATEMENT_V1}`"),
                )
            })?
            .to_owned();
        let predicate_type = v
            .get("predicateType")
            .or_else(|| v.get("predicate_type"))
            .and_then(Value::as_str)
            .ok_or_else(|| AttestError::at("/predicateType", "expected a string"))?
            .to_owned();
        let list = v
            .get("subject")
            .and_then(Value::as_array)
            .ok_or_else(|| AttestError::at("/subject", "expected an array of subjects"))?;
        let mut subjects = Vec::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            // v1 resource descriptors may name a subject by `uri` alone.
            subjects.push(Subject {
                name: s
                    .get("name")
                    .or_else(|| s.get("uri"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                digest: match s.get("digest") {
                    None | Some(Value::Null) => Digests::new(),
                    Some(d) => digests(d, &format!("/subject/{i}/digest"))?,
                },
            });
        }
        Ok(Statement {
            statement_type,
            predicate_type,
            subjects,
            predicate: v.get("predicate").cloned().unwrap_or(Value::Null),
        })
    }

    /// The subjects with this digest (`alg` as in-toto spells it: `sha256`).
    pub fn subjects_with(&self, alg: &str, hex: &str) -> Vec<&Subject> {
        let hex = hex.to_ascii_lowercase();
        self.subjects
            .iter()
            .filter(|s| s.digest.get(alg) == Some(&hex))
            .collect()
    }
}

/// The kind of classic in-toto metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetadataKind {
    Link,
    Layout,
}

/// A step of a layout: who may sign its link, how many must.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub name: String,
    pub pubkeys: Vec<String>,
    pub threshold: u64,
    pub expected_command: Vec<String>,
}

/// A link or layout (in-toto 0.9), signed or from a DSSE envelope.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Metadata {
    pub kind: MetadataKind,
    /// The step a link records.
    pub name: Option<String>,
    pub command: Vec<String>,
    pub materials: BTreeMap<String, Digests>,
    pub products: BTreeMap<String, Digests>,
    /// A layout's steps and expiry.
    pub steps: Vec<Step>,
    pub expires: Option<String>,
}

impl Metadata {
    pub fn from_signed(v: &Value, at: &str) -> Result<Metadata, AttestError> {
        let kind = match v.get("_type").and_then(Value::as_str) {
            Some("link") => MetadataKind::Link,
            Some("layout") => MetadataKind::Layout,
            _ => {
                return Err(AttestError::at(
                    &format!("{at}/_type"),
                    "expected `link` or `layout`",
                ));
            }
        };
        let artifacts = |key: &str| -> Result<BTreeMap<String, Digests>, AttestError> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(BTreeMap::new()),
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(path, d)| Ok((path.clone(), digests(d, &format!("{at}/{key}/{path}"))?)))
                    .collect(),
                Some(_) => Err(AttestError::at(
                    &format!("{at}/{key}"),
                    "expected an object of artifacts",
                )),
            }
        };
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let steps = v
            .get("steps")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|s| Step {
                        name: s
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        pubkeys: strings(s.get("pubkeys")),
                        threshold: s.get("threshold").and_then(Value::as_u64).unwrap_or(1),
                        expected_command: strings(s.get("expected_command")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Metadata {
            kind,
            name: v.get("name").and_then(Value::as_str).map(str::to_owned),
            command: strings(v.get("command")),
            materials: artifacts("materials")?,
            products: artifacts("products")?,
            steps,
            expires: v.get("expires").and_then(Value::as_str).map(str::to_owned),
        })
    }

    /// The materials and products (`material`/`product`, path) with this digest.
    pub fn artifacts_with(&self, alg: &str, hex: &str) -> Vec<(&'static str, &str)> {
        let hex = hex.to_ascii_lowercase();
        let mut out = Vec::new();
        for (role, map) in [("material", &self.materials), ("product", &self.products)] {
            for (path, d) in map {
                if d.get(alg) == Some(&hex) {
                    out.push((role, path.as_str()));
                }
            }
        }
        out
    }
}

/// The keys an in-toto layout declares (a metablock, or a DSSE envelope of one), under
/// their in-toto key ids: what its steps' links are signed with.
pub fn layout_keys(document: &[u8]) -> Result<Vec<PublicKey>, AttestError> {
    let v: Value = serde_json::from_slice(document).map_err(|e| AttestError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let signed = if Metablock::is_metablock(&v) {
        v.get("signed").cloned().unwrap_or(Value::Null)
    } else if crate::Envelope::is_envelope(&v) {
        let env = crate::Envelope::from_value(&v)?;
        serde_json::from_slice(&env.payload)
            .map_err(|e| AttestError::at("/payload", &format!("not JSON: {e}")))?
    } else {
        return Err(AttestError::at("", "expected an in-toto layout"));
    };
    if signed.get("_type").and_then(Value::as_str) != Some("layout") {
        return Err(AttestError::at("/_type", "expected `layout`"));
    }
    PublicKey::from_intoto_keys(signed.get("keys").unwrap_or(&Value::Null))
}

/// A metablock: `{"signed": {...}, "signatures": [{"keyid", "sig" (hex)}]}`.
#[derive(Debug, Clone)]
pub struct Metablock {
    pub metadata: Metadata,
    /// The canonical JSON of `signed`: what the signatures sign.
    canonical: Vec<u8>,
    signatures: Vec<(String, Vec<u8>)>,
    /// A layout's `keys` object.
    keys: Value,
}

impl Metablock {
    pub fn is_metablock(v: &Value) -> bool {
        v.get("signed").is_some_and(Value::is_object) && v.get("signatures").is_some()
    }

    pub fn from_value(v: &Value) -> Result<Metablock, AttestError> {
        let signed = v
            .get("signed")
            .ok_or_else(|| AttestError::at("/signed", "expected an object"))?;
        let metadata = Metadata::from_signed(signed, "/signed")?;
        let mut canonical = Vec::new();
        canonical_json(signed, &mut canonical, "/signed")?;
        let list = v
            .get("signatures")
            .and_then(Value::as_array)
            .ok_or_else(|| AttestError::at("/signatures", "expected an array"))?;
        let mut signatures = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let at = format!("/signatures/{i}/sig");
            let sig = s
                .get("sig")
                .and_then(Value::as_str)
                .and_then(unhex)
                .ok_or_else(|| AttestError::at(&at, "expected a hex signature"))?;
            let keyid = s
                .get("keyid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            signatures.push((keyid, sig));
        }
        Ok(Metablock {
            metadata,
            canonical,
            signatures,
            keys: signed.get("keys").cloned().unwrap_or(Value::Null),
        })
    }

    /// The keys (distinct) whose signature over the canonical `signed` verifies.
    pub fn verified_by<'k>(&self, keys: &'k [PublicKey]) -> Vec<&'k PublicKey> {
        let mut out: Vec<&PublicKey> = Vec::new();
        for (keyid, sig) in &self.signatures {
            let named = keys.iter().filter(|k| k.id == *keyid);
            let others = keys.iter().filter(|k| k.id != *keyid);
            if let Some(k) = named
                .chain(others)
                .filter(|k| !out.iter().any(|o| o.id == k.id))
                .find(|k| k.verifies(&self.canonical, sig))
            {
                out.push(k);
            }
        }
        out
    }

    /// The keys a layout declares for its steps (under their in-toto key ids).
    pub fn layout_keys(&self) -> Result<Vec<PublicKey>, AttestError> {
        PublicKey::from_intoto_keys(&self.keys)
    }

    pub fn signature_count(&self) -> usize {
        self.signatures.len()
    }
}

/// Canonical JSON as securesystemslib writes it (what in-toto 0.9 signs): keys sorted,
/// no whitespace, only `"` and `\` escaped in strings, integers only.
pub fn canonical_json(v: &Value, out: &mut Vec<u8>, at: &str) -> Result<(), AttestError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if n.is_f64() {
                return Err(AttestError::at(
                    at,
                    &format!("canonical JSON allows integers only, not `{n}`"),
                ));
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::String(s) => {
            out.push(b'"');
            for b in s.bytes() {
                if b == b'"' || b == b'\\' {
                    out.push(b'\\');
                }
                out.push(b);
            }
            out.push(b'"');
        }
        Value::Array(a) => {
            out.push(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(item, out, &format!("{at}/{i}"))?;
            }
            out.push(b']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(&Value::String(k.clone()), out, at)?;
                out.push(b':');
                canonical_json(&m[k], out, &format!("{at}/{k}"))?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_and_escapes_minimally() {
        let v: Value =
            serde_json::from_str(r#"{"b": [1, true, null], "a": "x\"y\\z\n", "c": {}}"#).unwrap();
        let mut out = Vec::new();
        canonical_json(&v, &mut out, "").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":\"x\\\"y\\\\z\n\",\"b\":[1,true,null],\"c\":{}}"
        );
        let f: Value = serde_json::from_str("{\"x\": 1.5}").unwrap();
        assert!(canonical_json(&f, &mut Vec::new(), "").is_err());
    }
}
