//! `chainwatch advisories match`: the stored findings brought up to date, incrementally
//! or from scratch.

use std::io::{self, Write};

use crate::cli::{AdvisoriesMatchArgs, Format};
use crate::output::{Context, DIM, Status};
use crate::shared::findings::write_delta;
use crate::shared::store::open;

/// `advisories match [--full]`.
pub(crate) fn rematch(ctx: &Context, args: &AdvisoriesMatchArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    if args.full {
        store.reset_matches()?;
    }
    let started = std::time::Instant::now();
    let report = store.rematch()?;
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
    crate::shared::policy::evaluate(ctx, &store, None, args.output.format == Format::Human)?;
    Ok(Status::Success)
}
