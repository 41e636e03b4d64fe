//! What `scan`, `ingest`, `typosquat check` and the server share: the corpus a detector
//! checks against, assembled from the same sources everywhere (the built-in list, the
//! list `typosquat refresh` keeps, the user's lists, the names the portfolio itself uses
//! a lot, the allowlist), and [`Checker`], which checks many packages the way
//! typomania's `Harness` checks many names.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chainwatch_purl::Purl;

use crate::{Detector, Ecosystem, Popular, Verdict};

/// Products whose current inventories must use a name for the portfolio to count it as
/// popular (the default of `--portfolio-min`).
pub const PORTFOLIO_MIN: u64 = 3;
/// The most names the portfolio adds to a corpus.
pub const PORTFOLIO_NAMES: u64 = 5_000;

/// Where a corpus comes from besides the built-in list and the portfolio (whose names
/// are given when a detector is made).
#[derive(Debug, Clone, Default)]
pub struct CorpusSources {
    /// The directory `typosquat refresh` keeps its lists in ([`CorpusSources::save_refreshed`]).
    pub refreshed: Option<PathBuf>,
    /// The user's lists (`--popular`), for every ecosystem.
    pub lists: Vec<Popular>,
    /// Names reviewed and allowed, with the reason.
    pub allow: Vec<(String, String)>,
}

impl CorpusSources {
    /// The file the refreshed list of `ecosystem` is kept in, under `dir`.
    pub fn refreshed_path(dir: &Path, ecosystem: Ecosystem) -> PathBuf {
        dir.join(format!("{}.json", ecosystem.as_str().to_ascii_lowercase()))
    }

    /// Keeps a refreshed list: written beside, then renamed, so that a reader never sees
    /// half a list.
    pub fn save_refreshed(
        dir: &Path,
        ecosystem: Ecosystem,
        list: &Popular,
        sources: &[String],
        fetched: &str,
    ) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let path = Self::refreshed_path(dir, ecosystem);
        let doc = serde_json::json!({
            "ecosystem": ecosystem.as_str(),
            "fetched": fetched,
            "sources": sources,
            "packages": list.names(),
        });
        let tmp = path.with_extension("json.part");
        std::fs::write(&tmp, serde_json::to_vec(&doc).map_err(io::Error::other)?)?;
        std::fs::rename(&tmp, &path)
    }

    /// The popular names of `ecosystem`: the built-in list, the refreshed one (a missing
    /// or broken one is left out: it is a cache), the user's lists, then the
    /// `portfolio`'s name identities (`pkg:npm/lodash`, most used first) that are not
    /// themselves look-alikes of those (a squat that spread stays a squat).
    pub fn popular<'a>(
        &self,
        ecosystem: Ecosystem,
        portfolio: impl IntoIterator<Item = &'a str>,
    ) -> Popular {
        let mut popular = Popular::builtin(ecosystem);
        if let Some(dir) = &self.refreshed
            && let Ok(bytes) = std::fs::read(Self::refreshed_path(dir, ecosystem))
            && let Ok(list) = Popular::parse(&bytes)
        {
            popular.merge(&list);
        }
        for list in &self.lists {
            popular.merge(list);
        }
        let mut portfolio = portfolio.into_iter().peekable();
        if portfolio.peek().is_some() {
            popular.merge_portfolio(ecosystem, portfolio);
        }
        popular
    }

    /// A detector over [`CorpusSources::popular`], with the allowlist.
    pub fn detector<'a>(
        &self,
        ecosystem: Ecosystem,
        portfolio: impl IntoIterator<Item = &'a str>,
    ) -> Detector {
        let mut detector = Detector::new(ecosystem, &self.popular(ecosystem, portfolio));
        for (name, reason) in &self.allow {
            detector.allow(name, reason);
        }
        detector
    }
}

/// A package whose name imitates a popular one (the JSON shape of `ingest` and the
/// server's upload answers).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suspect {
    /// The package's purl.
    pub package: String,
    /// The popular package it imitates.
    pub imitates: String,
    pub technique: &'static str,
    pub score: f64,
}

