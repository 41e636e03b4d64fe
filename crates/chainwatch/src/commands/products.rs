//! `chainwatch products`: the product versions, or one product's document history.

use std::io::{self, Write};

use crate::cli::ProductsArgs;
use crate::output::{BOLD, Context, DIM, Status};
use crate::shared::render::render;
use crate::shared::store::{as_of, open};

pub(crate) fn products(ctx: &Context, args: &ProductsArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let as_of = as_of(&args.as_of)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if let Some(spec) = &args.product {
        let docs = store.documents(&spec.name, spec.version(), as_of)?;
        render(&mut out, args.output.format, &docs, |out| {
            for d in &docs {
                writeln!(
                    out,
                    "{BOLD}{}@{}{BOLD:#} document {}  {}  {} {}  {} components  {}",
                    d.product,
                    d.version,
                    d.id,
                    d.ingested,
                    d.format,
                    d.spec_version,
                    d.components,
                    d.digest
                )?;
            }
            Ok(())
        })?;
    } else {
        let list = store.products(as_of)?;
        render(&mut out, args.output.format, &list, |out| {
            for p in &list {
                writeln!(
                    out,
                    "{BOLD}{}@{}{BOLD:#}  {} components  {} documents  {DIM}updated {}{DIM:#}",
                    p.name, p.version, p.components, p.documents, p.updated
                )?;
            }
            if list.is_empty() && ctx.printer.summaries() {
                writeln!(
                    out,
                    "{DIM}no products: store SBOMs with `chainwatch ingest`{DIM:#}"
                )?;
            }
            Ok(())
        })?;
    }
    out.flush()?;
    Ok(Status::Success)
}
