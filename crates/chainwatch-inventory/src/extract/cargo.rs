//! Rust: `Cargo.lock` v1 to v4, with registry, git and path sources; and the manifests of
//! crates unpacked from a registry or vendored, for what a lockfile does not record (the
//! licence).

use std::collections::HashMap;

use chainwatch_sbom::{Hash, HashAlg, Location};
use serde::Deserialize;

use crate::context::{Context, Resolver, purl};
use crate::extract::Candidate;

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

/// Whether a `Cargo.toml` is a dependency's own, not a project's: a crate as published
/// (and unpacked into `~/.cargo/registry/src`) keeps the author's manifest beside the
/// normalized one as `Cargo.toml.orig`, and `cargo vendor` writes a
/// `.cargo-checksum.json` into each crate it copies.
pub(crate) fn wants_unpacked(c: &Candidate<'_>) -> bool {
    c.name == "Cargo.toml" && is_unpacked(c)
}

/// Whether a `Cargo.lock` is a project's: not one a published crate ships (it records the
/// crate's own development builds, not what the project that vendored it uses).
pub(crate) fn wants_lock(c: &Candidate<'_>) -> bool {
    c.name == "Cargo.lock" && !is_unpacked(c)
}

fn is_unpacked(c: &Candidate<'_>) -> bool {
    !c.dir.as_os_str().is_empty()
        && (c.dir.join("Cargo.toml.orig").is_file() || c.dir.join(".cargo-checksum.json").is_file())
}

/// An unpacked or vendored crate's manifest: its name, version and `license`. Published
/// manifests are normalized (nothing inherited from a workspace); a `license-file` alone
/// gives no licence (its text is not classified).
pub(crate) fn unpacked(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let (name, version, license) = match crate::project::cargo_manifest(text) {
        Ok(Some((name, version, _, license))) => (name, version, license),
        Ok(None) => {
            return cx.entry(
                "the manifest has no `[package]`",
                Location::pointer("/package"),
            );
        }
        Err(e) => return cx.toml_error(&e),
    };
    let Some(i) = cx.package(purl("cargo", None, &name, version.as_deref()), || {
        Location::pointer("/package")
    }) else {
        return;
    };
    cx.get(i).license = license;
    cx.direct_unknown();
}

#[cfg(test)]
mod tests {
    fn read(text: &str) -> crate::FileInventory {
        crate::extract_bytes("cargo-crate", "vendor/serde/Cargo.toml", text.as_bytes())
            .expect("the extractor exists")
    }

    #[test]
    fn an_unpacked_crate_gives_its_name_version_and_licence() {
        let out = read(
            "[package]\nedition = \"2018\"\nname = \"serde\"\nversion = \"1.0.200\"\n\
             license = \"MIT OR Apache-2.0\"\n[dependencies.serde_derive]\nversion = \"1\"\n",
        );
        assert_eq!(out.packages.len(), 1);
        let p = &out.packages[0];
        assert_eq!(p.purl.canonical(), "pkg:cargo/serde@1.0.200");
        assert_eq!(p.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert!(out.diagnostics.is_empty());
    }

    #[test]
    fn a_manifest_without_a_package_or_broken_is_reported() {
        let out = read("[workspace]\nmembers = [\"a\"]\n");
        assert!(out.packages.is_empty());
        assert_eq!(out.diagnostics.len(), 1);
        let out = read("[package\nname = \"x\"");
        assert!(out.packages.is_empty());
        assert_eq!(out.diagnostics.len(), 1);
    }
}
