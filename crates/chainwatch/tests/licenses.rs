//! `chainwatch licenses`: every component's licence as an SPDX expression, names mapped
//! only where they name one licence, allow and deny lists evaluated on expressions, and
//! every real SBOM of the corpus read without an unparsed expression.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::process::{Command, Output, Stdio};

fn chainwatch(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", &db])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn fixture() -> String {
    chainwatch_testkit::workspace_root()
        .join("crates/chainwatch/tests/fixtures/licenses/shop.cdx.json")
        .display()
        .to_string()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).replace(&fixture(), "[fixture]")
}

#[test]
fn licences_of_an_sbom() {
    let o = chainwatch(&["licenses", &fixture()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    insta::assert_snapshot!("licenses_human", text(&o));
    let o = chainwatch(&["licenses", &fixture(), "--format", "json"]);
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["target"] = "[fixture]".into();
    insta::assert_json_snapshot!("licenses_json", v);
    let o = chainwatch(&["licenses", &fixture(), "--format", "csv"]);
    insta::assert_snapshot!("licenses_csv", text(&o));
}

#[test]
fn allow_and_deny_lists() {
    // copyleft holds network copyleft; `MIT OR Apache-2.0` is never denied by it.
    let o = chainwatch(&[
        "licenses",
        &fixture(),
        "--deny",
        "copyleft",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let refused: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("violation").is_some())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        refused,
        [
            "=HYPERLINK(\"http://x.invalid\")",
            "mongo-driver",
            "readline"
        ]
    );
    // An allow list: unknown and unstated licences are refused unless `unknown` is allowed.
    let o = chainwatch(&[
        "licenses",
        &fixture(),
        "--allow",
        "permissive,public-domain",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["violations"], 5, "{v}");
    let o = chainwatch(&[
        "licenses",
        &fixture(),
        "--allow",
        "permissive,copyleft,unknown",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // A list entry that is neither a licence nor a group is unusable input.
    let o = chainwatch(&["licenses", &fixture(), "--deny", "viral"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`viral` is not a licence or a group"));
    let o = chainwatch(&["licenses", "no-such-product@1.0"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Every real SBOM of the corpus: read, and every licence an expression the `spdx`
/// crate parses (an unknown name becomes a `LicenseRef-`, never an unparsed term).
#[test]
fn corpus_sboms() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![corpus.join("real-sboms")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut how: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut read = 0;
    for f in &files {
        let o = chainwatch(&["licenses", f.to_str().unwrap(), "--format", "json"]);
        // Files that are not SBOMs are refused as unusable input, never a crash.
        assert!(matches!(o.status.code(), Some(0 | 2)), "{}", f.display());
        if o.status.code() != Some(0) {
            continue;
        }
        read += 1;
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for c in v["components"].as_array().unwrap() {
            *how.entry(c["how"].as_str().unwrap().to_owned())
                .or_default() += 1;
            for t in c["terms"].as_array().unwrap() {
                let l = t["license"].as_str().unwrap();
                assert!(
                    !l.contains(" AND ") && !l.contains(" OR "),
                    "{}: `{l}` was not parsed",
                    f.display()
                );
            }
        }
    }
    assert!(read > 10, "{read} SBOMs read");
    assert!(how.get("spdx").copied().unwrap_or(0) > 1000, "{how:?}");
}
