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
    // A policy's `suspicious` condition reads the audits of the installed packages.
    let policy = osv.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[rule]]\nname = \"no-suspicious-packages\"\nlevel = \"warn\"\nwhen.suspicious = \"high\"\n",
    )
    .unwrap();
    let o = chainwatch(&[
        "scan",
        &dir,
        "--advisories",
        &advisories,
        "--audit",
        "--no-typosquat",
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let violated: Vec<&str> = rows
        .iter()
        .filter(|r| r["kind"] == "policy")
        .map(|r| r["component"].as_str().unwrap())
        .collect();
    assert_eq!(violated, ["pkg:npm/crossenv@6.1.1"], "{rows:#?}");
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

/// The release tarballs of the xz drill (scripts/xz-drill.sh: autoreconf of the corpus's
/// tag trees; 5.6.1 with the serial-30 `build-to-host.m4`), made once per target dir.
fn xz_drill() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let corpus = chainwatch_testkit::corpus()?;
    let tags = corpus.join("release-integrity/xz");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let have_autotools = ["autoreconf", "autopoint", "libtoolize"]
        .iter()
        .all(|tool| {
            Command::new(tool)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
    if !have_autotools {
        assert!(
            !in_ci,
            "the autotools are missing and CI=true: run scripts/services.sh"
        );
        eprintln!("skipped: no autotools (scripts/services.sh installs them)");
        return None;
    }
    let root = chainwatch_testkit::workspace_root();
    let out = root.join("target/release-drill");
    let status = Command::new("bash")
        .arg(root.join("scripts/xz-drill.sh"))
        .arg(&out)
        .env("CHAINWATCH_CORPUS", &corpus)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "scripts/xz-drill.sh failed");
    Some((out, tags))
}

fn rules_at(rows: &[serde_json::Value], path: &str) -> Vec<String> {
    rows.iter()
        .filter(|r| r["path"] == path)
        .map(|r| {
            format!(
                "{}:{}",
                r["rule"].as_str().unwrap(),
                r["severity"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn the_xz_drill_names_the_trigger_and_both_test_files() {
    let Some((releases, tags)) = xz_drill() else {
        return;
    };
    for version in ["5.6.0", "5.6.1"] {
        names_the_trigger_and_both_test_files(
            &releases.join(format!("xz-{version}.tar.gz")),
            &tags.join(format!("xz-{version}-git.tar.gz")),
        );
    }
}

fn names_the_trigger_and_both_test_files(release: &std::path::Path, tag: &std::path::Path) {
    let o = chainwatch(&[
        "audit",
        "release",
        release.to_str().unwrap(),
        "--source",
        tag.to_str().unwrap(),
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
    for row in &rows {
        for key in ["rule", "severity", "path", "line", "message", "evidence"] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    let m4 = rules_at(&rows, "m4/build-to-host.m4");
    for expected in [
        "autotools-serial-unknown:high",
        "build-content-search:high",
        "build-byte-cipher:high",
        "build-decode-exec:critical",
    ] {
        assert!(
            m4.contains(&expected.to_owned()),
            "{expected} not in {m4:?}"
        );
    }
    let trigger = rules_at(&rows, "tests/files/bad-3-corrupt_lzma2.xz");
    assert!(
        trigger.contains(&"build-located-file:high".to_owned()),
        "{trigger:?}"
    );
    assert!(
        trigger.contains(&"hidden-script:critical".to_owned()),
        "{trigger:?}"
    );
    let payload = rules_at(&rows, "tests/files/good-large_compressed.lzma");
    assert!(
        payload.contains(&"hidden-script-reads:critical".to_owned()),
        "{payload:?}"
    );
    // The stage the test file hides is read by the same rules.
    let hidden = rules_at(&rows, "tests/files/bad-3-corrupt_lzma2.xz (decoded)");
    assert!(
        hidden.contains(&"build-decode-exec:critical".to_owned()),
        "{hidden:?}"
    );
}

#[test]
fn the_clean_xz_release_raises_nothing_high() {
    let Some((releases, tags)) = xz_drill() else {
        return;
    };
    let o = chainwatch(&[
        "audit",
        "release",
        releases.join("xz-5.4.6.tar.gz").to_str().unwrap(),
        "--source",
        tags.join("xz-5.4.6-git.tar.gz").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let high: Vec<_> = rows
        .iter()
        .filter(|r| matches!(r["severity"].as_str(), Some("high" | "critical")))
        .collect();
    assert!(high.is_empty(), "{high:#?}");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn an_unreadable_release_is_unusable_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.tar.gz");
    let o = chainwatch(&[
        "audit",
        "release",
        missing.to_str().unwrap(),
        "--source",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.tar.gz"));
}

fn in_store(db: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", db])
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `audit package --record` keeps each package version's audit in the store: `audit
/// list` shows it with the product versions that hold it, and a policy's `suspicious`
/// condition turns it into a violation of those products.
#[test]
fn recorded_audits_reach_the_portfolio_and_policies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let sbom = dir.path().join("app.cdx.json");
    std::fs::write(
        &sbom,
        serde_json::json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "metadata": { "component": { "type": "application", "name": "app", "version": "1.0", "bom-ref": "app" } },
            "components": [
                { "type": "library", "name": "crossenv", "version": "6.1.1", "purl": "pkg:npm/crossenv@6.1.1", "bom-ref": "c" },
                { "type": "library", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0", "bom-ref": "l" }
            ]
        })
        .to_string(),
    )
    .unwrap();
    let o = in_store(&db, &["ingest", sbom.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[rule]]\nname = \"no-suspicious-packages\"\nlevel = \"fail\"\nwhen.suspicious = \"high\"\n",
    )
    .unwrap();
    let o = in_store(&db, &["policy", "apply", policy.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = in_store(&db, &["policy", "violations", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "nothing audited yet");

    let o = in_store(
        &db,
        &[
            "audit",
            "package",
            &samples("malicious/dev/14-npm-crossenv"),
            "--record",
            "--min-severity",
            "critical",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("recorded the audits of 1 package versions"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = in_store(&db, &["audit", "list", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["purl"], "pkg:npm/crossenv@6.1.1");
    assert_eq!(rows[0]["worst"], "critical");
    assert_eq!(
        rows[0]["products"],
        serde_json::json!([{ "product": "app", "version": "1.0" }])
    );
    // Everything was recorded, not only what --min-severity showed.
    assert!(
        rows[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] != "critical"),
        "{}",
        rows[0]["findings"]
    );
    let o = in_store(&db, &["policy", "violations", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let violations: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let components: Vec<&str> = violations
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["component"].as_str().unwrap())
        .collect();
    assert_eq!(components, ["pkg:npm/crossenv@6.1.1"], "{violations}");
    let o = in_store(&db, &["audit", "list", "--min-severity", "bad"]);
    assert_eq!(o.status.code(), Some(2));
}
