//! Ingestion into an in-memory store never panics; a document that is refused leaves the
//! store exactly as it was, and one that is stored passes the integrity check and answers
//! `why` for its own packages. Also the `--as-of` time parser.
#![no_main]

use std::sync::OnceLock;

use chainwatch_store::{IngestOptions, Store};
use libfuzzer_sys::fuzz_target;

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| Store::open_in_memory().expect("in-memory store"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = chainwatch_store::parse_instant(text);
    }
    let store = store();
    let before = store.stats().expect("stats");
    let options = IngestOptions { product: Some("fuzz".into()), ..IngestOptions::default() };
    match store.ingest(data, &options) {
        Err(_) => assert_eq!(store.stats().expect("stats"), before, "a refused document changed the store"),
        Ok(outcome) => {
            let (_, sbom) = store.export(&outcome.product, Some(&outcome.version), None).expect("export");
            for c in sbom.components.iter().take(3) {
                if let Some(purl) = &c.purl {
                    let _ = store.why(&outcome.product, Some(&outcome.version), purl, 3, None);
                }
            }
            if before.documents % 64 == 0 {
                assert!(store.check().expect("check").ok);
            }
        }
    }
});
