//! Any bytes as a `Gemfile.lock` (see `common/inventory.rs`).
#![no_main]

#[path = "common/inventory.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::check("gemfile-lock", "Gemfile.lock", data));
