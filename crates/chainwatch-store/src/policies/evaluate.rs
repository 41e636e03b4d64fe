//! Evaluating the active policy over current inventories and recording what changed.
//!
//! One pass: the open findings of the product versions in scope (VEX applied, as
//! [`Store::findings`] has them), then every component of their current documents,
//! streamed in document order, on up to two cores (each thread a contiguous range of
//! documents, its own read connection and memo). A component is evaluated once per
//! thread and distinct combination of rules in scope, package, licence, directness and
//! findings: across a portfolio most components repeat, and parsed purls and licences
//! are kept per package and per text. The violations found are sorted by key and merged
//! with the stored ones, read in the same order, in one write transaction: new ones
//! inserted (first seen now), changed ones updated, those that no longer hold resolved.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::Hash;

use chainwatch_license::Licensing;
use chainwatch_policy::{Component, Policy, Violation};
use chainwatch_purl::Purl;

use super::StoredViolation;
use crate::advisories::summary::{Key, Open, advisory_osv_ids, product_versions};
use crate::db::{Db, Table};
use crate::{Result, Store, StoreError};

/// What to evaluate.
pub struct PolicyRun<'a> {
    /// Only this product version (`(product, version)`); every one when `None`.
    pub only: Option<(&'a str, &'a str)>,
    /// Which of these purls are typo-squat suspects: called once, with the packages of
    /// the inventories evaluated, when a rule asks.
    pub typosquats: &'a dyn Fn(&[&str]) -> HashSet<String>,
}

impl std::fmt::Debug for PolicyRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyRun")
            .field("only", &self.only)
            .finish_non_exhaustive()
    }
}

/// How many of the violations an evaluation opens it lists ([`PolicyOutcome::opened`]).
pub const OPENED_LISTED: usize = 1_000;

/// What an evaluation found and changed.
#[derive(Debug, Clone, Default)]
pub struct PolicyOutcome {
    /// Product versions evaluated (with at least one rule in scope).
    pub versions: usize,
    /// Components evaluated, and how many distinct evaluations that took.
    pub components: usize,
    pub evaluations: usize,
    /// How many violations hold now and did not before (new, or holding again), and
    /// how many of those are at level `fail`.
    pub opened_count: usize,
    pub opened_fail: usize,
    /// The first [`OPENED_LISTED`] of them in list order (`fail` first, then product,
    /// version, rule, component): what a notification shows. A first evaluation of a
    /// portfolio opens hundreds of thousands, which nobody reads one by one.
    pub opened: Vec<StoredViolation>,
    /// Violations that no longer hold.
    pub resolved: usize,
    /// Violations that hold, in the versions evaluated.
    pub open: usize,
    /// The decisions of the policy's vulnerability policies (`[[analysis]]`).
    pub analyses: super::AnalysesOutcome,
}

/// What components violate, by product version, in the order found (a component
/// listed twice in a document violates a rule once: the last one found holds).
type Found<'v> = Vec<(i64, &'v [Violation])>;

/// A component row of a current document, its texts in the document's buffer.
#[derive(Clone, Copy)]
struct Occurrence {
    ordinal: u32,
    package: Option<i64>,
    /// The name only for components without a package (the others are named by their
    /// purl), unless paths are read.
    name: Option<Span>,
    version: Option<Span>,
    license: Option<Span>,
    application: bool,
}

/// Where a text is in a document's buffer: (start, end).
type Span = (usize, usize);

/// A component as evaluated: its texts interned ([`Texts`]).
#[derive(Clone, Copy)]
struct Interned {
    package: Option<i64>,
    name: Option<u32>,
    version: Option<u32>,
    license: Option<u32>,
}

/// Each package's place in a thread's [`Context::by_package`]: its id, when the ids
/// are dense (as the store gives them; no look-up, which costs a cache miss a
/// component on a large portfolio), else hashed.
enum Slots {
    /// Ids below this.
    Dense(usize),
    Sparse(Map<i64, usize>),
}

impl Slots {
    fn new(ids: impl Iterator<Item = i64> + Clone) -> Slots {
        let count = ids.clone().count();
        let max = ids.clone().max().unwrap_or(0);
        let dense = ids.clone().all(|id| id >= 0)
            && usize::try_from(max)
                .is_ok_and(|m| m <= count.saturating_mul(4).saturating_add(4096));
        match (dense, usize::try_from(max)) {
            (true, Ok(max)) => Slots::Dense(max + 1),
            _ => Slots::Sparse(ids.enumerate().map(|(k, id)| (id, k)).collect()),
        }
    }

    fn get(&self, id: i64) -> Option<usize> {
        match self {
            Slots::Dense(len) => usize::try_from(id).ok().filter(|i| i < len),
            Slots::Sparse(map) => map.get(&id).copied(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Slots::Dense(len) => *len,
            Slots::Sparse(map) => map.len(),
        }
    }
}

/// The components of one package evaluated alike: what else decides their verdict.
struct Shape {
    scope: u32,
    direct: bool,
    version: Option<Small>,
    license: Option<Small>,
    findings: Box<[i64]>,
    effect: Effect,
}

/// A package's shapes: the first in place (most packages have one), the rest beside.
#[derive(Default)]
struct Bucket {
    first: Option<Shape>,
    more: Vec<Shape>,
}

impl Bucket {
    fn find(&self, found: impl Fn(&Shape) -> bool) -> Option<&Shape> {
        self.first.iter().chain(&self.more).find(|s| found(s))
    }

    fn push(&mut self, shape: Shape) {
        if self.first.is_none() {
            self.first = Some(shape);
        } else {
            self.more.push(shape);
        }
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }
}

/// A text compared often: in place when short (versions, licences), so that comparing
/// it follows no pointer.
enum Small {
    Inline(u8, [u8; 22]),
    Boxed(Box<str>),
}

impl Small {
    fn new(text: &str) -> Small {
        let bytes = text.as_bytes();
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= 22 => {
                let mut inline = [0; 22];
                inline[..bytes.len()].copy_from_slice(bytes);
                Small::Inline(len, inline)
            }
            _ => Small::Boxed(text.into()),
        }
    }

