//! `chainwatch advisories update`: OSV's published data, downloaded and imported
//! incrementally, ecosystem by ecosystem; where each left off is kept in the store.

use std::io::{self, IsTerminal as _, Write};
use std::path::Path;

use chainwatch_advisory::Record;
use chainwatch_advisory::feed::Feed;
use chainwatch_store::{AdvisoryImport, Store};
use serde::Serialize;

use crate::cli::{AdvisoriesUpdateArgs, Format};
use crate::commands::store::{open, store_error};
use crate::output::{Context, DIM, InputError, Status};

/// Above this many changed records, the whole archive is cheaper than one request each.
const INCREMENTAL_LIMIT: usize = 10_000;
/// Records written per transaction.
const BATCH: usize = 2000;

#[derive(Debug, Serialize)]
struct EcosystemReport {
    ecosystem: String,
    /// `full` (the archive) or `incremental` (changed records).
    mode: &'static str,
    records: u64,
    added: u64,
    updated: u64,
    unchanged: u64,
    /// The newest `modified` imported so far: where the next update starts.
    last_modified: Option<String>,
    error: Option<String>,
}

/// Imports records in batches, tracking the newest `modified`.
struct Importer<'a> {
    store: &'a Store,
    total: AdvisoryImport,
    records: u64,
    newest: Option<(chainwatch_version::Version, String)>,
}

impl Importer<'_> {
    fn add(&mut self, batch: &[Record]) -> anyhow::Result<()> {
        let r = self.store.import_advisories(batch).map_err(store_error)?;
        self.total.added += r.added;
        self.total.updated += r.updated;
        self.total.unchanged += r.unchanged;
        self.records += batch.len() as u64;
        for m in batch.iter().filter_map(|r| r.modified.as_deref()) {
            if let Ok(v) =
                chainwatch_version::Version::parse(chainwatch_version::Scheme::Datetime, m)
                && self.newest.as_ref().is_none_or(|(n, _)| v > *n)
            {
                self.newest = Some((v, m.to_owned()));
            }
        }
        Ok(())
    }
}

/// A progress line on standard error, when it is a terminal.
fn progress(ctx: &Context, label: &str) -> impl FnMut(u64, Option<u64>) + use<> {
    let show = !ctx.quiet && io::stderr().is_terminal();
    let label = label.to_owned();
    let mut last = std::time::Instant::now();
    move |done, total| {
        if !show || last.elapsed().as_millis() < 200 {
            return;
        }
        last = std::time::Instant::now();
        #[allow(clippy::cast_precision_loss, reason = "shown to one decimal")]
        let mib = |b: u64| b as f64 / f64::from(1 << 20);
        let mut err = io::stderr().lock();
        let _ = match total {
            Some(t) => write!(err, "\r{label}: {:.1} of {:.1} MiB   ", mib(done), mib(t)),
            None => write!(err, "\r{label}: {:.1} MiB   ", mib(done)),
        };
        let _ = err.flush();
    }
}

