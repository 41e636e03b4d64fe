//! JavaScript: `package-lock.json` / `npm-shrinkwrap.json` (v1, v2, v3, workspaces,
//! aliases, bundled), `pnpm-lock.yaml` (v5 to v9) and `bun.lock`.

use std::collections::{BTreeMap, HashMap};

use chainwatch_sbom::{Location, Scope, pointer_token};
use serde::Deserialize;
use serde_json::Value;

use crate::context::{Context, Resolver, npm_purl};
use crate::text::sri;

type Deps = BTreeMap<String, String>;
type Refs = BTreeMap<String, Value>;

/// A dependency the `package.json` beside a lockfile declares: name and range.
pub(crate) type Declared = Vec<(String, String)>;

/// Root dependencies declared by the `package.json` beside a lockfile: (runtime,
/// optional, dev).
pub(crate) fn manifest_deps(cx: &Context<'_>) -> Option<(Declared, Declared, Declared)> {
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct Manifest {
        #[serde(default)]
        dependencies: Deps,
        #[serde(default)]
        optional_dependencies: Deps,
        #[serde(default)]
        dev_dependencies: Deps,
        #[serde(default)]
        peer_dependencies: Deps,
    }
    let text = cx.sibling("package.json")?;
    let m: Manifest = serde_json::from_str(&text).ok()?;
    let runtime = m
        .dependencies
        .into_iter()
        .chain(m.peer_dependencies)
        .collect();
    Some((
        runtime,
        m.optional_dependencies.into_iter().collect(),
        m.dev_dependencies.into_iter().collect(),
    ))
}

/// A version as npm writes it: an `npm:` alias gives the real name; a git or tarball URL
/// gives the commit (or nothing) and a source.
struct Resolved {
    name: String,
    version: Option<String>,
    source: Option<String>,
}

fn resolve_version(name: &str, version: &str, resolved: Option<&str>) -> Resolved {
    if let Some(alias) = version.strip_prefix("npm:") {
        // `npm:real-name@1.2.3`
        if let Some(at) = alias.rfind('@').filter(|&i| i > 0) {
            return Resolved {
                name: alias[..at].to_owned(),
                version: Some(alias[at + 1..].to_owned()),
                source: None,
            };
        }
    }
    let is_url = |v: &str| {
        v.contains("://")
            || [
                "git+",
                "git:",
                "github:",
                "gitlab:",
                "bitbucket:",
                "file:",
                "link:",
            ]
            .iter()
            .any(|p| v.starts_with(p))
    };
    if is_url(version) {
        let commit = version
            .rsplit_once('#')
            .map(|(_, c)| c)
            .filter(|c| c.len() >= 7 && c.bytes().all(|b| b.is_ascii_hexdigit()));
        return Resolved {
            name: name.to_owned(),
            version: commit.map(str::to_owned),
            source: Some(version.to_owned()),
        };
    }
    let source = resolved
        .filter(|r| is_url(r) && !(r.starts_with("http://") || r.starts_with("https://")))
        .map(str::to_owned);
    Resolved {
        name: name.to_owned(),
        version: Some(version.to_owned()),
        source,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NpmLock {
    lockfile_version: Option<Value>,
    packages: Option<BTreeMap<String, NpmPackage>>,
    dependencies: Option<BTreeMap<String, V1Dep>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_excessive_bools)] // the lockfile's own flags
struct NpmPackage {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dev_optional: bool,
    #[serde(default)]
    dependencies: Deps,
    #[serde(default)]
    optional_dependencies: Deps,
    #[serde(default)]
    peer_dependencies: Deps,
    #[serde(default)]
    dev_dependencies: Deps,
    license: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Dep {
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    requires: Deps,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Dep>,
}

pub(crate) fn npm_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: NpmLock = match serde_json::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.json_error(&e),
    };
    let version = lock.lockfile_version.as_ref().and_then(Value::as_i64);
    if let Some(v) = version
        && !(1..=3).contains(&v)
    {
        return cx.unsupported(
            format!("lockfileVersion `{v}` is not one chainwatch reads (1 to 3)"),
            Location::pointer("/lockfileVersion"),
        );
    }
    match (lock.packages, lock.dependencies) {
        (Some(packages), _) => {
            npm_v2(cx, &packages);
        }
        (None, Some(deps)) => npm_v1(cx, &deps),
        (None, None) => {}
    }
}

