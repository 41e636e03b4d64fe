//! `chainwatch ingest`: SBOMs and attestation files into the store, parsed on all cores
//! and written in batches by one writer.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use std::path::{Path, PathBuf};

use chainwatch_store::{IngestOptions, IngestOutcome, Prepare, Prepared, Store, StoreError};
use chainwatch_typosquat::{Checker, Suspect};
use serde::Serialize;

use crate::cli::{Format, IngestArgs};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status};
use crate::shared::files::{collect_files, read_path};
use crate::shared::store::open;

/// One line of `ingest --format json`. The field order is part of the interface.
#[derive(Debug, Serialize)]
struct IngestLine {
    path: String,
    /// `stored`, `unchanged`, `skipped` (a file of a directory that is plainly not an
    /// SBOM: a README, a checksum list) or `error`.
    status: &'static str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    outcome: Option<IngestOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Dependencies of a stored document whose names imitate popular packages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suspects: Vec<Suspect>,
    /// An attestation file: one entry per attestation in it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attestations: Vec<AttestationJson>,
}

/// One attestation of an ingested file.
#[derive(Debug, Serialize)]
struct AttestationJson {
    /// `stored`, `unchanged` or `rejected` (it did not verify; nothing stored).
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    predicate_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    builder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    /// Why it was rejected: the first failed check and its reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    failed: Option<String>,
}

/// The typo-squatting suspects among a document's packages.
fn squats_of(checker: &mut Checker<'_>, doc: &Prepared) -> Vec<Suspect> {
    checker.suspects(doc.components.iter().filter_map(|r| r.purl.as_deref()))
}

/// Components stored by one run after which the planner statistics are refreshed.
const OPTIMIZE_AFTER: u64 = 50_000;

/// Components of a stored document above which it is freed on another thread.
const FREE_APART: usize = 100_000;

/// Most documents written in one transaction.
const BATCH_DOCUMENTS: usize = 256;
/// Most components written in one transaction (a single larger document is one batch).
/// Each commit rewrites the index pages its rows touched: larger batches touch each
/// page once for more rows (measured: 64 documents → 256 documents of 500 components,
/// 20 % less time on SQLite).
const BATCH_COMPONENTS: usize = 250_000;
/// How long the writer waits for more parsed documents before writing what it has.
const BATCH_WAIT: Duration = Duration::from_millis(200);

/// A file on its way into the store.
enum Stage {
    Ready(Box<Prepared>),
    /// An attestation file: verified and stored by the writer.
    Attestation(Vec<u8>),
    Done(Result<IngestOutcome, Failure>),
}

/// Why a file was not stored.
#[derive(Debug)]
struct Failure {
    message: String,
    /// The input's fault (exit status 2), not the store's.
    input: bool,
    /// The file is no SBOM (nor an attestation) of any format.
    not_an_sbom: bool,
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure {
            input: e.is_input(),
            not_an_sbom: matches!(
                e,
                StoreError::Read(chainwatch_sbom::ReadError::NotAnSbom { .. })
            ),
            message: e.to_string(),
        }
    }
}

/// Reading and preparing a file that took longer than this is told of with `-v`.
const SLOW_FILE: Duration = Duration::from_millis(500);

fn timed<T>(printer: crate::output::Printer, path: &Path, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = f();
    if started.elapsed() >= SLOW_FILE {
        printer.detail(format_args!(
            "read and prepared `{}` in {:.2} s",
            path.display(),
            started.elapsed().as_secs_f64()
        ));
    }
    out
}

/// What a reader makes of a file.
fn read_file(
    printer: crate::output::Printer,
    file: &Result<PathBuf, (PathBuf, String)>,
    store: &Store,
    options: &IngestOptions,
    from_filename: bool,
) -> Stage {
    let unreadable = |message: String| {
        Stage::Done(Err(Failure {
            message,
            input: true,
            not_an_sbom: false,
        }))
    };
    match file {
        Err((_, message)) => unreadable(message.clone()),
        Ok(path) => match read_path(path) {
            Err(message) => unreadable(message),
            Ok(bytes) if chainwatch_attest::sniff(&bytes) => Stage::Attestation(bytes),
            Ok(bytes) => match timed(printer, path, || {
                if from_filename && let Some(name) = product_from_filename(path) {
                    let options = IngestOptions {
                        fallback_product: Some(name),
                        ..options.clone()
                    };
                    store.prepare_owned(bytes, &options)
                } else {
                    store.prepare_owned(bytes, options)
                }
            }) {
                Ok(Prepare::Known(o)) => Stage::Done(Ok(o)),
                Ok(Prepare::Ready(p)) => Stage::Ready(p),
                Err(e) => Stage::Done(Err(e.into())),
            },
        },
    }
}

