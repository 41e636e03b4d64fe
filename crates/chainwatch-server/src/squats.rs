//! Typo-squatting checks of uploaded documents, with the CLI's corpus sources
//! ([`chainwatch_typosquat::CorpusSources`]: the built-in lists, those `typosquat refresh`
//! keeps, the allowlist) and the names many products of the store use. Detectors are
//! kept per ecosystem and rebuilt every ten minutes, so that the portfolio's names stay
//! current without being counted for every upload.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chainwatch_store::Store;
use chainwatch_typosquat::{
    Checker, CorpusSources, Detector, Ecosystem, PORTFOLIO_MIN, PORTFOLIO_NAMES,
};
use serde::Serialize;

/// How long a detector is used before the portfolio's names are read again.
const FRESH: Duration = Duration::from_mins(10);

/// A dependency whose name imitates a popular package.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct Suspect {
    pub package: String,
    pub imitates: String,
    pub technique: String,
    pub score: f64,
}

impl From<chainwatch_typosquat::Suspect> for Suspect {
    fn from(s: chainwatch_typosquat::Suspect) -> Suspect {
        Suspect {
            package: s.package,
            imitates: s.imitates,
            technique: s.technique.to_owned(),
            score: s.score,
        }
    }
}

#[derive(Default)]
pub(crate) struct Detectors {
    by_ecosystem: Mutex<HashMap<Ecosystem, (Instant, Arc<Detector>)>>,
    /// One builder at a time: uploads arriving together wait for it (or use the detector
    /// it replaces) instead of each counting the portfolio's names.
    building: Mutex<()>,
    /// The suspects of the documents the console showed last (a stored document never
    /// changes; the detectors do, so entries are as fresh as they are).
    documents: Mutex<Vec<Checked>>,
}

/// A document's suspects: its id, when they were found, the suspects.
type Checked = (i64, Instant, Arc<Vec<Suspect>>);

/// Documents whose suspects are kept.
const DOCUMENTS_KEPT: usize = 16;

impl Detectors {
    fn current(&self, ecosystem: Ecosystem) -> Option<(bool, Arc<Detector>)> {
        let map = self.by_ecosystem.lock().ok()?;
        map.get(&ecosystem)
            .map(|(built, d)| (built.elapsed() < FRESH, d.clone()))
    }

    fn detector(
        &self,
        store: &Store,
        corpus: &CorpusSources,
        ecosystem: Ecosystem,
    ) -> Arc<Detector> {
        let stale = match self.current(ecosystem) {
            Some((true, d)) => return d,
            Some((false, d)) => Some(d),
            None => None,
        };
        let _building = match (self.building.try_lock(), stale) {
            (Ok(guard), _) => guard,
            // Another upload is rebuilding it: this one uses the previous detector.
            (Err(std::sync::TryLockError::WouldBlock), Some(d)) => return d,
            (Err(std::sync::TryLockError::Poisoned(p)), _) => p.into_inner(),
            // The first: wait for the one building.
            (Err(std::sync::TryLockError::WouldBlock), None) => self
                .building
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        };
        if let Some((true, d)) = self.current(ecosystem) {
            return d;
        }
        // A portfolio that cannot be read leaves only the lists (the upload goes on).
        let used = store
            .portfolio_names(ecosystem.purl_type(), PORTFOLIO_MIN, PORTFOLIO_NAMES)
            .unwrap_or_default();
        let d = Arc::new(corpus.detector(ecosystem, used.iter().map(|(i, _)| i.as_str())));
        if let Ok(mut map) = self.by_ecosystem.lock() {
            map.insert(ecosystem, (Instant::now(), d.clone()));
        }
        d
    }

    /// The suspects among a document's packages.
    pub(crate) fn check(
        &self,
        store: &Store,
        corpus: &CorpusSources,
        doc: &chainwatch_store::Prepared,
    ) -> Vec<Suspect> {
        self.among(
            store,
            corpus,
            doc.components.iter().filter_map(|r| r.purl.as_deref()),
        )
    }

    /// The suspects of a stored document (by id), whose packages `purls` lists: checked
    /// once while the detectors are fresh.
    pub(crate) fn of_document(
        &self,
        store: &Store,
        corpus: &CorpusSources,
        document: i64,
        purls: &[String],
    ) -> Arc<Vec<Suspect>> {
        if let Ok(kept) = self.documents.lock()
            && let Some((_, _, found)) = kept
                .iter()
                .find(|(id, at, _)| *id == document && at.elapsed() < FRESH)
        {
            return found.clone();
        }
        let found = Arc::new(self.among(store, corpus, purls.iter().map(String::as_str)));
        if let Ok(mut kept) = self.documents.lock() {
            kept.retain(|(id, at, _)| *id != document && at.elapsed() < FRESH);
            if kept.len() >= DOCUMENTS_KEPT {
                kept.remove(0);
            }
            kept.push((document, Instant::now(), found.clone()));
        }
        found
    }

    /// The suspects among packages named by purl.
    pub(crate) fn among<'p>(
        &self,
        store: &Store,
        corpus: &CorpusSources,
        purls: impl IntoIterator<Item = &'p str>,
    ) -> Vec<Suspect> {
        Checker::new(|eco| self.detector(store, corpus, eco))
            .suspects(purls)
            .into_iter()
            .map(Suspect::from)
            .collect()
    }
}
