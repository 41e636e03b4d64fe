//! Every real SBOM of the corpus reads in lenient mode (those that are not SBOMs, or not
//! a supported serialization, are listed with the reason); the trustify edge cases give
//! diagnostics, never a panic; the decompression bomb is refused.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::time::Instant;

use chainwatch_sbom::{Code, ReadError, ReadOptions, read};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if !p.file_name().unwrap().to_string_lossy().ends_with(".md") {
            out.push(p);
        }
    }
}

/// Files of `real-sboms/` that are not SBOMs chainwatch reads, with why.
const NOT_READ: &[(&str, &str)] = &[
    ("bomb.bz2", "a decompression bomb, refused by design"),
    (
        "indigestable.json",
        "SPDX tag-value key names in JSON (`SPDXVersion`): not SPDX JSON",
    ),
    ("invalid-cyclonedx.xml", "deliberately not well-formed XML"),
    (
        "invalid-cyclonedx.json",
        "GUAC's deliberately invalid document: `bomFormat` `CDX`, `specVersion` `1`",
    ),
    (
        "invalid-spdx.json",
        "GUAC's deliberately invalid document: `spdxVersion` is the number 2",
    ),
];

#[test]
fn every_real_sbom_reads() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let mut all = Vec::new();
    files(&corpus.join("real-sboms"), &mut all);
    all.sort();
    let mut failures = Vec::new();
    let mut read_ok = 0;
    for path in &all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let started = Instant::now();
        let result = read(&bytes, &ReadOptions::default());
        let expected_failure = NOT_READ.iter().find(|(n, _)| *n == name);
        match (result, expected_failure) {
            (Ok(parsed), None) => {
                read_ok += 1;
                println!(
                    "ok   {name}: {} {} components, {} relationships, {} diagnostics",
                    parsed.sbom.format,
                    parsed.sbom.components.len(),
                    parsed.sbom.relationships.len(),
                    parsed.diagnostics.len()
                );
            }
            (Err(e), Some((_, why))) => println!("skip {name}: {e} ({why})"),
            (Ok(_), Some(_)) => failures.push(format!("{name}: expected not to read, but it did")),
            (Err(e), None) => failures.push(format!("{name}: {e}")),
        }
        assert!(
            started.elapsed().as_secs() < 20,
            "{name} took {:?}",
            started.elapsed()
        );
    }
    println!("{read_ok} of {} files read", all.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decompression_bomb_is_refused_quickly() {
    let Some(path) = chainwatch_testkit::corpus_path("real-sboms/trustify/adversarial/bomb.bz2")
    else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let started = Instant::now();
    let err = read(&bytes, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::Input(chainwatch_sbom::InputError::TooLarge { .. })
        ),
        "{err}"
    );
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn trustify_edge_cases_give_diagnostics() {
    let Some(dir) = chainwatch_testkit::corpus_path("real-sboms/trustify/edge-cases") else {
        return;
    };
    let check = |rel: &str, code: Code| {
        let bytes = std::fs::read(dir.join(rel)).unwrap();
        let parsed = read(&bytes, &ReadOptions::default()).unwrap();
        assert!(
            parsed.diagnostics.iter().any(|d| d.code == code),
            "{rel}: expected {code:?}, got {:?}",
            parsed.diagnostics
        );
    };
    check("cyclonedx/broken-refs.json", Code::DanglingRef);
    check("cyclonedx/invalid-purl.json", Code::InvalidPurl);
    check("spdx/broken-refs.json", Code::DanglingRef);
    check("spdx/self.json", Code::SelfRef);
    // Cycles across relationship kinds and repeated subtrees are legal: they read.
    for rel in [
        "spdx/double-ref.json",
        "spdx/simple-dup.json",
        "spdx/loop.json",
        "cyclonedx/loop.json",
        "cyclonedx/cyclonedx-circular.json",
    ] {
        let bytes = std::fs::read(dir.join(rel)).unwrap();
        let parsed = read(&bytes, &ReadOptions::default()).unwrap();
        assert!(!parsed.sbom.relationships.is_empty(), "{rel}");
    }
}
