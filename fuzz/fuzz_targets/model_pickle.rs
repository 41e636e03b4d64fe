//! Any bytes as a stream of pickles: the opcode walk never panics, finishes in time
//! linear in the input, and keeps its bounded model of the stack and memo.
#![no_main]

use chainwatch_audit::model::pickle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scan = pickle::scan(data);
    for import in &scan.imports {
        assert!(import.offset < data.len() as u64);
    }
});
