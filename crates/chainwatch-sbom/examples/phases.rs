#![allow(clippy::unwrap_used, clippy::print_stdout)]
//! Times the phases of reading one document (best of 5): `cargo run --release -p
//! chainwatch-sbom --example phases FILE`.
fn best(mut f: impl FnMut()) -> std::time::Duration {
    (0..5)
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let p = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let text = chainwatch_sbom::text_of(&bytes, &chainwatch_sbom::ReadOptions::default()).unwrap();
    let f = chainwatch_sbom::detect_format(&text).unwrap();
    println!(
        "text_of {:?}",
        best(|| drop(chainwatch_sbom::text_of(
            &bytes,
            &chainwatch_sbom::ReadOptions::default()
        )))
    );
    println!(
        "read_text {:?}",
        best(|| drop(chainwatch_sbom::read_text(&text, f).unwrap()))
    );
    println!(
        "read (lenient checks) {:?}",
        best(|| drop(
            chainwatch_sbom::read(&bytes, &chainwatch_sbom::ReadOptions::default()).unwrap()
        ))
    );
    let strict = chainwatch_sbom::ValidateOptions {
        strict: true,
        ..Default::default()
    };
    println!(
        "validate strict {:?}",
        best(|| drop(chainwatch_sbom::validate(&bytes, &strict).unwrap()))
    );
}