/// The product a file's name gives: the name without compression and SBOM extensions
/// (`payments-api.cdx.json.gz` → `payments-api`, `bom.spdx` → `bom`).
fn product_from_filename(path: &Path) -> Option<String> {
    const SUFFIXES: &[&str] = &[
        ".gz",
        ".zst",
        ".bz2",
        ".xz",
        ".json",
        ".jsonld",
        ".xml",
        ".rdf",
        ".yaml",
        ".yml",
        ".txt",
        ".spdx",
        ".cdx",
        ".cyclonedx",
        ".bom",
        ".sbom",
        "-sbom",
        "_sbom",
    ];
    let mut name = path.file_name()?.to_str()?;
    loop {
        let lower = name.to_ascii_lowercase();
        match SUFFIXES
            .iter()
            .find(|s| lower.ends_with(*s) && lower.len() > s.len())
        {
            Some(s) => name = &name[..name.len() - s.len()],
            None => break,
        }
    }
    let name = name.trim();
    (!name.is_empty() && name != "-").then(|| name.to_owned())
}

/// Reads the files on `jobs` threads and hands them to `write` in their order, in runs
/// to store together: up to [`BATCH_DOCUMENTS`] or [`BATCH_COMPONENTS`], or what arrived
/// within [`BATCH_WAIT`]. The channel is bounded, so parsed documents cannot pile up.
/// `write` is told which run is the last.
fn pipeline(
    files: &[Result<PathBuf, (PathBuf, String)>],
    jobs: usize,
    read: impl Fn(&Result<PathBuf, (PathBuf, String)>) -> Stage + Sync,
    mut write: impl FnMut(Vec<(usize, Stage)>, bool),
) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Stage)>(jobs);
        for _ in 0..jobs {
            let (tx, next, read) = (tx.clone(), &next, &read);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    if tx.send((i, read(file))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, Stage> = BTreeMap::new();
        let mut emit = 0usize;
        let mut open = true;
        while open || !pending.is_empty() {
            let started = std::time::Instant::now();
            let (mut docs, mut comps) = (0usize, 0usize);
            let mut run: Vec<(usize, Stage)> = Vec::new();
            loop {
                while let Some(stage) = pending.remove(&emit) {
                    if let Stage::Ready(p) = &stage {
                        docs += 1;
                        comps += p.components.len();
                    }
                    run.push((emit, stage));
                    emit += 1;
                }
                let full = docs >= BATCH_DOCUMENTS || comps >= BATCH_COMPONENTS;
                if full || !open || (!run.is_empty() && started.elapsed() >= BATCH_WAIT) {
                    break;
                }
                let wait = if run.is_empty() {
                    Duration::from_hours(1)
                } else {
                    BATCH_WAIT.saturating_sub(started.elapsed())
                };
                match rx.recv_timeout(wait) {
                    Ok((i, stage)) => {
                        pending.insert(i, stage);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
                }
            }
            if !run.is_empty() {
                write(run, emit == files.len());
            }
        }
    });
}

/// Stores the documents of a run in one transaction, checking their names for
/// typo-squats meanwhile (on their own thread, so that a large document's hundreds of
/// thousands of names neither wait for nor delay the database): each stored document's
/// outcome and suspects, in the run's order. After the `last` run the writer copies
/// SQLite's log into the database while the names are still being checked, rather than
/// leave it to the store's closing.
fn store_run(
    printer: crate::output::Printer,
    store: &Store,
    squats: Option<&mut Checker<'_>>,
    ready: &[&Prepared],
    last: bool,
) -> Vec<(Result<IngestOutcome, StoreError>, Vec<Suspect>)> {
    std::thread::scope(|scope| {
        let checking = squats.map(|squats| {
            scope.spawn(move || {
                let started = std::time::Instant::now();
                let found = ready
                    .iter()
                    .map(|p| squats_of(squats, p))
                    .collect::<Vec<_>>();
                printer.detail(format_args!(
                    "checked the names of {} documents for typo-squats in {:.2} s",
                    ready.len(),
                    started.elapsed().as_secs_f64()
                ));
                found
            })
        });
        let started = std::time::Instant::now();
        let written = store.ingest_prepared_batch(ready);
        printer.detail(format_args!(
            "wrote {} documents ({} components) in {:.2} s",
            ready.len(),
            ready.iter().map(|p| p.components.len()).sum::<usize>(),
            started.elapsed().as_secs_f64()
        ));
        if last && written.iter().any(|r| r.as_ref().is_ok_and(|o| o.stored)) {
            let started = std::time::Instant::now();
            // Not the ingest's failure: what was written is committed, and the store's
            // closing tries again.
            match store.checkpoint() {
                Ok(()) => printer.detail(format_args!(
                    "copied the log into the database in {:.2} s",
                    started.elapsed().as_secs_f64()
                )),
                Err(e) => printer.detail(format_args!(
                    "the log is copied into the database when the store closes: {e}"
                )),
            }
        }
        let mut found = checking
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .unwrap_or_default()
            .into_iter();
        written
            .into_iter()
            .map(|r| {
                let suspects = found.next().unwrap_or_default();
                let suspects = if r.as_ref().is_ok_and(|o| o.stored) {
                    suspects
                } else {
                    Vec::new()
                };
                (r, suspects)
            })
            .collect()
    })
}

