//! `chainwatch scan`: the packages of a tree, lockfile or SBOM matched against OSV
//! advisories; findings grouped by package with fixed versions and dependency paths.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use anyhow::Context as _;
use chainwatch_advisory::Level;
use chainwatch_match::{AdvisoryIndex, Finding, Via};
use chainwatch_purl::Purl;
use chainwatch_sbom::Sbom;
use serde::Serialize;
use serde_json::json;

use crate::cli::{FailOn, ScanArgs, ScanFormat, TyposquatFails};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status, WARNING};
use crate::report::{AdvisoryRules, advisory_level, write_sarif_log};

/// One package with its findings.
struct Hit<'a> {
    component: &'a chainwatch_sbom::Component,
    purl: Purl,
    path: Vec<String>,
    findings: Vec<Finding>,
    /// What VEX and exploitation data say of each finding (same order).
    extras: Vec<Extra>,
}

/// A dependency whose name imitates a popular package.
#[derive(Serialize)]
struct Suspect<'a> {
    /// Always `typosquat`: tells these rows from advisory findings.
    kind: &'static str,
    package: String,
    name: String,
    version: Option<&'a str>,
    ecosystem: &'static str,
    imitates: Option<String>,
    technique: Option<&'static str>,
    score: f64,
    /// Dependency steps from the subject; `None` when the document's dependency graph
    /// does not reach it.
    depth: Option<usize>,
    /// Whether the subject or one of its own applications (a workspace member) depends
    /// on it: a name someone typed.
    direct: bool,
    /// Whether it fails the scan (see `--typosquat-fails`).
    fails: bool,
    path: Vec<String>,
    locations: Vec<&'a str>,
}

/// The `--require-provenance` verdict, a `"kind": "provenance"` row in JSON.
#[derive(Serialize)]
struct ProvenanceRow {
    kind: &'static str,
    /// The allowed builders.
    required: Vec<String>,
    satisfied: bool,
    /// The attestations that satisfy it.
    attestations: Vec<i64>,
    reason: String,
}

/// Whether the target has verified provenance from an allowed builder: evidence stored for
/// its product version, or about its subject component's digest.
fn provenance(
    ctx: &Context,
    args: &ScanArgs,
    sbom: &Sbom,
    store: Option<&chainwatch_store::Store>,
) -> anyhow::Result<ProvenanceRow> {
    with_store(ctx, store, |store| provenance_in(args, sbom, store))
}

/// [`provenance`] with the store.
fn provenance_in(
    args: &ScanArgs,
    sbom: &Sbom,
    store: &chainwatch_store::Store,
) -> anyhow::Result<ProvenanceRow> {
    // The product version: the store target's, else the SBOM subject's name and version.
    let subject = sbom
        .subject
        .as_deref()
        .and_then(|id| sbom.components.iter().find(|c| c.id == id));
    let (product, version) = if args.target.exists() {
        (
            subject.map(|c| c.name.clone()).unwrap_or_default(),
            subject.and_then(|c| c.version.clone()),
        )
    } else {
        let spec = crate::shared::target::product_ref(&args.target)?;
        (spec.name, spec.version)
    };
    let subject_about = subject.map(|c| {
        format!(
            "component {}",
            c.purl()
                .map_or_else(|| c.name.clone(), |p| p.canonical().to_owned())
        )
    });
    let evidence = match store.provenance(&product, version.as_deref(), None) {
        Ok(e) => e,
        Err(chainwatch_store::StoreError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let good: Vec<&chainwatch_store::Evidence> = evidence
        .iter()
        .filter(|e| e.about == "product version" || Some(&e.about) == subject_about.as_ref())
        .filter(|e| {
            e.builder.as_deref().is_some_and(|b| {
                args.require_provenance
                    .iter()
                    .any(|g| chainwatch_attest::slsa::glob_matches(g, b))
            })
        })
        .collect();
    let target = match &version {
        Some(v) => format!("{product}@{v}"),
        None => product.clone(),
    };
    let reason = match good.first() {
        Some(e) => format!(
            "{target} built by {} (attestation {})",
            e.builder.as_deref().unwrap_or_default(),
            e.attestation
        ),
        None if evidence.is_empty() => format!(
            "no verified attestation about {target}: ingest its provenance (`chainwatch ingest ATTESTATION --product … --product-version …`)"
        ),
        None => format!(
            "{target} has {} verified attestation(s), none from an allowed builder ({})",
            evidence.len(),
            args.require_provenance.join(", ")
        ),
    };
    Ok(ProvenanceRow {
        kind: "provenance",
        required: args.require_provenance.clone(),
        satisfied: !good.is_empty(),
        attestations: good.iter().map(|e| e.attestation).collect(),
        reason,
    })
}

/// The typo-squatting checks on every dependency (one detector per ecosystem).
fn suspects<'a>(
    sbom: &'a Sbom,
    paths: &HashMap<&str, Vec<String>>,
    ids: &HashMap<&str, Vec<&str>>,
    args: &ScanArgs,
    store: Option<&chainwatch_store::Store>,
) -> anyhow::Result<Vec<Suspect<'a>>> {
    let sources = crate::shared::typosquat::sources(&args.typosquat)?;
    let mut checker = crate::shared::typosquat::checker(&sources, &args.typosquat, store);
    let mut out = Vec::new();
    for c in sbom.packages() {
        if sbom.subject.as_deref() == Some(c.id.as_str()) {
            continue;
        }
        let Some(purl) = c.purl() else { continue };
        let Some(v) = checker.suspect(&purl).cloned() else {
            continue;
        };
        let path = paths.get(c.id.as_str()).cloned().unwrap_or_default();
        let depth = path.len().checked_sub(1).filter(|d| *d > 0);
        let direct = sbom.is_direct(ids, &c.id);
        // A squat is installed by someone typing its name: a direct dependency. A
        // look-alike deeper down was chosen by another package's author, and the
        // look-alike names among real dependencies are mostly legitimate.
        let fails = match args.typosquat_fails {
            TyposquatFails::Any => true,
            TyposquatFails::Direct => direct,
        };
        out.push(Suspect {
            kind: "typosquat",
            package: purl.canonical().to_owned(),
            name: v.name,
            version: c.version.as_deref(),
            ecosystem: v.ecosystem.as_str(),
            imitates: v.imitates,
            technique: v.technique.map(chainwatch_typosquat::Technique::as_str),
            score: v.score,
            depth,
            direct,
            fails,
            path,
            locations: c
                .properties
                .iter()
                .filter(|p| p.name == "chainwatch:location")
                .map(|p| p.value.as_str())
                .collect(),
        });
    }
    out.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(out)
}