    fn is(&self, text: &str) -> bool {
        match self {
            Small::Inline(len, bytes) => bytes.get(..usize::from(*len)) == Some(text.as_bytes()),
            Small::Boxed(b) => &**b == text,
        }
    }
}

/// Whether a stored text is this one (both absent, or equal).
fn same(stored: Option<&Small>, text: Option<&str>) -> bool {
    match (stored, text) {
        (None, None) => true,
        (Some(s), Some(t)) => s.is(t),
        _ => false,
    }
}

/// A map with a fast hash (the keys are the store's own ids and texts).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Texts that repeat across components (names, versions, licences), each kept once.
#[derive(Default)]
struct Texts {
    ids: Map<String, u32>,
    texts: Vec<String>,
}

impl Texts {
    fn id(&mut self, text: Option<&str>) -> Option<u32> {
        let text = text?;
        if let Some(id) = self.ids.get(text) {
            return Some(*id);
        }
        let id = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        self.ids.insert(text.to_owned(), id);
        self.texts.push(text.to_owned());
        Some(id)
    }

    fn get(&self, id: Option<u32>) -> Option<&str> {
        id.and_then(|i| self.texts.get(i as usize))
            .map(String::as_str)
    }
}

/// What makes two components evaluate alike.
#[derive(PartialEq, Eq, Hash)]
struct Memo {
    scope: usize,
    package: Option<i64>,
    name: Option<u32>,
    version: Option<u32>,
    license: Option<u32>,
    direct: bool,
    findings: Vec<i64>,
    /// (name, version) text ids from the subject down, when a rule reads paths.
    path: Vec<(Option<u32>, Option<u32>)>,
}

/// What a component violates.
enum Verdict {
    Known(Vec<Violation>),
    /// `plain` unless the package is a typo-squat suspect, then `squatting`.
    Squat {
        package: i64,
        plain: Vec<Violation>,
        squatting: Vec<Violation>,
    },
}

/// A verdict as the component pass keeps it: nothing, or an index into the thread's
/// verdicts (handed on per component without touching them).
#[derive(Clone, Copy)]
enum Effect {
    Nothing,
    /// A [`Verdict::Known`] with violations.
    Violates(u32),
    /// A [`Verdict::Squat`].
    Depends(u32),
}

/// Interns values, giving each distinct one a small id.
#[derive(Default)]
struct Interner<T: Hash + Eq> {
    ids: HashMap<T, usize>,
}

impl<T: Hash + Eq> Interner<T> {
    fn id(&mut self, value: T) -> usize {
        let next = self.ids.len();
        *self.ids.entry(value).or_insert(next)
    }
}

/// Everything the component pass reads besides the components (shared by its threads).
struct Shared<'a> {
    policy: &'a Policy,
    /// What its rules look at.
    needs: chainwatch_policy::Needs,
    /// Rules in scope by scope id: those that do not ask whether a component is a
    /// typo-squat suspect, and those that do.
    scopes: Vec<(Vec<usize>, Vec<usize>)>,
    /// Product version → scope id, for the versions evaluated.
    scope_of: HashMap<i64, usize>,
    /// Current document → (product version, subject ordinal).
    documents: HashMap<i64, (i64, Option<u32>)>,
    /// Open findings, sorted by (version, package, advisory).
    keys: &'a [Key],
    open: Option<&'a Open>,
    osv: HashMap<i64, String>,
    /// The weaknesses of the advisories, when a rule asks.
    cwes: HashMap<i64, Vec<String>>,
    /// Dependency edges by document, when a rule asks whether components are direct.
    edges: Option<HashMap<i64, Vec<(u32, u32)>>>,
    purls: HashMap<i64, Option<Purl>>,
    /// Each package's place in a thread's [`Context::by_package`].
    slots: Slots,
    /// The worst severity of each audited package's contents, when a rule asks.
    audits: HashMap<i64, chainwatch_advisory::Level>,
}

/// One thread's part of the component pass: a range of documents, its own texts and
/// memo (no locks between the threads), and what it found.
struct Context<'s, 'a> {
    shared: &'s Shared<'a>,
    texts: Texts,
    /// Licences parsed, by text id.
    licences: Map<u32, Licensing>,
    /// Verdicts by package (its slot) and shape: the components of most packages come
    /// in one or two shapes, compared without hashing their texts.
    by_package: Vec<Bucket>,
    /// Verdicts of the other components (no package, or paths read).
    memo: Map<Memo, Effect>,
    /// The distinct verdicts, by [`Effect`] index.
    verdicts: Vec<Verdict>,
    /// Components whose verdict depends on whether their package is a typo-squat
    /// suspect (by product version and verdict index): decided after the pass, with
    /// one question for all of them.
    pending: Vec<(i64, u32)>,
    /// Components that violate rules, by product version and verdict index.
    found: Vec<(i64, u32)>,
    components: usize,
}

impl<'s, 'a> Context<'s, 'a> {
    fn new(shared: &'s Shared<'a>) -> Self {
        Context {
            shared,
            texts: Texts::default(),
            licences: Map::default(),
            by_package: (0..shared.slots.len()).map(|_| Bucket::default()).collect(),
            memo: Map::default(),
            verdicts: Vec::new(),
            pending: Vec::new(),
            found: Vec::new(),
            components: 0,
        }
    }

    /// Keeps a verdict, saying what it does.
    fn keep(&mut self, verdict: Verdict) -> Effect {
        let index = u32::try_from(self.verdicts.len()).unwrap_or(u32::MAX);
        let effect = match &verdict {
            Verdict::Known(list) if list.is_empty() => return Effect::Nothing,
            Verdict::Known(_) => Effect::Violates(index),
            Verdict::Squat { .. } => Effect::Depends(index),
        };
        self.verdicts.push(verdict);
        effect
    }
}

