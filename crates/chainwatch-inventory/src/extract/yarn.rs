//! `yarn.lock`: Yarn classic (v1, its own format) and berry (v2+, YAML-like), read by one
//! indentation-aware line parser so positions are exact.

use chainwatch_sbom::{HashAlg, Location};

use crate::context::{Context, Resolver, npm_purl};
use crate::extract::javascript::manifest_deps;
use crate::text::{bare_hex, lines_with_offsets, sri};

#[derive(Debug, Default)]
struct Entry<'a> {
    line: u32,
    descriptors: Vec<String>,
    version: Option<&'a str>,
    resolved: Option<&'a str>,
    resolution: Option<&'a str>,
    integrity: Option<&'a str>,
    deps: Vec<(String, String)>,
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(s)
}

/// Splits `key value` (classic) or `key: value` (berry); the key may be quoted.
fn key_value(s: &str) -> (&str, &str) {
    let s = s.trim();
    let end = if let Some(rest) = s.strip_prefix('"') {
        rest.find('"').map_or(s.len(), |i| i + 2)
    } else {
        s.find(|c: char| c == ':' || c.is_whitespace())
            .unwrap_or(s.len())
    };
    let (k, v) = s.split_at(end);
    (unquote(k), unquote(v.trim_start_matches(':').trim()))
}

/// `name@range` → (name, range); the name may be scoped.
fn split_descriptor(d: &str) -> Option<(&str, &str)> {
    let at = d.get(1..)?.find('@')? + 1;
    Some((&d[..at], &d[at + 1..]))
}

