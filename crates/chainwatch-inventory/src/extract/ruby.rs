//! Ruby: `Gemfile.lock` / `gems.locked` (Bundler): `GEM`, `GIT` and `PATH` sources,
//! platform-specific gems, `DEPENDENCIES` (direct) and `CHECKSUMS`; installed gems'
//! specifications and a project's gemspec, read for their literal name, version and
//! licences (never run).

use std::collections::HashMap;

use chainwatch_sbom::Location;

use crate::context::{Context, Resolver, purl};
use crate::text::{lines_with_offsets, prefixed_hex};

/// `name (1.2.3-x86_64-linux)` → (name, version, platform).
fn spec(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let s = s.trim();
    let Some((name, rest)) = s.split_once(" (") else {
        return Some((s.trim_end_matches('!'), None, None));
    };
    let inner = rest.strip_suffix(')')?;
    // Gem versions have no `-`: what follows one is the platform.
    let (version, platform) = match inner.split_once('-') {
        Some((v, p)) => (v, Some(p)),
        None => (inner, None),
    };
    Some((name, Some(version), platform))
}

pub(crate) fn extract(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let mut section = "";
    let mut remote: Option<String> = None;
    let mut revision: Option<String> = None;
    let mut names = Resolver::default();
    let mut current: Option<usize> = None;
    let mut deps: Vec<(usize, String, u32)> = Vec::new();
    let mut direct: Vec<String> = Vec::new();
    let mut checksums: HashMap<String, String> = HashMap::new();
    for (offset, line) in lines_with_offsets(text) {
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let content = line.trim();
        let line_no = cx.line_of(offset);
        if indent == 0 {
            section = content;
            remote = None;
            revision = None;
            current = None;
            continue;
        }
        match section {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                if indent == 2 {
                    if let Some(r) = content.strip_prefix("remote:") {
                        remote = Some(r.trim().to_owned());
                    } else if let Some(r) = content.strip_prefix("revision:") {
                        revision = Some(r.trim().to_owned());
                    }
                } else if indent == 4 {
                    let Some((name, Some(version), platform)) = spec(content) else {
                        cx.entry(
                            format!("expected `NAME (VERSION)`, found `{content}`"),
                            Location::line(line_no, 5),
                        );
                        current = None;
                        continue;
                    };
                    let mut b = purl("gem", None, name, Some(version));
                    if let Some(p) = platform {
                        b = b.qualifier("platform", p);
                    }
                    current = cx.package(b, || Location::line(line_no, 5));
                    if let Some(i) = current {
                        let p = cx.get(i);
                        p.line = Some(line_no);
                        match section {
                            "GIT" => {
                                p.source = remote.as_ref().map(|r| match &revision {
                                    Some(rev) => format!("{r}#{rev}"),
                                    None => r.clone(),
                                });
                            }
                            "PATH" => {
                                p.member = true;
                                p.source.clone_from(&remote);
                            }
                            _ => {}
                        }
                        names.insert(name, i);
                    }
                } else if indent == 6
                    && let Some(from) = current
                    && let Some((dep, _, _)) = spec(content)
                {
                    deps.push((from, dep.to_owned(), line_no));
                }
            }
            "DEPENDENCIES" if indent == 2 => {
                if let Some((name, _, _)) = spec(content) {
                    direct.push(name.trim_end_matches('!').to_owned());
                }
            }
            "CHECKSUMS" if indent == 2 => {
                if let Some((head, sum)) = content.rsplit_once(' ')
                    && let Some(h) = prefixed_hex(sum)
                {
                    checksums.insert(head.to_owned(), h.value);
                }
            }
            _ => {}
        }
    }
    for (from, dep, _) in deps {
        // Platform variants share a name: depend on each.
        for &to in &names.all(&dep).to_vec() {
            cx.edge(from, to);
        }
    }
    for name in direct {
        for &i in &names.all(&name).to_vec() {
            if !cx.packages()[i].member {
                cx.get(i).direct = true;
            }
        }
    }
    if !checksums.is_empty() {
        for i in 0..cx.packages().len() {
            let p = &cx.packages()[i];
            let mut head = format!("{} ({}", p.purl.name(), p.purl.version().unwrap_or(""));
            if let Some(pl) = p.purl.qualifier("platform") {
                head.push('-');
                head.push_str(pl);
            }
            head.push(')');
            if let Some(v) = checksums.get(&head).cloned() {
                cx.get(i).hashes.push(chainwatch_sbom::Hash {
                    alg: chainwatch_sbom::HashAlg::Sha256,
                    value: v,
                });
            }
        }
    }
}