/// VEX verdict and exploitation data of a finding.
#[derive(Default)]
struct Extra {
    vex: Option<chainwatch_store::VexVerdict>,
    known_exploited: bool,
    epss: Option<f64>,
}

impl Extra {
    fn suppressed(&self) -> bool {
        self.vex.as_ref().is_some_and(|v| v.status.suppresses())
    }
}

#[derive(Serialize)]
struct FindingJson<'a> {
    /// `advisory` (typo-squatting suspects are `typosquat` rows).
    kind: &'static str,
    package: &'a str,
    name: &'a str,
    version: Option<&'a str>,
    advisory: &'a str,
    aliases: &'a [String],
    summary: Option<&'a str>,
    severity: &'a str,
    /// The alias record the severity was taken from (the finding's own has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    severity_from: Option<&'a str>,
    score: Option<f64>,
    fixed_in: &'a [String],
    malicious: bool,
    informational: Option<&'a str>,
    via: &'a str,
    path: &'a [String],
    locations: Vec<&'a str>,
    vex_status: Option<&'a str>,
    vex_justification: Option<&'a str>,
    known_exploited: bool,
    epss: Option<f64>,
}

fn level_of(f: &Finding) -> Option<Level> {
    f.severity.as_ref().map(|s| s.level)
}

/// Whether a finding fails the scan at `fail_on`; a finding without any severity (none of
/// its records rates it) counts as `unknown` says (high by default: unknown is not harmless).
fn counts(f: &Finding, extra: &Extra, fail_on: FailOn, unknown: Level) -> bool {
    if extra.suppressed() {
        return false;
    }
    if f.malicious || extra.known_exploited {
        return true;
    }
    // Unmaintained and unsound notices are reported, never a failure (as cargo-audit).
    if f.informational.is_some() {
        return false;
    }
    let level = level_of(f).unwrap_or(unknown);
    match fail_on {
        FailOn::Low => level >= Level::Low,
        FailOn::Medium => level >= Level::Medium,
        FailOn::High => level >= Level::High,
        FailOn::Critical => level >= Level::Critical,
        FailOn::Never => false,
    }
}

/// The document to scan: a tree or lockfile inventoried, an SBOM read, or a product
/// version's current document from the store (when no such path exists).
/// The target as a product in the store (it is no file).
/// Shortest dependency path from the subject to every component (by id).
fn paths(sbom: &Sbom) -> HashMap<&str, Vec<String>> {
    let by_id: HashMap<&str, &chainwatch_sbom::Component> = sbom
        .components
        .iter()
        .map(|c| (c.id.as_str(), c))
        .rev()
        .collect();
    let name = |id: &str| {
        by_id.get(id).map_or_else(
            || id.to_owned(),
            |c| match &c.version {
                Some(v) => format!("{}@{v}", c.name),
                None => c.name.clone(),
            },
        )
    };
    sbom.shortest_paths()
        .into_iter()
        .map(|(id, path)| (id, path.into_iter().map(name).collect()))
        .collect()
}

/// A week: older advisory data is worth a warning.
const STALE_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

