//! `chainwatch advisories update`: OSV's published data, downloaded and imported
//! incrementally, ecosystem by ecosystem ([`chainwatch_store::Store::update_advisories`]);
//! here only the progress and the reports are shown.

use std::io::{self, IsTerminal as _, Write};

use chainwatch_store::UpdateOptions;

use crate::cli::{AdvisoriesUpdateArgs, Format};
use crate::output::{Context, DIM, Status};
use crate::shared::store::open;

/// A progress line on standard error, when it is a terminal.
fn progress(ctx: &Context) -> impl FnMut(&str, u64, Option<u64>) + use<> {
    let show = ctx.printer.progress();
    let mut last = std::time::Instant::now();
    move |label, done, total| {
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

pub(crate) fn update(ctx: &Context, args: &AdvisoriesUpdateArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let cache = crate::shared::files::osv_cache_dir(args.cache.clone());
    let options = UpdateOptions {
        mirror: &args.mirror,
        ecosystems: &args.ecosystem,
        cache: &cache,
        force_full: args.full,
    };
    let mut report_progress = progress(ctx);
    let reports = store.update_advisories(&options, &mut report_progress)?;
    if ctx.printer.summaries() {
        let mut err = anstream::stderr().lock();
        if io::stderr().is_terminal() {
            writeln!(err)?;
        }
        for w in reports.iter().flat_map(|r| &r.warnings) {
            writeln!(err, "{DIM}warning: {w}{DIM:#}")?;
        }
    }
    let changed: u64 = reports.iter().map(|r| r.added + r.updated).sum();
    if changed > 0 && !args.no_match {
        crate::shared::findings::after_change(
            ctx,
            &store,
            args.output.format == Format::Human,
            None,
        )?;
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
