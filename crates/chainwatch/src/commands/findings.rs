//! `chainwatch findings` (the portfolio's stored findings) and `chainwatch advisories
//! match` (bring them up to date), and the delta report both `ingest` and `advisories
//! import` print after matching.

use std::io::{self, Write};

use anyhow::Context as _;
use chainwatch_advisory::Level;
use chainwatch_store::{FindingQuery, MatchReport, ProductFinding, Store};

use crate::cli::{AdvisoriesMatchArgs, FindingsArgs, Format, MinSeverity, ReportFormat};
use crate::commands::store::{as_of, open, store_error};
use crate::output::{BOLD, Context, DIM, ERROR, Status};

fn level(s: MinSeverity) -> Level {
    match s {
        MinSeverity::Low => Level::Low,
        MinSeverity::Medium => Level::Medium,
        MinSeverity::High => Level::High,
        MinSeverity::Critical => Level::Critical,
    }
}

pub(crate) fn findings(ctx: &Context, args: &FindingsArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let query = FindingQuery {
        product: args.product.as_ref().map(|p| p.name.clone()),
        version: args.product.as_ref().and_then(|p| p.version.clone()),
        min_severity: args.min_severity.map(level),
        as_of: as_of(&args.as_of)?,
        include_suppressed: args.all,
        advisories: None,
    };
    let mut rows = store.findings(&query).map_err(store_error)?;
    // Malicious first, then the most severe; stable within.
    rows.sort_by_key(|f| {
        (
            (f.product.clone(), f.version.clone()),
            std::cmp::Reverse(f.malicious),
            std::cmp::Reverse(f.known_exploited),
            std::cmp::Reverse(f.severity.as_deref().and_then(Level::from_name)),
        )
    });
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        ReportFormat::Human => human(&mut out, &rows)?,
        ReportFormat::Sarif => sarif(&mut out, &rows)?,
    }
    out.flush()?;
    Ok(Status::Success)
}

fn label(f: &ProductFinding) -> String {
    if f.malicious {
        format!("{ERROR}MALICIOUS{ERROR:#}")
    } else if let Some(kind) = &f.informational {
        kind.to_ascii_uppercase()
    } else {
        match (&f.severity, f.score) {
            (Some(s), Some(score)) => format!("{} {score:.1}", s.to_ascii_uppercase()),
            (Some(s), None) => s.to_ascii_uppercase(),
            (None, _) => "UNKNOWN".to_owned(),
        }
    }
}

fn human(out: &mut dyn Write, rows: &[ProductFinding]) -> anyhow::Result<()> {
    if rows.is_empty() {
        writeln!(out, "no findings in the portfolio")?;
        return Ok(());
    }
    let mut current: Option<(&str, &str)> = None;
    for f in rows {
        if current != Some((&f.product, &f.version)) {
            current = Some((&f.product, &f.version));
            writeln!(out, "{BOLD}{}@{}{BOLD:#}", f.product, f.version)?;
        }
        let aliases = if f.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", f.aliases.join(", "))
        };
        let fixed = if f.fixed_in.is_empty() {
            "no fixed version".to_owned()
        } else {
            format!("fixed in {}", f.fixed_in.join(", "))
        };
        writeln!(
            out,
            "  {}  {}{aliases}  {}",
            label(f),
            f.advisory,
            f.package
        )?;
        let mut notes = vec![fixed, format!("first seen {}", f.first_seen)];
        if f.known_exploited {
            notes.insert(0, "KNOWN EXPLOITED".to_owned());
        }
        if let Some(e) = f.epss {
            notes.push(format!("EPSS {:.1}%", e * 100.0));
        }
        if let Some(v) = &f.vex {
            notes.push(match &v.justification {
                Some(j) => format!("VEX {} ({j})", v.status),
                None => format!("VEX {}", v.status),
            });
        }
        writeln!(out, "    {DIM}{}{DIM:#}", notes.join("; "))?;
    }
    Ok(())
}

fn sarif(out: &mut dyn Write, rows: &[ProductFinding]) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &chainwatch_store::findings_sarif(rows))
        .context("writing SARIF")?;
    writeln!(out)?;
    Ok(())
}

/// `advisories match [--full]`.
pub(crate) fn rematch(ctx: &Context, args: &AdvisoriesMatchArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    if args.full {
        store.reset_matches().map_err(store_error)?;
    }
    let started = std::time::Instant::now();
    let report = store.rematch().map_err(store_error)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.output.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Human => {
            write_delta(&mut out, &report)?;
            writeln!(
                out,
                "{DIM}{} packages matched for {} advisory changes in {:.2} s: {} new, {} resolved{DIM:#}",
                report.packages,
                report.advisory_changes,
                started.elapsed().as_secs_f64(),
                report.new.len(),
                report.resolved.len()
            )?;
        }
    }
    out.flush()?;
    Ok(Status::Success)
}

/// The new and resolved findings, one line each (at most `LIMIT` of each kind).
pub(crate) fn write_delta(out: &mut dyn Write, report: &MatchReport) -> io::Result<()> {
    const LIMIT: usize = 50;
    for (sign, list) in [("new", &report.new), ("resolved", &report.resolved)] {
        for c in list.iter().take(LIMIT) {
            writeln!(out, "{sign:>8}  {}  {}", c.advisory, c.package)?;
        }
        if list.len() > LIMIT {
            writeln!(
                out,
                "{DIM}{sign:>8}  … and {} more{DIM:#}",
                list.len() - LIMIT
            )?;
        }
    }
    Ok(())
}

/// Matches after an ingest or import when there is anything to match against; says what
/// changed on standard error (humans) unless quiet.
pub(crate) fn after_change(ctx: &Context, store: &Store, human: bool) -> anyhow::Result<()> {
    if store
        .advisories_last_import()
        .map_err(store_error)?
        .is_none()
    {
        // Nothing to match against: the packages are matched when advisories arrive.
        return Ok(());
    }
    let report = store.rematch().map_err(store_error)?;
    if human && !ctx.quiet && (!report.new.is_empty() || !report.resolved.is_empty()) {
        let mut err = anstream::stderr().lock();
        write_delta(&mut err, &report)?;
        writeln!(
            err,
            "{DIM}findings: {} new, {} resolved (`chainwatch findings` lists them){DIM:#}",
            report.new.len(),
            report.resolved.len()
        )?;
    }
    Ok(())
}