fn license_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// The package name a `node_modules` path installs (`a/node_modules/@s/b` → `@s/b`).
fn name_from_path(path: &str) -> &str {
    path.rsplit_once("node_modules/").map_or(path, |(_, n)| n)
}

/// Reads the packages of a lockfile's `packages` map (or the same map made from an
/// installed tree); returns the package index of each path.
fn npm_v2<'p>(
    cx: &mut Context<'_>,
    packages: &'p BTreeMap<String, NpmPackage>,
) -> HashMap<&'p str, usize> {
    let mut at_path: HashMap<&str, usize> = HashMap::new();
    let mut links: Vec<(&str, &str)> = Vec::new();
    for (path, p) in packages {
        let at = || Location::pointer(format!("/packages/{}", pointer_token(path)));
        if p.link {
            if let Some(target) = &p.resolved {
                links.push((path, target));
            }
            continue;
        }
        let member = !path.contains("node_modules/");
        let installed = name_from_path(path);
        let Some(raw_name) = p.name.as_deref().or((!member).then_some(installed)) else {
            // The root without a name: the subject stands for it.
            continue;
        };
        let Some(version) = p.version.as_deref() else {
            if !member {
                cx.entry(format!("`{path}` has no version"), at());
            }
            continue;
        };
        let r = resolve_version(raw_name, version, p.resolved.as_deref());
        let Some(idx) = cx.package(npm_purl(&r.name, r.version.as_deref()), at) else {
            continue;
        };
        let pkg = cx.get(idx);
        pkg.member = member;
        pkg.source = r.source;
        pkg.scope = if p.dev || p.dev_optional {
            Scope::Dev
        } else if p.optional {
            Scope::Optional
        } else {
            Scope::Runtime
        };
        pkg.hashes.extend(p.integrity.as_deref().and_then(sri));
        pkg.license = license_of(p.license.as_ref());
        at_path.insert(path.as_str(), idx);
    }
    for (link, target) in links {
        if let Some(&idx) = at_path.get(target) {
            at_path.insert(link, idx);
        }
    }
    // Node's resolution: `P/node_modules/D`, then each ancestor's `node_modules/D`.
    let resolve = |from: &str, dep: &str| -> Option<usize> {
        let mut base = from;
        loop {
            let candidate = if base.is_empty() {
                format!("node_modules/{dep}")
            } else {
                format!("{base}/node_modules/{dep}")
            };
            if let Some(&i) = at_path.get(candidate.as_str()) {
                return Some(i);
            }
            if base.is_empty() {
                return None;
            }
            base = match base.rfind("/node_modules/") {
                Some(i) => &base[..i],
                None if base.starts_with("node_modules/") => "",
                // A workspace member: its ancestors are the root.
                None => "",
            };
        }
    };
    let mut edges = Vec::new();
    let mut direct = Vec::new();
    for (path, p) in packages {
        if p.link {
            continue;
        }
        let from = at_path.get(path.as_str()).copied();
        let member = !path.contains("node_modules/");
        let all = p
            .dependencies
            .keys()
            .chain(p.optional_dependencies.keys())
            .chain(p.peer_dependencies.keys())
            .chain(p.dev_dependencies.keys().filter(|_| member));
        for dep in all {
            let Some(to) = resolve(path, dep) else {
                // Optional and peer dependencies need not be installed.
                continue;
            };
            if let Some(from) = from {
                edges.push((from, to));
            }
            if member {
                direct.push(to);
            }
        }
    }
    for (a, b) in edges {
        cx.edge(a, b);
    }
    for d in direct {
        if !cx.packages()[d].member {
            cx.get(d).direct = true;
        }
    }
    at_path
}

/// Most packages one `node_modules` tree is read for.
const INSTALLED_LIMIT: usize = 200_000;