impl Store {
    /// Evaluates the active policy (none: every stored violation resolves) over the
    /// current inventories `run` names, and records the violations: new ones with first
    /// seen now, those that no longer hold resolved.
    pub fn evaluate_policy(&self, run: &PolicyRun<'_>) -> Result<PolicyOutcome> {
        let _one = self
            .evaluating
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = crate::now_micros();
        let (set, versions, tags, documents) = self.read(|db| {
            let set = super::active(db)?;
            let versions = product_versions(db)?;
            let tags = super::tags(db)?;
            let documents = db.query(
                "SELECT pv.id, pv.current_document_id, d.subject FROM product_versions pv
                 JOIN documents d ON d.id = pv.current_document_id",
                &[],
                |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?, r.get::<Option<i64>>(2)?)),
            )?;
            Ok((set, versions, tags, documents))
        })?;
        let policy = match &set {
            Some(s) => Policy::parse(&s.text).map_err(StoreError::InvalidPolicy)?,
            None => Policy::default(),
        };
        let selected: Vec<i64> = versions
            .iter()
            .filter(|(_, (p, v))| run.only.is_none_or(|(op, ov)| op == p && ov == v))
            .map(|(id, _)| *id)
            .collect();
        if let (Some((p, v)), true) = (run.only, selected.is_empty()) {
            return Err(StoreError::NotFound(format!(
                "no product version `{p}@{v}` in the store"
            )));
        }

        // The rules in scope of each version, interned: products alike share evaluations.
        let mut scopes: Interner<Vec<usize>> = Interner::default();
        let mut scope_of = HashMap::new();
        let no_tags = Vec::new();
        for id in &selected {
            let (product, _) = &versions[id];
            let rules = policy.in_scope(product, tags.get(product).unwrap_or(&no_tags));
            if !rules.is_empty() {
                scope_of.insert(*id, scopes.id(rules));
            }
        }
        let mut scopes_by_id: Vec<(usize, Vec<usize>)> =
            scopes.ids.into_iter().map(|(r, i)| (i, r)).collect();
        scopes_by_id.sort_unstable_by_key(|(i, _)| *i);
        let evaluated: HashSet<i64> = scope_of.keys().copied().collect();
        // The analyses in scope of each version, likewise.
        let mut analysis_scopes: Interner<Vec<usize>> = Interner::default();
        let mut analysis_scope_of = HashMap::new();
        for id in &selected {
            let (product, _) = &versions[id];
            let analyses = policy.analyses_in_scope(product, tags.get(product).unwrap_or(&no_tags));
            if !analyses.is_empty() {
                analysis_scope_of.insert(*id, analysis_scopes.id(analyses));
            }
        }
        let mut analysis_scopes: Vec<(usize, Vec<usize>)> = analysis_scopes
            .ids
            .into_iter()
            .map(|(r, i)| (i, r))
            .collect();
        analysis_scopes.sort_unstable_by_key(|(i, _)| *i);
        let analysis_scopes: Vec<Vec<usize>> =
            analysis_scopes.into_iter().map(|(_, r)| r).collect();
        let documents: HashMap<i64, (i64, Option<u32>)> = documents
            .into_iter()
            .filter(|(pv, _, _)| evaluated.contains(pv))
            .map(|(pv, doc, subject)| (doc, (pv, subject.and_then(|s| u32::try_from(s).ok()))))
            .collect();

        let needs = policy.needs();
        // Every finding (VEX not applied) of the versions with rules on findings or
        // analyses in scope: the analyses decide from them, then VEX applies.
        let mut wanted: HashSet<i64> = analysis_scope_of.keys().copied().collect();
        if needs.findings {
            wanted.extend(&evaluated);
        }
        let mut open = if wanted.is_empty() {
            None
        } else {
            Some(self.all_findings(&wanted)?)
        };
        let keys: &[Key] = open.as_ref().map_or(&[], |o| o.keys.as_slice());
        let osv = {
            let mut ids: Vec<i64> = keys.iter().map(|k| k.advisory).collect();
            ids.sort_unstable();
            ids.dedup();
            self.read(|db| advisory_osv_ids(db, &ids))?
        };
        let cwes = if needs.cwes && !keys.is_empty() {
            let ids: Vec<i64> = osv.keys().copied().collect();
            self.read(|db| crate::advisories::advisory_cwes(db, &ids))?
        } else {
            HashMap::new()
        };
        let edges = if (needs.direct || needs.path) && !documents.is_empty() {
            Some(self.read(|db| dependency_edges(db, &documents))?)
        } else {
            None
        };
        let mut purls = if documents.is_empty() {
            HashMap::new()
        } else {
            self.read(|db| load_purls(db, run.only.is_some().then_some(&documents)))?
        };
        // Packages of findings that the documents evaluated do not name (analyses only).
        let missing: Vec<i64> = {
            let mut ids: Vec<i64> = keys
                .iter()
                .map(|k| k.package)
                .filter(|p| !purls.contains_key(p))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        if !missing.is_empty() {
            for (id, purl) in
                self.read(|db| crate::advisories::summary::package_purls(db, &missing))?
            {
                purls.insert(id, Purl::parse(&purl).ok());
            }
        }

        // The vulnerability policies' decisions, recorded before VEX applies to the
        // findings the rules see (they are VEX statements too).
        let facts = super::analyses::Facts {
            open: open.as_ref(),
            purls: &purls,
            osv: &osv,
            cwes: &cwes,
        };
        let decisions =
            super::analyses::decide(&policy, &analysis_scopes, &analysis_scope_of, &facts, now);
        let analyses = self.write(|db| {
            super::analyses::record(db, &policy, &selected, &decisions, &facts, &versions, now)
        })?;
        drop((decisions, facts));
        if !needs.findings || evaluated.is_empty() {
            open = None;
        }
        if let Some(o) = open.as_mut() {
            self.apply_vex(o, &versions)?;
        }
        let keys: &[Key] = open.as_ref().map_or(&[], |o| o.keys.as_slice());

        let audits = if needs.audit {
            self.read(crate::audits::worst_by_package)?
                .into_iter()
                .filter_map(|(id, worst)| {
                    chainwatch_advisory::Level::from_name(&worst).map(|l| (id, l))
                })
                .collect()
        } else {
            HashMap::new()
        };
        let shared = Shared {
            policy: &policy,
            needs,
            audits,
            scopes: scopes_by_id
                .into_iter()
                .map(|(_, rules)| {
                    rules
                        .into_iter()
                        .partition(|&r| policy.rules.get(r).is_none_or(|r| !r.needs().typosquat))
                })
                .collect(),
            scope_of,
            documents,
            keys,
            open: open.as_ref(),
            osv,
            cwes,
            edges,
            slots: Slots::new(purls.keys().copied()),
            purls,
        };
        let parts = if shared.documents.is_empty() {
            Vec::new()
        } else {
            self.components_in_parallel(&shared, run.only.is_some())?
        };
        let mut found: Found<'_> = Vec::new();
        let (mut components_evaluated, mut evaluations) = (0, 0);
        for part in &parts {
            components_evaluated += part.components;
            evaluations += part.memo.len() + part.by_package.iter().map(Bucket::len).sum::<usize>();
            found.extend(part.found.iter().filter_map(|&(version, k)| {
                match part.verdicts.get(k as usize)? {
                    Verdict::Known(list) => Some((version, list.as_slice())),
                    Verdict::Squat { .. } => None,
                }
            }));
        }
        let pending = || {
            parts.iter().flat_map(|part| {
                part.pending.iter().filter_map(|&(version, k)| {
                    match part.verdicts.get(k as usize)? {
                        Verdict::Squat {
                            package,
                            plain,
                            squatting,
                        } => Some((version, *package, plain, squatting)),
                        Verdict::Known(_) => None,
                    }
                })
            })
        };
        // The typo-squat question, once, for the packages whose verdict depends on it.
        let asked: HashSet<i64> = pending().map(|(_, package, _, _)| package).collect();
        let names: HashMap<&str, i64> = asked
            .iter()
            .filter_map(|p| {
                shared
                    .purls
                    .get(p)
                    .and_then(Option::as_ref)
                    .map(|u| (u.canonical(), *p))
            })
            .collect();
        let suspects: HashSet<i64> = if names.is_empty() {
            HashSet::new()
        } else {
            let list: Vec<&str> = names.keys().copied().collect();
            (run.typosquats)(&list)
                .iter()
                .filter_map(|s| names.get(s.as_str()).copied())
                .collect()
        };
        for (version, package, plain, squatting) in pending() {
            let chosen = if suspects.contains(&package) {
                squatting
            } else {
                plain
            };
            record_found(&mut found, version, chosen);
        }
        // Product rules (NTIA, provenance): once per product version, on its current
        // document and its verified provenance.
        let mut releases: Vec<(i64, Vec<Violation>)> = Vec::new();
        if policy.has_release_rules() {
            let mut ids: Vec<i64> = evaluated.iter().copied().collect();
            ids.sort_unstable();
            for id in ids {
                let (product, version) = &versions[&id];
                let product_tags = tags.get(product).unwrap_or(&no_tags);
                if !policy
                    .rules
                    .iter()
                    .any(|r| r.on_release && r.applies_to(product, product_tags))
                {
                    continue;
                }
                let release = self.release(product, version, needs)?;
                releases.push((id, policy.evaluate_release(product_tags, &release)));
            }
        }
        for (id, list) in &releases {
            record_found(&mut found, *id, list);
        }
        let versions_evaluated = evaluated.len();
        let found = distinct(&found);

        let (recorded, resolved, open_now) =
            self.write(|db| record(db, &selected, &found, &versions, now))?;
        Ok(PolicyOutcome {
            versions: versions_evaluated,
            components: components_evaluated,
            evaluations,
            opened_count: recorded.count,
            opened_fail: recorded.fail,
            opened: recorded.listed,
            resolved,
            open: open_now,
            analyses,
        })
    }
}