/// The advisories from `--advisories` files.
fn index_from_files(ctx: &Context, args: &ScanArgs) -> anyhow::Result<AdvisoryIndex> {
    let loaded = chainwatch_advisory::load::load_paths(&args.advisories);
    if ctx.printer.summaries() && !loaded.problems.is_empty() {
        let mut err = anstream::stderr().lock();
        for p in loaded.problems.iter().take(10) {
            let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(
                err,
                "{DIM}warning: {}{at}: {}{DIM:#}",
                p.path.display(),
                p.message
            )?;
        }
        if loaded.problems.len() > 10 {
            writeln!(
                err,
                "{DIM}warning: {} more advisory files skipped{DIM:#}",
                loaded.problems.len() - 10
            )?;
        }
    }
    if loaded.records.is_empty() {
        return Err(InputError(format!(
            "no OSV records in {}",
            args.advisories
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    Ok(AdvisoryIndex::from_records(loaded.records))
}

/// The store's advisories for these packages; an empty database is an error that says how
/// to fill it, an old one a warning.
fn index_from_store(
    ctx: &Context,
    purls: &[Purl],
) -> anyhow::Result<(AdvisoryIndex, u64, chainwatch_store::Store)> {
    let store = crate::shared::store::open(ctx)?;
    let last_import = store.advisories_last_import()?;
    let Some(last) = last_import else {
        return Err(InputError(format!(
            "the advisory database in `{}` is empty: import OSV records with `chainwatch advisories import PATH`, or pass `--advisories PATH`",
            store.location()
        ))
        .into());
    };
    if chainwatch_store::now_micros() - last > STALE_MICROS && ctx.printer.summaries() {
        writeln!(
            anstream::stderr().lock(),
            "{DIM}warning: the advisory database was last updated {}: import current OSV records with `chainwatch advisories import`{DIM:#}",
            chainwatch_store::format_micros(last)
        )?;
    }
    let index = store.advisory_index_for(purls)?;
    let n = index.len() as u64;
    Ok((index, n, store))
}

/// The statements of `--vex` files.
fn vex_files(args: &ScanArgs) -> anyhow::Result<Vec<(chainwatch_advisory::vex::Statement, i64)>> {
    let mut out = Vec::new();
    for path in &args.vex {
        let bytes = std::fs::read(path)
            .map_err(|e| InputError(format!("cannot read `{}`: {e}", path.display())))?;
        let doc = chainwatch_advisory::vex::parse(&bytes)
            .map_err(|e| InputError(format!("`{}`: {e}", path.display())))?;
        for s in &doc.statements {
            let at = chainwatch_store::statement_time(&doc, s).unwrap_or(0);
            out.push((s.clone(), at));
        }
    }
    Ok(out)
}

/// What a policy sees of a finding.
fn policy_finding(
    f: &Finding,
    epss: Option<f64>,
    known_exploited: bool,
) -> chainwatch_policy::Finding {
    chainwatch_policy::Finding {
        advisory: f.advisory.clone(),
        aliases: f.aliases.clone(),
        severity: level_of(f),
        score: f.severity.as_ref().and_then(|s| s.score),
        epss,
        known_exploited,
        malicious: f.malicious,
        cwes: f.cwes.clone(),
    }
}

/// Applies VEX statements (stored, `--vex` files and the decisions of the policy's
/// vulnerability policies, which yield to both) and KEV/EPSS data to every finding.
fn annotate(
    hits: &mut [Hit<'_>],
    sbom: &Sbom,
    store: Option<&chainwatch_store::Store>,
    files: Vec<(chainwatch_advisory::vex::Statement, i64)>,
    policy: Option<(&chainwatch_policy::Policy, &[String])>,
) -> anyhow::Result<()> {
    let subject = sbom.subject.as_deref().and_then(|s| sbom.component(s));
    let product = subject.map_or("", |c| c.name.as_str());
    let version = subject.and_then(|c| c.version.as_deref()).unwrap_or("");
    let mut identifiers: Vec<String> = hits
        .iter()
        .flat_map(|h| &h.findings)
        .flat_map(|f| std::iter::once(f.advisory.clone()).chain(f.aliases.iter().cloned()))
        .collect();
    identifiers.sort();
    identifiers.dedup();
    let (mut statements, enrichment) = match store {
        Some(store) => (
            store.vex_statements(&identifiers)?,
            store.enrichment(&identifiers)?,
        ),
        None => Default::default(),
    };
    statements.extend(files);
    if let Some((policy, tags)) = policy {
        let scope = policy.analyses_in_scope(&policy_product(sbom), tags);
        if !scope.is_empty() {
            let now = chainwatch_store::now_micros();
            let mut decided = Vec::new();
            for h in hits.iter() {
                let component = chainwatch_policy::Component {
                    name: h.purl.name().to_owned(),
                    version: h.purl.version().map(str::to_owned),
                    purl: Some(h.purl.clone()),
                    ..chainwatch_policy::Component::default()
                };
                for f in &h.findings {
                    let ids: Vec<String> = std::iter::once(f.advisory.clone())
                        .chain(f.aliases.iter().cloned())
                        .collect();
                    let exploitation = enrichment.of(&ids);
                    let finding =
                        policy_finding(f, exploitation.epss, exploitation.known_exploited);
                    let analysis = policy
                        .deciding(&scope, &component, &finding, now)
                        .and_then(|i| policy.analyses.get(i));
                    // Made now, but ordered before every statement given or stored:
                    // without the store's record of when the policy first decided, a
                    // triage decision or VEX document is taken to be the later word.
                    if let Some(a) = analysis {
                        decided.push((
                            a.statement(&finding, product, version, h.purl.canonical(), now),
                            i64::MIN,
                        ));
                    }
                }
            }
            statements.extend(decided);
        }
    }
    for h in hits.iter_mut() {
        h.extras = h
            .findings
            .iter()
            .map(|f| {
                let ids: Vec<String> = std::iter::once(f.advisory.clone())
                    .chain(f.aliases.iter().cloned())
                    .collect();
                let exploitation = enrichment.of(&ids);
                Extra {
                    vex: statements.verdict(product, version, h.purl.canonical(), &ids),
                    known_exploited: exploitation.known_exploited,
                    epss: exploitation.epss,
                }
            })
            .collect();
    }
    Ok(())
}

/// What product rules see of the target: the NTIA minimum elements its SBOM misses and
/// the builders of the verified provenance the store holds for its product version (the
/// stored target's, else the SBOM subject's name and version).
fn release(
    ctx: &Context,
    args: &ScanArgs,
    sbom: &Sbom,
    store: Option<&chainwatch_store::Store>,
    needs: chainwatch_policy::Needs,
) -> anyhow::Result<chainwatch_policy::Release> {
    let subject = sbom.subject_component();
    // Scoped and named as the component rules are (the subject's name); looked up in the
    // store as the stored target's product version, else the subject's.
    let named = policy_product(sbom);
    let (product, version) = if args.target.exists() {
        (named.clone(), subject.and_then(|c| c.version.clone()))
    } else {
        let spec = crate::shared::target::product_ref(&args.target)?;
        (spec.name, spec.version)
    };
    let ntia_missing = if needs.ntia {
        chainwatch_sbom::ntia_missing(sbom)
            .into_iter()
            .map(|(e, n)| (e.to_owned(), n))
            .collect()
    } else {
        Vec::new()
    };
    let builders = match (&version, needs.provenance) {
        (Some(v), true) => with_store(ctx, store, |s| Ok(s.release_builders(&product, v)?))?,
        _ => Vec::new(),
    };
    Ok(chainwatch_policy::Release {
        product: named,
        version,
        ntia_missing,
        builders,
    })
}

/// Evaluates a policy on every component of the target: its licence, whether it is
/// direct and a typo-squat suspect, and its open findings (VEX-suppressed ones left out).
#[allow(
    clippy::too_many_arguments,
    reason = "the facts a component is judged on, each computed once for the scan"
)]
fn violations<'p>(
    policy: &chainwatch_policy::Policy,
    tags: &[String],
    sbom: &Sbom,
    hits: &[Hit<'_>],
    squats: &[Suspect<'_>],
    paths: &'p HashMap<&str, Vec<String>>,
    ids: &HashMap<&str, Vec<&str>>,
    audited: &[chainwatch_audit::PackageReport],
) -> Vec<(chainwatch_policy::Violation, &'p [String])> {
    // The worst content-audit severity of each installed package version (`--audit`),
    // by (name identity, version).
    let audits: HashMap<(String, String), chainwatch_advisory::Level> = audited
        .iter()
        .filter_map(|r| {
            let purl = r.purl()?;
            let level = chainwatch_advisory::Level::from_name(r.worst()?.as_str())?;
            Some((
                (purl.package_name().canonical(), purl.version()?.to_owned()),
                level,
            ))
        })
        .collect();
    let product = policy_product(sbom);
    let mut hit_of: HashMap<&str, Vec<&Hit<'_>>> = HashMap::new();
    for h in hits {
        hit_of.entry(h.component.id.as_str()).or_default().push(h);
    }
    let squatted: std::collections::HashSet<&str> =
        squats.iter().map(|s| s.package.as_str()).collect();
    let needs_path = policy.needs().path;
    // The rules in scope are the same for every component of the target.
    let rules = policy.in_scope(&product, tags);
    let mut out = Vec::new();
    for c in sbom.packages() {
        if sbom.subject.as_deref() == Some(c.id.as_str()) {
            continue;
        }
        let purl = c.purl();
        let findings = hit_of
            .get(c.id.as_str())
            .into_iter()
            .flatten()
            .flat_map(|h| h.findings.iter().zip(&h.extras))
            .filter(|(f, e)| !e.suppressed() && f.informational.is_none())
            .map(|(f, e)| policy_finding(f, e.epss, e.known_exploited))
            .collect();
        let audit = purl.as_ref().and_then(|p| {
            audits
                .get(&(p.package_name().canonical(), p.version()?.to_owned()))
                .copied()
        });
        let mut facts = chainwatch_policy::Component {
            name: c.name.clone(),
            version: c.version.clone(),
            license: Some(crate::shared::license::licensing(c)),
            direct: sbom.is_direct(ids, &c.id),
            typosquat: purl
                .as_ref()
                .is_some_and(|p| squatted.contains(p.canonical())),
            audit,
            findings,
            purl,
            path: Vec::new(),
        };
        let path = paths.get(c.id.as_str()).map_or(&[][..], Vec::as_slice);
        if needs_path {
            facts.path = path.to_vec();
        }
        out.extend(
            policy
                .evaluate_rules(&rules, &facts)
                .into_iter()
                .map(|v| (v, path)),
        );
    }
    sort_violations(&mut out);
    out
}

/// A row of `scan --format json`.
#[derive(Serialize)]
#[serde(untagged)]
enum JsonRow<'a> {
    Value(serde_json::Value),
    /// Written as it is, not made a value first: a policy can find tens of thousands.
    Policy(PolicyRow<'a>),
}

/// A policy violation as a JSON row: its fields and `kind` and `path`, in the order of
/// the other rows' (sorted) keys.
#[derive(Serialize)]
struct PolicyRow<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    advisory: Option<&'a str>,
    component: &'a str,
    kind: &'static str,
    level: chainwatch_policy::RuleLevel,
    path: &'a [String],
    reason: &'a str,
    rule: &'a str,
}

/// Violations in list order: the most serious level first, then by rule and component.
fn sort_violations(list: &mut [(chainwatch_policy::Violation, &[String])]) {
    list.sort_by(|a, b| {
        (std::cmp::Reverse(a.0.level), &a.0.rule, &a.0.component).cmp(&(
            std::cmp::Reverse(b.0.level),
            &b.0.rule,
            &b.0.component,
        ))
    });
}

/// The product name policy scopes see: the subject's name, else the document's.
fn policy_product(sbom: &Sbom) -> String {
    sbom.subject_component()
        .map_or_else(|| sbom.name.clone().unwrap_or_default(), |c| c.name.clone())
}

/// Runs `f` with the store: the one in hand, else the configured one, opened.
fn with_store<T>(
    ctx: &Context,
    store: Option<&chainwatch_store::Store>,
    f: impl FnOnce(&chainwatch_store::Store) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    match store {
        Some(s) => f(s),
        None => f(&crate::shared::store::open(ctx)?),
    }
}

pub(crate) fn scan(ctx: &Context, args: &ScanArgs) -> anyhow::Result<Status> {
    let policy = match &args.policy {
        Some(p) => Some(crate::shared::policy::load(p)?),
        None => None,
    };
    let sbom = crate::shared::target::load(ctx, &args.target, &args.exclude)?;
    let tags = if policy.is_some() {
        crate::shared::policy::tags_of(ctx, &args.target, &args.tag)?
    } else {
        Vec::new()
    };
    let purls: Vec<Purl> = sbom
        .packages()
        .filter_map(chainwatch_sbom::Component::purl)
        .collect();
    let (index, advisories, store) = if args.advisories.is_empty() {
        let (index, n, store) = index_from_store(ctx, &purls)?;
        (index, n, Some(store))
    } else {
        let index = index_from_files(ctx, args)?;
        let n = index.len() as u64;
        (index, n, None)
    };
    let files = vex_files(args)?;
    let paths = paths(&sbom);
    // Who depends on whom, once: for typo-squats and policies (direct dependencies).
    let ids = sbom.shortest_paths();
    let mut hits: Vec<Hit<'_>> = Vec::new();
    let mut scanned = 0usize;
    for c in sbom.packages() {
        let Some(purl) = c.purl() else { continue };
        if sbom.subject.as_deref() == Some(c.id.as_str()) {
            continue;
        }
        scanned += 1;
        let findings = index.matches(&purl);
        if findings.is_empty() {
            continue;
        }
        hits.push(Hit {
            component: c,
            path: paths.get(c.id.as_str()).cloned().unwrap_or_default(),
            purl,
            findings,
            extras: Vec::new(),
        });
    }
    annotate(
        &mut hits,
        &sbom,
        store.as_ref(),
        files,
        policy.as_ref().map(|p| (p, tags.as_slice())),
    )?;
    let squats = if args.no_typosquat {
        Vec::new()
    } else {
        suspects(&sbom, &paths, &ids, args, store.as_ref())?
    };
    // Malicious first, then the most severe, then by package.
    let rank = |h: &Hit<'_>| {
        let malicious = h.findings.iter().any(|f| f.malicious);
        let worst = h.findings.iter().filter_map(level_of).max();
        (std::cmp::Reverse(malicious), std::cmp::Reverse(worst))
    };
    hits.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.purl.canonical().cmp(b.purl.canonical()))
    });
    let provenance = if args.require_provenance.is_empty() {
        None
    } else {
        Some(provenance(ctx, args, &sbom, store.as_ref())?)
    };
    let audited = if args.audit {
        audit_installed(args)?
    } else {
        Vec::new()
    };
    let mut violated = policy
        .as_ref()
        .map(|p| violations(p, &tags, &sbom, &hits, &squats, &paths, &ids, &audited))
        .unwrap_or_default();
    if let Some(p) = policy.as_ref().filter(|p| p.has_release_rules()) {
        let facts = release(ctx, args, &sbom, store.as_ref(), p.needs())?;
        violated.extend(
            p.evaluate_release(&tags, &facts)
                .into_iter()
                .map(|v| (v, &[][..])),
        );
        sort_violations(&mut violated);
    }
    let failing = violated
        .iter()
        .any(|(v, _)| v.level == chainwatch_policy::RuleLevel::Fail)
        || hits.iter().any(|h| {
            h.findings
                .iter()
                .zip(&h.extras)
                .any(|(f, e)| counts(f, e, args.fail_on, args.unknown_severity.level()))
        })
        || (squats.iter().any(|s| s.fails) && args.fail_on != FailOn::Never)
        || (args.fail_on != FailOn::Never
            && audited
                .iter()
                .any(|r| r.worst() >= Some(chainwatch_audit::Severity::High)))
        || provenance.as_ref().is_some_and(|p| !p.satisfied);
    let mut out = io::BufWriter::new(crate::output::stdout(args.format == ScanFormat::Human));
    match args.format {
        ScanFormat::Human => {
            human(
                &mut out,
                &hits,
                squats.is_empty(),
                args.unknown_severity.level(),
            )?;
            human_suspects(&mut out, &squats)?;
            if policy.is_some() {
                human_violations(&mut out, &violated)?;
            }
            if audited.iter().any(|r| !r.findings.is_empty()) {
                writeln!(out, "{BOLD}package contents{BOLD:#}")?;
                crate::shared::audit::human(&mut out, &audited)?;
            }
            if let Some(p) = &provenance {
                if p.satisfied {
                    writeln!(out, "{BOLD}provenance{BOLD:#}: {}", p.reason)?;
                } else {
                    writeln!(out, "{ERROR}PROVENANCE MISSING{ERROR:#}  {}", p.reason)?;
                }
            }
        }
        ScanFormat::Json => {
            let mut rows: Vec<JsonRow<'_>> = hits
                .iter()
                .flat_map(|h| {
                    h.findings
                        .iter()
                        .zip(&h.extras)
                        .map(move |(f, e)| row(h, f, e))
                })
                .map(|r| JsonRow::Value(serde_json::to_value(r).unwrap_or_default()))
                .collect();
            rows.extend(
                squats
                    .iter()
                    .map(|s| JsonRow::Value(serde_json::to_value(s).unwrap_or_default())),
            );
            if let Some(p) = &provenance {
                rows.push(JsonRow::Value(serde_json::to_value(p).unwrap_or_default()));
            }
            for mut row in crate::shared::audit::json_rows(&audited) {
                row["kind"] = "audit".into();
                rows.push(JsonRow::Value(row));
            }
            rows.extend(violated.iter().map(|(v, path)| {
                JsonRow::Policy(PolicyRow {
                    advisory: v.advisory.as_deref(),
                    component: &v.component,
                    kind: "policy",
                    level: v.level,
                    path,
                    reason: &v.reason,
                    rule: &v.rule,
                })
            }));
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        ScanFormat::Sarif => sarif(&mut out, &hits, &violated, &audited, &args.target)?,
        ScanFormat::Cyclonedx => cyclonedx(&mut out, &sbom, &hits)?,
    }
    out.flush()?;
    drop(out);
    if ctx.printer.summaries() && args.format == ScanFormat::Human {
        let n: usize = hits.iter().map(|h| h.findings.len()).sum();
        let malicious = hits
            .iter()
            .filter(|h| h.findings.iter().any(|f| f.malicious))
            .count();
        let mut err = anstream::stderr().lock();
        writeln!(
            err,
            "{DIM}{n} finding{} in {} of {scanned} packages ({malicious} malicious); {} advisories concern these packages{}{DIM:#}",
            if n == 1 { "" } else { "s" },
            hits.len(),
            advisories,
            if args.audit {
                format!(
                    "; {} installed packages audited, {} with findings",
                    audited.len(),
                    audited.iter().filter(|r| !r.findings.is_empty()).count()
                )
            } else {
                String::new()
            }
        )?;
    }
    Ok(if failing {
        Status::Findings
    } else {
        Status::Success
    })
}

