//! Typo-squatting detection for chainwatch: is a dependency name a look-alike of a popular
//! package? Names are compared after each ecosystem's own normalization against a corpus
//! of popular names (a built-in list, the portfolio's own names, user files), through
//! indexes built once, so that a lookup costs a handful of hash probes:
//!
//! - typomania's harness and its swapped-word check;
//! - chainwatch's checks, written as typomania checks: omitted, inserted, repeated,
//!   swapped and substituted characters (keyboard neighbours, bit flips, confusables,
//!   others) and plurals through a deletion index, Damerau–Levenshtein distance 2 for long
//!   names,
//!   homoglyph skeletons (`l`/`I`/`1`, `0`/`o`, `rn`/`m`, Cyrillic and Greek look-alikes),
//!   separator games, affixes (`-js`, `python-`, `3`, …), npm scope confusion and Go module
//!   path look-alikes.
//!
//! A popular name is never reported as a squat of another popular name.
//!
//! ```
//! use chainwatch_typosquat::{Detector, Ecosystem, Popular};
//! let detector = Detector::new(Ecosystem::Npm, &Popular::builtin(Ecosystem::Npm));
//! let v = detector.check("crossenv");
//! assert!(v.suspect);
//! assert_eq!(v.imitates.as_deref(), Some("cross-env"));
//! assert!(!detector.check("cross-env").suspect);
//! ```

#![warn(clippy::print_stdout, clippy::print_stderr)]

mod checks;
mod corpus;
mod names;
mod popular;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

pub use corpus::{Checker, CorpusSources, PORTFOLIO_MIN, PORTFOLIO_NAMES, Suspect};
pub use names::{Ecosystem, normalize};
pub use popular::{Popular, PopularError};

/// How a name imitates a popular one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Technique {
    /// Looks the same: confusable characters (`l`/`I`/`1`, `0`/`o`, `rn`/`m`, Cyrillic).
    Homoglyph,
    /// The same name with other separators (`-`, `_`, `.`, none).
    Separator,
    /// npm scope games: `@types/x` vs `types-x`, `@scope/x` vs `@sc0pe/x`.
    Scope,
    /// A Go module path with the same package under a look-alike owner.
    GoPath,
    /// A character left out.
    Omitted,
    /// A character added.
    Inserted,
    /// A character doubled.
    Repeated,
    /// Two neighbouring characters swapped.
    Swapped,
    /// Words in another order (`parse-json` vs `json-parse`).
    SwappedWords,
    /// A character replaced by its keyboard neighbour.
    Keyboard,
    /// A character one bit away.
    Bitflip,
    /// A character replaced by another.
    Substitution,
    /// A prefix or suffix added or swapped (`-js`, `python-`, `3`, `-cli`, …).
    Affix,
    /// A plural `s` added or dropped at the end of a word.
    Plural,
    /// Two edits away (long names only).
    Distance2,
}

impl Technique {
    pub fn as_str(self) -> &'static str {
        match self {
            Technique::Homoglyph => "homoglyph",
            Technique::Separator => "separator",
            Technique::Scope => "scope",
            Technique::GoPath => "go-path",
            Technique::Omitted => "omitted",
            Technique::Inserted => "inserted",
            Technique::Repeated => "repeated",
            Technique::Swapped => "swapped",
            Technique::SwappedWords => "swapped-words",
            Technique::Keyboard => "keyboard",
            Technique::Bitflip => "bitflip",
            Technique::Substitution => "substitution",
            Technique::Affix => "affix",
            Technique::Plural => "plural",
            Technique::Distance2 => "distance-2",
        }
    }

    /// How strongly the technique alone suggests a squat (0–1).
    fn weight(self) -> f64 {
        match self {
            Technique::Homoglyph | Technique::Scope | Technique::GoPath => 0.95,
            Technique::Omitted
            | Technique::Repeated
            | Technique::Swapped
            | Technique::Keyboard
            | Technique::Bitflip => 0.9,
            Technique::Inserted | Technique::SwappedWords => 0.85,
            Technique::Substitution | Technique::Affix => 0.75,
            // `is-object` and `isobject` both exist legitimately; only the most popular
            // names are worth an alarm.
            Technique::Separator | Technique::Plural => 0.7,
            // Two edits: worth showing, not alone worth an alarm.
            Technique::Distance2 => 0.55,
        }
    }

    fn from_label(label: &str) -> Option<Technique> {
        Technique::ALL.iter().copied().find(|t| t.as_str() == label)
    }

    const ALL: &'static [Technique] = &[
        Technique::Homoglyph,
        Technique::Separator,
        Technique::Scope,
        Technique::GoPath,
        Technique::Omitted,
        Technique::Inserted,
        Technique::Repeated,
        Technique::Swapped,
        Technique::SwappedWords,
        Technique::Keyboard,
        Technique::Bitflip,
        Technique::Substitution,
        Technique::Affix,
        Technique::Plural,
        Technique::Distance2,
    ];
}

