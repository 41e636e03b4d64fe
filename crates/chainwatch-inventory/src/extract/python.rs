//! Python: `requirements*.txt` (pins, hashes, `-r` includes, markers, URLs, pip-compile's
//! `# via` annotations), `poetry.lock`, `uv.lock`, `Pipfile.lock`, `pdm.lock`, and installed
//! distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chainwatch_purl::pep503_normalize;
use chainwatch_sbom::{Location, Scope, pointer_token};
use serde::Deserialize;
use serde_json::Value;

use crate::context::{Context, Resolver, purl};
use crate::extract::Candidate;
use crate::text::{lines_with_offsets, prefixed_hex, read_small, strip_comment};

pub(crate) fn wants_requirements(c: &Candidate<'_>) -> bool {
    let n = c.name;
    let txt = Path::new(n)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"));
    txt && (n.starts_with("requirements")
        || n.ends_with("-requirements.txt")
        || n.ends_with("_requirements.txt")
        || c.parent_name() == Some("requirements"))
}

/// The name at the start of a PEP 508 requirement.
fn req_name(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(s.len());
    (end > 0 && s.as_bytes()[0].is_ascii_alphanumeric()).then(|| &s[..end])
}

/// A wheel or sdist file name: `name-version-….whl`, `name-version.tar.gz`.
fn dist_filename(url: &str) -> Option<(String, String)> {
    let file = url.split(['#', '?']).next()?.rsplit('/').next()?;
    let stem = file
        .strip_suffix(".whl")
        .or_else(|| file.strip_suffix(".tar.gz"))
        .or_else(|| file.strip_suffix(".zip"))?;
    let mut parts = stem.splitn(3, '-');
    let name = parts.next()?;
    let version = parts.next()?;
    (!name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| (name.to_owned(), version.to_owned()))
}

/// What a requirement pins: `==X` / `===X` alone gives the version.
fn pinned(spec: &str) -> Option<&str> {
    let spec = spec.trim();
    if spec.contains(',') {
        return None;
    }
    let v = spec
        .strip_prefix("===")
        .or_else(|| spec.strip_prefix("=="))?
        .trim();
    (!v.is_empty() && !v.contains('*')).then_some(v)
}

struct Req {
    line: u32,
    name: String,
    version: Option<String>,
    source: Option<String>,
    hashes: Vec<String>,
    /// `# via` items (pip-compile).
    via: Vec<String>,
}

