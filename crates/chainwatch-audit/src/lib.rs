//! What a package contains, read without running it.
//!
//! [`audit_package`] reads one package (an npm `.tgz`, a PyPI sdist or wheel, a `.crate`,
//! a `.gem`, or an unpacked or installed directory) into memory through
//! [`archive`] (size, entry-count and ratio caps; path traversal and escaping links
//! reported and never followed), recognizes its ecosystem and manifest ([`manifest`]),
//! tokenizes its source files ([`lex`]: JavaScript, Python, Ruby, Rust and shell) and
//! runs the rules of [`rules::RULES`] over them ([`checks`] for code, [`files`] for
//! binaries and blobs, [`meta`] for the manifest). Nothing is executed, imported or
//! installed, and no URL a package names is fetched.
//!
//! Findings in files that run at install or build time (npm install scripts and the
//! files they name, `setup.py`, `build.rs`, gem extensions, `.pth` files) are raised one
//! severity: the same code is worse when merely installing the package runs it.

use std::path::Path;

pub mod archive;
pub mod checks;
pub mod discover;
pub mod files;
pub mod lex;
pub mod manifest;
pub mod meta;
pub mod model;
pub mod release;
pub mod rules;

pub use archive::{Contents, Entry, Limits};
pub use discover::{Target, discover, installed};
pub use manifest::{Ecosystem, Manifest};
pub use rules::{RULES, Rule};

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step worse (critical stays critical).
    #[must_use]
    pub fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    /// Parses `low`, `medium`, `high` or `critical`.
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule that fired, with its evidence. The JSON shape is the contract of
/// `chainwatch audit … --format json` (see docs/audit.md).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The rule's stable code ([`rules::RULES`]).
    pub rule: &'static str,
    pub severity: Severity,
    /// The file inside the package (or release), `/`-separated.
    pub path: String,
    /// 1-based line, when the evidence is text.
    pub line: Option<u32>,
    pub message: String,
    /// The matching snippet, shortened.
    pub evidence: String,
}

impl Finding {
    /// A finding of `rule` at its catalog severity.
    pub fn new(
        rule: &'static str,
        path: &str,
        line: Option<u32>,
        message: String,
        evidence: &str,
    ) -> Finding {
        Finding {
            rule,
            severity: rules::severity(rule),
            path: path.to_owned(),
            line,
            message,
            evidence: shorten(evidence, 160),
        }
    }

    /// The same finding at another severity.
    #[must_use]
    pub fn at(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }
}

/// The audit of one package.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PackageReport {
    /// What was read, as given.
    pub source: String,
    pub ecosystem: Option<Ecosystem>,
    /// `name@version` when the manifest says.
    pub package: Option<String>,
    pub files: usize,
    pub bytes: u64,
    pub findings: Vec<Finding>,
}

impl PackageReport {
    /// The worst severity found.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The package version as a purl (`pkg:npm/%40scope/name@1.0.0`, `pkg:pypi/…`,
    /// `pkg:cargo/…`, `pkg:gem/…`), when the manifest names it and its version.
    pub fn purl(&self) -> Option<chainwatch_purl::Purl> {
        let ty = match self.ecosystem? {
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Crates => "cargo",
            Ecosystem::Rubygems => "gem",
        };
        let (name, version) = self.package.as_deref()?.rsplit_once('@')?;
        if name.is_empty() || version.is_empty() {
            return None;
        }
        let builder = match name.split_once('/') {
            Some((scope, bare)) if scope.starts_with('@') && ty == "npm" => {
                chainwatch_purl::Purl::builder(ty, bare).namespace(scope)
            }
            _ => chainwatch_purl::Purl::builder(ty, name),
        };
        builder.version(version).build().ok()
    }
}

/// Why a package could not be audited.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a package archive or directory: {reason}")]
    Unsupported { path: String, reason: String },
    #[error("`{path}` is not a model file: {reason}")]
    NotAModel { path: String, reason: String },
    #[error("`{path}` is corrupt: {reason}")]
    Corrupt { path: String, reason: String },
    #[error(
        "refused `{path}`: it expands beyond {limit} bytes; a decompression bomb or a package larger than the limit"
    )]
    TooLarge { path: String, limit: u64 },
    #[error("refused `{path}`: more than {limit} entries")]
    TooManyEntries { path: String, limit: usize },
}

/// The typo-squat verdict on a package name in an ecosystem.
pub type TyposquatCheck<'a> =
    dyn Fn(Ecosystem, &str) -> Option<chainwatch_typosquat::Verdict> + Sync + 'a;

/// What the caller can add to an audit.
#[derive(Default)]
pub struct Options<'a> {
    pub limits: Limits,
    /// The typo-squat verdict on a package name, when the caller has a corpus.
    pub typosquat: Option<&'a TyposquatCheck<'a>>,
    /// The previous version of the same package, to compare install hooks with.
    pub previous: Option<&'a Manifest>,
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("limits", &self.limits)
            .field("typosquat", &self.typosquat.is_some())
            .field("previous", &self.previous.map(|m| &m.name))
            .finish()
    }
}

