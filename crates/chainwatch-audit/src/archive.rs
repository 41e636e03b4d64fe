//! A package's files in memory: from a directory (no symbolic link followed) or an
//! archive (tar, optionally gzip/bzip2/xz/zstd-compressed through the SBOM input's
//! decompression; zip; a `.gem`'s nested `data.tar.gz` and `metadata.gz`), within
//! [`Limits`].
//!
//! Entry names that are absolute or climb out with `..` are never used as paths: each is
//! reported as `path-traversal` and left out. Links are kept as links (their target
//! recorded, never followed); one that points outside the package is `link-escape`.

use std::io::{Cursor, Read};
use std::path::Path;

use crate::{AuditError, Finding};

/// Caps on what a package may take: the same bomb rules as SBOM input (a ratio cap
/// above a floor), plus a count of entries and the part of one file kept for reading.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes all entries together may expand to.
    pub max_total: u64,
    /// The largest ratio of expanded to compressed size, above `ratio_floor` bytes.
    pub max_ratio: u64,
    pub ratio_floor: u64,
    pub max_entries: usize,
    /// The most bytes of one file kept for the rules (the size is still counted).
    pub max_kept: u64,
    /// The deepest directory nesting read from a tree.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_total: 1 << 30,
            max_ratio: 1000,
            ratio_floor: 64 << 20,
            max_entries: 100_000,
            max_kept: 8 << 20,
            max_depth: 64,
        }
    }
}

/// One file (or link) of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `/`-separated, relative to the package root.
    pub path: String,
    /// The whole size, even when only part was kept.
    pub size: u64,
    /// The bytes kept (at most [`Limits::max_kept`]).
    pub data: Vec<u8>,
    /// The link's target, for symbolic and hard links.
    pub link: Option<String>,
    pub executable: bool,
}

/// What a package holds, and what was wrong with its entries.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    pub entries: Vec<Entry>,
    pub problems: Vec<Finding>,
}

impl Contents {
    /// The entry at `path`.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }
}