pub(crate) fn requirements(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let mut seen = HashSet::new();
    seen.insert(std::fs::canonicalize(cx.path).unwrap_or_else(|_| cx.path.to_owned()));
    let mut reqs = Vec::new();
    let mut annotated = false;
    parse_requirements(
        cx,
        text,
        cx.path,
        true,
        &mut seen,
        0,
        &mut reqs,
        &mut annotated,
    );
    let mut names = Resolver::default();
    let mut idx = Vec::with_capacity(reqs.len());
    for r in &reqs {
        let line = r.line;
        let at = || Location::line(line, 1);
        let Some(i) = cx.package(purl("pypi", None, &r.name, r.version.as_deref()), at) else {
            idx.push(None);
            continue;
        };
        let p = cx.get(i);
        p.line = (line > 0).then_some(line);
        p.source.clone_from(&r.source);
        p.hashes
            .extend(r.hashes.iter().filter_map(|h| prefixed_hex(h)));
        names.insert(pep503_normalize(&r.name), i);
        idx.push(Some(i));
    }
    for (r, i) in reqs.iter().zip(&idx) {
        let Some(i) = *i else { continue };
        if !annotated {
            cx.get(i).direct = true;
            continue;
        }
        for v in &r.via {
            if v.starts_with("-r")
                || v.starts_with("--requirement")
                || v.contains(".in")
                || v.contains("pyproject.toml")
                || v.contains("setup.")
            {
                cx.get(i).direct = true;
            } else if let Some(name) = req_name(v)
                && let Some(parent) = names.unique(&pep503_normalize(name))
            {
                cx.edge(parent, i);
            }
        }
        if r.via.is_empty() {
            cx.get(i).direct = true;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn parse_requirements(
    cx: &mut Context<'_>,
    text: &str,
    path: &Path,
    top: bool,
    seen: &mut HashSet<PathBuf>,
    depth: usize,
    out: &mut Vec<Req>,
    annotated: &mut bool,
) {
    let mut logical = String::new();
    let mut first_line = 0;
    let mut in_via = false;
    let mut last: Option<usize> = None;
    for (offset, raw) in lines_with_offsets(text) {
        let line_no = if top { cx.line_of(offset) } else { 0 };
        let trimmed = raw.trim();
        if logical.is_empty() {
            // pip-compile annotations: `    # via x`, `    # via`, `    #   x`.
            if let Some(comment) = trimmed.strip_prefix('#') {
                let c = comment.trim();
                if let Some(rest) = c.strip_prefix("via")
                    && (rest.is_empty() || rest.starts_with(' '))
                {
                    *annotated = true;
                    in_via = true;
                    if let (Some(l), false) = (last, rest.trim().is_empty()) {
                        out[l].via.push(rest.trim().to_owned());
                    }
                } else if in_via && comment.starts_with("   ") && !c.is_empty() {
                    if let Some(l) = last {
                        out[l].via.push(c.to_owned());
                    }
                } else {
                    in_via = false;
                }
                continue;
            }
            in_via = false;
            first_line = line_no;
        }
        let content = strip_comment(raw);
        if let Some(cont) = content.trim_end().strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(content);
        let stmt = std::mem::take(&mut logical);
        let stmt = stmt.trim();
        if stmt.is_empty() {
            continue;
        }
        let at = Location::line(first_line, 1);
        if let Some(rest) = stmt
            .strip_prefix("-r ")
            .or_else(|| stmt.strip_prefix("--requirement "))
            .or_else(|| stmt.strip_prefix("--requirement="))
            .or_else(|| stmt.strip_prefix("-r"))
        {
            include(cx, path, rest.trim(), seen, depth, out, annotated, at);
            continue;
        }
        if let Some(rest) = stmt
            .strip_prefix("-e ")
            .or_else(|| stmt.strip_prefix("--editable "))
        {
            let target = rest.trim();
            let name = target
                .split_once("#egg=")
                .map(|(_, e)| e.split('&').next().unwrap_or(e).to_owned());
            match name {
                Some(name) => {
                    cx.unpinned(
                        format!("`{name}` is an editable install from `{target}`"),
                        at,
                    );
                    out.push(Req {
                        line: first_line,
                        name,
                        version: None,
                        source: Some(target.to_owned()),
                        hashes: Vec::new(),
                        via: Vec::new(),
                    });
                    last = Some(out.len() - 1);
                }
                None => cx.unpinned(format!("editable install `{target}` names no package"), at),
            }
            continue;
        }
        if stmt.starts_with('-') {
            // Other pip options (`--index-url`, `-c constraints.txt`, `--pre`…).
            continue;
        }
        // Options after the requirement: `--hash=sha256:…`.
        let mut hashes = Vec::new();
        let mut spec_part = String::new();
        for tok in stmt.split_whitespace() {
            if let Some(h) = tok.strip_prefix("--hash=") {
                hashes.push(h.to_owned());
            } else if tok.starts_with("--") {
            } else {
                spec_part.push_str(tok);
                spec_part.push(' ');
            }
        }
        let spec_part = spec_part.trim();
        let requirement = spec_part.split(';').next().unwrap_or(spec_part).trim();
        // `name @ URL` is a named requirement; a bare URL or path names a distribution file.
        let named_url = req_name(requirement).is_some_and(|n| {
            requirement[n.len()..]
                .trim_start()
                .trim_start_matches(|c| c != '@' && c != ' ' && c != '=' && c != '<' && c != '>')
                .starts_with('@')
        });
        let looks_like_path = !named_url
            && (requirement.starts_with('.')
                || requirement.starts_with('/')
                || requirement.contains("://"));
        if looks_like_path {
            match dist_filename(requirement) {
                Some((name, version)) => {
                    out.push(Req {
                        line: first_line,
                        name,
                        version: Some(version),
                        source: Some(requirement.to_owned()),
                        hashes,
                        via: Vec::new(),
                    });
                    last = Some(out.len() - 1);
                }
                None => cx.unpinned(format!("`{requirement}` names no package and version"), at),
            }
            continue;
        }
        let Some(name) = req_name(requirement) else {
            cx.entry(format!("`{requirement}` is not a requirement"), at);
            continue;
        };
        let mut rest = requirement[name.len()..].trim_start();
        if rest.starts_with('[') {
            rest = rest.find(']').map_or("", |i| &rest[i + 1..]).trim_start();
        }
        if !(rest.is_empty() || rest.starts_with(['=', '<', '>', '!', '~', '(', '@', ';', ','])) {
            cx.entry(format!("`{requirement}` is not a requirement"), at);
            continue;
        }
        let (version, source) = if let Some(url) = rest.strip_prefix('@') {
            let url = url.trim();
            let version = dist_filename(url).map(|(_, v)| v);
            if version.is_none() {
                cx.unpinned(format!("`{name}` comes from `{url}`"), at.clone());
            }
            (version, Some(url.to_owned()))
        } else {
            let rest = rest.trim_start_matches('(').trim_end_matches(')');
            match pinned(rest) {
                Some(v) => (Some(v.to_owned()), None),
                None => {
                    let what = if rest.is_empty() {
                        "any version".to_owned()
                    } else {
                        format!("`{rest}`")
                    };
                    cx.unpinned(
                        format!("`{name}` is not pinned to one version ({what})"),
                        at,
                    );
                    (None, None)
                }
            }
        };
        out.push(Req {
            line: first_line,
            name: name.to_owned(),
            version,
            source,
            hashes,
            via: Vec::new(),
        });
        last = Some(out.len() - 1);
    }
}

#[allow(clippy::too_many_arguments)]
fn include(
    cx: &mut Context<'_>,
    from: &Path,
    target: &str,
    seen: &mut HashSet<PathBuf>,
    depth: usize,
    out: &mut Vec<Req>,
    annotated: &mut bool,
    at: Location,
) {
    if target.contains("://") {
        cx.entry(format!("`-r {target}` is a URL: not fetched"), at);
        return;
    }
    let path = from.parent().unwrap_or(Path::new(".")).join(target);
    // Only files inside the inventoried tree: an untrusted requirements file must not make
    // chainwatch read `/proc/self/environ` into its diagnostics.
    let root = std::fs::canonicalize(cx.tree_root()).unwrap_or_else(|_| cx.tree_root());
    let Ok(canonical) = std::fs::canonicalize(&path) else {
        cx.diagnostic(chainwatch_sbom::Diagnostic::error(
            chainwatch_sbom::Code::InventoryIo,
            format!("cannot read included `{target}`: it does not exist"),
            at,
        ));
        return;
    };
    if !canonical.starts_with(&root) {
        cx.entry(
            format!("`-r {target}` is outside the inventoried tree: not read"),
            at,
        );
        return;
    }
    if depth >= 8 || !seen.insert(canonical) {
        return;
    }
    // Files the walk finds itself are read on their own.
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str());
    if wants_requirements(&Candidate {
        rel: &format!("{}/{name}", parent.unwrap_or("")),
        name,
        dir: path.parent().unwrap_or(Path::new(".")),
    }) {
        return;
    }
    match read_small(&path) {
        Ok(text) => parse_requirements(cx, &text, &path, false, seen, depth + 1, out, annotated),
        Err(e) => cx.diagnostic(chainwatch_sbom::Diagnostic::error(
            chainwatch_sbom::Code::InventoryIo,
            format!("cannot read included `{target}`: {e}"),
            at,
        )),
    }
}

/// Root dependencies from the `pyproject.toml` beside a lockfile: (runtime, optional,
/// dev), PEP 503-normalized.
fn pyproject_roots(cx: &Context<'_>) -> Option<(Vec<String>, Vec<String>, Vec<String>)> {
    let text = cx.sibling("pyproject.toml")?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    let (mut runtime, mut optional, mut dev) = (Vec::new(), Vec::new(), Vec::new());
    let reqs = |v: Option<&toml::Value>, out: &mut Vec<String>| {
        for r in v.and_then(toml::Value::as_array).into_iter().flatten() {
            if let Some(n) = r.as_str().and_then(req_name) {
                out.push(pep503_normalize(n));
            }
        }
    };
    let keys = |v: Option<&toml::Value>, out: &mut Vec<String>| {
        for k in v
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.keys())
        {
            if k != "python" {
                out.push(pep503_normalize(k));
            }
        }
    };
    if let Some(project) = doc.get("project") {
        reqs(project.get("dependencies"), &mut runtime);
        for extra in project
            .get("optional-dependencies")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.values())
        {
            reqs(Some(extra), &mut optional);
        }
    }
    for group in doc
        .get("dependency-groups")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
    {
        reqs(Some(group), &mut dev);
    }
    let tool = doc.get("tool");
    if let Some(poetry) = tool.and_then(|t| t.get("poetry")) {
        keys(poetry.get("dependencies"), &mut runtime);
        keys(poetry.get("dev-dependencies"), &mut dev);
        for (name, group) in poetry
            .get("group")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flatten()
        {
            let out = if name == "main" {
                &mut runtime
            } else {
                &mut dev
            };
            keys(group.get("dependencies"), out);
        }
    }
    if let Some(pdm) = tool.and_then(|t| t.get("pdm")) {
        for group in pdm
            .get("dev-dependencies")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.values())
        {
            reqs(Some(group), &mut dev);
        }
    }
    if let Some(uv) = tool.and_then(|t| t.get("uv")) {
        reqs(uv.get("dev-dependencies"), &mut dev);
    }
    Some((runtime, optional, dev))
}

