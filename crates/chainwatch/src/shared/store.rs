//! Opening the store and reading the options every store command has.

use chainwatch_store::Store;

use crate::cli::AsOfArgs;
use crate::output::{Context, InputError};

pub(crate) fn open(ctx: &Context) -> anyhow::Result<Store> {
    let started = std::time::Instant::now();
    // The default store's directory is made on first use; a store named with `--db` must
    // be in a directory that exists.
    if ctx.db == crate::cli::database_url(None)
        && let Some(dir) = crate::cli::default_database_dir()
    {
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", dir.display()))?;
    }
    let store = Store::open(&ctx.db)?;
    ctx.printer.detail(format_args!(
        "opened the {} store at `{}` in {:.1} ms",
        store.backend(),
        store.location(),
        started.elapsed().as_secs_f64() * 1000.0
    ));
    Ok(match ctx.printer.trace() {
        Some(trace) => store.with_trace(trace),
        None => store,
    })
}

pub(crate) fn as_of(args: &AsOfArgs) -> anyhow::Result<Option<i64>> {
    args.as_of
        .as_deref()
        .map(|t| {
            chainwatch_store::parse_instant(t).ok_or_else(|| {
                anyhow::Error::new(InputError(format!(
                    "invalid `--as-of` time `{t}`: expected RFC 3339 (`2026-03-01T12:00:00Z`) or a date (`2026-03-01`)"
                )))
            })
        })
        .transpose()
}