pub(crate) fn ingest(ctx: &Context, args: &IngestArgs) -> anyhow::Result<Status> {
    let tags = chainwatch_store::clean_tags(&args.tag).map_err(|e| InputError(e.to_string()))?;
    let store = open(ctx)?;
    let files = collect_files(&args.paths);
    // Files named on the command line; the others were found in directories, where a
    // README or a checksum list is skipped rather than failed.
    let named: std::collections::HashSet<&Path> = args.paths.iter().map(PathBuf::as_path).collect();
    let options = IngestOptions {
        product: args.product.clone(),
        version: args.product_version.clone(),
        ..IngestOptions::default()
    };
    let trust = crate::shared::trust::policy(&args.trust)?;
    let for_product = args.product.as_deref().zip(args.product_version.as_deref());
    let jobs = args
        .jobs
        .map_or_else(
            || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            std::num::NonZeroUsize::get,
        )
        .min(files.len().max(1));
    let corpus = chainwatch_typosquat::CorpusSources {
        refreshed: Some(crate::shared::typosquat::refreshed_dir()),
        ..Default::default()
    };
    let mut squats = crate::shared::typosquat::checker(
        &corpus,
        &crate::cli::TyposquatCorpusArgs::default(),
        Some(&store),
    );
    let mut summary = Summary::default();
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut write_error: Option<io::Error> = None;
    let started = std::time::Instant::now();
    pipeline(
        &files,
        jobs,
        |file| {
            read_file(
                ctx.printer,
                file,
                &store,
                &options,
                args.product_from_filename,
            )
        },
        |run, last| {
            let ready: Vec<&Prepared> = run
                .iter()
                .filter_map(|(_, s)| match s {
                    Stage::Ready(p) => Some(&**p),
                    _ => None,
                })
                .collect();
            let checker = (!args.no_typosquat).then_some(&mut squats);
            let mut stored = store_run(ctx.printer, &store, checker, &ready, last).into_iter();
            drop(ready);
            let mut large = Vec::new();
            for (i, stage) in run {
                let path = match &files[i] {
                    Ok(p) | Err((p, _)) if p.as_os_str() == "-" => "<stdin>".to_owned(),
                    Ok(p) | Err((p, _)) => p.display().to_string(),
                };
                let line = match stage {
                    Stage::Attestation(bytes) => {
                        summary.attestations(&store, &trust, for_product, path, &bytes)
                    }
                    Stage::Ready(prepared) => {
                        let (result, suspects) = stored.next().unwrap_or_else(|| {
                            (Err(StoreError::Corrupt("no outcome".into())), Vec::new())
                        });
                        if prepared.components.len() >= FREE_APART {
                            large.push(prepared);
                        }
                        let mut line = summary.add(path, result.map_err(Failure::from));
                        line.suspects = suspects;
                        line
                    }
                    Stage::Done(Err(f))
                        if f.not_an_sbom
                            && files[i]
                                .as_ref()
                                .is_ok_and(|p| !named.contains(p.as_path())) =>
                    {
                        summary.skip(path, f.message)
                    }
                    Stage::Done(result) => summary.add(path, result),
                };
                if write_error.is_none()
                    && let Err(e) = write_ingest_line(&mut out, &line, args.format)
                {
                    write_error = Some(e);
                }
            }
            // Freeing a large document's millions of allocations takes longer than
            // anything left to do: on a thread of its own, which the end of the process
            // may cut short (the system takes the memory back at once).
            if !large.is_empty() {
                std::thread::spawn(move || drop(large));
            }
        },
    );
    if let Some(e) = write_error {
        return Err(e.into());
    }
    ctx.printer.detail(format_args!(
        "read and stored {} files in {:.2} s",
        files.len(),
        started.elapsed().as_secs_f64()
    ));
    // After a large ingest the planner's statistics are stale until the database's own
    // background analysis runs: refresh them now so the next queries use the indexes.
    if summary.components >= OPTIMIZE_AFTER {
        let started = std::time::Instant::now();
        store.optimize()?;
        ctx.printer.detail(format_args!(
            "refreshed the planner's statistics in {:.2} s",
            started.elapsed().as_secs_f64()
        ));
    }
    summary.versions.sort();
    summary.versions.dedup();
    if !tags.is_empty() {
        let mut products: Vec<&str> = summary.versions.iter().map(|(p, _)| p.as_str()).collect();
        products.dedup();
        for p in products {
            store.add_product_tags(p, &tags)?;
        }
    }
    if summary.stored > 0 {
        crate::shared::findings::after_change(
            ctx,
            &store,
            args.format == Format::Human,
            Some(&summary.versions),
        )?;
    } else if !tags.is_empty() {
        crate::shared::policy::evaluate(
            ctx,
            &store,
            Some(&summary.versions),
            args.format == Format::Human,
        )?;
    }
    if args.format == Format::Human && ctx.printer.summaries() {
        writeln!(
            out,
            "{DIM}{} stored ({} components), {} unchanged, {} failed{}{DIM:#}",
            summary.stored,
            summary.components,
            summary.unchanged,
            summary.failed,
            if summary.skipped > 0 {
                format!(", {} skipped (not SBOMs)", summary.skipped)
            } else {
                String::new()
            }
        )?;
        if summary.attested + summary.rejected > 0 {
            writeln!(
                out,
                "{DIM}{} attestation files stored, {} attestations rejected{DIM:#}",
                summary.attested, summary.rejected
            )?;
        }
    }
    out.flush()?;
    if summary.internal > 0 {
        anyhow::bail!(
            "{} documents could not be stored because of the store",
            summary.internal
        );
    }
    Ok(if summary.failed > 0 {
        Status::BadInput
    } else if summary.rejected > 0 {
        Status::Findings
    } else {
        Status::Success
    })
}

