//! End-to-end tests of the `chainwatch` binary: output (insta snapshots) and exit codes.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn chainwatch(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CHAINWATCH_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chainwatch");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn inspect_purl_json_from_stdin() {
    let o = chainwatch(
        &["inspect", "purl", "--format", "json"],
        Some("pkg:PyPI/Django_Rest@1.0\npkg:npm/%40angular/core@17.0.0\nnot-a-purl\n"),
    );
    assert_eq!(o.status.code(), Some(2), "one input is invalid");
    insta::assert_snapshot!(stdout(&o), @r#"
    {"input":"pkg:PyPI/Django_Rest@1.0","canonical":"pkg:pypi/django-rest@1.0","type":"pypi","namespace":null,"name":"django-rest","version":"1.0","qualifiers":{},"subpath":null,"ecosystem":"PyPI"}
    {"input":"pkg:npm/%40angular/core@17.0.0","canonical":"pkg:npm/%40angular/core@17.0.0","type":"npm","namespace":"@angular","name":"core","version":"17.0.0","qualifiers":{},"subpath":null,"ecosystem":"npm"}
    {"input":"not-a-purl","error":"missing scheme: a purl starts with `pkg:`"}
    "#);
}

#[test]
fn inspect_purl_human_from_arguments() {
    let o = chainwatch(
        &[
            "inspect",
            "purl",
            "pkg:deb/debian/liblzma5@5.4.1-0.2?arch=amd64&distro=debian-12&upstream=xz-utils",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&o), @r"
    pkg:deb/debian/liblzma5@5.4.1-0.2?arch=amd64&distro=debian-12&upstream=xz-utils
      type       deb
      namespace  debian
      name       liblzma5
      version    5.4.1-0.2
      qualifier  arch=amd64
      qualifier  distro=debian-12
      qualifier  upstream=xz-utils
      identity   pkg:deb/debian/liblzma5
      ecosystem  Debian:12 `liblzma5`
    ");
}

#[test]
fn inspect_purl_quiet_prints_canonical_forms_only() {
    let o = chainwatch(
        &[
            "-q",
            "inspect",
            "purl",
            "pkg:Maven/org.Apache/Io@1",
            "pkg:x",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stdout(&o), @r"
    pkg:maven/org.Apache/Io@1
    error: `pkg:x`: missing name
    ");
    assert_eq!(stderr(&o), "");
}

#[test]
fn strict_mode_rejects_upper_case_qualifier_keys() {
    let purl = "pkg:rpm/fedora/curl@7.50.3-1.fc25?Arch=i386";
    assert_eq!(
        chainwatch(&["-q", "inspect", "purl", purl], None)
            .status
            .code(),
        Some(0)
    );
    let o = chainwatch(&["-q", "inspect", "purl", "--strict", purl], None);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stdout(&o), @"error: `pkg:rpm/fedora/curl@7.50.3-1.fc25?Arch=i386`: invalid qualifier key `Arch`: a key is lower case");
}

#[test]
fn usage_errors_exit_with_2() {
    let o = chainwatch(&["no-such-command"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unrecognized subcommand"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = chainwatch(&["completions", shell], None);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains("inspect"), "{shell}");
    }
}

#[test]
fn help_reads_like_a_manual() {
    let o = chainwatch(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for needle in ["inspect", "completions", "--db", "Exit status", "NO_COLOR"] {
        assert!(help.contains(needle), "help lacks {needle}");
    }
}

#[test]
fn version_cmp_from_arguments_and_lines() {
    let o = chainwatch(
        &["inspect", "version-cmp", "PyPI", "1.0.dev0", "1.0a0"],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "<\n");
    let o = chainwatch(
        &["inspect", "version-cmp"],
        Some(
            "Maven\t1.0\t1-ga\nDebian\t5.6.1+really5.4.5-1\t5.6.1-1\napk\t1.2_rc1\t1.2\nnpm\tbad\t1.0.0\nnope\t1\t2\n",
        ),
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "one version and one ecosystem are bad"
    );
    insta::assert_snapshot!(stdout(&o), @r"
    =
    >
    <
    error: `bad` is not a valid npm version: the major version is not a number
    error: unknown ecosystem or version scheme `nope`
    ");
}

#[test]
fn version_cmp_json() {
    let o = chainwatch(
        &[
            "inspect",
            "version-cmp",
            "--format",
            "json",
            "crates.io",
            "1.0.0-alpha",
            "1.0.0",
        ],
        None,
    );
    insta::assert_snapshot!(stdout(&o), @r#"{"a":"1.0.0-alpha","b":"1.0.0","ecosystem":"crates.io","result":"<"}"#);
}

#[test]
fn vers_contains_and_from_native() {
    let o = chainwatch(
        &[
            "inspect",
            "vers-contains",
            "vers:deb/>=5.6.0|<5.6.1+really5.4.5-1",
            "5.6.1-1",
        ],
        None,
    );
    assert_eq!(stdout(&o), "true\n");
    let o = chainwatch(
        &["inspect", "vers-contains"],
        Some("vers:pypi/>=1.0|<2.0\t2.0rc1\nvers:pypi/>=1.0|<2.0\t2.0\n"),
    );
    assert_eq!(stdout(&o), "true\nfalse\n");
    let o = chainwatch(
        &["inspect", "vers-from-native", "npm", "^1.2.3 || >=2.0.1"],
        None,
    );
    assert_eq!(stdout(&o), "vers:npm/>=1.2.3|<2.0.0|>=2.0.1\n");
    let o = chainwatch(
        &["inspect", "vers-from-native", "npm", "^not a range"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error: invalid npm range"),
        "{}",
        stderr(&o)
    );
}

const SHOP_1_0: &str = "tests/fixtures/sbom/shop-1.0.cdx.json";
const SHOP_1_1: &str = "tests/fixtures/sbom/shop-1.1.cdx.json";
const BROKEN: &str = "tests/fixtures/sbom/broken.cdx.json";
const TINY_SPDX: &str = "tests/fixtures/sbom/tiny.spdx";

#[test]
fn sbom_validate_strict_reports_each_problem_with_its_place() {
    let o = chainwatch(
        &["sbom", "validate", "--strict", BROKEN, TINY_SPDX, SHOP_1_0],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "invalid documents exit with 1");
    insta::assert_snapshot!(stdout(&o), @r#"
    tests/fixtures/sbom/broken.cdx.json: invalid (cyclonedx-json 1.6, 1 component)
      error[invalid-serial] 4:19 /serialNumber: `serialNumber` "urn:uuid:not-a-uuid" is not `urn:uuid:<uuid>`
      error[invalid-value] 7:15 /components/0/type: component type `libary` is not one of `application`, `framework`, `library`, `operating-system`, `device`, `file`, `container`, `firmware`, `platform`, `device-driver`, `machine-learning-model`, `data`, `cryptographic-asset` (CycloneDX 1.6)
      error[invalid-hash] 11:47 /components/0/hashes/0/content: SHA-1 hash `abc` is not 40 hex digits
      error[invalid-license] 12:41 /components/0/licenses/0/license/id: `MIT License` is not an SPDX license identifier (use `name` for other licenses)
    tests/fixtures/sbom/tiny.spdx: invalid (spdx-tv SPDX-2.3, 2 components)
      error[dangling-ref] 31:1: a `DEPENDS_ON` relationship names `SPDXRef-missing`, which is not in the document
    tests/fixtures/sbom/shop-1.0.cdx.json: valid (cyclonedx-json 1.6, 4 components)
    "#);
    insta::assert_snapshot!(stderr(&o), @"3 files: 1 valid, 2 invalid, 0 unreadable");
}

#[test]
fn sbom_validate_ntia_json() {
    let o = chainwatch(
        &[
            "sbom", "validate", "--ntia", "--format", "json", SHOP_1_0, SHOP_1_1,
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "1.1 lacks suppliers and an author"
    );
    insta::assert_snapshot!(stdout(&o), @r#"
    {"file":"tests/fixtures/sbom/shop-1.0.cdx.json","valid":true,"format":"cyclonedx-json","spec_version":"1.6","components":4,"diagnostics":[],"ntia":{"conformant":true,"missing":[]}}
    {"file":"tests/fixtures/sbom/shop-1.1.cdx.json","valid":true,"format":"cyclonedx-json","spec_version":"1.6","components":4,"diagnostics":[],"ntia":{"conformant":false,"missing":[{"code":"ntia-missing-supplier","severity":"error","message":"component `shop` has no supplier","pointer":null,"line":null,"column":null},{"code":"ntia-missing-supplier","severity":"error","message":"component `requests` has no supplier","pointer":null,"line":null,"column":null},{"code":"ntia-missing-supplier","severity":"error","message":"component `urllib3` has no supplier","pointer":null,"line":null,"column":null},{"code":"ntia-missing-supplier","severity":"error","message":"component `idna` has no supplier","pointer":null,"line":null,"column":null},{"code":"ntia-missing-author","severity":"error","message":"the document names no author","pointer":null,"line":null,"column":null}]}}
    "#);
}

#[test]
fn sbom_validate_sarif() {
    let o = chainwatch(
        &["sbom", "validate", "--strict", "--format", "sarif", BROKEN],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let rules: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "invalid-serial",
            "invalid-value",
            "invalid-hash",
            "invalid-license"
        ]
    );
    let region = &results[2]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(11), Some(47))
    );
    assert_eq!(
        results[2]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "/components/0/hashes/0/content"
    );
}

#[test]
fn sbom_validate_unreadable_input_exits_with_2() {
    let o = chainwatch(
        &[
            "sbom",
            "validate",
            SHOP_1_0,
            "tests/fixtures/sbom/missing.json",
            "-",
        ],
        Some("hello\n"),
    );
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("missing.json: unreadable"), "{out}");
    assert!(
        out.contains("<stdin>: unreadable\n  error[unreadable]: not an SBOM"),
        "{out}"
    );
    assert!(
        out.contains("shop-1.0.cdx.json: valid"),
        "the readable file is still checked: {out}"
    );
}

#[test]
fn sbom_stats_json() {
    let o = chainwatch(&["sbom", "stats", "--format", "json", SHOP_1_0], None);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&o), @r#"{"format":"cyclonedx-json","spec_version":"1.6","subject":{"name":"shop","version":"1.0.0"},"components":4,"relationships":3,"with_purl":4}"#);
}

#[test]
fn sbom_convert_to_spdx_and_back_keeps_components_and_edges() {
    let dir = std::env::temp_dir().join(format!("chainwatch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spdx = dir.join("shop.spdx");
    let o = chainwatch(
        &[
            "sbom",
            "convert",
            SHOP_1_0,
            "--to",
            "spdx-tv",
            "-o",
            spdx.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let strict = chainwatch(
        &["sbom", "validate", "--strict", spdx.to_str().unwrap()],
        None,
    );
    assert_eq!(strict.status.code(), Some(0), "{}", stdout(&strict));
    let back = chainwatch(
        &[
            "sbom",
            "convert",
            spdx.to_str().unwrap(),
            "--to",
            "cyclonedx-xml",
        ],
        None,
    );
    assert_eq!(back.status.code(), Some(0));
    let xml = dir.join("shop.cdx.xml");
    std::fs::write(&xml, &back.stdout).unwrap();
    let d = chainwatch(&["sbom", "diff", SHOP_1_0, xml.to_str().unwrap()], None);
    assert_eq!(d.status.code(), Some(0), "no differences: {}", stdout(&d));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sbom_diff_between_releases() {
    let o = chainwatch(&["sbom", "diff", SHOP_1_0, SHOP_1_1], None);
    assert_eq!(o.status.code(), Some(1), "differences exit with 1");
    insta::assert_snapshot!(stdout(&o), @"
    + pkg:pypi/idna 3.7
    - pkg:pypi/certifi 2023.7.22
    ~ pkg:pypi/requests 2.31.0 -> 2.32.3
    ~ pkg:pypi/shop 1.0.0 -> 1.1.0
    ~ pkg:pypi/urllib3 supplier: Python Software Foundation -> (none)
    ~ pkg:pypi/urllib3 licenses: MIT -> (none)
    + pkg:pypi/requests -[depends-on]-> pkg:pypi/idna
    - pkg:pypi/requests -[depends-on]-> pkg:pypi/certifi
    components: 1 added, 1 removed, 2 changed, 2 fields differ; edges: 1 added, 1 removed
    ");
}

/// SPDX to SPDX keeps people as people and external references; what a target format
/// cannot carry is said, one warning per kind, and `--strict-conversion` then writes
/// nothing and exits 1. `sbom diff` sees the fields that differ.
#[test]
fn conversions_say_what_they_lose() {
    let doc = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n\
        DocumentName: people\nDocumentNamespace: https://example.com/people\n\
        Creator: Person: Jane Doe\nCreator: Tool: hand\nCreated: 2026-01-01T00:00:00Z\n\
        PackageName: app\nSPDXID: SPDXRef-app\nPackageVersion: 1.0\n\
        PackageSupplier: Person: Jane Doe\nPackageDownloadLocation: https://example.com/app-1.0.tgz\n\
        FilesAnalyzed: false\n\
        ExternalRef: OTHER vcs https://example.com/app.git\n\
        ExternalRef: OTHER acmeforge acmecorp/acmenator/4.1.3-alpha\n\
        PackageName: lib\nSPDXID: SPDXRef-lib\nPackageVersion: 2.0\n\
        PackageSupplier: Organization: Lib Inc\nPackageDownloadLocation: NOASSERTION\n\
        FilesAnalyzed: false\n\
        Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-app\n\
        Relationship: SPDXRef-app DYNAMIC_LINK SPDXRef-lib\n";
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.spdx");
    std::fs::write(&input, doc).unwrap();
    let input = input.to_str().unwrap();
    let out = chainwatch(&["sbom", "convert", input, "--to", "spdx-json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        json["creationInfo"]["creators"]
            .as_array()
            .unwrap()
            .contains(&"Person: Jane Doe".into()),
        "{json}"
    );
    assert_eq!(json["packages"][0]["supplier"], "Person: Jane Doe");
    assert_eq!(json["packages"][1]["supplier"], "Organization: Lib Inc");
    assert_eq!(
        json["packages"][0]["externalRefs"][0]["referenceLocator"],
        "https://example.com/app.git"
    );
    assert!(
        !stderr(&out).contains("conversion-loss"),
        "{}",
        stderr(&out)
    );

    let cdx = dir.path().join("people.cdx.json");
    let lossy = chainwatch(
        &[
            "sbom",
            "convert",
            input,
            "--to",
            "cyclonedx-json",
            "-o",
            cdx.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(lossy.status.code(), Some(0));
    assert!(
        stderr(&lossy).contains(
            "warning[conversion-loss]: `external_refs` of 1 components is not carried (or not the same) in cyclonedx-json"
        ),
        "{}",
        stderr(&lossy)
    );
    let diff = chainwatch(&["sbom", "diff", input, cdx.to_str().unwrap()], None);
    assert!(
        stdout(&diff).contains("1 fields differ"),
        "{}",
        stdout(&diff)
    );

    let strict = dir.path().join("strict.cdx.json");
    let refused = chainwatch(
        &[
            "sbom",
            "convert",
            input,
            "--to",
            "cyclonedx-json",
            "--strict-conversion",
            "-o",
            strict.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("nothing written (--strict-conversion)"));
    assert!(!strict.exists());

    // What chainwatch does not keep (here an annotation and the licences found in a
    // file) is said for every target, SPDX too.
    let json = dir.path().join("kept.spdx.json");
    std::fs::write(
        &json,
        r#"{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
            "name": "kept", "documentNamespace": "https://example.com/kept",
            "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: hand"]},
            "documentDescribes": ["SPDXRef-f"],
            "files": [{"SPDXID": "SPDXRef-f", "fileName": "./a.c",
                "checksums": [{"algorithm": "SHA1", "checksumValue": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"}],
                "licenseInfoInFiles": ["MIT", "Apache-2.0"],
                "annotations": [{"annotationType": "REVIEW", "annotator": "Person: Jane",
                    "annotationDate": "2026-01-01T00:00:00Z", "comment": "looked at it"}]}]}"#,
    )
    .unwrap();
    let out = chainwatch(
        &[
            "sbom",
            "convert",
            json.to_str().unwrap(),
            "--to",
            "spdx-json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for line in [
        "warning[conversion-loss]: `annotations` (1) is not carried in spdx-json: chainwatch does not keep it",
        "warning[conversion-loss]: `licenseInfoInFiles` (2) is not carried in spdx-json: chainwatch does not keep it",
    ] {
        assert!(stderr(&out).contains(line), "{}", stderr(&out));
    }
}

/// An organization that made an SPDX document is the CycloneDX BOM's manufacturer (1.6),
/// people its authors, and both come back as they were.
#[test]
fn organization_creators_are_manufacturers() {
    let doc = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n\
        DocumentName: orgs\nDocumentNamespace: https://example.com/orgs\n\
        Creator: Organization: Acme Corp\nCreator: Person: Jane Doe\nCreator: Tool: hand\n\
        Created: 2026-01-01T00:00:00Z\nPackageName: app\nSPDXID: SPDXRef-app\n\
        PackageVersion: 1.0\nPackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\n\
        Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-app\n";
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orgs.spdx");
    std::fs::write(&input, doc).unwrap();
    for target in ["cyclonedx-json", "cyclonedx-xml"] {
        let out = chainwatch(
            &["sbom", "convert", input.to_str().unwrap(), "--to", target],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            !stderr(&out).contains("conversion-loss"),
            "{target}: {}",
            stderr(&out)
        );
        let text = stdout(&out);
        if target == "cyclonedx-json" {
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json["metadata"]["manufacturer"]["name"], "Acme Corp");
            assert_eq!(
                json["metadata"]["authors"],
                serde_json::json!([{"name": "Jane Doe"}])
            );
            assert!(text.contains("\"hand\""), "{text}");
        } else {
            assert!(
                text.contains("<manufacturer><name>Acme Corp</name></manufacturer>"),
                "{text}"
            );
        }
    }
}

/// CycloneDX properties travel through SPDX (as notes in the package comment) and come
/// back; `sbom diff` compares them.
#[test]
fn properties_survive_spdx() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("props.cdx.json");
    std::fs::write(
        &input,
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"type": "library", "bom-ref": "a", "name": "a", "version": "1",
                "purl": "pkg:npm/a@1",
                "properties": [{"name": "cdx:npm:package:development", "value": "true"},
                               {"name": "note", "value": "two\nlines, \"quoted\""}]}]}"#,
    )
    .unwrap();
    let spdx = dir.path().join("props.spdx.json");
    let out = chainwatch(
        &[
            "sbom",
            "convert",
            input.to_str().unwrap(),
            "--to",
            "spdx-json",
            "-o",
            spdx.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("properties"), "{}", stderr(&out));
    let diff = chainwatch(
        &[
            "sbom",
            "diff",
            input.to_str().unwrap(),
            spdx.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        stdout(&diff).contains("0 fields differ"),
        "{}",
        stdout(&diff)
    );
}