fn full(
    ctx: &Context,
    feed: &Feed,
    ecosystem: &str,
    cache: &Path,
    importer: &mut Importer<'_>,
) -> anyhow::Result<()> {
    let dir = cache.join(ecosystem.replace(['/', '\\', ':'], "_"));
    let mut report = progress(ctx, &format!("{ecosystem}/all.zip"));
    let archive = feed.archive(ecosystem, &dir, &mut report)?;
    if !ctx.quiet && io::stderr().is_terminal() {
        let _ = writeln!(io::stderr().lock());
    }
    let mut failure = None;
    let loaded = chainwatch_advisory::load::load_paths_batched(
        std::slice::from_ref(&archive),
        BATCH,
        |batch| {
            if failure.is_none()
                && let Err(e) = importer.add(&batch)
            {
                failure = Some(e);
            }
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    if !ctx.quiet {
        let mut err = anstream::stderr().lock();
        for p in loaded.problems.iter().take(10) {
            writeln!(
                err,
                "{DIM}warning: {}: {}{DIM:#}",
                p.path.display(),
                p.message
            )?;
        }
    }
    // Imported: the archive has served its purpose.
    let _ = std::fs::remove_file(&archive);
    Ok(())
}

fn incremental(
    feed: &Feed,
    ecosystem: &str,
    changed: &[(String, String)],
    importer: &mut Importer<'_>,
) -> anyhow::Result<()> {
    let mut batch = Vec::new();
    for (_, id) in changed {
        // A record listed but gone (withdrawn and deleted) is simply skipped.
        let Some(bytes) = feed.record(ecosystem, id)? else {
            continue;
        };
        match chainwatch_advisory::load::parse(&bytes, false) {
            Ok(records) => batch.extend(records),
            Err((_, message)) => {
                anyhow::bail!("{ecosystem}/{id}.json from the mirror is not OSV: {message}")
            }
        }
        if batch.len() >= BATCH {
            importer.add(&batch)?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        importer.add(&batch)?;
    }
    Ok(())
}

/// Updates the advisories of `ecosystems` (by default those of the portfolio's packages)
/// from the OSV mirror: what `advisories update` and the server's monitoring worker run.
/// Matching is left to the caller.
fn run(
    ctx: &Context,
    store: &Store,
    mirror: &str,
    ecosystems: &[String],
    cache: &Path,
    force_full: bool,
) -> anyhow::Result<Vec<EcosystemReport>> {
    let feed = Feed::new(mirror).map_err(|e| InputError(e.to_string()))?;
    let ecosystems = if ecosystems.is_empty() {
        // Packages ingested before any advisory existed are not matched yet: matching
        // (against nothing, so cheap) records their ecosystems.
        store.rematch().map_err(store_error)?;
        store.package_ecosystems().map_err(store_error)?
    } else {
        ecosystems.to_vec()
    };
    if ecosystems.is_empty() {
        return Err(InputError(
            "the portfolio has no packages to take ecosystems from: name them with `--ecosystem` (PyPI, npm, crates.io, Go, Maven, Debian, …)".into(),
        )
        .into());
    }
    let mut reports = Vec::new();
    for ecosystem in &ecosystems {
        let source = format!("osv:{ecosystem}");
        let state = store.source_state(&source).map_err(store_error)?;
        let since = state.as_ref().and_then(|(m, _)| m.clone());
        let mut importer = Importer {
            store,
            total: AdvisoryImport::default(),
            records: 0,
            newest: None,
        };
        let mut mode = "full";
        let result = (|| -> anyhow::Result<()> {
            let plan = match (&since, force_full) {
                (Some(since), false) => feed.modified_since(ecosystem, Some(since))?,
                _ => None,
            };
            match plan {
                Some(changed) if changed.len() <= INCREMENTAL_LIMIT => {
                    mode = "incremental";
                    incremental(&feed, ecosystem, &changed, &mut importer)
                }
                _ => full(ctx, &feed, ecosystem, cache, &mut importer),
            }
        })();
        // Where this update got to is kept even after a failure: what was imported is
        // in the store, and an incremental run from an older point is harmless.
        let newest = importer
            .newest
            .as_ref()
            .map(|(_, m)| m.clone())
            .or(since.clone());
        if result.is_ok() || importer.records > 0 {
            let keep = if result.is_ok() {
                newest.as_deref()
            } else {
                since.as_deref()
            };
            store.set_source_state(&source, keep).map_err(store_error)?;
        }
        reports.push(EcosystemReport {
            ecosystem: ecosystem.clone(),
            mode,
            records: importer.records,
            added: importer.total.added,
            updated: importer.total.updated,
            unchanged: importer.total.unchanged,
            last_modified: newest,
            error: result.err().map(|e| format!("{e:#}")),
        });
    }
    Ok(reports)
}

/// The server's monitoring job: update the portfolio's ecosystems (or `ecosystems`),
/// then match what changed.
pub(crate) fn monitor_job(
    db: String,
    mirror: String,
    ecosystems: Vec<String>,
) -> chainwatch_server::notify::UpdateJob {
    Box::new(move |store: &Store| {
        let ctx = Context {
            quiet: true,
            verbose: 0,
            db: db.clone(),
        };
        let cache = std::env::var_os("CHAINWATCH_CACHE")
            .map_or_else(crate::cli::cache_dir, std::path::PathBuf::from)
            .join("osv");
        let reports =
            run(&ctx, store, &mirror, &ecosystems, &cache, false).map_err(|e| format!("{e:#}"))?;
        let errors: Vec<String> = reports
            .iter()
            .filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.ecosystem)))
            .collect();
        let report = store.rematch().map_err(|e| e.to_string())?;
        if errors.is_empty() || !report.new.is_empty() || !report.resolved.is_empty() {
            Ok(report)
        } else {
            Err(errors.join("; "))
        }
    })
}

pub(crate) fn update(ctx: &Context, args: &AdvisoriesUpdateArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let cache = args
        .cache
        .clone()
        .unwrap_or_else(crate::cli::cache_dir)
        .join("osv");
    let reports = run(
        ctx,
        &store,
        &args.mirror,
        &args.ecosystem,
        &cache,
        args.full,
    )?;
    let changed: u64 = reports.iter().map(|r| r.added + r.updated).sum();
    if changed > 0 && !args.no_match {
        crate::commands::findings::after_change(ctx, &store, args.output.format == Format::Human)?;
    }
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for r in &reports {
        match args.output.format {
            Format::Json => {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
            Format::Human => match &r.error {
                Some(e) => writeln!(out, "{}: error: {e}", r.ecosystem)?,
                None => writeln!(
                    out,
                    "{}: {} update, {} records: {} added, {} updated, {} unchanged{}",
                    r.ecosystem,
                    r.mode,
                    r.records,
                    r.added,
                    r.updated,
                    r.unchanged,
                    r.last_modified
                        .as_deref()
                        .map(|m| format!(" (up to {m})"))
                        .unwrap_or_default()
                )?,
            },
        }
    }
    out.flush()?;
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.ecosystem.as_str())
        .collect();
    if !failed.is_empty() {
        anyhow::bail!(
            "the update of {} failed (run again to continue)",
            failed.join(", ")
        );
    }
    Ok(Status::Success)
}
