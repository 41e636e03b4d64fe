//! Any bytes as a NuGet package's `.nuspec` (see `common/inventory.rs`).
#![no_main]

#[path = "common/inventory.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check(
    "nuspec-installed",
    "fuzz/1.0.0/fuzz.nuspec",
    data
));