/// What a gemspec states literally. Nothing is evaluated: a value Ruby code computes
/// (`Acme::VERSION`, an interpolated string) is not known.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Gemspec {
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) licenses: Vec<String>,
    /// The line that names the gem.
    pub(crate) line: Option<u32>,
}

impl Gemspec {
    /// The licence as an SPDX expression: several are a choice (a dual-licensed gem
    /// lists each of its licences).
    pub(crate) fn license(&self) -> Option<String> {
        let expressions: Vec<String> = self
            .licenses
            .iter()
            .map(|l| chainwatch_license::normalize(l).expression)
            .collect();
        (!expressions.is_empty()).then(|| chainwatch_license::join(&expressions, false))
    }
}

/// One Ruby string literal at the start of `s` (single- or double-quoted, an optional
/// `.freeze` after it): its value and the rest. A double-quoted string that
/// interpolates (`#{…}`) is computed, not stated.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let mut value = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars.next()?;
                match (quote, escaped) {
                    ('"', 'n') => value.push('\n'),
                    ('"', 't') => value.push('\t'),
                    ('\'', c) if c != '\\' && c != '\'' => {
                        value.push('\\');
                        value.push(c);
                    }
                    (_, c) => value.push(c),
                }
            }
            '#' if quote == '"' && s[1 + i + 1..].starts_with('{') => return None,
            c if c == quote => {
                let rest = &s[1 + i + 1..];
                let rest = rest.strip_prefix(".freeze").unwrap_or(rest);
                return Some((value, rest));
            }
            c => value.push(c),
        }
    }
    None
}

/// The strings of `s`: one literal, an array of literals, or `%w[…]` words; `None`
/// when it is anything else (code).
fn string_values(s: &str) -> Option<Vec<String>> {
    let s = s.trim();
    if let Some(words) = s.strip_prefix("%w") {
        let close = match words.chars().next()? {
            '[' => ']',
            '(' => ')',
            '{' => '}',
            '<' => '>',
            _ => return None,
        };
        let (inner, _) = words[1..].split_once(close)?;
        return Some(inner.split_whitespace().map(str::to_owned).collect());
    }
    if let Some(mut rest) = s.strip_prefix('[') {
        let mut values = Vec::new();
        loop {
            rest = rest.trim_start();
            if rest.starts_with(']') {
                return Some(values);
            }
            let (value, after) = string_literal(rest)?;
            values.push(value);
            rest = after.trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
    }
    let (value, rest) = string_literal(s)?;
    let rest = rest.trim();
    // `s.installed_by_version = "3.5.3" if s.respond_to? …`: the statement is what counts.
    (rest.is_empty() || rest.starts_with('#') || rest.starts_with("if ")).then(|| vec![value])
}

/// Reads a gemspec: the specification RubyGems writes for an installed gem
/// (`specifications/NAME-VERSION.gemspec`) or one a project writes by hand.
pub(crate) fn gemspec(text: &str) -> Gemspec {
    let mut spec = Gemspec::default();
    // The variable the block names (`Gem::Specification.new do |s|`).
    let var = text
        .split_once("Gem::Specification.new")
        .and_then(|(_, rest)| rest.split_once('|'))
        .and_then(|(_, rest)| rest.split_once('|'))
        .map(|(v, _)| v.trim())
        .filter(|v| !v.is_empty() && v.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()));
    let mut stub: Option<(String, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        // RubyGems' header: `# stub: NAME VERSION PLATFORM REQUIRE_PATHS`.
        if let Some(rest) = line.strip_prefix("# stub: ") {
            let mut words = rest.split_whitespace();
            if let (Some(name), Some(version), None) = (words.next(), words.next(), &stub) {
                stub = Some((name.to_owned(), version.to_owned()));
            }
            continue;
        }
        let Some((target, value)) = line.split_once('=') else {
            continue;
        };
        if value.starts_with(['=', '~']) {
            continue;
        }
        let Some((object, field)) = target.trim().split_once('.') else {
            continue;
        };
        if var.is_some_and(|v| v != object) {
            continue;
        }
        let Some(values) = string_values(value) else {
            continue;
        };
        match field.trim() {
            "name" if values.len() == 1 => {
                spec.name = values.into_iter().next();
                spec.line = u32::try_from(n + 1).ok();
            }
            "version" if values.len() == 1 => spec.version = values.into_iter().next(),
            "license" | "licenses" => {
                spec.licenses = values
                    .into_iter()
                    .filter(|l| !l.trim().is_empty())
                    .collect();
            }
            _ => {}
        }
    }
    if let Some((name, version)) = stub {
        spec.name.get_or_insert(name);
        spec.version.get_or_insert(version);
        spec.line.get_or_insert(1);
    }
    spec
}

