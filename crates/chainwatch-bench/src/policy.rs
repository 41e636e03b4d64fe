//! `chainwatch-bench policy`: what a 20-rule policy adds to `scan` of a 10,000-component
//! SBOM against the console benchmark's store (300,000 advisories), and what `policy
//! test` costs. Each run is a separate process under `/usr/bin/time -v`.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Context as _;

use crate::machine;
use crate::sbom::{Measured, chainwatch_binary, time_v};

/// The policy measured: 20 rules of every kind (a CEL expression among them), a
/// vulnerability policy, two examples.
const POLICY: &str = r#"
[[rule]]
name = "no-copyleft"
level = "fail"
when.license.deny = ["copyleft"]
[[rule]]
name = "no-network-copyleft"
level = "fail"
when.license.deny = ["network-copyleft"]
[[rule]]
name = "permissive-only"
level = "warn"
when.license.allow = ["permissive", "public-domain", "MPL-2.0"]
[[rule]]
name = "licence-known"
level = "info"
when.license.deny = ["unknown"]
[[rule]]
name = "critical"
level = "fail"
when.severity = "critical"
[[rule]]
name = "high-and-likely"
level = "fail"
when = { severity = "high", epss = 0.2 }
[[rule]]
name = "cvss-9"
level = "warn"
when.cvss = 9.0
[[rule]]
name = "exploited"
level = "fail"
when.known_exploited = true
[[rule]]
name = "malicious"
level = "fail"
when.malicious = true
[[rule]]
name = "squats"
level = "fail"
when = { typosquat = true, direct = true }
[[rule]]
name = "unpinned"
level = "warn"
when.unpinned = true
[[rule]]
name = "log4shell"
level = "fail"
when.advisories = ["CVE-2021-44228", "CVE-2021-45046"]
[[rule]]
name = "banned-npm"
level = "fail"
when.packages = ["pkg:npm/event-stream", "pkg:npm/flatmap-stream", "pkg:npm/ua-parser-js@0.7.29"]
[[rule]]
name = "old-log4j"
level = "fail"
when = { packages = ["pkg:maven/org.apache.logging.log4j/*"], range = "vers:maven/>=2.0.0|<2.17.1" }
[[rule]]
name = "old-openssl"
level = "warn"
when = { packages = ["pkg:deb/*/openssl*", "pkg:deb/*/libssl*"], range = "vers:deb/<3.0.0" }
[[rule]]
name = "direct-medium"
level = "info"
when = { direct = true, severity = "medium" }
[[rule]]
name = "any-of"
level = "warn"
when.any = [{ malicious = true }, { known_exploited = true }, { severity = "critical", direct = true }]
[[rule]]
name = "all-of"
level = "warn"
when.all = [{ severity = "high" }, { license.deny = ["copyleft"] }]
[[rule]]
name = "payments-only"
level = "fail"
products = ["payments-*"]
when.license.deny = ["copyleft"]
[[rule]]
name = "cel-likely-or-gpl-npm"
level = "info"
when.cel = 'findings.exists(f, f.epss != null && f.epss > 0.9) || (component.type == "npm" && component.licenses.exists(l, l.startsWith("GPL-")))'

[[analysis]]
name = "lab-tools-not-affected"
products = ["lab-*"]
state = "not_affected"
justification = "requires_environment"
until = "2999-12-31"
when = { severity = "low" }

[[example]]
name = "AGPL"
component = { purl = "pkg:npm/x@1.0.0", license = "AGPL-3.0-only" }
violates = ["no-copyleft", "no-network-copyleft", "permissive-only"]
[[example]]
name = "MIT"
component = { purl = "pkg:npm/y@1.0.0", license = "MIT" }
violates = []
"#;

/// Runs of `scan` with and without the policy, each.
const SCAN_RUNS: usize = 7;

fn median(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by_key(|r| r.wall);
    runs.swap_remove(runs.len() / 2)
}

