//! `chainwatch findings` (the portfolio's stored findings) and `chainwatch advisories
//! match` (bring them up to date), and the delta report both `ingest` and `advisories
//! import` print after matching.

use std::io::{self, Write};

use anyhow::Context as _;
use chainwatch_advisory::Level;
use chainwatch_store::{FindingQuery, ProductFinding};

use crate::cli::{FindingsArgs, MinSeverity, ReportFormat};
use crate::output::{BOLD, Context, DIM, ERROR, Status, WARNING};
use crate::shared::store::{as_of, open};

pub(crate) fn findings(ctx: &Context, args: &FindingsArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let query = FindingQuery {
        product: args.product.as_ref().map(|p| p.name.clone()),
        version: args.product.as_ref().and_then(|p| p.version.clone()),
        min_severity: args.min_severity.map(MinSeverity::level),
        as_of: as_of(&args.as_of)?,
        include_suppressed: args.all,
        advisories: None,
    };
    let mut rows = store.findings(&query)?;
    // What recorded content audits (`audit package|model --record`) found, beside what
    // advisories say.
    rows.extend(store.content_findings(&query)?);
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
    drop(out);
    if args.format == ReportFormat::Human && ctx.printer.summaries() && !rows.is_empty() {
        writeln!(anstream::stderr().lock(), "{DIM}{}{DIM:#}", totals(&rows))?;
    }
    Ok(Status::Success)
}

fn label(f: &ProductFinding) -> String {
    if f.malicious {
        format!("{ERROR}MALICIOUS{ERROR:#}")
    } else if let Some(kind) = &f.informational {
        kind.to_ascii_uppercase()
    } else {
        let text = match (&f.severity, f.score) {
            (Some(s), Some(score)) => format!("{} {score:.1}", s.to_ascii_uppercase()),
            (Some(s), None) => s.to_ascii_uppercase(),
            (None, _) => "UNKNOWN".to_owned(),
        };
        // An unknown severity counts as high, and looks it.
        let style = match f.severity.as_deref().and_then(Level::from_name) {
            Some(Level::Critical | Level::High) | None => ERROR,
            Some(Level::Medium) => WARNING,
            Some(Level::Low | Level::None) => DIM,
        };
        format!("{style}{text}{style:#}")
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
        let title = f
            .summary
            .as_deref()
            .map(|t| format!(": {t}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}  {}{aliases}  {}{title}",
            label(f),
            f.advisory,
            f.package
        )?;
        if f.via == "content" {
            writeln!(
                out,
                "    {DIM}content audit recorded {}; `chainwatch audit list` shows every finding{DIM:#}",
                f.first_seen
            )?;
            continue;
        }
        let mut notes = vec![fixed, format!("first seen {}", f.first_seen)];
        if let Some(from) = &f.severity_from {
            notes.push(format!("severity from {from}"));
        }
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

/// `12 findings in 3 product versions: 1 malicious, 2 critical, 5 high, …`.
fn totals(rows: &[ProductFinding]) -> String {
    let versions: std::collections::BTreeSet<(&str, &str)> = rows
        .iter()
        .map(|f| (f.product.as_str(), f.version.as_str()))
        .collect();
    let mut counts: Vec<(&str, usize)> = Vec::new();
    let mut bump = |what: &'static str| match counts.iter_mut().find(|(w, _)| *w == what) {
        Some((_, n)) => *n += 1,
        None => counts.push((what, 1)),
    };
    for f in rows {
        if f.malicious {
            bump("malicious");
        } else if f.informational.is_some() {
            bump("informational");
        } else {
            bump(match f.severity.as_deref().and_then(Level::from_name) {
                Some(Level::Critical) => "critical",
                Some(Level::High) => "high",
                Some(Level::Medium) => "medium",
                Some(Level::Low) => "low",
                Some(Level::None) => "none",
                None => "unknown",
            });
        }
    }
    let order = [
        "malicious",
        "critical",
        "high",
        "unknown",
        "medium",
        "low",
        "none",
        "informational",
    ];
    counts.sort_by_key(|(w, _)| order.iter().position(|o| o == w));
    let known_exploited = rows.iter().filter(|f| f.known_exploited).count();
    format!(
        "{} finding{} in {} product version{}: {}{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        versions.len(),
        if versions.len() == 1 { "" } else { "s" },
        counts
            .iter()
            .map(|(w, n)| format!("{n} {w}"))
            .collect::<Vec<_>>()
            .join(", "),
        if known_exploited > 0 {
            format!("; {known_exploited} known exploited")
        } else {
            String::new()
        }
    )
}

fn sarif(out: &mut dyn Write, rows: &[ProductFinding]) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &chainwatch_store::findings_sarif(rows))
        .context("writing SARIF")?;
    writeln!(out)?;
    Ok(())
}
