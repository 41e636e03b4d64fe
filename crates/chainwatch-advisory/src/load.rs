//! Reading OSV records from files, directory trees and zip archives (JSON, and YAML as
//! some databases publish them). A file that is not a record is reported and skipped; the others load.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::osv::Record;

/// Records larger than this are refused (the largest real OSV records are a few MB).
const MAX_RECORD: u64 = 64 << 20;

/// A file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub path: PathBuf,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

/// What loading found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub records: Vec<Record>,
    pub problems: Vec<LoadProblem>,
    /// Files looked at.
    pub files: usize,
}

fn is_record_file(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("json" | "yaml" | "yml")
    )
}

/// Why a document is not OSV: where (line and column, for JSON syntax) and what.
pub type ParseError = (Option<(u32, u32)>, String);

/// Parses one document: a record, or a JSON array of records.
pub fn parse(bytes: &[u8], yaml: bool) -> Result<Vec<Record>, ParseError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|e| (None, format!("not UTF-8: {e}")))?;
    if yaml {
        let value: serde_json::Value =
            serde_saphyr::from_str(text).map_err(|e| (None, format!("invalid YAML: {e}")))?;
        return from_value(value);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        (
            Some((
                u32::try_from(e.line()).unwrap_or(0),
                u32::try_from(e.column()).unwrap_or(0),
            )),
            format!("invalid JSON: {e}"),
        )
    })?;
    from_value(value)
}

fn from_value(value: serde_json::Value) -> Result<Vec<Record>, ParseError> {
    let one = |v: serde_json::Value| -> Result<Record, ParseError> {
        if v.get("id")
            .and_then(|i| i.as_str())
            .is_none_or(str::is_empty)
        {
            return Err((None, "not an OSV record: no `id`".to_owned()));
        }
        serde_json::from_value(v).map_err(|e| (None, format!("not an OSV record: {e}")))
    };
    match value {
        serde_json::Value::Array(items) => items.into_iter().map(one).collect(),
        v => one(v).map(|r| vec![r]),
    }
}

fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > MAX_RECORD {
        return Err(std::io::Error::other(format!(
            "over the {MAX_RECORD}-byte limit for one record"
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_RECORD + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Loads records from files and directory trees (symbolic links not followed inside
/// trees).
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    let mut out = Loaded::default();
    load_into(paths, &mut out, &mut |_| {});
    out
}

/// Loads records as [`load_paths`] does, handing them to `sink` in batches of about
/// `batch` as they are read, so that a large archive never sits in memory whole. The
/// result has the files and problems; its `records` are empty.
pub fn load_paths_batched(
    paths: &[PathBuf],
    batch: usize,
    mut sink: impl FnMut(Vec<Record>),
) -> Loaded {
    let mut out = Loaded::default();
    let batch = batch.max(1);
    load_into(paths, &mut out, &mut |o: &mut Loaded| {
        if o.records.len() >= batch {
            sink(std::mem::take(&mut o.records));
        }
    });
    if !out.records.is_empty() {
        sink(std::mem::take(&mut out.records));
    }
    out
}

fn load_into(paths: &[PathBuf], out: &mut Loaded, flush: &mut dyn FnMut(&mut Loaded)) {
    for path in paths {
        let Ok(meta) = std::fs::metadata(path) else {
            out.problems.push(LoadProblem {
                path: path.clone(),
                line: None,
                column: None,
                message: "cannot read: no such file or directory".to_owned(),
            });
            continue;
        };
        if meta.is_dir() {
            let mut files = Vec::new();
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in entries.flatten() {
                    let Ok(ty) = e.file_type() else { continue };
                    if ty.is_dir() {
                        stack.push(e.path());
                    } else if ty.is_file() && is_record_file(&e.path()) {
                        files.push(e.path());
                    }
                }
            }
            files.sort();
            for f in files {
                load_file(&f, out, true);
                flush(out);
            }
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            load_zip(path, out, flush);
        } else {
            load_file(path, out, false);
            flush(out);
        }
    }
}

/// Entries an archive may hold (OSV's largest ecosystem archive has a few hundred
/// thousand).
const MAX_ENTRIES: usize = 4_000_000;
/// Everything an archive may decompress to.
const MAX_TOTAL: u64 = 32 << 30;
/// Above this size, an entry must not be compressed more than `MAX_RATIO` times.
const RATIO_FLOOR: u64 = 1 << 20;
const MAX_RATIO: u64 = 200;

/// Reads the records of a zip archive (OSV's per-ecosystem `all.zip`) one entry at a
/// time: never the whole archive in memory, never a file written (entry names are only
/// reported), sizes capped and decompression bombs refused.
fn load_zip(path: &Path, out: &mut Loaded, flush: &mut dyn FnMut(&mut Loaded)) {
    let problem = |out: &mut Loaded, message: String| {
        out.problems.push(LoadProblem {
            path: path.to_owned(),
            line: None,
            column: None,
            message,
        });
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return problem(out, format!("cannot read: {e}")),
    };
    load_zip_from(std::io::BufReader::new(file), path, out, flush);
}

/// Loads records from bytes received rather than read from a file (an upload): one
/// OSV record or an array of them as JSON, or a zip archive of such files, with the
/// same limits as files. `label` names the input in problems.
pub fn load_bytes_batched(
    bytes: &[u8],
    label: &Path,
    batch: usize,
    mut sink: impl FnMut(Vec<Record>),
) -> Loaded {
    let mut out = Loaded::default();
    let batch = batch.max(1);
    let mut flush = |o: &mut Loaded| {
        if o.records.len() >= batch {
            sink(std::mem::take(&mut o.records));
        }
    };
    out.files = 1;
    if bytes.starts_with(b"PK\x03\x04") {
        load_zip_from(std::io::Cursor::new(bytes), label, &mut out, &mut flush);
    } else {
        match parse(bytes, false) {
            Ok(records) => out.records.extend(records),
            Err((at, message)) => out.problems.push(LoadProblem {
                path: label.to_owned(),
                line: at.map(|a| a.0),
                column: at.map(|a| a.1),
                message,
            }),
        }
    }
    if !out.records.is_empty() {
        sink(std::mem::take(&mut out.records));
    }
    out
}

fn load_zip_from<R: std::io::Read + std::io::Seek>(
    reader: R,
    path: &Path,
    out: &mut Loaded,
    flush: &mut dyn FnMut(&mut Loaded),
) {
    let problem = |out: &mut Loaded, message: String| {
        out.problems.push(LoadProblem {
            path: path.to_owned(),
            line: None,
            column: None,
            message,
        });
    };
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => return problem(out, format!("not a readable zip archive: {e}")),
    };
    if archive.len() > MAX_ENTRIES {
        return problem(
            out,
            format!("{} entries: over the limit of {MAX_ENTRIES}", archive.len()),
        );
    }
    let mut total: u64 = 0;
    let mut buf = Vec::new();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                problem(out, format!("entry {i}: {e}"));
                continue;
            }
        };
        let name = entry.name().to_owned();
        if entry.is_dir() || !is_record_file(Path::new(&name)) {
            continue;
        }
        let shown = path.join(&name);
        let entry_problem = |out: &mut Loaded, message: String| {
            out.problems.push(LoadProblem {
                path: shown.clone(),
                line: None,
                column: None,
                message,
            });
        };
        let (size, compressed) = (entry.size(), entry.compressed_size());
        if size > MAX_RECORD {
            entry_problem(
                out,
                format!("{size} bytes: over the {MAX_RECORD}-byte limit for one record"),
            );
            continue;
        }
        if size > RATIO_FLOOR && size / compressed.max(1) > MAX_RATIO {
            entry_problem(
                out,
                format!(
                    "compressed {}×: refused as a decompression bomb",
                    size / compressed.max(1)
                ),
            );
            continue;
        }
        total = total.saturating_add(size);
        if total > MAX_TOTAL {
            entry_problem(
                out,
                format!(
                    "the archive decompresses to more than {MAX_TOTAL} bytes: the rest is refused"
                ),
            );
            break;
        }
        buf.clear();
        // The declared size may lie: never read more than the cap.
        if let Err(e) = (&mut entry).take(MAX_RECORD + 1).read_to_end(&mut buf) {
            entry_problem(out, format!("cannot decompress: {e}"));
            continue;
        }
        if buf.len() as u64 > MAX_RECORD {
            entry_problem(
                out,
                format!("over the {MAX_RECORD}-byte limit for one record"),
            );
            continue;
        }
        out.files += 1;
        let yaml = !name.to_ascii_lowercase().ends_with(".json");
        match parse(&buf, yaml) {
            Ok(records) => {
                out.records.extend(records);
                flush(out);
            }
            Err((at, message)) => out.problems.push(LoadProblem {
                path: shown,
                line: at.map(|a| a.0),
                column: at.map(|a| a.1),
                message,
            }),
        }
    }
}

fn load_file(path: &Path, out: &mut Loaded, in_tree: bool) {
    out.files += 1;
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    let bytes = match read_capped(path) {
        Ok(b) => b,
        Err(e) => {
            out.problems.push(LoadProblem {
                path: path.to_owned(),
                line: None,
                column: None,
                message: format!("cannot read: {e}"),
            });
            return;
        }
    };
    match parse(&bytes, yaml) {
        Ok(records) => out.records.extend(records),
        Err((at, message)) => {
            // Inside a tree, JSON files that are plainly something else (schemas,
            // manifests) are skipped quietly only when they have no `id` at all.
            if in_tree && message.starts_with("not an OSV record: no `id`") {
                out.files -= 1;
                return;
            }
            out.problems.push(LoadProblem {
                path: path.to_owned(),
                line: at.map(|a| a.0),
                column: at.map(|a| a.1),
                message,
            });
        }
    }
}
