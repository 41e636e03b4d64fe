//! `chainwatch audit package` (what packages contain, read without running them) and
//! `chainwatch audit release` (a release tarball against the source tree of its tag);
//! the rules are `chainwatch_audit`'s, the running and rendering `shared::audit`'s.

use std::io::Write;
use std::time::Instant;

use chainwatch_audit::{Severity, Target};

use crate::cli::{
    AuditCommand, AuditListArgs, AuditModelArgs, AuditPackageArgs, AuditReleaseArgs, Format,
    ReportFormat, TyposquatCorpusArgs,
};
use crate::output::{Context, InputError, Status};
use crate::shared::audit;

pub(crate) fn run(ctx: &Context, command: AuditCommand) -> anyhow::Result<Status> {
    match command {
        AuditCommand::Package(args) => package(ctx, &args),
        AuditCommand::Release(args) => release(ctx, &args),
        AuditCommand::Model(args) => model(ctx, &args),
        AuditCommand::List(args) => list(ctx, &args),
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

/// `1 critical, 2 high, 0 medium, 3 low` from counts indexed by severity (low first).
fn tally(counts: [usize; 4]) -> String {
    format!(
        "{} critical, {} high, {} medium, {} low",
        counts[3], counts[2], counts[1], counts[0]
    )
}

fn package(ctx: &Context, args: &AuditPackageArgs) -> anyhow::Result<Status> {
    let min = severity(&args.min_severity, "--min-severity")?;
    let fail_on = severity(&args.fail_on, "--fail-on")?;
    let started = Instant::now();
    let corpus = TyposquatCorpusArgs {
        popular: args.popular.clone(),
        allowlist: args.allowlist.clone(),
        portfolio_min: Some(0),
    };
    let previous = match &args.previous {
        Some(path) => {
            let contents =
                chainwatch_audit::archive::read(path, &chainwatch_audit::Limits::default())
                    .map_err(|e| InputError(format!("--previous: {e}")))?;
            Some(chainwatch_audit::manifest::recognize(&contents).ok_or_else(|| {
                InputError(format!(
                    "--previous `{}` is not a package: no package.json, setup.py, PKG-INFO, METADATA, Cargo.toml or gem metadata",
                    path.display()
                ))
            })?)
        }
        None => None,
    };
    let targets: Vec<Target> = args
        .paths
        .iter()
        .flat_map(|p| chainwatch_audit::discover(p))
        .collect();
    let results = audit::audit(&targets, &corpus, previous.as_ref())?;
    ctx.printer.detail(format_args!(
        "audited {} packages in {:.2} s",
        targets.len(),
        started.elapsed().as_secs_f64()
    ));
    let mut reports = Vec::new();
    let mut unusable = 0;
    for result in results {
        match result {
            Ok(report) => reports.push(report),
            Err(e) => {
                unusable += 1;
                crate::output::report_error(&anyhow::Error::new(e));
            }
        }
    }
    // What is recorded is the whole audit, whatever --min-severity shows.
    if args.record {
        record(ctx, &reports)?;
    }
    for report in &mut reports {
        report.findings.retain(|f| f.severity >= min);
    }
    let mut out = anstream::stdout().lock();
    match args.format {
        ReportFormat::Human => {
            let counts = audit::human(&mut out, &reports)?;
            if ctx.printer.summaries() {
                let files: usize = reports.iter().map(|r| r.files).sum();
                let flagged = reports.iter().filter(|r| !r.findings.is_empty()).count();
                writeln!(
                    anstream::stderr().lock(),
                    "audited {} package{} ({files} files) in {:.2} s: {flagged} with findings ({})",
                    reports.len(),
                    if reports.len() == 1 { "" } else { "s" },
                    started.elapsed().as_secs_f64(),
                    tally(counts),
                )?;
            }
        }
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &audit::json_rows(&reports))?;
            writeln!(out)?;
        }
        ReportFormat::Sarif => {
            crate::report::write_sarif_log(
                &mut out,
                &audit::sarif_rules(""),
                &audit::sarif_results(&reports, "", 0),
            )?;
        }
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

fn release(ctx: &Context, args: &AuditReleaseArgs) -> anyhow::Result<Status> {
    let min = severity(&args.min_severity, "--min-severity")?;
    let fail_on = severity(&args.fail_on, "--fail-on")?;
    let started = Instant::now();
    let mut report = chainwatch_audit::release::audit_release(
        &args.release,
        args.source.as_deref(),
        &chainwatch_audit::Limits::default(),
    )
    .map_err(|e| InputError(e.to_string()))?;
    report.findings.retain(|f| f.severity >= min);
    let mut out = anstream::stdout().lock();
    match args.format {
        ReportFormat::Human => {
            let counts = audit::human_release(&mut out, &report, args.source.as_deref())?;
            if ctx.printer.summaries() {
                writeln!(
                    anstream::stderr().lock(),
                    "audited `{}` ({} files){} in {:.2} s: {}",
                    args.release.display(),
                    report.files,
                    args.source
                        .as_ref()
                        .map(|s| format!(" against `{}`", s.display()))
                        .unwrap_or_default(),
                    started.elapsed().as_secs_f64(),
                    tally(counts),
                )?;
            }
        }
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report.findings)?;
            writeln!(out)?;
        }
        ReportFormat::Sarif => {
            crate::report::write_sarif_log(
                &mut out,
                &audit::sarif_rules(""),
                &audit::sarif_results(std::slice::from_ref(&report), "", 0),
            )?;
        }
    }
    Ok(if report.findings.iter().any(|f| f.severity >= fail_on) {
        Status::Findings
    } else {
        Status::Success
    })
}

