//! Which ecosystem a package belongs to, what its manifest says (name, version,
//! description, links) and which of its files run when it is installed or built.

use crate::archive::Contents;

/// The ecosystems `audit package` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Npm,
    Pypi,
    Crates,
    Rubygems,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Crates => "crates",
            Ecosystem::Rubygems => "rubygems",
        }
    }

    /// The typo-squat corpus for this ecosystem.
    pub fn typosquat(self) -> chainwatch_typosquat::Ecosystem {
        match self {
            Ecosystem::Npm => chainwatch_typosquat::Ecosystem::Npm,
            Ecosystem::Pypi => chainwatch_typosquat::Ecosystem::PyPi,
            Ecosystem::Crates => chainwatch_typosquat::Ecosystem::CratesIo,
            Ecosystem::Rubygems => chainwatch_typosquat::Ecosystem::RubyGems,
        }
    }
}

/// What a package's manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub ecosystem: Ecosystem,
    /// The manifest file inside the package.
    pub path: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    /// npm lifecycle scripts that run at install: `(hook, command)`.
    pub install_scripts: Vec<(String, String)>,
    /// Files that run at install or build time.
    pub install_files: Vec<String>,
    /// The package says it ships native code (npm `bin`/`os`/`cpu`/`gypfile`, a wheel,
    /// gem extensions).
    pub declares_native: bool,
    /// A built distribution (wheel, installed tree) rather than source.
    pub built: bool,
    /// The names of the packages it needs at run time.
    pub dependencies: Vec<String>,
}

impl Manifest {
    fn new(ecosystem: Ecosystem, path: &str) -> Manifest {
        Manifest {
            ecosystem,
            path: path.to_owned(),
            name: None,
            version: None,
            description: None,
            homepage: None,
            repository: None,
            install_scripts: Vec::new(),
            install_files: Vec::new(),
            declares_native: false,
            built: false,
            dependencies: Vec::new(),
        }
    }

    /// `name@version`, or the name alone.
    pub fn id(&self) -> Option<String> {
        let name = self.name.as_deref()?;
        Some(match &self.version {
            Some(v) => format!("{name}@{v}"),
            None => name.to_owned(),
        })
    }
}

/// The npm hooks that run when a package is installed (npm 7+ runs no uninstall hooks).
pub const NPM_INSTALL_HOOKS: [&str; 3] = ["preinstall", "install", "postinstall"];

/// Recognizes the package's ecosystem from its root files.
pub fn recognize(contents: &Contents) -> Option<Manifest> {
    if let Some(m) = npm(contents) {
        return Some(m);
    }
    if let Some(m) = gem(contents) {
        return Some(m);
    }
    if let Some(m) = cargo(contents) {
        return Some(m);
    }
    python(contents)
}

fn text(contents: &Contents, path: &str) -> Option<String> {
    contents
        .get(path)
        .map(|e| String::from_utf8_lossy(&e.data).into_owned())
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn npm(contents: &Contents) -> Option<Manifest> {
    let text = text(contents, "package.json")?;
    let mut m = Manifest::new(Ecosystem::Npm, "package.json");
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Some(m);
    };
    let field = |k: &str| non_empty(json.get(k).and_then(|v| v.as_str()));
    m.name = field("name");
    m.version = field("version");
    m.description = field("description");
    m.homepage = field("homepage");
    m.repository = field("repository").or_else(|| {
        non_empty(
            json.get("repository")
                .and_then(|r| r.get("url"))
                .and_then(|v| v.as_str()),
        )
    });
    for key in ["dependencies", "optionalDependencies"] {
        if let Some(deps) = json.get(key).and_then(|d| d.as_object()) {
            m.dependencies.extend(deps.keys().cloned());
        }
    }
    m.declares_native = ["os", "cpu", "gypfile", "binary"]
        .iter()
        .any(|k| json.get(*k).is_some())
        || contents.get("binding.gyp").is_some();
    if let Some(scripts) = json.get("scripts").and_then(|s| s.as_object()) {
        for hook in NPM_INSTALL_HOOKS {
            if let Some(command) = scripts.get(hook).and_then(|v| v.as_str()) {
                m.install_scripts
                    .push((hook.to_owned(), command.to_owned()));
                for word in
                    command.split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|')
                {
                    let word = word.trim_matches(|c| c == '"' || c == '\'');
                    let word = word.strip_prefix("./").unwrap_or(word);
                    if word.is_empty() {
                        continue;
                    }
                    for candidate in [word.to_owned(), format!("{word}.js")] {
                        if contents.get(&candidate).is_some()
                            && !m.install_files.contains(&candidate)
                        {
                            m.install_files.push(candidate);
                        }
                    }
                }
            }
        }
    }
    Some(m)
}

