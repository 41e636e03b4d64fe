//! What the inventoried tree is: the name and version its top-level manifest declares.

use std::path::Path;

use chainwatch_purl::Purl;
use serde::Deserialize;

use crate::context::{npm_purl, purl};
use crate::text::read_small;

/// The project a tree holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub name: String,
    pub version: Option<String>,
    /// The package URL of the project, when its manifest names an ecosystem.
    pub purl: Option<Purl>,
    /// The manifest the name came from (`Cargo.toml`), or `None` for the directory name.
    pub manifest: Option<&'static str>,
}

impl Project {
    pub fn named(name: impl Into<String>) -> Project {
        Project {
            name: name.into(),
            version: None,
            purl: None,
            manifest: None,
        }
    }
}

/// The project of a directory: its top-level manifest, else the directory's name.
pub(crate) fn of_dir(dir: &Path) -> Project {
    type Reader = fn(&str) -> Option<(String, Option<String>, Option<Purl>)>;
    const MANIFESTS: &[(&str, Reader)] = &[
        ("Cargo.toml", cargo),
        ("package.json", npm),
        ("pyproject.toml", python),
        ("composer.json", composer),
        ("go.mod", go),
        ("pom.xml", maven),
    ];
    for (file, read) in MANIFESTS {
        if let Ok(text) = read_small(&dir.join(file))
            && let Some((name, version, purl)) = read(&text)
            && !name.trim().is_empty()
        {
            return Project {
                name,
                version,
                purl,
                manifest: Some(file),
            };
        }
    }
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "project".to_owned());
    Project::named(name)
}

fn cargo(text: &str) -> Option<(String, Option<String>, Option<Purl>)> {
    #[derive(Deserialize)]
    struct Manifest {
        package: Option<Package>,
        workspace: Option<Workspace>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: Option<toml::Value>,
    }
    #[derive(Deserialize)]
    struct Workspace {
        package: Option<WorkspacePackage>,
    }
    #[derive(Deserialize)]
    struct WorkspacePackage {
        version: Option<String>,
    }
    let m: Manifest = toml::from_str(text).ok()?;
    let package = m.package?;
    let version = match package.version {
        Some(toml::Value::String(v)) => Some(v),
        // `version.workspace = true`
        Some(_) => m.workspace.and_then(|w| w.package).and_then(|p| p.version),
        None => None,
    };
    let purl = purl("cargo", None, &package.name, version.as_deref())
        .build()
        .ok();
    Some((package.name, version, purl))
}

fn npm(text: &str) -> Option<(String, Option<String>, Option<Purl>)> {
    #[derive(Deserialize)]
    struct Manifest {
        name: Option<String>,
        version: Option<String>,
    }
    let m: Manifest = serde_json::from_str(text).ok()?;
    let name = m.name?;
    let purl = npm_purl(&name, m.version.as_deref()).build().ok();
    Some((name, m.version, purl))
}

fn python(text: &str) -> Option<(String, Option<String>, Option<Purl>)> {
    #[derive(Deserialize)]
    struct Manifest {
        project: Option<Meta>,
        tool: Option<Tool>,
    }
    #[derive(Deserialize)]
    struct Tool {
        poetry: Option<Meta>,
    }
    #[derive(Deserialize)]
    struct Meta {
        name: Option<String>,
        version: Option<String>,
    }
    let m: Manifest = toml::from_str(text).ok()?;
    let (name, version) = [m.project, m.tool.and_then(|t| t.poetry)]
        .into_iter()
        .flatten()
        .find_map(|meta| Some((meta.name?, meta.version)))?;
    let purl = purl("pypi", None, &name, version.as_deref()).build().ok();
    Some((name, version, purl))
}

fn composer(text: &str) -> Option<(String, Option<String>, Option<Purl>)> {
    #[derive(Deserialize)]
    struct Manifest {
        name: Option<String>,
        version: Option<String>,
    }
    let m: Manifest = serde_json::from_str(text).ok()?;
    let name = m.name?;
    let (ns, n) = name
        .split_once('/')
        .map_or((None, name.as_str()), |(a, b)| (Some(a), b));
    let purl = purl("composer", ns, n, m.version.as_deref()).build().ok();
    Some((name, m.version, purl))
}

fn go(text: &str) -> Option<(String, Option<String>, Option<Purl>)> {
    let module = text.lines().find_map(|l| {
        let l = crate::text::strip_comment(l).trim();
        l.strip_prefix("module")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(|rest| rest.trim().trim_matches('"').to_owned())
    })?;
    let purl = crate::extract::golang::module_purl(&module, None)
        .build()
        .ok();
    Some((module, None, purl))
}

fn maven(text: &str) -> Option<(String, Option<String>, Option<Purl>)> {
    let pom = crate::extract::maven::Pom::parse(text).ok()?;
    let (group, artifact, version) = pom.coordinates();
    let artifact = artifact?;
    let purl = purl("maven", group.as_deref(), &artifact, version.as_deref())
        .build()
        .ok();
    Some((artifact, version, purl))
}
