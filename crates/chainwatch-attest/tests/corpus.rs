//! Verification against the corpus's public suites: sigstore-conformance's bundle cases,
//! the DSSE spec's test vector, in-toto-golang's signed links and layouts, slsa-verifier's
//! provenance (valid and tampered), GUAC's statements.

#![allow(clippy::unwrap_used, clippy::print_stderr, reason = "test code")]

use std::path::{Path, PathBuf};

use chainwatch_attest::{Artifact, Matcher, Policy, PublicKey, verify};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn read_trimmed(p: &Path) -> Option<String> {
    std::fs::read_to_string(p).ok().map(|s| s.trim().to_owned())
}

/// Every bundle-verify case: `_fail` cases must not verify, the others must.
#[test]
fn sigstore_conformance_bundles() {
    let Some(root) = chainwatch_testkit::corpus_path(
        "attestations/sigstore-conformance/test/assets/bundle-verify",
    ) else {
        return;
    };
    let public_good = std::fs::read_to_string(root.join(
        "../../../../sigstore-python/trust-roots/tuf-repo-cdn.sigstore.dev/trusted_root.json",
    ))
    .ok();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("bundle.sigstore.json").is_file())
        .collect();
    cases.sort();
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let must_fail = name.ends_with("_fail");
        let artifact = std::fs::read(case.join("artifact"))
            .or_else(|_| std::fs::read(root.join("a.txt")))
            .unwrap();
        let mut policy = Policy {
            threshold: 1,
            trusted_root: std::fs::read_to_string(case.join("trusted_root.json"))
                .ok()
                .or_else(|| public_good.clone()),
            artifact: Some(Artifact::from_bytes(artifact)),
            ..Policy::default()
        };
        if let Ok(pem) = std::fs::read(case.join("key.pub")) {
            // `managed-key-wrong-key_fail`'s key is not even valid base64.
            let Ok(keys) = PublicKey::from_pem(&pem) else {
                if !must_fail {
                    wrong.push(name);
                }
                continue;
            };
            policy.keys = keys;
        } else {
            policy.identity = Some(Matcher::Exact(
                read_trimmed(&case.join("identity")).unwrap_or_else(|| DEFAULT_IDENTITY.into()),
            ));
            policy.issuer = Some(Matcher::Exact(
                read_trimmed(&case.join("issuer")).unwrap_or_else(|| DEFAULT_ISSUER.into()),
            ));
        }
        // `managed-key-no-key_fail` expects a key where none is given: keyless then.
        let bytes = std::fs::read(case.join("bundle.sigstore.json")).unwrap();
        let verified = match verify(&bytes, &policy) {
            Ok(list) => list.iter().all(|v| v.verified),
            Err(_) => false,
        };
        if verified == must_fail {
            wrong.push(name);
        }
    }
    eprintln!(
        "sigstore-conformance: {} of {} cases as expected",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert_eq!(cases.len(), 70);
    assert!(wrong.is_empty(), "unexpected outcomes: {wrong:?}");
}

/// A big-endian byte string from a decimal integer.
fn decimal_to_bytes(d: &str, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for c in d.bytes() {
        let mut carry = u32::from(c - b'0');
        for b in out.iter_mut().rev() {
            let v = u32::from(*b) * 10 + carry;
            *b = (v & 0xff) as u8;
            carry = v >> 8;
        }
    }
    out
}

