//! Smaller ecosystems: PHP `composer.lock`, Dart `pubspec.lock`, Elixir `mix.lock`, Swift
//! `Package.resolved` and Conan `conan.lock`.

use std::collections::BTreeMap;

use chainwatch_sbom::{Location, Scope, pointer_token};
use serde::Deserialize;
use serde_json::Value;

use crate::context::{Context, Resolver, purl};
use crate::text::{bare_hex, lines_with_offsets};

// ---------------------------------------------------------------------------------------
// Composer

#[derive(Deserialize)]
struct ComposerLock {
    #[serde(default)]
    packages: Vec<ComposerPackage>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Vec<ComposerPackage>,
}

#[derive(Deserialize)]
struct ComposerPackage {
    name: Option<String>,
    version: Option<String>,
    source: Option<ComposerSource>,
    dist: Option<ComposerDist>,
    #[serde(default)]
    require: BTreeMap<String, String>,
    #[serde(default)]
    license: Vec<String>,
}

#[derive(Deserialize)]
struct ComposerSource {
    #[serde(rename = "type")]
    ty: Option<String>,
    url: Option<String>,
    reference: Option<String>,
}

#[derive(Deserialize)]
struct ComposerDist {
    shasum: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    url: Option<String>,
}

/// Platform requirements (`php`, `ext-json`, `lib-curl`, `composer-plugin-api`) are not
/// packages.
fn is_platform(name: &str) -> bool {
    !name.contains('/')
}

#[derive(Deserialize)]
struct ComposerManifest {
    #[serde(default)]
    require: BTreeMap<String, Value>,
    #[serde(default, rename = "require-dev")]
    require_dev: BTreeMap<String, Value>,
}

pub(crate) fn composer_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: ComposerLock = match serde_json::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.json_error(&e),
    };
    let mut names = Resolver::default();
    let mut all = Vec::new();
    for (section, list, scope) in [
        ("packages", &lock.packages, Scope::Runtime),
        ("packages-dev", &lock.packages_dev, Scope::Dev),
    ] {
        for (i, p) in list.iter().enumerate() {
            let at = || Location::pointer(format!("/{section}/{i}"));
            let (Some(name), Some(version)) = (&p.name, &p.version) else {
                cx.entry("a package without `name` or `version`", at());
                continue;
            };
            let (ns, n) = name
                .split_once('/')
                .map_or((None, name.as_str()), |(a, b)| (Some(a), b));
            let Some(j) = cx.package(purl("composer", ns, n, Some(version)), at) else {
                continue;
            };
            let pkg = cx.get(j);
            pkg.scope = scope;
            pkg.license = match p.license.as_slice() {
                [] => None,
                [one] => Some(one.clone()),
                // Composer: several licences are a choice.
                many => Some(chainwatch_license::join(
                    &many
                        .iter()
                        .map(|n| chainwatch_license::normalize(n).expression)
                        .collect::<Vec<_>>(),
                    false,
                )),
            };
            if let Some(h) = p
                .dist
                .as_ref()
                .and_then(|d| d.shasum.as_deref())
                .and_then(bare_hex)
            {
                pkg.hashes.push(h);
            }
            let path_dist = p
                .dist
                .as_ref()
                .is_some_and(|d| d.ty.as_deref() == Some("path"));
            if path_dist {
                pkg.source = p.dist.as_ref().and_then(|d| d.url.clone());
            } else if version.starts_with("dev-")
                && let Some(s) = &p.source
                && s.ty.as_deref() == Some("git")
            {
                pkg.source = s.url.as_ref().map(|u| match &s.reference {
                    Some(r) => format!("{u}#{r}"),
                    None => u.clone(),
                });
            }
            names.insert(name.to_ascii_lowercase(), j);
            all.push((j, &p.require));
        }
    }
    for (from, require) in all {
        for dep in require.keys().filter(|d| !is_platform(d)) {
            if let Some(to) = names.unique(&dep.to_ascii_lowercase()) {
                cx.edge(from, to);
            }
        }
    }
    match cx
        .sibling("composer.json")
        .and_then(|t| serde_json::from_str::<ComposerManifest>(&t).ok())
    {
        Some(m) => {
            for dep in m.require.keys().chain(m.require_dev.keys()) {
                if let Some(i) = names.unique(&dep.to_ascii_lowercase()) {
                    cx.get(i).direct = true;
                }
            }
        }
        None => cx.direct_unknown(),
    }
}

// ---------------------------------------------------------------------------------------
// Dart

#[derive(Deserialize)]
struct PubspecLock {
    #[serde(default)]
    packages: BTreeMap<String, PubPackage>,
}

#[derive(Deserialize)]
struct PubPackage {
    dependency: Option<String>,
    description: Option<Value>,
    source: Option<String>,
    version: Option<String>,
}

