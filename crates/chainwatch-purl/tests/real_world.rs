//! Every purl that appears in the real SBOMs of the shared corpus: none makes the parser
//! panic, each accepted one round-trips through its canonical form unchanged, and the
//! rejected ones are rejected for a reason we list.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeMap;
use std::path::Path;

use chainwatch_purl::Purl;

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| matches!(e.to_str(), Some("json" | "xml" | "spdx" | "txt" | "cdx")))
        {
            out.push(path);
        }
    }
}

/// Purl-looking substrings: from `pkg:` to the next JSON/XML/text delimiter.
fn purls_in(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("pkg:").map(move |(i, _)| {
        let rest = &text[i..];
        let end = rest
            .find(|c: char| c == '"' || c == '<' || c == '\'' || c.is_whitespace())
            .unwrap_or(rest.len());
        &rest[..end]
    })
}

#[test]
fn real_sbom_purls_parse_and_round_trip() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let mut files = Vec::new();
    collect_files(&corpus.join("real-sboms"), &mut files);
    files.sort();

    let (mut total, mut ok) = (0usize, 0usize);
    let mut rejected: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for raw in purls_in(&text) {
            // JSON escapes `/` as `\/` in some writers; XML escapes `&`.
            let raw = raw.replace("\\/", "/").replace("&amp;", "&");
            total += 1;
            match Purl::parse(&raw) {
                Ok(purl) => {
                    ok += 1;
                    let canonical = purl.to_string();
                    let again = Purl::parse(&canonical).unwrap_or_else(|e| {
                        panic!("canonical `{canonical}` of `{raw}` fails: {e}")
                    });
                    assert_eq!(again, purl, "`{raw}` is not stable through `{canonical}`");
                    assert_eq!(again.to_string(), canonical);
                }
                Err(e) => {
                    let entry = rejected.entry(e.to_string()).or_insert((0, raw.clone()));
                    entry.0 += 1;
                }
            }
        }
    }
    println!(
        "{ok} of {total} purls in {} real SBOM files parse",
        files.len()
    );
    for (why, (count, example)) in &rejected {
        println!("  {count:>6} × {why}   e.g. `{example}`");
    }
    assert!(
        total > 10_000,
        "expected the real SBOMs, found {total} purls"
    );
}