/// An installed `node_modules` tree without a lockfile: each package's `package.json`,
/// nested `node_modules` for the graph (Node's resolution), the `package.json` beside the
/// tree (when there is one) for the direct dependencies and their scopes. Symbolic links
/// are not followed.
pub(crate) fn installed(cx: &mut Context<'_>) {
    let root = cx.path.to_path_buf();
    let owner = root.parent().map(|p| p.join("package.json"));
    // Where each package's manifest is, relative to the inventoried root.
    let prefix = cx
        .rel
        .rsplit_once('/')
        .map_or(String::new(), |(dir, _)| format!("{dir}/"));
    let mut packages: BTreeMap<String, NpmPackage> = BTreeMap::new();
    let manifest = |cx: &mut Context<'_>, path: &std::path::Path, key: &str| {
        let text = crate::text::read_small(path).ok()?;
        match serde_json::from_str::<InstalledManifest>(&text) {
            Ok(m) => Some(m.into_package()),
            Err(e) => {
                cx.entry(
                    format!("`{prefix}{key}/package.json` is not a package manifest: {e}"),
                    Location::line(
                        u32::try_from(e.line()).unwrap_or(u32::MAX),
                        u32::try_from(e.column()).unwrap_or(u32::MAX),
                    ),
                );
                None
            }
        }
    };
    let has_owner = owner.as_deref().is_some_and(std::path::Path::is_file);
    let mut owner_deps = None;
    if let Some(owner) = owner.as_deref().filter(|_| has_owner)
        && let Some(p) = manifest(cx, owner, "")
    {
        owner_deps = Some((
            p.dependencies
                .keys()
                .chain(p.peer_dependencies.keys())
                .cloned()
                .collect::<Vec<_>>(),
            p.optional_dependencies.keys().cloned().collect::<Vec<_>>(),
            p.dev_dependencies.keys().cloned().collect::<Vec<_>>(),
        ));
        packages.insert(String::new(), p);
    }
    // (directory on disk, its key: `node_modules/a/node_modules`)
    let mut stack = vec![(root, "node_modules".to_owned())];
    let mut truncated = false;
    while let Some((dir, key)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut found = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if name.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if name.starts_with('@') {
                // A scope: its packages are one level down.
                let Ok(scoped) = std::fs::read_dir(entry.path()) else {
                    continue;
                };
                for s in scoped.filter_map(Result::ok) {
                    if let Some(n) = s.file_name().to_str()
                        && s.file_type().is_ok_and(|t| t.is_dir())
                    {
                        found.push((s.path(), format!("{name}/{n}")));
                    }
                }
            } else {
                found.push((entry.path(), name));
            }
        }
        for (path, name) in found {
            if packages.len() >= INSTALLED_LIMIT {
                truncated = true;
                break;
            }
            let key = format!("{key}/{name}");
            let Some(p) = manifest(cx, &path.join("package.json"), &key) else {
                continue;
            };
            packages.insert(key.clone(), p);
            let nested = path.join("node_modules");
            if std::fs::symlink_metadata(&nested).is_ok_and(|m| m.is_dir()) {
                stack.push((nested, format!("{key}/node_modules")));
            }
        }
    }
    if truncated {
        cx.unsupported(
            format!("more than {INSTALLED_LIMIT} installed packages: the rest are not read"),
            Location::default(),
        );
    }
    let at_path = npm_v2(cx, &packages);
    for (key, &i) in &at_path {
        let file = if key.is_empty() {
            format!("{prefix}package.json")
        } else {
            format!("{prefix}{key}/package.json")
        };
        cx.get(i).file = Some(file);
    }
    match owner_deps {
        Some((runtime, optional, dev)) => {
            let roots = |names: &[String]| -> Vec<usize> {
                names
                    .iter()
                    .filter_map(|n| at_path.get(format!("node_modules/{n}").as_str()).copied())
                    .collect()
            };
            let (runtime, optional, dev) = (roots(&runtime), roots(&optional), roots(&dev));
            cx.scopes_from_roots(&runtime, &optional, &dev);
            // Installed without being asked for by anything (extraneous, or by hand):
            // still installed, so it hangs from the project.
            let mut required = vec![false; cx.packages().len()];
            for &(_, to) in &cx.out.edges {
                required[to] = true;
            }
            for (i, required) in required.into_iter().enumerate() {
                if !required && !cx.packages()[i].member {
                    cx.get(i).direct = true;
                }
            }
        }
        // A global prefix: what is installed there is what was asked for.
        None => cx.direct_unknown(),
    }
    cx.dedup_edges();
}