pub(crate) fn pubspec_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: PubspecLock = match serde_saphyr::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.yaml_error(&e),
    };
    for (name, p) in &lock.packages {
        let at = || Location::pointer(format!("/packages/{}", pointer_token(name)));
        if p.source.as_deref() == Some("sdk") {
            // Flutter SDK packages ship with the SDK, not from the registry.
            continue;
        }
        let Some(i) = cx.package(purl("pub", None, name, p.version.as_deref()), at) else {
            continue;
        };
        let desc = p.description.as_ref();
        let field = |k: &str| desc.and_then(|d| d.get(k)).and_then(Value::as_str);
        let pkg = cx.get(i);
        let dependency = p.dependency.as_deref().unwrap_or("");
        pkg.direct = dependency.starts_with("direct");
        if dependency == "direct dev" {
            pkg.scope = Scope::Dev;
        }
        if let Some(h) = field("sha256").and_then(bare_hex) {
            pkg.hashes.push(h);
        }
        match p.source.as_deref() {
            Some("git") => {
                pkg.source = field("url").map(|u| match field("resolved-ref") {
                    Some(r) => format!("{u}#{r}"),
                    None => u.to_owned(),
                });
            }
            Some("path") => {
                pkg.member = true;
                pkg.source = field("path").map(str::to_owned);
            }
            _ => {}
        }
    }
    // pubspec.lock has no dependency graph.
}

// ---------------------------------------------------------------------------------------
// Elixir

/// Splits at commas outside brackets, braces and strings.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut start = 0;
    let mut prev = 0u8;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'"' if prev != b'\\' => in_str = !in_str,
            b'[' | b'{' | b'(' if !in_str => depth += 1,
            b']' | b'}' | b')' if !in_str => depth -= 1,
            b',' if !in_str && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        prev = b;
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

