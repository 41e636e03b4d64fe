use std::process::Command;

fn main() {
    // Embed the git revision, when built from a checkout.
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    println!("cargo:rustc-env=SYSINFO_REV={}", rev.trim());
    for (key, value) in std::env::vars() {
        if key.starts_with("CARGO_FEATURE_") {
            println!("cargo:warning={key}={value}");
        }
    }
    cc::Build::new().file("src/helper.c").compile("helper");
}
