//! The typo-squatting corpus from the arguments and the store, as `scan`, `ingest`,
//! `typosquat check` and `serve` use it (built by `chainwatch_typosquat::CorpusSources`).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use chainwatch_typosquat::{Checker, CorpusSources, Detector, Ecosystem, PORTFOLIO_NAMES, Popular};

use crate::cli::TyposquatCorpusArgs;
use crate::output::InputError;

/// Where `typosquat refresh` keeps its lists.
pub(crate) fn refreshed_dir() -> std::path::PathBuf {
    crate::cli::cache_dir().join("popular")
}

/// The corpus sources the arguments name besides the built-in lists: the lists
/// `typosquat refresh` keeps, `--popular` files and the allowlist.
pub(crate) fn sources(args: &TyposquatCorpusArgs) -> anyhow::Result<CorpusSources> {
    let mut sources = CorpusSources {
        refreshed: Some(refreshed_dir()),
        ..CorpusSources::default()
    };
    for path in &args.popular {
        let bytes = std::fs::read(path)
            .map_err(|e| InputError(format!("cannot read `{}`: {e}", path.display())))?;
        sources.lists.push(
            Popular::parse(&bytes).map_err(|e| InputError(format!("`{}`: {e}", path.display())))?,
        );
    }
    if let Some(path) = &args.allowlist {
        sources.allow = allowlist(path)?;
    }
    Ok(sources)
}

/// The names at least `min` products of the store use (none with 0 or without a store).
pub(crate) fn portfolio(
    store: Option<&chainwatch_store::Store>,
    ecosystem: Ecosystem,
    min: u64,
) -> anyhow::Result<Vec<String>> {
    match store {
        Some(store) if min > 0 => Ok(store
            .portfolio_names(ecosystem.purl_type(), min, PORTFOLIO_NAMES)?
            .into_iter()
            .map(|(identity, _)| identity)
            .collect()),
        _ => Ok(Vec::new()),
    }
}

/// The detector for an ecosystem: the corpus the arguments name and, with a store, the
/// names many of its products use.
pub(crate) fn detector(
    ecosystem: Ecosystem,
    args: &TyposquatCorpusArgs,
    store: Option<&chainwatch_store::Store>,
) -> anyhow::Result<Detector> {
    let used = portfolio(store, ecosystem, args.portfolio_min())?;
    Ok(sources(args)?.detector(ecosystem, used.iter().map(String::as_str)))
}

/// A checker of many packages over the corpus the arguments name and the store's
/// portfolio (a portfolio that cannot be read is left out).
pub(crate) fn checker<'a>(
    sources: &'a CorpusSources,
    args: &TyposquatCorpusArgs,
    store: Option<&'a chainwatch_store::Store>,
) -> Checker<'a> {
    let min = args.portfolio_min();
    Checker::new(move |eco| {
        let used = portfolio(store, eco, min).unwrap_or_default();
        Arc::new(sources.detector(eco, used.iter().map(String::as_str)))
    })
}

/// The detector of every ecosystem over the corpus and the store's portfolio (a
/// portfolio that cannot be read is left out).
pub(crate) fn detectors(
    sources: &CorpusSources,
    args: &TyposquatCorpusArgs,
    store: Option<&chainwatch_store::Store>,
) -> HashMap<Ecosystem, Arc<Detector>> {
    let min = args.portfolio_min();
    Ecosystem::ALL
        .iter()
        .map(|&eco| {
            let used = portfolio(store, eco, min).unwrap_or_default();
            (
                eco,
                Arc::new(sources.detector(eco, used.iter().map(String::as_str))),
            )
        })
        .collect()
}

/// Purls to check per thread at least.
const PURLS_PER_THREAD: usize = 2048;

/// Which of these purls are typo-squat suspects, checked on every core.
pub(crate) fn suspects_among(
    detectors: &HashMap<Ecosystem, Arc<Detector>>,
    sources: &CorpusSources,
    purls: &[&str],
) -> HashSet<String> {
    let mut purls = purls.to_vec();
    // The versions of a name together: each name is checked once per thread.
    purls.sort_unstable();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(purls.len() / PURLS_PER_THREAD)
        .max(1);
    let check = |part: &[&str]| -> Vec<String> {
        Checker::new(|eco| {
            detectors
                .get(&eco)
                .cloned()
                .unwrap_or_else(|| Arc::new(sources.detector(eco, std::iter::empty())))
        })
        .suspects(part.iter().copied())
        .into_iter()
        .map(|s| s.package)
        .collect()
    };
    if threads == 1 {
        return check(&purls).into_iter().collect();
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = purls
            .chunks(purls.len().div_ceil(threads))
            .map(|part| scope.spawn(move || check(part)))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// `NAME reason…` per line; `#` starts a comment.
fn allowlist(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read `{}`: {e}", path.display())))?;
    Ok(text
        .lines()
        .map(|l| l.split_once('#').map_or(l, |(code, _)| code).trim())
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((name, reason)) => (name.to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), "allowlisted".to_owned()),
        })
        .collect())
}
