//! The portfolio commands: `ingest`, `products`, `query …`, `db …` and `sbom export`.

use std::collections::BTreeMap;
use std::io::{self, Read as _, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use chainwatch_store::{IngestOptions, IngestOutcome, Prepare, Store, StoreError};
use chainwatch_typosquat::Checker;
use serde::Serialize;

use crate::cli::{AsOfArgs, Db, ExportArgs, Format, IngestArgs, ProductsArgs, Query};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status};

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

/// Writes `value` as one line of JSON, or has `human` write it for people.
fn render<W: Write, T: Serialize + ?Sized>(
    out: &mut W,
    format: Format,
    value: &T,
    human: impl FnOnce(&mut W) -> io::Result<()>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, value)?;
            writeln!(out)?;
        }
        Format::Human => human(out)?,
    }
    Ok(())
}

/// Files named by the arguments: directories are walked (sorted, hidden entries
/// skipped, symbolic links to directories not followed).
pub(crate) fn collect_files(paths: &[PathBuf]) -> Vec<Result<PathBuf, (PathBuf, String)>> {
    fn walk(dir: &Path, out: &mut Vec<Result<PathBuf, (PathBuf, String)>>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                out.push(Err((
                    dir.to_path_buf(),
                    format!("cannot read directory: {e}"),
                )));
                return;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => walk(&path, out),
                Ok(t) if t.is_file() || t.is_symlink() && path.is_file() => out.push(Ok(path)),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() != "-" && p.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(Ok(p.clone()));
        }
    }
    out
}

pub(crate) fn read_path(path: &Path) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| format!("cannot read: {e}"))
}

