//! `chainwatch sbom …`: validate, convert, count and compare SBOMs; `generate.rs` makes
//! them from trees, `export.rs` writes stored ones.

mod export;
mod generate;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chainwatch_sbom::{ReadOptions, Sbom, Severity, ValidateOptions};
use serde::Serialize;

use crate::cli::{
    ConvertArgs, DiffArgs, Format, ReportFormat, Sbom as SbomCommand, StatsArgs, ValidateArgs,
};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status, WARNING};
use crate::report::{self, FileReport, Summary};
use crate::shared::files::{display, read_input, write_atomically};
use crate::shared::render::render_diff;

pub(crate) fn run(ctx: &Context, command: SbomCommand) -> anyhow::Result<Status> {
    match command {
        SbomCommand::Generate(args) => generate::generate(ctx, &args),
        SbomCommand::Validate(args) => validate(ctx, &args),
        SbomCommand::Convert(args) => convert(ctx, &args),
        SbomCommand::Stats(args) => stats(&args),
        SbomCommand::Diff(args) => diff(&args),
        SbomCommand::Export(args) => export::export(ctx, &args),
    }
}

/// Reads an SBOM leniently; an unreadable one is an input error (exit status 2).
fn load(path: &Path) -> anyhow::Result<chainwatch_sbom::Parsed> {
    let bytes = read_input(path)?;
    chainwatch_sbom::read(&bytes, &ReadOptions::default())
        .map_err(|e| anyhow::Error::new(InputError(format!("`{}`: {e}", display(path)))))
}

/// Parses an SBOM without the model checks (for commands that only need its content).
fn parse(path: &Path) -> anyhow::Result<Sbom> {
    let bytes = read_input(path)?;
    chainwatch_sbom::parse(&bytes, &ReadOptions::default())
        .map_err(|e| anyhow::Error::new(InputError(format!("`{}`: {e}", display(path)))))
}

/// The process exits next: freeing a model of half a million components would only cost
/// time.
fn discard(sbom: Sbom) {
    std::mem::forget(sbom);
}

fn validate(ctx: &Context, args: &ValidateArgs) -> anyhow::Result<Status> {
    let options = ValidateOptions {
        strict: args.strict,
        ntia: args.ntia,
        ..ValidateOptions::default()
    };
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut reports = Vec::new();
    let (mut unreadable, mut invalid, mut skipped) = (0usize, 0usize, 0usize);
    // Directories are walked; what they hold that is plainly not an SBOM (a README, a
    // checksum list) is skipped, as `ingest` skips it.
    let files = crate::shared::files::collect_files(&args.files);
    let named: std::collections::HashSet<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    for entry in &files {
        let path = match entry {
            Ok(p) => p,
            Err((p, message)) => {
                unreadable += 1;
                let report = FileReport {
                    file: display(p),
                    summary: None,
                    diagnostics: vec![chainwatch_sbom::Diagnostic::error(
                        chainwatch_sbom::Code::Unreadable,
                        message.clone(),
                        chainwatch_sbom::Location::default(),
                    )],
                    ntia: None,
                };
                match args.format {
                    ReportFormat::Human => report::human(&mut out, &report)?,
                    ReportFormat::Json => report::json_line(&mut out, &report)?,
                    ReportFormat::Sarif => reports.push(report),
                }
                continue;
            }
        };
        let file = display(path);
        let report = match read_input(path) {
            Err(e) => FileReport {
                file,
                summary: None,
                diagnostics: vec![chainwatch_sbom::Diagnostic::error(
                    chainwatch_sbom::Code::Unreadable,
                    format!("{e:#}"),
                    chainwatch_sbom::Location::default(),
                )],
                ntia: None,
            },
            Ok(bytes) => match chainwatch_sbom::validate(&bytes, &options) {
                Ok(v) => FileReport {
                    file,
                    summary: Some(Summary {
                        format: v.sbom.format.as_str().to_owned(),
                        spec_version: v.sbom.spec_version.clone(),
                        components: v.sbom.components.len(),
                    }),
                    diagnostics: v.diagnostics,
                    ntia: args.ntia.then_some(v.ntia),
                },
                Err(chainwatch_sbom::ReadError::NotAnSbom { .. })
                    if !named.contains(path.as_path()) =>
                {
                    skipped += 1;
                    continue;
                }
                Err(e) => FileReport {
                    file,
                    summary: None,
                    diagnostics: vec![e.to_diagnostic()],
                    ntia: None,
                },
            },
        };
        if report.summary.is_none() {
            unreadable += 1;
        } else if !report.valid() || !report.ntia_ok() {
            invalid += 1;
        }
        match args.format {
            ReportFormat::Human => report::human(&mut out, &report)?,
            ReportFormat::Json => report::json_line(&mut out, &report)?,
            ReportFormat::Sarif => reports.push(report),
        }
    }
    if args.format == ReportFormat::Sarif {
        report::sarif(&mut out, &reports)?;
    }
    out.flush()?;
    drop(out);
    let checked = files.len() - skipped;
    if args.format == ReportFormat::Human && ctx.printer.summaries() && files.len() > 1 {
        let valid = checked - unreadable - invalid;
        writeln!(
            anstream::stderr().lock(),
            "{DIM}{checked} files: {valid} valid, {invalid} invalid, {unreadable} unreadable{}{DIM:#}",
            if skipped > 0 {
                format!("; {skipped} files of directories skipped (not SBOMs)")
            } else {
                String::new()
            }
        )?;
    }
    Ok(if unreadable > 0 {
        Status::BadInput
    } else if invalid > 0 {
        Status::Findings
    } else {
        Status::Success
    })
}

