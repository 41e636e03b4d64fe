//! Any input: parsing never panics; an accepted purl's canonical form parses (strictly)
//! to the same purl, whose canonical form is the same string.
#![no_main]

use chainwatch_purl::{ParseMode, Purl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    for mode in [ParseMode::Lenient, ParseMode::Strict] {
        if let Ok(purl) = Purl::parse_with(input, mode) {
            let canonical = purl.canonical();
            let again = Purl::parse_strict(canonical).expect("canonical form parses");
            assert_eq!(again, purl);
            assert_eq!(again.canonical(), canonical);
            let _ = purl.package_name();
            let _ = purl.osv_ecosystem();
        }
    }
});