/// Marks the packages the pyproject names as direct and assigns scopes by reachability.
fn roots_from_pyproject(cx: &mut Context<'_>, names: &Resolver) -> bool {
    let Some((runtime, optional, dev)) = pyproject_roots(cx) else {
        return false;
    };
    let pick =
        |list: &[String]| -> Vec<usize> { list.iter().filter_map(|n| names.unique(n)).collect() };
    let (r, o, d) = (pick(&runtime), pick(&optional), pick(&dev));
    for &i in r.iter().chain(&o).chain(&d) {
        cx.get(i).direct = true;
    }
    cx.scopes_from_roots(&r, &o, &d);
    true
}

/// Adds the `[[package]]` entries of a Python TOML lockfile (name and version, the line of
/// each entry); an entry without both is reported and skipped. Returns each entry's
/// package index and the packages by PEP 503 name, for the format's own fields and edges.
fn locked_packages<'a>(
    cx: &mut Context<'_>,
    text: &str,
    entries: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> (Vec<Option<usize>>, Resolver) {
    let lines = cx.table_lines(text, "[[package]]");
    let mut names = Resolver::default();
    let mut idx = Vec::new();
    for (i, entry) in entries.enumerate() {
        let at = || Location::pointer(format!("/package/{i}"));
        let (Some(name), Some(version)) = entry else {
            cx.entry("a package without `name` or `version`", at());
            idx.push(None);
            continue;
        };
        let j = cx.package(purl("pypi", None, name, Some(version)), at);
        if let Some(j) = j {
            cx.get(j).line = lines.get(i).copied();
            names.insert(pep503_normalize(name), j);
        }
        idx.push(j);
    }
    (idx, names)
}

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
    metadata: Option<toml::Table>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: Option<String>,
    version: Option<String>,
    category: Option<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    source: Option<PoetrySource>,
}

