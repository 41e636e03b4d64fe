//! Conversions keep what matters: CycloneDX → SPDX → CycloneDX and SPDX → CycloneDX →
//! SPDX on every real SBOM of the corpus preserve the set of (purl, version, hashes,
//! license) and every dependency edge (compared by component identity, since identifiers
//! are local to a document).

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chainwatch_sbom::{Component, Format, Sbom, read, write};

/// A component's identity as the test compares it: SPDX names files relative to the
/// document (`/bin/kubectl` is written `./bin/kubectl`).
fn identity(c: &Component) -> String {
    let id = chainwatch_sbom::identity(c);
    match id.strip_prefix("file:") {
        Some(name) => format!(
            "file:{}",
            name.trim_start_matches("./").trim_start_matches('/')
        ),
        None => id,
    }
}

/// A purl as the test compares it: canonical when it parses (SPDX writes purls that hold
/// white space in their canonical encoding).
fn purl(c: &Component) -> Option<String> {
    let text = c.purl.as_deref()?;
    Some(
        chainwatch_purl::Purl::parse(text)
            .map_or_else(|_| text.to_owned(), |p| p.canonical().to_owned()),
    )
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

type Essence = (BTreeSet<String>, BTreeSet<String>);

fn essence(s: &Sbom) -> Essence {
    let components = s
        .components
        .iter()
        .map(|c| {
            let mut hashes: Vec<String> = c
                .hashes
                .iter()
                .map(|h| {
                    format!(
                        "{}:{}",
                        h.alg.cyclonedx_name(),
                        h.value.to_ascii_lowercase()
                    )
                })
                .collect();
            hashes.sort();
            hashes.dedup();
            // Several declared licenses are their conjunction in SPDX.
            // Deprecated licence ids are written as their replacements.
            let declared = chainwatch_sbom::join_licenses(&c.licenses)
                .map(|l| chainwatch_sbom::current_license_ids(&l));
            let concluded = c
                .license_concluded
                .as_deref()
                .map(chainwatch_sbom::current_license_ids);
            format!(
                "{:?} {:?} {hashes:?} {declared:?} {:?} {}",
                purl(c),
                c.version,
                concluded,
                identity(c)
            )
        })
        .collect();
    let ids: std::collections::HashMap<&str, String> = s
        .components
        .iter()
        .map(|c| (c.id.as_str(), identity(c)))
        .collect();
    let edges = s
        .relationships
        .iter()
        .filter(|r| r.kind != chainwatch_sbom::RelationshipKind::Describes)
        .filter_map(|r| {
            Some(format!(
                "{} {} {}",
                ids.get(r.from.as_str())?,
                r.kind.as_str(),
                ids.get(r.to.as_str())?
            ))
        })
        .collect();
    (components, edges)
}

fn through(s: &Sbom, via: Format, back: Format) -> Sbom {
    let there = write(s, via).unwrap();
    let mid = read(there.as_bytes(), &chainwatch_sbom::ReadOptions::default())
        .unwrap_or_else(|e| panic!("re-reading {via}: {e}"))
        .sbom;
    let home = write(&mid, back).unwrap();
    read(home.as_bytes(), &chainwatch_sbom::ReadOptions::default())
        .unwrap_or_else(|e| panic!("re-reading {back}: {e}"))
        .sbom
}

fn compare(name: &str, what: &str, a: &Essence, b: &Essence, failures: &mut Vec<String>) {
    if a != b {
        let missing: Vec<_> = a.0.difference(&b.0).take(3).collect();
        let extra: Vec<_> = b.0.difference(&a.0).take(3).collect();
        let lost_edges: Vec<_> = a.1.difference(&b.1).take(3).collect();
        let new_edges: Vec<_> = b.1.difference(&a.1).take(3).collect();
        let short = |v: Vec<&String>| {
            v.iter()
                .map(|s| s.chars().take(160).collect::<String>())
                .collect::<Vec<_>>()
        };
        failures.push(format!(
            "{name} {what}: lost {:?} gained {:?}; edges lost {:?} gained {:?}",
            short(missing),
            short(extra),
            short(lost_edges),
            short(new_edges)
        ));
    }
}

fn strict() -> chainwatch_sbom::ValidateOptions {
    chainwatch_sbom::ValidateOptions {
        strict: true,
        ..Default::default()
    }
}

/// Faults in the input that a faithful conversion keeps.
const CARRIED_OVER: &[chainwatch_sbom::Code] = &[
    chainwatch_sbom::Code::InvalidPurl,
    chainwatch_sbom::Code::InvalidLicense,
    chainwatch_sbom::Code::InvalidHash,
    chainwatch_sbom::Code::InvalidCpe,
    chainwatch_sbom::Code::InvalidDate,
    chainwatch_sbom::Code::DanglingRef,
];

#[test]
fn real_sboms_survive_round_trips() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let mut all = Vec::new();
    files(&corpus.join("real-sboms"), &mut all);
    all.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &all {
        let name = path.strip_prefix(&corpus).unwrap().display().to_string();
        let bytes = std::fs::read(path).unwrap();
        let Ok(parsed) = read(&bytes, &chainwatch_sbom::ReadOptions::default()) else {
            continue;
        };
        let sbom = parsed.sbom;
        let original = essence(&sbom);
        let (there, back) = if matches!(sbom.format, Format::CycloneDxJson | Format::CycloneDxXml) {
            (Format::SpdxJson, Format::CycloneDxJson)
        } else {
            (Format::CycloneDxJson, Format::SpdxJson)
        };
        compare(
            &name,
            &format!("{there} and back"),
            &original,
            &essence(&through(&sbom, there, back)),
            &mut failures,
        );
        // The other serializations of each family too.
        let tv_xml = if there == Format::SpdxJson {
            through(&sbom, Format::SpdxTagValue, Format::CycloneDxXml)
        } else {
            through(&sbom, Format::CycloneDxXml, Format::SpdxTagValue)
        };
        compare(
            &name,
            "tag-value/XML and back",
            &original,
            &essence(&tv_xml),
            &mut failures,
        );
        // What chainwatch writes is valid in strict mode, up to faults carried over from
        // the input (invalid purls, licenses, hashes or dates it was given).
        for format in chainwatch_sbom::WRITABLE {
            let text = write(&sbom, *format).unwrap();
            let v = chainwatch_sbom::validate(text.as_bytes(), &strict())
                .unwrap_or_else(|e| panic!("{name} as {format}: {e}"));
            for d in v
                .diagnostics
                .iter()
                .filter(|d| d.severity == chainwatch_sbom::Severity::Error)
            {
                // Missing data the writer cannot invent: file SHA1s, names.
                let missing_input = d.code == chainwatch_sbom::Code::MissingField
                    && (d.message.contains("has no SHA1 checksum")
                        || d.message.contains("has no `name`"));
                if !CARRIED_OVER.contains(&d.code) && !missing_input {
                    failures.push(format!(
                        "{name} written as {format}: {} {}: {}",
                        d.code.as_str(),
                        d.location,
                        d.message
                    ));
                }
            }
        }
        checked += 1;
    }
    println!("{checked} documents round-tripped");
    assert!(checked >= 90, "only {checked}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
