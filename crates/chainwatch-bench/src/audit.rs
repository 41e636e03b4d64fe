//! The package-audit benchmark (issue 22): recall on the malicious samples (development
//! set and the held-out quarter, which no rule was written against), false alarms on
//! real benign packages of npm, PyPI and crates.io, speed and memory, and `GuardDog` on
//! the same packages.
//!
//! The benign set: `scripts/audit-benign.sh` installs the npm and PyPI packages listed in
//! `crates/chainwatch-bench/data/audit-benign-{npm,pypi}.txt` into
//! `target/bench-data/audit/` (npm with `--ignore-scripts`, PyPI as wheels: nothing is
//! run); the crates are those of this workspace's `Cargo.lock`, from the Cargo registry's
//! source directory the build filled. `GuardDog` comes from `target/bench-peers` (the
//! script installs it from PyPI).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::machine;
use crate::sbom::{chainwatch_binary, secs, time_v};

/// One package of a set.
#[derive(Debug, Clone)]
struct Package {
    ecosystem: &'static str,
    path: PathBuf,
}

fn root() -> PathBuf {
    chainwatch_testkit::workspace_root()
}

fn dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading `{}`", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    Ok(out)
}

/// The malicious samples of a set (`dev` or `holdout`), with their ecosystem from the
/// directory name (`NN-ECOSYSTEM-NAME`).
fn malicious(set: &str) -> anyhow::Result<Vec<Package>> {
    let dir = root()
        .join("crates/chainwatch-audit/tests/malicious")
        .join(set);
    Ok(dirs(&dir)?
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let ecosystem = ["npm", "pypi", "crates", "rubygems"]
                .into_iter()
                .find(|e| name.contains(&format!("-{e}-")))
                .unwrap_or("npm");
            Package { ecosystem, path }
        })
        .collect())
}

/// The crates of `Cargo.lock` that the Cargo registry's source directory holds.
fn benign_crates() -> anyhow::Result<Vec<Package>> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))?;
    let mut wanted = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        } else if let Some(v) = line.strip_prefix("version = ")
            && let Some(n) = name.take()
        {
            wanted.push(format!("{n}-{}", v.trim_matches('"')));
        } else if line.starts_with("source = ") && line.contains("registry+") {
            // (the source line follows the version: nothing to do)
        }
    }
    let home = std::env::var_os("CARGO_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        PathBuf::from,
    );
    let mut out = Vec::new();
    for registry in dirs(&home.join("registry/src")).unwrap_or_default() {
        for krate in &wanted {
            let path = registry.join(krate);
            if path.join("Cargo.toml").is_file()
                && !out.iter().any(|p: &Package| p.path.ends_with(krate))
            {
                out.push(Package {
                    ecosystem: "crates",
                    path,
                });
            }
        }
    }
    Ok(out)
}

/// npm packages installed under `node_modules` (scopes included, nested copies too).
fn npm_packages(node_modules: &Path, out: &mut Vec<Package>) {
    for dir in dirs(node_modules).unwrap_or_default() {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.starts_with('.') {
            continue;
        }
        if name.starts_with('@') {
            npm_packages(&dir, out);
        } else if dir.join("package.json").is_file() {
            let nested = dir.join("node_modules");
            out.push(Package {
                ecosystem: "npm",
                path: dir,
            });
            if nested.is_dir() {
                npm_packages(&nested, out);
            }
        }
    }
}

