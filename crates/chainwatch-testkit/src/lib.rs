//! Test helpers shared by the chainwatch crates. Used only as a dev-dependency.
//!
//! The shared corpus (`../shared/corpus` next to the repository, or `CHAINWATCH_CORPUS`)
//! holds third-party test suites and real documents. Tests that need it call [`corpus`]:
//! when the corpus is missing they are skipped with a note, except under `CI=true`, where
//! a missing corpus fails the run.

use std::path::{Path, PathBuf};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The corpus directory, or `None` (after saying so on stderr) when it is absent and we
/// are not in CI.
///
/// # Panics
/// When `CI=true` and the corpus cannot be found: CI must test against it.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("CHAINWATCH_CORPUS")
        .map_or_else(|| workspace_root().join("../shared/corpus"), PathBuf::from);
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !in_ci,
        "the shared corpus is missing at `{}` and CI=true: set CHAINWATCH_CORPUS",
        dir.display()
    );
    eprintln!(
        "skipped: no corpus at `{}` (set CHAINWATCH_CORPUS)",
        dir.display()
    );
    None
}

/// A path inside the corpus, if the corpus is present.
pub fn corpus_path(relative: &str) -> Option<PathBuf> {
    corpus().map(|c| c.join(relative))
}
