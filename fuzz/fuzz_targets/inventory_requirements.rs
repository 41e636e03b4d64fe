//! Any bytes as a `requirements.txt` (see `common/inventory.rs`).
#![no_main]

#[path = "common/inventory.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check("requirements", "requirements.txt", data));
