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
}

impl Detectors {
    fn detector(
        &self,
        store: &Store,
        corpus: &CorpusSources,
        ecosystem: Ecosystem,
    ) -> Arc<Detector> {
        if let Ok(map) = self.by_ecosystem.lock()
            && let Some((built, d)) = map.get(&ecosystem)
            && built.elapsed() < FRESH
        {
            return d.clone();
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
        Checker::new(|eco| self.detector(store, corpus, eco))
            .suspects(doc.components.iter().filter_map(|r| r.purl.as_deref()))
            .into_iter()
            .map(Suspect::from)
            .collect()
    }
}
