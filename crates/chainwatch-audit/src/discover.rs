//! Which packages a path holds: an archive or package directory is one; an installed
//! tree (`node_modules` with its `@scope` folders, a Python `site-packages`, a Cargo
//! registry or `vendor/` directory) is every package in it. [`installed`] finds the
//! installed trees inside a project or root filesystem (for `scan --audit`).

use std::path::{Path, PathBuf};

/// One package to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An archive or an unpacked package directory.
    Path(PathBuf),
    /// An installed Python distribution: its `.dist-info` directory, whose `RECORD`
    /// lists its files (relative to the `site-packages` it is in).
    DistInfo(PathBuf),
}

impl Target {
    pub fn path(&self) -> &Path {
        match self {
            Target::Path(p) | Target::DistInfo(p) => p,
        }
    }
}

/// Files whose presence makes a directory one package.
const MARKERS: &[&str] = &[
    "package.json",
    "Cargo.toml",
    "setup.py",
    "pyproject.toml",
    "PKG-INFO",
    "metadata.gz",
];

fn is_package_dir(dir: &Path) -> bool {
    MARKERS.iter().any(|m| dir.join(m).is_file())
        || std::fs::read_dir(dir).is_ok_and(|rd| {
            rd.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().ends_with(".gemspec"))
        })
}

/// The packages at `path`. A directory that is neither a package nor holds any is
/// returned as itself (auditing it then says what it is not).
pub fn discover(path: &Path) -> Vec<Target> {
    if !path.is_dir() {
        return vec![Target::Path(path.to_owned())];
    }
    if path.extension().is_some_and(|e| e == "dist-info") {
        return vec![Target::DistInfo(path.to_owned())];
    }
    if is_package_dir(path) {
        return vec![Target::Path(path.to_owned())];
    }
    let mut out = Vec::new();
    collect(path, 0, &mut out);
    if out.is_empty() {
        out.push(Target::Path(path.to_owned()));
    }
    out
}

/// The subdirectories of `dir` (links not followed), with their names, in name order.
fn subdirs(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = read
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|k| k.is_dir()))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    out
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<Target>) {
    for (name, path) in subdirs(dir) {
        if name.ends_with(".dist-info") {
            out.push(Target::DistInfo(path));
        } else if name.starts_with('.') || name == "__pycache__" || name.ends_with(".egg-info") {
        } else if is_package_dir(&path) {
            out.push(Target::Path(path.clone()));
            // Packages installed under a package (`node_modules/a/node_modules/b`).
            let nested = path.join("node_modules");
            if nested.is_dir() && depth < 32 {
                collect(&nested, depth + 1, out);
            }
        } else if depth < 2 && (name.starts_with('@') || !dir.ends_with("site-packages")) {
            // npm scopes, and registry folders one level down.
            collect(&path, depth + 1, out);
        }
    }
}

/// The packages installed anywhere under `root`: every `node_modules`, `site-packages`,
/// `dist-packages` and Cargo `vendor` directory (links not followed, `.git` skipped,
/// at most 12 levels deep), each package once.
pub fn installed(root: &Path) -> Vec<Target> {
    let mut out = Vec::new();
    find_trees(root, 0, &mut out);
    out.sort_by(|a, b| a.path().cmp(b.path()));
    out.dedup();
    out
}

fn find_trees(dir: &Path, depth: usize, out: &mut Vec<Target>) {
    if depth > 12 {
        return;
    }
    for (name, path) in subdirs(dir) {
        match name.as_str() {
            ".git" | ".hg" | ".svn" | "proc" | "sys" | "dev" => {}
            "node_modules" | "site-packages" | "dist-packages" => {
                let mut found = Vec::new();
                collect(&path, 0, &mut found);
                out.extend(found);
            }
            "vendor"
                if std::fs::read_dir(&path).is_ok_and(|rd| {
                    rd.filter_map(Result::ok)
                        .any(|e| e.path().join("Cargo.toml").is_file())
                }) =>
            {
                let mut found = Vec::new();
                collect(&path, 1, &mut found);
                out.extend(found);
            }
            _ => find_trees(&path, depth + 1, out),
        }
    }
}
