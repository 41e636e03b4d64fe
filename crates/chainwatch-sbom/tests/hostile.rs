//! Hostile nesting: every reader of nested input refuses what is nested too deeply with
//! an error, on a small stack, at depths from a few thousand to a million (a CycloneDX XML
//! document of 3,000 nested elements, 9 KB, once overflowed the stack and aborted the
//! process).

use std::fmt::Write as _;

use chainwatch_sbom::{ReadOptions, read};

/// Runs `f` on a thread with a small stack (the server's blocking threads have 2 MiB;
/// this is a quarter of that), so that a recursive reader fails here first.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the reader crashed")
}

fn refused(doc: String, what: &str) {
    let bytes = doc.into_bytes();
    let message = on_small_stack(move || match read(&bytes, &ReadOptions::default()) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    });
    assert!(!message.is_empty(), "{what}: read without an error");
}

/// Read on a small stack without crashing (lenient readers may skip what nests too deep,
/// strict ones refuse it).
fn survives(doc: String) {
    let bytes = doc.into_bytes();
    on_small_stack(move || {
        let _ = read(&bytes, &ReadOptions::default());
    });
}

fn cyclonedx_xml(depth: usize) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>"#,
    );
    for i in 0..depth {
        let _ = write!(
            s,
            r#"<component type="library"><name>c{i}</name><components>"#
        );
    }
    for _ in 0..depth {
        s.push_str("</components></component>");
    }
    s.push_str("</components></bom>");
    s
}

#[test]
fn deep_cyclonedx_xml_is_refused() {
    // Ten times the limit of nested elements, and a million plain elements.
    refused(cyclonedx_xml(1_280), "CycloneDX XML, 2,560 nested elements");
    let mut s = String::from(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>"#);
    s.push_str(&"<a>".repeat(1_000_000));
    s.push_str(&"</a>".repeat(1_000_000));
    s.push_str("</components></bom>");
    refused(s, "XML, 1,000,000 nested elements");
}

#[test]
fn deep_spdx_xml_is_refused() {
    let nested = |depth: usize| {
        let mut s = String::from("<Document><spdxVersion>SPDX-2.3</spdxVersion><packages>");
        s.push_str(&"<annotations>".repeat(depth));
        s.push_str(&"</annotations>".repeat(depth));
        s.push_str("</packages></Document>");
        s
    };
    for depth in [2_560, 1_000_000] {
        refused(nested(depth), &format!("SPDX XML, {depth} nested elements"));
    }
    // Just under the limit: read or refused, never a crash.
    survives(nested(250));
}

#[test]
fn deep_spdx_rdf_is_refused() {
    let nested = |depth: usize| {
        let mut s = String::from(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:spdx="http://spdx.org/rdf/terms#"><spdx:SpdxDocument rdf:about="https://x.example/d#SPDXRef-DOCUMENT"><spdx:specVersion>SPDX-2.3</spdx:specVersion>"#,
        );
        // Alternating property and node elements, as sets of sets of licences would.
        s.push_str(&"<spdx:licenseConcluded><spdx:ConjunctiveLicenseSet>".repeat(depth / 2));
        s.push_str(&"</spdx:ConjunctiveLicenseSet></spdx:licenseConcluded>".repeat(depth / 2));
        s.push_str("</spdx:SpdxDocument></rdf:RDF>");
        s
    };
    for depth in [2_560, 1_000_000] {
        refused(
            nested(depth),
            &format!("SPDX RDF/XML, {depth} nested elements"),
        );
    }
    survives(nested(250));
}

#[test]
fn shallow_nesting_still_reads() {
    let bytes = cyclonedx_xml(40).into_bytes();
    let parsed = on_small_stack(move || read(&bytes, &ReadOptions::default()).map(|p| p.sbom));
    assert_eq!(parsed.expect("40 nested components").components.len(), 40);
}

#[test]
fn deep_json_and_yaml_are_survived() {
    for depth in [10_000, 1_000_000] {
        let mut s = String::from(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":"#,
        );
        for _ in 0..depth {
            s.push_str(r#"[{"type":"library","name":"x","components":"#);
        }
        s.push_str("[]");
        for _ in 0..depth {
            s.push_str("}]");
        }
        s.push('}');
        refused(s, &format!("CycloneDX JSON, {depth} nested components"));
        let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":"#);
        s.push_str(&"[".repeat(depth));
        s.push_str(&"]".repeat(depth));
        s.push('}');
        survives(s);
        let mut s = String::from(r#"{"spdxVersion":"SPDX-2.3","packages":"#);
        s.push_str(&"[".repeat(depth));
        s.push_str(&"]".repeat(depth));
        s.push('}');
        survives(s);
        let mut s = String::from("spdxVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\npackages: ");
        s.push_str(&"[".repeat(depth));
        s.push_str(&"]".repeat(depth));
        s.push('\n');
        survives(s);
        let mut s = String::from(
            r#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":"#,
        );
        s.push_str(&"[".repeat(depth));
        s.push_str(&"]".repeat(depth));
        s.push('}');
        survives(s);
    }
}
