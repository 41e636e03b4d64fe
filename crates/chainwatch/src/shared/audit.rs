//! Package content audits as `audit package` and `scan --audit` run them: the
//! typo-squat corpus for the metadata rules, every package on as many threads as there
//! are cores, and the renderings (human, JSON rows, SARIF rules and results).

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chainwatch_audit::{
    AuditError, Ecosystem, Manifest, Options, PackageReport, RULES, Severity, Target,
};
use serde_json::json;

use crate::cli::TyposquatCorpusArgs;
use crate::output::{BOLD, DIM, ERROR, WARNING};

/// Audits every target with the typo-squat corpus the arguments name (built-in,
/// refreshed and given lists; no store needed); results in target order.
pub(crate) fn audit(
    targets: &[Target],
    corpus: &TyposquatCorpusArgs,
    previous: Option<&Manifest>,
) -> anyhow::Result<Vec<Result<PackageReport, AuditError>>> {
    let sources = crate::shared::typosquat::sources(corpus)?;
    let detectors: Vec<(Ecosystem, chainwatch_typosquat::Detector)> = [
        Ecosystem::Npm,
        Ecosystem::Pypi,
        Ecosystem::Crates,
        Ecosystem::Rubygems,
    ]
    .into_iter()
    .map(|e| (e, sources.detector(e.typosquat(), std::iter::empty())))
    .collect();
    let typosquat = |ecosystem: Ecosystem, name: &str| {
        detectors
            .iter()
            .find(|(e, _)| *e == ecosystem)
            .map(|(_, d)| d.check(name))
    };
    let options = Options {
        typosquat: Some(&typosquat),
        previous,
        ..Options::default()
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(targets.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<PackageReport, AuditError>>>> =
        Mutex::new((0..targets.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = targets.get(i) else { break };
                    let result = chainwatch_audit::audit_target(target, &options);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(result);
                    }
                }
            });
        }
    });
    Ok(results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect())
}

/// The JSON rows of the findings (the contract of `audit package --format json`).
pub(crate) fn json_rows(reports: &[PackageReport]) -> Vec<serde_json::Value> {
    reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| {
                let mut row = serde_json::to_value(f).unwrap_or_default();
                row["package"] = json!(r.package);
                row["ecosystem"] = json!(r.ecosystem);
                row["source"] = json!(r.source);
                row
            })
        })
        .collect()
}

fn style(severity: Severity) -> anstyle::Style {
    match severity {
        Severity::Critical | Severity::High => ERROR,
        Severity::Medium => WARNING,
        Severity::Low => DIM,
    }
}

/// The findings for people, by package; returns how many of each severity (low first).
pub(crate) fn human(out: &mut dyn Write, reports: &[PackageReport]) -> std::io::Result<[usize; 4]> {
    let mut counts = [0usize; 4];
    for r in reports {
        if r.findings.is_empty() {
            continue;
        }
        let name = r.package.as_deref().unwrap_or("(unnamed package)");
        let eco = r.ecosystem.map_or("unknown", Ecosystem::as_str);
        writeln!(out, "{BOLD}{name}{BOLD:#} ({eco}) {DIM}{}{DIM:#}", r.source)?;
        for f in &r.findings {
            finding(out, f, &mut counts)?;
        }
        writeln!(out)?;
    }
    Ok(counts)
}

/// The findings of `audit release` for people; returns how many of each severity.
pub(crate) fn human_release(
    out: &mut dyn Write,
    report: &PackageReport,
    source: Option<&std::path::Path>,
) -> std::io::Result<[usize; 4]> {
    let mut counts = [0usize; 4];
    if report.findings.is_empty() {
        return Ok(counts);
    }
    let against = source
        .map(|s| format!(" against {}", s.display()))
        .unwrap_or_default();
    writeln!(out, "{BOLD}{}{BOLD:#}{DIM}{against}{DIM:#}", report.source)?;
    for f in &report.findings {
        finding(out, f, &mut counts)?;
    }
    writeln!(out)?;
    Ok(counts)
}

fn finding(
    out: &mut dyn Write,
    f: &chainwatch_audit::Finding,
    counts: &mut [usize; 4],
) -> std::io::Result<()> {
    counts[f.severity as usize] += 1;
    let s = style(f.severity);
    let at = match f.line {
        Some(line) => format!("{}:{line}", f.path),
        None => f.path.clone(),
    };
    writeln!(
        out,
        "  {s}{:<8}{s:#} {:<22} {at}",
        f.severity.as_str(),
        f.rule
    )?;
    writeln!(out, "           {}", f.message)?;
    if !f.evidence.is_empty() {
        writeln!(out, "           {DIM}│ {}{DIM:#}", f.evidence)?;
    }
    Ok(())
}

