//! Version comparison, parsing and OSV range evaluation throughput.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use anyhow::Context as _;
use chainwatch_version::{Event, OsvRange, Scheme, Version};

use crate::machine;

const COMPARISONS: usize = 10_000_000;

fn fixture_versions(dir: &Path, files: &[&str]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(dir.join(file))?;
        for line in text.lines() {
            let parts: Vec<&str> = line.trim().split(' ').collect();
            if let [a, op, b] = parts[..]
                && matches!(op, "<" | "=" | ">")
            {
                out.push(a.to_owned());
                out.push(b.to_owned());
            }
        }
    }
    Ok(out)
}

/// A fixed pseudo-random permutation (xorshift), so runs are comparable.
fn shuffle<T>(items: &mut [T]) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = usize::try_from(x % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

pub(crate) fn run() -> anyhow::Result<String> {
    let corpus = chainwatch_testkit::corpus().context("the versions benchmark needs the corpus")?;
    let dir = corpus.join("versions/osv-scalibr");
    let sets: &[(Scheme, &[&str])] = &[
        (
            Scheme::Npm,
            &["semver-versions.txt", "packagist-versions-generated.txt"],
        ),
        (Scheme::Pypi, &["pypi-versions-generated.txt"]),
        (Scheme::Maven, &["maven-versions-generated.txt"]),
        (Scheme::Deb, &["debian-versions-generated.txt"]),
        (Scheme::Apk, &["alpine-versions-generated.txt"]),
        (Scheme::Gem, &["rubygems-versions-generated.txt"]),
        (Scheme::Composer, &["packagist-versions-generated.txt"]),
        (
            Scheme::Rpm,
            &["redhat-versions.txt", "debian-versions-generated.txt"],
        ),
        (
            Scheme::Nuget,
            &["nuget-versions.txt", "semver-versions.txt"],
        ),
    ];
    let mut out = String::new();
    writeln!(out, "Machine: {}", machine::describe())?;
    writeln!(
        out,
        "Input: the version strings of the `versions/osv-scalibr` fixtures (the valid ones per \
         scheme); {} comparisons of pre-parsed versions per scheme, pairs in a fixed shuffled \
         order; best of 5 runs.\n",
        machine::thousands(COMPARISONS as f64)
    )?;
    writeln!(
        out,
        "| scheme | versions | parse (versions/s) | compare (comparisons/s) | ns/comparison |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|")?;
    for (scheme, files) in sets {
        let raw = fixture_versions(&dir, files)?;
        let parsed: Vec<Version> = raw
            .iter()
            .filter_map(|s| Version::parse(*scheme, s).ok())
            .collect();
        let valid: Vec<&String> = raw
            .iter()
            .filter(|s| Version::parse(*scheme, s).is_ok())
            .collect();
        let parse_time = machine::best_of(5, || {
            for s in &valid {
                let _ = black_box(Version::parse(*scheme, black_box(s)));
            }
        });
        let mut order: Vec<usize> = (0..parsed.len()).collect();
        shuffle(&mut order);
        let n = parsed.len();
        let compare_time = machine::best_of(5, || {
            for k in 0..COMPARISONS {
                let a = &parsed[order[k % n]];
                let b = &parsed[order[(k + 1) % n]];
                black_box(black_box(a).cmp(black_box(b)));
            }
        });
        let parse_rate = valid.len() as f64 / parse_time.as_secs_f64();
        let rate = COMPARISONS as f64 / compare_time.as_secs_f64();
        writeln!(
            out,
            "| {scheme} | {} | {} | {} | {:.1} |",
            machine::thousands(n as f64),
            machine::thousands(parse_rate),
            machine::thousands(rate),
            1e9 / rate
        )?;
    }

    // OSV range evaluation: every crates.io range of the RustSec database against versions.
    let (ranges, versions) = rustsec_ranges(&corpus.join("osv/rustsec-full"))?;
    let evaluations = ranges.len() * versions.len();
    let eval_time = machine::best_of(5, || {
        for r in &ranges {
            for v in &versions {
                black_box(r.contains(black_box(v)));
            }
        }
    });
    let rate = evaluations as f64 / eval_time.as_secs_f64();
    writeln!(
        out,
        "\nOSV range evaluation: the {} `SEMVER` ranges of the RustSec database (crates.io) \
         against {} versions taken from their events: {} evaluations/s ({:.0} ns each).",
        machine::thousands(ranges.len() as f64),
        machine::thousands(versions.len() as f64),
        machine::thousands(rate),
        1e9 / rate
    )?;
    writeln!(out, "\nPeak RSS: {:.1} MiB.", machine::peak_rss_mib())?;
    Ok(out)
}

fn rustsec_ranges(dir: &Path) -> anyhow::Result<(Vec<OsvRange>, Vec<Version>)> {
    let mut ranges = Vec::new();
    let mut versions = Vec::new();
    let mut files: Vec<_> = walk(dir);
    files.sort();
    for path in files {
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
        for affected in doc["affected"].as_array().into_iter().flatten() {
            for range in affected["ranges"].as_array().into_iter().flatten() {
                let mut events = Vec::new();
                for e in range["events"].as_array().into_iter().flatten() {
                    for (key, make) in [
                        ("introduced", Event::Introduced as fn(String) -> Event),
                        ("fixed", Event::Fixed),
                        ("last_affected", Event::LastAffected),
                        ("limit", Event::Limit),
                    ] {
                        if let Some(v) = e[key].as_str() {
                            events.push(make(v.to_owned()));
                            if versions.len() < 1000
                                && let Ok(parsed) = Version::parse(Scheme::Cargo, v)
                            {
                                versions.push(parsed);
                            }
                        }
                    }
                }
                if let Ok(r) = OsvRange::new(Scheme::Semver, &events) {
                    ranges.push(r);
                }
            }
        }
    }
    // The same scheme for versions and ranges.
    let versions = versions
        .iter()
        .filter_map(|v| Version::parse(Scheme::Semver, v.as_str()).ok())
        .collect();
    Ok((ranges, versions))
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out
}
