//! The portfolio store: ingest throughput on a generated portfolio (10,000 SBOMs × 500
//! components drawn from a pool of 100,000 packages across ecosystems, with dependency
//! graphs) and on one 250 MB SBOM, into SQLite and PostgreSQL, with `/usr/bin/time`; then
//! `who-has` and `why` latency percentiles on the full portfolio, in process.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "sampling indexes and percentiles from floats"
)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chainwatch_store::Store;

use crate::machine::{self, ms, percentile};
use crate::sbom::{Measured, chainwatch_binary, secs, time_v};

/// The portfolio's shape.
pub(crate) const SBOMS: usize = 10_000;
pub(crate) const COMPONENTS: usize = 500;
pub(crate) const POOL: usize = 100_000;

/// A fixed-seed generator (xorshift64*).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
    /// Zipf-like: small indexes (popular packages) much more often.
    pub(crate) fn popular(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let x = (n as f64).powf(u) - 1.0;
        (x as usize).min(n - 1)
    }
}

const WORDS: &[&str] = &[
    "core", "util", "http", "json", "log", "test", "async", "data", "auth", "cache", "config",
    "crypto", "db", "net", "parse", "queue", "stream", "time", "web", "xml", "yaml", "zip", "cli",
    "client", "server", "proto", "codec", "fs", "io", "math",
];

/// One package of the pool: its purl.
pub(crate) fn pool_package(i: usize) -> String {
    let w = |k: usize| WORDS[(i / k + k) % WORDS.len()];
    let v = format!("{}.{}.{}", i % 7, (i / 7) % 23, (i / 161) % 11);
    match i % 10 {
        0..=3 => format!("pkg:npm/{}-{}-{i}@{v}", w(1), w(3)),
        4 | 5 => format!("pkg:pypi/{}-{}{i}@{v}", w(2), w(5)),
        6 => format!("pkg:maven/org.{}.{}/{}-{i}@{v}", w(7), w(11), w(13)),
        7 => format!("pkg:cargo/{}_{}{i}@{v}", w(3), w(17)),
        8 => format!(
            "pkg:golang/github.com/{}{}/{}-{i}@v{v}",
            w(5),
            i % 97,
            w(19)
        ),
        _ => format!(
            "pkg:deb/debian/lib{}{i}@{v}-1?arch=amd64&distro=debian-12",
            w(23)
        ),
    }
}

fn name_of(purl: &str) -> &str {
    let path = purl.split('@').next().unwrap_or(purl);
    path.rsplit('/').next().unwrap_or(path)
}

