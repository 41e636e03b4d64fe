//! SPDX 2.2/2.3 and 3.0 documents from the SPDX projects: the specification's examples,
//! the spdx-tools (Python) fixtures, spdx-examples and the NTIA conformance checker cases.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chainwatch_sbom::{Code, Format, Sbom, Severity, ValidateOptions, read, validate};

fn corpus(rel: &str) -> Option<PathBuf> {
    chainwatch_testkit::corpus_path(rel)
}

fn load(path: &Path) -> Sbom {
    let bytes = std::fs::read(path).expect("corpus file");
    read(&bytes, &chainwatch_sbom::ReadOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .sbom
}

/// What must survive any serialization: components and relationships, order-free.
fn essence(s: &Sbom) -> (BTreeSet<String>, BTreeSet<String>) {
    let components = s
        .components
        .iter()
        .map(|c| {
            let mut hashes: Vec<String> = c
                .hashes
                .iter()
                .map(|h| {
                    format!(
                        "{}={}",
                        h.alg.cyclonedx_name(),
                        h.value.to_ascii_lowercase()
                    )
                })
                .collect();
            hashes.sort();
            let licenses: Vec<String> = c
                .licenses
                .iter()
                .map(|l| chainwatch_sbom::canonical_license(&l.to_expression()))
                .collect();
            format!(
                "{}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}",
                c.id,
                c.name,
                c.kind,
                c.version,
                c.purl,
                c.supplier,
                c.license_concluded
                    .as_deref()
                    .map(chainwatch_sbom::canonical_license),
                licenses.join(","),
                hashes
            )
        })
        .collect();
    let relationships = s
        .relationships
        .iter()
        .map(|r| format!("{} {} {}", r.from, r.kind.as_str(), r.to))
        .collect();
    (components, relationships)
}

fn strict_errors(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("corpus file");
    let options = ValidateOptions {
        strict: true,
        ..ValidateOptions::default()
    };
    match validate(&bytes, &options) {
        Ok(v) => v
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{} {}: {}", d.code.as_str(), d.location, d.message))
            .collect(),
        Err(e) => vec![e.to_string()],
    }
}

#[test]
fn spec_examples_give_one_model_in_every_serialization() {
    let mut rdf_checked = 0;
    for (dir, json, yaml, tv) in [
        (
            "spdx/spdx-spec/v2.3",
            "SPDXJSONExample-v2.3.spdx.json",
            "SPDXYAMLExample-2.3.spdx.yaml",
            "SPDXTagExample-v2.3.spdx",
        ),
        (
            "spdx/tools-python/tests/spdx/data",
            "SPDXJSONExample-v2.3.spdx.json",
            "SPDXYAMLExample-v2.3.spdx.yaml",
            "SPDXTagExample-v2.3.spdx",
        ),
        (
            "spdx/tools-python/tests/spdx/data",
            "SPDXJSONExample-v2.2.spdx.json",
            "SPDXYAMLExample-v2.2.spdx.yaml",
            "SPDXTagExample-v2.2.spdx",
        ),
        (
            "spdx/tools-python/tests/spdx/data",
            "SPDXJSONExample-UTF-16.spdx.json",
            "SPDXYAMLExample-UTF-16.spdx.yaml",
            "SPDXTagExample-UTF-16.spdx",
        ),
    ] {
        let Some(dir) = corpus(dir) else { return };
        let j = load(&dir.join(json));
        let y = load(&dir.join(yaml));
        let t = load(&dir.join(tv));
        assert_eq!(
            (j.format, y.format, t.format),
            (Format::SpdxJson, Format::SpdxYaml, Format::SpdxTagValue)
        );
        let (ej, ey, et) = (essence(&j), essence(&y), essence(&t));
        assert!(!ej.0.is_empty());
        assert_eq!(ej, ey, "{json} vs {yaml}");
        // JSON's `hasFiles` states the containment that tag-value leaves implicit (a
        // file follows the package it belongs to): the same edges either way.
        assert_eq!(ej.0, et.0, "{json} vs {tv}");
        assert_eq!(ej.1, et.1, "{json} vs {tv}");
        // What the model does not keep is counted alike in every serialization, so that
        // every conversion says the same about what it leaves out.
        assert!(!j.not_kept.is_empty(), "{json}");
        assert_eq!(j.not_kept, y.not_kept, "{json} vs {yaml}");
        assert_eq!(j.not_kept, t.not_kept, "{json} vs {tv}");
        // The XML serialization beside it, where there is one.
        let xml = json.replace("JSON", "XML").replace(".json", ".xml");
        if dir.join(&xml).is_file() {
            let x = load(&dir.join(&xml));
            assert_eq!(x.format, Format::SpdxXml);
            assert_eq!(ej, essence(&x), "{json} vs {xml}");
            assert_eq!(j.not_kept, x.not_kept, "{json} vs {xml}");
        }
        // And the RDF/XML one: the same graph, whatever order its sets come in.
        let rdf = json.replace("JSON", "Rdf").replace(".json", ".rdf.xml");
        if dir.join(&rdf).is_file() {
            let r = load(&dir.join(&rdf));
            assert_eq!(r.format, Format::SpdxRdfXml);
            assert_eq!(ej, essence(&r), "{json} vs {rdf}");
            assert_eq!(j.not_kept, r.not_kept, "{json} vs {rdf}");
            rdf_checked += 1;
        }
        assert_eq!(
            (
                j.name.as_deref(),
                j.created.as_deref(),
                j.subject.as_deref()
            ),
            (
                t.name.as_deref(),
                t.created.as_deref(),
                t.subject.as_deref()
            )
        );
    }
    // The specification's 2.2 and 2.3 examples and spdx-tools' copies of them.
    if corpus("spdx").is_some() {
        assert_eq!(rdf_checked, 4);
    }
}

#[test]
fn spec_and_tool_examples_are_valid_in_strict_mode() {
    let Some(root) = corpus("spdx") else { return };
    let files = [
        "spdx-spec/v2.2/SPDXJSONExample-v2.2.spdx.json",
        "spdx-spec/v2.2/SPDXTagExample-v2.2.spdx",
        "spdx-spec/v2.3/SPDXJSONExample-v2.3.spdx.json",
        "spdx-spec/v2.3/SPDXYAMLExample-2.3.spdx.yaml",
        "spdx-spec/v2.3/SPDXTagExample-v2.3.spdx",
        "spdx-spec/v2.2/SPDXRdfExample-v2.2.spdx.rdf.xml",
        "spdx-spec/v2.3/SPDXRdfExample-v2.3.spdx.rdf.xml",
        "tools-python/tests/spdx/parser/rdf/data/file_to_test_rdf_parser.rdf.xml",
        "tools-python/tests/spdx/data/SPDXJSONExample-v2.2.spdx.json",
        "tools-python/tests/spdx/data/SPDXYAMLExample-v2.2.spdx.yaml",
        "tools-python/tests/spdx/data/SPDXTagExample-v2.2.spdx",
        "tools-python/tests/spdx/data/SPDXJSONExample-v2.3.spdx.json",
        "tools-python/tests/spdx/data/SPDXYAMLExample-v2.3.spdx.yaml",
        "tools-python/tests/spdx/data/SPDXTagExample-v2.3.spdx",
        "tools-python/tests/spdx/data/SPDXJSONExample-UTF-16.spdx.json",
        "tools-python/tests/spdx/data/SPDXYAMLExample-UTF-16.spdx.yaml",
        "tools-python/tests/spdx/data/SPDXTagExample-UTF-16.spdx",
        "tools-python/tests/spdx/data/SPDXLite.spdx",
        "tools-python/tests/spdx/data/ControlCharacters.spdx.json",
        "tools-python/tests/spdx/data/circleConversionTestInitialDocument.json",
        "tools-python/tests/spdx/writer/json/expected_results/expected.json",
    ];
    for f in files {
        let errors = strict_errors(&root.join(f));
        assert!(errors.is_empty(), "{f}: {errors:#?}");
    }
    // Documents that are wrong, and what is wrong with them.
    let trivy = root.join("tools-python/tests/spdx/data/invalid/spdx-trivy-vmware_log-intelligence-fluentd-sha256_086af034f561f343f633be9d9f9e95f65ae6c61b8ddb2c6755ef5bb25b40f53a.json");
    assert!(
        strict_errors(&trivy)
            .iter()
            .any(|e| e.contains("has no SHA1 checksum"))
    );
    // The specification's 2.2 YAML example has an unescaped `"` inside a string (upstream bug).
    let yaml = root.join("spdx-spec/v2.2/SPDXYAMLExample-2.2.spdx.yaml");
    let err = read(
        &std::fs::read(yaml).expect("file"),
        &chainwatch_sbom::ReadOptions::default(),
    )
    .expect_err("broken YAML");
    assert_eq!(err.location(), Some((324, 48)));
}

#[test]
fn spdx_examples_read_and_2x_validate() {
    let Some(root) = corpus("spdx/spdx-examples") else {
        return;
    };
    let mut seen = 0;
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.to_string_lossy().to_string();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if !(ext.eq_ignore_ascii_case("json") || ext.eq_ignore_ascii_case("spdx")) {
                continue;
            }
            let sbom = load(&p);
            seen += 1;
            assert!(!sbom.components.is_empty(), "{name}: no components");
            if sbom.format != Format::Spdx3JsonLd {
                let errors = strict_errors(&p);
                assert!(errors.is_empty(), "{name}: {errors:#?}");
            }
        }
    }
    assert!(seen >= 50, "only {seen} documents");
}

