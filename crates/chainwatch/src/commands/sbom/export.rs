//! `chainwatch sbom export`: a stored document in any writable format.

use std::io::{self, Write};

use anyhow::Context as _;

use crate::cli::ExportArgs;
use crate::output::{Context, Status};
use crate::shared::store::{as_of, open};

pub(crate) fn export(ctx: &Context, args: &ExportArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let (_, sbom) = store.export(
        &args.product.name,
        args.product.version(),
        as_of(&args.as_of)?,
    )?;
    let text =
        chainwatch_sbom::write(&sbom, args.to.format()).context("the format cannot be written")?;
    if ctx.printer.summaries() {
        super::warn_losses(&chainwatch_sbom::conversion_losses(
            &sbom,
            args.to.format(),
            &text,
        ))?;
    }
    match &args.output {
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => crate::shared::files::write_atomically(path, text.as_bytes())?,
    }
    Ok(Status::Success)
}
