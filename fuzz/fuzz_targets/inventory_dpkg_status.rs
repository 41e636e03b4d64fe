//! Any bytes as a `var/lib/dpkg/status` (see `common/inventory.rs`).
#![no_main]

#[path = "common/inventory.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check("dpkg-status", "var/lib/dpkg/status", data));
