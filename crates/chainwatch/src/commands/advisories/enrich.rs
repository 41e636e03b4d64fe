//! `chainwatch advisories enrich`: CISA's KEV catalog and FIRST's EPSS scores into the
//! store, applied to findings when they are read.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

use crate::cli::{EnrichArgs, Format};
use crate::output::{Context, InputError, Status};
use crate::shared::store::open;

/// `advisories enrich --kev FILE --epss FILE`.
pub(crate) fn enrich(ctx: &Context, args: &EnrichArgs) -> anyhow::Result<Status> {
    if args.kev.is_none() && args.epss.is_none() {
        return Err(InputError("give `--kev FILE`, `--epss FILE` or both".into()).into());
    }
    let store = open(ctx)?;
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|e| InputError(format!("cannot read `{}`: {e}", p.display())))
    };
    let mut report = json!({});
    if let Some(path) = &args.kev {
        let entries = chainwatch_advisory::enrich::parse_kev(&read(path)?)
            .map_err(|e| InputError(format!("{}: {e}", path.display())))?;
        report["kev"] = store.import_kev(&entries)?.into();
    }
    if let Some(path) = &args.epss {
        let entries = chainwatch_advisory::enrich::parse_epss(&read(path)?)
            .map_err(|e| InputError(format!("{}: {e}", path.display())))?;
        report["epss"] = store.import_epss(&entries)?.into();
    }
    let stdout = anstream::stdout();
    let mut out = stdout.lock();
    match args.output.format {
        Format::Json => writeln!(out, "{report}")?,
        Format::Human => {
            if let Some(n) = report.get("kev") {
                writeln!(out, "{n} known exploited vulnerabilities stored")?;
            }
            if let Some(n) = report.get("epss") {
                writeln!(out, "{n} EPSS scores stored")?;
            }
        }
    }
    drop(out);
    // Known exploitation and EPSS are conditions of policies.
    crate::shared::policy::evaluate(ctx, &store, None, args.output.format == Format::Human)?;
    Ok(Status::Success)
}
