//! Keys generated in the test (no private key is committed): every key type signs a DSSE
//! envelope that verifies; a flipped bit in the payload or the signature, a wrong key or
//! too few signers do not.

#![allow(clippy::unwrap_used, reason = "test code")]

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chainwatch_attest::{Artifact, Policy, PublicKey, dsse, verify};

type Sign = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// A signer: its public key as PEM and a signing function.
struct Signer {
    name: &'static str,
    pem: String,
    sign: Sign,
}

fn pem(spki: &[u8]) -> String {
    pem::encode(&pem::Pem::new("PUBLIC KEY", spki.to_vec()))
}

fn signers() -> Vec<Signer> {
    let rng = SystemRandom::new();
    let mut out = Vec::new();
    let ed = Ed25519KeyPair::generate().unwrap();
    out.push(Signer {
        name: "ed25519",
        pem: pem(ed.public_key().as_der().unwrap().as_ref()),
        sign: Box::new(move |m| ed.sign(m).as_ref().to_vec()),
    });
    for (name, alg) in [
        ("p256", &signature::ECDSA_P256_SHA256_ASN1_SIGNING),
        ("p256-fixed", &signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        ("p384", &signature::ECDSA_P384_SHA384_ASN1_SIGNING),
    ] {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let kp = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap();
        let rng = SystemRandom::new();
        out.push(Signer {
            name,
            pem: pem(kp.public_key().as_der().unwrap().as_ref()),
            sign: Box::new(move |m| kp.sign(&rng, m).unwrap().as_ref().to_vec()),
        });
    }
    let rsa = std::sync::Arc::new(RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap());
    for (name, padding) in [
        ("rsa-pkcs1", &signature::RSA_PKCS1_SHA256),
        ("rsa-pss", &signature::RSA_PSS_SHA256),
    ] {
        let kp = rsa.clone();
        let rng = SystemRandom::new();
        out.push(Signer {
            name,
            pem: pem(kp.public_key().as_der().unwrap().as_ref()),
            sign: Box::new(move |m| {
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(padding, &rng, m, &mut sig).unwrap();
                sig
            }),
        });
    }
    out
}

const STATEMENT: &str = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.com/build","resolvedDependencies":[{"uri":"git+https://github.com/acme/app@refs/heads/main","digest":{"gitCommit":"0123456789abcdef0123456789abcdef01234567"}}]},"runDetails":{"builder":{"id":"https://ci.example.com/builder@v1"}}}}"#;

fn envelope(payload: &[u8], sigs: &[Vec<u8>]) -> Vec<u8> {
    let sigs: Vec<serde_json::Value> = sigs
        .iter()
        .map(|s| serde_json::json!({"keyid": "", "sig": STANDARD.encode(s)}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": STANDARD.encode(payload),
        "signatures": sigs,
    }))
    .unwrap()
}

fn policy(keys: Vec<PublicKey>, threshold: usize) -> Policy {
    Policy {
        keys,
        threshold,
        builders: vec!["https://ci.example.com/*".into()],
        source: Some("github.com/acme/app".into()),
        artifact: Some(Artifact::from_bytes(b"hello".to_vec())),
        ..Policy::default()
    }
}

#[test]
fn every_key_type_signs_and_verifies() {
    let pae = dsse::pae("application/vnd.in-toto+json", STATEMENT.as_bytes());
    for s in signers() {
        let key = PublicKey::from_pem(s.pem.as_bytes()).unwrap();
        let sig = (s.sign)(&pae);
        let doc = envelope(STATEMENT.as_bytes(), std::slice::from_ref(&sig));
        let v = &verify(&doc, &policy(key.clone(), 1)).unwrap()[0];
        assert!(v.verified, "{}: {:?}", s.name, v.checks);
        assert_eq!(
            v.provenance.as_ref().unwrap().revision.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        // A flipped bit in the payload.
        let mut payload = STATEMENT.as_bytes().to_vec();
        let i = payload.len() / 2;
        payload[i] ^= 0x01;
        let bad = envelope(&payload, std::slice::from_ref(&sig));
        let v = &verify(&bad, &policy(key.clone(), 1)).unwrap()[0];
        assert_eq!(
            v.failure().map(|c| c.check),
            Some("signature"),
            "{}",
            s.name
        );
        // A flipped bit in the signature.
        for at in [0, sig.len() / 2, sig.len() - 1] {
            let mut sig = sig.clone();
            sig[at] ^= 0x80;
            let v = &verify(
                &envelope(STATEMENT.as_bytes(), &[sig]),
                &policy(key.clone(), 1),
            )
            .unwrap()[0];
            assert!(!v.verified, "{} bit {at}", s.name);
        }
    }
}

#[test]
fn thresholds_count_distinct_keys() {
    let pae = dsse::pae("application/vnd.in-toto+json", STATEMENT.as_bytes());
    let all = signers();
    let (a, b, c) = (&all[0], &all[1], &all[3]);
    let keys: Vec<PublicKey> = [a, b]
        .iter()
        .flat_map(|s| PublicKey::from_pem(s.pem.as_bytes()).unwrap())
        .collect();
    let two = envelope(STATEMENT.as_bytes(), &[(a.sign)(&pae), (b.sign)(&pae)]);
    assert!(verify(&two, &policy(keys.clone(), 2)).unwrap()[0].verified);
    // The same key twice is one signer.
    let twice = envelope(STATEMENT.as_bytes(), &[(a.sign)(&pae), (a.sign)(&pae)]);
    let v = &verify(&twice, &policy(keys.clone(), 2)).unwrap()[0];
    assert!(!v.verified);
    // A key that is not allowed does not count.
    let other = envelope(STATEMENT.as_bytes(), &[(a.sign)(&pae), (c.sign)(&pae)]);
    assert!(!verify(&other, &policy(keys, 2)).unwrap()[0].verified);
}

#[test]
fn wrong_artifact_builder_and_source_fail_with_their_reason() {
    let pae = dsse::pae("application/vnd.in-toto+json", STATEMENT.as_bytes());
    let s = &signers()[0];
    let key = PublicKey::from_pem(s.pem.as_bytes()).unwrap();
    let doc = envelope(STATEMENT.as_bytes(), &[(s.sign)(&pae)]);
    let mut p = policy(key, 1);
    p.artifact = Some(Artifact::from_bytes(b"other".to_vec()));
    p.builders = vec!["https://github.com/*".into()];
    p.source = Some("github.com/acme/other".into());
    let v = &verify(&doc, &p).unwrap()[0];
    let failed: Vec<&str> = v.checks.iter().filter(|c| !c.ok).map(|c| c.check).collect();
    assert_eq!(failed, ["artifact", "builder", "source"]);
}

#[test]
fn unusable_input_is_an_error_with_its_location() {
    let policy = Policy::default();
    let e = verify(
        b"{\"payloadType\": \"x\", \"payload\": 5, \"signatures\": []}",
        &policy,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "at `/payload`: expected a string");
    let e = verify(b"{\n\"a\": ", &policy).unwrap_err();
    assert!(e.to_string().starts_with("line 2, column"), "{e}");
    assert!(
        PublicKey::from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .is_err()
    );
}
