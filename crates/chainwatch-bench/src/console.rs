//! The web console in a real browser (Debian's Chromium, headless, over `WebDriver`),
//! served by the release binary from an SQLite store that holds the 10,000-SBOM
//! portfolio, the 300,000 generated advisories matched against it, a 10,000-component
//! product version and a 50,000-component one with a dense dependency graph. Each page
//! is loaded once to warm up, then five times; the median of its Navigation Timing is
//! reported with the server's own time from its access log.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "milliseconds and sizes from the browser's floats"
)]

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use chainwatch_testkit::webdriver::{Driver, Session};

use crate::advisories::{generate_osv, generate_sbom, osv_archives};
use crate::machine;
use crate::sbom::{chainwatch_binary, time_v};
use crate::store::{generate_portfolio, pool_package};

/// Loads of each page after the warm-up one.
const RUNS: usize = 5;

fn run_cli(bin: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running chainwatch {args:?}"))?;
    if !out.status.success() {
        bail!(
            "chainwatch {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The store: built once (the portfolio, the advisories, two large product versions).
pub(crate) fn prepare(bin: &str, data: &Path) -> anyhow::Result<String> {
    let db_path = data.join("console.db");
    let db = db_path.display().to_string();
    let done = data.join("console.db.complete");
    if done.exists() {
        return Ok(db);
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    let portfolio = data.join("portfolio");
    generate_portfolio(&portfolio)?;
    let osv = data.join("osv-300k");
    generate_osv(&osv)?;
    let long = Duration::from_mins(30);
    let p = portfolio.display().to_string();
    time_v(bin, &["--db", &db, "ingest", &p, "--quiet"], long)?;
    let zips = osv_archives(&osv)?;
    let mut args = vec!["--db", &db, "advisories", "import", "--quiet"];
    args.extend(zips.iter().map(String::as_str));
    time_v(bin, &args, long)?;
    let big = data.join("scan-10k.cdx.json");
    generate_sbom(&big, 10_000)?;
    let huge = data.join("why-50k.cdx.json");
    crate::sbom::generate(&huge, 50_000)?;
    for sbom in [&big, &huge] {
        let s = sbom.display().to_string();
        run_cli(bin, &["--db", &db, "ingest", &s, "--quiet"])?;
    }
    std::fs::write(&done, b"")?;
    Ok(db)
}

/// What the browser measured of one page load (milliseconds, bytes).
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    /// The server's time for the first load (cold: nothing of the page cached).
    first_server_ms: f64,
    first_paint: f64,
    loaded: f64,
    transferred: f64,
    server_ms: f64,
}

const TIMING: &str = "const n = performance.getEntriesByType('navigation')[0];
const p = performance.getEntriesByName('first-contentful-paint')[0];
return [p ? p.startTime : n.domContentLoadedEventEnd, n.loadEventEnd, n.transferSize || n.encodedBodySize];";

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The server's time for the last request to `path` (its access log's `duration_us`).
fn server_ms(log: &Mutex<Vec<String>>, path: &str) -> f64 {
    let Ok(lines) = log.lock() else {
        return f64::NAN;
    };
    lines
        .iter()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["path"].as_str() == Some(path))
        .and_then(|v| v["duration_us"].as_f64())
        .map_or(f64::NAN, |us| us / 1000.0)
}

fn measure(s: &Session, base: &str, url: &str, log: &Mutex<Vec<String>>) -> anyhow::Result<Load> {
    let path = url.split('?').next().unwrap_or(url).to_owned();
    s.goto(&format!("{base}{url}"))?;
    let first_server_ms = server_ms(log, &path);
    let mut loads = Vec::new();
    for _ in 0..RUNS {
        s.goto(&format!("{base}{url}"))?;
        // `loadEventEnd` is set once the load event is over.
        let mut t = s.execute(TIMING, &[])?;
        for _ in 0..100 {
            if t[1].as_f64().unwrap_or(0.0) > 0.0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
            t = s.execute(TIMING, &[])?;
        }
        loads.push(Load {
            first_server_ms,
            first_paint: t[0].as_f64().unwrap_or(f64::NAN),
            loaded: t[1].as_f64().unwrap_or(f64::NAN),
            transferred: t[2].as_f64().unwrap_or(f64::NAN),
            server_ms: server_ms(log, &path),
        });
    }
    Ok(Load {
        first_server_ms,
        first_paint: median(loads.iter().map(|l| l.first_paint).collect()),
        loaded: median(loads.iter().map(|l| l.loaded).collect()),
        transferred: median(loads.iter().map(|l| l.transferred).collect()),
        server_ms: median(loads.iter().map(|l| l.server_ms).collect()),
    })
}

/// Unfolding one component of a why tree: the fragment request as the page's script
/// makes it, timed in the browser (median of five).
fn expand(s: &Session) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = s.execute(
            "const d = document.querySelector('details[data-loaded=\"0\"]');
             if (!d) { return -1; }
             const x = new XMLHttpRequest();
             const t0 = performance.now();
             x.open('GET', d.dataset.children, false);
             x.send();
             return x.status === 200 ? performance.now() - t0 : -2;",
            &[],
        )?;
        let ms = t.as_f64().unwrap_or(-3.0);
        if ms < 0.0 {
            bail!("no component to unfold on the why page ({ms})");
        }
        times.push(ms);
    }
    Ok(median(times))
}

