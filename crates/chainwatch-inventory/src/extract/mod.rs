//! The extractors: one per kind of file, each a name, a test for the files it wants and a
//! function that reads one of them into a [`crate::FileInventory`] through a [`Context`].

pub(crate) mod cargo;
pub(crate) mod dotnet;
pub(crate) mod golang;
pub(crate) mod javascript;
pub(crate) mod maven;
pub(crate) mod misc;
pub(crate) mod os;
pub(crate) mod python;
pub(crate) mod ruby;
pub(crate) mod yarn;

use crate::context::Context;

/// A file found in the tree.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Relative to the inventoried root, `/`-separated.
    pub rel: &'a str,
    /// The file name.
    pub name: &'a str,
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
    /// Whether the file is one this extractor reads.
    pub wants: fn(&Candidate<'_>) -> bool,
    /// Reads one file.
    pub extract: fn(&mut Context<'_>),
}

/// Every extractor, in the order they are asked (the first that wants a file reads it).
pub static EXTRACTORS: &[Extractor] = &[
    Extractor {
        name: "cargo-lock",
        ecosystem: "Rust (Cargo)",
        wants: |c| c.name == "Cargo.lock",
        extract: cargo::extract,
    },
    Extractor {
        name: "npm-lock",
        ecosystem: "npm",
        wants: |c| c.name == "package-lock.json" || c.name == "npm-shrinkwrap.json",
        extract: javascript::npm_lock,
    },
    Extractor {
        name: "yarn-lock",
        ecosystem: "Yarn (classic and berry)",
        wants: |c| c.name == "yarn.lock",
        extract: yarn::extract,
    },
    Extractor {
        name: "pnpm-lock",
        ecosystem: "pnpm",
        wants: |c| c.name == "pnpm-lock.yaml",
        extract: javascript::pnpm_lock,
    },
    Extractor {
        name: "bun-lock",
        ecosystem: "Bun",
        wants: |c| c.name == "bun.lock",
        extract: javascript::bun_lock,
    },
    Extractor {
        name: "requirements",
        ecosystem: "Python (pip)",
        wants: python::wants_requirements,
        extract: python::requirements,
    },
    Extractor {
        name: "poetry-lock",
        ecosystem: "Python (Poetry)",
        wants: |c| c.name == "poetry.lock",
        extract: python::poetry_lock,
    },
    Extractor {
        name: "uv-lock",
        ecosystem: "Python (uv)",
        wants: |c| c.name == "uv.lock",
        extract: python::uv_lock,
    },
    Extractor {
        name: "pipfile-lock",
        ecosystem: "Python (Pipenv)",
        wants: |c| c.name == "Pipfile.lock",
        extract: python::pipfile_lock,
    },
    Extractor {
        name: "pdm-lock",
        ecosystem: "Python (PDM)",
        wants: |c| c.name == "pdm.lock",
        extract: python::pdm_lock,
    },
    Extractor {
        name: "python-installed",
        ecosystem: "Python (installed)",
        wants: |c| {
            (c.name == "METADATA" && c.parent_name().is_some_and(|p| p.ends_with(".dist-info")))
                || (c.name == "PKG-INFO"
                    && c.parent_name().is_some_and(|p| p.ends_with(".egg-info")))
        },
        extract: python::installed,
    },
    Extractor {
        name: "go-mod",
        ecosystem: "Go modules",
        wants: |c| c.name == "go.mod",
        extract: golang::go_mod,
    },
    Extractor {
        name: "gemfile-lock",
        ecosystem: "Ruby (Bundler)",
        wants: |c| c.name == "Gemfile.lock" || c.name == "gems.locked",
        extract: ruby::extract,
    },
    Extractor {
        name: "composer-lock",
        ecosystem: "PHP (Composer)",
        wants: |c| c.name == "composer.lock",
        extract: misc::composer_lock,
    },
    Extractor {
        name: "nuget-lock",
        ecosystem: ".NET (NuGet)",
        wants: |c| c.name == "packages.lock.json",
        extract: dotnet::extract,
    },
    Extractor {
        name: "maven-pom",
        ecosystem: "Java (Maven)",
        wants: |c| c.name == "pom.xml",
        extract: maven::extract,
    },
    Extractor {
        name: "gradle-lock",
        ecosystem: "Java (Gradle)",
        wants: |c| {
            c.name == "gradle.lockfile"
                || c.rel.ends_with(".lockfile") && c.rel.contains("gradle/dependency-locks/")
        },
        extract: maven::gradle_lock,
    },
    Extractor {
        name: "pubspec-lock",
        ecosystem: "Dart (pub)",
        wants: |c| c.name == "pubspec.lock",
        extract: misc::pubspec_lock,
    },
    Extractor {
        name: "mix-lock",
        ecosystem: "Elixir (Mix)",
        wants: |c| c.name == "mix.lock",
        extract: misc::mix_lock,
    },
    Extractor {
        name: "swift-resolved",
        ecosystem: "Swift (SwiftPM)",
        wants: |c| c.name == "Package.resolved",
        extract: misc::swift_resolved,
    },
    Extractor {
        name: "conan-lock",
        ecosystem: "C/C++ (Conan)",
        wants: |c| c.name == "conan.lock",
        extract: misc::conan_lock,
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
    },
    Extractor {
        name: "apk-installed",
        ecosystem: "Alpine (apk)",
        wants: |c| c.ends_with("lib/apk/db/installed"),
        extract: os::apk,
    },
    Extractor {
        name: "rpmdb-sqlite",
        ecosystem: "RPM (Fedora, RHEL, SUSE)",
        wants: |c| {
            c.ends_with("var/lib/rpm/rpmdb.sqlite")
                || c.ends_with("usr/lib/sysimage/rpm/rpmdb.sqlite")
        },
        extract: os::rpm,
    },
];
