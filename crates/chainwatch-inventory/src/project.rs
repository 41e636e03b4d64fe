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
    /// The licence the manifest declares, as written (`license` in Cargo.toml,
    /// package.json, pyproject.toml, composer.json; a POM's `<licenses>`).
    pub license: Option<String>,
}

impl Project {
    pub fn named(name: impl Into<String>) -> Project {
        Project {
            name: name.into(),
            version: None,
            purl: None,
            manifest: None,
            license: None,
        }
    }
}

/// What a manifest says of its project: name, version, package URL, licence.
pub(crate) type Read = (String, Option<String>, Option<Purl>, Option<String>);

/// The project of a directory: its top-level manifest, else the directory's name.
pub(crate) fn of_dir(dir: &Path) -> Project {
    type Reader = fn(&str) -> Option<Read>;
    const MANIFESTS: &[(&str, Reader)] = &[
        ("Cargo.toml", cargo),
        ("package.json", npm),
        ("pyproject.toml", python),
        ("composer.json", composer),
        ("go.mod", go),
        ("pom.xml", maven),
    ];
    // Then the manifests named after their project: a single `NAME.gemspec` or
    // `NAME.nuspec`.
    let single = |suffix: &str| {
        let mut found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == suffix) && p.is_file());
        match (found.next(), found.next()) {
            (Some(path), None) => Some(path),
            _ => None,
        }
    };
    let candidates = MANIFESTS
        .iter()
        .map(|&(file, read)| (Some(dir.join(file)), file, read))
        .chain(std::iter::once_with(|| {
            (single("gemspec"), "*.gemspec", gemspec as Reader)
        }))
        .chain(std::iter::once_with(|| {
            (single("nuspec"), "*.nuspec", nuspec as Reader)
        }));
    for (path, manifest, read) in candidates {
        if let Some(path) = path
            && let Ok(text) = read_small(&path)
            && let Some((name, version, purl, license)) = read(&text)
            && !name.trim().is_empty()
        {
            return Project {
                name,
                version,
                purl,
                manifest: Some(manifest),
                license,
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

fn cargo(text: &str) -> Option<Read> {
    cargo_manifest(text).ok().flatten()
}

/// A `Cargo.toml`'s package (none for a virtual workspace), with what it inherits from
/// its workspace when the same file declares one.
pub(crate) fn cargo_manifest(text: &str) -> Result<Option<Read>, toml::de::Error> {
    #[derive(Deserialize)]
    struct Manifest {
        package: Option<Package>,
        workspace: Option<Workspace>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: Option<toml::Value>,
        license: Option<toml::Value>,
    }
    #[derive(Deserialize)]
    struct Workspace {
        package: Option<WorkspacePackage>,
    }
    #[derive(Deserialize)]
    struct WorkspacePackage {
        version: Option<String>,
        license: Option<String>,
    }
    let m: Manifest = toml::from_str(text)?;
    let Some(package) = m.package else {
        return Ok(None);
    };
    let inherited = m.workspace.and_then(|w| w.package);
    let version = match package.version {
        Some(toml::Value::String(v)) => Some(v),
        // `version.workspace = true`
        Some(_) => inherited.as_ref().and_then(|p| p.version.clone()),
        None => None,
    };
    let license = match package.license {
        Some(toml::Value::String(l)) => Some(l),
        Some(_) => inherited.and_then(|p| p.license),
        None => None,
    };
    let purl = purl("cargo", None, &package.name, version.as_deref())
        .build()
        .ok();
    Ok(Some((package.name, version, purl, license)))
}

fn npm(text: &str) -> Option<Read> {
    #[derive(Deserialize)]
    struct Manifest {
        name: Option<String>,
        version: Option<String>,
        license: Option<serde_json::Value>,
    }
    let m: Manifest = serde_json::from_str(text).ok()?;
    let name = m.name?;
    let purl = npm_purl(&name, m.version.as_deref()).build().ok();
    // A string, or the old `{"type": "MIT"}` form.
    let license = match m.license {
        Some(serde_json::Value::String(l)) => Some(l),
        Some(serde_json::Value::Object(o)) => o
            .get("type")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    Some((name, m.version, purl, license))
}

fn python(text: &str) -> Option<Read> {
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
        /// PEP 639 (a string), PEP 621 (`{text = "…"}`, or `{file = "…"}`, not read) or
        /// Poetry's string.
        license: Option<toml::Value>,
    }
    let m: Manifest = toml::from_str(text).ok()?;
    let (name, version, license) = [m.project, m.tool.and_then(|t| t.poetry)]
        .into_iter()
        .flatten()
        .find_map(|meta| Some((meta.name?, meta.version, meta.license)))?;
    let license = match license {
        Some(toml::Value::String(l)) => Some(l),
        Some(toml::Value::Table(t)) => t
            .get("text")
            .and_then(toml::Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    let purl = purl("pypi", None, &name, version.as_deref()).build().ok();
    Some((name, version, purl, license))
}

fn composer(text: &str) -> Option<Read> {
    #[derive(Deserialize)]
    struct Manifest {
        name: Option<String>,
        version: Option<String>,
        license: Option<serde_json::Value>,
    }
    let m: Manifest = serde_json::from_str(text).ok()?;
    let name = m.name?;
    // A string, or a list the user chooses from (Composer's documentation).
    let license = match &m.license {
        Some(serde_json::Value::String(l)) => Some(l.clone()),
        Some(serde_json::Value::Array(list)) => {
            let names: Vec<&str> = list.iter().filter_map(serde_json::Value::as_str).collect();
            (!names.is_empty()).then(|| {
                let expressions: Vec<String> = names
                    .iter()
                    .map(|n| chainwatch_license::normalize(n).expression)
                    .collect();
                chainwatch_license::join(&expressions, false)
            })
        }
        _ => None,
    };
    let (ns, n) = name
        .split_once('/')
        .map_or((None, name.as_str()), |(a, b)| (Some(a), b));
    let purl = purl("composer", ns, n, m.version.as_deref()).build().ok();
    Some((name, m.version, purl, license))
}

fn go(text: &str) -> Option<Read> {
    let module = text.lines().find_map(|l| {
        let l = crate::text::strip_comment(l).trim();
        l.strip_prefix("module")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(|rest| rest.trim().trim_matches('"').to_owned())
    })?;
    let purl = crate::extract::golang::module_purl(&module, None)
        .build()
        .ok();
    Some((module, None, purl, None))
}

fn gemspec(text: &str) -> Option<Read> {
    let spec = crate::extract::ruby::gemspec(text);
    let license = spec.license();
    let name = spec.name?;
    let purl = purl("gem", None, &name, spec.version.as_deref())
        .build()
        .ok();
    Some((name, spec.version, purl, license))
}

fn nuspec(text: &str) -> Option<Read> {
    let spec = crate::extract::dotnet::nuspec(text).ok()?;
    let id = spec.id.filter(|i| !i.contains('$'))?;
    // A nuspec that `nuget pack` fills in (`$version$`) states no version yet.
    let version = spec.version.filter(|v| !v.contains('$'));
    let purl = purl("nuget", None, &id, version.as_deref()).build().ok();
    let license = spec
        .license
        .map(|l| chainwatch_license::normalize(&l).expression);
    Some((id, version, purl, license))
}

fn maven(text: &str) -> Option<Read> {
    let pom = crate::extract::maven::Pom::parse(text).ok()?;
    let (group, artifact, version) = pom.coordinates();
    let artifact = artifact?;
    let purl = purl("maven", group.as_deref(), &artifact, version.as_deref())
        .build()
        .ok();
    // Several `<license>` elements: Maven's convention is a choice.
    let license = (!pom.licenses.is_empty()).then(|| {
        let expressions: Vec<String> = pom
            .licenses
            .iter()
            .map(|n| chainwatch_license::normalize(n).expression)
            .collect();
        chainwatch_license::join(&expressions, false)
    });
    Some((artifact, version, purl, license))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn license(read: fn(&str) -> Option<Read>, text: &str) -> Option<String> {
        read(text).and_then(|r| r.3)
    }

    #[test]
    fn manifests_declare_licences() {
        assert_eq!(
            license(
                cargo,
                "[package]\nname = \"a\"\nlicense = \"MIT OR Apache-2.0\"\n"
            )
            .as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            license(
                cargo,
                "[package]\nname = \"a\"\nlicense.workspace = true\n[workspace.package]\nlicense = \"MIT\"\n"
            )
            .as_deref(),
            Some("MIT")
        );
        assert_eq!(
            license(npm, r#"{"name": "a", "license": {"type": "ISC"}}"#).as_deref(),
            Some("ISC")
        );
        assert_eq!(
            license(
                python,
                "[project]\nname = \"a\"\nlicense = {text = \"BSD-3-Clause\"}\n"
            )
            .as_deref(),
            Some("BSD-3-Clause")
        );
        assert_eq!(
            license(python, "[project]\nname = \"a\"\nlicense = \"MIT\"\n").as_deref(),
            Some("MIT")
        );
        assert_eq!(
            license(
                composer,
                r#"{"name": "v/a", "license": ["LGPL-2.1-only", "GPL-3.0-or-later"]}"#
            )
            .as_deref(),
            Some("LGPL-2.1-only OR GPL-3.0-or-later")
        );
        let pom = "<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>\
            <licenses><license><name>The Apache Software License, Version 2.0</name></license>\
            <license><name>GNU Lesser General Public License, Version 2.1</name></license></licenses></project>";
        assert_eq!(
            license(maven, pom).as_deref(),
            Some("Apache-2.0 OR LGPL-2.1-only")
        );
        assert_eq!(license(go, "module example.com/a\n"), None);
        assert_eq!(
            license(
                gemspec,
                "Gem::Specification.new do |s|\n  s.name = \"a\"\n  s.license = \"Apache 2.0\"\nend\n"
            )
            .as_deref(),
            Some("Apache-2.0")
        );
        let nuspec_text = "<package><metadata><id>$id$</id><version>$version$</version>\
            <license type=\"expression\">MIT</license></metadata></package>";
        assert_eq!(nuspec(nuspec_text), None);
        let nuspec_text = nuspec_text.replace("$id$", "Acme.Widgets");
        let read = nuspec(&nuspec_text).expect("nuspec");
        assert_eq!((read.1, read.3.as_deref()), (None, Some("MIT")));
    }

    #[test]
    fn a_project_named_by_its_gemspec() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("acme-widgets.gemspec"),
            "Gem::Specification.new do |spec|\n  spec.name = 'acme-widgets'\n  spec.version = Acme::VERSION\n  spec.licenses = ['MIT']\nend\n",
        )
        .expect("write");
        let project = of_dir(dir.path());
        assert_eq!(project.name, "acme-widgets");
        assert_eq!(project.manifest, Some("*.gemspec"));
        assert_eq!(project.license.as_deref(), Some("MIT"));
        assert_eq!(
            project.purl.map(|p| p.to_string()).as_deref(),
            Some("pkg:gem/acme-widgets")
        );
    }
}
