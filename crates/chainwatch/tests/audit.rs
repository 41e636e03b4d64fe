//! `chainwatch audit package`: exit status by severity, the JSON contract for scripts,
//! SARIF, directories of installed packages, and unusable input.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::process::{Command, Output, Stdio};

fn chainwatch(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn samples(rel: &str) -> String {
    chainwatch_testkit::workspace_root()
        .join("crates/chainwatch-audit/tests")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn a_malicious_package_fails_with_the_json_contract() {
    let o = chainwatch(&[
        "audit",
        "package",
        &samples("malicious/dev/14-npm-crossenv"),
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        for key in [
            "rule", "severity", "path", "line", "message", "evidence", "package",
        ] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
        assert!(["low", "medium", "high", "critical"].contains(&row["severity"].as_str().unwrap()));
        assert_eq!(row["package"], "crossenv@6.1.1");
    }
    assert!(
        rows.iter()
            .any(|r| r["rule"] == "env-exfiltration" && r["severity"] == "critical")
    );
}

#[test]
fn benign_packages_pass_and_a_tree_of_them_is_each_audited() {
    let o = chainwatch(&["audit", "package", &samples("benign")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("audited 5 packages"), "{err}");
}

#[test]
fn sarif_names_every_rule_and_locates_findings() {
    let o = chainwatch(&[
        "audit",
        "package",
        &samples("malicious/dev/49-npm-twilio-npm"),
        "--format",
        "sarif",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), chainwatch_audit::RULES.len());
    let results = run["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "reverse-shell" && r["level"] == "error")
    );
    for r in results {
        let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], r["ruleId"]);
    }
}

#[test]
fn thresholds_and_unusable_input() {
    // --fail-on critical: the high findings of a sample no longer fail.
    let o = chainwatch(&[
        "audit",
        "package",
        &samples("malicious/dev/11-crates-faster_log"),
        "--fail-on",
        "critical",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = chainwatch(&["audit", "package", "/nonexistent/pkg.tgz"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read `/nonexistent/pkg.tgz`"));
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tgz");
    std::fs::write(&junk, b"\x1f\x8b\x08\x00garbage").unwrap();
    let o = chainwatch(&["audit", "package", junk.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = chainwatch(&[
        "audit",
        "package",
        junk.to_str().unwrap(),
        "--fail-on",
        "severe",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn scan_audit_reads_the_installed_packages_of_a_tree() {
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    std::fs::write(
        root.join("package.json"),
        r#"{"name":"shop","version":"1.0.0","dependencies":{"crossenv":"6.1.1","fast-hash-native":"2.1.0"}}"#,
    )
    .unwrap();
    copy_dir(
        std::path::Path::new(&samples("malicious/dev/14-npm-crossenv")),
        &root.join("node_modules/crossenv"),
    );
    copy_dir(
        std::path::Path::new(&samples("benign/npm-native")),
        &root.join("node_modules/fast-hash-native"),
    );
    // One advisory, about a package the tree does not have.
    let osv = tempfile::tempdir().unwrap();
    std::fs::write(
        osv.path().join("GHSA-0000-0000-0001.json"),
        r#"{"id":"GHSA-0000-0000-0001","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"versions":["1.0.0"]}]}"#,
    )
    .unwrap();
    let advisories = osv.path().display().to_string();
    let dir = root.display().to_string();
    let o = chainwatch(&[
        "scan",
        &dir,
        "--advisories",
        &advisories,
        "--audit",
        "--no-typosquat",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let audit: Vec<&serde_json::Value> = rows.iter().filter(|r| r["kind"] == "audit").collect();
    assert!(
        audit
            .iter()
            .any(|r| r["rule"] == "env-exfiltration" && r["package"] == "crossenv@6.1.1"),
        "{rows:#?}"
    );
    assert!(
        audit
            .iter()
            .all(|r| r["package"] != "fast-hash-native@2.1.0")
    );
    // Without --audit, the same tree passes (no advisory concerns it).
    let o = chainwatch(&["scan", &dir, "--advisories", &advisories, "--no-typosquat"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // --audit needs a directory.
    let lock = root.join("package.json").display().to_string();
    let o = chainwatch(&["scan", &lock, "--advisories", &advisories, "--audit"]);
    assert_eq!(o.status.code(), Some(2));
}