#[derive(Deserialize)]
struct PoetrySource {
    #[serde(rename = "type")]
    ty: Option<String>,
    url: Option<String>,
    resolved_reference: Option<String>,
}

pub(crate) fn poetry_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: PoetryLock = match toml::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.toml_error(&e),
    };
    if let Some(v) = lock
        .metadata
        .as_ref()
        .and_then(|m| m.get("lock-version"))
        .and_then(toml::Value::as_str)
        && !v.starts_with("1.")
        && !v.starts_with("2.")
    {
        return cx.unsupported(
            format!("poetry lock-version `{v}` is not one chainwatch reads (1.x, 2.x)"),
            Location::pointer("/metadata/lock-version"),
        );
    }
    let (idx, names) = locked_packages(
        cx,
        text,
        lock.package
            .iter()
            .map(|p| (p.name.as_deref(), p.version.as_deref())),
    );
    for (p, i) in lock.package.iter().zip(&idx) {
        let Some(j) = *i else { continue };
        let pkg = cx.get(j);
        pkg.scope = match (p.category.as_deref(), p.optional) {
            (Some("dev"), _) => Scope::Dev,
            (_, true) => Scope::Optional,
            _ => Scope::Runtime,
        };
        if let Some(s) = &p.source
            && s.ty.as_deref() != Some("legacy")
        {
            pkg.source = match (&s.url, &s.resolved_reference) {
                (Some(u), Some(r)) => Some(format!("{u}#{r}")),
                (Some(u), None) => Some(u.clone()),
                _ => None,
            };
        }
    }
    for (p, i) in lock.package.iter().zip(&idx) {
        let Some(from) = *i else { continue };
        for dep in p.dependencies.keys() {
            if let Some(to) = names.unique(&pep503_normalize(dep)) {
                cx.edge(from, to);
            }
        }
    }
    let has_category = lock.package.iter().any(|p| p.category.is_some());
    if has_category {
        // Old lockfiles say the scope; the pyproject still says what is direct.
        if let Some((r, o, d)) = pyproject_roots(cx) {
            for n in r.iter().chain(&o).chain(&d) {
                if let Some(i) = names.unique(n) {
                    cx.get(i).direct = true;
                }
            }
        } else {
            cx.direct_unknown();
        }
    } else if !roots_from_pyproject(cx, &names) {
        cx.direct_unknown();
    }
}