#[derive(Debug, Default)]
struct Summary {
    /// Attestations that did not verify.
    rejected: usize,
    /// Attestation files stored.
    attested: usize,
    stored: usize,
    unchanged: usize,
    components: u64,
    failed: usize,
    /// Files of directories that are not SBOMs.
    skipped: usize,
    /// Failures that are not the input's fault.
    internal: usize,
    /// The product versions of the documents stored or found stored.
    versions: Vec<(String, String)>,
}

impl Summary {
    /// Verifies the attestations of a file and stores those that verify.
    fn attestations(
        &mut self,
        store: &Store,
        policy: &chainwatch_attest::Policy,
        product: Option<(&str, &str)>,
        path: String,
        bytes: &[u8],
    ) -> IngestLine {
        let mut line = IngestLine {
            path,
            status: "stored",
            outcome: None,
            error: None,
            suspects: Vec::new(),
            attestations: Vec::new(),
        };
        let verified = match chainwatch_attest::verify(bytes, policy) {
            Ok(v) => v,
            Err(e) => {
                self.failed += 1;
                line.status = "error";
                line.error = Some(e.to_string());
                return line;
            }
        };
        let mut any_stored = false;
        for v in &verified {
            let mut entry = AttestationJson {
                status: "rejected",
                id: None,
                format: v.format,
                predicate_type: v.statement.as_ref().map(|s| s.predicate_type.clone()),
                builder: v.provenance.as_ref().and_then(|p| p.builder_id.clone()),
                source: v.provenance.as_ref().and_then(|p| p.source.clone()),
                failed: v.failure().map(|c| format!("{}: {}", c.check, c.detail)),
            };
            if v.verified {
                match store.store_attestation(v, product) {
                    Ok(o) => {
                        entry.status = if o.stored { "stored" } else { "unchanged" };
                        entry.id = Some(o.id);
                        any_stored |= o.stored;
                    }
                    Err(e) => {
                        self.failed += 1;
                        if !e.is_input() {
                            self.internal += 1;
                        }
                        line.status = "error";
                        line.error = Some(e.to_string());
                        return line;
                    }
                }
            } else {
                self.rejected += 1;
            }
            line.attestations.push(entry);
        }
        if line.attestations.iter().any(|a| a.status == "rejected") {
            line.status = "rejected";
        } else if any_stored {
            self.attested += 1;
        } else {
            line.status = "unchanged";
            self.unchanged += 1;
        }
        line
    }

