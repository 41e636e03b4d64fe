//! Any policy file: parsing never panics (nesting, sizes and values are bounded and
//! located), and a policy that parses evaluates and runs its examples.
#![no_main]

use chainwatch_policy::{Component, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Ok(policy) = Policy::parse(input) {
        let _ = policy.evaluate("product", &[], &Component::default());
        let _ = policy.test();
    }
});
