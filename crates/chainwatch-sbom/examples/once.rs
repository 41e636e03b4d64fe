#![allow(clippy::unwrap_used, clippy::print_stdout)]
//! Reads (or with `--strict`, validates) one document once, for instruction counts under
//! callgrind: `valgrind --tool=callgrind target/release/examples/once FILE [--strict]`.
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let strict = std::env::args().any(|a| a == "--strict");
    let bytes = std::fs::read(&p).unwrap();
    if strict {
        let options = chainwatch_sbom::ValidateOptions {
            strict: true,
            ..Default::default()
        };
        let v = chainwatch_sbom::validate(&bytes, &options).unwrap();
        println!("{} {}", v.sbom.components.len(), v.diagnostics.len());
        return;
    }
    let text = chainwatch_sbom::text_of(&bytes, &chainwatch_sbom::ReadOptions::default()).unwrap();
    let f = chainwatch_sbom::detect_format(&text).unwrap();
    let s = chainwatch_sbom::read_text(&text, f).unwrap();
    println!("{}", s.sbom.components.len());
}
