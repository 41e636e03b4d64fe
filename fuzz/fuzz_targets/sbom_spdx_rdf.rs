//! The SpdxRdfXml reader (SPDX 2 RDF/XML): never panics, strict validation never panics, and whatever it
//! reads is written in every writable format as documents chainwatch reads back.
#![no_main]

use chainwatch_sbom::{Format, ValidateOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = chainwatch_sbom::read_text(text, Format::SpdxRdfXml) else { return };
    let _ = chainwatch_sbom::validate(data, &ValidateOptions { strict: true, ntia: true, ..ValidateOptions::default() });
    for format in chainwatch_sbom::WRITABLE {
        let written = chainwatch_sbom::write(&parsed.sbom, *format).expect("writable");
        let again = chainwatch_sbom::read_text(&written, *format).expect("chainwatch reads what it writes");
        assert_eq!(again.sbom.components.len(), parsed.sbom.components.len(), "{format}");
    }
});