impl Store {
    /// What product rules see of a stored product version: the NTIA minimum elements its
    /// current document misses, and the builders of its verified provenance (each only
    /// when a rule reads it).
    pub fn release(
        &self,
        product: &str,
        version: &str,
        needs: chainwatch_policy::Needs,
    ) -> Result<chainwatch_policy::Release> {
        let ntia_missing = if needs.ntia {
            let (_, sbom) = self.export(product, Some(version), None)?;
            chainwatch_sbom::ntia_missing(&sbom)
                .into_iter()
                .map(|(e, n)| (e.to_owned(), n))
                .collect()
        } else {
            Vec::new()
        };
        let builders = if needs.provenance {
            self.release_builders(product, version)?
        } else {
            Vec::new()
        };
        Ok(chainwatch_policy::Release {
            product: product.to_owned(),
            version: Some(version.to_owned()),
            ntia_missing,
            builders,
        })
    }
}

/// The dependency edges of these documents (the graph's dependency kinds only).
fn dependency_edges(
    db: &mut Db<'_>,
    documents: &HashMap<i64, (i64, Option<u32>)>,
) -> Result<HashMap<i64, Vec<(u32, u32)>>> {
    let ids: Vec<i64> = documents.keys().copied().collect();
    let table = Table::new().int("id", ids);
    let sql = format!(
        "SELECT g.document_id, g.data FROM {} JOIN graphs g ON g.document_id = t.id",
        db.dialect().table(1, "t", &table)
    );
    let mut out = HashMap::new();
    db.for_each(&sql, &[table.into()], &mut |r| {
        let data: Vec<u8> = r.get(1)?;
        let edges = crate::portfolio::graph::decode(&data)?
            .into_iter()
            .filter(|(_, _, kind)| {
                chainwatch_sbom::RelationshipKind::from_name(kind).is_dependency()
            })
            .map(|(from, to, _)| (from, to))
            .collect();
        out.insert(r.get(0)?, edges);
        Ok(())
    })?;
    Ok(out)
}

/// Documents each thread of the component pass gets at least.
const MIN_DOCUMENTS_PER_THREAD: usize = 64;

/// Threads of the component pass at most: each holds one of the store's read
/// connections (four on SQLite) for the whole pass, and a server's requests need the
/// others.
const MAX_THREADS: usize = 2;

