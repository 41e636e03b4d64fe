//! Advisories indexed by ecosystem and normalized package name, compiled once, and
//! matched against package URLs with each ecosystem's own version order. Distribution
//! binary packages are also matched through their source package (`upstream`).

use std::collections::{BTreeSet, HashMap};

use chainwatch_purl::{Ecosystem, OsvEcosystem, PackageName, Purl};
use chainwatch_version::{Event, OsvAffected, OsvRange, Scheme, Version};

use chainwatch_advisory::osv::{Affected, Record};
use chainwatch_advisory::{Level, Severity};

/// One compiled `affected` entry.
#[derive(Debug)]
struct Entry {
    record: usize,
    /// The release the entry is for (`12` of `Debian:12`), if any.
    release: Option<String>,
    scheme: Scheme,
    compiled: OsvAffected,
    /// Versions that fix it, as written (from `fixed` events).
    fixed: Vec<String>,
}

/// How a package was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Via {
    /// The package's own name.
    Name,
    /// The distribution source package named by the `upstream` qualifier.
    Upstream,
}

/// A package affected by an advisory.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The record's id.
    pub advisory: String,
    /// Its other identifiers (aliases and upstream ids), sorted.
    pub aliases: Vec<String>,
    /// The record's summary, else the first sentence of its details.
    pub summary: Option<String>,
    /// The record's own severity, else the most severe of the records that share an
    /// identifier with it (see `severity_from`).
    pub severity: Option<Severity>,
    /// The record the severity was taken from when the finding's own record has none
    /// (`GO-2021-0113` has no rating, its alias `GHSA-ppp9-7jff-5vj2` says high).
    pub severity_from: Option<String>,
    /// Versions that fix it, in the ecosystem's order.
    pub fixed_in: Vec<String>,
    pub malicious: bool,
    /// `unmaintained`, `unsound`, `notice`: an informational advisory, not a vulnerability.
    pub informational: Option<String>,
    /// The weaknesses (CWE ids) the record names.
    pub cwes: Vec<String>,
    pub via: Via,
}

/// A problem with one record (it is still indexed as far as it could be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexProblem {
    pub advisory: String,
    /// JSON pointer into the record.
    pub pointer: String,
    pub message: String,
}

/// The advisories, ready for matching.
#[derive(Debug, Default)]
pub struct AdvisoryIndex {
    records: Vec<Record>,
    /// (ecosystem, OSV package name as normalized by `PackageName`) → entries.
    by_package: HashMap<(Ecosystem, String), Vec<Entry>>,
    /// Any identifier → the records that carry it.
    by_id: HashMap<String, Vec<usize>>,
    problems: Vec<IndexProblem>,
}

fn scheme_for(ecosystem: Ecosystem, range_kind: &str) -> Scheme {
    if range_kind == "SEMVER" {
        Scheme::Semver
    } else {
        Scheme::for_ecosystem(ecosystem)
    }
}

/// The key a package is indexed under: its name identity's canonical form within the
/// ecosystem (PEP 503 for PyPI, lower case where the ecosystem folds case).
fn key(ecosystem: Ecosystem, name: &str) -> Option<(Ecosystem, String)> {
    let n = PackageName::from_osv(ecosystem, name).ok()?;
    Some((ecosystem, n.canonical()))
}