/// Reads a package archive or directory.
pub fn read(path: &Path, limits: &Limits) -> Result<Contents, AuditError> {
    let shown = path.display().to_string();
    let io = |source| AuditError::Io {
        path: shown.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        let mut out = Contents::default();
        let mut total = 0;
        walk(path, "", 0, limits, &mut total, &mut out, &shown)?;
        out.entries.sort_by(|a, b| a.path.cmp(&b.path));
        return Ok(out);
    }
    if meta.len() > limits.max_total {
        return Err(AuditError::TooLarge {
            path: shown,
            limit: limits.max_total,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    read_bytes(&shown, &bytes, limits)
}

/// Reads an installed Python distribution: the files its `.dist-info/RECORD` lists,
/// relative to the `site-packages` directory it is in. Files outside it (console
/// scripts in `bin/`) are left out; a missing file is skipped.
pub fn read_dist_info(dist_info: &Path, limits: &Limits) -> Result<Contents, AuditError> {
    let shown = dist_info.display().to_string();
    let root = dist_info.parent().unwrap_or(dist_info);
    let record = dist_info.join("RECORD");
    let text = std::fs::read_to_string(&record).map_err(|source| AuditError::Io {
        path: record.display().to_string(),
        source,
    })?;
    let mut out = Contents::default();
    let mut total = 0u64;
    for line in text.lines() {
        // `path,hash,size`; a path with a comma is quoted.
        let path = match line.strip_prefix('"') {
            Some(rest) => rest.split('"').next().unwrap_or_default(),
            None => line.split(',').next().unwrap_or_default(),
        };
        let Some(rel) = normalize(path) else { continue };
        if rel.is_empty()
            || Path::new(&rel)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pyc"))
        {
            continue;
        }
        let full = root.join(&rel);
        let Ok(meta) = std::fs::symlink_metadata(&full) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        total += meta.len();
        if total > limits.max_total {
            return Err(AuditError::TooLarge {
                path: shown,
                limit: limits.max_total,
            });
        }
        if out.entries.len() >= limits.max_entries {
            return Err(AuditError::TooManyEntries {
                path: shown,
                limit: limits.max_entries,
            });
        }
        let data = read_kept(&full, meta.len(), limits).map_err(|source| AuditError::Io {
            path: full.display().to_string(),
            source,
        })?;
        out.entries.push(Entry {
            path: rel,
            size: meta.len(),
            data,
            link: None,
            executable: false,
        });
    }
    out.entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Reads a package archive from its bytes (`name` is used in messages only).
pub fn read_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Result<Contents, AuditError> {
    let mut reader = Reader {
        name,
        limits,
        budget: limits.max_total.min(
            (bytes.len() as u64)
                .saturating_mul(limits.max_ratio)
                .max(limits.ratio_floor),
        ),
        out: Contents::default(),
    };
    reader.archive(bytes, "", 0)?;
    let mut out = reader.out;
    strip_common_root(&mut out);
    out.entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

struct Reader<'a> {
    name: &'a str,
    limits: &'a Limits,
    /// Bytes that may still be expanded.
    budget: u64,
    out: Contents,
}

fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() >= 512 && (&bytes[257..262] == b"ustar" || tar_checksum_ok(&bytes[..512]))
}

/// A v7 tar header without the `ustar` magic: its checksum field matches.
fn tar_checksum_ok(header: &[u8]) -> bool {
    let field = &header[148..156];
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0 && b != b' ')
        .map(|&b| b as char)
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    sum == stored && header[0] != 0
}

impl Reader<'_> {
    fn corrupt(&self, reason: impl std::fmt::Display) -> AuditError {
        AuditError::Corrupt {
            path: self.name.to_owned(),
            reason: reason.to_string(),
        }
    }

    fn too_large(&self) -> AuditError {
        AuditError::TooLarge {
            path: self.name.to_owned(),
            limit: self.limits.max_total,
        }
    }

    /// Expands a compressed stream (the SBOM input's decompression, nested layers
    /// included) within what is left of the budget.
    fn inflate(&mut self, bytes: &[u8]) -> Result<Vec<u8>, AuditError> {
        let limits = chainwatch_sbom::Limits {
            max_size: self.budget,
            max_ratio: self.limits.max_ratio,
            ratio_floor: self.limits.ratio_floor,
        };
        let out = match chainwatch_sbom::decompress(bytes, limits) {
            Ok(out) => out.into_owned(),
            Err(chainwatch_sbom::InputError::TooLarge { .. }) => return Err(self.too_large()),
            Err(e) => return Err(self.corrupt(e)),
        };
        self.budget = self.budget.saturating_sub(out.len() as u64);
        Ok(out)
    }

    /// An archive at `prefix` (empty for the package itself), `depth` archives deep.
    fn archive(&mut self, bytes: &[u8], prefix: &str, depth: usize) -> Result<(), AuditError> {
        if depth > 2 {
            return Err(self.corrupt("archives nested more than two deep"));
        }
        if let Some(kind) = chainwatch_sbom::compression(bytes) {
            let inner = self.inflate(bytes)?;
            if is_tar(&inner) {
                return self.tar(&inner, prefix, depth);
            }
            return Err(AuditError::Unsupported {
                path: self.name.to_owned(),
                reason: format!("a {kind} stream that does not hold a tar archive"),
            });
        }
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            return self.zip(bytes, prefix);
        }
        if is_tar(bytes) {
            return self.tar(bytes, prefix, depth);
        }
        Err(AuditError::Unsupported {
            path: self.name.to_owned(),
            reason: "expected a tar (optionally compressed) or zip archive, or a directory".into(),
        })
    }

    fn tar(&mut self, bytes: &[u8], prefix: &str, depth: usize) -> Result<(), AuditError> {
        let mut archive = tar::Archive::new(Cursor::new(bytes));
        let entries = archive.entries().map_err(|e| self.corrupt(e))?;
        let mut nested = Vec::new();
        for entry in entries {
            let mut entry = entry.map_err(|e| self.corrupt(e))?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            if kind.is_dir()
                || kind.is_pax_global_extensions()
                || kind.is_pax_local_extensions()
                || kind.is_gnu_longname()
                || kind.is_gnu_longlink()
            {
                continue;
            }
            let Some(path) = self.checked_path(prefix, &raw) else {
                continue;
            };
            let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
            if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                self.link(path, target, kind.is_hard_link())?;
                continue;
            }
            if !kind.is_file() && !kind.is_contiguous() {
                continue;
            }
            let size = entry.header().size().unwrap_or(0);
            let data = self.take(&mut entry, size)?;
            // A gem is a tar of `metadata.gz` and `data.tar.gz`: read what it holds.
            if depth == 0 && prefix.is_empty() && (path == "data.tar.gz" || path == "metadata.gz") {
                nested.push((path, data));
                continue;
            }
            self.push(Entry {
                path,
                size,
                data,
                link: None,
                executable,
            })?;
        }
        for (path, data) in nested {
            if path == "data.tar.gz" {
                self.archive(&data, prefix, depth + 1)?;
            } else {
                let inflated = match chainwatch_sbom::compression(&data) {
                    Some(_) => self.inflate(&data)?,
                    None => data,
                };
                self.push(Entry {
                    path,
                    size: inflated.len() as u64,
                    data: inflated,
                    link: None,
                    executable: false,
                })?;
            }
        }
        Ok(())
    }

    fn zip(&mut self, bytes: &[u8], prefix: &str) -> Result<(), AuditError> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| self.corrupt(e))?;
        if archive.len() > self.limits.max_entries {
            return Err(AuditError::TooManyEntries {
                path: self.name.to_owned(),
                limit: self.limits.max_entries,
            });
        }
        for i in 0..archive.len() {
            let mut file = match archive.by_index(i) {
                Ok(file) => file,
                Err(e) => {
                    self.out.problems.push(Finding::new(
                        "unreadable-entry",
                        &format!("#{i}"),
                        None,
                        format!("zip entry {i} cannot be read: {e}"),
                        &e.to_string(),
                    ));
                    continue;
                }
            };
            if file.is_dir() {
                continue;
            }
            let raw = String::from_utf8_lossy(file.name_raw()).into_owned();
            let Some(path) = self.checked_path(prefix, &raw) else {
                continue;
            };
            let executable = file.unix_mode().is_some_and(|m| m & 0o111 != 0);
            let size = file.size();
            let data = self.take(&mut file, size)?;
            if file.is_symlink() {
                let target = String::from_utf8_lossy(&data).into_owned();
                self.link(path, target, false)?;
                continue;
            }
            self.push(Entry {
                path,
                size,
                data,
                link: None,
                executable,
            })?;
        }
        Ok(())
    }

    /// Reads an entry's bytes: all of them count against the budget, the first
    /// `max_kept` are kept.
    fn take(&mut self, reader: &mut dyn Read, declared: u64) -> Result<Vec<u8>, AuditError> {
        let keep = declared.min(self.limits.max_kept);
        let mut data = Vec::with_capacity(usize::try_from(keep.min(1 << 20)).unwrap_or(0));
        let budget = self.budget;
        let mut limited = reader.take(budget + 1);
        (&mut limited)
            .take(self.limits.max_kept)
            .read_to_end(&mut data)
            .map_err(|e| self.corrupt(e))?;
        let rest =
            std::io::copy(&mut limited, &mut std::io::sink()).map_err(|e| self.corrupt(e))?;
        let used = data.len() as u64 + rest;
        if used > budget {
            return Err(self.too_large());
        }
        self.budget -= used;
        Ok(data)
    }

    fn push(&mut self, entry: Entry) -> Result<(), AuditError> {
        if self.out.entries.len() >= self.limits.max_entries {
            return Err(AuditError::TooManyEntries {
                path: self.name.to_owned(),
                limit: self.limits.max_entries,
            });
        }
        self.out.entries.push(entry);
        Ok(())
    }

    fn link(&mut self, path: String, target: String, hard: bool) -> Result<(), AuditError> {
        if let Some(problem) = link_problem(&path, &target, hard) {
            self.out.problems.push(problem);
        }
        self.push(Entry {
            path,
            size: 0,
            data: Vec::new(),
            link: Some(target),
            executable: false,
        })
    }

    /// The entry's path under `prefix`, or `None` (with a finding) when it is absolute
    /// or climbs out.
    fn checked_path(&mut self, prefix: &str, raw: &str) -> Option<String> {
        match normalize(raw) {
            Some(path) if path.is_empty() => None,
            Some(path) if prefix.is_empty() => Some(path),
            Some(path) => Some(format!("{prefix}/{path}")),
            None => {
                self.out.problems.push(Finding::new(
                    "path-traversal",
                    raw,
                    None,
                    format!(
                        "the archive entry `{}` is absolute or climbs out of the package; unpacking it writes outside the target directory",
                        crate::shorten(raw, 80)
                    ),
                    raw,
                ));
                None
            }
        }
    }
}