#[derive(Deserialize)]
struct UvLock {
    version: Option<i64>,
    #[serde(default)]
    package: Vec<UvPackage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct UvPackage {
    name: Option<String>,
    version: Option<String>,
    source: Option<BTreeMap<String, toml::Value>>,
    #[serde(default)]
    dependencies: Vec<UvDep>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<UvDep>>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Vec<UvDep>>,
    sdist: Option<UvDist>,
}

#[derive(Deserialize)]
struct UvDep {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
struct UvDist {
    hash: Option<String>,
}

pub(crate) fn uv_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: UvLock = match toml::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.toml_error(&e),
    };
    if let Some(v) = lock.version
        && v != 1
    {
        return cx.unsupported(
            format!("uv.lock version `{v}` is not one chainwatch reads (1)"),
            Location::pointer("/version"),
        );
    }
    let lines = cx.table_lines(text, "[[package]]");
    let mut names = Resolver::default();
    let mut idx = Vec::new();
    for (i, p) in lock.package.iter().enumerate() {
        let at = || Location::pointer(format!("/package/{i}"));
        let Some(name) = &p.name else {
            cx.entry("a package without `name`", at());
            idx.push(None);
            continue;
        };
        let source = p.source.as_ref();
        let kind = source.and_then(|s| s.keys().next()).map(String::as_str);
        let member = matches!(kind, Some("virtual" | "editable" | "directory" | "path"));
        let Some(j) = cx.package(purl("pypi", None, name, p.version.as_deref()), at) else {
            idx.push(None);
            continue;
        };
        let pkg = cx.get(j);
        pkg.line = lines.get(i).copied();
        pkg.member = member;
        pkg.source = match kind {
            Some("git" | "url" | "path" | "directory") => source
                .and_then(|s| s.values().next())
                .and_then(toml::Value::as_str)
                .map(str::to_owned),
            _ => None,
        };
        pkg.hashes.extend(
            p.sdist
                .as_ref()
                .and_then(|s| s.hash.as_deref())
                .and_then(prefixed_hex),
        );
        let n = pep503_normalize(name);
        if let Some(v) = &p.version {
            names.insert(format!("{n}@{v}"), j);
        }
        names.insert(n, j);
        idx.push(Some(j));
    }
    let find = |d: &UvDep| {
        let n = pep503_normalize(&d.name);
        d.version
            .as_ref()
            .and_then(|v| names.unique(&format!("{n}@{v}")))
            .or_else(|| names.unique(&n))
    };
    let (mut runtime, mut optional, mut dev) = (Vec::new(), Vec::new(), Vec::new());
    for (p, i) in lock.package.iter().zip(&idx) {
        let Some(from) = *i else { continue };
        let member = cx.packages()[from].member;
        for d in &p.dependencies {
            if let Some(to) = find(d) {
                cx.edge(from, to);
                if member {
                    runtime.push(to);
                }
            }
        }
        for d in p.optional_dependencies.values().flatten() {
            if let Some(to) = find(d) {
                cx.edge(from, to);
                if member {
                    optional.push(to);
                }
            }
        }
        for d in p.dev_dependencies.values().flatten() {
            if let Some(to) = find(d)
                && member
            {
                cx.edge(from, to);
                dev.push(to);
            }
        }
    }
    for &i in runtime.iter().chain(&optional).chain(&dev) {
        if !cx.packages()[i].member {
            cx.get(i).direct = true;
        }
    }
    cx.scopes_from_roots(&runtime, &optional, &dev);
}

