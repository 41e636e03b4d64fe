//! A command's TARGET: a directory or lockfile (inventoried as `sbom generate` does), an
//! SBOM file in any supported format, or a product version in the store (`NAME@VERSION`,
//! or `NAME` for its newest version).

use std::io::Write as _;
use std::path::Path;

use chainwatch_inventory::{InventoryError, Options, SbomOptions};
use chainwatch_sbom::{ReadOptions, Sbom};

use crate::output::{Context, DIM, InputError};

/// The product a TARGET that is not a path names.
pub(crate) fn product_ref(target: &Path) -> anyhow::Result<chainwatch_store::ProductRef> {
    let spec = target.to_string_lossy();
    spec.parse().map_err(|e: chainwatch_store::StoreError| {
        InputError(format!(
            "`{spec}` is neither a file, a directory nor a product ({e})"
        ))
        .into()
    })
}

/// The inventory TARGET names, as an SBOM; paths matching `exclude` are left out of a
/// tree. Unusable input is an [`InputError`].
pub(crate) fn load(ctx: &Context, target: &Path, exclude: &[String]) -> anyhow::Result<Sbom> {
    if !target.exists() {
        let spec = target.to_string_lossy();
        let product = product_ref(target)?;
        let store = crate::shared::store::open(ctx)?;
        return match store.export(&product.name, product.version(), None) {
            Ok((_, sbom)) => Ok(sbom),
            Err(chainwatch_store::StoreError::NotFound(m)) => Err(InputError(format!(
                "`{spec}` is neither a file, a directory nor a product in the store ({m})"
            ))
            .into()),
            Err(e) => Err(e.into()),
        };
    }
    let options = Options {
        exclude: exclude.to_vec(),
        ..Options::default()
    };
    match chainwatch_inventory::inventory(target, &options) {
        Ok(inv) => {
            for (path, d) in inv.diagnostics() {
                if d.severity == chainwatch_sbom::Severity::Error {
                    let mut err = anstream::stderr().lock();
                    let _ = writeln!(err, "{DIM}warning: {path}: {}{DIM:#}", d.message);
                }
            }
            Ok(inv.to_sbom(&SbomOptions::default()))
        }
        Err(InventoryError::UnknownFile { .. }) => {
            let bytes = std::fs::read(target)
                .map_err(|e| InputError(format!("cannot read `{}`: {e}", target.display())))?;
            chainwatch_sbom::parse(&bytes, &ReadOptions::default()).map_err(|e| {
                anyhow::Error::new(InputError(format!(
                    "`{}` is neither a lockfile chainwatch reads nor an SBOM: {e}",
                    target.display()
                )))
            })
        }
        Err(e) => Err(anyhow::Error::new(InputError(e.to_string()))),
    }
}
