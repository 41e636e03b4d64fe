//! Reading what the arguments name and writing output files.

use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::output::InputError;

/// The bytes of a file, or of standard input for `-`. A file that cannot be read is the
/// user's input problem (exit status 2).
pub(crate) fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    let result = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    result.map_err(|e| {
        anyhow::Error::new(InputError(format!("cannot read `{}`: {e}", display(path))))
    })
}

pub(crate) fn display(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
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

/// The bytes of a file, or of standard input for `-`; what went wrong otherwise.
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

/// Writes to a temporary file beside `path`, then renames it over `path`: readers never see
/// a half-written file, and a failure leaves the old one. A `path` that exists and is not
/// a regular file (`/dev/null`, `/dev/stdout`, a pipe) is written in place: renaming over
/// it would replace the device with a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        use std::io::Write as _;
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes))
            .with_context(|| format!("cannot write `{}`", path.display()));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write `{}`", path.display()))
}

/// Where downloaded archives wait: `--cache`, `CHAINWATCH_CACHE`, else the user's cache
/// directory; then `osv`.
pub(crate) fn osv_cache_dir(given: Option<PathBuf>) -> PathBuf {
    given
        .or_else(|| std::env::var_os("CHAINWATCH_CACHE").map(PathBuf::from))
        .unwrap_or_else(crate::cli::cache_dir)
        .join("osv")
}