impl Store {
    /// Streams the components of the documents evaluated through the rules: on as many
    /// threads as there are cores, each with its own read connection, memo and a
    /// contiguous range of documents; the parts come back in document order.
    fn components_in_parallel<'s, 'a>(
        &self,
        shared: &'s Shared<'a>,
        one: bool,
    ) -> Result<Vec<Context<'s, 'a>>> {
        let mut ids: Vec<i64> = shared.documents.keys().copied().collect();
        ids.sort_unstable();
        let threads = if one {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, std::num::NonZero::get)
                .min(MAX_THREADS)
                .min(ids.len() / MIN_DOCUMENTS_PER_THREAD)
                .max(1)
        };
        if threads == 1 {
            let mut cx = Context::new(shared);
            self.read(|db| components(db, one, None, &mut cx))?;
            return Ok(vec![cx]);
        }
        let ranges: Vec<(i64, i64)> = ids
            .chunks(ids.len().div_ceil(threads))
            .filter_map(|c| Some((*c.first()?, *c.last()?)))
            .collect();
        std::thread::scope(|s| {
            let parts: Vec<_> = ranges
                .iter()
                .map(|&range| {
                    s.spawn(move || {
                        let mut cx = Context::new(shared);
                        self.read(|db| components(db, false, Some(range), &mut cx))?;
                        Ok(cx)
                    })
                })
                .collect();
            parts
                .into_iter()
                .map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }
}

/// Streams the components of the documents evaluated (those in `range` of document
/// ids, inclusive, when given), in document order, evaluating each document's when it
/// is complete.
fn components(
    db: &mut Db<'_>,
    one: bool,
    range: Option<(i64, i64)>,
    cx: &mut Context<'_, '_>,
) -> Result<()> {
    // Names of packages are read from their purls, unless paths name every component.
    let name = if cx.shared.needs.path {
        "o.name"
    } else {
        "CASE WHEN o.package_id IS NULL THEN o.name END"
    };
    let select = format!(
        "SELECT o.document_id, o.ordinal, o.package_id, {name}, o.version, o.license,
             CASE WHEN o.kind = 'application' THEN 1 ELSE 0 END"
    );
    let (sql, params): (String, Vec<crate::db::Value<'_>>) = match (one, range) {
        (true, _) => {
            let doc = cx
                .shared
                .documents
                .keys()
                .next()
                .copied()
                .unwrap_or_default();
            (
                format!("{select} FROM occurrences o WHERE o.document_id = $1 ORDER BY o.ordinal"),
                vec![doc.into()],
            )
        }
        (false, Some((first, last))) => (
            format!(
                "{select} FROM product_versions pv
                 JOIN occurrences o ON o.document_id = pv.current_document_id
                 WHERE pv.current_document_id BETWEEN $1 AND $2
                 ORDER BY o.document_id, o.ordinal"
            ),
            vec![first.into(), last.into()],
        ),
        (false, None) => (
            format!(
                "{select} FROM product_versions pv
                 JOIN occurrences o ON o.document_id = pv.current_document_id
                 ORDER BY o.document_id, o.ordinal"
            ),
            Vec::new(),
        ),
    };
    let mut current: Option<i64> = None;
    let mut rows: Vec<Occurrence> = Vec::new();
    let mut buffer = String::new();
    db.for_each(&sql, &params, &mut |r| {
        let doc: i64 = r.get(0)?;
        if current != Some(doc) {
            if let Some(prev) = current {
                document(cx, prev, &rows, &buffer);
            }
            rows.clear();
            buffer.clear();
            current = Some(doc);
        }
        if !cx.shared.documents.contains_key(&doc) {
            return Ok(());
        }
        let mut span = |text: Option<&str>| {
            text.map(|t| {
                let start = buffer.len();
                buffer.push_str(t);
                (start, buffer.len())
            })
        };
        let name = span(r.get::<Option<&str>>(3)?);
        let version = span(r.get::<Option<&str>>(4)?);
        let license = span(r.get::<Option<&str>>(5)?);
        rows.push(Occurrence {
            ordinal: u32::try_from(r.get::<i64>(1)?).unwrap_or(u32::MAX),
            package: r.get(2)?,
            name,
            version,
            license,
            application: r.get::<i64>(6)? != 0,
        });
        Ok(())
    })?;
    if let Some(prev) = current {
        document(cx, prev, &rows, &buffer);
    }
    Ok(())
}

/// The purls of the packages in these documents (every package: the whole portfolio is
/// evaluated, and reading them all is cheaper than finding the distinct ones), parsed once.
fn load_purls(
    db: &mut Db<'_>,
    documents: Option<&HashMap<i64, (i64, Option<u32>)>>,
) -> Result<HashMap<i64, Option<Purl>>> {
    let mut out = HashMap::new();
    let mut add = |r: crate::db::Row<'_>| {
        let purl: &str = r.get(1)?;
        out.insert(r.get(0)?, Purl::parse(purl).ok());
        Ok(())
    };
    match documents {
        Some(documents) => {
            let ids: Vec<i64> = documents.keys().copied().collect();
            let table = Table::new().int("id", ids);
            let sql = format!(
                "SELECT DISTINCT p.id, p.purl FROM {}
                 JOIN occurrences o ON o.document_id = t.id
                 JOIN packages p ON p.id = o.package_id",
                db.dialect().table(1, "t", &table)
            );
            db.for_each(&sql, &[table.into()], &mut add)?;
        }
        None => db.for_each("SELECT id, purl FROM packages", &[], &mut add)?,
    }
    Ok(out)
}

/// Which components of a document are direct dependencies of its subject: reached from
/// it by one dependency edge, or first reached through an application (as
/// `Sbom::is_direct` decides for a document in hand).
fn direct_of(
    edges: &[(u32, u32)],
    subject: Option<u32>,
    rows: &[Occurrence],
) -> HashSet<u32, foldhash::fast::RandomState> {
    let mut out = HashSet::default();
    let Some(root) = subject else {
        return out;
    };
    let mut children: Map<u32, Vec<u32>> = Map::default();
    for (from, to) in edges {
        children.entry(*from).or_default().push(*to);
    }
    let application: HashSet<u32, foldhash::fast::RandomState> = rows
        .iter()
        .filter(|o| o.application)
        .map(|o| o.ordinal)
        .collect();
    let mut seen: HashSet<u32, foldhash::fast::RandomState> = HashSet::default();
    seen.insert(root);
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(id) = queue.pop_front() {
        for &c in children.get(&id).into_iter().flatten() {
            if seen.insert(c) {
                if id == root || application.contains(&id) {
                    out.insert(c);
                }
                queue.push_back(c);
            }
        }
    }
    out
}

