//! The advisories benchmark: a generated OSV database at full scale (300,000 records
//! across ecosystems, as per-ecosystem `all.zip` archives), imported into a store that
//! holds the 10,000-SBOM portfolio; the portfolio matched from scratch; 1,000 changed
//! advisories re-matched incrementally; a 10,000-component SBOM scanned against it all.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::machine;
use crate::sbom::{Measured, best_of_3, chainwatch_binary, secs, time_v};
use crate::store::{POOL, Rng, generate_portfolio, pool_package};

/// Records in the generated database.
const RECORDS: usize = 300_000;
/// Changed records for the incremental step.
const CHANGED: usize = 1_000;
/// One record in this many names a package of the portfolio's pool; the others name
/// packages the portfolio does not have (as most of OSV does for any one portfolio). The
/// pool packages are drawn uniformly: a Zipf draw would pile thousands of advisories on
/// the few packages every SBOM has, which no real database does.
const HIT_EVERY: usize = 20;
/// Components of the scanned SBOM.
const SCAN_COMPONENTS: usize = 10_000;

/// (OSV ecosystem, share in percent): roughly OSV's own mix.
const ECOSYSTEMS: &[(&str, usize)] = &[
    ("npm", 40),
    ("PyPI", 15),
    ("Maven", 10),
    ("crates.io", 5),
    ("Go", 10),
    ("Debian:12", 20),
];

/// The OSV (ecosystem, name, version) of a pool purl.
fn osv_of(purl: &str) -> (&'static str, String, String) {
    let p = chainwatch_purl::Purl::parse(purl).expect("pool purls are valid");
    let version = p.version().unwrap_or("0").to_owned();
    let (eco, name) = match p.ty() {
        "npm" => ("npm", p.name().to_owned()),
        "pypi" => ("PyPI", p.name().to_owned()),
        "maven" => (
            "Maven",
            format!("{}:{}", p.namespace().unwrap_or(""), p.name()),
        ),
        "cargo" => ("crates.io", p.name().to_owned()),
        "golang" => (
            "Go",
            format!("{}/{}", p.namespace().unwrap_or(""), p.name()),
        ),
        _ => ("Debian:12", p.name().to_owned()),
    };
    (eco, name, version)
}

/// A version of the ecosystem's form above `version` (for `fixed`).
fn bump(version: &str, k: usize) -> String {
    let v = version.trim_start_matches('v');
    let base = v.split('-').next().unwrap_or(v);
    let mut parts: Vec<u64> = base.split('.').filter_map(|x| x.parse().ok()).collect();
    parts.resize(3, 0);
    parts[2 - (k % 3)] += 1 + (k as u64 % 3);
    let s = format!("{}.{}.{}", parts[0], parts[1], parts[2]);
    if version.starts_with('v') {
        format!("v{s}")
    } else if version.contains('-') {
        format!("{s}-1")
    } else {
        s
    }
}

fn record(i: usize, rng: &mut Rng, modified: &str, shift: usize) -> (String, String) {
    let (eco, name, version) = if i.is_multiple_of(HIT_EVERY) {
        osv_of(&pool_package(rng.below(POOL)))
    } else {
        let pick = rng.below(100);
        let mut acc = 0;
        let eco = ECOSYSTEMS
            .iter()
            .find(|(_, share)| {
                acc += share;
                pick < acc
            })
            .map_or("npm", |(e, _)| *e);
        let name = match eco {
            "Maven" => format!("org.absent{}:lib-{i}", i % 97),
            "Go" => format!("github.com/absent{}/mod-{i}", i % 97),
            _ => format!("absent-package-{i}"),
        };
        let v = if eco == "Go" { "v1.2.3" } else { "1.2.3" };
        (eco, name, v.to_owned())
    };
    let fixed = bump(&version, i + shift);
    let id = format!("BENCH-{i:07}");
    let json = format!(
        r#"{{"schema_version":"1.6.0","id":"{id}","modified":"{modified}","published":"2024-01-01T00:00:00Z","aliases":["CVE-2099-{i:07}"],"summary":"Generated advisory {i} for {name}","details":"A generated advisory that reads like a real one: an attacker who controls the input can make the parser read past the end of a buffer, which may crash the process or disclose memory. Upgrade to the fixed version; no workaround is known.","severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:{}/A:N"}}],"affected":[{{"package":{{"ecosystem":"{eco}","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}],"references":[{{"type":"ADVISORY","url":"https://advisories.example/{id}"}}]}}"#,
        ["N", "L", "H"][i % 3]
    );
    (eco.split(':').next().unwrap_or(eco).to_owned(), json)
}

