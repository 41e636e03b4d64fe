//! The extractors: one per kind of file, each a name, a test for the files it wants and a
//! function that reads one of them into a [`crate::FileInventory`] through a [`Context`].
//! Installed trees without a lockfile (`node_modules`, a Python `site-packages`) are read
//! whole by the [`DIRECTORY_EXTRACTORS`], since their graph spans many small files.

pub(crate) mod cargo;
pub(crate) mod dotnet;
pub(crate) mod golang;
pub(crate) mod huggingface;
pub(crate) mod javascript;
pub(crate) mod maven;
pub(crate) mod misc;
pub(crate) mod models;
pub(crate) mod os;
pub(crate) mod python;
pub(crate) mod ruby;
pub(crate) mod yarn;

use std::path::Path;

use crate::context::Context;

/// A file (or, for the directory extractors, a directory) found in the tree.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Relative to the inventoried root, `/`-separated.
    pub rel: &'a str,
    /// The file name.
    pub name: &'a str,
    /// The directory holding it, on disk (empty for a file inventoried on its own).
    pub dir: &'a Path,
}

impl Candidate<'_> {
    /// Whether the relative path ends with `tail` at a segment boundary.
    pub fn ends_with(&self, tail: &str) -> bool {
        self.rel == tail
            || self
                .rel
                .strip_suffix(tail)
                .is_some_and(|head| head.ends_with('/'))
    }

    /// The name of the directory holding the file.
    pub fn parent_name(&self) -> Option<&str> {
        let (dir, _) = self.rel.rsplit_once('/')?;
        Some(dir.rsplit('/').next().unwrap_or(dir))
    }
}

