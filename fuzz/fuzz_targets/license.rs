//! Any stated licence: normalizing never panics, the expression it gives always parses
//! (a name it does not know becomes a `LicenseRef-`), normalizing that again changes
//! nothing, and evaluating lists on it is total.
#![no_main]

use chainwatch_license::{Entry, How, Licensing, normalize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let n = normalize(input);
    if n.how != How::NoAssertion {
        let again = normalize(&n.expression);
        assert_eq!(again.expression, n.expression, "stable for `{input}`");
        let l = Licensing::of(n);
        assert!(!l.terms().is_empty());
        let lists = [Entry::parse("copyleft").unwrap(), Entry::parse("MIT").unwrap()];
        let _ = l.allowed_by(&lists);
        let _ = l.denied_by(&lists);
    }
});
