//! Any bytes as a release archive compared with nothing and with itself, and any text as
//! each kind of build script: the comparison, the autotools index lookups, the
//! build-script rules (`tr` sets, content-search patterns) and the replay of content
//! searches with in-memory decoding never panic and finish.
#![no_main]

use chainwatch_audit::Limits;
use chainwatch_audit::archive::read_bytes;
use chainwatch_audit::release::{compare, content_hash, read_build_script, version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_total: 16 << 20,
        ratio_floor: 1 << 20,
        max_entries: 1_000,
        ..Limits::default()
    };
    if let Ok(contents) = read_bytes("fuzz", data, &limits) {
        let _ = compare("fuzz", &contents, None);
        let _ = compare("fuzz", &contents, Some(&contents));
    }
    let text = String::from_utf8_lossy(data);
    for path in ["configure", "m4/x.m4", "CMakeLists.txt", "build-aux/ltmain.sh"] {
        let _ = read_build_script(path, &text);
    }
    let _ = version("x.m4", &text);
    let _ = version("install-sh", &text);
    let _ = content_hash(data);
});
