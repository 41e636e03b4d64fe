//! Walking the tree and running the extractors over the files they want, in parallel.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chainwatch_sbom::{Code, Diagnostic, Location};

use crate::context::Context;
use crate::extract::{Candidate, DIRECTORY_EXTRACTORS, EXTRACTORS, Extractor};
use crate::{Distro, FileInventory, Glob, Inventory, InventoryError, project};

/// Directories that hold installed or cached copies of dependencies, not the project's own
/// manifests: skipped unless [`Options::all_dirs`] is set. Directories holding a
/// `CACHEDIR.TAG` (Cargo's `target`, for one) are skipped too.
pub const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "bower_components",
    "jspm_packages",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".gradle",
    ".yarn",
    ".pnpm-store",
];

/// How to inventory.
#[derive(Debug, Clone)]
pub struct Options {
    /// Paths to leave out (gitignore-style globs).
    pub exclude: Vec<String>,
    /// Descend into [`SKIPPED_DIRS`] and cache directories too.
    pub all_dirs: bool,
    /// Files larger than this are reported and skipped.
    pub max_file_size: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            exclude: Vec::new(),
            all_dirs: false,
            max_file_size: 1 << 30,
            threads: 0,
        }
    }
}

struct Job {
    path: PathBuf,
    rel: String,
    extractor: &'static Extractor,
    /// A directory read whole by one of the [`DIRECTORY_EXTRACTORS`].
    directory: bool,
}