fn model(ctx: &Context, args: &AuditModelArgs) -> anyhow::Result<Status> {
    let min = severity(&args.min_severity, "--min-severity")?;
    let fail_on = severity(&args.fail_on, "--fail-on")?;
    let started = Instant::now();
    let mut unusable = 0;
    let mut files = Vec::new();
    for path in &args.paths {
        if !path.exists() {
            unusable += 1;
            crate::output::report_error(&anyhow::Error::new(InputError(format!(
                "`{}` does not exist",
                path.display()
            ))));
            continue;
        }
        let found = chainwatch_audit::model::discover(path, true);
        if found.is_empty() {
            unusable += 1;
            crate::output::report_error(&anyhow::Error::new(InputError(format!(
                "`{}` holds no model file (pickle, PyTorch, NumPy, safetensors, GGUF, Keras, HDF5 or ONNX)",
                path.display()
            ))));
        }
        files.extend(found);
    }
    let mut reports = Vec::new();
    for result in audit::audit_models(&files) {
        match result {
            Ok(report) => reports.push(report),
            Err(e) => {
                unusable += 1;
                crate::output::report_error(&anyhow::Error::new(e));
            }
        }
    }
    ctx.printer.detail(format_args!(
        "audited {} model files in {:.2} s",
        reports.len(),
        started.elapsed().as_secs_f64()
    ));
    if args.record {
        record_models(ctx, &reports)?;
    }
    let malformed = reports.iter().filter(|r| r.malformed()).count();
    let failed = reports
        .iter()
        .any(|r| r.findings.iter().any(|f| f.severity >= fail_on));
    for report in &mut reports {
        report.findings.retain(|f| f.severity >= min);
    }
    let mut out = anstream::stdout().lock();
    match args.format {
        ReportFormat::Human => {
            let counts = audit::human_models(&mut out, &reports, ctx.printer.verbose())?;
            if ctx.printer.summaries() {
                let bytes: u64 = reports.iter().map(|r| r.bytes).sum();
                let flagged = reports.iter().filter(|r| !r.findings.is_empty()).count();
                writeln!(
                    anstream::stderr().lock(),
                    "audited {} model file{} ({}) in {:.2} s: {flagged} with findings ({})",
                    reports.len(),
                    if reports.len() == 1 { "" } else { "s" },
                    audit::size(bytes),
                    started.elapsed().as_secs_f64(),
                    tally(counts),
                )?;
            }
        }
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &audit::model_json_rows(&reports))?;
            writeln!(out)?;
        }
        ReportFormat::Sarif => {
            crate::report::write_sarif_log(
                &mut out,
                &audit::sarif_rules(""),
                &audit::model_sarif_results(&reports),
            )?;
        }
    }
    Ok(if failed {
        Status::Findings
    } else if unusable > 0 || malformed > 0 {
        Status::BadInput
    } else {
        Status::Success
    })
}