#[test]
fn ntia_minimum_elements_cases() {
    let Some(root) = corpus("spdx/ntia-conformance-checker/tests/data") else {
        return;
    };
    let cases: &[(&str, &[Code])] = &[
        ("no_elements_missing", &[]),
        // In these three cases the package's supplier is NOASSERTION (only the
        // originator is given): the checker's code (version 6) counts that as a missing
        // supplier (it cannot parse these cases itself).
        (
            "missing_author_name",
            &[Code::NtiaMissingAuthor, Code::NtiaMissingSupplier],
        ),
        ("missing_component_version", &[Code::NtiaMissingVersion]),
        (
            "missing_dependency_relationships",
            &[Code::NtiaMissingRelationships],
        ),
        ("missing_supplier_name", &[Code::NtiaMissingSupplier]),
        (
            "missing_timestamp",
            &[Code::NtiaMissingTimestamp, Code::NtiaMissingSupplier],
        ),
        // Its package has no SPDXID, so nothing the document DESCRIBES is a package.
        (
            "missing_unique_identifiers",
            &[
                Code::NtiaMissingIdentifier,
                Code::NtiaMissingSupplier,
                Code::NtiaMissingRelationships,
            ],
        ),
        // Not an NTIA element: nothing is missing.
        ("missing_concluded_license", &[]),
        // The spdx-tools 0.7 layout (`Document` root) in JSON, YAML and XML.
        ("missing_component_name", &[Code::NtiaMissingName]),
    ];
    let options = ValidateOptions {
        ntia: true,
        ..ValidateOptions::default()
    };
    let mut checked = 0;
    for (dir, expected) in cases {
        for entry in std::fs::read_dir(root.join(dir))
            .expect("case dir")
            .flatten()
        {
            let p = entry.path();
            let bytes = std::fs::read(&p).expect("file");
            let v = validate(&bytes, &options).expect("readable");
            let codes: BTreeSet<Code> = v.ntia.iter().map(|d| d.code).collect();
            let want: BTreeSet<Code> = expected.iter().copied().collect();
            assert_eq!(codes, want, "{}", p.display());
            checked += 1;
        }
    }
    // JSON, YAML, tag-value, XML and RDF/XML.
    assert_eq!(checked, 44);
    for (file, expected) in [
        ("spdx3/no_elements_missing.json", &[][..]),
        (
            "spdx3/missing_supplier_name.json",
            &[Code::NtiaMissingSupplier][..],
        ),
        (
            "spdx3/missing_version.json",
            &[Code::NtiaMissingVersion][..],
        ),
        (
            "spdx3/missing_unique_identifiers.json",
            &[Code::NtiaMissingIdentifier][..],
        ),
    ] {
        let v = validate(&std::fs::read(root.join(file)).expect("file"), &options).expect("SPDX 3");
        let codes: BTreeSet<Code> = v.ntia.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            expected.iter().copied().collect::<BTreeSet<_>>(),
            "{file}"
        );
    }
}

/// SPDX JSON diagnostics found on the parsed document carry the line and column of their
/// pointer, and come in document order.
#[test]
fn spdx_json_diagnostics_have_line_and_column() {
    let doc = r#"{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT",
"name":"x","documentNamespace":"https://example.com/x",
"creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: t"]},
"packages":[
  {"SPDXID":"SPDXRef-a","name":"a","downloadLocation":"NOASSERTION"},
  {"SPDXID":"SPDXRef-b","name":"b","versionInfo":"1","downloadLocation":"NOASSERTION"}
],
"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-a"}]}"#;
    let options = ValidateOptions {
        ntia: true,
        ..ValidateOptions::default()
    };
    let v = validate(doc.as_bytes(), &options).expect("read");
    let places: Vec<(Option<u32>, Option<&str>)> = v
        .ntia
        .iter()
        .map(|d| (d.location.line, d.location.pointer.as_deref()))
        .collect();
    assert_eq!(
        places,
        [
            (Some(5), Some("/packages/0")),
            (Some(5), Some("/packages/0")),
            (Some(6), Some("/packages/1")),
        ]
    );
}
