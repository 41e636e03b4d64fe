//! Any bytes as a VEX document (OpenVEX JSON or YAML, CSAF, CycloneDX JSON or XML):
//! reading never panics, and deciding findings from what was read never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = chainwatch_advisory::vex::parse(data) else { return };
    let ids: Vec<String> = doc.statements.iter().map(|s| s.vulnerability.clone()).collect();
    let subject = chainwatch_match::vex::Subject {
        product: "shop",
        version: "1.0",
        package: "pkg:pypi/urllib3@1.26.5",
        identifiers: &ids,
    };
    let _ = chainwatch_match::vex::decide(doc.statements.iter().map(|s| (s, 0)), &subject);
});