/// For every component the subject's dependency edges reach, the one it is first reached
/// from (breadth first, as `Sbom::shortest_paths` finds paths).
fn parents_of(edges: &[(u32, u32)], subject: Option<u32>) -> Map<u32, u32> {
    let mut parents: Map<u32, u32> = Map::default();
    let Some(root) = subject else {
        return parents;
    };
    let mut children: Map<u32, Vec<u32>> = Map::default();
    for (from, to) in edges {
        children.entry(*from).or_default().push(*to);
    }
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(id) = queue.pop_front() {
        for &c in children.get(&id).into_iter().flatten() {
            if c != root && !parents.contains_key(&c) {
                parents.insert(c, id);
                queue.push_back(c);
            }
        }
    }
    parents
}

/// The (name, version) text ids of the components from the subject down to `ordinal`:
/// empty when the subject does not reach it.
fn path_to(
    parents: &Map<u32, u32>,
    by_ordinal: &Map<u32, Interned>,
    subject: Option<u32>,
    ordinal: u32,
) -> Vec<(Option<u32>, Option<u32>)> {
    let mut chain = vec![ordinal];
    let mut at = ordinal;
    while let Some(&p) = parents.get(&at) {
        chain.push(p);
        at = p;
        if chain.len() > parents.len() + 1 {
            break;
        }
    }
    if Some(at) != subject {
        return Vec::new();
    }
    chain
        .iter()
        .rev()
        .map(|o| {
            by_ordinal
                .get(o)
                .map_or((None, None), |r| (r.name, r.version))
        })
        .collect()
}

/// Evaluates one document's components (their texts in `buffer`).
fn document(cx: &mut Context<'_, '_>, doc: i64, rows: &[Occurrence], buffer: &str) {
    let shared = cx.shared;
    let Some(&(version, subject)) = shared.documents.get(&doc) else {
        return;
    };
    let Some(&scope) = shared.scope_of.get(&version) else {
        return;
    };
    let text = |span: Option<Span>| span.and_then(|(s, e)| buffer.get(s..e));
    let direct = shared
        .edges
        .as_ref()
        .map(|e| direct_of(e.get(&doc).map_or(&[], Vec::as_slice), subject, rows));
    let parents = shared.needs.path.then(|| {
        parents_of(
            shared
                .edges
                .as_ref()
                .and_then(|e| e.get(&doc))
                .map_or(&[], Vec::as_slice),
            subject,
        )
    });
    let by_ordinal: Map<u32, Interned> = if parents.is_some() {
        rows.iter()
            .map(|o| (o.ordinal, intern(&mut cx.texts, o, buffer)))
            .collect()
    } else {
        Map::default()
    };
    // This version's findings, by package.
    let start = shared.keys.partition_point(|k| k.version < version);
    let end = shared.keys.partition_point(|k| k.version <= version);
    let mine = &shared.keys[start..end];
    for o in rows {
        if Some(o.ordinal) == subject {
            continue;
        }
        cx.components += 1;
        let all: &[Key] = match o.package {
            Some(p) => {
                let s = mine.partition_point(|k| k.package < p);
                let e = mine.partition_point(|k| k.package <= p);
                &mine[s..e]
            }
            None => &[],
        };
        let findings = || all.iter().filter(|k| !k.informational);
        let is_direct = direct.as_ref().is_some_and(|d| d.contains(&o.ordinal));
        let slot = match (o.package, parents.is_some()) {
            (Some(p), false) => shared.slots.get(p),
            _ => None,
        };
        let verdict = if let Some(slot) = slot {
            // Most components: their package's shapes, compared in place.
            let (version_text, license_text) = (text(o.version), text(o.license));
            let scope_id = u32::try_from(scope).unwrap_or(u32::MAX);
            let hit = cx.by_package[slot].find(|s| {
                s.scope == scope_id
                    && s.direct == is_direct
                    && same(s.version.as_ref(), version_text)
                    && same(s.license.as_ref(), license_text)
                    && s.findings
                        .iter()
                        .copied()
                        .eq(findings().map(|k| k.advisory))
            });
            if let Some(shape) = hit {
                shape.effect
            } else {
                let interned = intern(&mut cx.texts, o, buffer);
                let listed: Vec<&Key> = findings().collect();
                let verdict = evaluate(cx, scope, &interned, is_direct, &listed, &[]);
                let effect = cx.keep(verdict);
                cx.by_package[slot].push(Shape {
                    scope: scope_id,
                    direct: is_direct,
                    version: version_text.map(Small::new),
                    license: license_text.map(Small::new),
                    findings: listed.iter().map(|k| k.advisory).collect(),
                    effect,
                });
                effect
            }
        } else {
            let interned = by_ordinal
                .get(&o.ordinal)
                .copied()
                .unwrap_or_else(|| intern(&mut cx.texts, o, buffer));
            let listed: Vec<&Key> = findings().collect();
            let memo = Memo {
                scope,
                package: o.package,
                name: interned.name,
                version: interned.version,
                license: interned.license,
                direct: is_direct,
                findings: listed.iter().map(|k| k.advisory).collect(),
                path: parents
                    .as_ref()
                    .map(|p| path_to(p, &by_ordinal, subject, o.ordinal))
                    .unwrap_or_default(),
            };
            if let Some(effect) = cx.memo.get(&memo) {
                *effect
            } else {
                let verdict = evaluate(cx, scope, &interned, is_direct, &listed, &memo.path);
                let effect = cx.keep(verdict);
                cx.memo.insert(memo, effect);
                effect
            }
        };
        match verdict {
            Effect::Nothing => {}
            Effect::Violates(k) => cx.found.push((version, k)),
            Effect::Depends(k) => cx.pending.push((version, k)),
        }
    }
}