fn gem(contents: &Contents) -> Option<Manifest> {
    if let Some(text) = text(contents, "metadata.gz") {
        let mut m = Manifest::new(Ecosystem::Rubygems, "metadata.gz");
        let mut in_version = false;
        let mut in_extensions = false;
        for line in text.lines() {
            // A list under a key may sit at the key's own indentation (`- item`).
            let indented = line.starts_with(' ') || line.starts_with("- ");
            if !indented {
                in_version = false;
                in_extensions = false;
            }
            let t = line.trim();
            let value = |key: &str| {
                t.strip_prefix(key)
                    .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_owned())
                    .filter(|v| !v.is_empty() && !v.starts_with('!') && v != "~" && v != "''")
            };
            if !indented {
                if let Some(v) = value("name:") {
                    m.name = Some(v);
                } else if t.starts_with("version:") {
                    in_version = true;
                } else if let Some(v) = value("summary:") {
                    m.description = Some(v);
                } else if let Some(v) = value("description:") {
                    m.description.get_or_insert(v);
                } else if let Some(v) = value("homepage:") {
                    m.homepage = Some(v);
                } else if t.starts_with("extensions:") {
                    in_extensions = !t.ends_with("[]");
                }
            } else if in_version {
                if let Some(v) = value("version:") {
                    m.version = Some(v);
                }
            } else if in_extensions && let Some(path) = t.strip_prefix("- ") {
                let path = path.trim().trim_matches(|c| c == '"' || c == '\'');
                m.install_files.push(path.to_owned());
            }
        }
        return Some(m);
    }
    let spec = contents
        .entries
        .iter()
        .find(|e| !e.path.contains('/') && e.path.ends_with(".gemspec"))?;
    let text = String::from_utf8_lossy(&spec.data);
    let mut m = Manifest::new(Ecosystem::Rubygems, &spec.path);
    // The gemspec is Ruby that Bundler evaluates for path and git sources.
    m.install_files.push(spec.path.clone());
    for line in text.lines() {
        let t = line.trim();
        let Some((lhs, rhs)) = t.split_once('=') else {
            continue;
        };
        let key = lhs.trim().rsplit('.').next().unwrap_or_default();
        let quoted = || {
            let rhs = rhs.trim();
            let q = rhs.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            rhs[1..].split(q).next().map(str::to_owned)
        };
        match key {
            "name" => m.name = m.name.take().or_else(quoted),
            "version" => m.version = m.version.take().or_else(quoted),
            "summary" | "description" => m.description = m.description.take().or_else(quoted),
            "homepage" => m.homepage = m.homepage.take().or_else(quoted),
            "extensions" => {
                for part in rhs.split(['"', '\'']).skip(1).step_by(2) {
                    m.install_files.push(part.to_owned());
                }
            }
            _ => {}
        }
    }
    Some(m)
}

