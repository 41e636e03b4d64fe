//! Any bytes as an OSV record (JSON, then YAML): loading never panics, and an index built
//! from what loads matches, looks up and computes severities without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for yaml in [false, true] {
        let Ok(records) = chainwatch_advisory::load::parse(data, yaml) else { continue };
        for r in &records {
            let _ = r.severity();
            let _ = chainwatch_match::record_keys(r);
        }
        let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        let index = chainwatch_match::AdvisoryIndex::from_records(records);
        for id in ids {
            let _ = index.lookup(&id);
        }
        for purl in ["pkg:pypi/requests@2.31.0", "pkg:npm/left-pad@1.3.0", "pkg:deb/debian/liblzma5@5.6.0-1?distro=debian-12&upstream=xz-utils"] {
            if let Ok(p) = chainwatch_purl::Purl::parse(purl) {
                let _ = index.matches(&p);
            }
        }
    }
});