/// Writes the database as one zip archive per ecosystem (skipped when present).
pub(crate) fn generate_osv(dir: &Path) -> anyhow::Result<()> {
    let done = dir.join(".complete");
    if done.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let mut writers = std::collections::BTreeMap::new();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for i in 0..RECORDS {
        let (eco, json) = record(i, &mut rng, "2025-01-01T00:00:00Z", 0);
        let w = match writers.entry(eco.clone()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(zip::ZipWriter::new(
                std::fs::File::create(dir.join(format!("{eco}.zip")))?,
            )),
        };
        w.start_file(format!("BENCH-{i:07}.json"), options)?;
        w.write_all(json.as_bytes())?;
    }
    for (_, w) in writers {
        w.finish()?;
    }
    // The changed records: the same ids, modified later, fixed elsewhere.
    let mut changed = zip::ZipWriter::new(std::fs::File::create(dir.join("changed.zip"))?);
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let step = RECORDS / CHANGED;
    for i in 0..RECORDS {
        // The same draws as above, so each changed record names the same package.
        let (_, json) = record(i, &mut rng, "2026-11-01T00:00:00Z", 1);
        if i.is_multiple_of(step) {
            changed.start_file(format!("BENCH-{i:07}.json"), options)?;
            changed.write_all(json.as_bytes())?;
        }
    }
    changed.finish()?;
    std::fs::write(&done, b"")?;
    Ok(())
}

/// The generated database's per-ecosystem archives (not the changed records), sorted.
pub(crate) fn osv_archives(osv: &Path) -> anyhow::Result<Vec<String>> {
    let mut zips: Vec<String> = std::fs::read_dir(osv)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "zip")
                && p.file_name().is_some_and(|n| n != "changed.zip")
        })
        .map(|p| p.display().to_string())
        .collect();
    zips.sort();
    Ok(zips)
}