/// An installed gem's specification (`…/specifications/NAME-VERSION.gemspec`).
pub(crate) fn installed(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let spec = gemspec(text);
    let (Some(name), Some(version)) = (&spec.name, &spec.version) else {
        cx.entry(
            "the specification states no literal `name` and `version`",
            Location::line(1, 1),
        );
        return;
    };
    let line = spec.line.unwrap_or(1);
    let Some(i) = cx.package(purl("gem", None, name, Some(version)), || {
        Location::line(line, 1)
    }) else {
        return;
    };
    let p = cx.get(i);
    p.license = spec.license();
    p.line = Some(line);
    cx.direct_unknown();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemspecs_are_read_without_running_them() {
        let installed = r#"# -*- encoding: utf-8 -*-
# stub: rake 13.2.1 ruby lib

Gem::Specification.new do |s|
  s.name = "rake".freeze
  s.version = "13.2.1".freeze

  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2".freeze) if s.respond_to? :required_rubygems_version=
  s.authors = ["Hiroshi SHIBATA".freeze, "Eric Hodel".freeze]
  s.licenses = ["MIT".freeze]
  s.installed_by_version = "3.5.3".freeze if s.respond_to? :installed_by_version
end
"#;
        let spec = gemspec(installed);
        assert_eq!(spec.name.as_deref(), Some("rake"));
        assert_eq!(spec.version.as_deref(), Some("13.2.1"));
        assert_eq!(spec.license().as_deref(), Some("MIT"));
        assert_eq!(spec.line, Some(5));

        let project = r#"require_relative "lib/acme/version"

Gem::Specification.new do |spec|
  spec.name          = 'acme-widgets'
  spec.version       = Acme::VERSION
  spec.summary       = "Widgets #{Acme::VERSION}"
  spec.licenses      = %w[Ruby BSD-2-Clause]
  spec.add_dependency "rack", "~> 3.0"
end
"#;
        let spec = gemspec(project);
        assert_eq!(spec.name.as_deref(), Some("acme-widgets"));
        assert_eq!(spec.version, None);
        assert_eq!(spec.license().as_deref(), Some("Ruby OR BSD-2-Clause"));

        // Computed values are not known; nothing else is mistaken for a field.
        let computed = "Gem::Specification.new do |s|\n  s.name = NAME\n  s.license = \"GPL-#{v}\"\n  other.name = \"x\"\n  s.version == \"1\"\nend\n";
        assert_eq!(gemspec(computed), Gemspec::default());
    }
}