/// One kind of input.
#[derive(Debug)]
pub struct Extractor {
    /// Stable name (`cargo-lock`), shown in diagnostics and `chainwatch:extractor` properties.
    pub name: &'static str,
    /// The ecosystem or package manager, for people.
    pub ecosystem: &'static str,
    /// Whether the file (or directory) is one this extractor reads.
    pub wants: fn(&Candidate<'_>) -> bool,
    /// Reads one file (or directory: its [`Context::path`], with no bytes).
    pub extract: fn(&mut Context<'_>),
    /// Whether the walker reads the file into [`Context::bytes`] first; an extractor of
    /// files too large to hold (model weights) reads what it needs from the path itself.
    pub whole: bool,
}

/// The lockfiles that record a `node_modules` beside them better than the installed
/// tree does (scopes, hashes, sources).
const JS_LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
];

/// Whether `name` is a Python environment's directory of installed distributions.
pub(crate) fn is_site_packages(name: &str) -> bool {
    name == "site-packages" || name == "dist-packages"
}

/// The extractors of directories, asked before a directory is entered (or skipped).
pub static DIRECTORY_EXTRACTORS: &[Extractor] = &[
    Extractor {
        name: "npm-installed",
        ecosystem: "npm (installed node_modules)",
        // The outermost `node_modules` (it is read with its nested ones) of a project
        // that has no lockfile, or of a global prefix (`/usr/lib/node_modules`).
        wants: |c| {
            c.name == "node_modules"
                && !c.rel.contains("node_modules/")
                && !JS_LOCKFILES.iter().any(|l| c.dir.join(l).is_file())
        },
        extract: javascript::installed,
        whole: false,
    },
    Extractor {
        name: "huggingface-cache",
        ecosystem: "Hugging Face (hub cache: models and datasets)",
        wants: |c| huggingface::wants(c.dir, c.name),
        extract: huggingface::extract,
        whole: false,
    },
    Extractor {
        name: "model-directory",
        ecosystem: "Machine-learning models (a directory with config.json and weights)",
        wants: |c| models::wants_dir(c.rel, &c.dir.join(c.name)),
        extract: models::directory,
        whole: false,
    },
    Extractor {
        name: "python-environment",
        ecosystem: "Python (installed, site-packages)",
        wants: |c| is_site_packages(c.name),
        extract: python::environment,
        whole: false,
    },
];

/// Every extractor, in the order they are asked (the first that wants a file reads it).
pub static EXTRACTORS: &[Extractor] = &[
    Extractor {
        name: "cargo-lock",
        ecosystem: "Rust (Cargo)",
        wants: cargo::wants_lock,
        extract: cargo::extract,
        whole: true,
    },
    Extractor {
        name: "npm-lock",
        ecosystem: "npm",
        wants: |c| c.name == "package-lock.json" || c.name == "npm-shrinkwrap.json",
        extract: javascript::npm_lock,
        whole: true,
    },
    Extractor {
        name: "yarn-lock",
        ecosystem: "Yarn (classic and berry)",
        wants: |c| c.name == "yarn.lock",
        extract: yarn::extract,
        whole: true,
    },
    Extractor {
        name: "pnpm-lock",
        ecosystem: "pnpm",
        wants: |c| c.name == "pnpm-lock.yaml",
        extract: javascript::pnpm_lock,
        whole: true,
    },
    Extractor {
        name: "bun-lock",
        ecosystem: "Bun",
        wants: |c| c.name == "bun.lock",
        extract: javascript::bun_lock,
        whole: true,
    },
    Extractor {
        name: "requirements",
        ecosystem: "Python (pip)",
        wants: python::wants_requirements,
        extract: python::requirements,
        whole: true,
    },
    Extractor {
        name: "poetry-lock",
        ecosystem: "Python (Poetry)",
        wants: |c| c.name == "poetry.lock",
        extract: python::poetry_lock,
        whole: true,
    },
    Extractor {
        name: "uv-lock",
        ecosystem: "Python (uv)",
        wants: |c| c.name == "uv.lock",
        extract: python::uv_lock,
        whole: true,
    },
    Extractor {
        name: "pipfile-lock",
        ecosystem: "Python (Pipenv)",
        wants: |c| c.name == "Pipfile.lock",
        extract: python::pipfile_lock,
        whole: true,
    },
    Extractor {
        name: "pdm-lock",
        ecosystem: "Python (PDM)",
        wants: |c| c.name == "pdm.lock",
        extract: python::pdm_lock,
        whole: true,
    },
    Extractor {
        name: "python-installed",
        ecosystem: "Python (installed)",
        // A distribution outside an environment's `site-packages` (which is read whole).
        wants: |c| {
            ((c.name == "METADATA" && c.parent_name().is_some_and(|p| p.ends_with(".dist-info")))
                || (c.name == "PKG-INFO"
                    && c.parent_name().is_some_and(|p| p.ends_with(".egg-info"))))
                && !c
                    .dir
                    .parent()
                    .and_then(Path::file_name)
                    .and_then(|n| n.to_str())
                    .is_some_and(is_site_packages)
        },
        extract: python::installed,
        whole: true,
    },
    Extractor {
        name: "go-mod",
        ecosystem: "Go modules",
        wants: |c| c.name == "go.mod",
        extract: golang::go_mod,
        whole: true,
    },
    Extractor {
        name: "gemfile-lock",
        ecosystem: "Ruby (Bundler)",
        wants: |c| c.name == "Gemfile.lock" || c.name == "gems.locked",
        extract: ruby::extract,
        whole: true,
    },
    Extractor {
        name: "cargo-crate",
        ecosystem: "Rust (crates unpacked from a registry, vendored)",
        wants: cargo::wants_unpacked,
        extract: cargo::unpacked,
        whole: true,
    },
    Extractor {
        name: "gemspec-installed",
        ecosystem: "Ruby (installed gems)",
        wants: |c| c.name.ends_with(".gemspec") && c.parent_name() == Some("specifications"),
        extract: ruby::installed,
        whole: true,
    },
    Extractor {
        name: "nuspec-installed",
        ecosystem: ".NET (NuGet global packages folder)",
        wants: dotnet::wants_nuspec,
        extract: dotnet::installed,
        whole: true,
    },
    Extractor {
        name: "composer-lock",
        ecosystem: "PHP (Composer)",
        wants: |c| c.name == "composer.lock",
        extract: misc::composer_lock,
        whole: true,
    },
    Extractor {
        name: "nuget-lock",
        ecosystem: ".NET (NuGet)",
        wants: |c| c.name == "packages.lock.json",
        extract: dotnet::extract,
        whole: true,
    },
    Extractor {
        name: "maven-pom",
        ecosystem: "Java (Maven)",
        wants: |c| c.name == "pom.xml",
        extract: maven::extract,
        whole: true,
    },
    Extractor {
        name: "gradle-lock",
        ecosystem: "Java (Gradle)",
        wants: |c| {
            c.name == "gradle.lockfile"
                || c.rel.ends_with(".lockfile") && c.rel.contains("gradle/dependency-locks/")
        },
        extract: maven::gradle_lock,
        whole: true,
    },
    Extractor {
        name: "pubspec-lock",
        ecosystem: "Dart (pub)",
        wants: |c| c.name == "pubspec.lock",
        extract: misc::pubspec_lock,
        whole: true,
    },
    Extractor {
        name: "mix-lock",
        ecosystem: "Elixir (Mix)",
        wants: |c| c.name == "mix.lock",
        extract: misc::mix_lock,
        whole: true,
    },
    Extractor {
        name: "swift-resolved",
        ecosystem: "Swift (SwiftPM)",
        wants: |c| c.name == "Package.resolved",
        extract: misc::swift_resolved,
        whole: true,
    },
    Extractor {
        name: "conan-lock",
        ecosystem: "C/C++ (Conan)",
        wants: |c| c.name == "conan.lock",
        extract: misc::conan_lock,
        whole: true,
    },
    Extractor {
        name: "dpkg-status",
        ecosystem: "Debian/Ubuntu (dpkg)",
        wants: |c| {
            c.ends_with("var/lib/dpkg/status")
                || (c.parent_name() == Some("status.d")
                    && c.rel.contains("var/lib/dpkg/status.d/")
                    && !c.name.contains('.'))
        },
        extract: os::dpkg,
        whole: true,
    },
    Extractor {
        name: "apk-installed",
        ecosystem: "Alpine (apk)",
        wants: |c| c.ends_with("lib/apk/db/installed"),
        extract: os::apk,
        whole: true,
    },
    Extractor {
        name: "rpmdb-sqlite",
        ecosystem: "RPM (Fedora, RHEL, SUSE)",
        wants: |c| {
            c.ends_with("var/lib/rpm/rpmdb.sqlite")
                || c.ends_with("usr/lib/sysimage/rpm/rpmdb.sqlite")
        },
        extract: os::rpm,
        whole: true,
    },
    Extractor {
        name: "model-file",
        ecosystem: "Machine-learning models and arrays (a file recognized by its content)",
        wants: |c| models::wants_file(c.rel, c.name, c.dir),
        extract: models::file,
        // Weights are gigabytes: only their first bytes are read, and their digest streamed.
        whole: false,
    },
];
