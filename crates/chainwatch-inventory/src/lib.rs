//! The inventory of a source tree or root filesystem: every package its lockfiles,
//! manifests and operating-system package databases record, with canonical package URLs,
//! the file each came from, hashes, scope, direct or transitive, and dependency edges.
//!
//! ```no_run
//! let inv = chainwatch_inventory::inventory("checkout".as_ref(), &Default::default()).unwrap();
//! for file in &inv.files {
//!     println!("{}: {} packages", file.path, file.packages.len());
//! }
//! let sbom = inv.to_sbom(&Default::default());
//! ```
//!
//! Each input kind is an [`Extractor`]: a name, which files it wants and a function that
//! reads one file. Extractors run in parallel, one file at a time; a malformed file gives
//! diagnostics (with line and column or a JSON pointer) and never stops the others.
//! Nothing is ever fetched from the network: the inventory is what the files say.

#![warn(clippy::print_stdout, clippy::print_stderr)]
// Extractors look an entry up and fall back to adding it: `match` reads best there.
#![allow(clippy::single_match_else)]

mod assemble;
mod context;
mod extract;
mod glob;
pub mod model_file;
mod project;
mod text;
mod walk;

use std::path::{Path, PathBuf};

use chainwatch_purl::Purl;
use chainwatch_sbom::{Diagnostic, Hash, Scope};

pub use assemble::SbomOptions;
pub use context::Context;
pub use extract::{Candidate, DIRECTORY_EXTRACTORS, EXTRACTORS, Extractor};
pub use glob::Glob;
pub use project::Project;
pub use walk::{Options, SKIPPED_DIRS};

/// One package a file records.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// Canonical package URL, with the version when the file pins one.
    pub purl: Purl,
    /// Runtime unless the file says otherwise (dev, optional, build, test).
    pub scope: Scope,
    /// Whether the project asks for it itself (not only through another package).
    pub direct: bool,
    /// Whether this is the project itself or one of its workspace members, not a
    /// dependency.
    pub member: bool,
    /// Digests of the artifact, as the file records them.
    pub hashes: Vec<Hash>,
    /// Where it comes from when that is not the ecosystem's default registry: a URL, a git
    /// repository and revision, or a local path.
    pub source: Option<String>,
    /// Declared license (package databases and some lockfiles record it).
    pub license: Option<String>,
    /// The line of the file that records it.
    pub line: Option<u32>,
    /// The file that records it, relative to the inventoried root, when that is not the
    /// file read (an installed tree is read whole: each package has its own manifest).
    pub file: Option<String>,
    /// What it is when it is not a library: a model or a dataset of a Hugging Face cache.
    pub kind: Option<chainwatch_sbom::ComponentKind>,
    /// More about it, as SBOM properties (`chainwatch:file`, `chainwatch:huggingface:ref` …).
    pub properties: Vec<(String, String)>,
    /// What a model's card and configuration say (task, architecture, datasets, metrics).
    pub model_card: Option<Box<chainwatch_sbom::ModelCard>>,
}

impl Package {
    pub fn new(purl: Purl) -> Package {
        Package {
            purl,
            scope: Scope::Runtime,
            direct: false,
            member: false,
            hashes: Vec::new(),
            source: None,
            license: None,
            line: None,
            file: None,
            kind: None,
            properties: Vec::new(),
            model_card: None,
        }
    }
}

/// What one file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInventory {
    /// Relative to the inventoried root, `/`-separated.
    pub path: String,
    /// The extractor that read it.
    pub extractor: &'static str,
    pub packages: Vec<Package>,
    /// `(from, to)`: `packages[from]` depends on `packages[to]`.
    pub edges: Vec<(usize, usize)>,
    /// Whether the file says which packages are direct dependencies. When it does not
    /// (a `yarn.lock` without its `package.json`, a package database), the packages
    /// nothing else in the file depends on are taken as the direct ones.
    pub knows_direct: bool,
    pub diagnostics: Vec<Diagnostic>,
}

/// The inventory of a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    pub root: PathBuf,
    /// What the tree is: from its top-level manifest, else the directory name.
    pub project: Project,
    /// The operating system, when the tree is a root filesystem (`etc/os-release`).
    pub distro: Option<Distro>,
    /// Every file an extractor read, in path order.
    pub files: Vec<FileInventory>,
    /// Problems of the walk itself (unreadable directories), by relative path.
    pub walk_diagnostics: Vec<(String, Diagnostic)>,
}