pub(crate) fn pipfile_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let doc: Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => return cx.json_error(&e),
    };
    for (section, scope) in [("default", Scope::Runtime), ("develop", Scope::Dev)] {
        let Some(map) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, entry) in map {
            let pointer = format!("/{section}/{}", pointer_token(name));
            let version = entry
                .get("version")
                .and_then(Value::as_str)
                .and_then(pinned);
            let git = entry.get("git").and_then(Value::as_str);
            let source = git.map(|g| match entry.get("ref").and_then(Value::as_str) {
                Some(r) => format!("{g}#{r}"),
                None => g.to_owned(),
            });
            if version.is_none() && source.is_none() {
                cx.unpinned(
                    format!("`{name}` has no pinned version"),
                    Location::pointer(pointer.clone()),
                );
            }
            let Some(i) = cx.package(purl("pypi", None, name, version), || {
                Location::pointer(pointer.clone())
            }) else {
                continue;
            };
            let hashes: Vec<_> = entry
                .get("hashes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(prefixed_hex)
                .collect();
            let p = cx.get(i);
            p.scope = scope;
            p.direct = true;
            p.source = source;
            p.hashes = hashes;
        }
    }
    // Pipfile.lock is flat: it lists every package but not who needs whom.
}

#[derive(Deserialize)]
struct PdmLock {
    #[serde(default)]
    package: Vec<PdmPackage>,
    metadata: Option<toml::Table>,
}

#[derive(Deserialize)]
struct PdmPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    revision: Option<String>,
    git: Option<String>,
}

pub(crate) fn pdm_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: PdmLock = match toml::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.toml_error(&e),
    };
    if let Some(v) = lock
        .metadata
        .as_ref()
        .and_then(|m| m.get("lock_version"))
        .and_then(toml::Value::as_str)
        && !v.starts_with("4.")
    {
        return cx.unsupported(
            format!("pdm lock_version `{v}` is not one chainwatch reads (4.x)"),
            Location::pointer("/metadata/lock_version"),
        );
    }
    let (idx, names) = locked_packages(
        cx,
        text,
        lock.package
            .iter()
            .map(|p| (p.name.as_deref(), p.version.as_deref())),
    );
    for (p, i) in lock.package.iter().zip(&idx) {
        let Some(j) = *i else { continue };
        let pkg = cx.get(j);
        if !p.groups.is_empty() && !p.groups.iter().any(|g| g == "default") {
            pkg.scope = Scope::Dev;
        }
        pkg.source = p.git.as_ref().map(|g| match &p.revision {
            Some(r) => format!("{g}#{r}"),
            None => g.clone(),
        });
    }
    for (p, i) in lock.package.iter().zip(&idx) {
        let Some(from) = *i else { continue };
        for d in &p.dependencies {
            if let Some(to) = req_name(d).and_then(|n| names.unique(&pep503_normalize(n))) {
                cx.edge(from, to);
            }
        }
    }
    // The lockfile says the scope; the pyproject says what is direct.
    match pyproject_roots(cx) {
        Some((r, o, d)) => {
            for n in r.iter().chain(&o).chain(&d) {
                if let Some(i) = names.unique(n) {
                    cx.get(i).direct = true;
                }
            }
        }
        None => cx.direct_unknown(),
    }
}