/// `--audit`: the contents of every package installed under the target directory.
fn audit_installed(args: &ScanArgs) -> anyhow::Result<Vec<chainwatch_audit::PackageReport>> {
    if !args.target.is_dir() {
        return Err(InputError(format!(
            "--audit reads installed packages: `{}` is not a directory",
            args.target.display()
        ))
        .into());
    }
    let targets = chainwatch_audit::installed(&args.target);
    let mut reports = Vec::new();
    for result in crate::shared::audit::audit(&targets, &args.typosquat, None)? {
        match result {
            Ok(report) => reports.push(report),
            // One unreadable package does not stop the scan; it is reported.
            Err(e) => crate::output::report_error(&anyhow::Error::new(e)),
        }
    }
    // Model files in the tree (named like models, or without an extension as in a
    // Hugging Face cache), reported like packages.
    let models = chainwatch_audit::model::discover(&args.target, false);
    for result in crate::shared::audit::audit_models(&models) {
        match result {
            Ok(m) => reports.push(chainwatch_audit::PackageReport {
                source: m.path.clone(),
                ecosystem: None,
                package: None,
                files: 1,
                bytes: m.bytes,
                findings: m.findings,
            }),
            Err(e) => crate::output::report_error(&anyhow::Error::new(e)),
        }
    }
    Ok(reports)
}

