//! Go: `go.mod` (with `replace` directives applied) and, for modules older than Go 1.17
//! whose `go.mod` does not list every module, the `go.sum` beside it.

use std::collections::{BTreeSet, HashMap};

use chainwatch_purl::PurlBuilder;
use chainwatch_sbom::Location;

use crate::context::{Context, purl};
use crate::text::lines_with_offsets;

/// `github.com/x/y/v2` → namespace `github.com/x/y`, name `v2`.
pub(crate) fn module_purl(module: &str, version: Option<&str>) -> PurlBuilder {
    match module.rsplit_once('/') {
        Some((ns, name)) => purl("golang", Some(ns), name, version),
        None => purl("golang", None, module, version),
    }
}

struct Require {
    module: String,
    version: String,
    indirect: bool,
    line: u32,
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '`')
}

pub(crate) fn go_mod(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let mut module = None;
    let mut go_version = None;
    let mut requires: Vec<Require> = Vec::new();
    // module (+ version, when the replacement is for one version) → replacement
    let mut replaces: HashMap<(String, Option<String>), (String, Option<String>)> = HashMap::new();
    let mut block: Option<String> = None;
    for (offset, raw) in lines_with_offsets(text) {
        let (code, comment) = match raw.find("//") {
            Some(i) => (&raw[..i], &raw[i + 2..]),
            None => (raw, ""),
        };
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        let line = cx.line_of(offset);
        let (verb, rest) = if let Some(b) = &block {
            if code == ")" {
                block = None;
                continue;
            }
            (b.clone(), code)
        } else {
            let (verb, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
            let rest = rest.trim();
            if rest == "(" {
                block = Some(verb.to_owned());
                continue;
            }
            (verb.to_owned(), rest)
        };
        let words: Vec<&str> = rest.split_whitespace().map(unquote).collect();
        match verb.as_str() {
            "module" => module = words.first().map(|s| (*s).to_owned()),
            "go" => go_version = words.first().map(|s| (*s).to_owned()),
            "require" => match words.as_slice() {
                [m, v] => requires.push(Require {
                    module: (*m).to_owned(),
                    version: (*v).to_owned(),
                    indirect: comment.trim().starts_with("indirect"),
                    line,
                }),
                _ => cx.entry(
                    format!("expected `MODULE VERSION`, found `{rest}`"),
                    Location::line(line, 1),
                ),
            },
            "replace" => {
                let Some(arrow) = words.iter().position(|w| *w == "=>") else {
                    cx.entry(
                        format!("a replace without `=>`: `{rest}`"),
                        Location::line(line, 1),
                    );
                    continue;
                };
                let (old, new) = words.split_at(arrow);
                let new = &new[1..];
                let key = (
                    old.first().map(|s| (*s).to_owned()).unwrap_or_default(),
                    old.get(1).map(|s| (*s).to_owned()),
                );
                let value = (
                    new.first().map(|s| (*s).to_owned()).unwrap_or_default(),
                    new.get(1).map(|s| (*s).to_owned()),
                );
                replaces.insert(key, value);
            }
            _ => {}
        }
    }
    let member = module
        .as_ref()
        .and_then(|m| cx.package(module_purl(m, None), || Location::line(1, 1)));
    if let Some(m) = member {
        cx.get(m).member = true;
    }
    let mut listed = BTreeSet::new();
    for r in &requires {
        listed.insert(r.module.clone());
        let replacement = replaces
            .get(&(r.module.clone(), Some(r.version.clone())))
            .or_else(|| replaces.get(&(r.module.clone(), None)));
        let (path, version, source) = match replacement {
            // A local directory: part of the project, not a dependency from a registry.
            Some((new, None)) if new.starts_with('.') || new.starts_with('/') => {
                (r.module.clone(), None, Some(new.clone()))
            }
            Some((new, Some(v))) => (new.clone(), Some(v.clone()), None),
            Some((new, None)) => (new.clone(), Some(r.version.clone()), None),
            None => (r.module.clone(), Some(r.version.clone()), None),
        };
        let line = r.line;
        let Some(i) = cx.package(module_purl(&path, version.as_deref()), || {
            Location::line(line, 1)
        }) else {
            continue;
        };
        let p = cx.get(i);
        p.line = Some(line);
        p.direct = !r.indirect;
        p.member = source.is_some();
        p.source = source;
        if let Some(m) = member {
            cx.edge(m, i);
        }
    }
    // Before Go 1.17, go.mod lists only direct requirements: the rest is in go.sum.
    let complete = go_version.as_deref().is_some_and(|v| {
        let mut parts = v.split('.').filter_map(|p| p.parse::<u32>().ok());
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (1, 17)
    });
    if !complete && let Some(sum) = cx.sibling("go.sum") {
        // go.sum keeps every version minimal version selection looked at: the highest
        // of each module is the one the build uses.
        let scheme = chainwatch_version::Scheme::for_purl_type("golang");
        let mut best: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
        for line in sum.lines() {
            let mut words = line.split_whitespace();
            let (Some(m), Some(v)) = (words.next(), words.next()) else {
                continue;
            };
            // Only a `go.mod` hash: the module's code was not needed.
            if v.ends_with("/go.mod") || listed.contains(m) {
                continue;
            }
            let e = best.entry(m).or_insert(v);
            if scheme.compare(v, e).is_ok_and(std::cmp::Ordering::is_gt) {
                *e = v;
            }
        }
        for (m, v) in best {
            if let Some(i) = cx.package(module_purl(m, Some(v)), Location::default)
                && let Some(member) = member
            {
                cx.edge(member, i);
            }
        }
    }
}
