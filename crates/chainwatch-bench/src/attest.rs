//! The attestation benchmark: DSSE envelopes verified with generated Ed25519, ECDSA P-256
//! and RSA-2048 keys, Sigstore bundles verified offline (the conformance suite's
//! happy-path message signature and slsa-verifier's SLSA provenance bundle), in process;
//! then `chainwatch verify` next to sigstore-python's `sigstore verify identity --offline`
//! on the same bundle, as processes.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chainwatch_attest::{Artifact, Matcher, Policy, PublicKey};

use crate::machine;
use crate::sbom::{best_of_3, chainwatch_binary, secs};

const STATEMENT: &str = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.com/build","resolvedDependencies":[{"uri":"git+https://github.com/acme/app@refs/heads/main","digest":{"gitCommit":"0123456789abcdef0123456789abcdef01234567"}}]},"runDetails":{"builder":{"id":"https://ci.example.com/builder@v1"}}}}"#;
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The mean time of one call over `n` calls, after one warm-up call.
fn mean(n: u32, mut f: impl FnMut() -> bool) -> anyhow::Result<Duration> {
    anyhow::ensure!(f(), "the benchmarked verification failed");
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    Ok(start.elapsed() / n)
}

/// `/usr/bin/time` measures in hundredths of a second.
fn wall(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        "< 10 ms".to_owned()
    } else {
        secs(d)
    }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn envelope(spki: &[u8], sig: &[u8]) -> anyhow::Result<(Vec<u8>, PublicKey)> {
    let doc = serde_json::to_vec(&serde_json::json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": STANDARD.encode(STATEMENT),
        "signatures": [{"keyid": "", "sig": STANDARD.encode(sig)}],
    }))?;
    Ok((
        doc,
        PublicKey::from_spki(spki).map_err(|e| anyhow::anyhow!("{e}"))?,
    ))
}