/// What an installed distribution's core metadata (RFC 822 headers) says.
#[derive(Debug, Default)]
struct CoreMetadata<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    license: Option<String>,
    /// `Requires-Dist` lines.
    requires: Vec<&'a str>,
}

fn core_metadata(text: &str) -> CoreMetadata<'_> {
    let mut m = CoreMetadata::default();
    let mut license = None;
    let mut expression = None;
    let mut classifiers: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break; // the description body follows
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k {
            "Name" => m.name = Some(v),
            "Version" => m.version = Some(v),
            "License" if !v.is_empty() && v.len() < 100 && v != "UNKNOWN" => license = Some(v),
            "License-Expression" => expression = Some(v),
            "Requires-Dist" => m.requires.push(v),
            "Classifier" => {
                if let Some(c) = v
                    .strip_prefix("License :: OSI Approved :: ")
                    .or_else(|| v.strip_prefix("License :: "))
                {
                    classifiers.push(c);
                }
            }
            _ => {}
        }
    }
    m.license = license_of(expression, license, &classifiers);
    m
}

/// A distribution's licence: its `License-Expression` (PEP 639), else its `License`
/// field when that names a licence, else its licence classifiers (several are a choice,
/// as dual-licensed projects list them), else the `License` field as written.
fn license_of(
    expression: Option<&str>,
    field: Option<&str>,
    classifiers: &[&str],
) -> Option<String> {
    use chainwatch_license::{How, normalize};
    if let Some(e) = expression {
        return Some(e.to_owned());
    }
    let known = |n: &chainwatch_license::Normalized| {
        matches!(n.how, How::Spdx | How::Corrected | How::Named)
    };
    if let Some(f) = field {
        let n = normalize(f);
        if known(&n) {
            return Some(n.expression);
        }
    }
    if classifiers.is_empty() {
        return field.map(str::to_owned);
    }
    // Each classifier as an expression (one that names no licence as a `LicenseRef-`).
    let choices: Vec<String> = classifiers
        .iter()
        .map(|c| normalize(c).expression)
        .collect();
    Some(chainwatch_license::join(&choices, false))
}

/// Adds the distribution `m` describes; `file` is where it was read, when that is not
/// the context's own file.
fn add_distribution(
    cx: &mut Context<'_>,
    m: &CoreMetadata<'_>,
    file: Option<String>,
) -> Option<usize> {
    let (Some(name), Some(version)) = (m.name, m.version) else {
        let what = file
            .as_deref()
            .map_or(String::new(), |f| format!("`{f}`: "));
        cx.entry(
            format!("{what}the metadata has no `Name` or `Version`"),
            Location::line(1, 1),
        );
        return None;
    };
    let i = cx.package(purl("pypi", None, name, Some(version)), || {
        Location::line(1, 1)
    })?;
    let p = cx.get(i);
    p.license.clone_from(&m.license);
    p.line = Some(1);
    p.file = file;
    Some(i)
}

/// An installed distribution's core metadata, outside an environment.
pub(crate) fn installed(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    add_distribution(cx, &core_metadata(text), None);
    cx.direct_unknown();
}

/// The distribution a requirement names, unless it applies only with an extra (which
/// the environment does not record as asked for):
/// `requests[socks] (>=2.0) ; python_version >= "3.8"` → `requests`.
fn required_name(requirement: &str) -> Option<&str> {
    let (spec, marker) = requirement
        .split_once(';')
        .map_or((requirement, ""), |(s, m)| (s, m));
    if marker.contains("extra") {
        return None;
    }
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = spec[..end].trim();
    (!name.is_empty()).then_some(name)
}

/// Most distributions one environment is read for.
const ENVIRONMENT_LIMIT: usize = 100_000;