/// Reads and audits the package at `path`.
pub fn audit_package(path: &Path, options: &Options<'_>) -> Result<PackageReport, AuditError> {
    let contents = archive::read(path, &options.limits)?;
    Ok(audit_contents(
        &path.display().to_string(),
        &contents,
        options,
    ))
}

/// Reads and audits one discovered target.
pub fn audit_target(target: &Target, options: &Options<'_>) -> Result<PackageReport, AuditError> {
    match target {
        Target::Path(path) => audit_package(path, options),
        Target::DistInfo(dir) => {
            let contents = archive::read_dist_info(dir, &options.limits)?;
            Ok(audit_contents(
                &dir.display().to_string(),
                &contents,
                options,
            ))
        }
    }
}

/// Audits contents already read.
pub fn audit_contents(source: &str, contents: &Contents, options: &Options<'_>) -> PackageReport {
    let manifest = manifest::recognize(contents);
    let mut findings = contents.problems.clone();
    if let Some(manifest) = &manifest {
        findings.extend(meta::check(manifest, options));
    }
    let install_time = manifest
        .as_ref()
        .map(|m| m.install_files.clone())
        .unwrap_or_default();
    // An installed npm package runs JavaScript only: TypeScript sources beside it are
    // for reading (its compiled output is what runs, and is read).
    let npm = manifest
        .as_ref()
        .is_some_and(|m| m.ecosystem == Ecosystem::Npm);
    for entry in &contents.entries {
        let at_install = install_time.iter().any(|f| f == &entry.path);
        let mut found = Vec::new();
        if let Some(lang) = lex::language(&entry.path, &entry.data)
            && !(npm && is_typescript(&entry.path))
        {
            found.extend(checks::check_source(&entry.path, lang, &entry.data));
            if at_install {
                found.extend(checks::check_install_code(&entry.path, lang, &entry.data));
            }
        }
        found.extend(files::check_file(entry, manifest.as_ref()));
        if at_install {
            for f in &mut found {
                if rules::escalates(f.rule) {
                    f.severity = f.severity.raised();
                }
            }
        }
        findings.extend(found);
    }
    if let Some(m) = &manifest {
        findings.extend(checks::check_install_time(m, contents));
        if let Some(check) = options.typosquat {
            for dep in &m.dependencies {
                if let Some(verdict) = check(m.ecosystem, dep)
                    && verdict.suspect
                    && meta::strong_squat(&verdict)
                {
                    findings.push(Finding::new(
                        "typosquat-dependency",
                        &m.path,
                        None,
                        format!(
                            "depends on `{dep}`, which looks like the popular `{}`",
                            verdict.imitates.as_deref().unwrap_or("?")
                        ),
                        dep,
                    ));
                }
            }
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.rule.cmp(b.rule))
    });
    findings.dedup_by(|a, b| a.rule == b.rule && a.path == b.path && a.line == b.line);
    PackageReport {
        source: source.to_owned(),
        ecosystem: manifest.as_ref().map(|m| m.ecosystem),
        package: manifest.as_ref().and_then(Manifest::id),
        files: contents.entries.len(),
        bytes: contents.entries.iter().map(|e| e.size).sum(),
        findings,
    }
}

fn is_typescript(path: &str) -> bool {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "ts" | "tsx" | "mts" | "cts"))
}

/// `text` on one line, at most `max` characters, with `…` where cut.
pub fn shorten(text: &str, max: usize) -> String {
    let one: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one.chars().count() <= max {
        return one;
    }
    let mut out: String = one.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(ecosystem: Ecosystem, package: &str) -> PackageReport {
        PackageReport {
            source: String::new(),
            ecosystem: Some(ecosystem),
            package: Some(package.to_owned()),
            files: 0,
            bytes: 0,
            findings: Vec::new(),
        }
    }

    #[test]
    fn purls_of_audited_packages() {
        let purl = |e, p| report(e, p).purl().map(|p| p.canonical().to_owned());
        assert_eq!(
            purl(Ecosystem::Npm, "@babel/core@7.24.0").as_deref(),
            Some("pkg:npm/%40babel/core@7.24.0")
        );
        assert_eq!(
            purl(Ecosystem::Pypi, "Requests_Toolbelt@1.0.0").as_deref(),
            Some("pkg:pypi/requests-toolbelt@1.0.0")
        );
        assert_eq!(
            purl(Ecosystem::Crates, "serde@1.0.0").as_deref(),
            Some("pkg:cargo/serde@1.0.0")
        );
        assert_eq!(
            purl(Ecosystem::Rubygems, "rails@7.1.0").as_deref(),
            Some("pkg:gem/rails@7.1.0")
        );
        assert_eq!(purl(Ecosystem::Npm, "left-pad"), None);
    }
}