/// A relative, `/`-separated path without `.` parts, or `None` when `raw` is absolute
/// (`/x`, `C:\x`, `\\host`) or a `..` part climbs above the root.
pub fn normalize(raw: &str) -> Option<String> {
    let unified = raw.replace('\\', "/");
    if unified.starts_with('/')
        || (unified.len() >= 2
            && unified.as_bytes()[1] == b':'
            && unified.as_bytes()[0].is_ascii_alphabetic())
    {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// A link whose target leaves the package.
fn link_problem(path: &str, target: &str, hard: bool) -> Option<Finding> {
    let base = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let joined = if hard || base.is_empty() {
        target.to_owned()
    } else {
        format!("{base}/{target}")
    };
    if normalize(&joined).is_some() {
        return None;
    }
    Some(Finding::new(
        "link-escape",
        path,
        None,
        format!(
            "`{path}` links to `{}`, outside the package",
            crate::shorten(target, 80)
        ),
        target,
    ))
}

/// Drops the one directory every entry is in (npm's `package/`, an sdist's or crate's
/// `NAME-VERSION/`).
fn strip_common_root(contents: &mut Contents) {
    let mut root: Option<&str> = None;
    for entry in &contents.entries {
        let Some((first, _)) = entry.path.split_once('/') else {
            return;
        };
        match root {
            None => root = Some(first),
            Some(r) if r == first => {}
            Some(_) => return,
        }
    }
    let Some(root) = root.map(|r| format!("{r}/")) else {
        return;
    };
    for entry in &mut contents.entries {
        entry.path.drain(..root.len());
    }
    for problem in &mut contents.problems {
        if let Some(rest) = problem.path.strip_prefix(&root) {
            problem.path = rest.to_owned();
        }
    }
}

/// The first [`Limits::max_kept`] bytes of a file of `size` bytes.
fn read_kept(path: &Path, size: u64, limits: &Limits) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(usize::try_from(size.min(limits.max_kept)).unwrap_or(0));
    std::fs::File::open(path)?
        .take(limits.max_kept)
        .read_to_end(&mut data)?;
    Ok(data)
}

#[allow(clippy::too_many_arguments)]
fn walk(
    dir: &Path,
    rel: &str,
    depth: usize,
    limits: &Limits,
    total: &mut u64,
    out: &mut Contents,
    shown: &str,
) -> Result<(), AuditError> {
    let io = |source| AuditError::Io {
        path: dir.display().to_string(),
        source,
    };
    if depth > limits.max_depth {
        return Err(AuditError::Corrupt {
            path: shown.to_owned(),
            reason: format!("directories nested more than {} deep", limits.max_depth),
        });
    }
    let mut children: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .collect();
    children.sort_by_key(std::fs::DirEntry::file_name);
    for child in children {
        let name = child.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let meta = std::fs::symlink_metadata(child.path()).map_err(io)?;
        // A git work tree's repository is history, not contents.
        if name == ".git" && meta.is_dir() {
            continue;
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(child.path())
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(problem) = link_problem(&path, &target, false) {
                out.problems.push(problem);
            }
            out.entries.push(Entry {
                path,
                size: 0,
                data: Vec::new(),
                link: Some(target),
                executable: false,
            });
            continue;
        }
        if meta.is_dir() {
            // Other packages (installed dependencies) and version control are not part
            // of this package.
            if name == "node_modules" || name == ".git" || name == "__pycache__" {
                continue;
            }
            walk(&child.path(), &path, depth + 1, limits, total, out, shown)?;
            continue;
        }
        if !meta.is_file() {
            continue;
        }
        if out.entries.len() >= limits.max_entries {
            return Err(AuditError::TooManyEntries {
                path: shown.to_owned(),
                limit: limits.max_entries,
            });
        }
        *total += meta.len();
        if *total > limits.max_total {
            return Err(AuditError::TooLarge {
                path: shown.to_owned(),
                limit: limits.max_total,
            });
        }
        let data = read_kept(&child.path(), meta.len(), limits).map_err(io)?;
        #[cfg(unix)]
        let executable = {
            use std::os::unix::fs::PermissionsExt;
            meta.permissions().mode() & 0o111 != 0
        };
        #[cfg(not(unix))]
        let executable = false;
        out.entries.push(Entry {
            path,
            size: meta.len(),
            data,
            link: None,
            executable,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_refuses_escapes() {
        assert_eq!(
            normalize("package/a/./b.js").as_deref(),
            Some("package/a/b.js")
        );
        assert_eq!(normalize("a/../b").as_deref(), Some("b"));
        assert_eq!(normalize("../etc/passwd"), None);
        assert_eq!(normalize("a/../../x"), None);
        assert_eq!(normalize("/etc/passwd"), None);
        assert_eq!(normalize("C:\\Windows\\x.dll"), None);
        assert_eq!(normalize("a\\..\\..\\x"), None);
    }

    #[test]
    fn links_out_of_the_package_are_reported() {
        assert!(link_problem("a/b", "../c", false).is_none());
        assert!(link_problem("a/b", "../../c", false).is_some());
        assert!(link_problem("a", "/etc/passwd", false).is_some());
    }
}
