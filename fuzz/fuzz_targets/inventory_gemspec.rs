//! Any bytes as an installed gem's specification (see `common/inventory.rs`).
#![no_main]

#[path = "common/inventory.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check(
    "gemspec-installed",
    "specifications/fuzz-1.0.0.gemspec",
    data
));
