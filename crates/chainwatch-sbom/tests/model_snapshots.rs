//! The model of a handful of documents, one per reader, as `insta` snapshots: a change in
//! what a reader keeps shows up as a reviewable diff.

use chainwatch_sbom::{ReadOptions, read};

fn snapshot(name: &str, rel: &str) {
    let Some(path) = chainwatch_testkit::corpus_path(rel) else {
        return;
    };
    let bytes = std::fs::read(&path).expect("corpus file");
    let parsed = read(&bytes, &ReadOptions::default()).expect("readable");
    insta::assert_debug_snapshot!(name, parsed.sbom);
}

#[test]
fn cyclonedx_json() {
    snapshot(
        "cyclonedx_json_valid_bom_1_6",
        "cyclonedx-spec/test-resources/1.6/valid-bom-1.6.json",
    );
}

#[test]
fn cyclonedx_xml() {
    snapshot(
        "cyclonedx_xml_valid_dependency_1_2",
        "cyclonedx-spec/test-resources/1.2/valid-dependency-1.2.xml",
    );
}

#[test]
fn cyclonedx_vex() {
    snapshot(
        "cyclonedx_json_valid_vulnerability_1_5",
        "cyclonedx-spec/test-resources/1.5/valid-vulnerability-1.5.json",
    );
}

#[test]
fn spdx_tag_value() {
    snapshot(
        "spdx_tv_example_2_3",
        "spdx/spdx-spec/v2.3/SPDXTagExample-v2.3.spdx",
    );
}

#[test]
fn spdx_3_json_ld() {
    snapshot(
        "spdx3_package_sbom",
        "spdx/spdx-spec/v3.0/package_sbom.spdx3.json",
    );
}

#[test]
fn hand_written_fixture() {
    let text = include_str!("../../chainwatch/tests/fixtures/sbom/tiny.spdx");
    let parsed = read(text.as_bytes(), &ReadOptions::default()).expect("readable");
    insta::assert_debug_snapshot!("spdx_tv_tiny", (parsed.sbom, parsed.diagnostics));
}