/// An installed package's `package.json`, leniently: fields of the wrong type are
/// ignored rather than losing the package.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct InstalledManifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default, deserialize_with = "lenient_deps")]
    dependencies: Deps,
    #[serde(default, deserialize_with = "lenient_deps")]
    optional_dependencies: Deps,
    #[serde(default, deserialize_with = "lenient_deps")]
    peer_dependencies: Deps,
    #[serde(default, deserialize_with = "lenient_deps")]
    dev_dependencies: Deps,
    license: Option<Value>,
    /// What npm before 7 recorded in the installed copy.
    #[serde(rename = "_integrity")]
    integrity: Option<String>,
    #[serde(rename = "_resolved")]
    resolved: Option<String>,
}

impl InstalledManifest {
    fn into_package(self) -> NpmPackage {
        NpmPackage {
            name: self.name,
            version: self.version,
            resolved: self.resolved,
            integrity: self.integrity,
            dependencies: self.dependencies,
            optional_dependencies: self.optional_dependencies,
            peer_dependencies: self.peer_dependencies,
            dev_dependencies: self.dev_dependencies,
            license: self.license,
            ..NpmPackage::default()
        }
    }
}

/// A dependency map whose values are strings; anything else (an array, a number) is
/// taken as no dependencies.
fn lenient_deps<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Deps, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Object(o) => o
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
            .collect(),
        _ => Deps::new(),
    })
}

fn npm_v1(cx: &mut Context<'_>, deps: &BTreeMap<String, V1Dep>) {
    // Flatten the nesting: each entry knows its parent, to resolve `requires` upwards.
    struct Node<'a> {
        name: &'a str,
        dep: &'a V1Dep,
        parent: Option<usize>,
        pointer: String,
    }
    let mut nodes: Vec<Node<'_>> = Vec::new();
    let mut stack: Vec<(&BTreeMap<String, V1Dep>, Option<usize>, String)> =
        vec![(deps, None, "/dependencies".to_owned())];
    while let Some((map, parent, base)) = stack.pop() {
        for (name, dep) in map {
            let pointer = format!("{base}/{}", pointer_token(name));
            nodes.push(Node {
                name,
                dep,
                parent,
                pointer: pointer.clone(),
            });
            if !dep.dependencies.is_empty() {
                stack.push((
                    &dep.dependencies,
                    Some(nodes.len() - 1),
                    format!("{pointer}/dependencies"),
                ));
            }
        }
    }
    let mut children: HashMap<(Option<usize>, &str), usize> = HashMap::new();
    let mut index = vec![None; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        children.insert((n.parent, n.name), i);
        let Some(version) = n.dep.version.as_deref() else {
            cx.entry(
                format!("`{}` has no version", n.name),
                Location::pointer(n.pointer.clone()),
            );
            continue;
        };
        let r = resolve_version(n.name, version, n.dep.resolved.as_deref());
        let pointer = n.pointer.clone();
        let Some(idx) = cx.package(npm_purl(&r.name, r.version.as_deref()), || {
            Location::pointer(pointer.clone())
        }) else {
            continue;
        };
        let pkg = cx.get(idx);
        pkg.source = r.source;
        pkg.scope = if n.dep.dev {
            Scope::Dev
        } else if n.dep.optional {
            Scope::Optional
        } else {
            Scope::Runtime
        };
        pkg.hashes.extend(n.dep.integrity.as_deref().and_then(sri));
        index[i] = Some(idx);
    }
    for (i, n) in nodes.iter().enumerate() {
        let Some(from) = index[i] else { continue };
        for req in n.dep.requires.keys() {
            // Own nested dependencies first, then each ancestor's, then the top level.
            let mut scope = Some(i);
            let found = loop {
                if let Some(&j) = children.get(&(scope, req.as_str())) {
                    break Some(j);
                }
                match scope {
                    Some(s) => scope = nodes[s].parent,
                    None => break None,
                }
            };
            if let Some(to) = found.and_then(|j| index[j]) {
                cx.edge(from, to);
            }
        }
    }
    match manifest_deps(cx) {
        Some((runtime, optional, dev)) => {
            let top: Vec<usize> = runtime
                .iter()
                .chain(&optional)
                .chain(&dev)
                .filter_map(|(name, _)| {
                    children.get(&(None, name.as_str())).and_then(|&j| index[j])
                })
                .collect();
            for t in top {
                cx.get(t).direct = true;
            }
        }
        None => cx.direct_unknown(),
    }
}

