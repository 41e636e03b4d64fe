//! Any bytes as a popularity file, and any name checked against the built-in corpora:
//! reading and checking never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

use chainwatch_typosquat::{Detector, Ecosystem, Popular};

fn detectors() -> &'static Vec<Detector> {
    static D: OnceLock<Vec<Detector>> = OnceLock::new();
    D.get_or_init(|| {
        Ecosystem::ALL
            .iter()
            .map(|e| Detector::new(*e, &Popular::builtin(*e)))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Popular::parse(data) {
        let _ = Detector::new(Ecosystem::Npm, &p.top(50));
    }
    if let Ok(name) = std::str::from_utf8(data)
        && name.len() < 256
    {
        for d in detectors() {
            let _ = d.check(name);
        }
    }
});
