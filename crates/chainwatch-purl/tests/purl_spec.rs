//! The official purl-spec test suite (`purl-spec/tests/spec` and `purl-spec/tests/types`):
//! every parse, validate (round trip to canonical) and build test, including every
//! `expected_failure` case.
//!
//! Tests of the `required` group run with [`ParseMode::Strict`] (ECMA-427 conformance);
//! tests of the `recommended` group, which check normalization of non-conforming input,
//! run with [`ParseMode::Lenient`].

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use chainwatch_purl::{ParseMode, Purl};
use serde_json::Value;

/// Tests we believe are wrong, with the reason. They are reported, not counted as passed.
const DISPUTED: &[(&str, &str, &str)] = &[(
    "maven-test.json",
    "pkg:Maven/org.apache.xmlgraphics/batik-anim@1.9.1?type=pom&repositorY_url=repo.spring.io/release",
    "a `required` parse test that expects the non-lower-case key `repositorY_url` to be accepted, \
     while the `required` rpm and gem parse tests expect `Arch=` and `Platform=` to be rejected \
     (ECMA-427: a key MUST be lower case); its sibling validate test is `recommended`",
)];

fn is_disputed(file: &str, test: &Value) -> bool {
    DISPUTED.iter().any(|(f, input, _)| {
        *f == file && test["input"].as_str() == Some(*input) && test["test_group"] == "required"
    })
}

fn mode(test: &Value) -> ParseMode {
    if test["test_group"] == "recommended" {
        ParseMode::Lenient
    } else {
        ParseMode::Strict
    }
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

fn components(purl: &Purl) -> Value {
    let qualifiers: BTreeMap<&str, &str> = purl.qualifiers().iter().collect();
    serde_json::json!({
        "type": purl.ty(),
        "namespace": purl.namespace(),
        "name": purl.name(),
        "version": purl.version(),
        "qualifiers": if qualifiers.is_empty() { Value::Null } else { serde_json::to_value(qualifiers).unwrap() },
        "subpath": purl.subpath(),
    })
}

fn normalize_expected(expected: &Value) -> Value {
    let mut e = expected.clone();
    if e["qualifiers"]
        .as_object()
        .is_some_and(serde_json::Map::is_empty)
    {
        e["qualifiers"] = Value::Null;
    }
    e
}

fn build(input: &Value) -> Result<Purl, String> {
    let ty = opt_str(&input["type"]).ok_or("no type")?;
    let name = opt_str(&input["name"]).unwrap_or("");
    let mut b = Purl::builder(ty, name);
    if let Some(ns) = opt_str(&input["namespace"]) {
        b = b.namespace(ns);
    }
    if let Some(v) = opt_str(&input["version"]) {
        b = b.version(v);
    }
    if let Some(q) = input["qualifiers"].as_object() {
        for (k, v) in q {
            b = b.qualifier(k.as_str(), v.as_str().unwrap_or(""));
        }
    }
    if let Some(s) = opt_str(&input["subpath"]) {
        b = b.subpath(s);
    }
    b.build().map_err(|e| e.to_string())
}

/// Runs one test; `Err` describes the failure.
fn run(test: &Value) -> Result<(), String> {
    let failure = test["expected_failure"].as_bool().unwrap_or(false);
    let expected = &test["expected_output"];
    match test["test_type"].as_str() {
        Some("parse") => {
            let input = test["input"]
                .as_str()
                .ok_or("parse input is not a string")?;
            match (Purl::parse_with(input, mode(test)), failure) {
                (Ok(p), true) => Err(format!("accepted `{input}` as `{p}`")),
                (Err(_), true) => Ok(()),
                (Err(e), false) => Err(format!("rejected `{input}`: {e}")),
                (Ok(p), false) => {
                    let got = components(&p);
                    let want = normalize_expected(expected);
                    if got == want {
                        Ok(())
                    } else {
                        Err(format!("`{input}`: got {got}, want {want}"))
                    }
                }
            }
        }
        Some("validate") => {
            let input = test["input"]
                .as_str()
                .ok_or("validate input is not a string")?;
            match (Purl::parse_with(input, mode(test)), failure) {
                (Ok(p), true) => Err(format!("accepted `{input}` as `{p}`")),
                (Err(_), true) => Ok(()),
                (Err(e), false) => Err(format!("rejected `{input}`: {e}")),
                (Ok(p), false) => {
                    let got = p.to_string();
                    if Some(got.as_str()) == expected.as_str() {
                        Ok(())
                    } else {
                        Err(format!("`{input}`: got `{got}`, want {expected}"))
                    }
                }
            }
        }
        Some("build") => match (build(&test["input"]), failure) {
            (Ok(p), true) => Err(format!("built `{p}` from {}", test["input"])),
            (Err(_), true) => Ok(()),
            (Err(e), false) => Err(format!("could not build {}: {e}", test["input"])),
            (Ok(p), false) => {
                let got = p.to_string();
                if Some(got.as_str()) == expected.as_str() {
                    Ok(())
                } else {
                    Err(format!("built `{got}`, want {expected}"))
                }
            }
        },
        other => Err(format!("unknown test type {other:?}")),
    }
}

#[test]
fn purl_spec_suite_passes_completely() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let tests_dir = corpus.join("purl-spec/tests");
    let mut files: Vec<_> = ["spec", "types"]
        .iter()
        .flat_map(|d| std::fs::read_dir(tests_dir.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() > 40,
        "expected the whole suite, found {} files",
        files.len()
    );

    let mut report = String::from("| file | passed | total |\n|---|---:|---:|\n");
    let mut failures = Vec::new();
    let (mut passed_all, mut total_all, mut disputed_all) = (0, 0, 0);
    for file in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let tests = doc["tests"].as_array().unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        let mut passed = 0;
        let mut disputed = 0;
        for test in tests {
            if is_disputed(&name, test) {
                disputed += 1;
                assert!(
                    run(test).is_err(),
                    "disputed test now passes: {}",
                    test["input"]
                );
                continue;
            }
            match run(test) {
                Ok(()) => passed += 1,
                Err(why) => failures.push(format!("{name}: {}: {why}", test["description"])),
            }
        }
        let note = if disputed > 0 {
            format!(" ({disputed} disputed)")
        } else {
            String::new()
        };
        writeln!(report, "| {name} | {passed} | {}{note} |", tests.len()).unwrap();
        passed_all += passed;
        disputed_all += disputed;
        total_all += tests.len();
    }
    writeln!(
        report,
        "| **all {} files** | **{passed_all}** | **{total_all}** ({disputed_all} disputed) |",
        files.len()
    )
    .unwrap();
    for (file, input, why) in DISPUTED {
        writeln!(report, "\nDisputed, in `{file}`: `{input}`: {why}").unwrap();
    }
    println!("{report}");
    write_report(&report);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Keeps the per-file table in `target/` for the benchmark and conformance docs.
fn write_report(report: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::write(dir.join("purl-spec-report.md"), report);
}

#[test]
fn every_type_of_the_purl_types_index_is_registered() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let index: Vec<String> = serde_json::from_slice(
        &std::fs::read(corpus.join("purl-spec/purl-types-index.json")).unwrap(),
    )
    .unwrap();
    let ours: Vec<&str> = chainwatch_purl::registered_types().collect();
    assert_eq!(ours, index.iter().map(String::as_str).collect::<Vec<_>>());
}