pub(crate) fn mix_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let mut names = Resolver::default();
    let mut deps: Vec<(usize, Vec<String>)> = Vec::new();
    for (offset, raw) in lines_with_offsets(text) {
        let line = raw.trim();
        // `"name": {:hex, :name, "1.2.3", "inner", [:mix], [deps], "hexpm", "outer"},`
        let Some(rest) = line.strip_prefix('"') else {
            continue;
        };
        let Some((key, value)) = rest.split_once("\":") else {
            continue;
        };
        let line_no = cx.line_of(offset);
        let value = value.trim().trim_end_matches(',');
        let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) else {
            cx.entry(
                format!("`{key}` is not a `{{…}}` tuple on one line"),
                Location::line(line_no, 1),
            );
            continue;
        };
        let parts = split_top(inner);
        let at = || Location::line(line_no, 1);
        match parts.first().copied() {
            Some(":hex") => {
                let name = parts.get(1).map_or(key, |n| n.trim_start_matches(':'));
                let Some(version) = parts.get(2).map(|v| unquote(v)) else {
                    cx.entry(format!("`{key}` has no version"), at());
                    continue;
                };
                let Some(i) = cx.package(purl("hex", None, name, Some(version)), at) else {
                    continue;
                };
                let p = cx.get(i);
                p.line = Some(line_no);
                // The outer checksum is the SHA-256 of the package tarball.
                if let Some(h) = parts.get(7).map(|h| unquote(h)).and_then(bare_hex) {
                    p.hashes.push(h);
                }
                let dep_names = parts
                    .get(5)
                    .and_then(|d| d.strip_prefix('[').and_then(|d| d.strip_suffix(']')))
                    .map(|d| {
                        split_top(d)
                            .into_iter()
                            .filter_map(|t| {
                                let t = t.strip_prefix('{')?;
                                Some(split_top(t).first()?.trim_start_matches(':').to_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                names.insert(key, i);
                deps.push((i, dep_names));
            }
            Some(":git") => {
                let url = parts.get(1).map(|u| unquote(u));
                let rev = parts.get(2).map(|r| unquote(r));
                let Some(i) = cx.package(purl("hex", None, key, rev), at) else {
                    continue;
                };
                let p = cx.get(i);
                p.line = Some(line_no);
                p.source = url.map(|u| match rev {
                    Some(r) => format!("{u}#{r}"),
                    None => u.to_owned(),
                });
                names.insert(key, i);
            }
            _ => {}
        }
    }
    for (from, list) in deps {
        for d in list {
            if let Some(to) = names.unique(&d) {
                cx.edge(from, to);
            }
        }
    }
    // mix.lock does not say what mix.exs asks for directly.
    cx.direct_unknown();
}

// ---------------------------------------------------------------------------------------
// Swift

/// `https://github.com/Alamofire/Alamofire.git` → (`github.com/Alamofire`, `Alamofire`).
fn swift_coordinates(location: &str) -> Option<(String, String)> {
    let rest = location.split_once("://").map_or(location, |(_, r)| r);
    // `git@github.com:owner/repo.git`
    let rest = rest
        .rsplit_once('@')
        .map_or(rest, |(_, r)| r)
        .replacen(':', "/", 1);
    let rest = rest.trim_end_matches('/').trim_end_matches(".git");
    let (ns, name) = rest.rsplit_once('/')?;
    Some((ns.to_owned(), name.to_owned()))
}

pub(crate) fn swift_resolved(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let doc: Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => return cx.json_error(&e),
    };
    let version = doc.get("version").and_then(Value::as_i64).unwrap_or(0);
    let (pins, base) = match version {
        1 => (doc.pointer("/object/pins"), "/object/pins"),
        2 | 3 => (doc.get("pins"), "/pins"),
        v => {
            return cx.unsupported(
                format!("Package.resolved version `{v}` is not one chainwatch reads (1 to 3)"),
                Location::pointer("/version"),
            );
        }
    };
    for (i, pin) in pins
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = || Location::pointer(format!("{base}/{i}"));
        let location = pin
            .get("location")
            .or_else(|| pin.get("repositoryURL"))
            .and_then(Value::as_str);
        let state = pin.get("state");
        let revision = state
            .and_then(|s| s.get("revision"))
            .and_then(Value::as_str);
        let version = state
            .and_then(|s| s.get("version"))
            .and_then(Value::as_str)
            .or(revision);
        let Some((ns, name)) = location.and_then(swift_coordinates) else {
            cx.entry("a pin without a repository location", at());
            continue;
        };
        if pin.get("kind").and_then(Value::as_str) == Some("localSourceControl") {
            continue;
        }
        if let Some(j) = cx.package(purl("swift", Some(&ns), &name, version), at) {
            cx.get(j).source = location
                .filter(|_| {
                    state
                        .and_then(|s| s.get("version"))
                        .is_none_or(Value::is_null)
                })
                .map(str::to_owned);
        }
    }
    cx.direct_unknown();
}

// ---------------------------------------------------------------------------------------
// Conan

/// `name/version[@user/channel][#rrev][%timestamp]` as a purl builder.
fn conan_ref(r: &str) -> Option<chainwatch_purl::PurlBuilder> {
    let r = r.split('%').next()?;
    let (r, rrev) = r.split_once('#').map_or((r, None), |(a, b)| (a, Some(b)));
    let (nv, uc) = r.split_once('@').map_or((r, None), |(a, b)| (a, Some(b)));
    let (name, version) = nv.split_once('/')?;
    let mut b = purl("conan", None, name, Some(version));
    if let Some((user, channel)) = uc.and_then(|u| u.split_once('/'))
        && user != "_"
    {
        b = b.qualifier("user", user).qualifier("channel", channel);
    }
    if let Some(rev) = rrev.filter(|r| !r.is_empty()) {
        b = b.qualifier("rrev", rev);
    }
    Some(b)
}

pub(crate) fn conan_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let doc: Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => return cx.json_error(&e),
    };
    if let Some(nodes) = doc.pointer("/graph_lock/nodes").and_then(Value::as_object) {
        // Conan 1: a graph of nodes; node "0" is the consumer (the project).
        let mut at_id = BTreeMap::new();
        for (id, node) in nodes {
            let Some(r) = node.get("ref").and_then(Value::as_str) else {
                continue;
            };
            let at = || Location::pointer(format!("/graph_lock/nodes/{}", pointer_token(id)));
            let Some(b) = conan_ref(r) else {
                cx.entry(format!("`{r}` is not `name/version`"), at());
                continue;
            };
            if let Some(i) = cx.package(b, at) {
                at_id.insert(id.as_str(), i);
            }
        }
        for (id, node) in nodes {
            for (field, build) in [("requires", false), ("build_requires", true)] {
                for dep in node
                    .get(field)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let Some(&to) = at_id.get(dep) else { continue };
                    match at_id.get(id.as_str()) {
                        Some(&from) => cx.edge(from, to),
                        None => {
                            let p = cx.get(to);
                            p.direct = true;
                            if build {
                                p.scope = Scope::Build;
                            }
                        }
                    }
                }
            }
        }
        return;
    }
    // Conan 2 (lockfile 0.5): flat lists.
    for (field, scope) in [
        ("requires", Scope::Runtime),
        ("build_requires", Scope::Build),
        ("python_requires", Scope::Build),
    ] {
        for (i, r) in doc
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = || Location::pointer(format!("/{field}/{i}"));
            let Some(b) = r.as_str().and_then(conan_ref) else {
                cx.entry("a reference that is not `name/version`", at());
                continue;
            };
            if let Some(j) = cx.package(b, at) {
                cx.get(j).scope = scope;
            }
        }
    }
    cx.direct_unknown();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swift_locations() {
        assert_eq!(
            swift_coordinates("https://github.com/Alamofire/Alamofire.git"),
            Some(("github.com/Alamofire".into(), "Alamofire".into()))
        );
        assert_eq!(
            swift_coordinates("git@github.com:apple/swift-nio.git"),
            Some(("github.com/apple".into(), "swift-nio".into()))
        );
    }

    #[test]
    fn conan_refs() {
        let p = conan_ref("zlib/1.2.13#abc%1690000000.0")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(p.canonical(), "pkg:conan/zlib@1.2.13?rrev=abc");
    }

    #[test]
    fn elixir_tuples() {
        assert_eq!(
            split_top(":hex, :a, \"1,2\", [{:b, \"1\"}], \"x\""),
            vec![":hex", ":a", "\"1,2\"", "[{:b, \"1\"}]", "\"x\""]
        );
    }
}