/// A CycloneDX SBOM of `n` distinct pool packages.
pub(crate) fn generate_sbom(path: &Path, n: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    write!(
        out,
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{{"component":{{"type":"application","bom-ref":"root","name":"scan-target","version":"1.0.0"}}}},"components":["#
    )?;
    for k in 0..n {
        let purl = pool_package(k * (POOL / n));
        let comma = if k == 0 { "" } else { "," };
        write!(
            out,
            r#"{comma}{{"type":"library","bom-ref":"c{k}","name":"p{k}","purl":"{purl}"}}"#
        )?;
    }
    write!(out, r#"],"dependencies":[{{"ref":"root","dependsOn":["#)?;
    for k in 0..n {
        let comma = if k == 0 { "" } else { "," };
        write!(out, r#"{comma}"c{k}""#)?;
    }
    write!(out, "]}}]}}")?;
    out.flush()?;
    Ok(())
}

fn row(s: &mut String, what: &str, input: &str, m: &Measured, target: &str) {
    let _ = writeln!(
        s,
        "| {what} | {input} | {} | {:.0} MiB | {target} |{}",
        secs(m.wall),
        m.rss_mib,
        if m.ok { "" } else { " failed |" }
    );
}

pub(crate) fn run() -> anyhow::Result<String> {
    let data = chainwatch_testkit::workspace_root().join("target/bench-data");
    let portfolio = data.join("portfolio");
    generate_portfolio(&portfolio)?;
    let osv = data.join("osv-300k");
    generate_osv(&osv)?;
    let sbom = data.join("scan-10k.cdx.json");
    generate_sbom(&sbom, SCAN_COMPONENTS)?;
    let bin = chainwatch_binary()?;
    let bin = bin.to_str().unwrap_or("chainwatch");
    let db_path = data.join("advisories.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    let db = db_path.display().to_string();
    let long = Duration::from_mins(30);
    let portfolio_s = portfolio.display().to_string();
    let ingest = time_v(bin, &["--db", &db, "ingest", &portfolio_s, "--quiet"], long)?;
    let zips = osv_archives(&osv)?;
    let mut args = vec!["--db", &db, "advisories", "import", "--no-match"];
    args.extend(zips.iter().map(String::as_str));
    eprintln!("ingest: {}", secs(ingest.wall));
    let import = time_v(bin, &args, long)?;
    eprintln!("import: {} {:.0} MiB", secs(import.wall), import.rss_mib);
    let full = time_v(bin, &["--db", &db, "advisories", "match", "--full"], long)?;
    eprintln!("full match: {} {:.0} MiB", secs(full.wall), full.rss_mib);
    let changed = osv.join("changed.zip").display().to_string();
    let import_changed = time_v(
        bin,
        &["--db", &db, "advisories", "import", "--no-match", &changed],
        long,
    )?;
    let incremental = time_v(bin, &["--db", &db, "advisories", "match"], long)?;
    eprintln!(
        "incremental: {} {:.0} MiB",
        secs(incremental.wall),
        incremental.rss_mib
    );
    let sbom_s = sbom.display().to_string();
    // Best of three: the first run warms the page cache.
    let scan = best_of_3(
        bin,
        &[
            "--db",
            &db,
            "scan",
            &sbom_s,
            "--fail-on",
            "never",
            "--format",
            "json",
        ],
        long,
    )?;
    let listing = time_v(
        bin,
        &[
            "--db",
            &db,
            "findings",
            "--product",
            "product-0000",
            "--format",
            "json",
        ],
        long,
    )?;
    let findings = std::process::Command::new(bin)
        .args([
            "--db",
            &db,
            "findings",
            "--product",
            "product-0000",
            "--format",
            "json",
        ])
        .output()?;
    let findings: serde_json::Value = serde_json::from_slice(&findings.stdout).unwrap_or_default();
    let n_findings = findings.as_array().map_or(0, Vec::len);
    let mut s = String::new();
    let _ = writeln!(s, "{}\n", machine::describe());
    let _ = writeln!(
        s,
        "A generated OSV database of {RECORDS} records (npm, PyPI, Maven, crates.io, Go, Debian:12; one in {HIT_EVERY} names a package of the portfolio's pool, drawn uniformly; CVSS v3.1 vectors, ranges with `fixed` versions), written as one `all.zip`-style archive per ecosystem by `chainwatch-bench advisories` into `target/bench-data/osv-300k`, against the store benchmark's portfolio ({} SBOMs × {} components from a pool of {POOL} packages) in an SQLite store. Each step is one `chainwatch` process (wall time and peak RSS from `/usr/bin/time -v`).\n",
        crate::store::SBOMS,
        crate::store::COMPONENTS
    );
    let _ = writeln!(s, "| step | input | time | peak RSS | target |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    row(
        &mut s,
        "`ingest` (set-up, not a target here)",
        "10,000 SBOMs",
        &ingest,
        "",
    );
    row(
        &mut s,
        "`advisories import --no-match`",
        "300,000 records (6 zip archives)",
        &import,
        "≤ 60 s",
    );
    row(
        &mut s,
        "`advisories match --full` (from scratch)",
        "the whole portfolio",
        &full,
        "≤ 30 s",
    );
    row(
        &mut s,
        "`advisories import --no-match`",
        "1,000 changed records",
        &import_changed,
        "",
    );
    row(
        &mut s,
        "`advisories match` (incremental)",
        "after 1,000 changed records",
        &incremental,
        "≤ 1 s",
    );
    row(
        &mut s,
        "`scan` (best of 3, with start-up)",
        "10,000-component SBOM",
        &scan,
        "≤ 300 ms",
    );
    row(
        &mut s,
        "`findings --product product-0000`",
        "one product's 10 versions",
        &listing,
        "",
    );
    let _ = writeln!(
        s,
        "\n`findings --product product-0000` lists {n_findings} findings (version × package × advisory)."
    );
    Ok(s)
}
