//! Opening the store and reading the options every store command has.

use chainwatch_store::{Store, StoreError};

use crate::cli::AsOfArgs;
use crate::output::{Context, InputError};

/// A store error, marked as the user's when their input is at fault (exit status 2).
pub(crate) fn store_error(e: StoreError) -> anyhow::Error {
    if e.is_input() {
        anyhow::Error::new(InputError(e.to_string()))
    } else {
        anyhow::Error::new(e)
    }
}

pub(crate) fn open(ctx: &Context) -> anyhow::Result<Store> {
    Store::open(&ctx.db).map_err(store_error)
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