fn convert(ctx: &Context, args: &ConvertArgs) -> anyhow::Result<Status> {
    let parsed = load(&args.input)?;
    if ctx.printer.summaries() {
        let mut err = anstream::stderr().lock();
        for d in parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
        {
            let at = if d.location.is_empty() {
                String::new()
            } else {
                format!(" {}", d.location)
            };
            writeln!(
                err,
                "{DIM}warning[{}]{at}: {}{DIM:#}",
                d.code.as_str(),
                d.message
            )?;
        }
    }
    let format = args.to.format();
    let text =
        chainwatch_sbom::write(&parsed.sbom, format).context("the format cannot be written")?;
    let losses = chainwatch_sbom::conversion_losses(&parsed.sbom, format, &text);
    if ctx.printer.summaries() || args.strict_conversion {
        warn_losses(&losses)?;
        if args.strict_conversion && !losses.is_empty() {
            writeln!(
                anstream::stderr().lock(),
                "{ERROR}error{ERROR:#}: {} kinds of loss converting to {format}: nothing written (--strict-conversion)",
                losses.len()
            )?;
            return Ok(Status::Findings);
        }
    }
    match &args.output {
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => write_atomically(path, text.as_bytes())?,
    }
    Ok(Status::Success)
}

/// Prints what a conversion loses, one warning per kind, on stderr.
fn warn_losses(losses: &[chainwatch_sbom::Diagnostic]) -> io::Result<()> {
    let mut err = anstream::stderr().lock();
    for d in losses {
        writeln!(
            err,
            "{WARNING}warning[{}]{WARNING:#}: {}",
            d.code.as_str(),
            d.message
        )?;
    }
    Ok(())
}

/// `sbom stats --format json`. The field order is part of the interface.
#[derive(Serialize)]
struct StatsJson<'a> {
    format: &'a str,
    spec_version: &'a str,
    subject: Option<SubjectJson<'a>>,
    components: usize,
    relationships: usize,
    with_purl: usize,
}

#[derive(Serialize)]
struct SubjectJson<'a> {
    name: &'a str,
    version: Option<&'a str>,
}

fn stats(args: &StatsArgs) -> anyhow::Result<Status> {
    let sbom = parse(&args.file)?;
    let subject = sbom.subject_component();
    let with_purl = sbom.components.iter().filter(|c| c.purl.is_some()).count();
    let mut out = anstream::stdout().lock();
    match args.output.format {
        Format::Json => {
            let value = StatsJson {
                format: sbom.format.as_str(),
                spec_version: &sbom.spec_version,
                subject: subject.map(|c| SubjectJson {
                    name: &c.name,
                    version: c.version.as_deref(),
                }),
                components: sbom.components.len(),
                relationships: sbom.relationships.len(),
                with_purl,
            };
            serde_json::to_writer(&mut out, &value)?;
            writeln!(out)?;
        }
        Format::Human => {
            writeln!(
                out,
                "{BOLD}{}{BOLD:#}: {} {}",
                display(&args.file),
                sbom.format,
                sbom.spec_version
            )?;
            if let Some(c) = subject {
                writeln!(
                    out,
                    "  subject          {} {}",
                    c.name,
                    c.version.as_deref().unwrap_or("(no version)")
                )?;
            }
            writeln!(out, "  components       {}", sbom.components.len())?;
            writeln!(out, "  with purl        {with_purl}")?;
            writeln!(out, "  relationships    {}", sbom.relationships.len())?;
            writeln!(out, "  vulnerabilities  {}", sbom.vulnerabilities.len())?;
        }
    }
    discard(sbom);
    Ok(Status::Success)
}

fn diff(args: &DiffArgs) -> anyhow::Result<Status> {
    let a: Sbom = parse(&args.a)?;
    let b: Sbom = parse(&args.b)?;
    let d = chainwatch_sbom::diff(&a, &b);
    discard(a);
    discard(b);
    render_diff(&d, args.output.format)
}
