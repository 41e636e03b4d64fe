//! Any bytes as a safetensors header, a GGUF header, a chat template and a model card's
//! front matter: the readers
//! return a header or an error, never panic, and never allocate what a count claims
//! without the bytes to back it.
#![no_main]

use chainwatch_audit::model::{gguf, safetensors, template_gadget};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    if let Ok(header) = safetensors::read(data, len) {
        assert!(header.header_len + 8 <= len);
    }
    let _ = gguf::read(data, len);
    let _ = template_gadget(&String::from_utf8_lossy(data));
    let _ = chainwatch_inventory::model_card(data);
});