fn cargo(contents: &Contents) -> Option<Manifest> {
    let text = text(contents, "Cargo.toml")?;
    let mut m = Manifest::new(Ecosystem::Crates, "Cargo.toml");
    let Ok(doc) = toml::from_str::<toml::Table>(&text) else {
        return Some(m);
    };
    let package = doc.get("package").and_then(|p| p.as_table());
    let field = |k: &str| non_empty(package.and_then(|p| p.get(k)).and_then(|v| v.as_str()));
    m.name = field("name");
    m.version = field("version");
    m.description = field("description");
    m.homepage = field("homepage").or_else(|| field("documentation"));
    m.repository = field("repository");
    let build = package.and_then(|p| p.get("build"));
    match build {
        Some(toml::Value::String(path)) => m.install_files.push(path.clone()),
        Some(toml::Value::Boolean(false)) => {}
        _ => {
            if contents.get("build.rs").is_some() {
                m.install_files.push("build.rs".into());
            }
        }
    }
    if let Some(deps) = doc.get("dependencies").and_then(|d| d.as_table()) {
        for (key, value) in deps {
            let name = value.get("package").and_then(|p| p.as_str()).unwrap_or(key);
            m.dependencies.push(name.to_owned());
        }
    }
    let lib = doc.get("lib").and_then(|l| l.as_table());
    if lib
        .and_then(|l| l.get("proc-macro").or_else(|| l.get("proc_macro")))
        .and_then(toml::Value::as_bool)
        == Some(true)
    {
        let path = lib
            .and_then(|l| l.get("path"))
            .and_then(|p| p.as_str())
            .unwrap_or("src/lib.rs");
        m.install_files.push(path.to_owned());
    }
    Some(m)
}

fn python(contents: &Contents) -> Option<Manifest> {
    let (path, built) = if contents.get("PKG-INFO").is_some() {
        ("PKG-INFO".to_owned(), false)
    } else if let Some(e) = contents
        .entries
        .iter()
        .find(|e| e.path.ends_with(".dist-info/METADATA") && e.path.matches('/').count() == 1)
    {
        (e.path.clone(), true)
    } else if contents.get("setup.py").is_some() {
        ("setup.py".to_owned(), false)
    } else if contents.get("pyproject.toml").is_some() {
        ("pyproject.toml".to_owned(), false)
    } else {
        return None;
    };
    let mut m = Manifest::new(Ecosystem::Pypi, &path);
    m.built = built;
    m.declares_native = built;
    if path == "PKG-INFO" || built {
        let text = text(contents, &path).unwrap_or_default();
        for line in text.lines() {
            if line.is_empty() {
                break;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = non_empty(Some(value));
            match key.to_ascii_lowercase().as_str() {
                "name" => m.name = value,
                "version" => m.version = value,
                "summary" => m.description = value.filter(|v| v != "UNKNOWN"),
                "home-page" => m.homepage = value.filter(|v| v != "UNKNOWN"),
                "requires-dist" => {
                    if let Some(v) = value {
                        let name: String = v
                            .chars()
                            .take_while(|c| {
                                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
                            })
                            .collect();
                        if !name.is_empty() && !v.contains("extra ==") {
                            m.dependencies.push(name);
                        }
                    }
                }
                "project-url" if m.repository.is_none() => {
                    m.repository =
                        value.and_then(|v| v.split_once(',').map(|(_, u)| u.trim().to_owned()));
                }
                _ => {}
            }
        }
    } else if path == "pyproject.toml"
        && let Some(text) = text(contents, &path)
        && let Ok(doc) = toml::from_str::<toml::Table>(&text)
    {
        let project = doc.get("project").and_then(|p| p.as_table());
        let field = |k: &str| non_empty(project.and_then(|p| p.get(k)).and_then(|v| v.as_str()));
        m.name = field("name");
        m.version = field("version");
        m.description = field("description");
        m.homepage = project
            .and_then(|p| p.get("urls"))
            .and_then(|u| u.as_table())
            .and_then(|u| u.values().find_map(|v| v.as_str().map(str::to_owned)));
    }
    if contents.get("setup.py").is_some() {
        m.install_files.push("setup.py".into());
    }
    for e in &contents.entries {
        if !e.path.contains('/')
            && std::path::Path::new(&e.path)
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("pth"))
        {
            m.install_files.push(e.path.clone());
        }
    }
    Some(m)
}
