//! `chainwatch advisories import|show`: OSV records into the store (then matched against
//! the portfolio), and out by any identifier.

mod enrich;
mod matching;
mod update;

use std::io::{self, Write};

use chainwatch_advisory::Record;
use serde::Serialize;
use serde_json::json;

use crate::cli::{Advisories, AdvisoriesImportArgs, AdvisoriesShowArgs, Format};
use crate::output::{BOLD, Context, DIM, InputError, Status};
use crate::shared::store::open;

/// Records written per transaction.
const BATCH: usize = 2000;

pub(crate) fn run(ctx: &Context, command: Advisories) -> anyhow::Result<Status> {
    match command {
        Advisories::Import(args) => import(ctx, &args),
        Advisories::Show(args) => show(ctx, &args),
        Advisories::Match(args) => matching::rematch(ctx, &args),
        Advisories::Enrich(args) => enrich::enrich(ctx, &args),
        Advisories::Update(args) => update::update(ctx, &args),
    }
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    path: String,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
}

#[derive(Serialize)]
struct ImportJson<'a> {
    files: usize,
    records: usize,
    added: u64,
    updated: u64,
    unchanged: u64,
    problems: Vec<ProblemJson<'a>>,
}

fn import(ctx: &Context, args: &AdvisoriesImportArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    // Records are imported in batches as they are read: an archive never sits in memory
    // whole. A store error stops the import (what was written stays: each batch is one
    // transaction, and importing again is idempotent).
    let mut total = chainwatch_store::AdvisoryImport::default();
    let mut records = 0usize;
    let mut failure: Option<chainwatch_store::StoreError> = None;
    let loaded = chainwatch_advisory::load::load_paths_batched(&args.paths, BATCH, |batch| {
        if failure.is_some() {
            return;
        }
        records += batch.len();
        match store.import_advisories(&batch) {
            Ok(r) => {
                total.added += r.added;
                total.updated += r.updated;
                total.unchanged += r.unchanged;
            }
            Err(e) => failure = Some(e),
        }
    });
    if let Some(e) = failure {
        return Err(e.into());
    }
    if total.added + total.updated > 0 && !args.no_match {
        crate::shared::findings::after_change(
            ctx,
            &store,
            args.output.format == Format::Human,
            None,
        )?;
    }
    let report = ImportJson {
        files: loaded.files,
        records,
        added: total.added,
        updated: total.updated,
        unchanged: total.unchanged,
        problems: loaded
            .problems
            .iter()
            .map(|p| ProblemJson {
                path: p.path.display().to_string(),
                line: p.line,
                column: p.column,
                message: &p.message,
            })
            .collect(),
    };
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.output.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Human => {
            for p in &report.problems {
                let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                writeln!(out, "{}{at}: {}", p.path, p.message)?;
            }
            writeln!(
                out,
                "{} records from {} files: {} added, {} updated, {} unchanged",
                report.records, report.files, report.added, report.updated, report.unchanged
            )?;
        }
    }
    out.flush()?;
    Ok(if report.problems.is_empty() {
        Status::Success
    } else {
        Status::BadInput
    })
}

fn show(ctx: &Context, args: &AdvisoriesShowArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let records = store.advisories_by_id(&args.id)?;
    if records.is_empty() {
        return Err(InputError(format!(
            "no stored advisory has the identifier `{}` (import OSV records with `chainwatch advisories import`)",
            args.id
        ))
        .into());
    }
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.output.format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = records.iter().map(record_json).collect();
            serde_json::to_writer(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Human => {
            for r in &records {
                human(&mut out, r)?;
            }
        }
    }
    out.flush()?;
    Ok(Status::Success)
}

/// The record as OSV JSON, with what chainwatch computed of it.
fn record_json(r: &Record) -> serde_json::Value {
    let severity = r.severity();
    json!({
        "id": r.id,
        "aliases": r.aliases,
        "upstream": r.upstream,
        "summary": r.summary,
        "severity": severity.as_ref().map(|s| s.level.as_str()),
        "score": severity.as_ref().and_then(|s| s.score),
        "withdrawn": r.is_withdrawn(),
        "malicious": r.is_malicious(),
        "modified": r.modified,
        "record": r,
    })
}

fn human(out: &mut dyn Write, r: &Record) -> io::Result<()> {
    let mut ids: Vec<&str> = r
        .aliases
        .iter()
        .chain(&r.upstream)
        .map(String::as_str)
        .collect();
    ids.dedup();
    let aliases = if ids.is_empty() {
        String::new()
    } else {
        format!(" ({})", ids.join(", "))
    };
    writeln!(out, "{BOLD}{}{BOLD:#}{aliases}", r.id)?;
    if let Some(s) = r.title() {
        writeln!(out, "  {s}")?;
    }
    let mut flags = Vec::new();
    if let Some(s) = r.severity() {
        flags.push(match s.score {
            Some(score) => format!("severity {} ({score:.1})", s.level),
            None => format!("severity {}", s.level),
        });
    }
    if r.is_malicious() {
        flags.push("MALICIOUS".to_owned());
    }
    if r.is_withdrawn() {
        flags.push("withdrawn: never matches".to_owned());
    }
    if let Some(m) = &r.modified {
        flags.push(format!("modified {m}"));
    }
    writeln!(out, "  {DIM}{}{DIM:#}", flags.join(", "))?;
    for a in &r.affected {
        // Version ranges (ECOSYSTEM, SEMVER) are what matching uses; GIT ranges name
        // commits of a repository, shown apart so a commit is never read as a version.
        let mut versions = Vec::new();
        let mut commits = Vec::new();
        for range in &a.ranges {
            if range.kind.eq_ignore_ascii_case("GIT") {
                commits.push((range.repo.as_deref(), events(range)));
            } else {
                versions.extend(events(range));
            }
        }
        if !a.versions.is_empty() {
            versions.push(format!("{} listed versions", a.versions.len()));
        }
        if let Some(p) = &a.package {
            writeln!(out, "  {} {}: {}", p.ecosystem, p.name, versions.join(", "))?;
        }
        for (repo, spans) in commits {
            writeln!(
                out,
                "  {DIM}commits of{DIM:#} {}: {}",
                repo.unwrap_or("an unnamed repository"),
                spans.join(", ")
            )?;
        }
    }
    Ok(())
}

/// A range's events as `introduced X`, `fixed Y`, `last affected Z`, `limit W`.
fn events(range: &chainwatch_advisory::osv::Range) -> Vec<String> {
    let mut spans = Vec::new();
    for e in &range.events {
        for (what, v) in [
            ("introduced", &e.introduced),
            ("fixed", &e.fixed),
            ("last affected", &e.last_affected),
            ("limit", &e.limit),
        ] {
            if let Some(v) = v {
                spans.push(format!("{what} {v}"));
            }
        }
    }
    spans
}
