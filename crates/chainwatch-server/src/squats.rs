//! Typo-squatting checks of uploaded documents: per ecosystem, a detector over the
//! built-in popular lists and the names many products of the store use, rebuilt every
//! ten minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chainwatch_store::Store;
use chainwatch_typosquat::{Detector, Ecosystem, Popular};
use serde::Serialize;

/// How long a detector is used before the portfolio's names are read again.
const FRESH: Duration = Duration::from_mins(10);
/// Products that must use a name for it to count as popular (as the CLI's default).
const PORTFOLIO_MIN: u64 = 3;
const PORTFOLIO_NAMES: u64 = 5_000;

/// A dependency whose name imitates a popular package.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct Suspect {
    pub package: String,
    pub imitates: String,
    pub technique: String,
    pub score: f64,
}

#[derive(Default)]
pub(crate) struct Detectors {
    by_ecosystem: Mutex<HashMap<Ecosystem, (Instant, Arc<Detector>)>>,
}

impl Detectors {
    fn detector(&self, store: &Store, ecosystem: Ecosystem) -> Arc<Detector> {
        if let Ok(map) = self.by_ecosystem.lock()
            && let Some((built, d)) = map.get(&ecosystem)
            && built.elapsed() < FRESH
        {
            return d.clone();
        }
        let mut popular = Popular::builtin(ecosystem);
        if let Ok(used) =
            store.portfolio_names(ecosystem.purl_type(), PORTFOLIO_MIN, PORTFOLIO_NAMES)
        {
            popular.merge_portfolio(ecosystem, used.iter().map(|(i, _)| i.as_str()));
        }
        let d = Arc::new(Detector::new(ecosystem, &popular));
        if let Ok(mut map) = self.by_ecosystem.lock() {
            map.insert(ecosystem, (Instant::now(), d.clone()));
        }
        d
    }

    /// The suspects among a document's components (each name once).
    pub(crate) fn check(&self, store: &Store, doc: &chainwatch_store::Prepared) -> Vec<Suspect> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for row in &doc.components {
            let (Some(purl), Some(identity)) = (&row.purl, &row.name_identity) else {
                continue;
            };
            if !seen.insert(identity.clone()) {
                continue;
            }
            let Ok(p) = chainwatch_purl::Purl::parse(purl) else {
                continue;
            };
            let Some(eco) = Ecosystem::from_purl_type(p.ty()) else {
                continue;
            };
            let v = self.detector(store, eco).check(&eco.name_of(&p));
            if v.suspect {
                out.push(Suspect {
                    package: purl.clone(),
                    imitates: v.imitates.unwrap_or_default(),
                    technique: v
                        .technique
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    score: v.score,
                });
            }
        }
        out
    }
}