fn row<'a>(h: &'a Hit<'_>, f: &'a Finding, e: &'a Extra) -> FindingJson<'a> {
    FindingJson {
        kind: "advisory",
        package: h.purl.canonical(),
        name: &h.component.name,
        version: h.component.version.as_deref(),
        advisory: &f.advisory,
        aliases: &f.aliases,
        summary: f.summary.as_deref(),
        severity: level_of(f).map_or("unknown", Level::as_str),
        severity_from: f.severity_from.as_deref(),
        score: f.severity.as_ref().and_then(|s| s.score),
        fixed_in: &f.fixed_in,
        malicious: f.malicious,
        informational: f.informational.as_deref(),
        via: match f.via {
            Via::Name => "name",
            Via::Upstream => "upstream",
        },
        path: &h.path,
        locations: h
            .component
            .properties
            .iter()
            .filter(|p| p.name == "chainwatch:location")
            .map(|p| p.value.as_str())
            .collect(),
        vex_status: e.vex.as_ref().map(|v| v.status.as_str()),
        vex_justification: e.vex.as_ref().and_then(|v| v.justification.as_deref()),
        known_exploited: e.known_exploited,
        epss: e.epss,
    }
}

/// Every place a package is recorded, after its name (a pip installed in four places
/// shows all four, not the first).
fn locations<'a>(places: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = places.collect();
    if all.is_empty() {
        String::new()
    } else {
        format!(" {DIM}({}){DIM:#}", all.join(", "))
    }
}

