//! .NET: NuGet `packages.lock.json` (every target framework; `Direct`, `Transitive`,
//! `CentralTransitive` and `Project` entries); the `.nuspec` of each package in a NuGet
//! global packages folder (`ID/VERSION/ID.nuspec`), and a project's own `.nuspec`, for
//! their id, version and licence.

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

/// What a `.nuspec` states.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Nuspec {
    pub(crate) id: Option<String>,
    pub(crate) version: Option<String>,
    /// `<license type="expression">`. A `<licenseUrl>` (what older packages have) is a
    /// page that would have to be fetched, so it says nothing here.
    pub(crate) license: Option<String>,
    /// Where `<id>` starts, in bytes.
    pub(crate) id_offset: usize,
}

/// Deepest element nesting read (a nuspec has four levels).
const MAX_DEPTH: usize = 32;

/// Reads a `.nuspec` (its `package/metadata`); the byte offset and message of what
/// stopped the XML reader otherwise.
pub(crate) fn nuspec(text: &str) -> Result<Nuspec, (usize, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut spec = Nuspec::default();
    let mut path: Vec<String> = Vec::new();
    let mut license_type: Option<String> = None;
    let mut buf = String::new();
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(offset);
            (at, e.to_string())
        })?;
        match event {
            Event::Start(e) => {
                if path.len() >= MAX_DEPTH {
                    return Err((offset, format!("elements nest deeper than {MAX_DEPTH}")));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "id" && path.len() == 2 {
                    spec.id_offset = offset;
                }
                if name == "license" {
                    license_type = e.try_get_attribute("type").ok().flatten().and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(std::borrow::Cow::into_owned)
                    });
                }
                path.push(name);
                buf.clear();
            }
            ref text if crate::text::xml_text(&mut buf, text, offset)? => {}
            Event::End(_) => {
                let value = buf.trim();
                if path.len() == 3
                    && path[0] == "package"
                    && path[1] == "metadata"
                    && !value.is_empty()
                {
                    match path[2].as_str() {
                        "id" => spec.id = Some(value.to_owned()),
                        "version" => spec.version = Some(value.to_owned()),
                        "license" if license_type.as_deref() == Some("expression") => {
                            spec.license = Some(value.to_owned());
                        }
                        _ => {}
                    }
                }
                path.pop();
                buf.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(spec)
}

/// A package in a global packages folder: `ID/VERSION/ID.nuspec`, the id and version
/// lower-cased as NuGet writes them.
pub(crate) fn wants_nuspec(c: &crate::extract::Candidate<'_>) -> bool {
    let Some(id) = c.name.strip_suffix(".nuspec") else {
        return false;
    };
    let mut dirs = c.rel.rsplit('/').skip(1);
    let (Some(version), Some(parent)) = (dirs.next(), dirs.next()) else {
        return false;
    };
    parent == id && version.starts_with(|ch: char| ch.is_ascii_digit())
}

/// One package of a global packages folder, from its `.nuspec`.
pub(crate) fn installed(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let spec = match nuspec(text) {
        Ok(s) => s,
        Err((offset, message)) => {
            let (line, column) = cx.line_col(offset);
            return cx.syntax(message, Location::line(line, column));
        }
    };
    let (Some(id), Some(version)) = (&spec.id, &spec.version) else {
        cx.entry(
            "the nuspec names no `id` and `version`",
            Location::line(1, 1),
        );
        return;
    };
    let line = cx.line_of(spec.id_offset);
    let Some(i) = cx.package(purl("nuget", None, id, Some(version)), || {
        Location::line(line, 1)
    }) else {
        return;
    };
    cx.get(i).line = Some(line);
    let license = spec
        .license
        .as_deref()
        .map(|l| chainwatch_license::normalize(l).expression);
    cx.get(i).license = license;
    cx.direct_unknown();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuspecs_state_their_licence() {
        let expression = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>Newtonsoft.Json</id>
    <version>13.0.3</version>
    <license type="expression">MIT</license>
    <licenseUrl>https://licenses.example/MIT</licenseUrl>
    <dependencies><group targetFramework=".NETStandard2.0"><dependency id="x" version="1.0" /></group></dependencies>
  </metadata>
</package>"#;
        let spec = nuspec(expression).expect("nuspec");
        assert_eq!(spec.id.as_deref(), Some("Newtonsoft.Json"));
        assert_eq!(spec.version.as_deref(), Some("13.0.3"));
        assert_eq!(spec.license.as_deref(), Some("MIT"));

        let file = "<package><metadata><id>F</id><version>1.0.0</version>\
            <license type=\"file\">LICENSE.txt</license>\
            <licenseUrl>https://aka.ms/deprecateLicenseUrl</licenseUrl></metadata></package>";
        assert_eq!(nuspec(file).expect("nuspec").license, None);

        let deep = format!("<package>{}", "<a>".repeat(100));
        assert!(nuspec(&deep).is_err());
    }
}
