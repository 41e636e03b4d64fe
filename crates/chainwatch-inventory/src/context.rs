//! What an extractor sees of the file it reads, and how it reports what it found.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chainwatch_purl::{Purl, PurlBuilder};
use chainwatch_sbom::{Code, Diagnostic, Location, Scope};

use crate::text::{self, LineIndex};
use crate::{FileInventory, Package};

/// One file being read by one extractor.
#[derive(Debug)]
pub struct Context<'a> {
    /// The file on disk.
    pub path: &'a Path,
    /// Relative to the inventoried root, `/`-separated.
    pub rel: &'a str,
    /// The file's bytes.
    pub bytes: &'a [u8],
    lines: Option<LineIndex>,
    interned: HashMap<String, usize>,
    pub(crate) out: FileInventory,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        path: &'a Path,
        rel: &'a str,
        bytes: &'a [u8],
        extractor: &'static str,
    ) -> Context<'a> {
        Context {
            path,
            rel,
            bytes,
            lines: None,
            interned: HashMap::new(),
            out: FileInventory {
                path: rel.to_owned(),
                extractor,
                packages: Vec::new(),
                edges: Vec::new(),
                knows_direct: true,
                diagnostics: Vec::new(),
            },
        }
    }

    /// The file as text (UTF-8, a byte-order mark skipped); a diagnostic when it is not.
    pub fn text(&mut self) -> Option<&'a str> {
        let bytes = self
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(self.bytes);
        match std::str::from_utf8(bytes) {
            Ok(t) => Some(t),
            Err(e) => {
                let (line, column) = self.line_col(e.valid_up_to());
                self.syntax("the file is not UTF-8 text", Location::line(line, column));
                None
            }
        }
    }

    /// Line and column (1-based) of a byte offset in the file.
    pub fn line_col(&mut self, offset: usize) -> (u32, u32) {
        self.lines
            .get_or_insert_with(|| LineIndex::new(self.bytes))
            .line_col(offset)
    }

    /// Line (1-based) of a byte offset in the file.
    pub fn line_of(&mut self, offset: usize) -> u32 {
        self.line_col(offset).0
    }

    /// Lines of each `[[header]]` table-array entry of a TOML file, in order (TOML
    /// parsers drop positions).
    pub fn table_lines(&mut self, text: &str, header: &str) -> Vec<u32> {
        let offsets: Vec<usize> = text::lines_with_offsets(text)
            .filter(|(_, l)| l.trim() == header)
            .map(|(o, _)| o)
            .collect();
        offsets.into_iter().map(|o| self.line_of(o)).collect()
    }

    /// Adds a package; returns its index for edges.
    pub fn push(&mut self, package: Package) -> usize {
        self.out.packages.push(package);
        self.out.packages.len() - 1
    }

    /// Builds a purl and adds the package, or reports the entry as unusable.
    pub fn package(&mut self, purl: PurlBuilder, location: impl Fn() -> Location) -> Option<usize> {
        match purl.build() {
            Ok(purl) => Some(self.push(Package::new(purl))),
            Err(e) => {
                self.entry(format!("cannot form a package URL: {e}"), location());
                None
            }
        }
    }

    /// Like [`Context::package`], but a package URL already added gives the same index
    /// (lockfiles that list one package under several keys).
    pub fn intern(&mut self, purl: PurlBuilder, location: impl Fn() -> Location) -> Option<usize> {
        match purl.build() {
            Ok(purl) => {
                if let Some(&i) = self.interned.get(purl.canonical()) {
                    return Some(i);
                }
                let key = purl.canonical().to_owned();
                let i = self.push(Package::new(purl));
                self.interned.insert(key, i);
                Some(i)
            }
            Err(e) => {
                self.entry(format!("cannot form a package URL: {e}"), location());
                None
            }
        }
    }

    pub fn get(&mut self, index: usize) -> &mut Package {
        &mut self.out.packages[index]
    }

    pub fn packages(&self) -> &[Package] {
        &self.out.packages
    }

    /// `from` depends on `to`.
    pub fn edge(&mut self, from: usize, to: usize) {
        if from != to {
            self.out.edges.push((from, to));
        }
    }

    /// Drops repeated edges.
    pub fn dedup_edges(&mut self) {
        self.out.edges.sort_unstable();
        self.out.edges.dedup();
    }

    /// Says that the file does not tell direct dependencies from transitive ones.
    pub fn direct_unknown(&mut self) {
        self.out.knows_direct = false;
    }

    pub fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.out.diagnostics.push(diagnostic);
    }

    /// The file cannot be parsed.
    pub fn syntax(&mut self, message: impl Into<String>, location: Location) {
        self.diagnostic(Diagnostic::error(Code::InventorySyntax, message, location));
    }

    /// One entry is unusable and skipped.
    pub fn entry(&mut self, message: impl Into<String>, location: Location) {
        self.diagnostic(Diagnostic::warning(Code::InventoryEntry, message, location));
    }

    pub fn unsupported(&mut self, message: impl Into<String>, location: Location) {
        self.diagnostic(Diagnostic::error(
            Code::InventoryUnsupported,
            message,
            location,
        ));
    }

    pub fn unpinned(&mut self, message: impl Into<String>, location: Location) {
        self.diagnostic(Diagnostic::warning(
            Code::InventoryUnpinned,
            message,
            location,
        ));
    }

    /// A JSON syntax error as a diagnostic.
    pub fn json_error(&mut self, e: &serde_json::Error) {
        let line = u32::try_from(e.line()).unwrap_or(u32::MAX);
        let column = u32::try_from(e.column()).unwrap_or(u32::MAX);
        self.syntax(format!("invalid JSON: {e}"), Location::line(line, column));
    }

    /// A TOML syntax error as a diagnostic.
    pub fn toml_error(&mut self, e: &toml::de::Error) {
        let (line, column) = e.span().map_or((0, 0), |span| self.line_col(span.start));
        let message = e.message().to_owned();
        self.syntax(
            format!("invalid TOML: {message}"),
            Location::line(line, column),
        );
    }

    /// A YAML syntax error as a diagnostic.
    pub fn yaml_error(&mut self, e: &serde_saphyr::Error) {
        let (line, column) = chainwatch_sbom::yaml_location(e);
        self.syntax(format!("invalid YAML: {e}"), Location::line(line, column));
    }

    /// Reads a file next to this one (`package.json` beside `yarn.lock`), if there is one.
    pub fn sibling(&self, name: &str) -> Option<String> {
        text::read_small(&self.sibling_path(name)).ok()
    }

    /// The inventoried root: the file's path without its relative part.
    pub fn tree_root(&self) -> PathBuf {
        let depth = self.rel.split('/').filter(|s| !s.is_empty()).count();
        self.path
            .ancestors()
            .nth(depth)
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    pub fn sibling_path(&self, name: &str) -> PathBuf {
        self.path
            .parent()
            .map_or_else(|| PathBuf::from(name), |p| p.join(name))
    }

    /// Assigns scopes by reachability: what the runtime roots reach is runtime, what only
    /// the optional roots reach is optional, what only the dev roots reach is dev.
    /// Packages no root reaches keep their scope.
    pub fn scopes_from_roots(&mut self, runtime: &[usize], optional: &[usize], dev: &[usize]) {
        let n = self.out.packages.len();
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b) in &self.out.edges {
            adj[a].push(b);
        }
        let mut assigned = vec![false; n];
        for (roots, scope) in [
            (runtime, Scope::Runtime),
            (optional, Scope::Optional),
            (dev, Scope::Dev),
        ] {
            let mut stack: Vec<usize> = roots.iter().copied().filter(|&r| r < n).collect();
            while let Some(i) = stack.pop() {
                if assigned[i] {
                    continue;
                }
                assigned[i] = true;
                if !self.out.packages[i].member {
                    self.out.packages[i].scope = scope;
                }
                stack.extend(adj[i].iter().copied().filter(|&j| !assigned[j]));
            }
        }
    }
}