fn human_violations(
    out: &mut dyn Write,
    violated: &[(chainwatch_policy::Violation, &[String])],
) -> anyhow::Result<()> {
    if violated.is_empty() {
        writeln!(out, "{BOLD}policy{BOLD:#}: no rule is violated")?;
        return Ok(());
    }
    writeln!(out, "{BOLD}Policy violations{BOLD:#} ({}):", violated.len())?;
    for (v, path) in violated {
        let level = match v.level {
            chainwatch_policy::RuleLevel::Fail => format!("{ERROR}FAIL{ERROR:#}"),
            chainwatch_policy::RuleLevel::Warn => format!("{WARNING}WARN{WARNING:#}"),
            chainwatch_policy::RuleLevel::Info => "INFO".to_owned(),
        };
        writeln!(
            out,
            "  {level}  {}  {}: {}",
            v.rule,
            crate::shared::render::printable(&v.component),
            crate::shared::render::printable(&v.reason)
        )?;
        if path.len() > 2 {
            writeln!(
                out,
                "        {DIM}via {}{DIM:#}",
                crate::shared::render::printable(&path.join(" → "))
            )?;
        }
    }
    Ok(())
}

fn human_suspects(out: &mut dyn Write, squats: &[Suspect<'_>]) -> anyhow::Result<()> {
    for s in squats {
        let location = locations(s.locations.iter().copied());
        writeln!(out, "{BOLD}{}{BOLD:#}{location}", s.package)?;
        if s.path.len() > 1 {
            writeln!(out, "  {DIM}path: {}{DIM:#}", s.path.join(" → "))?;
        }
        let imitates = format!(
            "imitates {} ({}, score {:.2})",
            s.imitates.as_deref().unwrap_or("?"),
            s.technique.unwrap_or("?"),
            s.score
        );
        if s.fails {
            writeln!(out, "  {ERROR}TYPOSQUAT{ERROR:#}  {imitates}")?;
        } else {
            let why = match s.depth {
                Some(d) => format!("a dependency of a dependency ({d} steps down)"),
                None => "not reached by the document's dependency graph".to_owned(),
            };
            writeln!(
                out,
                "  {WARNING}possible typosquat{WARNING:#}  {imitates}; {why}: reported, not failing"
            )?;
        }
    }
    Ok(())
}

fn human(
    out: &mut dyn Write,
    hits: &[Hit<'_>],
    say_none: bool,
    unknown: Level,
) -> anyhow::Result<()> {
    if hits.is_empty() {
        if say_none {
            writeln!(out, "no known vulnerable or malicious packages")?;
        }
        return Ok(());
    }
    for h in hits {
        let location = locations(
            h.component
                .properties
                .iter()
                .filter_map(|p| (p.name == "chainwatch:location").then_some(p.value.as_str())),
        );
        writeln!(out, "{BOLD}{}{BOLD:#}{location}", h.purl.canonical())?;
        if h.path.len() > 1 {
            writeln!(out, "  {DIM}path: {}{DIM:#}", h.path.join(" → "))?;
        }
        for (f, e) in h.findings.iter().zip(&h.extras) {
            let label = if f.malicious {
                format!("{ERROR}MALICIOUS{ERROR:#}")
            } else if let Some(kind) = &f.informational {
                kind.to_ascii_uppercase()
            } else {
                let text = match &f.severity {
                    Some(s) => match s.score {
                        Some(score) => {
                            format!("{} {score:.1}", s.level.as_str().to_ascii_uppercase())
                        }
                        None => s.level.as_str().to_ascii_uppercase(),
                    },
                    None => "UNKNOWN".to_owned(),
                };
                // Coloured as the gate counts it (an unknown severity as --unknown-severity).
                let style = match level_of(f).unwrap_or(unknown) {
                    Level::Critical | Level::High => ERROR,
                    Level::Medium => WARNING,
                    Level::Low | Level::None => DIM,
                };
                format!("{style}{text}{style:#}")
            };
            let aliases = if f.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.aliases.join(", "))
            };
            let fixed = if f.fixed_in.is_empty() {
                "no fixed version".to_owned()
            } else {
                format!("fixed in {}", f.fixed_in.join(", "))
            };
            let via = if f.via == Via::Upstream {
                " [source package]"
            } else {
                ""
            };
            writeln!(
                out,
                "  {label}  {}{aliases}{via}: {}",
                f.advisory,
                f.summary.as_deref().unwrap_or("")
            )?;
            let mut notes = vec![fixed];
            if let Some(from) = &f.severity_from {
                notes.push(format!("severity from {from}"));
            } else if f.severity.is_none() && !f.malicious && f.informational.is_none() {
                notes.push(format!("no record rates it: counts as {unknown}"));
            }
            if e.known_exploited {
                notes.insert(0, "KNOWN EXPLOITED".to_owned());
            }
            if let Some(p) = e.epss {
                notes.push(format!("EPSS {:.1}%", p * 100.0));
            }
            if let Some(v) = &e.vex {
                notes.push(match (&v.justification, e.suppressed()) {
                    (Some(j), true) => format!("suppressed by VEX: {} ({j})", v.status),
                    (None, true) => format!("suppressed by VEX: {}", v.status),
                    (Some(j), false) => format!("VEX {} ({j})", v.status),
                    (None, false) => format!("VEX {}", v.status),
                });
            }
            writeln!(out, "    {DIM}{}{DIM:#}", notes.join("; "))?;
        }
    }
    Ok(())
}