// ---------------------------------------------------------------------------------------
// pnpm

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PnpmLock {
    lockfile_version: Option<Value>,
    importers: Option<BTreeMap<String, Importer>>,
    #[serde(flatten)]
    root: Importer,
    #[serde(default)]
    packages: BTreeMap<String, PnpmPackage>,
    #[serde(default)]
    snapshots: BTreeMap<String, PnpmSnapshot>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Importer {
    #[serde(default)]
    dependencies: BTreeMap<String, Value>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Value>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PnpmPackage {
    name: Option<String>,
    version: Option<String>,
    resolution: Option<Resolution>,
    #[serde(default)]
    dependencies: BTreeMap<String, Value>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PnpmSnapshot {
    #[serde(default)]
    dependencies: BTreeMap<String, Value>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Value>,
}

#[derive(Deserialize, Default)]
struct Resolution {
    integrity: Option<String>,
    tarball: Option<String>,
    repo: Option<String>,
    commit: Option<String>,
}

/// A reference value: `1.2.3`, `{specifier, version}` (v6+).
fn ref_version(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("version").and_then(Value::as_str),
        _ => None,
    }
}

/// Strips pnpm's peer-dependency suffix: `(react@18.0.0)` (v6+) or `_react@18.0.0` (v5).
fn strip_peers(v: &str, v5: bool) -> &str {
    let v = v.split('(').next().unwrap_or(v);
    if v5 {
        v.split('_').next().unwrap_or(v)
    } else {
        v
    }
}

/// Splits a package key into name and version: `/@s/a/1.0.0` (v5), `/@s/a@1.0.0(p@1)`
/// (v6–v8), `@s/a@1.0.0` (v9).
fn split_key(key: &str, v5: bool) -> Option<(&str, &str)> {
    let k = strip_peers(key.trim_start_matches('/'), v5);
    if v5 {
        let (n, v) = k.rsplit_once('/')?;
        Some((n, v))
    } else {
        let at = k.rfind('@').filter(|&i| i > 0)?;
        Some((&k[..at], &k[at + 1..]))
    }
}

pub(crate) fn pnpm_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: PnpmLock = match serde_saphyr::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.yaml_error(&e),
    };
    let version: f64 = match &lock.lockfile_version {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    };
    if !(5.0..10.0).contains(&version) {
        return cx.unsupported(
            format!("lockfileVersion `{version}` is not one chainwatch reads (5 to 9)"),
            Location::pointer("/lockfileVersion"),
        );
    }
    let v5 = version < 6.0;
    let mut ids = Resolver::default();
    for (key, p) in &lock.packages {
        let at = || Location::pointer(format!("/packages/{}", pointer_token(key)));
        let parsed = split_key(key, v5);
        let (name, ver) = match (&p.name, &p.version, parsed) {
            (Some(n), Some(v), _) => (n.as_str(), v.as_str()),
            (_, _, Some((n, v))) => (n, v),
            (Some(n), None, None) => (n.as_str(), ""),
            _ => {
                cx.entry(format!("cannot tell the name and version of `{key}`"), at());
                continue;
            }
        };
        let plain = ids.unique(&format!("{name}@{ver}"));
        let idx = match plain {
            Some(i) => i,
            None => {
                let Some(i) = cx.package(npm_purl(name, Some(ver).filter(|v| !v.is_empty())), at)
                else {
                    continue;
                };
                let res = p.resolution.as_ref();
                let pkg = cx.get(i);
                pkg.hashes
                    .extend(res.and_then(|r| r.integrity.as_deref()).and_then(sri));
                pkg.source = res.and_then(|r| match (&r.repo, &r.commit) {
                    (Some(repo), Some(c)) => Some(format!("{repo}#{c}")),
                    _ => r.tarball.clone().filter(|t| t.starts_with("file:")),
                });
                ids.insert(format!("{name}@{ver}"), i);
                i
            }
        };
        ids.insert(key.trim_start_matches('/'), idx);
        ids.insert(strip_peers(key.trim_start_matches('/'), v5), idx);
    }
    // Resolves dependency `dep` written as `reference` to a package.
    let lookup = |dep: &str, reference: &str| -> Option<usize> {
        if reference.starts_with("link:") {
            return None;
        }
        let r = reference.trim_start_matches('/');
        let plain = strip_peers(r, v5);
        let (name, ver) = if reference.starts_with('/') || plain.rfind('@').is_some_and(|i| i > 0) {
            split_key(r, v5)?
        } else {
            (dep, plain)
        };
        ids.unique(&format!("{name}@{ver}"))
            .or_else(|| ids.unique(r))
            .or_else(|| ids.unique(plain))
    };
    let graph: Vec<(&String, &Refs, &Refs)> = if lock.snapshots.is_empty() {
        lock.packages
            .iter()
            .map(|(k, p)| (k, &p.dependencies, &p.optional_dependencies))
            .collect()
    } else {
        lock.snapshots
            .iter()
            .map(|(k, s)| (k, &s.dependencies, &s.optional_dependencies))
            .collect()
    };
    for (key, deps, optional) in graph {
        let k = key.trim_start_matches('/');
        let Some(from) = ids.unique(k).or_else(|| ids.unique(strip_peers(k, v5))) else {
            continue;
        };
        for (dep, reference) in deps.iter().chain(optional) {
            if let Some(to) = ref_version(reference).and_then(|r| lookup(dep, r)) {
                cx.edge(from, to);
            }
        }
    }
    let importers: Vec<&Importer> = match &lock.importers {
        Some(i) => i.values().collect(),
        None => vec![&lock.root],
    };
    let (mut runtime, mut optional, mut dev) = (Vec::new(), Vec::new(), Vec::new());
    for imp in importers {
        for (deps, out) in [
            (&imp.dependencies, &mut runtime),
            (&imp.optional_dependencies, &mut optional),
            (&imp.dev_dependencies, &mut dev),
        ] {
            for (dep, reference) in deps {
                if let Some(i) = ref_version(reference).and_then(|r| lookup(dep, r)) {
                    out.push(i);
                }
            }
        }
    }
    for &i in runtime.iter().chain(&optional).chain(&dev) {
        cx.get(i).direct = true;
    }
    cx.scopes_from_roots(&runtime, &optional, &dev);
}

