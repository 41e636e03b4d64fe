//! vers ranges and native ranges: parsing never panics; a parsed vers range prints a
//! canonical form that parses strictly to the same range.
#![no_main]

use chainwatch_version::{Scheme, Vers, native_to_vers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    if let Ok(vers) = Vers::parse(text) {
        let canonical = vers.to_string();
        let again = Vers::parse_strict(&canonical).expect("canonical vers parses strictly");
        assert_eq!(again.to_string(), canonical);
        let _ = vers.contains_str("1.0.0");
    }
    let scheme = Scheme::ALL[usize::from(pick) % Scheme::ALL.len()];
    if let Ok(vers) = native_to_vers(scheme, text) {
        let _ = Vers::parse(&vers.to_string());
    }
});