/// Indexes packages by a key (name, `name@version`…) to resolve dependency references.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    map: HashMap<String, Vec<usize>>,
}

impl Resolver {
    pub(crate) fn insert(&mut self, key: impl Into<String>, index: usize) {
        let v = self.map.entry(key.into()).or_default();
        if !v.contains(&index) {
            v.push(index);
        }
    }

    /// The package a key names, when exactly one does.
    pub(crate) fn unique(&self, key: &str) -> Option<usize> {
        match self.map.get(key).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }

    pub(crate) fn all(&self, key: &str) -> &[usize] {
        self.map.get(key).map_or(&[], Vec::as_slice)
    }
}

/// A builder for the purl of `ty` with an optional namespace.
pub(crate) fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
) -> PurlBuilder {
    let mut b = Purl::builder(ty, name);
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        b = b.namespace(ns);
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        b = b.version(v);
    }
    b
}

/// An npm purl builder from a package name that may carry a scope (`@babel/core`).
pub(crate) fn npm_purl(name: &str, version: Option<&str>) -> PurlBuilder {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, n)) => purl("npm", Some(&format!("@{scope}")), n, version),
        None => purl("npm", None, name, version),
    }
}

/// The npm-style name of a purl: `@scope/name` or `name`.
pub(crate) fn npm_name(purl: &Purl) -> String {
    match purl.namespace() {
        Some(ns) => format!("{ns}/{}", purl.name()),
        None => purl.name().to_owned(),
    }
}