/// The DSSE spec's test vector: its P-256 key (given as integers) verifies its envelope
/// (a raw `r‖s` signature); a changed payload does not.
#[test]
fn dsse_spec_test_vector() {
    let x = "46950820868899156662930047687818585632848591499744589407958293238635476079160";
    let y = "5640078356564379163099075877009565129882514886557779369047442380624545832820";
    // SubjectPublicKeyInfo for an uncompressed P-256 point.
    let mut spki = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ];
    spki.extend(decimal_to_bytes(x, 32));
    spki.extend(decimal_to_bytes(y, 32));
    let key = PublicKey::from_spki(&spki).unwrap();
    let envelope = br#"{"payload": "aGVsbG8gd29ybGQ=",
 "payloadType": "http://example.com/HelloWorld",
 "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}"#;
    let policy = Policy {
        keys: vec![key],
        threshold: 1,
        ..Policy::default()
    };
    let v = verify(envelope, &policy).unwrap();
    assert!(v[0].verified, "{:?}", v[0].checks);
    let tampered =
        String::from_utf8_lossy(envelope).replace("aGVsbG8gd29ybGQ=", "aGVsbG8gd29ybGU=");
    assert!(!verify(tampered.as_bytes(), &policy).unwrap()[0].verified);
}

fn intoto_keys(dir: &Path) -> Vec<PublicKey> {
    let mut keys = Vec::new();
    for name in [
        "alice.pub",
        "carol.pub",
        "dan.pub",
        "erin.pub",
        "frank.pub",
        "grace.pub",
        "heidi.pub",
        "example.com.write-code.cert.pem",
        "example.com.intermediate.cert.pem",
        "root.cert.pem",
    ] {
        if let Ok(pem) = std::fs::read(dir.join(name)) {
            match PublicKey::from_pem(&pem) {
                Ok(k) => keys.extend(k),
                Err(e) => eprintln!("{name}.pub: {e}"),
            }
        }
    }
    keys
}

/// in-toto-golang's links and layouts verify with the demo's public keys (and not without
/// them); a link's product is found by digest.
#[test]
fn in_toto_links_and_layouts() {
    let Some(dir) = chainwatch_testkit::corpus_path("attestations/in-toto-golang/test/data") else {
        return;
    };
    let mut keys = intoto_keys(&dir);
    assert!(keys.len() >= 6, "{} keys", keys.len());
    // The layout declares the keys of its steps' functionaries (bob's for `package`).
    let layout = std::fs::read(dir.join("demo.layout")).unwrap();
    let declared = chainwatch_attest::intoto::layout_keys(&layout).unwrap();
    assert_eq!(declared.len(), 2);
    keys.extend(declared);
    let policy = Policy {
        keys: keys.clone(),
        threshold: 1,
        ..Policy::default()
    };
    let mut verified = Vec::new();
    for name in [
        "write-code.b7d643de.link",
        "package.d3ffd108.link",
        "demo.layout",
        "demo.dsse.layout",
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let v = verify(&bytes, &policy).unwrap();
        let ok = v[0]
            .checks
            .iter()
            .find(|c| c.check == "signature")
            .is_some_and(|c| c.ok);
        verified.push((name, ok));
        // Without the right keys nothing verifies.
        let none = Policy {
            keys: Vec::new(),
            threshold: 1,
            ..Policy::default()
        };
        assert!(!verify(&bytes, &none).unwrap()[0].verified, "{name}");
    }
    assert!(verified.iter().all(|(_, ok)| *ok), "{verified:?}");
    // DSSE-wrapped links whose keys are not in the corpus read as link metadata, and do
    // not verify.
    for name in [
        "package-dsse.2f89b927.link",
        "clone-dsse.776a00e2.link",
        "update-version-dsse.776a00e2.link",
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let v = &verify(&bytes, &policy).unwrap()[0];
        assert!(!v.verified, "{name}");
        let m = v.metadata.as_ref().unwrap();
        assert!(
            m.name.is_some() && !(m.materials.is_empty() && m.products.is_empty()),
            "{name}"
        );
    }
    // write-code's product `foo.py`, by digest.
    let link = std::fs::read(dir.join("write-code.b7d643de.link")).unwrap();
    let policy = Policy {
        keys,
        threshold: 1,
        artifact: Some(
            Artifact::from_digest(
                "sha256:74dc3727c6e89308b39e4dfedf787e37841198b1fa165a27c013544a60502549",
            )
            .unwrap(),
        ),
        ..Policy::default()
    };
    let v = &verify(&link, &policy).unwrap()[0];
    let artifact = v.checks.iter().find(|c| c.check == "artifact").unwrap();
    assert!(
        artifact.ok && artifact.detail.contains("foo.py"),
        "{artifact:?}"
    );
}

