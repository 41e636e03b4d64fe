//! `chainwatch scan` end to end: a tree, a lockfile and an SBOM against OSV fixtures;
//! findings grouped by package with paths, malicious first; exit status by `--fail-on`.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn chainwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        // No list a `typosquat refresh` on this machine left in the user's cache.
        .env("XDG_CACHE_HOME", "/nonexistent/chainwatch-test-cache")
        .stdin(Stdio::null())
        .output()
        .expect("run chainwatch")
}

fn osv() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/osv")
        .display()
        .to_string()
}

/// `chainwatch scan TARGET --advisories <the OSV fixtures> EXTRA…`.
fn scan_with_fixtures(target: &Path, extra: &[&str]) -> Output {
    let osv = osv();
    let mut args = vec!["scan", target.to_str().unwrap(), "--advisories", &osv];
    args.extend_from_slice(extra);
    chainwatch(&args)
}

fn inventory_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../chainwatch-inventory/tests/fixtures")
        .join(name)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn lockfile_tree_findings() {
    let tree = inventory_fixture("npm-v1");
    let out = chainwatch(&["scan", tree.to_str().unwrap(), "--advisories", &osv()]);
    // The malicious package always fails the scan.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(stdout(&out));
    let json = chainwatch(&[
        "scan",
        tree.to_str().unwrap(),
        "--advisories",
        &osv(),
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(rows[0]["advisory"], "MAL-2026-0001");
    assert_eq!(rows[0]["malicious"], true);
    assert_eq!(rows[1]["package"], "pkg:npm/debug@2.6.9");
    assert_eq!(rows[1]["severity"], "critical"); // CVSS 3.1 base 9.1
    assert_eq!(rows[1]["fixed_in"][0], "2.6.10");
    assert_eq!(rows[1]["path"][1], "debug@2.6.9");
    let sarif = chainwatch(&[
        "scan",
        tree.to_str().unwrap(),
        "--advisories",
        &osv(),
        "--format",
        "sarif",
    ]);
    let log: serde_json::Value = serde_json::from_str(&stdout(&sarif)).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 2);
}

#[test]
fn distro_packages_through_their_source() {
    let tree = inventory_fixture("rootfs-debian");
    let out = chainwatch(&[
        "scan",
        tree.to_str().unwrap(),
        "--advisories",
        &osv(),
        "--format",
        "json",
    ]);
    // Low severity: below the default threshold.
    assert_eq!(out.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["liblzma5", "xz-utils"]);
    assert_eq!(rows[0]["via"], "upstream");
    let strict = chainwatch(&[
        "scan",
        tree.to_str().unwrap(),
        "--advisories",
        &osv(),
        "--fail-on",
        "low",
    ]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn sbom_files_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("bom.cdx.json");
    let made = chainwatch(&[
        "sbom",
        "generate",
        inventory_fixture("npm-v1").to_str().unwrap(),
        "-o",
        bom.to_str().unwrap(),
    ]);
    assert_eq!(made.status.code(), Some(0));
    let out = chainwatch(&[
        "scan",
        bom.to_str().unwrap(),
        "--advisories",
        &osv(),
        "--fail-on",
        "never",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "malicious packages count even with --fail-on never"
    );
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    let clean = chainwatch(&[
        "scan",
        inventory_fixture("cargo").to_str().unwrap(),
        "--advisories",
        &osv(),
    ]);
    assert_eq!(clean.status.code(), Some(0));
    assert!(stdout(&clean).contains("no known vulnerable or malicious packages"));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let none = chainwatch(&[
        "scan",
        bom.to_str().unwrap(),
        "--advisories",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(none.status.code(), Some(2));
    let notsbom = dir.path().join("notes.txt");
    std::fs::write(&notsbom, "hello").unwrap();
    let bad = chainwatch(&["scan", notsbom.to_str().unwrap(), "--advisories", &osv()]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn advisories_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let tree = inventory_fixture("npm-v1");
    // An empty database says how to fill it.
    let empty = chainwatch(&["--db", &db, "scan", tree.to_str().unwrap()]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("chainwatch advisories import"));
    let import = chainwatch(&[
        "--db",
        &db,
        "advisories",
        "import",
        &osv(),
        "--format",
        "json",
    ]);
    assert_eq!(import.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_str(&stdout(&import)).unwrap();
    assert_eq!(report["added"], 3);
    let again = chainwatch(&[
        "--db",
        &db,
        "advisories",
        "import",
        &osv(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(
        (report["added"].as_u64(), report["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
    // Any identifier, any case.
    let show = chainwatch(&[
        "--db",
        &db,
        "advisories",
        "show",
        "cve-2026-0001",
        "--format",
        "json",
    ]);
    assert_eq!(show.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&show)).unwrap();
    assert_eq!(rows[0]["id"], "GHSA-scan-0001");
    assert_eq!(rows[0]["severity"], "critical");
    let missing = chainwatch(&["--db", &db, "advisories", "show", "CVE-1999-0001"]);
    assert_eq!(missing.status.code(), Some(2));
    // The scan now reads the store.
    let scan = chainwatch(&[
        "--db",
        &db,
        "scan",
        tree.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(scan.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&scan)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    // Which product versions are affected, through any identifier.
    let bom = dir.path().join("legacy.cdx.json");
    let made = chainwatch(&[
        "sbom",
        "generate",
        tree.to_str().unwrap(),
        "-o",
        bom.to_str().unwrap(),
    ]);
    assert_eq!(made.status.code(), Some(0));
    let ingest = chainwatch(&["--db", &db, "ingest", bom.to_str().unwrap()]);
    assert_eq!(ingest.status.code(), Some(0));
    let affected = chainwatch(&[
        "--db",
        &db,
        "query",
        "affected",
        "CVE-2026-0001",
        "--format",
        "json",
    ]);
    assert_eq!(affected.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&affected)).unwrap();
    assert_eq!(rows[0]["product"], "legacy-app");
    assert_eq!(rows[0]["version"], "0.1.0");
    assert_eq!(rows[0]["package"], "pkg:npm/debug@2.6.9");
    assert_eq!(rows[0]["advisory"], "GHSA-scan-0001");
    assert_eq!(rows[0]["fixed_in"][0], "2.6.10");
    let unknown = chainwatch(&["--db", &db, "query", "affected", "CVE-1999-0001"]);
    assert_eq!(unknown.status.code(), Some(2));
    // A file that is not OSV is reported; the rest imports.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"id\": 5").unwrap();
    let partial = chainwatch(&["--db", &db, "advisories", "import", bad.to_str().unwrap()]);
    assert_eq!(partial.status.code(), Some(2));
}

/// The complete `RustSec` database (OSV export) against a lockfile of deliberately old
/// crates: the findings, as (package, advisory) pairs, informational notices marked. They
/// equal cargo-audit's on the same advisories in their native form: its 24
/// vulnerabilities and 6 warnings (`docs/advisories.md`).
#[test]
fn rustsec_against_a_vulnerable_lockfile() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let lock = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../chainwatch-match/tests/fixtures/vulnerable-cargo/Cargo.lock");
    let db = corpus.join("osv/rustsec-full");
    let out = chainwatch(&[
        "scan",
        lock.to_str().unwrap(),
        "--advisories",
        db.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut pairs: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let pair = format!(
                "{} {}",
                r["package"].as_str().unwrap(),
                r["advisory"].as_str().unwrap()
            );
            match r["informational"].as_str() {
                Some(kind) => format!("{pair} [{kind}]"),
                None => pair,
            }
        })
        .collect();
    pairs.sort();
    insta::assert_snapshot!(pairs.join("\n"));
}

/// Findings kept in the store: ingest before the advisories (matched when they arrive)
/// and after (matched at ingest); `findings` lists them with first-seen times, `scan
/// PRODUCT@VERSION` scans a stored document, `--format cyclonedx` writes the SBOM with
/// its vulnerabilities.
#[test]
fn stored_findings_and_stored_products() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let tree = inventory_fixture("npm-v1");
    let bom = dir.path().join("legacy.cdx.json");
    let made = chainwatch(&[
        "sbom",
        "generate",
        tree.to_str().unwrap(),
        "-o",
        bom.to_str().unwrap(),
    ]);
    assert_eq!(made.status.code(), Some(0));
    assert_eq!(
        chainwatch(&["--db", &db, "ingest", bom.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let none = chainwatch(&["--db", &db, "findings", "--format", "json"]);
    assert_eq!(stdout(&none).trim(), "[]");
    // Importing advisories matches the portfolio and reports the new findings.
    let import = chainwatch(&["--db", &db, "advisories", "import", &osv()]);
    assert_eq!(import.status.code(), Some(0));
    let said = String::from_utf8_lossy(&import.stderr).to_string();
    assert!(said.contains("findings: 2 new, 0 resolved"), "{said}");
    let listed = chainwatch(&["--db", &db, "findings", "--format", "json"]);
    assert_eq!(listed.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    // Malicious first.
    assert_eq!(rows[0]["advisory"], "MAL-2026-0001");
    assert_eq!(rows[0]["malicious"], true);
    assert_eq!(rows[1]["advisory"], "GHSA-scan-0001");
    assert_eq!(rows[1]["product"], "legacy-app");
    assert_eq!(rows[1]["aliases"][0], "CVE-2026-0001");
    assert!(rows[1]["first_seen"].as_str().unwrap().ends_with('Z'));
    let high = chainwatch(&[
        "--db",
        &db,
        "findings",
        "--product",
        "legacy-app@0.1.0",
        "--min-severity",
        "critical",
        "--format",
        "sarif",
    ]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&high)).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    let other = chainwatch(&[
        "--db",
        &db,
        "findings",
        "--product",
        "other",
        "--format",
        "json",
    ]);
    assert_eq!(stdout(&other).trim(), "[]");
    // Nothing changed: nothing to match.
    let idle = chainwatch(&["--db", &db, "advisories", "match", "--format", "json"]);
    let idle: serde_json::Value = serde_json::from_str(&stdout(&idle)).unwrap();
    assert_eq!(idle["packages"], 0);
    let full = chainwatch(&[
        "--db",
        &db,
        "advisories",
        "match",
        "--full",
        "--format",
        "json",
    ]);
    let full: serde_json::Value = serde_json::from_str(&stdout(&full)).unwrap();
    assert!(full["packages"].as_u64().unwrap() > 2);
    assert_eq!(full["new"].as_array().unwrap().len(), 0);
    // A stored product version is a scan target.
    let scan = chainwatch(&[
        "--db",
        &db,
        "scan",
        "legacy-app@0.1.0",
        "--format",
        "cyclonedx",
    ]);
    assert_eq!(scan.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&scan)).unwrap();
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 2);
    let ghsa = vulns.iter().find(|v| v["id"] == "GHSA-scan-0001").unwrap();
    assert_eq!(ghsa["ratings"][0]["method"], "CVSSv31");
    assert_eq!(ghsa["recommendation"], "Upgrade to 2.6.10");
    let affected = ghsa["affects"][0]["ref"].as_str().unwrap();
    assert!(
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["bom-ref"] == affected)
    );
    let missing = chainwatch(&["--db", &db, "scan", "no-such-product@1"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("neither a file"));
}

fn vex_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/vex")
        .join(name)
        .display()
        .to_string()
}

/// VEX: a statement suppresses a stored finding (kept as evidence), the state exports as
/// OpenVEX (which reads back) and CycloneDX VEX; `scan --vex` applies a file; KEV and
/// EPSS data show on findings and a known-exploited one always fails a scan.
#[test]
fn vex_and_exploitation_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let tree = inventory_fixture("npm-v1");
    let bom = dir.path().join("legacy.cdx.json");
    chainwatch(&[
        "sbom",
        "generate",
        tree.to_str().unwrap(),
        "-o",
        bom.to_str().unwrap(),
    ]);
    chainwatch(&["--db", &db, "ingest", bom.to_str().unwrap()]);
    chainwatch(&["--db", &db, "advisories", "import", &osv()]);
    let vex = vex_fixture("legacy-app.openvex.json");
    let import = chainwatch(&["--db", &db, "vex", "import", &vex, "--format", "json"]);
    assert_eq!(import.status.code(), Some(0));
    let line: serde_json::Value = serde_json::from_str(stdout(&import).trim()).unwrap();
    assert_eq!(
        (line["stored"].as_bool(), line["statements"].as_u64()),
        (Some(true), Some(1))
    );
    let again = chainwatch(&["--db", &db, "vex", "import", &vex, "--format", "json"]);
    let line: serde_json::Value = serde_json::from_str(stdout(&again).trim()).unwrap();
    assert_eq!(line["stored"], false);
    // Only the malicious package is left; --all shows the suppressed one with its reason.
    let rows: serde_json::Value = serde_json::from_str(&stdout(&chainwatch(&[
        "--db", &db, "findings", "--format", "json",
    ])))
    .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["advisory"], "MAL-2026-0001");
    let all: serde_json::Value = serde_json::from_str(&stdout(&chainwatch(&[
        "--db", &db, "findings", "--all", "--format", "json",
    ])))
    .unwrap();
    let ghsa = all
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"] == "GHSA-scan-0001")
        .unwrap();
    assert_eq!(ghsa["vex"]["status"], "not_affected");
    assert_eq!(
        ghsa["vex"]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    let affected: serde_json::Value = serde_json::from_str(&stdout(&chainwatch(&[
        "--db",
        &db,
        "query",
        "affected",
        "CVE-2026-0001",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(affected[0]["vex_status"], "not_affected");
    // Export: OpenVEX that chainwatch reads back, CycloneDX with analysis.
    let out = dir.path().join("legacy.openvex.json");
    let export = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args([
            "--db",
            &db,
            "vex",
            "export",
            "legacy-app@0.1.0",
            "--to",
            "openvex",
            "-o",
        ])
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        export.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let doc = chainwatch_advisory::vex::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc.statements.len(), 2);
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
    let statuses: Vec<&str> = doc.statements.iter().map(|s| s.status.as_str()).collect();
    assert!(statuses.contains(&"not_affected") && statuses.contains(&"affected"));
    let cdx: serde_json::Value = serde_json::from_str(&stdout(&chainwatch(&[
        "--db",
        &db,
        "vex",
        "export",
        "legacy-app",
        "--to",
        "cyclonedx",
    ])))
    .unwrap();
    let v = cdx["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "GHSA-scan-0001")
        .unwrap();
    assert_eq!(v["analysis"]["state"], "not_affected");
    assert_eq!(v["analysis"]["justification"], "code_not_reachable");
    // scan --vex applies a file without the store.
    let scan = chainwatch(&[
        "scan",
        tree.to_str().unwrap(),
        "--advisories",
        &osv(),
        "--vex",
        &vex,
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&scan)).unwrap();
    let debug = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["advisory"] == "GHSA-scan-0001")
        .unwrap();
    assert_eq!(debug["vex_status"], "not_affected");
    // KEV and EPSS.
    let enrich = chainwatch(&[
        "--db",
        &db,
        "advisories",
        "enrich",
        "--kev",
        &vex_fixture("kev.json"),
        "--epss",
        &vex_fixture("epss.csv"),
        "--format",
        "json",
    ]);
    assert_eq!(
        enrich.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&enrich.stderr)
    );
    assert_eq!(stdout(&enrich).trim(), r#"{"epss":2,"kev":1}"#);
    let all: serde_json::Value = serde_json::from_str(&stdout(&chainwatch(&[
        "--db", &db, "findings", "--all", "--format", "json",
    ])))
    .unwrap();
    let ghsa = all
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory"] == "GHSA-scan-0001")
        .unwrap();
    assert_eq!(ghsa["known_exploited"], true);
    assert_eq!(ghsa["epss"], 0.4312);
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "cve,epss\nCVE-1,high\n").unwrap();
    let rejected = chainwatch(&[
        "--db",
        &db,
        "advisories",
        "enrich",
        "--epss",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(rejected.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&rejected.stderr).contains("line 2"));
}

/// guac-data's deliberately vulnerable log4j image (an SPDX document by Syft) is found
/// affected by `Log4Shell`, through the GHSA record and its CVE alias.
#[test]
fn log4shell_in_a_real_sbom() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let sbom = corpus.join("real-sboms/guac-data/docs/spdx/spdx_vuln.json");
    let ghsa = corpus.join("osv/ghsa/GHSA-jfh8-c2jp-5v3q.json");
    let ingest = chainwatch(&[
        "--db",
        &db,
        "ingest",
        sbom.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        ingest.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ingest.stderr)
    );
    let import = chainwatch(&["--db", &db, "advisories", "import", ghsa.to_str().unwrap()]);
    assert_eq!(import.status.code(), Some(0));
    let affected = chainwatch(&[
        "--db",
        &db,
        "query",
        "affected",
        "CVE-2021-44228",
        "--format",
        "json",
    ]);
    assert_eq!(
        affected.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&affected.stderr)
    );
    let rows: serde_json::Value = serde_json::from_str(&stdout(&affected)).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["package"]
            .as_str()
            .unwrap()
            .starts_with("pkg:maven/org.apache.logging.log4j/log4j-core@2.8.1")
            && r["advisory"] == "GHSA-jfh8-c2jp-5v3q"
            && r["severity"] == "critical"),
        "{rows:?}"
    );
    // The scan of the same document fails at the default threshold.
    let scan = chainwatch(&[
        "scan",
        sbom.to_str().unwrap(),
        "--advisories",
        ghsa.to_str().unwrap(),
    ]);
    assert_eq!(scan.status.code(), Some(1));
}

/// Severities never hide: a finding no record rates (the corpus's kubectl has HTTP/2
/// Rapid Reset, GO-2023-2102, which the Go database does not rate) fails the default
/// gate unless `--unknown-severity` says otherwise; a record without a rating takes its
/// alias's (GO-2021-0113 from GHSA-ppp9-7jff-5vj2), in a scan and in the store, and the
/// two are one finding.
#[test]
fn unrated_findings_fail_and_aliases_rate() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let kubectl = corpus.join("real-sboms/guac/oci-kubectl-linux-amd64-spdx.json");
    let go = corpus.join("osv/go-vulndb");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "scan",
            kubectl.to_str().unwrap(),
            "--advisories",
            go.to_str().unwrap(),
            "--no-typosquat",
            "--format",
            "json",
        ];
        a.extend_from_slice(extra);
        chainwatch(&a)
    };
    let o = args(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["advisory"] == "GO-2023-2102" && r["severity"] == "unknown"),
        "{rows}"
    );
    assert_eq!(
        args(&["--unknown-severity", "medium"]).status.code(),
        Some(0)
    );
    assert_eq!(
        args(&["--unknown-severity", "medium", "--fail-on", "medium"])
            .status
            .code(),
        Some(1)
    );

    // golang.org/x/text 0.3.6: GO-2021-0113 rated by its alias, one finding.
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("app.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "metadata":{"component":{"bom-ref":"app","type":"application","name":"app","version":"1"}},
            "components":[{"bom-ref":"t","type":"library","name":"golang.org/x/text","version":"v0.3.6",
              "purl":"pkg:golang/golang.org/x/text@v0.3.6"}],
            "dependencies":[{"ref":"app","dependsOn":["t"]}]}"#,
    )
    .unwrap();
    let records = [
        go.join("GO-2021-0113.json"),
        corpus.join("osv/trustify/GHSA-ppp9-7jff-5vj2.json"),
    ];
    let o = chainwatch(&[
        "scan",
        sbom.to_str().unwrap(),
        "--advisories",
        records[0].to_str().unwrap(),
        "--advisories",
        records[1].to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "advisory")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["advisory"], "GO-2021-0113");
    assert_eq!(rows[0]["severity"], "high");
    assert_eq!(rows[0]["severity_from"], "GHSA-ppp9-7jff-5vj2");
    // The same in the store.
    let db = dir.path().join("cw.db").display().to_string();
    let run = |a: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(a);
        let o = chainwatch(&all);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{a:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    run(&["ingest", sbom.to_str().unwrap(), "--no-typosquat"]);
    run(&[
        "advisories",
        "import",
        records[0].to_str().unwrap(),
        records[1].to_str().unwrap(),
    ]);
    let o = run(&["findings", "--format", "json", "--min-severity", "high"]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["advisory"], "GO-2021-0113");
    assert_eq!(rows[0]["severity"], "high");
    assert_eq!(rows[0]["score"], 7.5);
    assert_eq!(rows[0]["severity_from"], "GHSA-ppp9-7jff-5vj2");
}

/// This repository's own lockfile: `ryu-js` (five levels down) looks like `ryu` but is
/// a transitive dependency, reported without failing the scan.
#[test]
fn own_lockfile_passes() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let o = scan_with_fixtures(&lock, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for r in rows.as_array().unwrap() {
        assert_eq!(r["fails"], false, "{r}");
    }
}

/// Dependency names are checked for typo-squatting: a suspect is listed with the path
/// that pulls it in and fails the scan; `--no-typosquat` leaves the checks out.
#[test]
fn typosquats_among_the_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("app.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "metadata":{"component":{"type":"application","bom-ref":"app","name":"app","version":"1.0"}},
            "components":[
              {"type":"library","bom-ref":"b","name":"build-tools","version":"1.0.0","purl":"pkg:npm/build-tools@1.0.0"},
              {"type":"library","bom-ref":"c","name":"crossenv","version":"1.0.0","purl":"pkg:npm/crossenv@1.0.0"},
              {"type":"library","bom-ref":"e","name":"express","version":"4.19.2","purl":"pkg:npm/express@4.19.2"}],
            "dependencies":[{"ref":"app","dependsOn":["b","e"]},{"ref":"b","dependsOn":["c"]}]}"#,
    )
    .unwrap();
    // Transitive (pulled in by build-tools): reported, not failing.
    let scan = scan_with_fixtures(&sbom, &["--format", "json"]);
    assert_eq!(scan.status.code(), Some(0), "{}", stdout(&scan));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&scan)).unwrap();
    let squat = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "typosquat")
        .unwrap();
    assert_eq!(squat["package"], "pkg:npm/crossenv@1.0.0");
    assert_eq!(squat["imitates"], "cross-env");
    assert_eq!(squat["path"][1], "build-tools@1.0.0");
    assert_eq!(squat["depth"], 2);
    assert_eq!(squat["fails"], false);
    let human = scan_with_fixtures(&sbom, &[]);
    assert!(
        stdout(&human).contains("possible typosquat  imitates cross-env"),
        "{}",
        stdout(&human)
    );
    let any = scan_with_fixtures(&sbom, &["--typosquat-fails", "any"]);
    assert_eq!(any.status.code(), Some(1));
    // A direct dependency: the name someone typed, failing.
    let text = std::fs::read_to_string(&sbom).unwrap().replace(
        r#"{"ref":"app","dependsOn":["b","e"]}"#,
        r#"{"ref":"app","dependsOn":["b","c","e"]}"#,
    );
    std::fs::write(&sbom, text).unwrap();
    let scan = scan_with_fixtures(&sbom, &["--format", "json"]);
    assert_eq!(scan.status.code(), Some(1));
    let human = scan_with_fixtures(&sbom, &[]);
    assert!(stdout(&human).contains("TYPOSQUAT  imitates cross-env"));
    let off = scan_with_fixtures(&sbom, &["--no-typosquat"]);
    assert_eq!(off.status.code(), Some(0));
    let never = scan_with_fixtures(&sbom, &["--fail-on", "never"]);
    assert_eq!(never.status.code(), Some(0));
}

/// `advisories show` keeps commits apart from versions: a GIT range's `fixed` is a commit
/// of a repository, not a version of the package. A record without a summary shows the
/// first sentence of its details.
#[test]
fn commits_are_shown_apart_from_versions() {
    let Some(record) = chainwatch_testkit::corpus_path("osv/pypa-pysec/lxml/PYSEC-2022-230.yaml")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let import = chainwatch(&[
        "--db",
        &db,
        "advisories",
        "import",
        record.to_str().unwrap(),
    ]);
    assert_eq!(
        import.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let show = chainwatch(&["--db", &db, "advisories", "show", "PYSEC-2022-230"]);
    assert_eq!(show.status.code(), Some(0));
    let text = stdout(&show);
    assert!(
        text.contains("  NULL Pointer Dereference allows attackers to cause a denial of service"),
        "{text}"
    );
    assert!(
        text.contains("  PyPI lxml: introduced 0, fixed 4.9.1, "),
        "{text}"
    );
    assert!(
        text.contains(
            "  commits of https://github.com/lxml/lxml: introduced 0, fixed 86368e9cf70a0ad23cccd5ee32de847149af0c6f"
        ),
        "{text}"
    );
}