/// A Python environment's `site-packages` (or Debian's `dist-packages`): every installed
/// distribution (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO` or an `*.egg-info` file)
/// and the graph its `Requires-Dist` (or `requires.txt`) draws among them. A requirement
/// that applies only with an extra draws no edge; what nothing installed requires hangs
/// from the project.
pub(crate) fn environment(cx: &mut Context<'_>) {
    let dir = cx.path.to_path_buf();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|x| x == "dist-info" || x == "egg-info")
        })
        .collect();
    names.sort();
    if names.len() > ENVIRONMENT_LIMIT {
        cx.unsupported(
            format!("more than {ENVIRONMENT_LIMIT} distributions: the rest are not read"),
            Location::default(),
        );
        names.truncate(ENVIRONMENT_LIMIT);
    }
    let rel = cx.rel.to_owned();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut requires: Vec<(usize, Vec<String>)> = Vec::new();
    for name in names {
        let path = dir.join(&name);
        // `X.dist-info/METADATA`, `X.egg-info/PKG-INFO`, or `X.egg-info` as a file.
        let (file, extra_requires) = if name.ends_with(".dist-info") {
            (format!("{name}/METADATA"), None)
        } else if path.is_dir() {
            (format!("{name}/PKG-INFO"), Some(path.join("requires.txt")))
        } else {
            (name.clone(), None)
        };
        let Ok(text) = read_small(&dir.join(&file)) else {
            continue;
        };
        let m = core_metadata(&text);
        let Some(i) = add_distribution(cx, &m, Some(format!("{rel}/{file}"))) else {
            continue;
        };
        if let Some(n) = m.name {
            by_name.insert(pep503_normalize(n), i);
        }
        let mut deps: Vec<String> = m
            .requires
            .iter()
            .filter_map(|r| required_name(r))
            .map(pep503_normalize)
            .collect();
        // An egg's `requires.txt`: its lines up to the first `[extra]` section.
        if let Some(text) = extra_requires.and_then(|p| read_small(&p).ok()) {
            deps.extend(
                text.lines()
                    .map(str::trim)
                    .take_while(|l| !l.starts_with('['))
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .filter_map(required_name)
                    .map(pep503_normalize),
            );
        }
        requires.push((i, deps));
    }
    for (from, deps) in requires {
        for dep in deps {
            if let Some(&to) = by_name.get(&dep) {
                cx.edge(from, to);
            }
        }
    }
    cx.dedup_edges();
    cx.direct_unknown();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        assert_eq!(pinned("==1.2.3"), Some("1.2.3"));
        assert_eq!(pinned("===1.2.3"), Some("1.2.3"));
        assert_eq!(pinned(">=1.2"), None);
        assert_eq!(pinned("==1.*"), None);
        assert_eq!(pinned("==1.2,<2"), None);
    }

    #[test]
    fn licences_from_core_metadata() {
        let m = core_metadata(
            "Name: x\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved :: Apache Software License\n",
        );
        // A classifier that names no one licence stays a choice, as a `LicenseRef-`.
        assert_eq!(
            m.license.as_deref(),
            Some("MIT OR LicenseRef-Apache-Software-License")
        );
        let m = core_metadata(
            "Name: x\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)\n",
        );
        assert_eq!(m.license.as_deref(), Some("MIT OR GPL-2.0-or-later"));
        let m =
            core_metadata("Name: x\nVersion: 1\nLicense: Apache 2.0\nLicense-Expression: MIT\n");
        assert_eq!(m.license.as_deref(), Some("MIT"));
        let m = core_metadata(
            "Name: x\nVersion: 1\nLicense: Apache 2.0\nClassifier: License :: OSI Approved :: MIT License\n",
        );
        assert_eq!(m.license.as_deref(), Some("Apache-2.0"));
    }

    #[test]
    fn filenames() {
        assert_eq!(
            dist_filename("https://files.example/p/requests-2.31.0-py3-none-any.whl#sha256=x"),
            Some(("requests".into(), "2.31.0".into()))
        );
        assert_eq!(dist_filename("./local/pkg"), None);
    }
}