fn row(out: &mut String, page: &str, input: &str, l: &Load, target: &str) {
    let _ = writeln!(
        out,
        "| {page} | {input} | {:.0} ms, then {:.0} ms | {:.0} ms | {:.0} ms | {:.0} KiB | {target} |",
        l.first_server_ms,
        l.server_ms,
        l.first_paint,
        l.loaded,
        l.transferred / 1024.0
    );
}

pub(crate) fn run() -> anyhow::Result<String> {
    let Some((chromium, driver)) = chainwatch_testkit::webdriver::browser() else {
        bail!("the console benchmark needs chromium and chromedriver (scripts/services.sh)");
    };
    let data = chainwatch_testkit::workspace_root().join("target/bench-data");
    std::fs::create_dir_all(&data)?;
    let bin = chainwatch_binary()?;
    let bin = bin.to_str().unwrap_or("chainwatch").to_owned();
    let db = prepare(&bin, &data)?;
    let token_out = run_cli(
        &bin,
        &[
            "--db",
            &db,
            "token",
            "create",
            "--name",
            &format!("bench-{}", std::process::id()),
            "--role",
            "admin",
            "--expires",
            "1h",
            "--format",
            "json",
        ],
    )?;
    let token: serde_json::Value = serde_json::from_str(&token_out)?;
    let token = token["token"].as_str().context("no token")?.to_owned();
    let mut child = Command::new(&bin)
        .args([
            "--db",
            &db,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "100000",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting chainwatch serve")?;
    let pid = child.id();
    let mut stderr = BufReader::new(child.stderr.take().context("no stderr")?);
    let mut first = String::new();
    stderr.read_line(&mut first)?;
    let listening: serde_json::Value =
        serde_json::from_str(&first).with_context(|| format!("serve said `{first}`"))?;
    let base = format!(
        "http://{}",
        listening["address"].as_str().context("no address")?
    );
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Ok(mut l) = sink.lock() {
                l.push(line);
            }
        }
    });
    let result = (|| -> anyhow::Result<String> {
        let driver = Driver::start(&driver)?;
        let s = driver.session(&chromium, 1280, 800)?;
        // Signed in onto the products page: the dashboard is measured apart (below).
        s.goto(&format!("{base}/login?next=%2Fproducts"))?;
        let field = s.find("#token")?;
        s.send_keys(&field, &token)?;
        s.click_to_navigate(&s.find("main.login button[type=submit]")?)?;
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", machine::describe());
        let _ = writeln!(
            out,
            "The console on the store benchmark's portfolio (10,000 SBOMs × 500 components) with the 300,000 generated advisories matched, plus a 10,000-component product version (`scan-target`) and a 50,000-component one with three dependencies per component (`generated-app`), in SQLite; `chainwatch serve` (release) and Debian's Chromium (headless, 1280×800) on loopback. Each page loaded once, then {RUNS} times: the server's time for the first load and the median of the others (access log), the browser's first contentful paint and load event (Navigation Timing, from the start of navigation) and the bytes transferred (uncompressed: the server sends no `Content-Encoding`).\n"
        );
        let _ = writeln!(
            out,
            "| page | input | server (first load, then the median) | first paint | loaded | transferred | target |\n|---|---|---|---|---|---|---|"
        );
        // The dashboard's summary reads every current finding of the portfolio; it is
        // computed in the background on the first visit (the page says so and reloads)
        // and kept until the store changes.
        let started = std::time::Instant::now();
        s.goto(&format!("{base}/"))?;
        let first_visit = server_ms(&log, "/");
        while s.find_all("section.cards")?.is_empty() {
            if started.elapsed() > Duration::from_mins(10) {
                bail!("the dashboard's summary was not ready in 10 minutes");
            }
            std::thread::sleep(Duration::from_millis(500));
            s.goto(&format!("{base}/"))?;
        }
        let took = s.text_of("p.small")?;
        let l = measure(&s, &base, "/", &log)?;
        row(
            &mut out,
            "dashboard (summary cached)",
            "10,002 product versions",
            &l,
            "first paint ≤ 500 ms",
        );
        let _ = writeln!(
            out,
            "| dashboard, first visit (summary being computed) | 10,002 product versions | {first_visit:.0} ms | | | | |"
        );
        let _ = writeln!(
            out,
            "| dashboard summary, in the background | 10,002 product versions, 719,243 findings | {} ({}) | | | | |",
            took.replace("Summary computed in ", "")
                .split(" at ")
                .next()
                .unwrap_or_default(),
            took.split(" (")
                .nth(1)
                .unwrap_or_default()
                .trim_end_matches(").")
        );
        let l = measure(&s, &base, "/products", &log)?;
        row(
            &mut out,
            "products (one row per product, first page of 50)",
            "10,002 product versions",
            &l,
            "first paint ≤ 500 ms",
        );
        let version = "/products/scan-target/versions/1.0.0";
        let l = measure(&s, &base, version, &log)?;
        row(
            &mut out,
            "product version: findings",
            "10,000 components",
            &l,
            "≤ 1 s",
        );
        let l = measure(&s, &base, &format!("{version}?tab=components"), &log)?;
        row(
            &mut out,
            "product version: components (first 100)",
            "10,000 components",
            &l,
            "≤ 1 s",
        );
        let purl = pool_package(7);
        let unversioned = purl.rsplit_once('@').map_or(purl.as_str(), |(p, _)| p);
        let l = measure(&s, &base, &format!("/search?q={}", enc(unversioned)), &log)?;
        row(
            &mut out,
            &format!("search `{unversioned}`"),
            "who has it, 10,002 versions",
            &l,
            "≤ 300 ms",
        );
        s.goto(&format!("{base}{version}"))?;
        let advisory = s
            .execute(
                "const a = document.querySelector('td a[href^=\"/advisories/\"]'); return a ? a.textContent : null;",
                &[],
            )?
            .as_str()
            .map(str::to_owned);
        if let Some(id) = advisory {
            let cve = id.replace("BENCH-", "CVE-2099-");
            let l = measure(&s, &base, &format!("/search?q={cve}"), &log)?;
            row(
                &mut out,
                &format!("search `{cve}`"),
                "an alias of a stored advisory",
                &l,
                "≤ 300 ms",
            );
            let l = measure(&s, &base, &format!("/advisories/{id}"), &log)?;
            row(
                &mut out,
                "advisory",
                "its affected product versions",
                &l,
                "",
            );
        }
        // A component deep in the generated graph (`crate-49998`, see `sbom::generate`).
        let target = "pkg:cargo/crate-49998";
        let why = format!(
            "/products/generated-app/versions/1.0.0/why?purl={}",
            enc(target)
        );
        let l = measure(&s, &base, &why, &log)?;
        row(
            &mut out,
            "why is it here (first two levels)",
            "50,000 components, 150,003 edges",
            &l,
            "first paint ≤ 1 s",
        );
        let unfold = expand(&s)?;
        let _ = writeln!(
            out,
            "| why: unfold one component | 50,000 components | | {unfold:.0} ms (request) | | | ≤ 200 ms |"
        );
        let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|st| {
                st.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kb| kb / 1024.0);
        let _ = writeln!(out, "\nPeak RSS of the server over the run: {rss:.0} MiB.");
        Ok(out)
    })();
    let _ = child.kill();
    let _ = child.wait();
    let _ = run_cli(
        &bin,
        &[
            "--db",
            &db,
            "token",
            "revoke",
            &format!("bench-{}", std::process::id()),
        ],
    );
    result
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