pub(crate) fn extract(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut berry = false;
    let mut in_deps = false;
    let mut in_metadata = false;
    for (offset, line) in lines_with_offsets(text) {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            in_deps = false;
            let Some(header) = line.strip_suffix(':') else {
                let (l, c) = cx.line_col(offset);
                cx.syntax(
                    format!("expected an entry header ending with `:`, found `{line}`"),
                    Location::line(l, c),
                );
                return;
            };
            if header == "__metadata" {
                berry = true;
                in_metadata = true;
                continue;
            }
            in_metadata = false;
            // `a@^1, a@^1.1:` (berry quotes the whole list) or `"a@^1", "a@^1.1":`
            let descriptors = header
                .split(", ")
                .map(|d| d.trim().trim_matches('"').to_owned())
                .collect();
            entries.push(Entry {
                line: cx.line_of(offset),
                descriptors,
                ..Entry::default()
            });
            continue;
        }
        if in_metadata {
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            let (l, c) = cx.line_col(offset);
            cx.syntax("a field outside any entry", Location::line(l, c));
            return;
        };
        let (key, value) = key_value(line);
        if indent <= 2 {
            in_deps = false;
            match key {
                "version" => entry.version = Some(value),
                "resolved" => entry.resolved = Some(value),
                "resolution" => entry.resolution = Some(value),
                "integrity" => entry.integrity = Some(value),
                "dependencies" | "optionalDependencies" if value.is_empty() => in_deps = true,
                _ => {}
            }
        } else if in_deps {
            entry.deps.push((key.to_owned(), value.to_owned()));
        }
    }
    let mut descriptors = Resolver::default();
    let mut workspace_deps: Vec<(String, String)> = Vec::new();
    let mut indices = Vec::with_capacity(entries.len());
    for e in &entries {
        let at = || Location::line(e.line, 1);
        let first = e.descriptors.first().map_or("", String::as_str);
        if first.contains("@workspace:") || first.contains("@link:") || first.contains("@portal:") {
            if first.contains("@workspace:") {
                workspace_deps.extend(e.deps.iter().cloned());
            }
            indices.push(None);
            continue;
        }
        let Some(version) = e.version else {
            cx.entry(format!("`{first}` has no version"), at());
            indices.push(None);
            continue;
        };
        // The real name: berry's `resolution` (`real@npm:1.2.3`), else an `npm:` alias in
        // the range, else the descriptor's name.
        let name = e
            .resolution
            .and_then(|r| {
                r.find("@npm:")
                    .filter(|&i| i > 0)
                    .map(|i| r[..i].to_owned())
            })
            .or_else(|| {
                let (_, range) = split_descriptor(first)?;
                let alias = range.strip_prefix("npm:")?;
                split_descriptor(alias).map(|(n, _)| n.to_owned())
            })
            .or_else(|| split_descriptor(first).map(|(n, _)| n.to_owned()));
        let Some(name) = name else {
            cx.entry(format!("`{first}` is not `name@range`"), at());
            indices.push(None);
            continue;
        };
        let Some(idx) = cx.intern(npm_purl(&name, Some(version)), at) else {
            indices.push(None);
            continue;
        };
        let pkg = cx.get(idx);
        pkg.line.get_or_insert(e.line);
        let hash = e.integrity.and_then(sri).or_else(|| {
            e.resolved
                .and_then(|r| r.rsplit_once('#'))
                .and_then(|(_, h)| bare_hex(h))
                .filter(|h| h.alg == HashAlg::Sha1)
        });
        if let Some(h) = hash.filter(|h| !pkg.hashes.contains(h)) {
            pkg.hashes.push(h);
        }
        let source = e.resolution.or(e.resolved).filter(|r| {
            r.contains("@git")
                || r.starts_with("git")
                || r.contains("@file:")
                || r.starts_with("file:")
        });
        if let Some(s) = source {
            pkg.source = Some(s.to_owned());
        }
        for d in &e.descriptors {
            descriptors.insert(d.clone(), idx);
            if let Some(rest) = d.split_once("@npm:").map(|(n, r)| format!("{n}@{r}")) {
                descriptors.insert(rest, idx);
            }
        }
        indices.push(Some(idx));
    }
    let lookup = |name: &str, range: &str| {
        descriptors
            .unique(&format!("{name}@{range}"))
            .or_else(|| descriptors.unique(&format!("{name}@npm:{range}")))
    };
    for (e, idx) in entries.iter().zip(&indices) {
        let Some(from) = *idx else { continue };
        for (name, range) in &e.deps {
            if let Some(to) = lookup(name, range) {
                cx.edge(from, to);
            }
        }
    }
    let _ = berry;
    let declared = |cx: &Context<'_>, list: &[(String, String)]| -> Vec<usize> {
        let mut out = Vec::new();
        for (n, range) in list {
            if let Some(i) = lookup(n, range) {
                out.push(i);
                continue;
            }
            // Otherwise the only locked version of that name.
            let matches: Vec<usize> = (0..cx.packages().len())
                .filter(|&i| crate::context::npm_name(&cx.packages()[i].purl) == *n)
                .collect();
            if let [one] = matches.as_slice() {
                out.push(*one);
            }
        }
        out
    };
    match manifest_deps(cx) {
        Some((runtime, optional, dev)) => {
            let runtime = declared(cx, &runtime);
            let optional = declared(cx, &optional);
            let dev = declared(cx, &dev);
            for &i in runtime.iter().chain(&optional).chain(&dev) {
                cx.get(i).direct = true;
            }
            cx.scopes_from_roots(&runtime, &optional, &dev);
        }
        None if !workspace_deps.is_empty() => {
            let roots = declared(cx, &workspace_deps);
            for &i in &roots {
                cx.get(i).direct = true;
            }
        }
        None => cx.direct_unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert_eq!(key_value("  version \"1.2.3\""), ("version", "1.2.3"));
        assert_eq!(key_value("  version: 1.2.3"), ("version", "1.2.3"));
        assert_eq!(key_value("    \"@babel/x\" \"^7\""), ("@babel/x", "^7"));
        assert_eq!(key_value("    \"@babel/x\": ^7"), ("@babel/x", "^7"));
        assert_eq!(split_descriptor("@s/a@npm:^1"), Some(("@s/a", "npm:^1")));
    }
}