/// Checks many packages: one detector per ecosystem, made when first needed, and each
/// package name checked once whatever its version.
pub struct Checker<'a> {
    make: Box<dyn FnMut(Ecosystem) -> Arc<Detector> + Send + 'a>,
    detectors: HashMap<Ecosystem, Arc<Detector>>,
    verdicts: crate::FnvMap<(Ecosystem, String), Option<Verdict>>,
}

impl std::fmt::Debug for Checker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("detectors", &self.detectors.len())
            .field("checked", &self.verdicts.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Checker<'a> {
    /// A checker whose detectors `make` builds (or hands out from a cache).
    pub fn new(make: impl FnMut(Ecosystem) -> Arc<Detector> + Send + 'a) -> Checker<'a> {
        Checker {
            make: Box::new(make),
            detectors: HashMap::new(),
            verdicts: crate::FnvMap::default(),
        }
    }

    /// The verdict on a package when it is a suspect; `None` when it is not, or when
    /// its ecosystem has no corpus.
    pub fn suspect(&mut self, purl: &Purl) -> Option<&Verdict> {
        let ecosystem = Ecosystem::from_purl_type(purl.ty())?;
        let name = ecosystem.name_of(purl);
        let (detectors, make) = (&mut self.detectors, &mut self.make);
        self.verdicts
            .entry((ecosystem, name))
            .or_insert_with_key(|(ecosystem, name)| {
                let detector = detectors
                    .entry(*ecosystem)
                    .or_insert_with(|| make(*ecosystem));
                let verdict = detector.check(name);
                verdict.suspect.then_some(verdict)
            })
            .as_ref()
    }

    /// The suspects among packages given as purls (those that do not parse are left
    /// out): each package once, in purl order.
    pub fn suspects<'p>(&mut self, purls: impl IntoIterator<Item = &'p str>) -> Vec<Suspect> {
        let mut out: Vec<Suspect> = purls
            .into_iter()
            .filter_map(|p| {
                let purl = Purl::parse(p).ok()?;
                let v = self.suspect(&purl)?;
                Some(Suspect {
                    package: p.to_owned(),
                    imitates: v.imitates.clone().unwrap_or_default(),
                    technique: v.technique.map_or("", crate::Technique::as_str),
                    score: v.score,
                })
            })
            .collect();
        out.sort_unstable_by(|a, b| a.package.cmp(&b.package));
        out.dedup_by(|a, b| a.package == b.package);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_add_to_the_builtin_list_and_the_allowlist_clears() {
        let dir = std::env::temp_dir().join(format!("cw-corpus-{}", std::process::id()));
        let mut refreshed = Popular::new();
        refreshed.extend(["acme-billing-client"]);
        CorpusSources::save_refreshed(&dir, Ecosystem::Npm, &refreshed, &[], "now").expect("save");
        let sources = CorpusSources {
            refreshed: Some(dir.clone()),
            lists: Vec::new(),
            allow: vec![("colourama".into(), "reviewed".into())],
        };
        let npm = sources.detector(Ecosystem::Npm, ["pkg:npm/acme-internal-ui"]);
        assert!(npm.check("acme-biling-client").suspect);
        assert!(npm.check("acme-internal-uii").suspect);
        let pypi = sources.detector(Ecosystem::PyPi, std::iter::empty());
        assert!(!pypi.check("colourama").suspect);
        let _ = std::fs::remove_dir_all(&dir);

        let mut made = 0;
        let mut checker = Checker::new(|eco| {
            made += 1;
            Arc::new(Detector::new(eco, &Popular::builtin(eco)))
        });
        for purl in [
            "pkg:npm/crossenv@1.0.0",
            "pkg:npm/crossenv@2.0.0",
            "pkg:npm/cross-env@7",
        ] {
            let purl = Purl::parse(purl).expect("purl");
            let suspect = checker.suspect(&purl).map(|v| v.imitates.clone());
            assert_eq!(
                suspect.flatten().as_deref(),
                (purl.name() == "crossenv").then_some("cross-env")
            );
        }
        assert!(
            checker
                .suspect(&Purl::parse("pkg:generic/x").expect("purl"))
                .is_none()
        );
        drop(checker);
        assert_eq!(made, 1);
    }
}