/// The SARIF level of a severity.
pub(crate) fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// SARIF rules for the audit catalog (`prefix` before each code, `audit/` in `scan`).
pub(crate) fn sarif_rules(prefix: &str) -> Vec<serde_json::Value> {
    RULES
        .iter()
        .map(|r| {
            json!({
                "id": format!("{prefix}{}", r.code),
                "shortDescription": { "text": r.why },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "severity": r.severity.as_str() },
            })
        })
        .collect()
}

/// SARIF results of the findings; the rule indexes start at `offset`.
pub(crate) fn sarif_results(
    reports: &[PackageReport],
    prefix: &str,
    offset: usize,
) -> Vec<serde_json::Value> {
    let mut results = Vec::new();
    for r in reports {
        for f in &r.findings {
            let mut location = json!({
                "physicalLocation": { "artifactLocation": { "uri": f.path.replace(' ', "%20") } },
                "logicalLocations": [{ "fullyQualifiedName": r.package.clone().unwrap_or_else(|| r.source.clone()), "kind": "package" }],
            });
            if let Some(line) = f.line {
                location["physicalLocation"]["region"] = json!({ "startLine": line });
            }
            results.push(json!({
                "ruleId": format!("{prefix}{}", f.rule),
                "ruleIndex": RULES.iter().position(|x| x.code == f.rule).map(|i| i + offset),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "properties": { "severity": f.severity.as_str(), "evidence": f.evidence, "source": r.source },
            }));
        }
    }
    results
}

/// Audits model files on as many threads as there are cores; results in file order.
pub(crate) fn audit_models(
    files: &[std::path::PathBuf],
) -> Vec<Result<chainwatch_audit::model::ModelReport, AuditError>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<_, AuditError>>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let result = chainwatch_audit::model::audit_model(file);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// `1.2 GB`, `340 kB`, `12 bytes`.
pub(crate) fn size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    if bytes >= 1_000_000_000 {
        format!("{:.1} GB", b / 1e9)
    } else if bytes >= 1_000_000 {
        format!("{:.1} MB", b / 1e6)
    } else if bytes >= 1_000 {
        format!("{:.0} kB", b / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

/// The findings of `audit model` for people, by file (clean files too with `verbose`);
/// returns how many of each severity (low first).
pub(crate) fn human_models(
    out: &mut dyn Write,
    reports: &[chainwatch_audit::model::ModelReport],
    verbose: bool,
) -> std::io::Result<[usize; 4]> {
    let mut counts = [0usize; 4];
    for r in reports {
        if r.findings.is_empty() && !verbose {
            continue;
        }
        writeln!(
            out,
            "{BOLD}{}{BOLD:#} {DIM}({}, {}){DIM:#}",
            r.path,
            r.format.as_str(),
            size(r.bytes)
        )?;
        for (key, value) in &r.details {
            writeln!(out, "  {DIM}{key}: {value}{DIM:#}")?;
        }
        if r.findings.is_empty() {
            writeln!(out, "  no findings")?;
        }
        for f in &r.findings {
            finding(out, f, &mut counts)?;
        }
        writeln!(out)?;
    }
    Ok(counts)
}

/// The JSON rows of `audit model --format json`: each finding with the file's format;
/// `line` is the byte offset of the opcode (or `null`).
pub(crate) fn model_json_rows(
    reports: &[chainwatch_audit::model::ModelReport],
) -> Vec<serde_json::Value> {
    reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| {
                let mut row = serde_json::to_value(f).unwrap_or_default();
                row["format"] = json!(r.format);
                row["file"] = json!(r.path);
                row
            })
        })
        .collect()
}

/// SARIF results of model findings: the location is the file (and member), the
/// region the opcode's byte offset.
pub(crate) fn model_sarif_results(
    reports: &[chainwatch_audit::model::ModelReport],
) -> Vec<serde_json::Value> {
    let mut results = Vec::new();
    for r in reports {
        for f in &r.findings {
            let mut location = json!({
                "physicalLocation": { "artifactLocation": { "uri": r.path.replace(' ', "%20") } },
                "logicalLocations": [{ "fullyQualifiedName": f.path, "kind": "member" }],
            });
            if let Some(offset) = f.line {
                location["physicalLocation"]["region"] = json!({ "byteOffset": offset });
            }
            results.push(json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|x| x.code == f.rule),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "properties": { "severity": f.severity.as_str(), "evidence": f.evidence, "format": r.format.as_str() },
            }));
        }
    }
    results
}