fn sarif(
    out: &mut dyn Write,
    hits: &[Hit<'_>],
    violated: &[(chainwatch_policy::Violation, &[String])],
    audited: &[chainwatch_audit::PackageReport],
    target: &Path,
) -> anyhow::Result<()> {
    let mut rules = AdvisoryRules::default();
    let mut results = Vec::new();
    // The audit catalog's rules (`audit/CODE`) when packages were audited.
    if !audited.is_empty() {
        let offset = rules.rules.len();
        rules
            .rules
            .extend(crate::shared::audit::sarif_rules("audit/"));
        results.extend(crate::shared::audit::sarif_results(
            audited, "audit/", offset,
        ));
    }
    // One SARIF rule per policy rule (`policy/NAME`), its level the rule's.
    let mut policy_rules: HashMap<&str, usize> = HashMap::new();
    for (v, path) in violated {
        let (id, description) = chainwatch_policy::sarif_rule(&v.rule, v.level);
        let idx = *policy_rules.entry(v.rule.as_str()).or_insert_with(|| {
            rules.rules.push(json!({
                "id": id,
                "shortDescription": {"text": description},
            }));
            rules.rules.len() - 1
        });
        results.push(json!({
            "ruleId": id,
            "ruleIndex": idx,
            "level": v.level.sarif_level(),
            "message": {"text": format!("{} violates `{}`: {}{}", v.component, v.rule, v.reason,
                if path.len() > 2 { format!(" (via {})", path.join(" → ")) } else { String::new() })},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": target.display().to_string().replace(' ', "%20")}}}],
        }));
    }
    for h in hits {
        for (f, e) in h.findings.iter().zip(&h.extras) {
            let idx = rules.index(
                &f.advisory,
                f.summary.as_deref(),
                &f.aliases,
                f.severity.as_ref().and_then(|s| s.score),
            );
            let level = advisory_level(f.malicious, level_of(f));
            let location = h.component.property("chainwatch:location").unwrap_or("");
            let (file, line) = match location.rsplit_once(':') {
                Some((f, l)) if l.parse::<u32>().is_ok() => (f, l.parse::<u32>().ok()),
                _ => (location, None),
            };
            let file = if target.is_dir() && !file.is_empty() {
                format!("{}/{file}", target.display())
            } else {
                target.display().to_string()
            };
            let mut loc = json!({"physicalLocation": {"artifactLocation": {"uri": file.replace(' ', "%20")}}});
            if let Some(line) = line {
                loc["physicalLocation"]["region"] = json!({"startLine": line});
            }
            let fixed = if f.fixed_in.is_empty() {
                "no fixed version".to_owned()
            } else {
                format!("fixed in {}", f.fixed_in.join(", "))
            };
            let mut result = json!({
                "ruleId": f.advisory,
                "ruleIndex": idx,
                "level": level,
                "message": {"text": format!("{} is affected by {}{} ({fixed})", h.purl.canonical(), f.advisory, if f.malicious { ": a known-malicious package" } else { "" })},
                "locations": [loc],
            });
            if let Some(v) = e.vex.as_ref().filter(|_| e.suppressed()) {
                result["suppressions"] = json!([{"kind": "external", "status": "accepted",
                    "justification": format!("VEX {}{}", v.status, v.justification.as_deref().map(|j| format!(": {j}")).unwrap_or_default())}]);
            }
            results.push(result);
        }
    }
    write_sarif_log(out, &rules.rules, &results).context("writing SARIF")
}

/// The scanned SBOM with one CycloneDX vulnerability per advisory, affecting the
/// components it was found in.
fn cyclonedx(out: &mut dyn Write, sbom: &Sbom, hits: &[Hit<'_>]) -> anyhow::Result<()> {
    let mut vulns: Vec<chainwatch_sbom::Vulnerability> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for h in hits {
        for (f, e) in h.findings.iter().zip(&h.extras) {
            let i = *at.entry(f.advisory.as_str()).or_insert_with(|| {
                let ratings = f
                    .severity
                    .as_ref()
                    .map(|s| chainwatch_sbom::Rating {
                        source: None,
                        score: s.score,
                        severity: Some(s.level.as_str().to_owned()),
                        method: s.vector.as_deref().map(|v| cvss_method(v).to_owned()),
                        vector: s.vector.clone(),
                    })
                    .into_iter()
                    .collect();
                vulns.push(chainwatch_sbom::Vulnerability {
                    id: f.advisory.clone(),
                    source: Some(source_of(&f.advisory).to_owned()),
                    aliases: f.aliases.clone(),
                    ratings,
                    description: f.summary.clone(),
                    recommendation: (!f.fixed_in.is_empty())
                        .then(|| format!("Upgrade to {}", f.fixed_in.join(" or "))),
                    ..chainwatch_sbom::Vulnerability::default()
                });
                vulns.len() - 1
            });
            vulns[i].affects.push(h.component.id.clone());
            if let Some(v) = &e.vex {
                vulns[i].analysis = Some(chainwatch_sbom::Analysis {
                    state: Some(
                        match v.status {
                            chainwatch_advisory::vex::VexStatus::NotAffected => "not_affected",
                            chainwatch_advisory::vex::VexStatus::Fixed => "resolved",
                            chainwatch_advisory::vex::VexStatus::UnderInvestigation => "in_triage",
                            chainwatch_advisory::vex::VexStatus::Affected => "exploitable",
                        }
                        .to_owned(),
                    ),
                    justification: v
                        .justification
                        .as_deref()
                        .and_then(chainwatch_advisory::vex::cyclonedx_justification)
                        .map(str::to_owned),
                    responses: Vec::new(),
                    detail: v.impact.clone(),
                });
            }
        }
    }
    let mut with = sbom.clone();
    with.vulnerabilities = vulns;
    let text = chainwatch_sbom::write(&with, chainwatch_sbom::Format::CycloneDxJson)
        .context("writing CycloneDX")?;
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}

/// The database an advisory id comes from, by its prefix.
fn source_of(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "GHSA" => "GitHub Advisory Database",
        "PYSEC" => "PyPI Advisory Database",
        "RUSTSEC" => "RustSec",
        "GO" => "Go Vulnerability Database",
        "CVE" => "NVD",
        "MAL" => "OpenSSF Malicious Packages",
        "DEBIAN" | "DSA" | "DLA" => "Debian Security Tracker",
        "UBUNTU" | "USN" => "Ubuntu Security Notices",
        "ALPINE" => "Alpine Security Database",
        _ => "OSV",
    }
}

/// The CycloneDX rating method of a CVSS vector.
fn cvss_method(vector: &str) -> &'static str {
    if vector.starts_with("CVSS:4") {
        "CVSSv4"
    } else if vector.starts_with("CVSS:3.1") {
        "CVSSv31"
    } else if vector.starts_with("CVSS:3") {
        "CVSSv3"
    } else if vector.starts_with("AV:") || vector.starts_with("(AV:") {
        "CVSSv2"
    } else {
        "other"
    }
}