/// A component's texts interned.
fn intern(texts: &mut Texts, o: &Occurrence, buffer: &str) -> Interned {
    let mut id = |span: Option<Span>| texts.id(span.and_then(|(s, e)| buffer.get(s..e)));
    Interned {
        package: o.package,
        name: id(o.name),
        version: id(o.version),
        license: id(o.license),
    }
}

/// Adds a component's violations to those found.
fn record_found<'v>(found: &mut Found<'v>, version: i64, violations: &'v [Violation]) {
    if !violations.is_empty() {
        found.push((version, violations));
    }
}

/// The violations found, once each by (product version, rule, component), the last one
/// found of each, sorted by that key (bytewise, as the store's index orders them).
fn distinct<'v>(found: &Found<'v>) -> Vec<(i64, &'v Violation)> {
    let mut all: Vec<(i64, &Violation)> = found
        .iter()
        .flat_map(|(version, list)| list.iter().map(move |v| (*version, v)))
        .collect();
    // Stable: of equal keys, the last one found stays last.
    all.sort_by(|a, b| key(a).cmp(&key(b)));
    let mut out: Vec<(i64, &Violation)> = Vec::with_capacity(all.len());
    for v in all {
        match out.last_mut() {
            Some(last) if key(last) == key(&v) => *last = v,
            _ => out.push(v),
        }
    }
    out
}

/// What identifies a violation: (product version, rule, component).
fn key<'v>((version, v): &(i64, &'v Violation)) -> (i64, &'v str, &'v str) {
    (*version, v.rule.as_str(), v.component.as_str())
}

/// What one component violates. Whether its name imitates a popular package is left
/// open when the answer changes the verdict (most rules that ask also ask something
/// cheaper, such as whether it is direct): those few are asked about together.
fn evaluate(
    cx: &mut Context<'_, '_>,
    scope: usize,
    o: &Interned,
    direct: bool,
    findings: &[&Key],
    path: &[(Option<u32>, Option<u32>)],
) -> Verdict {
    let mut component = facts(cx, o, direct, findings);
    component.path = path
        .iter()
        .map(|(name, version)| {
            let name = cx.texts.get(*name).unwrap_or_default();
            match cx.texts.get(*version) {
                Some(v) => format!("{name}@{v}"),
                None => name.to_owned(),
            }
        })
        .collect();
    let shared = cx.shared;
    let (others, squats) = &shared.scopes[scope];
    let policy = shared.policy;
    let mut plain = policy.evaluate_rules(others, &component);
    if squats.is_empty() {
        return Verdict::Known(plain);
    }
    // The rules on typo-squats twice: as if the package were not a suspect, and were.
    let not_suspect = policy.evaluate_rules(squats, &component);
    let (Some(package), true) = (o.package, component.purl.is_some()) else {
        plain.extend(not_suspect);
        return Verdict::Known(plain);
    };
    component.typosquat = true;
    let suspect = policy.evaluate_rules(squats, &component);
    if suspect == not_suspect {
        plain.extend(not_suspect);
        return Verdict::Known(plain);
    }
    let mut squatting = plain.clone();
    squatting.extend(suspect);
    plain.extend(not_suspect);
    Verdict::Squat {
        package,
        plain,
        squatting,
    }
}

/// What the rules see of a component (not a typo-squat suspect: see [`evaluate`]).
fn facts(cx: &mut Context<'_, '_>, o: &Interned, direct: bool, findings: &[&Key]) -> Component {
    let shared = cx.shared;
    let purl = o
        .package
        .and_then(|p| shared.purls.get(&p).cloned().flatten());
    let license = match (o.license, cx.texts.get(o.license)) {
        (Some(id), Some(text)) => Some(
            cx.licences
                .entry(id)
                .or_insert_with(|| Licensing::new(text))
                .clone(),
        ),
        _ => None,
    };
    let findings = findings
        .iter()
        .map(|k| super::analyses::finding_of(k, shared.open, &shared.osv, &shared.cwes))
        .collect();
    Component {
        name: purl.as_ref().map_or_else(
            || cx.texts.get(o.name).unwrap_or_default().to_owned(),
            |p| p.name().to_owned(),
        ),
        version: cx
            .texts
            .get(o.version)
            .map(str::to_owned)
            .or_else(|| purl.as_ref().and_then(|p| p.version().map(str::to_owned))),
        purl,
        license: Some(license.unwrap_or_else(|| Licensing::new("NOASSERTION"))),
        direct,
        typosquat: false,
        audit: o.package.and_then(|p| shared.audits.get(&p).copied()),
        findings,
        path: Vec::new(),
    }
}