const GO_BUILDER: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@*";
const GENERIC_BUILDER: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@*";

/// slsa-verifier's GitHub-generator provenance as Sigstore bundles: verifies against its
/// builder and source; the wrong builder or source fails with that reason.
#[test]
fn slsa_verifier_provenance_bundles() {
    let Some(dir) =
        chainwatch_testkit::corpus_path("attestations/slsa-verifier/cli/slsa-verifier/testdata")
    else {
        return;
    };
    for (sub, builder) in [
        ("gha_go/v2.1.0", GO_BUILDER),
        ("gha_generic/v2.1.0", GENERIC_BUILDER),
    ] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let policy = Policy {
                threshold: 1,
                builders: vec![builder.into()],
                source: Some("github.com/slsa-framework/example-package".into()),
                ..Policy::default()
            };
            let v = verify(&bytes, &policy).unwrap();
            for v in &v {
                assert!(v.verified, "{}: {:?}", path.display(), v.checks);
                assert!(v.provenance.is_some());
            }
            let wrong = Policy {
                builders: vec!["https://github.com/evil/*".into()],
                source: Some("github.com/evil/repo".into()),
                ..policy
            };
            let v = &verify(&bytes, &wrong).unwrap()[0];
            let failed: Vec<&str> = v.checks.iter().filter(|c| !c.ok).map(|c| c.check).collect();
            assert_eq!(
                failed,
                ["identity", "builder", "source"],
                "{}",
                path.display()
            );
        }
    }
}

/// GUAC's statements (vulnerability certifications, reviews, `ClearlyDefined` data, SLSA in
/// a DSSE envelope) and Kubernetes' SLSA v0.2 provenance read as statements; provenance
/// gives builder and source.
#[test]
fn guac_statements_and_kubernetes_provenance() {
    let Some(root) = chainwatch_testkit::corpus_path("attestations") else {
        return;
    };
    let mut read = 0;
    for name in [
        "guac/certify-novuln-v02.json",
        "guac/certify-novuln.json",
        "guac/certify-vuln-v02.json",
        "guac/certify-vuln.json",
        "guac/crev-review.json",
        "guac/github-review.json",
        "guac/cd-log4j.json",
        "guac/cd-common-text.json",
        "guac/oci-dsse-att.json",
        "guac/oci-kubectl-linux-amd64-in-toto.json",
        "guac-data/slsa/kube-slsa-v1.24.1.json",
        "guac-data/slsa/kube-slsa-v1.25.2.json",
    ] {
        let bytes = std::fs::read(root.join(name)).unwrap();
        let statements = chainwatch_attest::statements(&bytes).unwrap();
        assert_eq!(statements.len(), 1, "{name}");
        assert!(!statements[0].subjects.is_empty(), "{name}");
        read += 1;
    }
    assert_eq!(read, 12);
    let kube = std::fs::read(root.join("guac-data/slsa/kube-slsa-v1.24.1.json")).unwrap();
    let s = &chainwatch_attest::statements(&kube).unwrap()[0];
    let p = chainwatch_attest::Provenance::of(s).unwrap();
    assert_eq!(
        p.builder_id.as_deref(),
        Some("https://git.k8s.io/release/docs/krel")
    );
    assert_eq!(
        p.source.as_deref(),
        Some("git+https://github.com/kubernetes/kubernetes")
    );
    assert_eq!(
        p.revision.as_deref(),
        Some("aaf024b5e8dc5e08e4414583203968ca0a5ec043")
    );
    assert_eq!(s.subjects.len(), 113);
}

