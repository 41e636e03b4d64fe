//! Every version scheme: the first byte picks the scheme, the rest is split at newlines
//! into three versions. Parsing never panics and the order is total: reflexive,
//! antisymmetric and transitive.
#![no_main]

use std::cmp::Ordering;

use chainwatch_version::{Scheme, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let scheme = Scheme::ALL[usize::from(pick) % Scheme::ALL.len()];
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut parts = text.splitn(3, '\n');
    let (a, b, c) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let parsed: Vec<Version> = [a, b, c].iter().filter_map(|v| Version::parse(scheme, v).ok()).collect();
    for x in &parsed {
        assert_eq!(x.cmp(x), Ordering::Equal, "{x:?}");
        for y in &parsed {
            assert_eq!(x.cmp(y), y.cmp(x).reverse(), "{x:?} {y:?}");
            for z in &parsed {
                if x <= y && y <= z {
                    assert!(x <= z, "{x:?} <= {y:?} <= {z:?}");
                }
            }
        }
    }
});
