//! .NET: NuGet `packages.lock.json` (every target framework; `Direct`, `Transitive`,
//! `CentralTransitive` and `Project` entries).

use std::collections::BTreeMap;

use chainwatch_sbom::{Location, pointer_token};
use serde::Deserialize;

use crate::context::{Context, Resolver, purl};
use crate::text::sri;

#[derive(Deserialize)]
struct Lock {
    version: Option<i64>,
    #[serde(default)]
    dependencies: BTreeMap<String, BTreeMap<String, Entry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "type")]
    ty: Option<String>,
    resolved: Option<String>,
    content_hash: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
}

pub(crate) fn extract(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let lock: Lock = match serde_json::from_str(text) {
        Ok(l) => l,
        Err(e) => return cx.json_error(&e),
    };
    if let Some(v) = lock.version
        && !(1..=2).contains(&v)
    {
        return cx.unsupported(
            format!("packages.lock.json version `{v}` is not one chainwatch reads (1, 2)"),
            Location::pointer("/version"),
        );
    }
    let mut ids = Resolver::default();
    for (framework, entries) in &lock.dependencies {
        let mut by_name = Resolver::default();
        for (name, e) in entries {
            let at = || {
                Location::pointer(format!(
                    "/dependencies/{}/{}",
                    pointer_token(framework),
                    pointer_token(name)
                ))
            };
            let project = e.ty.as_deref() == Some("Project");
            let version = e.resolved.as_deref();
            if version.is_none() && !project {
                cx.entry(format!("`{name}` has no resolved version"), at());
                continue;
            }
            let key = format!("{}@{}", name.to_ascii_lowercase(), version.unwrap_or(""));
            let i = match ids.unique(&key) {
                Some(i) => i,
                None => {
                    let Some(i) = cx.package(purl("nuget", None, name, version), at) else {
                        continue;
                    };
                    let p = cx.get(i);
                    // A referenced project of the solution: a component like any other,
                    // so that the packages it brings hang from it.
                    let _ = project;
                    p.hashes.extend(
                        e.content_hash
                            .as_deref()
                            .and_then(|h| sri(&format!("sha512-{h}"))),
                    );
                    ids.insert(key, i);
                    i
                }
            };
            if matches!(e.ty.as_deref(), Some("Direct" | "Project")) {
                cx.get(i).direct = true;
            }
            by_name.insert(name.to_ascii_lowercase(), i);
        }
        for (name, e) in entries {
            let Some(from) = by_name.unique(&name.to_ascii_lowercase()) else {
                continue;
            };
            for dep in e.dependencies.keys() {
                if let Some(to) = by_name.unique(&dep.to_ascii_lowercase()) {
                    cx.edge(from, to);
                }
            }
        }
    }
    // The same edge appears once per target framework.
    cx.dedup_edges();
}