pub(crate) fn run() -> anyhow::Result<String> {
    let corpus =
        chainwatch_testkit::corpus().context("the attestation benchmark needs the corpus")?;
    let pae = chainwatch_attest::dsse::pae("application/vnd.in-toto+json", STATEMENT.as_bytes());
    let rng = SystemRandom::new();
    let mut envelopes = Vec::new();
    let ed = Ed25519KeyPair::generate().map_err(|e| anyhow::anyhow!("{e}"))?;
    envelopes.push((
        "Ed25519",
        envelope(ed.public_key().as_der()?.as_ref(), ed.sign(&pae).as_ref())?,
    ));
    let alg = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ec = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sig = ec.sign(&rng, &pae).map_err(|e| anyhow::anyhow!("{e}"))?;
    envelopes.push((
        "ECDSA P-256",
        envelope(ec.public_key().as_der()?.as_ref(), sig.as_ref())?,
    ));
    let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut sig = vec![0; rsa.public_modulus_len()];
    rsa.sign(&signature::RSA_PSS_SHA256, &rng, &pae, &mut sig)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    envelopes.push((
        "RSA-2048 PSS",
        envelope(rsa.public_key().as_der()?.as_ref(), &sig)?,
    ));

    let mut body = String::new();
    writeln!(body, "{}\n", machine::describe())?;
    writeln!(
        body,
        "In process, one thread: the mean of 2,000 verifications (DSSE) or 200 (bundles), each reading the document, checking every signature, the statement's subject against the artifact digest and, for provenance, the builder and source.\n"
    )?;
    writeln!(body, "| attestation | checks | per verification | target |")?;
    writeln!(body, "|---|---|---|---|")?;
    for (name, (doc, key)) in &envelopes {
        let policy = Policy {
            keys: vec![key.clone()],
            threshold: 1,
            builders: vec!["https://ci.example.com/*".into()],
            source: Some("github.com/acme/app".into()),
            artifact: Some(Artifact::from_bytes(b"hello".to_vec())),
            ..Policy::default()
        };
        let t = mean(2000, || {
            chainwatch_attest::verify(doc, &policy).is_ok_and(|v| v[0].verified)
        })?;
        writeln!(
            body,
            "| DSSE envelope, {name} | signature, subject, builder, source | {} | ≤ 200 µs |",
            us(t)
        )?;
    }
    let conformance = corpus.join("attestations/sigstore-conformance/test/assets/bundle-verify");
    let trusted_root = std::fs::read_to_string(corpus.join(
        "attestations/sigstore-python/trust-roots/tuf-repo-cdn.sigstore.dev/trusted_root.json",
    ))?;
    let message = std::fs::read(conformance.join("happy-path-v0.3/bundle.sigstore.json"))?;
    let artifact = std::fs::read(conformance.join("a.txt"))?;
    let policy = Policy {
        threshold: 1,
        trusted_root: Some(trusted_root.clone()),
        identity: Some(Matcher::Exact(IDENTITY.into())),
        issuer: Some(Matcher::Exact(ISSUER.into())),
        artifact: Some(Artifact::from_bytes(artifact)),
        ..Policy::default()
    };
    let t = mean(200, || {
        chainwatch_attest::verify(&message, &policy).is_ok_and(|v| v[0].verified)
    })?;
    writeln!(
        body,
        "| Sigstore bundle v0.3, message signature (sigstore-conformance `happy-path-v0.3`) | trusted root read, certificate chain, SCT, Rekor inclusion proof and checkpoint, signature, identity, issuer | {} | ≤ 2 ms |",
        us(t)
    )?;
    let provenance = std::fs::read(corpus.join(
        "attestations/slsa-verifier/cli/slsa-verifier/testdata/gha_go/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl",
    ))?;
    let slsa = Policy {
        threshold: 1,
        builders: vec!["https://github.com/slsa-framework/slsa-github-generator/*".into()],
        source: Some("github.com/slsa-framework/example-package".into()),
        ..Policy::default()
    };
    let t = mean(200, || {
        chainwatch_attest::verify(&provenance, &slsa).is_ok_and(|v| v[0].verified)
    })?;
    writeln!(
        body,
        "| Sigstore bundle v0.3, DSSE SLSA provenance (slsa-verifier `gha_go/v2.1.0`) | the same, over the DSSE payload, with builder and source | {} | ≤ 2 ms |",
        us(t)
    )?;

    // As processes, next to sigstore-python.
    let chainwatch = chainwatch_binary()?;
    let chainwatch = chainwatch.to_str().context("binary path")?;
    let bundle = conformance.join("happy-path-v0.3/bundle.sigstore.json");
    let a_txt = conformance.join("a.txt");
    let root_file = corpus.join(
        "attestations/sigstore-python/trust-roots/tuf-repo-cdn.sigstore.dev/trusted_root.json",
    );
    let (bundle, a_txt, root_file) = (
        bundle.to_str().context("path")?,
        a_txt.to_str().context("path")?,
        root_file.to_str().context("path")?,
    );
    writeln!(
        body,
        "\nThe same message-signature bundle verified by a whole process (best of 3, `/usr/bin/time -v`):\n"
    )?;
    writeln!(body, "| tool | time | peak RSS |")?;
    writeln!(body, "|---|---|---|")?;
    let ours = best_of_3(
        chainwatch,
        &[
            "verify",
            bundle,
            "--artifact",
            a_txt,
            "--trusted-root",
            root_file,
            "--identity",
            IDENTITY,
            "--issuer",
            ISSUER,
        ],
        Duration::from_mins(1),
    )?;
    writeln!(
        body,
        "| `chainwatch verify` | {} | {:.0} MiB |",
        wall(ours.wall),
        ours.rss_mib
    )?;
    match best_of_3(
        "sigstore",
        &[
            "verify",
            "identity",
            "--offline",
            "--bundle",
            bundle,
            "--cert-identity",
            IDENTITY,
            "--cert-oidc-issuer",
            ISSUER,
            a_txt,
        ],
        Duration::from_mins(2),
    ) {
        Ok(m) if m.ok => writeln!(
            body,
            "| sigstore-python 4 (`sigstore verify identity --offline`) | {} | {:.0} MiB |",
            wall(m.wall),
            m.rss_mib
        )?,
        _ => writeln!(
            body,
            "| sigstore-python (`pip install sigstore`) | not installed | |"
        )?,
    }
    Ok(body)
}