/// Records what an evaluation found for the product versions `selected` (`found`: as
/// [`distinct`] gives them): returns the violations opened, how many resolved and how
/// many hold. The stored violations are read in the same key order and merged with
/// those found, without holding them.
fn record(
    db: &mut Db<'_>,
    selected: &[i64],
    found: &[(i64, &Violation)],
    versions: &HashMap<i64, (String, String)>,
    now: i64,
) -> Result<(Opened, usize, usize)> {
    let bytewise = db.dialect().bytewise();
    let mut sql = String::from(
        "SELECT id, product_version_id, rule, component, level, advisory, reason, first_seen,
             resolved_at FROM policy_violations",
    );
    let mut params: Vec<crate::db::Value<'_>> = Vec::new();
    if let [one] = selected {
        sql.push_str(" WHERE product_version_id = $1");
        params.push((*one).into());
    }
    let _ = write!(
        sql,
        " ORDER BY product_version_id, rule{bytewise}, component{bytewise}"
    );
    let selected_set: HashSet<i64> = selected.iter().copied().collect();
    // The last evaluation of each version: when what resolves now was last seen.
    let mut previous: HashMap<i64, i64> = HashMap::new();
    db.for_each(
        "SELECT product_version_id, evaluated_at FROM policy_evaluations",
        &[],
        &mut |r| {
            previous.insert(r.get(0)?, r.get(1)?);
            Ok(())
        },
    )?;

    // Indexes into `found`: not stored, or stored and changed (with the row's id).
    let (mut insert, mut update): (Vec<usize>, Vec<(i64, usize)>) = (Vec::new(), Vec::new());
    // Stored, resolved and holding again: (index, id, first seen).
    let mut again: Vec<(usize, i64, i64)> = Vec::new();
    // Stored, open and no longer holding: (id, product version).
    let mut gone: Vec<(i64, i64)> = Vec::new();
    let mut next = 0;
    db.for_each(&sql, &params, &mut |r| {
        let stored: (i64, &str, &str) = (r.get(1)?, r.get(2)?, r.get(3)?);
        while found.get(next).is_some_and(|f| key(f) < stored) {
            insert.push(next);
            next += 1;
        }
        let resolved = r.get::<Option<i64>>(8)?.is_some();
        match found.get(next) {
            Some(f) if key(f) == stored => {
                let v = f.1;
                let changed = r.get::<&str>(4)? != v.level.as_str()
                    || r.get::<Option<&str>>(5)? != v.advisory.as_deref()
                    || r.get::<&str>(6)? != v.reason;
                let id: i64 = r.get(0)?;
                if changed || resolved {
                    update.push((id, next));
                }
                if resolved {
                    again.push((next, id, r.get(7)?));
                }
                next += 1;
            }
            _ => {
                if !resolved && selected_set.contains(&stored.0) {
                    gone.push((r.get(0)?, stored.0));
                }
            }
        }
        Ok(())
    })?;
    insert.extend(next..found.len());

    let dialect = db.dialect();
    // What opened: (index into `found`, id, first seen).
    let mut opened: Vec<(usize, i64, i64)> = Vec::with_capacity(insert.len() + again.len());
    let stored_violation = |(version, v): (i64, &Violation), id: i64, first_seen: i64| {
        let (product, name) = versions.get(&version).cloned().unwrap_or_default();
        StoredViolation {
            id,
            product,
            version: name,
            rule: v.rule.clone(),
            level: v.level.as_str().to_owned(),
            component: v.component.clone(),
            advisory: v.advisory.clone(),
            reason: v.reason.clone(),
            first_seen,
            last_seen: now,
            resolved_at: None,
        }
    };
    if !insert.is_empty() {
        let rows: Vec<crate::db::ViolationRow<'_>> = insert
            .iter()
            .map(|&k| {
                let (version, v) = found[k];
                crate::db::ViolationRow {
                    version,
                    rank: super::rank(v.level),
                    rule: &v.rule,
                    component: &v.component,
                    level: v.level.as_str(),
                    advisory: v.advisory.as_deref(),
                    reason: &v.reason,
                }
            })
            .collect();
        let mut ids = vec![0; rows.len()];
        db.insert_violations(&rows, now, &mut |k, id| {
            ids[k] = id;
            Ok(())
        })?;
        opened.extend(insert.iter().zip(ids).map(|(&k, id)| (k, id, now)));
    }
    opened.extend_from_slice(&again);
    if !update.is_empty() {
        let changed: Vec<&Violation> = update.iter().map(|&(_, k)| found[k].1).collect();
        let table = Table::new()
            .int("id", update.iter().map(|(id, _)| *id).collect())
            .int(
                "rank",
                changed.iter().map(|v| super::rank(v.level)).collect(),
            )
            .text("level", changed.iter().map(|v| v.level.as_str()).collect())
            .opt_text(
                "advisory",
                changed.iter().map(|v| v.advisory.as_deref()).collect(),
            )
            .text(
                "reason",
                changed.iter().map(|v| v.reason.as_str()).collect(),
            );
        let sql = format!(
            "UPDATE policy_violations SET rank = t.rank, level = t.level, advisory = t.advisory,
                 reason = t.reason, resolved_at = NULL, last_seen = $1
             FROM {} WHERE policy_violations.id = t.id",
            dialect.table(2, "t", &table)
        );
        db.execute(&sql, &[now.into(), table.into()])?;
    }
    if !gone.is_empty() {
        // Last seen at the version's previous evaluation (before this one).
        let table = Table::new()
            .int("id", gone.iter().map(|(id, _)| *id).collect())
            .int(
                "seen",
                gone.iter()
                    .map(|(_, version)| previous.get(version).copied().unwrap_or(now))
                    .collect(),
            );
        let sql = format!(
            "UPDATE policy_violations SET resolved_at = $1,
                 last_seen = CASE WHEN t.seen > last_seen THEN t.seen ELSE last_seen END
             FROM {} WHERE policy_violations.id = t.id",
            dialect.table(2, "t", &table)
        );
        db.execute(&sql, &[now.into(), table.into()])?;
    }
    let table = Table::new().int("pv", selected.to_vec());
    let sql = format!(
        "INSERT INTO policy_evaluations (product_version_id, evaluated_at)
         SELECT t.pv, $1 FROM {} WHERE true
         ON CONFLICT (product_version_id) DO UPDATE SET evaluated_at = excluded.evaluated_at",
        dialect.table(2, "t", &table)
    );
    db.execute(&sql, &[now.into(), table.into()])?;
    let count = opened.len();
    let fail = opened
        .iter()
        .filter(|(k, _, _)| found[*k].1.level == chainwatch_policy::RuleLevel::Fail)
        .count();
    // The first in list order, without a string built per violation.
    let no_names = (String::new(), String::new());
    let place = |&(k, _, _): &(usize, i64, i64)| {
        let (version, v) = found[k];
        let (product, name) = versions.get(&version).unwrap_or(&no_names);
        (
            super::rank(v.level),
            product.as_str(),
            name.as_str(),
            v.rule.as_str(),
            v.component.as_str(),
        )
    };
    if opened.len() > OPENED_LISTED {
        opened.select_nth_unstable_by(OPENED_LISTED, |a, b| place(a).cmp(&place(b)));
        opened.truncate(OPENED_LISTED);
    }
    opened.sort_unstable_by(|a, b| place(a).cmp(&place(b)));
    let listed = opened
        .iter()
        .map(|&(k, id, first_seen)| stored_violation(found[k], id, first_seen))
        .collect();
    Ok((
        Opened {
            count,
            fail,
            listed,
        },
        gone.len(),
        found.len(),
    ))
}

/// What [`record`] opened: how many, how many at `fail`, the first in list order.
struct Opened {
    count: usize,
    fail: usize,
    listed: Vec<StoredViolation>,
}
