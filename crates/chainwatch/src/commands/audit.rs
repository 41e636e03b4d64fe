//! `chainwatch audit package`: what packages contain, read without running them
//! (the rules are `chainwatch_audit`'s).

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chainwatch_audit::{AuditError, Ecosystem, Options, PackageReport, RULES, Severity, Target};
use serde_json::json;

use crate::cli::{AuditCommand, AuditPackageArgs, ReportFormat, TyposquatCorpusArgs};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status, WARNING};

pub(crate) fn run(ctx: &Context, command: AuditCommand) -> anyhow::Result<Status> {
    match command {
        AuditCommand::Package(args) => package(ctx, &args),
    }
}

fn severity(text: &str, flag: &str) -> anyhow::Result<Severity> {
    Severity::parse(text).ok_or_else(|| {
        InputError(format!(
            "{flag} `{text}`: expected `low`, `medium`, `high` or `critical`"
        ))
        .into()
    })
}

fn package(ctx: &Context, args: &AuditPackageArgs) -> anyhow::Result<Status> {
    let min = severity(&args.min_severity, "--min-severity")?;
    let fail_on = severity(&args.fail_on, "--fail-on")?;
    let started = Instant::now();

    // The typo-squat corpus: built-in, refreshed and given lists (no store needed).
    let corpus = TyposquatCorpusArgs {
        popular: args.popular.clone(),
        allowlist: args.allowlist.clone(),
        portfolio_min: Some(0),
    };
    let sources = crate::shared::typosquat::sources(&corpus)?;
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

    let previous = match &args.previous {
        Some(path) => {
            let contents =
                chainwatch_audit::archive::read(path, &chainwatch_audit::Limits::default())
                    .map_err(|e| InputError(format!("--previous: {e}")))?;
            Some(
                chainwatch_audit::manifest::recognize(&contents).ok_or_else(|| {
                    InputError(format!(
                        "--previous `{}` is not a package: no package.json, setup.py, PKG-INFO, METADATA, Cargo.toml or gem metadata",
                        path.display()
                    ))
                })?,
            )
        }
        None => None,
    };
    let options = Options {
        typosquat: Some(&typosquat),
        previous: previous.as_ref(),
        ..Options::default()
    };

    let targets: Vec<Target> = args
        .paths
        .iter()
        .flat_map(|p| chainwatch_audit::discover(p))
        .collect();
    let results = audit_all(&targets, &options);
    ctx.printer.detail(format_args!(
        "audited {} packages in {:.2} s",
        targets.len(),
        started.elapsed().as_secs_f64()
    ));

    let mut reports = Vec::new();
    let mut unusable = 0;
    for result in results {
        match result {
            Ok(mut report) => {
                report.findings.retain(|f| f.severity >= min);
                reports.push(report);
            }
            Err(e) => {
                unusable += 1;
                crate::output::report_error(&anyhow::Error::new(e));
            }
        }
    }
    let mut out = anstream::stdout().lock();
    match args.format {
        ReportFormat::Human => human(&mut out, &reports, ctx.printer.summaries(), started)?,
        ReportFormat::Json => {
            let rows: Vec<serde_json::Value> = reports
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
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        ReportFormat::Sarif => sarif(&mut out, &reports)?,
    }
    if unusable > 0 {
        return Ok(Status::BadInput);
    }
    let failed = reports
        .iter()
        .any(|r| r.findings.iter().any(|f| f.severity >= fail_on));
    Ok(if failed {
        Status::Findings
    } else {
        Status::Success
    })
}

/// Audits every target, on as many threads as there are cores; results in target order.
fn audit_all(targets: &[Target], options: &Options<'_>) -> Vec<Result<PackageReport, AuditError>> {
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
                    let result = chainwatch_audit::audit_target(target, options);
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

fn style(severity: Severity) -> anstyle::Style {
    match severity {
        Severity::Critical | Severity::High => ERROR,
        Severity::Medium => WARNING,
        Severity::Low => DIM,
    }
}

fn human(
    out: &mut dyn Write,
    reports: &[PackageReport],
    summary: bool,
    started: Instant,
) -> anyhow::Result<()> {
    let mut counts = [0usize; 4];
    for r in reports {
        if r.findings.is_empty() {
            continue;
        }
        let name = r.package.as_deref().unwrap_or("(unnamed package)");
        let eco = r.ecosystem.map_or("unknown", Ecosystem::as_str);
        writeln!(out, "{BOLD}{name}{BOLD:#} ({eco}) {DIM}{}{DIM:#}", r.source)?;
        for f in &r.findings {
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
        }
        writeln!(out)?;
    }
    if summary {
        let files: usize = reports.iter().map(|r| r.files).sum();
        let flagged = reports.iter().filter(|r| !r.findings.is_empty()).count();
        let mut err = anstream::stderr().lock();
        writeln!(
            err,
            "audited {} package{} ({files} files) in {:.2} s: {flagged} with findings ({} critical, {} high, {} medium, {} low)",
            reports.len(),
            if reports.len() == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64(),
            counts[3],
            counts[2],
            counts[1],
            counts[0],
        )?;
    }
    Ok(())
}

fn sarif(out: &mut dyn Write, reports: &[PackageReport]) -> anyhow::Result<()> {
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "shortDescription": { "text": r.why },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "severity": r.severity.as_str() },
            })
        })
        .collect();
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
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|x| x.code == f.rule),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "properties": { "severity": f.severity.as_str(), "evidence": f.evidence, "source": r.source },
            }));
        }
    }
    crate::report::write_sarif_log(out, &rules, &results)?;
    Ok(())
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}
