//! Any policy file: parsing never panics (nesting, sizes and values are bounded and
//! located, CEL expressions checked before use), and a policy that parses evaluates its
//! rules, product rules and analyses and runs its examples.
#![no_main]

use chainwatch_policy::{Component, Finding, Policy, Release};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Ok(policy) = Policy::parse(input) {
        let component = Component {
            name: "x".into(),
            findings: vec![Finding {
                advisory: "GHSA-1".into(),
                ..Finding::default()
            }],
            path: vec!["product@1".into(), "x".into()],
            ..Component::default()
        };
        let _ = policy.evaluate("product", &[], &component);
        let _ = policy.evaluate_at("product", &[], &component, 0);
        let _ = policy.evaluate_release(&[], &Release::default());
        let _ = policy.test();
    }
});
