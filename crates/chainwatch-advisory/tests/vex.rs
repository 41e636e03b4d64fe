//! VEX documents of the shared corpus: every OpenVEX, CycloneDX VEX and CSAF document
//! reads; the CSAF validator suite's mandatory test cases for the tests chainwatch
//! implements are flagged with the right code, and their valid cases are not.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};

use chainwatch_advisory::vex::{self, VexFormat, VexStatus};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("json" | "xml" | "yaml")
        ) {
            out.push(p);
        }
    }
}

#[test]
fn corpus_documents_read() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let vex_dir = corpus.join("vex");
    let mut all = Vec::new();
    for d in [
        "openvex-go-vex",
        "guac",
        "cyclonedx-bom-examples",
        "trustify-csaf",
    ] {
        files(&vex_dir.join(d), &mut all);
    }
    let mut read = 0;
    let mut statements = 0;
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        match vex::parse(&bytes) {
            Ok(doc) => {
                read += 1;
                statements += doc.statements.len();
            }
            Err(e) => {
                // CycloneDX SBOMs without vulnerabilities are not VEX.
                let name = path.display().to_string();
                assert!(
                    e.to_string().contains("no `vulnerabilities`"),
                    "{name}: {e}"
                );
            }
        }
    }
    assert!(read >= 30, "{read} of {}", all.len());
    assert!(statements > 1000, "{statements}");
    // OpenVEX: products with subcomponents.
    let doc = vex::parse(&std::fs::read(vex_dir.join("guac/open-vex-not-affected.json")).unwrap())
        .unwrap();
    assert_eq!(doc.format, VexFormat::OpenVex);
    let s = &doc.statements[0];
    assert_eq!(s.status, VexStatus::NotAffected);
    assert_eq!(s.vulnerability, "CVE-2023-12345");
    assert_eq!(s.components.len(), 2);
    assert_eq!(
        s.justification.as_deref(),
        Some("inline_mitigations_already_exist")
    );
    // CycloneDX: a BOM-Link naming the document's own subject.
    let doc =
        vex::parse(&std::fs::read(vex_dir.join("guac/cyclonedx-vex-false-positive.json")).unwrap())
            .unwrap();
    assert_eq!(doc.format, VexFormat::CycloneDx);
    assert_eq!(doc.statements[0].status, VexStatus::NotAffected);
    // The subject has a version: the statement is about that release only.
    assert_eq!(doc.statements[0].products, ["test-app-2@1.0.0"]);
    assert_eq!(
        doc.statements[0].analysis.as_deref(),
        Some("false_positive")
    );
    assert!(doc.statements[0].components.is_empty());
    // CSAF (Red Hat): components of products through relationships.
    let doc =
        vex::parse(&std::fs::read(vex_dir.join("trustify-csaf/rhsa-2024_3666.json")).unwrap())
            .unwrap();
    assert_eq!(doc.format, VexFormat::Csaf);
    assert!(doc.statements.iter().any(|s| !s.components.is_empty()));
}

/// The CSAF 2.0 validator suite (`testcases.json`): for every mandatory test chainwatch
/// implements, each failing case gets a problem with that test's code and no valid case
/// does.
#[test]
fn csaf_mandatory_tests() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let base = corpus.join("vex/csaf-oasis/csaf_2.0/test/validator/data");
    let cases: serde_json::Value =
        serde_json::from_slice(&std::fs::read(base.join("testcases.json")).unwrap()).unwrap();
    let implemented = [
        "6.1.1",
        "6.1.2",
        "6.1.3",
        "6.1.4",
        "6.1.5",
        "6.1.6",
        "6.1.27.1",
        "6.1.27.2",
        "6.1.27.3",
        "6.1.27.4",
        "6.1.27.5",
        "6.1.27.6",
        "6.1.27.7",
        "6.1.27.8",
        "6.1.27.9",
        "6.1.27.10",
        "6.1.27.11",
    ];
    let (mut caught, mut failures, mut clean, mut valid) = (0, 0, 0, 0);
    let mut missed = Vec::new();
    for test in cases["tests"].as_array().unwrap() {
        let id = test["id"].as_str().unwrap();
        if !implemented.contains(&id) {
            continue;
        }
        let code = format!("csaf-{id}");
        let flags = |name: &str| {
            let doc = vex::parse(&std::fs::read(base.join(name)).unwrap()).unwrap();
            doc.problems.iter().any(|p| p.code == code)
        };
        for f in test["failures"].as_array().into_iter().flatten() {
            failures += 1;
            let name = f["name"].as_str().unwrap();
            if flags(name) {
                caught += 1;
            } else {
                missed.push(name.to_owned());
            }
        }
        for v in test["valid"].as_array().into_iter().flatten() {
            valid += 1;
            let name = v["name"].as_str().unwrap();
            assert!(!flags(name), "{name} is valid for {id}");
            clean += 1;
        }
    }
    eprintln!(
        "CSAF mandatory: {caught}/{failures} failing cases caught, {clean}/{valid} valid cases clean"
    );
    assert_eq!(caught, failures, "missed: {missed:?}");
}
