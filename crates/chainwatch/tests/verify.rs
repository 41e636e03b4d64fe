//! `chainwatch verify`: exit 0 when verified, 1 with the failed check, 2 on unusable input.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::process::{Command, Output, Stdio};

fn chainwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["verify"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const BUILDER: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/*";

#[test]
fn slsa_provenance_bundle() {
    let Some(file) = chainwatch_testkit::corpus_path(
        "attestations/slsa-verifier/cli/slsa-verifier/testdata/gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl",
    ) else {
        return;
    };
    let file = file.to_str().unwrap();
    let ok = chainwatch(&[
        file,
        "--builder",
        BUILDER,
        "--source",
        "github.com/slsa-framework/example-package",
        "--format",
        "json",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v[0]["verified"], true);
    assert_eq!(v[0]["format"], "sigstore-bundle");
    assert!(
        v[0]["provenance"]["builder_id"]
            .as_str()
            .unwrap()
            .contains("generator_generic_slsa3.yml")
    );
    // The right signature from the wrong repository.
    let wrong = chainwatch(&[
        file,
        "--builder",
        BUILDER,
        "--source",
        "github.com/acme/app",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    let text = String::from_utf8_lossy(&wrong.stdout);
    assert!(
        text.contains("NOT VERIFIED") && text.contains("FAIL source"),
        "{text}"
    );
    // A digest no subject has.
    let digest = format!("sha256:{}", "0".repeat(64));
    let other = chainwatch(&[file, "--builder", BUILDER, "--digest", &digest]);
    assert_eq!(other.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&other.stdout).contains("FAIL artifact"));
}

#[test]
fn unusable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"payloadType\": 1, \"payload\": \"aGk=\"}").unwrap();
    let o = chainwatch(&[bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/payloadType"));
    let o = chainwatch(&[bad.to_str().unwrap(), "--digest", "md5:00"]);
    assert_eq!(o.status.code(), Some(2));
    let o = chainwatch(&["/nonexistent/attestation.json"]);
    assert_eq!(o.status.code(), Some(2));
}