/// One line of `ingest --format json`. The field order is part of the interface.
#[derive(Debug, Serialize)]
struct IngestLine {
    path: String,
    /// `stored`, `unchanged` or `error`.
    status: &'static str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    outcome: Option<IngestOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Dependencies of a stored document whose names imitate popular packages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suspects: Vec<SquatJson>,
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

#[derive(Debug, Clone, Serialize)]
struct SquatJson {
    package: String,
    imitates: String,
    technique: &'static str,
    score: f64,
}

/// The typo-squatting suspects among a document's packages.
fn squats_of(checker: &mut Checker<'_>, doc: &chainwatch_store::Prepared) -> Vec<SquatJson> {
    checker
        .suspects(doc.components.iter().filter_map(|r| r.purl.as_deref()))
        .into_iter()
        .map(|(purl, v)| SquatJson {
            package: purl.to_owned(),
            imitates: v.imitates.unwrap_or_default(),
            technique: v
                .technique
                .map_or("", chainwatch_typosquat::Technique::as_str),
            score: v.score,
        })
        .collect()
}

/// Components stored by one run after which the planner statistics are refreshed.
const OPTIMIZE_AFTER: u64 = 50_000;

/// Most documents written in one transaction.
const BATCH_DOCUMENTS: usize = 256;
/// Most components written in one transaction (a single larger document is one batch).
/// Each commit rewrites the index pages its rows touched: larger batches touch each
/// page once for more rows (measured: 64 documents → 256 documents of 500 components,
/// 20 % less time on SQLite).
const BATCH_COMPONENTS: usize = 250_000;
/// How long the writer waits for more parsed documents before writing what it has.
const BATCH_WAIT: Duration = Duration::from_millis(200);

enum Stage {
    Ready(Box<chainwatch_store::Prepared>),
    /// An attestation file: verified and stored by the writer.
    Attestation(Vec<u8>),
    Done(Result<IngestOutcome, StoreError>),
    Unreadable(String),
}

pub(crate) fn ingest(ctx: &Context, args: &IngestArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let files = collect_files(&args.paths);
    let options = IngestOptions {
        product: args.product.clone(),
        version: args.product_version.clone(),
        ..IngestOptions::default()
    };
    let trust = crate::commands::verify::policy(&args.trust)?;
    let for_product = args.product.as_deref().zip(args.product_version.as_deref());
    let jobs = args
        .jobs
        .map_or_else(
            || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            std::num::NonZeroUsize::get,
        )
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let mut summary = Summary::default();
    let corpus = chainwatch_typosquat::CorpusSources {
        refreshed: Some(crate::commands::typosquat::refreshed_dir()),
        ..Default::default()
    };
    let mut squats = crate::commands::typosquat::checker(
        &corpus,
        &crate::cli::TyposquatCorpusArgs::default(),
        Some(&store),
    );
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut write_error: Option<io::Error> = None;
    std::thread::scope(|scope| {
        // Readers parse in parallel; this thread writes, in input order, one transaction
        // per document. The channel is bounded so parsed documents cannot pile up.
        let (tx, rx) = mpsc::sync_channel::<(usize, Stage)>(jobs);
        for _ in 0..jobs {
            let tx = tx.clone();
            let (files, next, store, options) = (&files, &next, &store, &options);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let stage = match file {
                        Err((_, message)) => Stage::Unreadable(message.clone()),
                        Ok(path) => match read_path(path) {
                            Err(message) => Stage::Unreadable(message),
                            Ok(bytes) if chainwatch_attest::sniff(&bytes) => {
                                Stage::Attestation(bytes)
                            }
                            Ok(bytes) => match store.prepare_owned(bytes, options) {
                                Ok(Prepare::Known(o)) => Stage::Done(Ok(o)),
                                Ok(Prepare::Ready(p)) => Stage::Ready(p),
                                Err(e) => Stage::Done(Err(e)),
                            },
                        },
                    };
                    if tx.send((i, stage)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Documents are written in batches (one transaction, a savepoint each): up to
        // BATCH_DOCUMENTS or BATCH_COMPONENTS, or what arrived within BATCH_WAIT.
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
                let wait = BATCH_WAIT.saturating_sub(started.elapsed());
                match rx.recv_timeout(if run.is_empty() {
                    Duration::from_hours(1)
                } else {
                    wait
                }) {
                    Ok((i, stage)) => {
                        pending.insert(i, stage);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
                }
            }
            if run.is_empty() {
                continue;
            }
            let ready: Vec<&chainwatch_store::Prepared> = run
                .iter()
                .filter_map(|(_, s)| match s {
                    Stage::Ready(p) => Some(&**p),
                    _ => None,
                })
                .collect();
            // Typo-squatting checks run beside the write (they matter only for documents
            // the write stores, which is the common case): on their own thread, so a
            // large document's hundreds of thousands of names do not wait for, or delay,
            // the database.
            let (written, mut found) = std::thread::scope(|scope| {
                let checking = (!args.no_typosquat).then(|| {
                    let (squats, ready) = (&mut squats, &ready);
                    scope.spawn(move || {
                        ready
                            .iter()
                            .map(|p| squats_of(squats, p))
                            .collect::<Vec<_>>()
                    })
                });
                let written = store.ingest_prepared_batch(&ready);
                let found = checking.map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                });
                (written, found.unwrap_or_default().into_iter())
            });
            let mut stored = match written {
                Ok(outcomes) => outcomes.into_iter().map(Some).collect::<Vec<_>>(),
                Err(e) => {
                    // Nothing of the batch was stored: say so for each document.
                    let message = e.to_string();
                    let input = e.is_input();
                    ready
                        .iter()
                        .map(|_| {
                            Some(Err(if input {
                                StoreError::InvalidQuery(message.clone())
                            } else {
                                StoreError::Corrupt(message.clone())
                            }))
                        })
                        .collect()
                }
            }
            .into_iter();
            drop(ready);
            for (i, stage) in run {
                let path = match &files[i] {
                    Ok(p) | Err((p, _)) if p.as_os_str() == "-" => "<stdin>".to_owned(),
                    Ok(p) | Err((p, _)) => p.display().to_string(),
                };
                let mut line_suspects = Vec::new();
                if let Stage::Attestation(bytes) = &stage {
                    let line = summary.attestations(&store, &trust, for_product, path, bytes);
                    if write_error.is_none()
                        && let Err(e) = write_ingest_line(&mut out, &line, args.format)
                    {
                        write_error = Some(e);
                    }
                    continue;
                }
                let result = match stage {
                    Stage::Ready(_) => {
                        let r = stored
                            .next()
                            .flatten()
                            .unwrap_or_else(|| Err(StoreError::Corrupt("no outcome".into())));
                        let suspects = found.next().unwrap_or_default();
                        if r.as_ref().is_ok_and(|o| o.stored) {
                            line_suspects = suspects;
                        }
                        r
                    }
                    Stage::Done(r) => r,
                    Stage::Unreadable(message) => Err(StoreError::NotFound(message)),
                    Stage::Attestation(_) => continue,
                };
                let mut line = summary.add(path, result);
                line.suspects = line_suspects;
                if write_error.is_none()
                    && let Err(e) = write_ingest_line(&mut out, &line, args.format)
                {
                    write_error = Some(e);
                }
            }
        }
    });
    if let Some(e) = write_error {
        return Err(e.into());
    }
    // After a large ingest the planner's statistics are stale until the database's own
    // background analysis runs: refresh them now so the next queries use the indexes.
    if summary.components >= OPTIMIZE_AFTER {
        store.optimize().map_err(store_error)?;
    }
    if summary.stored > 0 {
        crate::commands::findings::after_change(ctx, &store, args.format == Format::Human)?;
    }
    if args.format == Format::Human && !ctx.quiet {
        writeln!(
            out,
            "{DIM}{} stored ({} components), {} unchanged, {} failed{DIM:#}",
            summary.stored, summary.components, summary.unchanged, summary.failed
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
    /// Failures that are not the input's fault.
    internal: usize,
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

    fn add(&mut self, path: String, result: Result<IngestOutcome, StoreError>) -> IngestLine {
        match result {
            Ok(o) => {
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
                if !e.is_input() {
                    self.internal += 1;
                }
                IngestLine {
                    path,
                    status: "error",
                    outcome: None,
                    error: Some(e.to_string()),
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
            (None, error) => writeln!(
                out,
                "{}: {ERROR}error{ERROR:#}: {}",
                line.path,
                error.as_deref().unwrap_or_default()
            ),
        },
    }
}

pub(crate) fn products(ctx: &Context, args: &ProductsArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let as_of = as_of(&args.as_of)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if let Some(spec) = &args.product {
        let docs = store
            .documents(&spec.name, spec.version(), as_of)
            .map_err(store_error)?;
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
        let list = store.products(as_of).map_err(store_error)?;
        render(&mut out, args.output.format, &list, |out| {
            for p in &list {
                writeln!(
                    out,
                    "{BOLD}{}@{}{BOLD:#}  {} components  {} documents  {DIM}updated {}{DIM:#}",
                    p.name, p.version, p.components, p.documents, p.updated
                )?;
            }
            if list.is_empty() && !ctx.quiet {
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

pub(crate) fn query(ctx: &Context, command: Query) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let found = match command {
        Query::WhoHas(args) => {
            let rows = store
                .who_has(&args.purl, args.range.as_deref(), as_of(&args.as_of)?)
                .map_err(store_error)?;
            render(&mut out, args.output.format, &rows, |out| {
                for r in &rows {
                    writeln!(
                        out,
                        "{BOLD}{}@{}{BOLD:#}  {}",
                        r.product, r.version, r.package
                    )?;
                }
                Ok(())
            })?;
            !rows.is_empty()
        }
        Query::Affected(args) => {
            let rows = store
                .affected(&args.id, as_of(&args.as_of)?)
                .map_err(store_error)?;
            render(&mut out, args.output.format, &rows, |out| {
                for r in &rows {
                    let fixed = if r.fixed_in.is_empty() {
                        "no fixed version".to_owned()
                    } else {
                        format!("fixed in {}", r.fixed_in.join(", "))
                    };
                    writeln!(
                        out,
                        "{BOLD}{}@{}{BOLD:#}  {}  {} {DIM}({}; {fixed}){DIM:#}",
                        r.product,
                        r.version,
                        r.package,
                        r.advisory,
                        r.severity.as_deref().unwrap_or("unknown severity")
                    )?;
                }
                Ok(())
            })?;
            !rows.is_empty()
        }
        Query::Why(args) => {
            let paths = store
                .why(
                    &args.product.name,
                    args.product.version(),
                    &args.purl,
                    args.max_paths,
                    as_of(&args.as_of)?,
                )
                .map_err(store_error)?;
            render(&mut out, args.output.format, &paths, |out| {
                for p in &paths {
                    writeln!(
                        out,
                        "{BOLD}{}@{}{BOLD:#}: {}",
                        p.product,
                        p.version,
                        p.path.join(" -> ")
                    )?;
                }
                Ok(())
            })?;
            !paths.is_empty()
        }
        Query::Dependents(args) => {
            let rows = store
                .dependents(&args.purl, args.range.as_deref(), as_of(&args.as_of)?)
                .map_err(store_error)?;
            render(&mut out, args.output.format, &rows, |out| {
                for r in &rows {
                    writeln!(
                        out,
                        "{BOLD}{}@{}{BOLD:#}  {} -[{}]-> {}",
                        r.product, r.version, r.dependent, r.kind, r.package
                    )?;
                }
                Ok(())
            })?;
            !rows.is_empty()
        }
        Query::Provenance(args) => {
            let rows = store
                .provenance(
                    &args.product.name,
                    args.product.version(),
                    as_of(&args.as_of)?,
                )
                .map_err(store_error)?;
            render(&mut out, args.output.format, &rows, |out| {
                if rows.is_empty() {
                    writeln!(out, "no verified attestations about {}", args.product)?;
                }
                for e in &rows {
                    writeln!(
                        out,
                        "{BOLD}attestation {}{BOLD:#} ({}, {}) about {}",
                        e.attestation,
                        e.format,
                        e.predicate_type.as_deref().unwrap_or("signature"),
                        e.about
                    )?;
                    if let Some(b) = &e.builder {
                        writeln!(out, "  built by {b}")?;
                    }
                    if let Some(src) = &e.source {
                        writeln!(
                            out,
                            "  built from {src}{}",
                            e.revision
                                .as_deref()
                                .map(|r| format!(" at {r}"))
                                .unwrap_or_default()
                        )?;
                    }
                    if let Some(signer) = e.signer.as_ref().or(e.key.as_ref()) {
                        writeln!(
                            out,
                            "  signed by {signer}{}",
                            e.issuer
                                .as_deref()
                                .map(|i| format!(" (issuer {i})"))
                                .unwrap_or_default()
                        )?;
                    }
                    writeln!(
                        out,
                        "  {DIM}verified {} against {}{DIM:#}",
                        e.verified_at,
                        e.trust_root.as_deref().unwrap_or("the given keys")
                    )?;
                }
                Ok(())
            })?;
            !rows.is_empty()
        }
        Query::Diff(args) => {
            let d = store
                .diff(&args.product, &args.from, &args.to, as_of(&args.as_of)?)
                .map_err(store_error)?;
            drop(out);
            return super::sbom::render_diff(&d, args.output.format);
        }
    };
    out.flush()?;
    Ok(if found {
        Status::Success
    } else {
        Status::Findings
    })
}

pub(crate) fn db(ctx: &Context, command: &Db) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let status = match command {
        Db::Migrate(o) => {
            let report = store.migrate().map_err(store_error)?;
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
            let report = store.check().map_err(store_error)?;
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
            let stats = store.stats().map_err(store_error)?;
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

pub(crate) fn export(ctx: &Context, args: &ExportArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let (_, sbom) = store
        .export(
            &args.product.name,
            args.product.version(),
            as_of(&args.as_of)?,
        )
        .map_err(store_error)?;
    let text = chainwatch_sbom::write(&sbom, super::sbom::target(args.to))
        .context("the format cannot be written")?;
    match &args.output {
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => super::sbom::write_atomically(path, text.as_bytes())?,
    }
    Ok(Status::Success)
}
