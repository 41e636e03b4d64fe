//! Any bytes as an unpacked or vendored crate's `Cargo.toml` (see `common/inventory.rs`).
#![no_main]

#[path = "common/inventory.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check(
    "cargo-crate",
    "vendor/fuzz/Cargo.toml",
    data
));
