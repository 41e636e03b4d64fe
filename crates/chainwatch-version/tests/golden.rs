//! Differential tests: pairs of versions ordered by each ecosystem's own implementation
//! (dpkg, rpm, Ruby's `Gem::Version`, composer/semver, Maven's `ComparableVersion`,
//! node-semver, Python's `packaging`), asked once by `scripts/golden/generate.py` and
//! kept in `tests/golden/<scheme>.tsv`.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::cmp::Ordering;
use std::fmt::Write as _;

use chainwatch_version::{Scheme, Version};

/// Where chainwatch deliberately differs from the oracle, with the reason.
fn deliberate(scheme: &str, a: &str, b: &str) -> Option<&'static str> {
    let v_prefix = |s: &str| s.starts_with(['v', 'V']);
    (scheme == "composer" && (v_prefix(a) || v_prefix(b))).then_some(
        "composer/semver compares `v1.2.3` as a word below every number (`v5.3.23 < 0`), but \
         composer.lock files record tags such as `v5.3.23` and Packagist advisories write \
         `5.3.23`: chainwatch drops the `v`, as Composer's version parser does",
    )
}

#[test]
fn agrees_with_each_ecosystems_own_tool() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut report = String::from("| scheme | oracle | agree | pairs |\n|---|---|---:|---:|\n");
    let mut failures = Vec::new();
    let mut deviations = std::collections::BTreeMap::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let scheme = Scheme::from_name(&name).unwrap();
        let oracle = text
            .lines()
            .next()
            .and_then(|l| l.split("answers of ").nth(1))
            .and_then(|l| l.split(',').next())
            .unwrap_or("?")
            .to_owned();
        let (mut agree, mut total) = (0, 0);
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let [a, op, b] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("bad line {line}")
            };
            total += 1;
            let want = match op {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                _ => Ordering::Greater,
            };
            let got = Version::parse(scheme, a)
                .and_then(|va| Ok(va.tool_cmp(&Version::parse(scheme, b)?)));
            match got {
                Ok(o) if o == want => agree += 1,
                other => {
                    if let Some(why) = deliberate(&name, a, b) {
                        *deviations.entry(why).or_insert(0usize) += 1;
                        continue;
                    }
                    failures.push(format!(
                        "{name}: `{a}` {op} `{b}` (oracle), chainwatch: {other:?}"
                    ));
                }
            }
        }
        writeln!(report, "| {name} | {oracle} | {agree} | {total} |").unwrap();
    }
    println!("{report}");
    for (why, n) in &deviations {
        println!("deliberate ({n} pairs): {why}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
