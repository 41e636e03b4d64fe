//! `chainwatch policy` and `scan --policy`: a policy file's rules evaluated on a real
//! SBOM (licences, malicious packages, ranges, product scopes), its examples run, and its
//! errors located by line.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::process::{Command, Output, Stdio};

fn chainwatch(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", &db])
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", "/nonexistent/chainwatch-test-cache")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn fixture(path: &str) -> String {
    chainwatch_testkit::workspace_root()
        .join("crates/chainwatch/tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

#[test]
fn policy_examples_run() {
    let o = chainwatch(&["policy", "test", &fixture("policy/policy.toml")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 examples, 0 failed (4 rules)"));
    // An example that expects the wrong rules fails the run.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("policy/policy.toml"))
        .unwrap()
        .replace("violates = [\"no-copyleft-in-shop\"]", "violates = []");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, text).unwrap();
    let o = chainwatch(&["policy", "test", bad.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["passed"], false);
    assert_eq!(rows[0]["violated"][0], "no-copyleft-in-shop");
}

#[test]
fn scan_with_a_policy() {
    let sbom = fixture("licenses/shop.cdx.json");
    let policy = fixture("policy/policy.toml");
    let osv = fixture("policy/osv");
    let o = chainwatch(&[
        "scan",
        &sbom,
        "--advisories",
        &osv,
        "--policy",
        &policy,
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
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let violations: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "policy")
        .map(|r| {
            (
                r["level"].as_str().unwrap().to_owned(),
                r["rule"].as_str().unwrap().to_owned(),
                r["component"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = |l: &str, r: &str, c: &str| (l.to_owned(), r.to_owned(), c.to_owned());
    assert_eq!(
        violations,
        [
            expect("fail", "malicious", "pkg:npm/oddball@0.1.0"),
            expect("fail", "no-copyleft-in-shop", "pkg:generic/readline@8.2"),
            expect("fail", "no-copyleft-in-shop", "pkg:npm/hyperlink@1.0"),
            expect("fail", "no-copyleft-in-shop", "pkg:npm/mongo-driver@1.0.0"),
            expect("warn", "licence-known", "pkg:npm/oddball@0.1.0"),
            expect("warn", "licence-known", "pkg:npm/unlabelled@2.0.0"),
            expect("info", "old-serde", "pkg:cargo/serde@1.0.200"),
        ]
    );
    // SARIF: one rule per policy rule.
    let o = chainwatch(&[
        "scan",
        &sbom,
        "--advisories",
        &osv,
        "--policy",
        &policy,
        "--no-typosquat",
        "--format",
        "sarif",
    ]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"policy/no-copyleft-in-shop") && rules.contains(&"MAL-2026-0042"),
        "{rules:?}"
    );
    // `policy check` is the same evaluation; a warn-only policy passes.
    let dir = tempfile::tempdir().unwrap();
    let warn = dir.path().join("warn.toml");
    std::fs::write(
        &warn,
        "[[rule]]\nname = \"licence-known\"\nlevel = \"warn\"\nwhen.license.deny = [\"unknown\"]\n",
    )
    .unwrap();
    let o = chainwatch(&[
        "policy",
        "check",
        &sbom,
        "--policy",
        warn.to_str().unwrap(),
        "--advisories",
        &fixture("osv"),
        "--no-typosquat",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "WARN  licence-known  pkg:npm/unlabelled@2.0.0: licence needs NOASSERTION (unknown)"
        ),
        "{text}"
    );
}

#[test]
fn policy_errors_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"x\"\nlevel = \"fail\"\nwhen.severity = \"dire\"\n",
    )
    .unwrap();
    let o = chainwatch(&["policy", "test", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml: line 4, column 17: severity `dire`"),
        "{err}"
    );
    let o = chainwatch(&["policy", "check", &fixture("licenses/shop.cdx.json")]);
    assert_eq!(o.status.code(), Some(2));
}

/// The example policy of docs/policies.md parses and its examples pass.
#[test]
fn the_documented_policy_works() {
    let doc =
        std::fs::read_to_string(chainwatch_testkit::workspace_root().join("docs/policies.md"))
            .unwrap();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 2, "rules and analyses are documented");
    let dir = tempfile::tempdir().unwrap();
    for block in blocks {
        let file = dir.path().join("policy.toml");
        std::fs::write(&file, block).unwrap();
        let o = chainwatch(&["policy", "test", file.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{block}\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Product rules: the scanned SBOM's NTIA gaps and the store's (absent) provenance,
/// one violation each naming the product version.
#[test]
fn product_rules_name_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("release.toml");
    std::fs::write(
        &file,
        "[[rule]]\nname = \"ntia\"\nlevel = \"warn\"\nwhen.ntia = true\n\
         [[rule]]\nname = \"attested\"\nlevel = \"fail\"\nwhen.builders = [\"https://github.com/*\"]\n",
    )
    .unwrap();
    let o = chainwatch(&[
        "scan",
        &fixture("licenses/shop.cdx.json"),
        "--advisories",
        &fixture("policy/osv"),
        "--policy",
        file.to_str().unwrap(),
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
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let policy: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "policy")
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(policy.len(), 2, "{policy:?}");
    assert_eq!(
        policy[0],
        (
            "attested".to_owned(),
            "no verified provenance attestation".to_owned()
        )
    );
    assert_eq!(policy[1].0, "ntia");
    assert!(
        policy[1]
            .1
            .starts_with("NTIA minimum elements missing: supplier ("),
        "{policy:?}"
    );
}

/// A vulnerability policy decides a finding until a date: the scan passes while the
/// decision holds and fails after it, and the JSON row shows the decision.
#[test]
fn vulnerability_policies_decide_until_a_date() {
    let sbom = fixture("licenses/shop.cdx.json");
    let osv = fixture("policy/osv");
    let dir = tempfile::tempdir().unwrap();
    let policy = |until: &str| {
        let file = dir.path().join(format!("policy-{until}.toml"));
        std::fs::write(
            &file,
            format!(
                "[[rule]]\nname = \"malicious\"\nlevel = \"fail\"\nwhen.malicious = true\n\
                 [[analysis]]\nname = \"oddball-reviewed\"\nstate = \"false_positive\"\n\
                 detail = \"our own package, published by us\"\nuntil = \"{until}\"\n\
                 when = {{ advisories = [\"MAL-2026-0042\"], packages = [\"pkg:npm/oddball\"] }}\n"
            ),
        )
        .unwrap();
        file.display().to_string()
    };
    let scan = |file: &str| {
        chainwatch(&[
            "scan",
            &sbom,
            "--advisories",
            &osv,
            "--policy",
            file,
            "--no-typosquat",
            "--format",
            "json",
        ])
    };
    let o = scan(&policy("2999-12-31"));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["advisory"] == "MAL-2026-0042")
        .unwrap();
    assert_eq!(row["vex_status"], "not_affected");
    assert_eq!(row["vex_justification"], "false_positive");
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] != "policy")
    );
    // A statement given with the scan is the later word: the finding is open again.
    let vex = dir.path().join("affected.json");
    std::fs::write(
        &vex,
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex-oddball",
            "author": "alice", "timestamp": "2020-01-01T00:00:00Z",
            "statements": [{"vulnerability": {"name": "MAL-2026-0042"},
                "products": [{"@id": "pkg:npm/oddball@0.1.0"}], "status": "affected",
                "action_statement": "remove it"}]}"#,
    )
    .unwrap();
    let o = chainwatch(&[
        "scan",
        &sbom,
        "--advisories",
        &osv,
        "--policy",
        &policy("2999-12-31"),
        "--vex",
        vex.to_str().unwrap(),
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
    // After the window: open again, and the rule fails the scan.
    let o = scan(&policy("2020-01-01"));
    assert_eq!(o.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "policy" && r["rule"] == "malicious")
    );
}

fn in_store(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", db])
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", "/nonexistent/chainwatch-test-cache")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// (level, rule, component) of JSON violation rows.
fn triples(rows: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["level"].as_str().unwrap().to_owned(),
                r["rule"].as_str().unwrap().to_owned(),
                r["component"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A policy applied to the store: the violations it records for a stored product are the
/// ones `policy check` finds in the same document; advisories and tags re-evaluate it;
/// removing it resolves everything.
#[test]
fn the_stored_policy_agrees_with_scan() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let sbom = fixture("licenses/shop.cdx.json");
    let policy = fixture("policy/policy.toml");
    let o = in_store(&db, &["policy", "violations"]);
    assert_eq!(o.status.code(), Some(0));
    let o = in_store(&db, &["ingest", &sbom, "--tag", "prod,team-a"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = in_store(&db, &["policy", "apply", &policy]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("applied a policy of 4 rules"), "{text}");
    // The malicious package's advisory arrives after the policy: re-evaluated.
    let o = in_store(&db, &["advisories", "import", &fixture("policy/osv")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("policy: 1 new violations (1 fail)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = in_store(&db, &["policy", "violations", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "fail violations hold");
    let stored = triples(&serde_json::from_slice(&o.stdout).unwrap());
    let o = in_store(
        &db,
        &[
            "policy",
            "check",
            "shop@1.0",
            "--policy",
            &policy,
            "--no-typosquat",
            "--format",
            "json",
        ],
    );
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let checked: Vec<serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "policy")
        .cloned()
        .collect();
    assert_eq!(stored, triples(&serde_json::Value::Array(checked)));
    assert_eq!(stored.len(), 7, "{stored:?}");
    // Filters, SARIF, the human listing.
    let o = in_store(
        &db,
        &[
            "policy",
            "violations",
            "shop",
            "--level",
            "fail",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        triples(&serde_json::from_slice(&o.stdout).unwrap()).len(),
        4
    );
    let o = in_store(&db, &["policy", "violations", "--rule", "old-serde"]);
    assert_eq!(o.status.code(), Some(0), "an info violation does not fail");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with("INFO  shop@1.0  old-serde  pkg:cargo/serde@1.0.200: matches `pkg:cargo/serde`; version 1.0.200 in"),
        "{text}"
    );
    let o = in_store(&db, &["policy", "violations", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 7);
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let o = in_store(&db, &["policy", "show"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        std::fs::read_to_string(&policy).unwrap()
    );
    // A tag-scoped rule follows the product's tags.
    let scoped = dir.path().join("scoped.toml");
    std::fs::write(
        &scoped,
        "[[rule]]\nname = \"no-npm-in-prod\"\nlevel = \"warn\"\ntags = [\"prod\"]\nwhen.packages = [\"pkg:npm/*\"]\n",
    )
    .unwrap();
    let o = in_store(
        &db,
        &[
            "policy",
            "apply",
            scoped.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let applied: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (applied["open"].clone(), applied["resolved"].clone()),
        (4.into(), 7.into()),
        "{applied}"
    );
    // An unusable policy changes nothing.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"x\"\nlevel = \"fail\"\nwhen.severity = \"dire\"\n",
    )
    .unwrap();
    let o = in_store(&db, &["policy", "apply", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 4"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = in_store(&db, &["policy", "show"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("no-npm-in-prod"));
    // Removed: everything resolves.
    let o = in_store(&db, &["policy", "apply", "--remove", "--format", "json"]);
    let applied: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (applied["active"].clone(), applied["resolved"].clone()),
        (false.into(), 4.into())
    );
    let o = in_store(
        &db,
        &[
            "policy",
            "violations",
            "--state",
            "resolved",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        triples(&serde_json::from_slice(&o.stdout).unwrap()).len(),
        11
    );
}
