//! Java: Maven `pom.xml` (declared coordinates, `${…}` properties interpolated, versions
//! from `dependencyManagement`; nothing resolved over the network) and Gradle lockfiles.

use std::collections::HashMap;

use chainwatch_sbom::Location;
use quick_xml::events::Event;

use crate::context::{Context, purl};
use crate::text::lines_with_offsets;

#[derive(Debug, Default, Clone)]
pub(crate) struct Dependency {
    pub(crate) group: Option<String>,
    pub(crate) artifact: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) optional: bool,
    /// Byte offset of `<dependency>`.
    pub(crate) offset: usize,
}

/// What chainwatch reads of a POM.
#[derive(Debug, Default)]
pub(crate) struct Pom {
    group: Option<String>,
    artifact: Option<String>,
    version: Option<String>,
    parent_group: Option<String>,
    parent_version: Option<String>,
    properties: HashMap<String, String>,
    pub(crate) dependencies: Vec<Dependency>,
    managed: Vec<Dependency>,
    /// `<licenses><license><name>`, in order.
    pub(crate) licenses: Vec<String>,
}

impl Pom {
    /// Parses a POM; the error is (byte offset, message).
    pub(crate) fn parse(text: &str) -> Result<Pom, (usize, String)> {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut pom = Pom::default();
        let mut path: Vec<String> = Vec::new();
        let mut current: Option<Dependency> = None;
        let mut buf = String::new();
        loop {
            let offset = usize::try_from(reader.buffer_position()).unwrap_or(0);
            let event = match reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    let at = usize::try_from(reader.error_position()).unwrap_or(offset);
                    return Err((at, e.to_string()));
                }
            };
            match event {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    if name == "dependency" {
                        current = Some(Dependency {
                            offset,
                            ..Dependency::default()
                        });
                    }
                    path.push(name);
                    buf.clear();
                }
                ref text if crate::text::xml_text(&mut buf, text, offset)? => {}
                Event::End(_) => {
                    let value = buf.trim().to_owned();
                    buf.clear();
                    let p: Vec<&str> = path.iter().map(String::as_str).collect();
                    match p.as_slice() {
                        ["project", "groupId"] => pom.group = Some(value),
                        ["project", "artifactId"] => pom.artifact = Some(value),
                        ["project", "version"] => pom.version = Some(value),
                        ["project", "parent", "groupId"] => pom.parent_group = Some(value),
                        ["project", "parent", "version"] => pom.parent_version = Some(value),
                        ["project", "licenses", "license", "name"] if !value.is_empty() => {
                            pom.licenses.push(value);
                        }
                        ["project", "properties", key] => {
                            pom.properties.insert((*key).to_owned(), value);
                        }
                        ["project", "dependencies", "dependency"] => {
                            pom.dependencies.extend(current.take());
                        }
                        [
                            "project",
                            "dependencyManagement",
                            "dependencies",
                            "dependency",
                        ] => {
                            pom.managed.extend(current.take());
                        }
                        [.., "dependency", field] => {
                            if let Some(d) = current.as_mut() {
                                match *field {
                                    "groupId" => d.group = Some(value),
                                    "artifactId" => d.artifact = Some(value),
                                    "version" => d.version = Some(value),
                                    "scope" => d.scope = Some(value),
                                    "optional" => d.optional = value == "true",
                                    _ => {}
                                }
                            }
                        }
                        [.., "dependency"] => current = None,
                        _ => {}
                    }
                    path.pop();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(pom)
    }

    /// `${name}` replaced from the properties and the project's own coordinates (a few
    /// rounds, for properties defined by properties); unknown ones stay.
    fn interpolate(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for _ in 0..5 {
            let Some(start) = out.find("${") else { break };
            let Some(len) = out[start..].find('}') else {
                break;
            };
            let key = &out[start + 2..start + len];
            let value = match key {
                "project.version" | "pom.version" | "version" => {
                    self.version.clone().or_else(|| self.parent_version.clone())
                }
                "project.groupId" | "pom.groupId" | "groupId" => {
                    self.group.clone().or_else(|| self.parent_group.clone())
                }
                "project.artifactId" | "artifactId" => self.artifact.clone(),
                "project.parent.version" | "parent.version" => self.parent_version.clone(),
                "project.parent.groupId" | "parent.groupId" => self.parent_group.clone(),
                k => self.properties.get(k).cloned(),
            };
            let Some(value) = value else { break };
            out.replace_range(start..=start + len, &value);
        }
        out
    }

