//! Public keys for signature verification: PEM `PUBLIC KEY` (SPKI) and `CERTIFICATE`
//! blocks, with the algorithm read from the SPKI. Every primitive is aws-lc-rs's.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::spki::SubjectPublicKeyInfoRef;

use crate::AttestError;

/// What kind of key, from the SPKI algorithm identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Ed25519,
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    /// secp256k1 (Bitcoin's curve, used by some in-toto keys).
    EcdsaSecp256k1,
    Rsa,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Ed25519 => "ed25519",
            KeyKind::EcdsaP256 => "ecdsa-p256",
            KeyKind::EcdsaP384 => "ecdsa-p384",
            KeyKind::EcdsaP521 => "ecdsa-p521",
            KeyKind::EcdsaSecp256k1 => "ecdsa-secp256k1",
            KeyKind::Rsa => "rsa",
        }
    }

    /// The schemes a signature by such a key may use, the usual first: ECDSA signatures
    /// DER-encoded or as raw `r‖s` (the DSSE test vector), RSA PKCS#1 v1.5 or PSS.
    fn algorithms(self) -> &'static [&'static dyn VerificationAlgorithm] {
        match self {
            KeyKind::Ed25519 => &[&signature::ED25519],
            KeyKind::EcdsaP256 => &[
                &signature::ECDSA_P256_SHA256_ASN1,
                &signature::ECDSA_P256_SHA256_FIXED,
                &signature::ECDSA_P256_SHA384_ASN1,
            ],
            KeyKind::EcdsaP384 => &[
                &signature::ECDSA_P384_SHA384_ASN1,
                &signature::ECDSA_P384_SHA384_FIXED,
                &signature::ECDSA_P384_SHA256_ASN1,
            ],
            KeyKind::EcdsaP521 => &[
                &signature::ECDSA_P521_SHA512_ASN1,
                &signature::ECDSA_P521_SHA512_FIXED,
            ],
            KeyKind::EcdsaSecp256k1 => &[
                &signature::ECDSA_P256K1_SHA256_ASN1,
                &signature::ECDSA_P256K1_SHA256_FIXED,
            ],
            KeyKind::Rsa => &[
                &signature::RSA_PKCS1_2048_8192_SHA256,
                &signature::RSA_PSS_2048_8192_SHA256,
                &signature::RSA_PKCS1_2048_8192_SHA384,
                &signature::RSA_PSS_2048_8192_SHA384,
                &signature::RSA_PKCS1_2048_8192_SHA512,
                &signature::RSA_PSS_2048_8192_SHA512,
            ],
        }
    }
}

const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
const OID_SECP256K1: &str = "1.3.132.0.10";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_ED25519: &str = "1.3.101.112";

/// A public key: its SPKI, the key bytes aws-lc-rs verifies with, and its id (the
/// SHA-256 of the SPKI, hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kind: KeyKind,
    pub id: String,
    spki: Vec<u8>,
    raw: Vec<u8>,
    /// The certificate the key came from, if any: its subject alternative names.
    pub certificate_identities: Vec<String>,
}