/// Records the audits of the model files that are in a Hugging Face cache snapshot, one
/// record per snapshot (its files' findings together), under the purl the inventory gives
/// that snapshot; files outside a cache have no package identity and are left out.
fn record_models(
    ctx: &Context,
    reports: &[chainwatch_audit::model::ModelReport],
) -> anyhow::Result<()> {
    let mut by_snapshot: std::collections::BTreeMap<String, chainwatch_store::AuditRecord> =
        std::collections::BTreeMap::new();
    let mut outside = 0;
    for r in reports {
        let Some(purl) = chainwatch_inventory::huggingface_snapshot(std::path::Path::new(&r.path))
        else {
            outside += 1;
            continue;
        };
        let key = purl.canonical().to_owned();
        let entry = by_snapshot
            .entry(key)
            .or_insert_with(|| chainwatch_store::AuditRecord {
                purl,
                worst: None,
                findings: serde_json::Value::Array(Vec::new()),
                files: 0,
                source: std::path::Path::new(&r.path)
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            });
        entry.files += 1;
        if let Some(w) = r.worst() {
            let worse = entry
                .worst
                .as_deref()
                .and_then(Severity::parse)
                .is_none_or(|old| w > old);
            if worse {
                entry.worst = Some(w.as_str().to_owned());
            }
        }
        if let serde_json::Value::Array(rows) = &mut entry.findings {
            rows.extend(
                r.findings
                    .iter()
                    .filter_map(|f| serde_json::to_value(f).ok()),
            );
        }
    }
    let records: Vec<chainwatch_store::AuditRecord> = by_snapshot.into_values().collect();
    let left_out = match outside {
        0 => String::new(),
        k => format!(" ({k} files outside a Hugging Face cache left out)"),
    };
    store_records(ctx, &records, "model snapshots", &left_out)
}

/// Stores audit records, evaluates the active policy again (its `suspicious` conditions
/// read them) and says what was recorded (`what`) and what was left out.
fn store_records(
    ctx: &Context,
    records: &[chainwatch_store::AuditRecord],
    what: &str,
    left_out: &str,
) -> anyhow::Result<()> {
    let store = crate::shared::store::open(ctx)?;
    let n = store.record_audits(records)?;
    let outcome = crate::shared::policy::evaluate(ctx, &store, None, false)?;
    if ctx.printer.summaries() {
        writeln!(
            anstream::stderr().lock(),
            "recorded the audits of {n} {what} in `{}`{left_out}{}",
            store.location(),
            if outcome.versions > 0 {
                format!(
                    "; policy: {} violations hold, {} new",
                    outcome.open, outcome.opened_count
                )
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

/// Records the audits of the package versions the reports name, then evaluates the
/// active policy again (its `suspicious` conditions read them).
fn record(ctx: &Context, reports: &[chainwatch_audit::PackageReport]) -> anyhow::Result<()> {
    let mut records = Vec::new();
    let mut unnamed = 0;
    for r in reports {
        let Some(purl) = r.purl() else {
            unnamed += 1;
            continue;
        };
        records.push(chainwatch_store::AuditRecord {
            purl,
            worst: r.worst().map(|s| s.as_str().to_owned()),
            findings: serde_json::to_value(&r.findings)?,
            files: i64::try_from(r.files).unwrap_or(i64::MAX),
            source: r.source.clone(),
        });
    }
    let left_out = match unnamed {
        0 => String::new(),
        k => format!(" ({k} without a name and version left out)"),
    };
    store_records(ctx, &records, "package versions", &left_out)
}

fn list(ctx: &Context, args: &AuditListArgs) -> anyhow::Result<Status> {
    if let Some(m) = &args.min_severity {
        severity(m, "--min-severity")?;
    }
    let store = crate::shared::store::open(ctx)?;
    let audits = store.audits(
        args.min_severity
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        None,
    )?;
    let mut out = anstream::stdout().lock();
    match args.output.format {
        Format::Json => {
            for a in &audits {
                serde_json::to_writer(&mut out, a)?;
                writeln!(out)?;
            }
        }
        Format::Human => {
            for a in &audits {
                let findings = a.findings.as_array().map_or(0, Vec::len);
                writeln!(
                    out,
                    "{:<8} {}  {findings} finding{}, {} files, {}",
                    a.worst.as_deref().unwrap_or("clean"),
                    a.purl,
                    if findings == 1 { "" } else { "s" },
                    a.files,
                    a.audited_at
                )?;
                if !a.products.is_empty() {
                    let held: Vec<String> = a
                        .products
                        .iter()
                        .map(|h| format!("{}@{}", h.product, h.version))
                        .collect();
                    writeln!(out, "         in {}", held.join(", "))?;
                }
            }
            if ctx.printer.summaries() {
                writeln!(
                    anstream::stderr().lock(),
                    "{} recorded package audit{}",
                    audits.len(),
                    if audits.len() == 1 { "" } else { "s" }
                )?;
            }
        }
    }
    Ok(Status::Success)
}
