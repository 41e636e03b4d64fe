//! DSSE envelopes (Dead Simple Signing Envelope, secure-systems-lab/dsse v1): the JSON
//! envelope, the pre-authentication encoding, and signatures checked against keys with a
//! threshold.

use base64::Engine as _;
use serde_json::Value;

use crate::AttestError;
use crate::keys::PublicKey;

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub keyid: Option<String>,
    pub sig: Vec<u8>,
    /// A certificate carried with the signature (PEM or base64 DER), if any.
    pub cert: Option<Vec<u8>>,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: Vec<Signature>,
}

/// Decodes standard or URL-safe base64, padded or not (the spec allows either).
pub(crate) fn base64_any(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(text).ok())
}

fn string<'a>(v: &'a Value, pointer: &str) -> Result<&'a str, AttestError> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| AttestError::at(pointer, "expected a string"))
}

impl Envelope {
    /// Whether a JSON value looks like an envelope (has `payloadType` and `payload`).
    pub fn is_envelope(v: &Value) -> bool {
        v.get("payloadType").is_some() && v.get("payload").is_some()
    }

    /// Reads an envelope from its JSON value.
    pub fn from_value(v: &Value) -> Result<Envelope, AttestError> {
        let payload_type = string(v, "/payloadType")?.to_owned();
        let payload = base64_any(string(v, "/payload")?)
            .ok_or_else(|| AttestError::at("/payload", "expected base64"))?;
        let list = v
            .get("signatures")
            .and_then(Value::as_array)
            .ok_or_else(|| AttestError::at("/signatures", "expected an array of signatures"))?;
        let mut signatures = Vec::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            let at = format!("/signatures/{i}");
            let sig = base64_any(string(s, "/sig").map_err(|_| {
                AttestError::at(&format!("{at}/sig"), "expected a base64 signature")
            })?)
            .ok_or_else(|| AttestError::at(&format!("{at}/sig"), "expected base64"))?;
            let keyid = s
                .get("keyid")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .map(str::to_owned);
            let cert = s
                .get("cert")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(|c| c.as_bytes().to_vec());
            signatures.push(Signature { keyid, sig, cert });
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// The bytes each signature signs: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// The keys (distinct, by id) whose signature verifies, at most one signature each;
    /// a signature is tried first with the key its `keyid` names, then with the others.
    pub fn verified_by<'k>(&self, keys: &'k [PublicKey]) -> Vec<&'k PublicKey> {
        let message = self.pae();
        let mut out: Vec<&PublicKey> = Vec::new();
        for s in &self.signatures {
            let named = keys
                .iter()
                .filter(|k| s.keyid.as_deref() == Some(k.id.as_str()));
            let others = keys
                .iter()
                .filter(|k| s.keyid.as_deref() != Some(k.id.as_str()));
            if let Some(k) = named
                .chain(others)
                .filter(|k| !out.iter().any(|o| o.id == k.id))
                .find(|k| k.verifies(&message, &s.sig))
            {
                out.push(k);
            }
        }
        out
    }
}

/// DSSE's pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_the_specs_test_vector() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }
}
