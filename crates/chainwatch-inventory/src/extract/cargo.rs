//! Rust: `Cargo.lock` v1 to v4, with registry, git and path sources.

use std::collections::HashMap;

use chainwatch_sbom::{Hash, HashAlg, Location};
use serde::Deserialize;

use crate::context::{Context, Resolver, purl};

#[derive(Deserialize)]
struct Lock {
    version: Option<i64>,
    #[serde(default)]
    package: Vec<Entry>,
    /// v1: `"checksum NAME VERSION (SOURCE)" = "HEX"`.
    #[serde(default)]
    metadata: HashMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Whether a source is the crates.io index (git or sparse protocol), whose packages need
/// no `repository_url`.
fn is_crates_io(source: &str) -> bool {
    if let Some(url) = source.strip_prefix("registry+") {
        url.trim_end_matches('/').ends_with("/crates.io-index")
    } else if let Some(url) = source.strip_prefix("sparse+") {
        let host = url
            .split("://")
            .nth(1)
            .unwrap_or("")
            .split('/')
            .next()
            .unwrap_or("");
        host == "index.crates.io" || host.ends_with(".crates.io")
    } else {
        false
    }
}

pub(crate) fn extract(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: Lock = match toml::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.toml_error(&e),
    };
    if let Some(v) = lock.version
        && !(1..=4).contains(&v)
    {
        return cx.unsupported(
            format!("Cargo.lock version `{v}` is not one chainwatch reads (1 to 4)"),
            Location::pointer("/version"),
        );
    }
    let lines = cx.table_lines(text, "[[package]]");
    let mut by_name = Resolver::default();
    let mut indices = Vec::with_capacity(lock.package.len());
    for (i, entry) in lock.package.iter().enumerate() {
        let line = lines.get(i).copied();
        let at = || Location::pointer(format!("/package/{i}"));
        let (Some(name), Some(version)) = (&entry.name, &entry.version) else {
            cx.entry("a package without `name` or `version`", at());
            indices.push(None);
            continue;
        };
        let mut b = purl("cargo", None, name, Some(version));
        match entry.source.as_deref() {
            Some(s) if is_crates_io(s) => {}
            Some(s) if s.starts_with("git+") => {
                // `git+https://host/repo?branch=x#REV` → `vcs_url=git+https://host/repo@REV`
                let (url, rev) = s.split_once('#').unwrap_or((s, ""));
                let url = url.split('?').next().unwrap_or(url);
                let vcs = if rev.is_empty() {
                    url.to_owned()
                } else {
                    format!("{url}@{rev}")
                };
                b = b.qualifier("vcs_url", vcs);
            }
            Some(s) => {
                let url = s.split_once('+').map_or(s, |(_, u)| u);
                b = b.qualifier("repository_url", url);
            }
            None => {}
        }
        let Some(idx) = cx.package(b, at) else {
            indices.push(None);
            continue;
        };
        let checksum = entry.checksum.clone().or_else(|| {
            let key = match &entry.source {
                Some(s) => format!("checksum {name} {version} ({s})"),
                None => format!("checksum {name} {version}"),
            };
            lock.metadata
                .get(&key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        });
        let p = cx.get(idx);
        p.line = line;
        p.source = entry.source.clone().filter(|s| !is_crates_io(s));
        // Packages without a source are the workspace's own (members and path crates).
        p.member = entry.source.is_none();
        if let Some(c) =
            checksum.filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            p.hashes.push(Hash {
                alg: HashAlg::Sha256,
                value: c.to_ascii_lowercase(),
            });
        }
        by_name.insert(name.clone(), idx);
        by_name.insert(format!("{name} {version}"), idx);
        if let Some(s) = &entry.source {
            by_name.insert(format!("{name} {version} ({s})"), idx);
        }
        indices.push(Some(idx));
    }
    let mut direct = Vec::new();
    for (i, entry) in lock.package.iter().enumerate() {
        let Some(from) = indices[i] else { continue };
        let from_member = cx.packages()[from].member;
        for (j, dep) in entry.dependencies.iter().enumerate() {
            // `name`, `name version` or `name version (source)`.
            let to = by_name.unique(dep).or_else(|| {
                let mut parts = dep.splitn(3, ' ');
                let name = parts.next()?;
                let version = parts.next()?;
                by_name.unique(&format!("{name} {version}"))
            });
            match to {
                Some(to) => {
                    cx.edge(from, to);
                    if from_member && !cx.packages()[to].member {
                        direct.push(to);
                    }
                }
                None => cx.entry(
                    format!("dependency `{dep}` names no package of the lockfile"),
                    Location::pointer(format!("/package/{i}/dependencies/{j}")),
                ),
            }
        }
    }
    for d in direct {
        cx.get(d).direct = true;
    }
}
