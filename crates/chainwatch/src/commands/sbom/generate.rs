//! `chainwatch sbom generate`: the inventory of a tree, written as an SBOM.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use chainwatch_inventory::{Inventory, InventoryError, Options, SbomOptions};
use chainwatch_sbom::Severity;
use serde::Serialize;

use crate::cli::{GenerateArgs, ReportFormat};
use crate::output::{BOLD, Context, DIM, InputError, Status};
use crate::report::{self, DiagnosticJson, FileReport, Summary};
use crate::shared::files::write_atomically;

pub(crate) fn generate(ctx: &Context, args: &GenerateArgs) -> anyhow::Result<Status> {
    let started = Instant::now();
    let options = Options {
        exclude: args.exclude.clone(),
        all_dirs: args.all_dirs,
        ..Options::default()
    };
    let inventory = chainwatch_inventory::inventory(&args.path, &options).map_err(|e| match e {
        InventoryError::Root { .. }
        | InventoryError::UnknownFile { .. }
        | InventoryError::Pattern { .. } => anyhow::Error::new(InputError(e.to_string())),
        other => anyhow::Error::new(other),
    })?;
    let sbom = inventory.to_sbom(&SbomOptions {
        created: Some(crate::shared::time::timestamp()),
        serial: Some(random_serial()),
        // The writers name chainwatch as the tool themselves.
        tool: None,
    });
    let text =
        chainwatch_sbom::write(&sbom, args.to.format()).context("the format cannot be written")?;
    match &args.output {
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => write_atomically(path, text.as_bytes())?,
    }
    let unusable = report_diagnostics(ctx, args, &inventory)?;
    if ctx.printer.summaries() && args.diagnostics == ReportFormat::Human {
        let packages = sbom
            .components
            .len()
            .saturating_sub(1 + usize::from(inventory.distro.is_some()));
        let edges = sbom.relationships.len();
        let plural = if inventory.files.len() == 1 { "" } else { "s" };
        writeln!(
            anstream::stderr().lock(),
            "{DIM}{}: {} file{plural} read, {packages} packages, {edges} dependency edges in {:.0?}{DIM:#}",
            inventory.project.name,
            inventory.files.len(),
            started.elapsed()
        )?;
    }
    Ok(if unusable {
        Status::BadInput
    } else {
        Status::Success
    })
}

/// A version 4 UUID URN from the standard library's randomly seeded hasher.
fn random_serial() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_i64(chainwatch_store::now_micros());
        h.write_u32(std::process::id());
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    });
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[derive(Serialize)]
struct FileJson<'a> {
    file: String,
    extractor: &'a str,
    packages: usize,
    diagnostics: Vec<DiagnosticJson<'a>>,
}

/// Writes the problems found, on stderr; says whether any file was unusable.
fn report_diagnostics(ctx: &Context, args: &GenerateArgs, inv: &Inventory) -> anyhow::Result<bool> {
    let unusable = inv
        .diagnostics()
        .any(|(_, d)| d.severity == Severity::Error);
    let shown = |p: &str| display_path(&args.path, inv, p);
    let stderr = anstream::stderr();
    let mut err = io::BufWriter::new(stderr.lock());
    match args.diagnostics {
        ReportFormat::Human => {
            if !ctx.printer.summaries() && !unusable {
                return Ok(false);
            }
            for (path, d) in &inv.walk_diagnostics {
                writeln!(err, "{BOLD}{}{BOLD:#}", shown(path))?;
                report::human_line(&mut err, d)?;
            }
            for f in inv.files.iter().filter(|f| !f.diagnostics.is_empty()) {
                writeln!(
                    err,
                    "{BOLD}{}{BOLD:#} {DIM}({}){DIM:#}",
                    shown(&f.path),
                    f.extractor
                )?;
                for d in &f.diagnostics {
                    if !ctx.printer.summaries() && d.severity < Severity::Error {
                        continue;
                    }
                    report::human_line(&mut err, d)?;
                }
            }
        }
        ReportFormat::Json => {
            for f in &inv.files {
                let value = FileJson {
                    file: shown(&f.path),
                    extractor: f.extractor,
                    packages: f.packages.len(),
                    diagnostics: f.diagnostics.iter().map(DiagnosticJson::from).collect(),
                };
                serde_json::to_writer(&mut err, &value)?;
                writeln!(err)?;
            }
            for (path, d) in &inv.walk_diagnostics {
                let value = FileJson {
                    file: shown(path),
                    extractor: "walk",
                    packages: 0,
                    diagnostics: vec![DiagnosticJson::from(d)],
                };
                serde_json::to_writer(&mut err, &value)?;
                writeln!(err)?;
            }
        }
        ReportFormat::Sarif => {
            let reports: Vec<FileReport> = inv
                .files
                .iter()
                .map(|f| FileReport {
                    file: shown(&f.path),
                    summary: Some(Summary {
                        format: f.extractor.to_owned(),
                        spec_version: String::new(),
                        components: f.packages.len(),
                    }),
                    diagnostics: f.diagnostics.clone(),
                    ntia: None,
                })
                .chain(inv.walk_diagnostics.iter().map(|(p, d)| FileReport {
                    file: shown(p),
                    summary: None,
                    diagnostics: vec![d.clone()],
                    ntia: None,
                }))
                .collect();
            report::sarif(&mut err, &reports)?;
        }
    }
    err.flush()?;
    Ok(unusable)
}

/// A file's path as the user can open it: under PATH when PATH is a directory.
fn display_path(root: &Path, inv: &Inventory, rel: &str) -> String {
    if inv.root.is_dir() {
        root.join(rel).display().to_string()
    } else {
        root.display().to_string()
    }
}