/// The verdict on one name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub name: String,
    pub ecosystem: Ecosystem,
    pub suspect: bool,
    /// The popular package it imitates (as the corpus spells it).
    pub imitates: Option<String>,
    pub technique: Option<Technique>,
    /// 0–1: the technique's weight, lowered for less popular targets.
    pub score: f64,
    /// Why it is not suspect although it looks like one: `popular` (it is itself in the
    /// corpus) or the allowlist's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleared: Option<String>,
}

/// FNV-1a: names are short and looked up millions of times; `SipHash`'s resistance to
/// collision attacks buys nothing for a corpus chosen by the user.
#[derive(Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

pub(crate) type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// The corpus as typomania sees it: normalized names.
#[derive(Debug)]
pub(crate) struct Corpus {
    /// Normalized name → (as written, rank: 0 is the most popular).
    pub(crate) names: FnvMap<String, (String, usize)>,
}

/// A package with no authors: chainwatch checks names from lockfiles and SBOMs, which do
/// not say who published them.
struct Anonymous;

struct NoAuthors;

impl typomania::AuthorSet for NoAuthors {
    fn contains(&self, _author: &str) -> bool {
        false
    }
}

impl typomania::Package for Anonymous {
    fn authors(&self) -> &dyn typomania::AuthorSet {
        &NoAuthors
    }
    fn description(&self) -> Option<&str> {
        None
    }
    fn shared_authors(&self, _other: &dyn typomania::AuthorSet) -> bool {
        false
    }
}

impl typomania::Corpus for Corpus {
    fn contains_name(&self, name: &str) -> typomania::Result<bool> {
        Ok(self.names.contains_key(name))
    }

    fn get(&self, name: &str) -> typomania::Result<Option<&dyn typomania::Package>> {
        Ok(self
            .names
            .contains_key(name)
            .then_some(&Anonymous as &dyn typomania::Package))
    }
}

/// Typomania's corpus handle: the harness owns it, the checks share it.
#[derive(Debug, Clone)]
pub(crate) struct Shared(pub(crate) Arc<Corpus>);

impl typomania::Corpus for Shared {
    fn contains_name(&self, name: &str) -> typomania::Result<bool> {
        self.0.contains_name(name)
    }
    fn get(&self, name: &str) -> typomania::Result<Option<&dyn typomania::Package>> {
        self.0.get(name)
    }
}

/// Checks names of one ecosystem against a corpus; built once, cheap per name.
pub struct Detector {
    ecosystem: Ecosystem,
    corpus: Arc<Corpus>,
    harness: typomania::Harness<Shared>,
    allow: HashMap<String, String>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("ecosystem", &self.ecosystem)
            .field("corpus", &self.corpus.names.len())
            .finish_non_exhaustive()
    }
}

impl Detector {
    /// Builds the indexes for `popular` (names in order of popularity).
    pub fn new(ecosystem: Ecosystem, popular: &Popular) -> Detector {
        let mut names = FnvMap::with_capacity_and_hasher(
            popular.len(),
            std::hash::BuildHasherDefault::default(),
        );
        for (rank, name) in popular.names().iter().enumerate() {
            names
                .entry(normalize(ecosystem, name))
                .or_insert_with(|| (name.clone(), rank));
        }
        let corpus = Arc::new(Corpus { names });
        let harness = checks::harness(ecosystem, &corpus);
        Detector {
            ecosystem,
            corpus,
            harness,
            allow: HashMap::new(),
        }
    }