pub(crate) fn run(root: &Path, options: &Options) -> Result<Inventory, InventoryError> {
    let globs = options
        .exclude
        .iter()
        .map(|p| {
            Glob::new(p).map_err(|reason| InventoryError::Pattern {
                pattern: p.clone(),
                reason,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let meta = std::fs::metadata(root).map_err(|source| InventoryError::Root {
        path: root.to_owned(),
        source,
    })?;
    let mut jobs = Vec::new();
    let mut walk_diagnostics = Vec::new();
    let (distro, project) = if meta.is_dir() {
        // The root may itself be an installed tree (`sbom generate node_modules`); then
        // what is inside it is part of that job.
        let mut claimed = None;
        if let Some(name) = root.file_name().and_then(|n| n.to_str()) {
            let parent = root.parent().unwrap_or(Path::new("."));
            let candidate = Candidate {
                rel: name,
                name,
                dir: parent,
            };
            if let Some(extractor) = DIRECTORY_EXTRACTORS.iter().find(|e| (e.wants)(&candidate)) {
                jobs.push(Job {
                    path: root.to_owned(),
                    rel: name.to_owned(),
                    extractor,
                    directory: true,
                });
                claimed = Some(extractor.name);
            }
        }
        walk(
            root,
            &globs,
            options,
            claimed,
            &mut jobs,
            &mut walk_diagnostics,
        );
        let distro = Distro::of_root(root);
        let project = project::of_dir(root);
        (distro, project)
    } else {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel = candidate_rel(root, &name);
        let dir = root.parent().unwrap_or(Path::new("."));
        // A file named on its own is read on its own, even where a walk would read the
        // directory holding it whole (a `METADATA` inside a `site-packages`).
        let candidate = Candidate {
            rel: &rel,
            name: &name,
            dir: Path::new(""),
        };
        let extractor = EXTRACTORS
            .iter()
            .find(|e| (e.wants)(&candidate))
            .ok_or_else(|| InventoryError::UnknownFile {
                path: root.to_owned(),
            })?;
        jobs.push(Job {
            path: root.to_owned(),
            rel: name,
            extractor,
            directory: false,
        });
        (None, project::of_dir(dir))
    };
    let files = extract_all(&jobs, options);
    Ok(Inventory {
        root: root.to_owned(),
        project,
        distro,
        files,
        walk_diagnostics,
    })
}

/// For a single file, the relative path an extractor matches on: the file name, or the
/// package-database path it ends with (`var/lib/dpkg/status`).
fn candidate_rel(path: &Path, name: &str) -> String {
    let full = path.to_string_lossy().replace('\\', "/");
    for tail in [
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
        "var/lib/rpm/rpmdb.sqlite",
    ] {
        if full.ends_with(tail) {
            return tail.to_owned();
        }
    }
    if let Some(parent) = path.parent().and_then(Path::file_name) {
        return format!("{}/{name}", parent.to_string_lossy());
    }
    name.to_owned()
}

fn walk(
    root: &Path,
    globs: &[Glob],
    options: &Options,
    claimed: Option<&str>,
    jobs: &mut Vec<Job>,
    diags: &mut Vec<(String, Diagnostic)>,
) {
    let mut stack: Vec<(PathBuf, String)> = vec![(root.to_owned(), String::new())];
    while let Some((dir, rel_dir)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                diags.push((
                    if rel_dir.is_empty() {
                        ".".to_owned()
                    } else {
                        rel_dir
                    },
                    io_diagnostic(&e),
                ));
                continue;
            }
        };
        let mut subdirs = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    diags.push((rel_dir.clone(), io_diagnostic(&e)));
                    continue;
                }
            };
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            let rel = if rel_dir.is_empty() {
                name.to_owned()
            } else {
                format!("{rel_dir}/{name}")
            };
            if globs.iter().any(|g| g.matches(&rel)) {
                continue;
            }
            // Symbolic links are not followed: a tree may link outside itself or to itself.
            let Ok(ty) = entry.file_type() else {
                continue;
            };
            if ty.is_dir() {
                let path = entry.path();
                let candidate = Candidate {
                    rel: &rel,
                    name,
                    dir: &dir,
                };
                if let Some(extractor) = DIRECTORY_EXTRACTORS
                    .iter()
                    .find(|e| (e.wants)(&candidate))
                    .filter(|e| claimed != Some(e.name))
                {
                    jobs.push(Job {
                        path: path.clone(),
                        rel: rel.clone(),
                        extractor,
                        directory: true,
                    });
                }
                if !options.all_dirs
                    && (SKIPPED_DIRS.contains(&name) || path.join("CACHEDIR.TAG").is_file())
                {
                    continue;
                }
                subdirs.push((path, rel));
            } else if ty.is_file() {
                let candidate = Candidate {
                    rel: &rel,
                    name,
                    dir: &dir,
                };
                if let Some(extractor) = EXTRACTORS.iter().find(|e| (e.wants)(&candidate)) {
                    jobs.push(Job {
                        path: entry.path(),
                        rel,
                        extractor,
                        directory: false,
                    });
                }
            }
        }
        // Depth-first in name order, so that diagnostics come out in a stable order.
        subdirs.sort_by(|a, b| b.1.cmp(&a.1));
        stack.extend(subdirs);
    }
}

fn io_diagnostic(e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        Code::InventoryIo,
        format!("cannot read: {e}"),
        Location::default(),
    )
}

fn extract_all(jobs: &[Job], options: &Options) -> Vec<FileInventory> {
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    }
    .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<FileInventory>> = Mutex::new(Vec::with_capacity(jobs.len()));
    let work = || {
        let mut local = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            local.push(extract_one(job, options));
        }
        if let Ok(mut r) = results.lock() {
            r.extend(local);
        }
    };
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let mut files = results.into_inner().unwrap_or_default();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn extract_one(job: &Job, options: &Options) -> FileInventory {
    if job.directory || !job.extractor.whole {
        let mut cx = Context::new(&job.path, &job.rel, &[], job.extractor.name);
        (job.extractor.extract)(&mut cx);
        return cx.out;
    }
    let bytes = read_capped(&job.path, options.max_file_size);
    match bytes {
        Ok(bytes) => {
            let mut cx = Context::new(&job.path, &job.rel, &bytes, job.extractor.name);
            (job.extractor.extract)(&mut cx);
            cx.out
        }
        Err(e) => {
            let mut cx = Context::new(&job.path, &job.rel, &[], job.extractor.name);
            cx.diagnostic(io_diagnostic(&e));
            cx.out
        }
    }
}

fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Err(std::io::Error::other(format!(
            "the file is {len} bytes, over the {max}-byte limit"
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(max + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}