/// The package keys (ecosystem name, canonical package name) a record's affected entries
/// are indexed under: what a store keeps to find the records a package needs.
pub fn record_keys(record: &Record) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = record
        .affected
        .iter()
        .filter_map(|a| {
            let p = a.package.as_ref()?;
            let osv = p.ecosystem.parse::<OsvEcosystem>().ok()?;
            let (e, n) = key(osv.ecosystem, &p.name)?;
            Some((e.as_str().to_owned(), n))
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The keys under which advisories for this package are indexed: its own name and, for
/// a distribution package, its source package.
pub fn purl_keys(purl: &Purl) -> Vec<(String, String)> {
    let Some(osv) = purl.osv_ecosystem() else {
        return Vec::new();
    };
    let mut names = vec![purl.osv_package_name()];
    if let Some((source, _)) = purl.upstream() {
        names.push(Some(source.to_owned()));
    }
    names
        .into_iter()
        .flatten()
        .filter_map(|n| key(osv.ecosystem, &n))
        .map(|(e, n)| (e.as_str().to_owned(), n))
        .collect()
}

impl AdvisoryIndex {
    pub fn new() -> AdvisoryIndex {
        AdvisoryIndex::default()
    }

    /// Adds a record. A newer version of a record (same id) replaces the older one's
    /// identifiers but both stay indexed: call [`AdvisoryIndex::from_records`] with
    /// de-duplicated records for a consistent index.
    pub fn insert(&mut self, record: Record) {
        let index = self.records.len();
        for id in record.identifiers() {
            self.by_id
                .entry(id.to_ascii_uppercase())
                .or_default()
                .push(index);
        }
        if !record.is_withdrawn() {
            for (a, affected) in record.affected.iter().enumerate() {
                self.index_affected(index, &record, a, affected);
            }
        }
        self.records.push(record);
    }

    /// Builds an index from records; for one id, the most recently modified wins.
    pub fn from_records(records: impl IntoIterator<Item = Record>) -> AdvisoryIndex {
        let mut latest: HashMap<String, Record> = HashMap::new();
        for r in records {
            match latest.get(&r.id) {
                Some(old) if old.modified >= r.modified => {}
                _ => {
                    latest.insert(r.id.clone(), r);
                }
            }
        }
        let mut ids: Vec<String> = latest.keys().cloned().collect();
        ids.sort();
        let mut index = AdvisoryIndex::new();
        for id in ids {
            if let Some(r) = latest.remove(&id) {
                index.insert(r);
            }
        }
        index
    }

    fn index_affected(&mut self, record: usize, r: &Record, a: usize, affected: &Affected) {
        let problem = |message: String, pointer: String| IndexProblem {
            advisory: r.id.clone(),
            pointer,
            message,
        };
        let Some(package) = &affected.package else {
            return;
        };
        let Ok(osv) = package.ecosystem.parse::<OsvEcosystem>() else {
            self.problems.push(problem(
                format!("unknown ecosystem `{}`", package.ecosystem),
                format!("/affected/{a}/package/ecosystem"),
            ));
            return;
        };
        let Some(key) = key(osv.ecosystem, &package.name) else {
            self.problems.push(problem(
                format!(
                    "`{}` is not a package name of {}",
                    package.name, osv.ecosystem
                ),
                format!("/affected/{a}/package/name"),
            ));
            return;
        };
        let mut compiled = OsvAffected::default();
        let mut fixed = Vec::new();
        let mut scheme = Scheme::for_ecosystem(osv.ecosystem);
        for (ri, range) in affected.ranges.iter().enumerate() {
            if range.kind == "GIT" {
                continue; // commits, not versions
            }
            let s = scheme_for(osv.ecosystem, &range.kind);
            scheme = s;
            let events: Vec<Event> = range
                .events
                .iter()
                .filter_map(|e| {
                    e.introduced
                        .clone()
                        .map(Event::Introduced)
                        .or_else(|| e.fixed.clone().map(Event::Fixed))
                        .or_else(|| e.last_affected.clone().map(Event::LastAffected))
                        .or_else(|| e.limit.clone().map(Event::Limit))
                })
                .collect();
            fixed.extend(range.events.iter().filter_map(|e| e.fixed.clone()));
            match OsvRange::new(s, &events) {
                Ok(r) => compiled.ranges.push(r),
                // The range matches nothing; the problem is reported.
                Err(e) => {
                    self.problems.push(problem(
                        format!("a version of the range does not parse: {e}"),
                        format!("/affected/{a}/ranges/{ri}"),
                    ));
                }
            }
        }
        let version_scheme = Scheme::for_ecosystem(osv.ecosystem);
        for (vi, v) in affected.versions.iter().enumerate() {
            match Version::parse(version_scheme, v) {
                Ok(v) => compiled.versions.push(v),
                Err(e) => self.problems.push(problem(
                    format!("version `{v}` does not parse: {e}"),
                    format!("/affected/{a}/versions/{vi}"),
                )),
            }
        }
        self.by_package.entry(key).or_default().push(Entry {
            record,
            release: osv.suffix.clone(),
            scheme,
            compiled,
            fixed,
        });
    }

    /// Problems found while indexing.
    pub fn problems(&self) -> &[IndexProblem] {
        &self.problems
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The records carrying an identifier (their id, an alias or an upstream id), and
    /// those that carry any of their identifiers in turn.
    pub fn lookup(&self, id: &str) -> Vec<&Record> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![id.to_ascii_uppercase()];
        while let Some(i) = stack.pop() {
            for &r in self.by_id.get(&i).into_iter().flatten() {
                if seen.insert(r) {
                    stack.extend(self.records[r].identifiers().map(str::to_ascii_uppercase));
                }
            }
        }
        seen.into_iter().map(|r| &self.records[r]).collect()
    }

    /// Every advisory that affects the package (a purl with a version); none without a
    /// version or outside the ecosystems OSV covers.
    pub fn matches(&self, purl: &Purl) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        let Some(osv) = purl.osv_ecosystem() else {
            return out;
        };
        let Some(version) = purl.version() else {
            return out;
        };
        let mut candidates = vec![(purl.osv_package_name(), version, Via::Name)];
        if let Some((source, source_version)) = purl.upstream() {
            candidates.push((
                Some(source.to_owned()),
                source_version.unwrap_or(version),
                Via::Upstream,
            ));
        }
        for (name, version, via) in candidates {
            let Some(key) = name.and_then(|n| key(osv.ecosystem, &n)) else {
                continue;
            };
            let mut parsed: Vec<(Scheme, Option<Version>)> = Vec::new();
            for entry in self.by_package.get(&key).into_iter().flatten() {
                // A release-specific entry applies to that release only (when the package
                // says which it is from).
                if let (Some(want), Some(have)) = (&entry.release, &osv.suffix)
                    && !release_matches(want, have)
                {
                    continue;
                }
                // Parsed once per scheme (an ecosystem's entries share one, SEMVER ranges
                // use another).
                let i = parsed
                    .iter()
                    .position(|(s, _)| *s == entry.scheme)
                    .unwrap_or_else(|| {
                        parsed.push((entry.scheme, Version::parse(entry.scheme, version).ok()));
                        parsed.len() - 1
                    });
                let Some(v) = &parsed[i].1 else {
                    continue;
                };
                if !entry.compiled.contains(v) {
                    continue;
                }
                let record = &self.records[entry.record];
                if out.iter().any(|f| f.advisory == record.id) {
                    continue;
                }
                let mut aliases: Vec<String> = record
                    .aliases
                    .iter()
                    .chain(&record.upstream)
                    .filter(|a| **a != record.id)
                    .cloned()
                    .collect();
                aliases.sort();
                aliases.dedup();
                let mut fixed_in = entry.fixed.clone();
                fixed_in.sort_by(|a, b| entry.scheme.compare(a, b).unwrap_or(a.cmp(b)));
                fixed_in.dedup();
                let (severity, severity_from) = self.severity_of(entry.record);
                out.push(Finding {
                    advisory: record.id.clone(),
                    aliases,
                    summary: record.title(),
                    severity,
                    severity_from,
                    fixed_in,
                    malicious: record.is_malicious(),
                    informational: record.informational().map(str::to_owned),
                    cwes: record.cwes(),
                    via,
                });
            }
        }
        out.sort_by(|a, b| a.advisory.cmp(&b.advisory));
        merge_aliases(out, Scheme::for_ecosystem(osv.ecosystem))
    }

    /// A record's severity, else the most severe among the records that share one of its
    /// identifiers (one step: an alias's alias is another vulnerability as often as not),
    /// with the id of the record it came from.
    fn severity_of(&self, record: usize) -> (Option<Severity>, Option<String>) {
        let r = &self.records[record];
        if let Some(own) = r.severity() {
            return (Some(own), None);
        }
        let mut related: Vec<usize> = r
            .identifiers()
            .flat_map(|id| {
                self.by_id
                    .get(&id.to_ascii_uppercase())
                    .into_iter()
                    .flatten()
            })
            .copied()
            .filter(|&i| i != record && !self.records[i].is_withdrawn())
            .collect();
        related.sort_unstable();
        related.dedup();
        related
            .into_iter()
            .filter_map(|i| Some((self.records[i].severity()?, &self.records[i].id)))
            .max_by(|(a, ai), (b, bi)| {
                severity_rank(a)
                    .partial_cmp(&severity_rank(b))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    // The same rating twice: the smaller id, for a stable answer.
                    .then_with(|| bi.cmp(ai))
            })
            .map_or((None, None), |(s, id)| (Some(s), Some(id.clone())))
    }
}

/// Orders severities: level first, then the score.
fn severity_rank(s: &Severity) -> (Level, f64) {
    (s.level, s.score.unwrap_or(-1.0))
}

/// How much an id says about its package: an ecosystem database's own id (`GO-`,
/// `PYSEC-`, `RUSTSEC-`, distributions) before a GitHub advisory, before a CVE.
fn id_preference(id: &str) -> u8 {
    match id.split_once('-').map(|(prefix, _)| prefix) {
        Some("CVE") => 2,
        Some("GHSA") => 1,
        _ => 0,
    }
}

/// The representative of `i`'s group (union-find with path halving).
fn root(group: &mut [usize], mut i: usize) -> usize {
    while group[i] != i {
        group[i] = group[group[i]];
        i = group[i];
    }
    i
}

/// One finding per vulnerability: findings whose records name each other as aliases
/// (`GO-2021-0113` and `GHSA-ppp9-7jff-5vj2` on the same package) become one, under the
/// ecosystem database's id, with the other ids among its aliases.
fn merge_aliases(findings: Vec<Finding>, scheme: Scheme) -> Vec<Finding> {
    if findings.len() < 2 {
        return findings;
    }
    let names = |f: &Finding| -> Vec<String> {
        std::iter::once(&f.advisory)
            .chain(&f.aliases)
            .map(|s| s.to_ascii_uppercase())
            .collect()
    };
    let related = |a: &Finding, b: &Finding| {
        let (na, nb) = (names(a), names(b));
        na.contains(&b.advisory.to_ascii_uppercase())
            || nb.contains(&a.advisory.to_ascii_uppercase())
    };
    // Groups of findings connected by alias links.
    let mut group: Vec<usize> = (0..findings.len()).collect();
    for i in 0..findings.len() {
        for j in i + 1..findings.len() {
            if related(&findings[i], &findings[j]) {
                let (a, b) = (root(&mut group, i), root(&mut group, j));
                group[b.max(a)] = a.min(b);
            }
        }
    }
    let mut merged: Vec<(usize, Finding)> = Vec::new();
    for (i, f) in findings.into_iter().enumerate() {
        let g = root(&mut group, i);
        match merged.iter_mut().find(|(k, _)| *k == g) {
            None => merged.push((g, f)),
            Some((_, m)) => {
                let (mut keep, other) = if (id_preference(&f.advisory), &f.advisory)
                    < (id_preference(&m.advisory), &m.advisory)
                {
                    (f, std::mem::replace(m, placeholder()))
                } else {
                    (std::mem::replace(m, placeholder()), f)
                };
                absorb(&mut keep, other, scheme);
                *m = keep;
            }
        }
    }
    let mut out: Vec<Finding> = merged.into_iter().map(|(_, f)| f).collect();
    out.sort_by(|a, b| a.advisory.cmp(&b.advisory));
    out
}

fn placeholder() -> Finding {
    Finding {
        advisory: String::new(),
        aliases: Vec::new(),
        summary: None,
        severity: None,
        severity_from: None,
        fixed_in: Vec::new(),
        malicious: false,
        informational: None,
        cwes: Vec::new(),
        via: Via::Name,
    }
}

/// `other`'s identifiers, fixes and ratings added to `keep`.
fn absorb(keep: &mut Finding, other: Finding, scheme: Scheme) {
    keep.aliases.push(other.advisory.clone());
    keep.aliases.extend(other.aliases);
    keep.aliases
        .retain(|a| !a.eq_ignore_ascii_case(&keep.advisory));
    keep.aliases.sort();
    keep.aliases.dedup();
    if keep.summary.is_none() {
        keep.summary = other.summary;
    }
    let better = match (&keep.severity, &other.severity) {
        (None, Some(_)) => true,
        (Some(a), Some(b)) => severity_rank(b) > severity_rank(a),
        _ => false,
    };
    if better {
        keep.severity = other.severity;
        keep.severity_from = Some(other.severity_from.unwrap_or(other.advisory));
    }
    keep.fixed_in.extend(other.fixed_in);
    keep.fixed_in
        .sort_by(|a, b| scheme.compare(a, b).unwrap_or(a.cmp(b)));
    keep.fixed_in.dedup();
    keep.malicious |= other.malicious;
    keep.cwes.extend(other.cwes);
    keep.cwes.sort();
    keep.cwes.dedup();
    // A vulnerability is not an informational notice because another record says so.
    if other.informational.is_none() {
        keep.informational = None;
    }
    keep.via = keep.via.min(other.via);
}

/// `Ubuntu:22.04:LTS` entries apply to `22.04:LTS` and `22.04`; `Debian:12` to `12`.
fn release_matches(want: &str, have: &str) -> bool {
    let base = |s: &str| s.split(':').next().unwrap_or(s).to_owned();
    base(want) == base(have)
}