pub(crate) fn run() -> anyhow::Result<String> {
    let data = chainwatch_testkit::workspace_root().join("target/bench-data");
    std::fs::create_dir_all(&data)?;
    let bin = chainwatch_binary()?;
    let bin = bin.to_str().unwrap_or("chainwatch").to_owned();
    let db = crate::console::prepare(&bin, &data)?;
    let policy = data.join("policy-20.toml");
    std::fs::write(&policy, POLICY)?;
    let policy = policy.display().to_string();
    let target = data.join("scan-10k.cdx.json").display().to_string();
    let long = Duration::from_mins(10);
    let scan = |with: bool| -> anyhow::Result<Measured> {
        let mut args = vec![
            "--db",
            &db,
            "scan",
            &target,
            "--format",
            "json",
            "--fail-on",
            "never",
        ];
        if with {
            args.extend(["--policy", &policy]);
        }
        time_v(&bin, &args, long)
    };
    // A warm-up each, then seven runs of each, interleaved (this machine's speed wanders
    // from one run to the next by more than the difference measured): the medians.
    scan(false)?;
    scan(true)?;
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..SCAN_RUNS {
        without.push(scan(false)?);
        with.push(scan(true)?);
    }
    let (without, with) = (median(without), median(with));
    let test = median(
        (0..3)
            .map(|_| time_v(&bin, &["policy", "test", &policy], long))
            .collect::<anyhow::Result<Vec<_>>>()?,
    );
    let violations = {
        let out = std::process::Command::new(&bin)
            .args([
                "--db",
                &db,
                "scan",
                &target,
                "--format",
                "json",
                "--fail-on",
                "never",
                "--policy",
                &policy,
            ])
            .output()
            .context("running scan --policy")?;
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        rows.as_array()
            .map_or(0, |r| r.iter().filter(|x| x["kind"] == "policy").count())
    };
    // The whole portfolio: the policy applied to a copy of the store (10,000 product
    // versions), first (every violation new) and again (nothing changes).
    let portfolio = data.join("policy-portfolio.db");
    std::fs::copy(&db, &portfolio).context("copying the console store")?;
    // On disk before the first run: its first commit would otherwise wait for the
    // kernel to write the whole copy back (seconds of system time, none of them the
    // evaluation's).
    std::fs::File::open(&portfolio)
        .and_then(|f| f.sync_all())
        .context("syncing the copy")?;
    let portfolio = portfolio.display().to_string();
    let apply = |path: &str| {
        time_v(
            &bin,
            &[
                "--db", &portfolio, "policy", "apply", path, "--format", "json",
            ],
            long,
        )
    };
    let first = apply(&policy)?;
    let again = median(
        (0..3)
            .map(|_| apply(&policy))
            .collect::<anyhow::Result<Vec<_>>>()?,
    );
    let recorded = {
        let out = std::process::Command::new(&bin)
            .args([
                "--db", &portfolio, "policy", "apply", &policy, "--format", "json",
            ])
            .output()
            .context("running policy apply")?;
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default()
    };
    let listed = median(
        (0..3)
            .map(|_| {
                time_v(
                    &bin,
                    &[
                        "--db",
                        &portfolio,
                        "policy",
                        "violations",
                        "--format",
                        "json",
                    ],
                    long,
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    );
    let _ = std::fs::remove_file(&portfolio);
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", machine::describe());
    let _ = writeln!(
        out,
        "`chainwatch scan` (release) of the console benchmark's 10,000-component SBOM (`scan-10k.cdx.json`) against its store (300,000 advisories, SQLite), JSON output, without and with a 20-rule policy (every condition kind: licence deny/allow lists and categories, severity, CVSS, EPSS, KEV, malicious, typo-squat, unpinned, advisory ids, package globs with vers ranges, `any`/`all`, a product scope, a CEL expression; and a vulnerability policy out of the products' scope). Each a separate process under `/usr/bin/time -v`: after a warm-up, {SCAN_RUNS} runs of each, interleaved, and their medians.\n"
    );
    let _ = writeln!(out, "| run | wall | peak RSS | target |\n|---|---|---|---|");
    let _ = writeln!(
        out,
        "| scan | {:.0} ms | {:.0} MiB | |",
        without.wall.as_secs_f64() * 1000.0,
        without.rss_mib
    );
    let _ = writeln!(
        out,
        "| scan --policy (20 rules, {violations} violations) | {:.0} ms | {:.0} MiB | |",
        with.wall.as_secs_f64() * 1000.0,
        with.rss_mib
    );
    let _ = writeln!(
        out,
        "| what the policy adds | {:+.0} ms | {:+.0} MiB | ≤ 100 ms |",
        (with.wall.as_secs_f64() - without.wall.as_secs_f64()) * 1000.0,
        with.rss_mib - without.rss_mib
    );
    // `/usr/bin/time` counts in hundredths of a second.
    let test_ms = test.wall.as_secs_f64() * 1000.0;
    let _ = writeln!(
        out,
        "| policy test (20 rules, 2 examples) | {} | {:.0} MiB | |",
        if test_ms < 10.0 {
            "< 10 ms".to_owned()
        } else {
            format!("{test_ms:.0} ms")
        },
        test.rss_mib
    );
    let _ = writeln!(
        out,
        "\nThe same policy applied to the whole portfolio (`chainwatch policy apply`, release, on a copy of the console benchmark's store: 10,000 product versions, {} components, 719,243 findings; typo-squat checks included, asked for the packages whose verdict depends on them): the first evaluation records every violation; applying it again evaluates everything and changes nothing. The policy's examples run first (`apply` refuses a policy whose examples fail). `apply` streams the components on up to two cores (2 here). The copy is synced to disk before the first run. One process each under `/usr/bin/time -v` (again: the median of three).\n",
        recorded["components"]
    );
    let _ = writeln!(out, "| run | wall | peak RSS | target |\n|---|---|---|---|");
    let _ = writeln!(
        out,
        "| policy apply, first ({} violations recorded) | {:.2} s | {:.0} MiB | ≤ 5 s |",
        recorded["open"],
        first.wall.as_secs_f64(),
        first.rss_mib
    );
    let _ = writeln!(
        out,
        "| policy apply, again (nothing changes) | {:.2} s | {:.0} MiB | ≤ 5 s |",
        again.wall.as_secs_f64(),
        again.rss_mib
    );
    let _ = writeln!(
        out,
        "| policy violations --format json (all) | {:.2} s | {:.0} MiB | |",
        listed.wall.as_secs_f64(),
        listed.rss_mib
    );
    Ok(out)
}
