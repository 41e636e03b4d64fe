//! Whole-document reading from bytes: decompression (gzip, bzip2, xz, zstd) under the size
//! cap, text decoding (UTF-8, UTF-16), format detection and validation never panic.
#![no_main]

use chainwatch_sbom::{Limits, ReadOptions, ValidateOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_size: 16 << 20, ..Limits::default() };
    let _ = chainwatch_sbom::read(data, &ReadOptions { limits });
    let _ = chainwatch_sbom::validate(data, &ValidateOptions { limits, strict: true, ntia: true });
});