/// slsa-verifier's GitHub bundles and npm attestations: the valid ones verify, each
/// tampered one fails, and says why.
#[test]
fn slsa_verifier_tampered_bundles() {
    let Some(root) = chainwatch_testkit::corpus_path("attestations/slsa-verifier") else {
        return;
    };
    let any = Policy {
        threshold: 1,
        identity: Some(Matcher::regex(".*").unwrap()),
        ..Policy::default()
    };
    let gha = root.join("verifiers/internal/gha/testdata/bundle");
    for (name, failed) in [
        ("valid.intoto.sigstore", None),
        ("valid-v0.3.intoto.sigstore", None),
        ("attestation.intoto.sigstore", None),
        ("invalid-dsse-sig.intoto.sigstore", Some("bundle")),
        ("invalid-set.intoto.sigstore", Some("bundle")),
        ("mismatch-tlog.intoto.sigstore", Some("certificate")),
    ] {
        let v = &verify(&std::fs::read(gha.join(name)).unwrap(), &any).unwrap()[0];
        assert_eq!(
            v.failure().map(|c| c.check),
            failed,
            "{name}: {:?}",
            v.checks
        );
    }
    // npm: the publish attestation is signed by the registry's key (not in the corpus),
    // the provenance keylessly by the workflow.
    let npm = root.join("cli/slsa-verifier/testdata/npm/gha");
    let mut files = 0;
    for entry in std::fs::read_dir(&npm).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let v = verify(&std::fs::read(&path).unwrap(), &any).unwrap();
        assert_eq!(v.len(), 2, "{name}");
        assert_eq!(v[0].failure().map(|c| c.check), Some("key"), "{name}");
        let provenance = v[1].failure().map(|c| c.check);
        let expected = if name.contains("-invalidsigprov") {
            Some("signature")
        } else {
            None
        };
        assert_eq!(provenance, expected, "{name}: {:?}", v[1].checks);
        assert!(v[1].provenance.is_some(), "{name}");
        files += 1;
    }
    assert_eq!(files, 15);
}

/// A bit flipped in a valid bundle's certificate, inclusion proof, signature or signed
/// entry timestamp makes it fail.
#[test]
fn flipped_bits_in_a_bundle_fail() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let Some(root) = chainwatch_testkit::corpus_path(
        "attestations/sigstore-conformance/test/assets/bundle-verify",
    ) else {
        return;
    };
    let bundle: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("happy-path-v0.3/bundle.sigstore.json")).unwrap(),
    )
    .unwrap();
    let policy = Policy {
        threshold: 1,
        trusted_root: std::fs::read_to_string(root.join(
            "../../../../sigstore-python/trust-roots/tuf-repo-cdn.sigstore.dev/trusted_root.json",
        ))
        .ok(),
        artifact: Some(Artifact::from_bytes(
            std::fs::read(root.join("a.txt")).unwrap(),
        )),
        identity: Some(Matcher::Exact(DEFAULT_IDENTITY.into())),
        issuer: Some(Matcher::Exact(DEFAULT_ISSUER.into())),
        ..Policy::default()
    };
    let doc = serde_json::to_vec(&bundle).unwrap();
    assert!(verify(&doc, &policy).unwrap()[0].verified);
    let mut flipped = 0;
    for pointer in [
        "/verificationMaterial/certificate/rawBytes",
        "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/0",
        "/verificationMaterial/tlogEntries/0/inclusionProof/rootHash",
        "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
        "/messageSignature/signature",
        "/messageSignature/messageDigest/digest",
    ] {
        let Some(text) = bundle.pointer(pointer).and_then(|v| v.as_str()) else {
            continue;
        };
        let mut bytes = STANDARD.decode(text).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x01;
        let mut tampered = bundle.clone();
        *tampered.pointer_mut(pointer).unwrap() =
            serde_json::Value::String(STANDARD.encode(&bytes));
        let doc = serde_json::to_vec(&tampered).unwrap();
        let verified = verify(&doc, &policy).is_ok_and(|v| v.iter().all(|v| v.verified));
        assert!(!verified, "{pointer}");
        flipped += 1;
    }
    assert!(flipped >= 4, "{flipped}");
}
