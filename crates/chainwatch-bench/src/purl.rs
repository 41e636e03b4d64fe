//! Purl parse + canonicalize throughput on the purl-spec inputs, repeated to one million.

use std::fmt::Write as _;
use std::hint::black_box;

use anyhow::Context as _;
use chainwatch_purl::Purl;

use crate::machine;

/// Purls per run; `CHAINWATCH_BENCH_QUICK=1` makes runs short enough for callgrind.
fn total() -> usize {
    if std::env::var_os("CHAINWATCH_BENCH_QUICK").is_some() {
        20_000
    } else {
        1_000_000
    }
}

fn spec_inputs() -> anyhow::Result<Vec<String>> {
    let corpus = chainwatch_testkit::corpus().context("the purl benchmark needs the corpus")?;
    let mut inputs = Vec::new();
    for dir in ["spec", "types"] {
        for entry in std::fs::read_dir(corpus.join("purl-spec/tests").join(dir))? {
            let path = entry?.path();
            let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
            for test in doc["tests"].as_array().into_iter().flatten() {
                if let Some(s) = test["input"].as_str() {
                    inputs.push(s.to_owned());
                }
            }
        }
    }
    inputs.sort();
    Ok(inputs)
}

pub(crate) fn run() -> anyhow::Result<String> {
    let distinct = spec_inputs()?;
    let valid = distinct.iter().filter(|s| Purl::parse(s).is_ok()).count();
    let workload: Vec<&str> = distinct
        .iter()
        .map(String::as_str)
        .cycle()
        .take(total())
        .collect();
    let bytes: usize = workload.iter().map(|s| s.len()).sum();

    let parse_and_canonicalize = machine::best_of(10, || {
        for s in &workload {
            if let Ok(p) = Purl::parse(black_box(s)) {
                black_box(p.canonical());
            }
        }
    });
    let parse_only = machine::best_of(10, || {
        for s in &workload {
            let _ = black_box(Purl::parse(black_box(s)));
        }
    });
    let parsed: Vec<Purl> = workload
        .iter()
        .filter_map(|s| Purl::parse(s).ok())
        .collect();
    let canonicalize_only = machine::best_of(10, || {
        for p in &parsed {
            black_box(black_box(p).canonical());
        }
    });
    let identity = machine::best_of(10, || {
        for p in &parsed {
            black_box(black_box(p).package_name());
        }
    });

    let rate = |d: std::time::Duration, n: usize| n as f64 / d.as_secs_f64();
    let mut out = String::new();
    writeln!(out, "Machine: {}", machine::describe())?;
    writeln!(
        out,
        "Input: the {} string inputs of the purl-spec tests ({valid} valid), cycled to {} purls \
         ({:.1} MB); best of 10 runs.\n",
        distinct.len(),
        machine::thousands(total() as f64),
        bytes as f64 / 1e6
    )?;
    writeln!(out, "| operation | purls/s | ns/purl |")?;
    writeln!(out, "|---|---:|---:|")?;
    for (label, d, n) in [
        (
            "parse + canonical string (target ≥ 2,000,000/s)",
            parse_and_canonicalize,
            total(),
        ),
        ("parse only", parse_only, total()),
        (
            "canonical string of a parsed purl",
            canonicalize_only,
            parsed.len(),
        ),
        ("name identity of a parsed purl", identity, parsed.len()),
    ] {
        let r = rate(d, n);
        writeln!(
            out,
            "| {label} | {} | {:.0} |",
            machine::thousands(r),
            1e9 / r
        )?;
    }
    writeln!(out, "\nPeak RSS: {:.1} MiB.", machine::peak_rss_mib())?;
    Ok(out)
}