impl Inventory {
    /// Every package of every file (the same package may appear in several files).
    pub fn packages(&self) -> impl Iterator<Item = (&FileInventory, &Package)> {
        self.files
            .iter()
            .flat_map(|f| f.packages.iter().map(move |p| (f, p)))
    }

    /// Every diagnostic, with the relative path of the file it is about.
    pub fn diagnostics(&self) -> impl Iterator<Item = (&str, &Diagnostic)> {
        self.walk_diagnostics
            .iter()
            .map(|(p, d)| (p.as_str(), d))
            .chain(
                self.files
                    .iter()
                    .flat_map(|f| f.diagnostics.iter().map(move |d| (f.path.as_str(), d))),
            )
    }

    /// The inventory as an SBOM (see [`SbomOptions`]).
    pub fn to_sbom(&self, options: &SbomOptions) -> chainwatch_sbom::Sbom {
        assemble::to_sbom(self, options)
    }
}

/// An operating system release, from `os-release`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distro {
    /// `ID`: `debian`, `ubuntu`, `alpine`, `rhel`, `fedora`…
    pub id: String,
    /// `VERSION_ID`: `12`, `22.04`, `3.19.1`.
    pub version_id: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
}

impl Distro {
    /// The `distro` qualifier value syft and trivy write: `debian-12`.
    pub fn qualifier(&self) -> String {
        match &self.version_id {
            Some(v) => format!("{}-{v}", self.id),
            None => self.id.clone(),
        }
    }

    /// Reads `os-release` text.
    pub fn parse(text: &str) -> Option<Distro> {
        let mut id = None;
        let mut version_id = None;
        let mut pretty_name = None;
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            if value.is_empty() {
                continue;
            }
            match key.trim() {
                "ID" => id = Some(value.to_ascii_lowercase()),
                "VERSION_ID" => version_id = Some(value.to_owned()),
                "PRETTY_NAME" => pretty_name = Some(value.to_owned()),
                _ => {}
            }
        }
        Some(Distro {
            id: id?,
            version_id,
            pretty_name,
        })
    }

    /// The distribution's `os-release` under a root filesystem, if it has one.
    pub fn of_root(root: &Path) -> Option<Distro> {
        ["etc/os-release", "usr/lib/os-release"]
            .iter()
            .find_map(|p| text::read_small(&root.join(p)).ok())
            .and_then(|t| Distro::parse(&t))
    }
}

/// Why a tree could not be inventoried at all (problems inside it are diagnostics).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    #[error("cannot read `{path}`: {source}")]
    Root {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a file any extractor reads")]
    UnknownFile { path: PathBuf },
    #[error("invalid --exclude pattern `{pattern}`: {reason}")]
    Pattern { pattern: String, reason: String },
}

/// Runs the extractor named `extractor` on `bytes` as if they were the file at `rel`
/// (nothing beside it is read: there is no file). `None` for an unknown extractor. For
/// tests and fuzzing; the rpm extractor needs a real file.
pub fn extract_bytes(extractor: &str, rel: &str, bytes: &[u8]) -> Option<FileInventory> {
    let e = EXTRACTORS.iter().find(|e| e.name == extractor)?;
    let path = Path::new("/nonexistent/chainwatch-inventory").join(rel);
    let mut cx = Context::new(&path, rel, bytes, e.name);
    (e.extract)(&mut cx);
    Some(cx.out)
}

/// The YAML front matter of a Hugging Face model card (`README.md`), as JSON; `None`
/// when the card has none or it is not YAML. For tests and fuzzing.
pub fn model_card(bytes: &[u8]) -> Option<serde_json::Value> {
    extract::huggingface::card(bytes)
}

/// The package URL of the Hugging Face cache snapshot a file is in
/// (`…/models--ORG--NAME/snapshots/REV/…` → `pkg:huggingface/ORG/NAME@REV`), as the
/// inventory names that snapshot.
pub fn huggingface_snapshot(path: &Path) -> Option<Purl> {
    extract::huggingface::snapshot_purl(path)
}

/// Inventories a directory tree, or one file.
pub fn inventory(root: &Path, options: &Options) -> Result<Inventory, InventoryError> {
    walk::run(root, options)
}