    /// Names reviewed and allowed, with the reason (shown instead of a finding).
    pub fn allow(&mut self, name: &str, reason: &str) {
        self.allow
            .insert(normalize(self.ecosystem, name), reason.to_owned());
    }

    pub fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }

    /// How many names the corpus has.
    pub fn corpus_len(&self) -> usize {
        self.corpus.names.len()
    }

    /// The verdict on a name.
    pub fn check(&self, name: &str) -> Verdict {
        let normalized = normalize(self.ecosystem, name);
        let mut verdict = Verdict {
            name: name.to_owned(),
            ecosystem: self.ecosystem,
            suspect: false,
            imitates: None,
            technique: None,
            score: 0.0,
            cleared: None,
        };
        if self.corpus.names.contains_key(&normalized) {
            verdict.cleared = Some("popular".into());
            return verdict;
        }
        let squats = self
            .harness
            .check_package(&normalized, Box::new(Anonymous))
            .unwrap_or_default();
        let mut best: Option<(f64, usize, Technique, &str)> = None;
        // The same name without separators explains a look-alike better than an affix
        // (`nodesass` is `node-sass`, not `sass` with `node` added).
        let separator = squats.iter().any(|s| {
            matches!(s, typomania::checks::Squat::Custom { message, .. } if message == Technique::Separator.as_str())
        });
        for squat in &squats {
            let (technique, target) = match squat {
                typomania::checks::Squat::Bitflip(p) => (Technique::Bitflip, p.as_str()),
                typomania::checks::Squat::OmittedCharacter(p) => (Technique::Omitted, p.as_str()),
                typomania::checks::Squat::RepeatedCharacter(p) => (Technique::Repeated, p.as_str()),
                typomania::checks::Squat::SwappedCharacters(p) => (Technique::Swapped, p.as_str()),
                typomania::checks::Squat::SwappedWords(p) => (Technique::SwappedWords, p.as_str()),
                typomania::checks::Squat::Typo(p) => (Technique::Keyboard, p.as_str()),
                typomania::checks::Squat::Custom { message, package } => {
                    match Technique::from_label(message) {
                        Some(t) => (t, package.as_str()),
                        None => continue,
                    }
                }
                typomania::checks::Squat::Version(_) => continue,
            };
            if separator && technique == Technique::Affix {
                continue;
            }
            let Some((_, rank)) = self.corpus.names.get(target) else {
                continue;
            };
            // Typomania's character checks know no minimum length: three-letter names
            // swap into each other by chance (`oic`, `oci`).
            if matches!(technique, Technique::Swapped | Technique::Repeated)
                && normalized.chars().count() < 5
            {
                continue;
            }
            // A doubled first letter (`cchardet`) is a naming habit, not a typo.
            if technique == Technique::Repeated && normalized.get(1..) == Some(target) {
                continue;
            }
            let mut weight = technique.weight();
            // Swapped words are how related packages are named (`flask-bootstrap`,
            // `bootstrap-flask`) unless an ecosystem word moves (`nmap-python`).
            if technique == Technique::SwappedWords
                && !normalized
                    .split(['-', '_', '.'])
                    .any(|w| ["python", "py", "js", "node", "nodejs", "npm"].contains(&w))
            {
                weight = Technique::Distance2.weight();
            }
            let score = weight * popularity(*rank);
            let better = best.is_none_or(|(s, r, _, _)| {
                score > s + 1e-9 || ((score - s).abs() <= 1e-9 && *rank < r)
            });
            if better {
                best = Some((score, *rank, technique, target));
            }
        }
        if let Some((score, _, technique, target)) = best {
            verdict.imitates = self.corpus.names.get(target).map(|(n, _)| n.clone());
            verdict.technique = Some(technique);
            verdict.score = (score * 100.0).round() / 100.0;
            match self.allow.get(&normalized) {
                Some(reason) => verdict.cleared = Some(reason.clone()),
                None => verdict.suspect = score >= SUSPECT,
            }
        }
        verdict
    }
}

/// The score from which a look-alike is a suspect.
pub const SUSPECT: f64 = 0.65;

/// How much the target's popularity adds to a look-alike's score.
fn popularity(rank: usize) -> f64 {
    match rank {
        0..1_000 => 1.0,
        1_000..2_500 => 0.9,
        2_500..5_000 => 0.8,
        _ => 0.7,
    }
}