/// Writes the portfolio into `dir` (skipped when it is already there) and returns the
/// pool, for the queries.
pub(crate) fn generate_portfolio(dir: &Path) -> anyhow::Result<Vec<String>> {
    let pool: Vec<String> = (0..POOL).map(pool_package).collect();
    let done = dir.join(".complete");
    if done.exists() {
        return Ok(pool);
    }
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut chosen = Vec::with_capacity(COMPONENTS);
    let mut seen = std::collections::HashSet::with_capacity(COMPONENTS * 2);
    for doc in 0..SBOMS {
        let product = format!("product-{:04}", doc / 10);
        let version = format!("{}.{}.0", doc % 10, doc % 3);
        chosen.clear();
        seen.clear();
        while chosen.len() < COMPONENTS {
            let p = rng.popular(POOL);
            if seen.insert(p) {
                chosen.push(p);
            }
        }
        let file = std::fs::File::create(dir.join(format!("{doc:05}.cdx.json")))?;
        let mut out = std::io::BufWriter::with_capacity(256 << 10, file);
        write!(
            out,
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:00000000-0000-4000-8000-{doc:012}","version":1,"metadata":{{"timestamp":"2026-11-27T00:00:00Z","component":{{"type":"application","bom-ref":"root","name":"{product}","version":"{version}","purl":"pkg:generic/{product}@{version}"}}}},"components":["#
        )?;
        for (k, &p) in chosen.iter().enumerate() {
            let purl = &pool[p];
            let comma = if k == 0 { "" } else { "," };
            let (_, v) = purl.split_once('@').unwrap_or((purl, ""));
            let v = v.split('?').next().unwrap_or(v);
            write!(
                out,
                r#"{comma}{{"type":"library","bom-ref":"c{k}","name":"{}","version":"{v}","purl":"{purl}","hashes":[{{"alg":"SHA-256","content":"{:016x}{:016x}{:016x}{:016x}"}}],"licenses":[{{"license":{{"id":"{}"}}}}]}}"#,
                name_of(purl),
                p,
                rng.next(),
                rng.next(),
                rng.next(),
                ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC"][p % 4]
            )?;
        }
        // Direct dependencies of the product, then each component on 0–3 later ones.
        write!(
            out,
            r#"],"dependencies":[{{"ref":"root","dependsOn":["c0","c1","c2","c3","c4","c5","c6","c7","c8","c9"]}}"#
        )?;
        for k in 0..COMPONENTS {
            let fan = rng.below(4);
            let deps: Vec<String> = (0..fan)
                .map(|_| k + 1 + rng.below(COMPONENTS))
                .filter(|d| *d < COMPONENTS)
                .map(|d| format!("\"c{d}\""))
                .collect();
            write!(out, r#",{{"ref":"c{k}","dependsOn":[{}]}}"#, deps.join(","))?;
        }
        write!(out, "]}}")?;
        out.flush()?;
    }
    std::fs::write(&done, b"")?;
    Ok(pool)
}

struct Latencies {
    who_has: Vec<Duration>,
    who_has_range: Vec<Duration>,
    why: Vec<Duration>,
    hits: usize,
}

/// `who-has` and `why` on random questions about the portfolio (popular packages asked
/// about more often, as after an incident).
fn query_latencies(store: &Store, pool: &[String]) -> anyhow::Result<Latencies> {
    let mut rng = Rng(0x1234_5678);
    let mut l = Latencies {
        who_has: Vec::new(),
        who_has_range: Vec::new(),
        why: Vec::new(),
        hits: 0,
    };
    for _ in 0..500 {
        let purl = &pool[rng.popular(POOL)];
        let name = purl.split('@').next().unwrap_or(purl);
        let t = Instant::now();
        let rows = store.who_has(name, None, None)?;
        l.who_has.push(t.elapsed());
        l.hits += rows.len();
        let ty = name
            .strip_prefix("pkg:")
            .and_then(|s| s.split('/').next())
            .unwrap_or("generic");
        let scheme = if ty == "golang" { "golang" } else { ty };
        let range = format!("vers:{scheme}/>=1.0.0|<4.0.0");
        let t = Instant::now();
        let _ = store.who_has(name, Some(&range), None)?;
        l.who_has_range.push(t.elapsed());
        // `why` for a product that has it (the question users ask).
        if let Some(row) = rows.get(rng.below(rows.len().max(1))) {
            let t = Instant::now();
            let paths = store.why(&row.product, Some(&row.version), name, 10, None)?;
            l.why.push(t.elapsed());
            std::hint::black_box(paths.len());
        }
    }
    l.who_has.sort();
    l.who_has_range.sort();
    l.why.sort();
    Ok(l)
}

/// Waits for the PostgreSQL server to write out what the last run left in its buffers
/// and WAL, so that its background writing does not slow the next measurement.
fn pg_settle() -> anyhow::Result<()> {
    let url = std::env::var("CHAINWATCH_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
    client.batch_execute("CHECKPOINT")?;
    Ok(())
}

pub(crate) fn pg_url(schema: &str) -> anyhow::Result<String> {
    let url = std::env::var("CHAINWATCH_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let mut client = postgres::Client::connect(&url, postgres::NoTls)
        .context("PostgreSQL (CHAINWATCH_TEST_PG) for the benchmark")?;
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
    Ok(format!("{url}?schema={schema}"))
}

fn row(s: &mut String, what: &str, backend: &str, comps: f64, m: &Measured) {
    let _ = writeln!(
        s,
        "| {what} | {backend} | {} | {} | {} | {:.0} MiB |{}",
        machine::thousands(comps),
        secs(m.wall),
        machine::thousands(comps / m.wall.as_secs_f64()),
        m.rss_mib,
        if m.ok { "" } else { " failed |" }
    );
}

pub(crate) fn run() -> anyhow::Result<String> {
    let data = chainwatch_testkit::workspace_root().join("target/bench-data");
    let dir = data.join("portfolio");
    let started = Instant::now();
    let pool = generate_portfolio(&dir)?;
    eprintln!("portfolio ready in {:?}", started.elapsed());
    let big = data.join("generated-500k.cdx.json");
    if !big.exists() {
        crate::sbom::generate(&big, 500_000)?;
    }
    let bin = chainwatch_binary()?;
    let bin = bin.to_str().context("UTF-8 path")?;
    let portfolio = dir.to_str().context("UTF-8 path")?;
    let big = big.to_str().context("UTF-8 path")?;
    let total = (SBOMS * (COMPONENTS + 1)) as f64;
    let timeout = Duration::from_mins(30);

    let mut s = String::new();
    let _ = writeln!(
        s,
        "Machine: {}.\n",
        machine::describe().replace(", one thread", "")
    );
    let _ = writeln!(
        s,
        "Portfolio: {SBOMS} CycloneDX SBOMs × {COMPONENTS} components (+ the product) drawn \
         (Zipf-like) from a pool of {POOL} packages in npm, PyPI, Maven, Cargo, Go and Debian, \
         with dependency graphs; `chainwatch-bench store` generates it into \
         `target/bench-data/portfolio`. `chainwatch ingest DIR` (documents parsed on all cores, \
         one writer), wall time and peak RSS from `/usr/bin/time -v`, into an empty store:\n"
    );
    let _ = writeln!(
        s,
        "| input | store | components | time | components/s | peak RSS |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|");

    let sqlite_path = data.join("portfolio.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_path.display()));
    }
    let sqlite_db = sqlite_path.display().to_string();
    let m = time_v(
        bin,
        &["--db", &sqlite_db, "--quiet", "ingest", portfolio],
        timeout,
    )?;
    row(&mut s, "portfolio", "SQLite", total, &m);
    let pg_db = pg_url("bench_portfolio")?;
    let m = time_v(
        bin,
        &["--db", &pg_db, "--quiet", "ingest", portfolio],
        timeout,
    )?;
    row(&mut s, "portfolio", "PostgreSQL", total, &m);
    pg_settle()?;

    // The big document into SQLite, and CPython's `json.load` of the same file (the
    // yardstick: chainwatch should store it in well under the time Python takes only to
    // parse it): best of three each, interleaved, as this machine's speed wanders.
    let big_sqlite = data.join("big.db").display().to_string();
    let mut best: Option<Measured> = None;
    let mut python: Option<Measured> = None;
    for _ in 0..3 {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{big_sqlite}{suffix}"));
        }
        let m = time_v(
            bin,
            &["--db", &big_sqlite, "--quiet", "ingest", big],
            timeout,
        )?;
        if best.as_ref().is_none_or(|b| m.wall < b.wall) {
            best = Some(m);
        }
        if let Ok(p) = time_v(
            "python3",
            &["-c", "import json, sys; json.load(open(sys.argv[1]))", big],
            timeout,
        ) && p.ok
            && python.as_ref().is_none_or(|b| p.wall < b.wall)
        {
            python = Some(p);
        }
    }
    let m = best.context("no run")?;
    row(&mut s, "one 269 MB SBOM", "SQLite", 500_001.0, &m);
    let yardstick = python.map(|p| {
        format!(
            "CPython's `json.load` of the same file only parses it in {:.2} s at {:.0} MiB: \
             chainwatch stores it in SQLite in {:.2}× that time (best of three each, \
             interleaved).",
            p.wall.as_secs_f64(),
            p.rss_mib,
            m.wall.as_secs_f64() / p.wall.as_secs_f64()
        )
    });
    let big_pg = pg_url("bench_big")?;
    let m = time_v(bin, &["--db", &big_pg, "--quiet", "ingest", big], timeout)?;
    row(&mut s, "one 269 MB SBOM", "PostgreSQL", 500_001.0, &m);
    pg_settle()?;

    if let Some(line) = yardstick {
        let _ = writeln!(s, "\n{line}");
    }
    s.push_str(&query_table(&pool, &sqlite_db, &pg_db)?);
    let _ = writeln!(
        s,
        "\nPeers, as published (not installable here): Trustify needed about a minute and 8 GiB \
         for one 256 MB SBOM; Dependency-Track asks for 4.5–16 GB of RAM."
    );
    Ok(s)
}

/// `chainwatch-bench store-queries`: the query table alone, on the stores the last
/// `store` run filled (for working on queries; not written to docs/benchmarks.md).
pub(crate) fn queries_only() -> anyhow::Result<String> {
    let data = chainwatch_testkit::workspace_root().join("target/bench-data");
    let pool = generate_portfolio(&data.join("portfolio"))?;
    let url = std::env::var("CHAINWATCH_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    query_table(
        &pool,
        &data.join("portfolio.db").display().to_string(),
        &format!("{url}?schema=bench_portfolio"),
    )
}

fn query_table(pool: &[String], sqlite_db: &str, pg_db: &str) -> anyhow::Result<String> {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nQueries on the full portfolio (in process, 500 questions each, popular packages \
         asked more often; `who-has` by name, with a vers range, and `why` for a product \
         version that has the package):\n"
    );
    let _ = writeln!(s, "| query | store | p50 | p95 | p99 | max |");
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|");
    for (label, url) in [("SQLite", sqlite_db), ("PostgreSQL", pg_db)] {
        let store = Store::open(url)?;
        let stats = store.stats()?;
        if stats.documents != SBOMS as u64 {
            bail!(
                "{label}: {} documents stored, expected {SBOMS}",
                stats.documents
            );
        }
        let l = query_latencies(&store, pool)?;
        for (q, v) in [
            ("who-has", &l.who_has),
            ("who-has --range", &l.who_has_range),
            ("why", &l.why),
        ] {
            let _ = writeln!(
                s,
                "| {q} | {label} | {} | {} | {} | {} |",
                ms(percentile(v, 0.5)),
                ms(percentile(v, 0.95)),
                ms(percentile(v, 0.99)),
                ms(percentile(v, 1.0))
            );
        }
        eprintln!("{label}: {} who-has hits over 500 questions", l.hits);
    }
    Ok(s)
}
