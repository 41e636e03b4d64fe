//! The rules against packages: the inert reconstructions of real malicious packages in
//! `malicious/dev/` (each must be caught, except the misses listed here with why) and
//! hand-written benign packages in `benign/` (none may raise a finding). The samples in
//! `malicious/holdout/` are read only by the benchmark.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chainwatch_audit::{Ecosystem, Options, Severity, audit_package};
use chainwatch_typosquat::{Detector, Popular, Verdict};

/// Options with typo-squat checks over the built-in popular lists.
fn with_typosquat(f: impl FnOnce(&Options<'_>)) {
    let detectors: Vec<(Ecosystem, Detector)> = [
        Ecosystem::Npm,
        Ecosystem::Pypi,
        Ecosystem::Crates,
        Ecosystem::Rubygems,
    ]
    .into_iter()
    .map(|e| {
        (
            e,
            Detector::new(e.typosquat(), &Popular::builtin(e.typosquat())),
        )
    })
    .collect();
    let check = |e: Ecosystem, name: &str| -> Option<Verdict> {
        detectors
            .iter()
            .find(|(x, _)| *x == e)
            .map(|(_, d)| d.check(name))
    };
    let options = Options {
        typosquat: Some(&check),
        ..Options::default()
    };
    f(&options);
}

fn here(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

fn dirs(rel: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(here(rel))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// Samples no rule catches yet, and why (a closing note lists them too).
const KNOWN_MISSES: &[(&str, &str)] = &[
    (
        "18-pypi-ssh-decorate",
        "credentials sent by an ordinary-looking logging helper",
    ),
    (
        "26-npm-solana-web3js",
        "a key sent in HTTP headers from an ordinary-looking helper",
    ),
    (
        "47-rubygems-wp_posting_duo",
        "credentials posted to a look-alike service's URL",
    ),
];

#[test]
fn every_malicious_sample_is_caught() {
    with_typosquat(every_malicious_sample_is_caught_with);
}

fn every_malicious_sample_is_caught_with(options: &Options<'_>) {
    let mut seen = BTreeMap::new();
    let mut missed = Vec::new();
    for dir in dirs("malicious/dev") {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let report = audit_package(&dir, options).unwrap();
        let mut rules: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Medium)
            .map(|f| format!("{}:{}", f.rule, f.severity))
            .collect();
        rules.sort();
        rules.dedup();
        let known = KNOWN_MISSES.iter().any(|(m, _)| *m == name);
        if rules.is_empty() && !known {
            missed.push(name.clone());
        }
        assert!(
            !known || rules.is_empty(),
            "{name} is caught now: take it off KNOWN_MISSES ({rules:?})"
        );
        seen.insert(name, rules);
    }
    assert!(missed.is_empty(), "not caught: {missed:?}\n{seen:#?}");
    assert!(seen.len() >= 30, "{}", seen.len());
    // Which rules catch what, so a change in coverage shows in review.
    insta::assert_json_snapshot!("malicious-dev", seen);
}

#[test]
fn benign_packages_raise_nothing() {
    with_typosquat(|options| {
        for dir in dirs("benign") {
            benign(&dir, options);
        }
    });
}

fn benign(dir: &Path, options: &Options<'_>) {
    {
        let report = audit_package(dir, options).unwrap();
        assert!(
            report.findings.is_empty(),
            "{}: {:#?}",
            dir.display(),
            report.findings
        );
        assert!(report.package.is_some(), "{}", dir.display());
    }
}