fn benign() -> anyhow::Result<Vec<Package>> {
    let data = root().join("target/bench-data/audit");
    let mut out = Vec::new();
    npm_packages(&data.join("npm/node_modules"), &mut out);
    let mut wheels: Vec<PathBuf> = std::fs::read_dir(data.join("pypi"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    wheels.retain(|p| p.extension().is_some_and(|e| e == "whl"));
    wheels.sort();
    out.extend(wheels.into_iter().map(|path| Package {
        ecosystem: "pypi",
        path,
    }));
    out.extend(benign_crates()?);
    if out.iter().filter(|p| p.ecosystem == "npm").count() < 100
        || out.iter().filter(|p| p.ecosystem == "pypi").count() < 50
    {
        bail!("the benign set is missing: run `bash scripts/audit-benign.sh` first");
    }
    Ok(out)
}

/// The worst severity found in a package (`None`: no finding) and the rules that fired.
type Verdicts = HashMap<PathBuf, (Option<String>, Vec<String>)>;

/// chainwatch's worst severity per package (`None`: no finding), and the rules that fired.
fn chainwatch_verdicts(binary: &Path, packages: &[Package]) -> anyhow::Result<Verdicts> {
    let mut out = HashMap::new();
    for chunk in packages.chunks(500) {
        let output = Command::new(binary)
            .args(["audit", "package", "--format", "json", "--quiet"])
            .args(chunk.iter().map(|p| p.path.as_os_str()))
            .output()
            .context("running chainwatch audit")?;
        if output.status.code() == Some(2) || output.status.code() == Some(3) {
            bail!(
                "chainwatch audit failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout)?;
        for p in chunk {
            out.insert(p.path.clone(), (None, Vec::new()));
        }
        for row in rows {
            let source = PathBuf::from(row["source"].as_str().unwrap_or_default());
            let severity = row["severity"].as_str().unwrap_or_default().to_owned();
            let rule = row["rule"].as_str().unwrap_or_default().to_owned();
            let entry = out.entry(source).or_insert((None, Vec::new()));
            if entry.0.as_deref().is_none_or(|w| rank(&severity) > rank(w)) {
                entry.0 = Some(severity.clone());
            }
            entry.1.push(format!("{rule}:{severity}"));
        }
    }
    Ok(out)
}

/// How many of `packages` have a finding of rank `min` or worse (1 low … 4 critical).
fn at_least<'p>(
    packages: impl IntoIterator<Item = &'p Package>,
    min: u8,
    worst: &dyn Fn(&Package) -> Option<String>,
) -> usize {
    packages
        .into_iter()
        .filter(|p| worst(p).is_some_and(|w| rank(&w) >= min))
        .count()
}

fn rank(severity: &str) -> u8 {
    match severity {
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        "critical" => 4,
        _ => 0,
    }
}

/// `GuardDog`'s verdict on one package: its threat and metadata rules that matched
/// (capability rules, which describe what code can do, are not alarms), and the time.
fn guarddog(tool: &Path, p: &Package) -> (Vec<String>, Duration) {
    let start = Instant::now();
    let output = Command::new(tool)
        .args([p.ecosystem, "scan"])
        .arg(&p.path)
        .args(["--output-format", "json"])
        .env("GUARDDOG_LOG_LEVEL", "error")
        .output();
    let elapsed = start.elapsed();
    let Ok(output) = output else {
        return (vec!["(error)".into()], elapsed);
    };
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let mut rules = Vec::new();
    if let Some(results) = json["results"].as_object() {
        for (rule, hits) in results {
            let hit = match hits {
                serde_json::Value::Null => false,
                serde_json::Value::Object(o) => !o.is_empty(),
                serde_json::Value::Array(a) => !a.is_empty(),
                serde_json::Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if hit && !rule.starts_with("capability-") {
                rules.push(rule.clone());
            }
        }
    }
    (rules, elapsed)
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        return "–".into();
    }
    format!("{:.1} % ({n}/{of})", 100.0 * n as f64 / of as f64)
}

pub(crate) fn run() -> anyhow::Result<String> {
    let binary = chainwatch_binary()?;
    let dev = malicious("dev")?;
    let holdout = malicious("holdout")?;
    let benign = benign()?;
    let mut all = dev.clone();
    all.extend(holdout.iter().cloned());
    all.extend(benign.iter().cloned());
    let verdicts = chainwatch_verdicts(&binary, &all)?;
    let worst = |p: &Package| verdicts.get(&p.path).and_then(|v| v.0.clone());

    let mut out = String::new();
    writeln!(
        out,
        "Machine: {}\n",
        machine::describe().replace(", one thread", "; `audit` uses every core (2 here)")
    )?;
    writeln!(
        out,
        "`chainwatch audit package` (release) on {} inert reconstructions of real malicious packages ({} written against, {} held out: read only here) and {} benign packages ({} npm from `node_modules` of {} popular tools, {} PyPI wheels, {} crates of this workspace's lock file). Detected: a finding at medium or above.\n",
        dev.len() + holdout.len(),
        dev.len(),
        holdout.len(),
        benign.len(),
        benign.iter().filter(|p| p.ecosystem == "npm").count(),
        std::fs::read_to_string(root().join("crates/chainwatch-bench/data/audit-benign-npm.txt"))
            .map_or(0, |t| t
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .count()),
        benign.iter().filter(|p| p.ecosystem == "pypi").count(),
        benign.iter().filter(|p| p.ecosystem == "crates").count(),
    )?;

    // Recall.
    writeln!(
        out,
        "| set | detected (≥ medium) | detected at high or critical |"
    )?;
    writeln!(out, "|---|---|---|")?;
    for (name, set) in [("development", &dev), ("held out", &holdout)] {
        let medium = at_least(set.iter(), 2, &worst);
        let high = at_least(set.iter(), 3, &worst);
        writeln!(
            out,
            "| {name} | {} | {} |",
            pct(medium, set.len()),
            pct(high, set.len())
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Rules that fired on the held-out samples:\n")?;
    for p in &holdout {
        let name = p.path.file_name().unwrap_or_default().to_string_lossy();
        let mut rules = verdicts
            .get(&p.path)
            .map(|v| v.1.clone())
            .unwrap_or_default();
        rules.sort();
        rules.dedup();
        writeln!(
            out,
            "- `{name}`: {}",
            if rules.is_empty() {
                "nothing".to_owned()
            } else {
                rules.join(", ")
            }
        )?;
    }
    writeln!(out)?;

    // False alarms.
    writeln!(
        out,
        "| benign packages | any finding | at high or critical |"
    )?;
    writeln!(out, "|---|---|---|")?;
    let mut alarms: BTreeMap<String, usize> = BTreeMap::new();
    for eco in ["npm", "pypi", "crates", "all"] {
        let set: Vec<&Package> = benign
            .iter()
            .filter(|p| eco == "all" || p.ecosystem == eco)
            .collect();
        let any = set.iter().filter(|p| worst(p).is_some()).count();
        let high = at_least(set.iter().copied(), 3, &worst);
        writeln!(
            out,
            "| {eco} | {} | {} |",
            pct(any, set.len()),
            pct(high, set.len())
        )?;
    }
    for p in &benign {
        if let Some(v) = verdicts.get(&p.path) {
            let mut rules = v.1.clone();
            rules.sort();
            rules.dedup();
            for r in rules {
                *alarms.entry(r).or_default() += 1;
            }
        }
    }
    writeln!(out)?;
    if !alarms.is_empty() {
        let list: Vec<String> = alarms.iter().map(|(r, n)| format!("`{r}` {n}")).collect();
        writeln!(
            out,
            "False alarms by rule (packages): {}.\n",
            list.join(", ")
        )?;
    }

    // Speed: the whole benign set, then a 10,000-package node_modules.
    let paths: Vec<String> = benign
        .iter()
        .map(|p| p.path.display().to_string())
        .collect();
    let mut whole_args: Vec<&str> = vec!["audit", "package", "--quiet", "--format", "json"];
    whole_args.extend(paths.iter().map(String::as_str));
    let whole = time_v(
        &binary.display().to_string(),
        &whole_args,
        Duration::from_mins(30),
    )?;
    let big = root().join("target/bench-data/audit/node_modules-10k");
    let npm: Vec<&Package> = benign.iter().filter(|p| p.ecosystem == "npm").collect();
    let copies = 10_000usize.div_ceil(npm.len().max(1));
    if !big.is_dir() {
        // Hard-linked copies of the installed tree, under scope-like folders.
        let source = root().join("target/bench-data/audit/npm/node_modules");
        std::fs::create_dir_all(&big)?;
        for i in 0..copies {
            let status = Command::new("cp")
                .arg("-al")
                .arg(&source)
                .arg(big.join(format!("copy{i}")))
                .status()?;
            if !status.success() {
                bail!("cp -al failed");
            }
        }
    }
    let big_arg = big.display().to_string();
    let tree = time_v(
        &binary.display().to_string(),
        &["audit", "package", "--quiet", "--format", "json", &big_arg],
        Duration::from_mins(10),
    )?;
    let big_count = copies * npm.len();

    // GuardDog, one process per package as it is used, on every malicious sample and a
    // fixed sample of the benign ones (every n-th, each ecosystem).
    let tool = root().join("target/bench-peers/bin/guarddog");
    let mut gd_rows = String::new();
    if tool.is_file() {
        let sample: Vec<&Package> = ["npm", "pypi", "crates"]
            .iter()
            .flat_map(|eco| {
                let set: Vec<&Package> = benign.iter().filter(|p| p.ecosystem == *eco).collect();
                let step = (set.len() / 40).max(1);
                set.into_iter().step_by(step).take(40).collect::<Vec<_>>()
            })
            .collect();
        let mut gd_time = Duration::ZERO;
        let mut gd_benign_alarm = 0;
        for p in &sample {
            let (rules, elapsed) = guarddog(&tool, p);
            gd_time += elapsed;
            if !rules.is_empty() {
                gd_benign_alarm += 1;
            }
        }
        let mut gd_dev = 0;
        let mut gd_holdout = 0;
        for (set, count) in [(&dev, &mut gd_dev), (&holdout, &mut gd_holdout)] {
            for p in set.iter().as_slice() {
                let (rules, _) = guarddog(&tool, p);
                if !rules.is_empty() {
                    *count += 1;
                }
            }
        }
        let cw_sample: Vec<String> = sample
            .iter()
            .map(|p| p.path.display().to_string())
            .collect();
        let mut sample_args: Vec<&str> = vec!["audit", "package", "--quiet", "--format", "json"];
        sample_args.extend(cw_sample.iter().map(String::as_str));
        let cw = time_v(
            &binary.display().to_string(),
            &sample_args,
            Duration::from_mins(10),
        )?;
        let cw_alarm = sample.iter().filter(|p| worst(p).is_some()).count();
        let cw_high = at_least(sample.iter().copied(), 3, &worst);
        let gd_rate = sample.len() as f64 / gd_time.as_secs_f64();
        let cw_rate = sample.len() as f64 / cw.wall.as_secs_f64();
        writeln!(
            gd_rows,
            "\nSide by side with GuardDog 3.2.0 (PyPI; `guarddog ECOSYSTEM scan PATH --output-format json`, one process per package; an alarm is any threat or metadata rule, its capability rules are not counted) on all malicious samples and {} benign packages (every n-th of each ecosystem):\n",
            sample.len()
        )?;
        writeln!(
            gd_rows,
            "| tool | development | held out | benign sample: any alarm | benign at high | packages/s (benign sample) |"
        )?;
        writeln!(gd_rows, "|---|---|---|---|---|---|")?;
        let cw_dev = at_least(dev.iter(), 2, &worst);
        let cw_hold = at_least(holdout.iter(), 2, &worst);
        writeln!(
            gd_rows,
            "| chainwatch | {} | {} | {} | {} | {} |",
            pct(cw_dev, dev.len()),
            pct(cw_hold, holdout.len()),
            pct(cw_alarm, sample.len()),
            pct(cw_high, sample.len()),
            machine::thousands(cw_rate)
        )?;
        writeln!(
            gd_rows,
            "| GuardDog | {} | {} | {} | – (no severities) | {:.1} |",
            pct(gd_dev, dev.len()),
            pct(gd_holdout, holdout.len()),
            pct(gd_benign_alarm, sample.len()),
            gd_rate
        )?;
        writeln!(
            gd_rows,
            "\nchainwatch is {:.0}× GuardDog's packages per second here.",
            cw_rate / gd_rate
        )?;
    } else {
        writeln!(
            gd_rows,
            "\nGuardDog is not installed (`bash scripts/audit-benign.sh` installs it): no comparison in this run."
        )?;
    }

    writeln!(out, "| run | packages | time | packages/s | peak RSS |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    writeln!(
        out,
        "| the benign set, given as {} paths | {} | {} | {} | {:.0} MiB |",
        benign.len(),
        benign.len(),
        secs(whole.wall),
        machine::thousands(benign.len() as f64 / whole.wall.as_secs_f64()),
        whole.rss_mib
    )?;
    writeln!(
        out,
        "| one `node_modules` of {big_count} packages ({copies} hard-linked copies of the npm tree) | {big_count} | {} | {} | {:.0} MiB |",
        secs(tree.wall),
        machine::thousands(big_count as f64 / tree.wall.as_secs_f64()),
        tree.rss_mib
    )?;
    out.push_str(&gd_rows);
    Ok(out)
}
