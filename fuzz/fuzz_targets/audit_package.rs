//! Any bytes as a package archive (tar, compressed tar, zip, gem), and any text as each
//! source language the audit reads: reading within limits and every rule never panic,
//! never escape the package, and finish.
#![no_main]

use chainwatch_audit::archive::read_bytes;
use chainwatch_audit::{Limits, Options, audit_contents, checks, lex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_total: 16 << 20,
        ratio_floor: 1 << 20,
        max_entries: 1_000,
        ..Limits::default()
    };
    if let Ok(contents) = read_bytes("fuzz", data, &limits) {
        for entry in &contents.entries {
            assert!(!entry.path.starts_with('/') && !entry.path.split('/').any(|p| p == ".."));
        }
        let _ = audit_contents("fuzz", &contents, &Options::default());
    }
    for (path, lang) in [
        ("a.js", lex::Lang::Js),
        ("a.py", lex::Lang::Python),
        ("a.rb", lex::Lang::Ruby),
        ("build.rs", lex::Lang::Rust),
        ("a.sh", lex::Lang::Shell),
    ] {
        let _ = checks::check_source(path, lang, data);
        let _ = checks::check_install_code(path, lang, data);
    }
});
