//! Any bytes as an EPSS CSV file or a KEV catalog: reading never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = chainwatch_advisory::enrich::parse_epss(data);
    let _ = chainwatch_advisory::enrich::parse_kev(data);
});
