//! Matching after something changed (an ingest, an advisory import or update), and
//! showing what it changed.

use std::io::{self, Write};

use chainwatch_store::{MatchReport, Store};

use crate::output::{Context, DIM};

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

/// Matches after an ingest or import when there is anything to match against, then
/// evaluates the active policy over the product versions `changed` names (`None`: every
/// one); says what changed on standard error (humans) unless quiet.
pub(crate) fn after_change(
    ctx: &Context,
    store: &Store,
    human: bool,
    changed: Option<&[(String, String)]>,
) -> anyhow::Result<()> {
    // Nothing to match against: the packages are matched when advisories arrive.
    if store.advisories_last_import()?.is_some() {
        rematch(ctx, store, human)?;
    }
    crate::shared::policy::evaluate(ctx, store, changed, human)?;
    Ok(())
}

fn rematch(ctx: &Context, store: &Store, human: bool) -> anyhow::Result<()> {
    let report = store.rematch()?;
    if human && ctx.printer.summaries() && (!report.new.is_empty() || !report.resolved.is_empty()) {
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
