//! The release-audit benchmark (issue 22): the xz drill (release tarballs made from the
//! corpus's xz tag trees by `scripts/xz-drill.sh`, read against those trees) and false
//! alarms, speed and memory on real upstream release tarballs: Debian bookworm's `.orig`
//! tarballs of the source packages in `crates/chainwatch-bench/data/release-benign.txt`
//! (`scripts/release-benign.sh` downloads them into `target/bench-data/release`), read
//! without a source tree (the upstream-copy and build-script rules; nothing to compare).
//! No peer tool audits a release against its source, so there is no side-by-side column.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::machine;
use crate::sbom::{chainwatch_binary, secs, time_v};

fn root() -> PathBuf {
    chainwatch_testkit::workspace_root()
}

/// The findings of one `audit release` run, as JSON rows.
fn findings(binary: &Path, args: &[&str]) -> anyhow::Result<Vec<serde_json::Value>> {
    let out = Command::new(binary)
        .args(["audit", "release"])
        .args(args)
        .args(["--format", "json"])
        .output()
        .context("running chainwatch audit release")?;
    if !matches!(out.status.code(), Some(0 | 1)) {
        bail!(
            "chainwatch audit release {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn severity(row: &serde_json::Value) -> &str {
    row["severity"].as_str().unwrap_or("")
}

pub(crate) fn run() -> anyhow::Result<String> {
    let binary = chainwatch_binary()?;
    let bin = binary.to_str().context("binary path")?;
    let corpus = chainwatch_testkit::corpus().context("the shared corpus (CHAINWATCH_CORPUS)")?;
    let tags = corpus.join("release-integrity/xz");
    let drill = root().join("target/release-drill");
    let status = Command::new("bash")
        .arg(root().join("scripts/xz-drill.sh"))
        .arg(&drill)
        .env("CHAINWATCH_CORPUS", &corpus)
        .status()
        .context("scripts/xz-drill.sh")?;
    if !status.success() {
        bail!("scripts/xz-drill.sh failed (it needs the autotools: scripts/services.sh)");
    }
    let benign_dir = root().join("target/bench-data/release");
    let mut benign: Vec<PathBuf> = std::fs::read_dir(&benign_dir)
        .with_context(|| format!("{} (run scripts/release-benign.sh)", benign_dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains(".orig.tar."))
        .collect();
    benign.sort();

    let mut out = String::new();
    writeln!(out, "Machine: {}\n", machine::describe())?;
    writeln!(
        out,
        "`chainwatch audit release` (release build). The xz drill: release tarballs made from the corpus's tag trees with `autoreconf -fi` (5.6.0 and 5.6.1 with the serial-30 `m4/build-to-host.m4`), read against the `git archive` of their tag.\n"
    )?;
    writeln!(
        out,
        "| release | files named at high or critical | findings (critical/high/medium/low) | exit | time | peak RSS |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    let long = Duration::from_mins(10);
    for version in ["5.4.6", "5.6.0", "5.6.1"] {
        let release = drill.join(format!("xz-{version}.tar.gz"));
        let tag = tags.join(format!("xz-{version}-git.tar.gz"));
        let (release, tag) = (
            release.to_str().context("path")?,
            tag.to_str().context("path")?,
        );
        let rows = findings(&binary, &[release, "--source", tag])?;
        let mut named: Vec<String> = rows
            .iter()
            .filter(|r| matches!(severity(r), "high" | "critical"))
            .filter_map(|r| r["path"].as_str())
            .filter(|p| !p.ends_with("(decoded)"))
            .map(|p| format!("`{p}`"))
            .collect();
        named.sort();
        named.dedup();
        let count = |s: &str| rows.iter().filter(|r| severity(r) == s).count();
        let m = time_v(bin, &["audit", "release", release, "--source", tag], long)?;
        writeln!(
            out,
            "| xz {version} | {} | {}/{}/{}/{} | {} | {} | {:.0} MiB |",
            if named.is_empty() {
                "none".to_owned()
            } else {
                named.join(", ")
            },
            count("critical"),
            count("high"),
            count("medium"),
            count("low"),
            u8::from(
                rows.iter()
                    .any(|r| matches!(severity(r), "high" | "critical"))
            ),
            secs(m.wall),
            m.rss_mib
        )?;
    }
    writeln!(out)?;

    // Benign releases.
    let mut high = Vec::new();
    let mut medium = 0;
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    let mut bytes = 0u64;
    let mut files = 0usize;
    let mut peak: f64 = 0.0;
    let mut wall = Duration::ZERO;
    for path in &benign {
        let p = path.to_str().context("path")?;
        let rows = findings(&binary, &[p])?;
        bytes += std::fs::metadata(path).map_or(0, |m| m.len());
        if rows
            .iter()
            .any(|r| matches!(severity(r), "high" | "critical"))
        {
            high.push(
                path.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        if rows.iter().any(|r| severity(r) == "medium") {
            medium += 1;
        }
        for r in &rows {
            if severity(r) != "low" {
                *rules
                    .entry(format!(
                        "{} ({})",
                        r["rule"].as_str().unwrap_or(""),
                        severity(r)
                    ))
                    .or_default() += 1;
            }
        }
        let m = time_v(bin, &["audit", "release", p], long)?;
        wall += m.wall;
        peak = peak.max(m.rss_mib);
        files += 1;
    }
    writeln!(
        out,
        "Benign releases: {files} upstream release tarballs ({:.0} MB compressed) of {} Debian bookworm source packages (`data/release-benign.txt`), read without a source tree.\n",
        bytes as f64 / 1e6,
        std::fs::read_to_string(root().join("crates/chainwatch-bench/data/release-benign.txt"))
            .map_or(0, |t| t
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .count()),
    )?;
    writeln!(
        out,
        "| releases | with a high or critical finding | with a medium finding | total time | per release | peak RSS |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    writeln!(
        out,
        "| {files} | {} | {medium} | {} | {} | {:.0} MiB |",
        if high.is_empty() {
            "0".to_owned()
        } else {
            format!("{} ({})", high.len(), high.join(", "))
        },
        secs(wall),
        secs(wall / u32::try_from(files.max(1)).unwrap_or(1)),
        peak
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Findings at medium or above on the benign releases, by rule:\n"
    )?;
    for (rule, n) in &rules {
        writeln!(out, "- `{rule}`: {n}")?;
    }
    Ok(out)
}
