//! The CycloneDX specification's own test suite: every `valid-*` document (JSON and XML,
//! 1.0–1.7) validates in strict mode; `invalid-*` documents are rejected.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chainwatch_sbom::{ValidateOptions, validate};

#[derive(Default, Debug)]
struct Tally {
    valid: usize,
    valid_ok: usize,
    invalid: usize,
    invalid_rejected: usize,
    informal: usize,
    informal_rejected: usize,
}

/// Whether chainwatch rejects the file in strict mode (`None`: cannot be read at all,
/// which counts as a rejection).
fn rejected(path: &Path) -> (bool, String) {
    let bytes = std::fs::read(path).expect("readable corpus file");
    let options = ValidateOptions {
        strict: true,
        ..ValidateOptions::default()
    };
    match validate(&bytes, &options) {
        Ok(v) if v.is_valid() => (false, String::new()),
        Ok(v) => (
            true,
            v.diagnostics
                .iter()
                .filter(|d| d.severity == chainwatch_sbom::Severity::Error)
                .map(|d| format!("{}: {} at {}", d.code.as_str(), d.message, d.location))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => (true, e.to_string()),
    }
}

#[test]
fn cyclonedx_test_resources() {
    let Some(root) = chainwatch_testkit::corpus_path("cyclonedx-spec/test-resources") else {
        return;
    };
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("test-resources")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let version = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("version dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if !(ext.eq_ignore_ascii_case("json") || ext.eq_ignore_ascii_case("xml")) {
                continue; // protobuf text format is not an exchange format chainwatch reads
            }
            let t = tallies.entry(version.clone()).or_default();
            let (rej, why) = rejected(&path);
            if name.starts_with("valid-") {
                t.valid += 1;
                if rej {
                    failures.push(format!("{version}/{name}: valid but rejected: {why}"));
                } else {
                    t.valid_ok += 1;
                }
            } else if name.starts_with("invalid-") {
                t.invalid += 1;
                if rej {
                    t.invalid_rejected += 1;
                } else {
                    failures.push(format!("{version}/{name}: invalid but accepted"));
                }
            } else if name.starts_with("informal-invalid-") {
                t.informal += 1;
                if rej {
                    t.informal_rejected += 1;
                }
            }
        }
    }
    let mut report = String::new();
    for (v, t) in &tallies {
        let _ = writeln!(
            report,
            "{v}: valid {}/{} accepted, invalid {}/{} rejected, informal {}/{}",
            t.valid_ok, t.valid, t.invalid_rejected, t.invalid, t.informal_rejected, t.informal
        );
    }
    eprintln!("{report}{}", failures.join("\n"));
    for (v, t) in &tallies {
        assert_eq!(
            t.valid_ok, t.valid,
            "{v}: every valid document must be accepted"
        );
        assert!(
            t.invalid_rejected * 100 >= t.invalid * 95,
            "{v}: at least 95% of invalid documents must be rejected"
        );
    }
}
