//! `chainwatch db …`: migrate, check and count the store.

use std::io::{self, Write};

use crate::cli::Db;
use crate::output::{BOLD, Context, ERROR, Status};
use crate::shared::render::render;
use crate::shared::store::open;

pub(crate) fn db(ctx: &Context, command: &Db) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let status = match command {
        Db::Migrate(o) => {
            let report = store.migrate()?;
            render(&mut out, o.format, &report, |out| {
                writeln!(
                    out,
                    "schema version {} ({} {})",
                    report.to,
                    store.backend(),
                    store.location()
                )
            })?;
            Status::Success
        }
        Db::Check(o) => {
            let report = store.check()?;
            render(&mut out, o.format, &report, |out| {
                for p in &report.problems {
                    writeln!(out, "{ERROR}problem{ERROR:#}: {p}")?;
                }
                writeln!(
                    out,
                    "{}: {}",
                    if report.ok { "ok" } else { "FAILED" },
                    report.checked.join(", ")
                )?;
                Ok(())
            })?;
            if report.ok {
                Status::Success
            } else {
                Status::Findings
            }
        }
        Db::Stats(o) => {
            let stats = store.stats()?;
            render(&mut out, o.format, &stats, |out| {
                writeln!(out, "{BOLD}{}{BOLD:#} {}", stats.backend, stats.location)?;
                for (k, v) in [
                    (
                        "schema version",
                        u64::try_from(stats.schema_version).unwrap_or(0),
                    ),
                    ("products", stats.products),
                    ("product versions", stats.product_versions),
                    ("documents", stats.documents),
                    ("package names", stats.names),
                    ("packages", stats.packages),
                    ("occurrences", stats.occurrences),
                    ("edges", stats.edges),
                    ("document bytes", stats.document_bytes),
                    ("stored bytes", stats.stored_bytes),
                ] {
                    writeln!(out, "{k:>16}  {v}")?;
                }
                Ok(())
            })?;
            Status::Success
        }
    };
    out.flush()?;
    Ok(status)
}
