//! The architecture ARCHITECTURE.md describes, checked so that it cannot drift:
//!
//! - **Layers.** The code map lists the crates in layer order; a crate depends (in
//!   `[dependencies]`) only on crates listed before it. An upward edge fails here.
//! - **No import loops inside a crate.** Modules are the source files; one module uses
//!   another when it names it (`use crate::a::b`, `crate::a::b::f()`, `super::x`). Re-exports
//!   (`pub use`), `mod` declarations, tests (after `#[cfg(test)]`) and the crate root (the
//!   crate's facade and shared vocabulary: its error type, its main type) are left out.
//!   The uses must form no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    chainwatch_testkit::workspace_root()
}

/// The crates of the code map, in layer order.
fn layers() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    text.lines()
        .filter_map(|l| l.strip_prefix("### `crates/"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// The workspace crates a crate's `[dependencies]` name.
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("Cargo.toml");
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            line.clone_into(&mut section);
            continue;
        }
        if section == "[dependencies]" || section == "[build-dependencies]" {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            if name.starts_with("chainwatch") {
                out.push(name.to_owned());
            }
        }
    }
    out
}

#[test]
fn crates_depend_only_on_layers_below() {
    let layers = layers();
    let mut crates: Vec<String> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    let mut problems = Vec::new();
    for name in &crates {
        let Some(level) = layers.iter().position(|l| l == name) else {
            problems.push(format!(
                "`{name}` is missing from ARCHITECTURE.md's code map"
            ));
            continue;
        };
        for dep in dependencies(&root().join("crates").join(name).join("Cargo.toml")) {
            match layers.iter().position(|l| *l == dep) {
                Some(d) if d < level => {}
                _ => problems.push(format!(
                    "`{name}` depends on `{dep}`, which is not in a layer below it"
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Module paths (`a::b`; the root is the empty path) of a crate's source files.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, src: &Path, out: &mut BTreeMap<String, PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, src, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).expect("inside src");
                let mut parts: Vec<String> = rel
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                if parts.first().is_some_and(|p| p == "bin") {
                    continue;
                }
                out.insert(parts.join("::"), path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

/// The paths a file names through `crate::` and `super::`, as absolute module paths
/// (`a::b::Item`), outside comments, re-exports, `mod` lines and tests.
fn named_paths(text: &str, module: &str) -> Vec<String> {
    let parent: Vec<&str> = {
        let mut m: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        m.pop();
        m
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default().trim();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if code.starts_with("pub use")
            || code.starts_with("pub(crate) use")
            || code.starts_with("pub(super) use")
            || code.starts_with("mod ")
            || code.starts_with("pub mod ")
            || code.starts_with("pub(crate) mod ")
        {
            continue;
        }
        for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.clone())] {
            let mut rest = code;
            while let Some(i) = rest.find(prefix) {
                let before = rest[..i].chars().last();
                rest = &rest[i + prefix.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let base: Vec<String> = base.iter().map(|s| (*s).to_owned()).collect();
                for path in expand(rest) {
                    let mut full = base.clone();
                    full.extend(path.split("::").map(str::to_owned));
                    out.push(full.join("::"));
                }
            }
        }
    }
    out
}

/// `a::b::c`, or each item of a group `{a::b, c}` (one level), from the start of `text`.
fn expand(text: &str) -> Vec<String> {
    let path: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let path = path.trim_end_matches(':').to_owned();
    let after = &text[path.len()..].trim_start_matches(':');
    if let Some(inner) = after.strip_prefix('{') {
        let mut depth = 0;
        let mut item = String::new();
        let mut items = Vec::new();
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                _ if depth == 0 => item.push(c),
                _ => {}
            }
        }
        items.push(item);
        return items
            .into_iter()
            .map(|i| i.trim().trim_end_matches(':').to_owned())
            .filter(|i| !i.is_empty() && i != "self")
            .map(|i| {
                if path.is_empty() {
                    i
                } else {
                    format!("{path}::{i}")
                }
            })
            .collect();
    }
    if path.is_empty() {
        Vec::new()
    } else {
        vec![path]
    }
}

/// The module a path names: its longest prefix that is a module.
fn module_of<'m>(path: &str, modules: &'m BTreeMap<String, PathBuf>) -> Option<&'m str> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find_map(|p| modules.get_key_value(&p).map(|(k, _)| k.as_str()))
}

/// The cycles (strongly connected components of more than one module) of a graph.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Kosaraju: order by finish time, then walk the reversed graph.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        seen: &mut BTreeSet<String>,
        order: &mut Vec<String>,
    ) {
        if !seen.insert(n.to_owned()) {
            return;
        }
        for m in graph.get(n).into_iter().flatten() {
            visit(m, graph, seen, order);
        }
        order.push(n.to_owned());
    }
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for n in graph.keys() {
        visit(n, graph, &mut seen, &mut order);
    }
    let mut reversed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (n, ms) in graph {
        for m in ms {
            reversed.entry(m.clone()).or_default().insert(n.clone());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut out = Vec::new();
    for n in order.iter().rev() {
        if assigned.contains(n) {
            continue;
        }
        let mut component = Vec::new();
        let mut stack = vec![n.clone()];
        while let Some(x) = stack.pop() {
            if !assigned.insert(x.clone()) {
                continue;
            }
            component.push(x.clone());
            for y in reversed.get(&x).into_iter().flatten() {
                stack.push(y.clone());
            }
        }
        if component.len() > 1 {
            component.sort();
            out.push(component);
        }
    }
    out
}

#[test]
fn no_import_loops_inside_a_crate() {
    let mut problems = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let src = dir.join("src");
        let modules = modules(&src);
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, path) in &modules {
            if module.is_empty() {
                continue;
            }
            let text = std::fs::read_to_string(path).expect("source");
            for named in named_paths(&text, module) {
                if let Some(target) = module_of(&named, &modules)
                    && !target.is_empty()
                    && target != module
                {
                    graph
                        .entry(module.clone())
                        .or_default()
                        .insert(target.to_owned());
                }
            }
        }
        for cycle in cycles(&graph) {
            problems.push(format!(
                "{}: the modules {} use each other",
                dir.file_name().unwrap_or_default().to_string_lossy(),
                cycle.join(", ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checks_see_loops() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.insert("a".into(), ["b".into()].into());
    graph.insert("b".into(), ["c".into()].into());
    graph.insert("c".into(), ["a".into()].into());
    graph.insert("d".into(), ["a".into()].into());
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
    assert_eq!(
        expand("vex::{Statement, VexDocument}, x"),
        ["vex::Statement", "vex::VexDocument"]
    );
    assert_eq!(
        named_paths("use super::{write, model::X};\n", "cyclonedx::strict"),
        ["cyclonedx::write", "cyclonedx::model::X"]
    );
}