    fn skip(&mut self, path: String, why: String) -> IngestLine {
        self.skipped += 1;
        IngestLine {
            path,
            status: "skipped",
            outcome: None,
            error: Some(why),
            suspects: Vec::new(),
            attestations: Vec::new(),
        }
    }

    fn add(&mut self, path: String, result: Result<IngestOutcome, Failure>) -> IngestLine {
        match result {
            Ok(o) => {
                self.versions.push((o.product.clone(), o.version.clone()));
                if o.stored {
                    self.stored += 1;
                    self.components += o.components;
                } else {
                    self.unchanged += 1;
                }
                IngestLine {
                    path,
                    status: if o.stored { "stored" } else { "unchanged" },
                    outcome: Some(o),
                    error: None,
                    suspects: Vec::new(),
                    attestations: Vec::new(),
                }
            }
            Err(e) => {
                self.failed += 1;
                if !e.input {
                    self.internal += 1;
                }
                IngestLine {
                    path,
                    status: "error",
                    outcome: None,
                    error: Some(e.message),
                    suspects: Vec::new(),
                    attestations: Vec::new(),
                }
            }
        }
    }
}

fn write_ingest_line(out: &mut impl Write, line: &IngestLine, format: Format) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, line)?;
            writeln!(out)
        }
        Format::Human if !line.attestations.is_empty() => {
            for a in &line.attestations {
                match a.status {
                    "rejected" => writeln!(
                        out,
                        "{}: {ERROR}rejected{ERROR:#} {} ({})",
                        line.path,
                        a.format,
                        a.failed.as_deref().unwrap_or_default()
                    )?,
                    status => writeln!(
                        out,
                        "{}: {} {} {BOLD}attestation {}{BOLD:#}{}",
                        line.path,
                        if status == "stored" {
                            "stored"
                        } else {
                            "already stored:"
                        },
                        a.format,
                        a.id.unwrap_or_default(),
                        a.builder
                            .as_deref()
                            .map(|b| format!(" (built by {b})"))
                            .unwrap_or_default()
                    )?,
                }
            }
            Ok(())
        }
        Format::Human => match (&line.outcome, &line.error) {
            (Some(o), _) => {
                for sq in &line.suspects {
                    writeln!(
                        out,
                        "{ERROR}typosquat{ERROR:#}: {} imitates {} ({}, score {:.2}); `chainwatch query why {}@{} {}` shows what pulls it in",
                        sq.package,
                        sq.imitates,
                        sq.technique,
                        sq.score,
                        o.product,
                        o.version,
                        sq.package
                    )?;
                }
                writeln!(
                    out,
                    "{}: {} {BOLD}{}@{}{BOLD:#} (document {}, {} components, {} edges)",
                    line.path,
                    if o.stored {
                        "stored as"
                    } else {
                        "already stored as"
                    },
                    o.product,
                    o.version,
                    o.document,
                    o.components,
                    o.edges
                )
            }
            (None, error) if line.status == "skipped" => writeln!(
                out,
                "{}: {DIM}skipped{DIM:#}: {}",
                line.path,
                error.as_deref().unwrap_or_default()
            ),
            (None, error) => writeln!(
                out,
                "{}: {ERROR}error{ERROR:#}: {}",
                line.path,
                error.as_deref().unwrap_or_default()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::product_from_filename;
    use std::path::Path;

    #[test]
    fn products_from_file_names() {
        let name = |p: &str| product_from_filename(Path::new(p));
        assert_eq!(
            name("sboms/payments-api.cdx.json").as_deref(),
            Some("payments-api")
        );
        assert_eq!(name("web-2.1.spdx.json.gz").as_deref(), Some("web-2.1"));
        assert_eq!(name("bom.spdx").as_deref(), Some("bom"));
        assert_eq!(name("gateway_sbom.xml").as_deref(), Some("gateway"));
        assert_eq!(name("Image.CDX.JSON").as_deref(), Some("Image"));
        assert_eq!(name("x.json").as_deref(), Some("x"));
        assert_eq!(name("-"), None);
    }
}