// ---------------------------------------------------------------------------------------
// bun

/// `bun.lock` is JSON with trailing commas (and possibly comments): made plain JSON,
/// keeping every byte offset so error positions stay right.
pub(crate) fn jsonc_to_json(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out[i] = b' ';
                i += 1;
            }
            continue;
        } else if c == b',' {
            let next = b[i + 1..].iter().position(|x| !x.is_ascii_whitespace());
            if next.is_none_or(|n| matches!(b[i + 1 + n], b'}' | b']')) {
                out[i] = b' ';
            }
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BunLock {
    lockfile_version: Option<i64>,
    #[serde(default)]
    workspaces: BTreeMap<String, BunWorkspace>,
    #[serde(default)]
    packages: BTreeMap<String, Vec<Value>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct BunWorkspace {
    #[serde(default)]
    dependencies: Deps,
    #[serde(default)]
    optional_dependencies: Deps,
    #[serde(default)]
    dev_dependencies: Deps,
    #[serde(default)]
    peer_dependencies: Deps,
}

pub(crate) fn bun_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let json = jsonc_to_json(text);
    let lock: BunLock = match serde_json::from_str(&json) {
        Ok(l) => l,
        Err(e) => return cx.json_error(&e),
    };
    if let Some(v) = lock.lockfile_version
        && !(0..=1).contains(&v)
    {
        return cx.unsupported(
            format!("lockfileVersion `{v}` is not one chainwatch reads (0, 1)"),
            Location::pointer("/lockfileVersion"),
        );
    }
    let mut at_key: HashMap<&str, usize> = HashMap::new();
    for (key, entry) in &lock.packages {
        let at = || Location::pointer(format!("/packages/{}", pointer_token(key)));
        // `["name@version", registry, {dependencies…}, "sha512-…"]`
        let Some(ident) = entry.first().and_then(Value::as_str) else {
            cx.entry(format!("`{key}` has no `name@version`"), at());
            continue;
        };
        let Some(split) = ident.rfind('@').filter(|&i| i > 0) else {
            cx.entry(format!("`{ident}` is not `name@version`"), at());
            continue;
        };
        let (name, version) = (&ident[..split], &ident[split + 1..]);
        if version.starts_with("workspace:") || version.starts_with("link:") {
            continue;
        }
        let r = resolve_version(name, version, None);
        let Some(idx) = cx.package(npm_purl(&r.name, r.version.as_deref()), at) else {
            continue;
        };
        let integrity = entry.iter().skip(1).filter_map(Value::as_str).find_map(sri);
        let pkg = cx.get(idx);
        pkg.source = r.source;
        pkg.hashes.extend(integrity);
        at_key.insert(key.as_str(), idx);
    }
    let resolve = |from: &str, dep: &str| -> Option<usize> {
        let mut base = from;
        loop {
            let key = if base.is_empty() {
                dep.to_owned()
            } else {
                format!("{base}/{dep}")
            };
            if let Some(&i) = at_key.get(key.as_str()) {
                return Some(i);
            }
            if base.is_empty() {
                return None;
            }
            // Drop the last package name (scoped names have two segments).
            let cut = base.rfind('/').unwrap_or(0);
            let mut head = &base[..cut];
            if let Some(scope_cut) = head.rfind('/')
                && head[scope_cut + 1..].starts_with('@')
            {
                head = &head[..scope_cut];
            } else if head.starts_with('@') && !head.contains('/') {
                head = "";
            }
            base = head;
        }
    };
    for (key, entry) in &lock.packages {
        let Some(&from) = at_key.get(key.as_str()) else {
            continue;
        };
        let Some(meta) = entry.iter().find_map(Value::as_object) else {
            continue;
        };
        for field in ["dependencies", "optionalDependencies", "peerDependencies"] {
            for dep in meta
                .get(field)
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.keys())
            {
                if let Some(to) = resolve(key, dep) {
                    cx.edge(from, to);
                }
            }
        }
    }
    let (mut runtime, mut optional, mut dev) = (Vec::new(), Vec::new(), Vec::new());
    for ws in lock.workspaces.values() {
        let find = |deps: &Deps| -> Vec<usize> {
            deps.keys()
                .filter_map(|d| at_key.get(d.as_str()).copied())
                .collect()
        };
        runtime.extend(find(&ws.dependencies));
        runtime.extend(find(&ws.peer_dependencies));
        optional.extend(find(&ws.optional_dependencies));
        dev.extend(find(&ws.dev_dependencies));
    }
    for &i in runtime.iter().chain(&optional).chain(&dev) {
        cx.get(i).direct = true;
    }
    cx.scopes_from_roots(&runtime, &optional, &dev);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_keys() {
        assert_eq!(
            split_key("/@babel/core/7.1.0_react@18", true),
            Some(("@babel/core", "7.1.0"))
        );
        assert_eq!(
            split_key("/@babel/core@7.1.0(react@18)", false),
            Some(("@babel/core", "7.1.0"))
        );
        assert_eq!(split_key("ms@2.1.3", false), Some(("ms", "2.1.3")));
    }

    #[test]
    fn jsonc() {
        let j = jsonc_to_json("{\"a\": [1, 2,], // x\n \"b\": \"//,}\",\n}");
        let v: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["b"], "//,}");
    }
}
