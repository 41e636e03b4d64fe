//! Popular-package corpora: the built-in lists (written for chainwatch, in `lists/`, most
//! depended-upon first), user files (one name per line, or the common JSON formats of
//! download-count lists), and names the portfolio itself uses a lot.

use crate::Ecosystem;

/// Names in order of popularity (the first is the most popular); duplicates removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Popular {
    names: Vec<String>,
}

/// Why a popularity file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PopularError {
    #[error("{0}")]
    Json(String),
    #[error(
        "expected names: one per line, a JSON array of names, or an object with `packages`, `rows` (`project`/`name`) or `data` entries"
    )]
    Shape,
}

fn builtin_text(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Npm => include_str!("lists/npm.txt"),
        Ecosystem::PyPi => include_str!("lists/pypi.txt"),
        Ecosystem::CratesIo => include_str!("lists/crates.txt"),
        Ecosystem::Go => include_str!("lists/go.txt"),
        Ecosystem::Maven => include_str!("lists/maven.txt"),
        Ecosystem::RubyGems => include_str!("lists/rubygems.txt"),
        Ecosystem::NuGet => include_str!("lists/nuget.txt"),
        Ecosystem::Packagist => include_str!("lists/packagist.txt"),
    }
}

impl Popular {
    pub fn new() -> Popular {
        Popular::default()
    }

    /// Adds the names a portfolio uses a lot (name identities as purls, most used
    /// first), except those that look like a squat of a name already listed: a squat
    /// that made it into several products must not become popular itself.
    pub fn merge_portfolio<'a>(
        &mut self,
        ecosystem: Ecosystem,
        identities: impl IntoIterator<Item = &'a str>,
    ) {
        let lists = crate::Detector::new(ecosystem, self);
        let names: Vec<String> = identities
            .into_iter()
            .filter_map(|identity| chainwatch_purl::Purl::parse(identity).ok())
            .map(|p| ecosystem.name_of(&p))
            .filter(|name| !lists.check(name).suspect)
            .collect();
        self.extend(names.iter().map(String::as_str));
    }

    /// The list that ships in the binary.
    pub fn builtin(ecosystem: Ecosystem) -> Popular {
        let mut p = Popular::new();
        p.extend(
            builtin_text(ecosystem)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#')),
        );
        p
    }

    /// Reads a popularity file: one name per line (`#` comments), a JSON array of names
    /// or of objects with a `name`/`project`/`package` field, or an object whose
    /// `packages`, `rows`, `data` or `items` member is such an array (guarddog's and
    /// hugovk's top-packages formats). Objects with a download count are ordered by it.
    pub fn parse(bytes: &[u8]) -> Result<Popular, PopularError> {
        let text = String::from_utf8_lossy(bytes);
        let trimmed = text.trim_start();
        let mut p = Popular::new();
        if !(trimmed.starts_with('[') || trimmed.starts_with('{')) {
            p.extend(
                text.lines()
                    .map(|l| l.split('#').next().unwrap_or("").trim())
                    .map(|l| l.split([',', '\t', ' ']).next().unwrap_or(""))
                    .filter(|l| !l.is_empty()),
            );
            return Ok(p);
        }
        let value: serde_json::Value =
            serde_json::from_str(trimmed).map_err(|e| PopularError::Json(e.to_string()))?;
        let list = match &value {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(o) => {
                ["packages", "rows", "data", "items", "projects", "crates"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(serde_json::Value::as_array))
                    .ok_or(PopularError::Shape)?
            }
            _ => return Err(PopularError::Shape),
        };
        let mut entries: Vec<(String, Option<f64>)> = Vec::with_capacity(list.len());
        for item in list {
            match item {
                serde_json::Value::String(s) => entries.push((s.clone(), None)),
                serde_json::Value::Object(o) => {
                    let name = ["project", "name", "package", "id"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(serde_json::Value::as_str));
                    let count = ["download_count", "downloads", "count", "dependents"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(serde_json::Value::as_f64));
                    if let Some(n) = name {
                        entries.push((n.to_owned(), count));
                    }
                }
                _ => {}
            }
        }
        if entries.is_empty() && !list.is_empty() {
            return Err(PopularError::Shape);
        }
        if entries.iter().all(|(_, c)| c.is_some()) {
            entries.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
        }
        p.extend(entries.iter().map(|(n, _)| n.as_str()));
        Ok(p)
    }

    /// Public lists of popular packages: (URL, what it is). Fetched by `chainwatch
    /// typosquat refresh`; none is known for Maven, NuGet and Packagist.
    pub fn sources(ecosystem: Ecosystem) -> Vec<(String, &'static str)> {
        const GUARDDOG: &str = "https://raw.githubusercontent.com/DataDog/guarddog/main/guarddog/analyzer/metadata/resources";
        match ecosystem {
            Ecosystem::Npm => vec![(
                format!("{GUARDDOG}/top_npm_packages.json"),
                "DataDog guarddog: top npm packages (npm-rank)",
            )],
            Ecosystem::PyPi => vec![(
                "https://raw.githubusercontent.com/hugovk/top-pypi-packages/main/top-pypi-packages-30-days.min.json".to_owned(),
                "hugovk/top-pypi-packages: 15,000 most-downloaded projects, 30 days",
            )],
            Ecosystem::Go => vec![(
                format!("{GUARDDOG}/top_go_packages.json"),
                "DataDog guarddog: top Go modules",
            )],
            Ecosystem::RubyGems => vec![(
                format!("{GUARDDOG}/top_rubygems_packages.json"),
                "DataDog guarddog: top RubyGems",
            )],
            Ecosystem::CratesIo => (1..=10)
                .map(|page| {
                    (
                        format!("https://crates.io/api/v1/crates?sort=downloads&per_page=100&page={page}"),
                        "crates.io API: crates by all-time downloads",
                    )
                })
                .collect(),
            Ecosystem::Maven | Ecosystem::NuGet | Ecosystem::Packagist => Vec::new(),
        }
    }

    /// Adds names after those already there (less popular), skipping duplicates.
    pub fn extend<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        let mut seen: std::collections::HashSet<String> = self.names.iter().cloned().collect();
        for n in names {
            let n = n.trim();
            if !n.is_empty() && seen.insert(n.to_owned()) {
                self.names.push(n.to_owned());
            }
        }
    }

    /// Adds another list after this one.
    pub fn merge(&mut self, other: &Popular) {
        self.extend(other.names.iter().map(String::as_str));
    }

    /// The first `n` names.
    #[must_use]
    pub fn top(&self, n: usize) -> Popular {
        Popular {
            names: self.names.iter().take(n).cloned().collect(),
        }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
