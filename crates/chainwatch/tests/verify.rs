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

fn with_db(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", db])
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", "/nonexistent/chainwatch-test-cache")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `ingest` verifies attestations and stores them as evidence; `query provenance` shows
/// it; `scan --require-provenance` passes only with provenance from an allowed builder.
#[test]
fn attestations_become_evidence() {
    let Some(testdata) =
        chainwatch_testkit::corpus_path("attestations/slsa-verifier/cli/slsa-verifier/testdata")
    else {
        return;
    };
    let bundle = testdata.join("gha_go/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl");
    let bundle = bundle.to_str().unwrap();
    let legacy = testdata.join("binary-linux-amd64-expired-cert.intoto.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let sbom = dir.path().join("example.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "metadata":{"component":{"type":"application","bom-ref":"app","name":"example","version":"14",
              "hashes":[{"alg":"SHA-256","content":"f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066"}]}},
            "components":[]}"#,
    )
    .unwrap();
    assert_eq!(
        with_db(&db, &["ingest", sbom.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let builder = "https://github.com/slsa-framework/slsa-github-generator/*";
    let ingest = |file: &str| {
        with_db(
            &db,
            &[
                "ingest",
                file,
                "--builder",
                builder,
                "--product",
                "example",
                "--product-version",
                "14",
                "--format",
                "json",
            ],
        )
    };
    let o = ingest(bundle);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["status"], "stored");
    assert_eq!(line["attestations"][0]["status"], "stored");
    let again: serde_json::Value = serde_json::from_slice(&ingest(bundle).stdout).unwrap();
    assert_eq!(again["attestations"][0]["status"], "unchanged");
    // A keyless envelope without its log entry is rejected, and nothing is stored.
    let o = ingest(legacy.to_str().unwrap());
    assert_eq!(o.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["attestations"][0]["status"], "rejected");
    let o = with_db(
        &db,
        &["query", "provenance", "example@14", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let about: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["about"].as_str().unwrap())
        .collect();
    // Ingested for the product version, and about its subject component's digest.
    assert_eq!(about, ["component example", "product version"]);
    assert!(
        rows[0]["builder"]
            .as_str()
            .unwrap()
            .contains("builder_go_slsa3.yml")
    );
    // The gate (scan wants advisories in the store).
    let osv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/osv/GHSA-scan-0001.json"
    );
    assert_eq!(
        with_db(&db, &["advisories", "import", osv]).status.code(),
        Some(0)
    );
    let ok = with_db(
        &db,
        &["scan", "example@14", "--require-provenance", builder],
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let bad = with_db(
        &db,
        &[
            "scan",
            "example@14",
            "--require-provenance",
            "https://ci.example.com/*",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("PROVENANCE MISSING"));
}
