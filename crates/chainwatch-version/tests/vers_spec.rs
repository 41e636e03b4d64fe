//! The vers-spec suite: canonical parsing, validation (canonical form), containment and
//! native-range conversion. Prints the pass count per file.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::fmt::Write as _;

use chainwatch_version::{RawVers, Scheme, Vers, VersMode, native_to_vers};
use serde_json::Value;

/// Conversions where we deliberately differ from the suite: `(input, why)`.
const DEVIATIONS: &[(&str, &str)] = &[
    ("2.1 || 2.6", NODE_X_RANGE),
    (">= 2.2.x", NODE_X_RANGE),
    (">= 1.x", NODE_X_RANGE),
    ("<= 1.0", NODE_X_RANGE),
    ("<=2.1 >=1.1", NODE_X_RANGE),
    (
        ">= 0.2.0 <= 0.9.6 || ~0.8.0-pre",
        "node-semver: `~0.8.0-pre` is `>=0.8.0-pre <0.9.0`",
    ),
];
const NODE_X_RANGE: &str = "node-semver: a partial version is an x-range (`2.1` is `>=2.1.0 <2.2.0`, \
    `<=1.0` is `<1.1.0`) and `>=2.2.x` is `>=2.2.0`";

fn run(test: &Value) -> Result<(), String> {
    let input = &test["input"];
    let expected = &test["expected_output"];
    let failure = test["expected_failure"].as_bool().unwrap_or(false);
    match test["test_type"].as_str().unwrap() {
        "parse" => {
            let s = input.as_str().unwrap();
            match (RawVers::parse_with(s, VersMode::Strict), failure) {
                (Err(_), true) => Ok(()),
                (Ok(v), true) => Err(format!("accepted `{s}` as {v:?}")),
                (Err(e), false) => Err(format!("rejected `{s}`: {e}")),
                (Ok(v), false) => {
                    let got: Vec<Value> = v
                        .constraints
                        .iter()
                        .map(|(c, v)| serde_json::json!([c.as_str(), v]))
                        .collect();
                    let want = &expected["version_constraints"];
                    if v.scheme == expected["scheme"].as_str().unwrap()
                        && Value::Array(got.clone()) == *want
                    {
                        Ok(())
                    } else {
                        Err(format!("`{s}`: got {got:?}, want {want}"))
                    }
                }
            }
        }
        "validate" => {
            let s = input.as_str().unwrap();
            let mode = if test["test_group"] == "required" {
                VersMode::Strict
            } else {
                VersMode::Lenient
            };
            let v = Vers::parse_with(s, mode).map_err(|e| format!("`{s}`: {e}"))?;
            if Some(v.to_string().as_str()) == expected.as_str() {
                Ok(())
            } else {
                Err(format!("`{s}`: got `{v}`, want {expected}"))
            }
        }
        "containment" => {
            let vers = Vers::parse(input["vers"].as_str().unwrap()).map_err(|e| e.to_string())?;
            let got = vers
                .contains_str(input["version"].as_str().unwrap())
                .map_err(|e| e.to_string())?;
            if Some(got) == expected.as_bool() {
                Ok(())
            } else {
                Err(format!("{input}: got {got}"))
            }
        }
        "from_native" => {
            let scheme = Scheme::from_name(input["scheme"].as_str().unwrap()).unwrap();
            let range = input["native_range"].as_str().unwrap();
            let got = native_to_vers(scheme, range).map_err(|e| e.to_string())?;
            if Some(got.to_string().as_str()) == expected.as_str() {
                Ok(())
            } else {
                Err(format!("{scheme} `{range}`: got `{got}`, want {expected}"))
            }
        }
        // Comparison and equality tests run in `ordering_fixtures.rs`.
        _ => Ok(()),
    }
}

#[test]
fn vers_spec_suite() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(corpus.join("vers-spec/tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            !n.contains("cmp_test") && !n.starts_with("lexicographic")
        })
        .collect();
    files.sort();
    let mut report = String::from("| file | passed | total |\n|---|---:|---:|\n");
    let mut failures = Vec::new();
    let mut deviations = Vec::new();
    let mut native_failures = Vec::new();
    for path in &files {
        let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (mut passed, mut total) = (0, 0);
        for test in doc["tests"].as_array().unwrap() {
            total += 1;
            match run(test) {
                Ok(()) => passed += 1,
                Err(e) => {
                    let native = test["input"]["native_range"].as_str();
                    if let Some(why) = native.and_then(|n| DEVIATIONS.iter().find(|(i, _)| *i == n))
                    {
                        deviations.push(format!("{name}: {e}: {}", why.1));
                    } else if native.is_some() {
                        native_failures.push(format!("{name}: {e}"));
                    } else {
                        failures.push(format!("{name}: {e}"));
                    }
                }
            }
        }
        writeln!(report, "| {name} | {passed} | {total} |").unwrap();
    }
    println!("{report}");
    for d in &deviations {
        println!("deviation: {d}");
    }
    for f in &native_failures {
        println!("native: {f}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        native_failures.is_empty(),
        "{} native conversions differ:\n{}",
        native_failures.len(),
        native_failures.join("\n")
    );
}