    /// The project's (group, artifact, version), with the parent's group and version when
    /// it inherits them.
    pub(crate) fn coordinates(&self) -> (Option<String>, Option<String>, Option<String>) {
        let g = self
            .group
            .clone()
            .or_else(|| self.parent_group.clone())
            .map(|g| self.interpolate(&g));
        let v = self
            .version
            .clone()
            .or_else(|| self.parent_version.clone())
            .map(|v| self.interpolate(&v));
        (g, self.artifact.clone(), v)
    }
}

pub(crate) fn extract(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let pom = match Pom::parse(text) {
        Ok(p) => p,
        Err((offset, message)) => {
            let (l, c) = cx.line_col(offset);
            return cx.syntax(format!("invalid XML: {message}"), Location::line(l, c));
        }
    };
    let (group, artifact, version) = pom.coordinates();
    let member = artifact.as_ref().and_then(|a| {
        let line = 1;
        cx.package(
            purl("maven", group.as_deref(), a, version.as_deref()),
            || Location::line(line, 1),
        )
    });
    if let Some(m) = member {
        cx.get(m).member = true;
    }
    for d in &pom.dependencies {
        let line = cx.line_of(d.offset);
        let at = || Location::line(line, 1);
        let (Some(g), Some(a)) = (&d.group, &d.artifact) else {
            cx.entry("a dependency without `groupId` or `artifactId`", at());
            continue;
        };
        let (g, a) = (pom.interpolate(g), pom.interpolate(a));
        let version = d.version.clone().or_else(|| {
            pom.managed
                .iter()
                .find(|m| {
                    m.group.as_deref().map(|x| pom.interpolate(x)) == Some(g.clone())
                        && m.artifact.as_deref().map(|x| pom.interpolate(x)) == Some(a.clone())
                })
                .and_then(|m| m.version.clone())
        });
        let version = version.map(|v| pom.interpolate(&v));
        let version = match version {
            Some(v) if v.contains("${") => {
                cx.unpinned(
                    format!("`{g}:{a}` has version `{v}`, a property this POM does not define"),
                    at(),
                );
                None
            }
            Some(v) if v.starts_with('[') || v.starts_with('(') => {
                cx.unpinned(format!("`{g}:{a}` asks for the range `{v}`"), at());
                None
            }
            Some(v) => Some(v),
            None => {
                cx.unpinned(
                    format!(
                        "`{g}:{a}` has no version here (a parent POM or imported BOM manages it)"
                    ),
                    at(),
                );
                None
            }
        };
        let Some(i) = cx.package(purl("maven", Some(&g), &a, version.as_deref()), at) else {
            continue;
        };
        let p = cx.get(i);
        p.line = Some(line);
        p.direct = true;
        p.scope = match (d.scope.as_deref(), d.optional) {
            (Some("test"), _) => chainwatch_sbom::Scope::Test,
            (Some("provided" | "system"), _) | (_, true) => chainwatch_sbom::Scope::Optional,
            _ => chainwatch_sbom::Scope::Runtime,
        };
        if let Some(m) = member {
            cx.edge(m, i);
        }
    }
}

pub(crate) fn gradle_lock(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    for (offset, line) in lines_with_offsets(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let line_no = cx.line_of(offset);
        let at = || Location::line(line_no, 1);
        let (coords, configurations) = line.split_once('=').unwrap_or((line, ""));
        let parts: Vec<&str> = coords.split(':').collect();
        let [g, a, v] = parts.as_slice() else {
            cx.entry(
                format!("expected `GROUP:ARTIFACT:VERSION=CONFIGURATIONS`, found `{line}`"),
                at(),
            );
            continue;
        };
        let Some(i) = cx.package(purl("maven", Some(g), a, Some(v)), at) else {
            continue;
        };
        let test_only = !configurations.is_empty()
            && configurations
                .split(',')
                .all(|c| c.to_ascii_lowercase().contains("test"));
        let p = cx.get(i);
        p.line = Some(line_no);
        if test_only {
            p.scope = chainwatch_sbom::Scope::Test;
        }
    }
    cx.direct_unknown();
}