impl PublicKey {
    /// A key from a DER `SubjectPublicKeyInfo`.
    pub fn from_spki(der: &[u8]) -> Result<PublicKey, AttestError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| AttestError::Key(format!("not a SubjectPublicKeyInfo: {e}")))?;
        let oid = spki.algorithm.oid.to_string();
        let kind = match oid.as_str() {
            OID_ED25519 => KeyKind::Ed25519,
            OID_RSA => KeyKind::Rsa,
            OID_EC => match spki.algorithm.parameters_oid().map(|o| o.to_string()) {
                Ok(c) if c == OID_P256 => KeyKind::EcdsaP256,
                Ok(c) if c == OID_P384 => KeyKind::EcdsaP384,
                Ok(c) if c == OID_P521 => KeyKind::EcdsaP521,
                Ok(c) if c == OID_SECP256K1 => KeyKind::EcdsaSecp256k1,
                Ok(c) => {
                    return Err(AttestError::Key(format!(
                        "unsupported elliptic curve `{c}`: expected P-256, P-384, P-521 or secp256k1"
                    )));
                }
                Err(_) => return Err(AttestError::Key("EC key without a named curve".into())),
            },
            other => {
                return Err(AttestError::Key(format!(
                    "unsupported key algorithm `{other}`: expected Ed25519, ECDSA P-256/P-384 or RSA"
                )));
            }
        };
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| AttestError::Key("public key bit string has unused bits".into()))?
            .to_vec();
        Ok(PublicKey {
            kind,
            id: hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref()),
            spki: der.to_vec(),
            raw,
            certificate_identities: Vec::new(),
        })
    }

    /// The key of a DER X.509 certificate, with the certificate's SAN identities.
    pub fn from_certificate(der: &[u8]) -> Result<PublicKey, AttestError> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| AttestError::Certificate(format!("not an X.509 certificate: {e}")))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| AttestError::Certificate(e.to_string()))?;
        let mut key = PublicKey::from_spki(&spki)?;
        key.certificate_identities = subject_alt_names(&cert);
        Ok(key)
    }

    /// Every key in a PEM text: `PUBLIC KEY` and `CERTIFICATE` blocks.
    pub fn from_pem(text: &[u8]) -> Result<Vec<PublicKey>, AttestError> {
        let blocks =
            pem::parse_many(text).map_err(|e| AttestError::Key(format!("not PEM: {e}")))?;
        if blocks.is_empty() {
            return Err(AttestError::Key(
                "no PEM block: expected `PUBLIC KEY` or `CERTIFICATE`".into(),
            ));
        }
        blocks
            .iter()
            .map(|b| match b.tag() {
                "PUBLIC KEY" => PublicKey::from_spki(b.contents()),
                "CERTIFICATE" => PublicKey::from_certificate(b.contents()),
                other => Err(AttestError::Key(format!(
                    "PEM block `{other}`: expected `PUBLIC KEY` (SPKI) or `CERTIFICATE`"
                ))),
            })
            .collect()
    }

    /// The keys of an in-toto layout's `keys` object (`keyid` → `{keytype, scheme,
    /// keyval: {public}}`), each under its in-toto key id: PEM public keys, and Ed25519
    /// keys as 64 hex digits.
    pub fn from_intoto_keys(keys: &serde_json::Value) -> Result<Vec<PublicKey>, AttestError> {
        let Some(map) = keys.as_object() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(map.len());
        for (keyid, k) in map {
            let public = k
                .pointer("/keyval/public")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| {
                    AttestError::Key(format!("layout key `{keyid}` has no public key"))
                })?;
            let mut key = if public.trim_start().starts_with("-----") {
                PublicKey::from_pem(public.as_bytes())?
                    .into_iter()
                    .next()
                    .ok_or_else(|| AttestError::Key(format!("layout key `{keyid}`: no key")))?
            } else {
                let raw = unhex(public.trim())
                    .filter(|r| r.len() == 32)
                    .ok_or_else(|| {
                        AttestError::Key(format!(
                            "layout key `{keyid}`: expected PEM or a hex Ed25519 key"
                        ))
                    })?;
                // SubjectPublicKeyInfo for Ed25519 (RFC 8410).
                let mut spki = vec![
                    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
                ];
                spki.extend(raw);
                PublicKey::from_spki(&spki)?
            };
            keyid.clone_into(&mut key.id);
            out.push(key);
        }
        Ok(out)
    }

    pub fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// Whether `signature` is this key's over `message`, under any scheme the key type
    /// is used with.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.kind.algorithms().iter().any(|alg| {
            UnparsedPublicKey::new(*alg, &self.raw)
                .verify(message, signature)
                .is_ok()
        })
    }
}

/// The URI and email subject alternative names of a certificate.
fn subject_alt_names(cert: &x509_cert::Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let Ok(Some((_, san))) = cert.tbs_certificate.get::<SubjectAltName>() else {
        return Vec::new();
    };
    san.0
        .iter()
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            GeneralName::Rfc822Name(e) => Some(e.to_string()),
            _ => None,
        })
        .collect()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Hex (either case) to bytes.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
