//! Policies: one TOML file of rules that a CI gate, the server and the console apply.
//!
//! A rule has a name, a level (`info`, `warn`, `fail`), an optional product scope (globs)
//! and a condition over one component: what it is (package globs, a vers range, whether it
//! is pinned, direct, a typo-squat suspect), its licence (allow and deny lists of SPDX ids
//! and categories, evaluated on the expression) and its findings (severity, CVSS score,
//! EPSS, known-exploited, malicious, advisory ids). Conditions combine with `all` and
//! `any`. The file may carry examples (a component, its findings, the rules it must
//! violate): `chainwatch policy test` runs them, so that a policy is tested like code.
//!
//! Parsing locates every error by line and column; nesting, file size and list lengths
//! are bounded, so a hostile policy is refused with a message, never a crash.

use std::fmt;
use std::ops::Range;

mod analysis;
mod cel;
mod product;

pub use analysis::{Analysis, MAX_DETAIL_BYTES};
pub use cel::{
    MAX_CEL_BYTES, MAX_COMPREHENSIONS, MAX_LIST_LITERAL, MAX_NODES, MAX_PARSE_DEPTH, MAX_TREE_DEPTH,
};
pub use product::{NTIA_ELEMENTS, Release};

use chainwatch_advisory::Level;
use chainwatch_license::{Entry, Licensing};
use chainwatch_purl::Purl;
use chainwatch_version::Vers;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Largest policy file read.
pub const MAX_POLICY_BYTES: usize = 1 << 20;
/// Deepest nesting of `all`/`any` (and of TOML tables and arrays in the file).
pub const MAX_DEPTH: usize = 16;

/// A policy that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct PolicyError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl PolicyError {
    fn at(text: &str, span: Option<Range<usize>>, message: impl Into<String>) -> PolicyError {
        let offset = span.map_or(0, |s| s.start).min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
            + 1;
        PolicyError {
            line,
            column,
            message: message.into(),
        }
    }
}

/// How much a violation matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Info,
    Warn,
    Fail,
}

impl RuleLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleLevel::Info => "info",
            RuleLevel::Warn => "warn",
            RuleLevel::Fail => "fail",
        }
    }

    /// A level by name (`info`, `warn`, `fail`).
    pub fn from_name(name: &str) -> Option<RuleLevel> {
        match name {
            "info" => Some(RuleLevel::Info),
            "warn" => Some(RuleLevel::Warn),
            "fail" => Some(RuleLevel::Fail),
            _ => None,
        }
    }

    /// The SARIF level of its violations: `error`, `warning` or `note`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            RuleLevel::Fail => "error",
            RuleLevel::Warn => "warning",
            RuleLevel::Info => "note",
        }
    }
}

/// The SARIF rule id of a policy rule (`policy/NAME`), and its short description.
pub fn sarif_rule(name: &str, level: RuleLevel) -> (String, String) {
    (
        format!("policy/{name}"),
        format!("policy rule `{name}` ({level})"),
    )
}

impl fmt::Display for RuleLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---- The file as written ----------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
    #[serde(default, rename = "analysis")]
    analyses: Vec<analysis::AnalysisSpec>,
    #[serde(default, rename = "example")]
    examples: Vec<ExampleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: Spanned<String>,
    level: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    /// Product names (globs) the rule applies to; every product when empty.
    #[serde(default)]
    products: Vec<String>,
    /// Product tags (teams, environments): the rule applies to a product holding one of
    /// them; every product when empty.
    #[serde(default)]
    tags: Vec<String>,
    when: Spanned<ConditionSpec>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConditionSpec {
    severity: Option<Spanned<String>>,
    cvss: Option<Spanned<f64>>,
    epss: Option<Spanned<f64>>,
    known_exploited: Option<bool>,
    malicious: Option<bool>,
    typosquat: Option<bool>,
    /// The worst severity of the package's content audit (`audit package --record`) is at
    /// least this.
    suspicious: Option<Spanned<String>>,
    #[serde(default)]
    advisories: Vec<String>,
    #[serde(default)]
    cwes: Vec<Spanned<String>>,
    #[serde(default)]
    packages: Vec<String>,
    range: Option<Spanned<String>>,
    license: Option<LicenseSpec>,
    unpinned: Option<bool>,
    direct: Option<bool>,
    /// A CEL expression over `component`, `findings` and `path`.
    cel: Option<Spanned<String>>,
    /// Product version conditions: NTIA minimum elements, provenance, builders.
    ntia: Option<Spanned<product::NtiaSpec>>,
    provenance: Option<bool>,
    #[serde(default)]
    builders: Vec<String>,
    #[serde(default)]
    all: Vec<Spanned<ConditionSpec>>,
    #[serde(default)]
    any: Vec<Spanned<ConditionSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LicenseSpec {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleSpec {
    name: Spanned<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    component: Option<ComponentSpec>,
    #[serde(default)]
    findings: Vec<FindingSpec>,
    /// The product version, for product rules (NTIA, provenance).
    #[serde(default)]
    release: Option<ReleaseSpec>,
    /// The rules the component must violate (and no others).
    #[serde(default)]
    violates: Vec<String>,
    /// The analyses that must decide its findings (and no others).
    #[serde(default)]
    analyzed: Vec<String>,
    /// When the example is evaluated (a date or an RFC 3339 time; now when not given),
    /// for analyses with a window.
    #[serde(default)]
    at: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentSpec {
    purl: Option<Spanned<String>>,
    name: Option<String>,
    version: Option<String>,
    license: Option<String>,
    #[serde(default)]
    direct: bool,
    #[serde(default)]
    typosquat: bool,
    /// The worst severity of its package's content audit.
    audit: Option<Spanned<String>>,
    /// Its dependency path (`name@version` from the product down), for CEL conditions.
    #[serde(default)]
    path: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseSpec {
    #[serde(default)]
    version: Option<String>,
    /// The NTIA minimum elements its SBOM misses.
    #[serde(default)]
    ntia_missing: Vec<Spanned<String>>,
    /// The builders of its verified provenance.
    #[serde(default)]
    builders: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingSpec {
    advisory: String,
    #[serde(default)]
    aliases: Vec<String>,
    severity: Option<Spanned<String>>,
    cvss: Option<f64>,
    epss: Option<f64>,
    #[serde(default)]
    known_exploited: bool,
    #[serde(default)]
    malicious: bool,
    #[serde(default)]
    cwes: Vec<String>,
}

// ---- The policy, compiled ---------------------------------------------------------

/// A rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub level: RuleLevel,
    pub description: Option<String>,
    /// A product rule (NTIA, provenance): evaluated once per product version.
    pub on_release: bool,
    products: Vec<String>,
    tags: Vec<String>,
    when: Condition,
}

impl Rule {
    /// Whether the rule applies to a product with these tags (its scope: a product glob
    /// and a tag, each when given).
    pub fn applies_to(&self, product: &str, tags: &[String]) -> bool {
        in_scope(&self.products, &self.tags, product, tags)
    }

    /// What this rule looks at (as [`Policy::needs`] does for them all).
    pub fn needs(&self) -> Needs {
        let mut needs = Needs::default();
        self.when.needs(&mut needs);
        needs
    }
}

/// Whether a scope (product globs, tags; each list empty: any) holds a product.
fn in_scope(products: &[String], scope_tags: &[String], product: &str, tags: &[String]) -> bool {
    (products.is_empty()
        || products
            .iter()
            .any(|g| chainwatch_attest::slsa::glob_matches(g, product)))
        && (scope_tags.is_empty() || scope_tags.iter().any(|t| tags.contains(t)))
}

/// What evaluating a policy needs to know of components beyond their identity and
/// licence (so that a caller computes no more than that).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent facts, each computed or not"
)]
pub struct Needs {
    /// Their findings.
    pub findings: bool,
    /// Whether they are direct dependencies.
    pub direct: bool,
    /// Whether their names imitate popular packages.
    pub typosquat: bool,
    /// What the content audits of their packages found.
    pub audit: bool,
    /// The weaknesses (CWE ids) of their findings' records.
    pub cwes: bool,
    /// Their dependency paths.
    pub path: bool,
    /// For product rules: the NTIA minimum elements the product version's SBOM misses.
    pub ntia: bool,
    /// For product rules: the builders of the product version's verified provenance.
    pub provenance: bool,
}

#[derive(Debug, Clone, Default)]
struct Condition {
    severity: Option<Level>,
    cvss: Option<f64>,
    epss: Option<f64>,
    known_exploited: Option<bool>,
    malicious: Option<bool>,
    typosquat: Option<bool>,
    suspicious: Option<Level>,
    /// Upper-cased.
    advisories: Vec<String>,
    /// `CWE-N`, upper-cased.
    cwes: Vec<String>,
    packages: Vec<String>,
    range: Option<Vers>,
    allow: Vec<Entry>,
    deny: Vec<Entry>,
    unpinned: Option<bool>,
    direct: Option<bool>,
    cel: Option<cel::Cel>,
    product: product::ProductCondition,
    all: Vec<Condition>,
    any: Vec<Condition>,
}

impl Condition {
    fn needs(&self, needs: &mut Needs) {
        needs.findings |= self.about_findings();
        needs.direct |= self.direct.is_some();
        needs.typosquat |= self.typosquat.is_some();
        needs.audit |= self.suspicious.is_some();
        needs.cwes |= !self.cwes.is_empty();
        needs.ntia |= !self.product.ntia.is_empty();
        needs.provenance |= self.product.provenance || !self.product.builders.is_empty();
        if let Some(cel) = &self.cel {
            // What the component's value holds (see `cel::component_value`).
            needs.direct |= cel.reads.direct;
            needs.typosquat |= cel.reads.typosquat;
            needs.findings |= cel.reads.findings;
            needs.cwes |= cel.reads.cwes;
            needs.path |= cel.reads.path;
        }
        for c in self.all.iter().chain(&self.any) {
            c.needs(needs);
        }
    }

    /// Whether it (or a condition it nests) is about the product version.
    fn about_release(&self) -> bool {
        !self.product.is_empty()
            || self
                .all
                .iter()
                .chain(&self.any)
                .any(Condition::about_release)
    }

    /// Whether it (or a condition it nests) is about a component.
    fn about_components(&self) -> bool {
        self.about_findings()
            || self.typosquat.is_some()
            || self.suspicious.is_some()
            || !self.packages.is_empty()
            || self.range.is_some()
            || !self.allow.is_empty()
            || !self.deny.is_empty()
            || self.unpinned.is_some()
            || self.direct.is_some()
            || self.cel.is_some()
            || self
                .all
                .iter()
                .chain(&self.any)
                .any(Condition::about_components)
    }

    fn about_findings(&self) -> bool {
        self.severity.is_some()
            || self.cvss.is_some()
            || self.epss.is_some()
            || self.known_exploited.is_some()
            || self.malicious.is_some()
            || !self.advisories.is_empty()
            || !self.cwes.is_empty()
    }
}

/// An example of the file: a component that must violate exactly some rules.
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub product: String,
    pub tags: Vec<String>,
    pub component: Option<Component>,
    pub release: Option<Release>,
    pub violates: Vec<String>,
    /// The analyses that must decide its findings.
    pub analyzed: Vec<String>,
    /// When it is evaluated (microseconds since the epoch); now when `None`.
    pub at: Option<i64>,
}

/// A policy file, compiled.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub rules: Vec<Rule>,
    /// Vulnerability policies: decisions applied to the findings they hold for.
    pub analyses: Vec<Analysis>,
    pub examples: Vec<Example>,
}

/// What a rule sees of a component.
#[derive(Debug, Clone, Default)]
pub struct Component {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<Purl>,
    /// Its licence (none stated: `None`, which the `unknown` group holds).
    pub license: Option<Licensing>,
    /// A direct dependency of the product.
    pub direct: bool,
    /// A typo-squat suspect.
    pub typosquat: bool,
    /// The worst severity the content audit of its package version found (`None`: not
    /// audited, or nothing found).
    pub audit: Option<Level>,
    /// Its open findings (not those a VEX statement says are not affected or fixed).
    pub findings: Vec<Finding>,
    /// How the product depends on it: `name@version` of each component from the product
    /// down to it, as `scan` shows paths (only CEL conditions read it).
    pub path: Vec<String>,
}

impl Component {
    /// How violations name it: its purl, else `name@version`.
    pub fn label(&self) -> String {
        match (&self.purl, &self.version) {
            (Some(p), _) => p.canonical().to_owned(),
            (None, Some(v)) => format!("{}@{v}", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// What a rule sees of a finding.
#[derive(Debug, Clone, Default)]
pub struct Finding {
    pub advisory: String,
    pub aliases: Vec<String>,
    /// `None` when no record rates it: conditions on severity count it as high (as
    /// `scan` does by default: unknown is not harmless).
    pub severity: Option<Level>,
    pub score: Option<f64>,
    pub epss: Option<f64>,
    pub known_exploited: bool,
    pub malicious: bool,
    /// The weaknesses its records name (`CWE-79`), upper-cased.
    pub cwes: Vec<String>,
}

/// A rule a component violates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub rule: String,
    pub level: RuleLevel,
    pub component: String,
    /// The finding that made it, for conditions on findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisory: Option<String>,
    /// Why, one clause per condition that held.
    pub reason: String,
}

/// An example's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExampleResult {
    pub name: String,
    pub expected: Vec<String>,
    pub violated: Vec<String>,
    /// The analyses expected to decide its findings, and those that did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expected_analyses: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub analyzed: Vec<String>,
}

impl ExampleResult {
    pub fn passed(&self) -> bool {
        self.expected == self.violated && self.expected_analyses == self.analyzed
    }
}

/// Now, in microseconds since the epoch.
fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Nesting of `[`/`{` outside strings and comments, to refuse a file the TOML parser
/// would recurse through without end.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut escaped = false;
    for c in text.chars() {
        if comment {
            comment = c != '\n';
            continue;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q || c == '\n' {
                quote = None;
            }
            continue;
        }
        match c {
            '#' => comment = true,
            '"' | '\'' => quote = Some(c),
            '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A severity a policy names: a rating as advisories write it (`moderate` too), not `none`.
fn level_of(name: &str) -> Option<Level> {
    Level::from_name(name).filter(|l| *l != Level::None)
}

impl Policy {
    /// Parses and checks a policy file.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::at(
                text,
                None,
                format!("the policy is larger than {MAX_POLICY_BYTES} bytes"),
            ));
        }
        // Inline tables and arrays nest 2 levels per condition.
        if nesting(text) > 2 * MAX_DEPTH + 4 {
            return Err(PolicyError::at(
                text,
                None,
                format!("the policy nests deeper than {MAX_DEPTH} conditions"),
            ));
        }
        let spec: FileSpec = toml::from_str(text)
            .map_err(|e| PolicyError::at(text, e.span(), e.message().to_owned()))?;
        let mut rules: Vec<Rule> = Vec::with_capacity(spec.rules.len());
        for r in spec.rules {
            let name = r.name.get_ref().trim().to_owned();
            if name.is_empty() {
                return Err(PolicyError::at(
                    text,
                    Some(r.name.span()),
                    "a rule needs a name",
                ));
            }
            if rules.iter().any(|o| o.name == name) {
                return Err(PolicyError::at(
                    text,
                    Some(r.name.span()),
                    format!("a second rule named `{name}`"),
                ));
            }
            let Some(level) = RuleLevel::from_name(r.level.get_ref()) else {
                return Err(PolicyError::at(
                    text,
                    Some(r.level.span()),
                    format!(
                        "level `{}`: expected `info`, `warn` or `fail`",
                        r.level.get_ref()
                    ),
                ));
            };
            let span = r.when.span();
            let when = compile(text, r.when.into_inner(), span.clone(), 0)?;
            let on_release = when.about_release();
            if on_release && when.about_components() {
                return Err(PolicyError::at(
                    text,
                    Some(span),
                    "`ntia`, `provenance` and `builders` are about the product version: a rule cannot combine them with conditions on components",
                ));
            }
            rules.push(Rule {
                name,
                level,
                description: r.description,
                on_release,
                products: r.products,
                tags: r.tags,
                when,
            });
        }
        let mut analyses: Vec<Analysis> = Vec::with_capacity(spec.analyses.len());
        for a in spec.analyses {
            let span = a.name.span();
            let compiled = analysis::compile_analysis(text, a)?;
            if rules.iter().any(|r| r.name == compiled.name)
                || analyses.iter().any(|o| o.name == compiled.name)
            {
                return Err(PolicyError::at(
                    text,
                    Some(span),
                    format!("a second rule named `{}`", compiled.name),
                ));
            }
            analyses.push(compiled);
        }
        let mut examples = Vec::with_capacity(spec.examples.len());
        for e in spec.examples {
            for v in &e.violates {
                if !rules.iter().any(|r| r.name == *v) {
                    return Err(PolicyError::at(
                        text,
                        Some(e.name.span()),
                        format!("example `{}` names no rule `{v}`", e.name.get_ref()),
                    ));
                }
            }
            for v in &e.analyzed {
                if !analyses.iter().any(|a| a.name == *v) {
                    return Err(PolicyError::at(
                        text,
                        Some(e.name.span()),
                        format!("example `{}` names no analysis `{v}`", e.name.get_ref()),
                    ));
                }
            }
            let at = match &e.at {
                Some(t) => Some(analysis::parse_time(t.get_ref(), false).ok_or_else(|| {
                    PolicyError::at(
                        text,
                        Some(t.span()),
                        format!(
                            "at `{}`: expected a date (2027-01-31) or an RFC 3339 time",
                            t.get_ref()
                        ),
                    )
                })?),
                None => None,
            };
            let release = match &e.release {
                Some(r) => {
                    let mut ntia_missing: Vec<(String, usize)> = Vec::new();
                    for element in &r.ntia_missing {
                        let Some(known) = NTIA_ELEMENTS
                            .iter()
                            .find(|x| **x == element.get_ref().as_str())
                        else {
                            return Err(PolicyError::at(
                                text,
                                Some(element.span()),
                                format!(
                                    "NTIA element `{}`: expected one of {}",
                                    element.get_ref(),
                                    NTIA_ELEMENTS.join(", ")
                                ),
                            ));
                        };
                        ntia_missing.push(((*known).to_owned(), 1));
                    }
                    Some(Release {
                        product: e.product.clone().unwrap_or_default(),
                        version: r.version.clone(),
                        ntia_missing,
                        builders: r.builders.clone(),
                    })
                }
                None => None,
            };
            let has_component = e.component.is_some();
            let spec_component = e.component.unwrap_or(ComponentSpec {
                purl: None,
                name: None,
                version: None,
                license: None,
                direct: false,
                typosquat: false,
                audit: None,
                path: Vec::new(),
            });
            let purl = match &spec_component.purl {
                Some(p) => Some(Purl::parse(p.get_ref()).map_err(|err| {
                    PolicyError::at(text, Some(p.span()), format!("`{}`: {err}", p.get_ref()))
                })?),
                None => None,
            };
            let audit = match &spec_component.audit {
                Some(a) => Some(level_of(a.get_ref()).ok_or_else(|| {
                    PolicyError::at(
                        text,
                        Some(a.span()),
                        format!(
                            "audit `{}`: expected `low`, `medium`, `high` or `critical`",
                            a.get_ref()
                        ),
                    )
                })?),
                None => None,
            };
            let mut findings = Vec::with_capacity(e.findings.len());
            for f in e.findings {
                let severity = match &f.severity {
                    Some(s) => Some(level_of(s.get_ref()).ok_or_else(|| {
                        PolicyError::at(
                            text,
                            Some(s.span()),
                            format!(
                                "severity `{}`: expected `low`, `medium`, `high` or `critical`",
                                s.get_ref()
                            ),
                        )
                    })?),
                    None => None,
                };
                findings.push(Finding {
                    advisory: f.advisory,
                    aliases: f.aliases,
                    severity,
                    score: f.cvss,
                    epss: f.epss,
                    known_exploited: f.known_exploited,
                    malicious: f.malicious,
                    cwes: f
                        .cwes
                        .iter()
                        .map(|c| c.trim().to_ascii_uppercase())
                        .collect(),
                });
            }
            let name = spec_component
                .name
                .clone()
                .or_else(|| purl.as_ref().map(|p| p.name().to_owned()))
                .unwrap_or_default();
            let version = spec_component
                .version
                .clone()
                .or_else(|| purl.as_ref().and_then(|p| p.version().map(str::to_owned)));
            let mut violates = e.violates;
            violates.sort();
            violates.dedup();
            let mut analyzed = e.analyzed;
            analyzed.sort();
            analyzed.dedup();
            examples.push(Example {
                name: e.name.into_inner(),
                product: e.product.unwrap_or_default(),
                tags: e.tags,
                release,
                component: has_component.then(|| Component {
                    name,
                    version,
                    purl,
                    license: spec_component.license.as_deref().map(Licensing::new),
                    direct: spec_component.direct,
                    typosquat: spec_component.typosquat,
                    audit,
                    findings,
                    path: spec_component.path,
                }),
                violates,
                analyzed,
                at,
            });
        }
        Ok(Policy {
            rules,
            analyses,
            examples,
        })
    }

    /// Every rule in scope for `product` (with `tags`) that `component` violates.
    pub fn evaluate(
        &self,
        product: &str,
        tags: &[String],
        component: &Component,
    ) -> Vec<Violation> {
        self.evaluate_rules(&self.in_scope(product, tags), component)
    }

    /// The indexes of the rules in scope for `product` with `tags`.
    pub fn in_scope(&self, product: &str, tags: &[String]) -> Vec<usize> {
        (0..self.rules.len())
            .filter(|&i| self.rules[i].applies_to(product, tags))
            .collect()
    }

    /// The rules (by index, from [`Policy::in_scope`]) that `component` violates: what
    /// [`Policy::evaluate`] answers for every product with the same rules in scope.
    pub fn evaluate_rules(&self, rules: &[usize], component: &Component) -> Vec<Violation> {
        rules
            .iter()
            .filter_map(|&i| self.rules.get(i))
            .filter(|r| !r.on_release)
            .filter_map(|r| {
                let m = matches(&r.when, component, &component.findings)?;
                Some(Violation {
                    rule: r.name.clone(),
                    level: r.level,
                    component: component.label(),
                    advisory: m.advisory,
                    reason: m.reasons.join("; "),
                })
            })
            .collect()
    }

    /// The product rules (NTIA, provenance) in scope for `release`'s product with `tags`
    /// that it violates; the violations name the product version.
    pub fn evaluate_release(&self, tags: &[String], release: &Release) -> Vec<Violation> {
        self.rules
            .iter()
            .filter(|r| r.on_release && r.applies_to(&release.product, tags))
            .filter_map(|r| {
                let reasons = matches_release(&r.when, release)?;
                Some(Violation {
                    rule: r.name.clone(),
                    level: r.level,
                    component: release.label(),
                    advisory: None,
                    reason: reasons.join("; "),
                })
            })
            .collect()
    }

    /// Whether some rule is a product rule.
    pub fn has_release_rules(&self) -> bool {
        self.rules.iter().any(|r| r.on_release)
    }

    /// What its rules look at.
    pub fn needs(&self) -> Needs {
        let mut needs = Needs::default();
        for r in &self.rules {
            r.when.needs(&mut needs);
        }
        for a in &self.analyses {
            a.needs(&mut needs);
        }
        needs
    }

    /// The indexes of the analyses in scope for `product` with `tags`.
    pub fn analyses_in_scope(&self, product: &str, tags: &[String]) -> Vec<usize> {
        (0..self.analyses.len())
            .filter(|&i| self.analyses[i].applies_to(product, tags))
            .collect()
    }

    /// The analysis (of `scope`, from [`Policy::analyses_in_scope`]) deciding each of
    /// `component`'s findings at `at` (microseconds since the epoch): the first in the
    /// file in force whose condition holds; one entry per finding, in order.
    pub fn analyze(
        &self,
        scope: &[usize],
        component: &Component,
        at: i64,
    ) -> Vec<Option<&Analysis>> {
        component
            .findings
            .iter()
            .map(|f| {
                self.deciding(scope, component, f, at)
                    .and_then(|i| self.analyses.get(i))
            })
            .collect()
    }

    /// The analysis (an index, of `scope`) deciding one finding of `component` at `at`:
    /// the first in the file in force whose condition holds.
    pub fn deciding(
        &self,
        scope: &[usize],
        component: &Component,
        finding: &Finding,
        at: i64,
    ) -> Option<usize> {
        scope.iter().copied().find(|&i| {
            self.analyses
                .get(i)
                .is_some_and(|a| a.in_force(at) && a.holds(component, finding))
        })
    }

    /// The rules in scope that `component` violates once the analyses in scope at `at`
    /// have decided its findings (those they take off the open list are left out), with
    /// the names of the analyses that decided a finding.
    pub fn evaluate_at(
        &self,
        product: &str,
        tags: &[String],
        component: &Component,
        at: i64,
    ) -> (Vec<Violation>, Vec<String>) {
        let scope = self.analyses_in_scope(product, tags);
        let decided = self.analyze(&scope, component, at);
        let mut names: Vec<String> = decided.iter().flatten().map(|a| a.name.clone()).collect();
        names.sort();
        names.dedup();
        if decided.iter().flatten().any(|a| a.suppresses()) {
            let mut open = component.clone();
            open.findings = component
                .findings
                .iter()
                .zip(&decided)
                .filter(|(_, a)| !a.is_some_and(Analysis::suppresses))
                .map(|(f, _)| f.clone())
                .collect();
            (self.evaluate(product, tags, &open), names)
        } else {
            (self.evaluate(product, tags, component), names)
        }
    }

    /// Why the policy may not be applied as it is: the examples that fail, if any.
    pub fn failing_examples(&self) -> Option<String> {
        let failed: Vec<String> = self
            .test()
            .into_iter()
            .filter(|r| !r.passed())
            .map(|r| format!("`{}`", r.name))
            .collect();
        (!failed.is_empty()).then(|| {
            format!(
                "examples {} fail (`chainwatch policy test` shows why): not applied",
                failed.join(", ")
            )
        })
    }

    /// Runs the file's examples.
    pub fn test(&self) -> Vec<ExampleResult> {
        self.examples
            .iter()
            .map(|e| {
                let (mut violations, analyzed) = match &e.component {
                    Some(c) => {
                        self.evaluate_at(&e.product, &e.tags, c, e.at.unwrap_or_else(now_micros))
                    }
                    None => (Vec::new(), Vec::new()),
                };
                if let Some(r) = &e.release {
                    violations.extend(self.evaluate_release(&e.tags, r));
                }
                let mut violated: Vec<String> = violations.into_iter().map(|v| v.rule).collect();
                violated.sort();
                violated.dedup();
                ExampleResult {
                    name: e.name.clone(),
                    expected: e.violates.clone(),
                    violated,
                    expected_analyses: e.analyzed.clone(),
                    analyzed,
                }
            })
            .collect()
    }
}

/// Compiles a condition (`depth` levels down).
fn compile(
    text: &str,
    spec: ConditionSpec,
    span: Range<usize>,
    depth: usize,
) -> Result<Condition, PolicyError> {
    if depth > MAX_DEPTH {
        return Err(PolicyError::at(
            text,
            Some(span),
            format!("conditions nest deeper than {MAX_DEPTH}"),
        ));
    }
    let at = |s: Range<usize>, m: String| PolicyError::at(text, Some(s), m);
    let severity = match &spec.severity {
        Some(s) => Some(level_of(s.get_ref()).ok_or_else(|| {
            at(
                s.span(),
                format!(
                    "severity `{}`: expected `low`, `medium`, `high` or `critical`",
                    s.get_ref()
                ),
            )
        })?),
        None => None,
    };
    let suspicious = match &spec.suspicious {
        Some(s) => Some(level_of(s.get_ref()).ok_or_else(|| {
            at(
                s.span(),
                format!(
                    "suspicious `{}`: expected `low`, `medium`, `high` or `critical`",
                    s.get_ref()
                ),
            )
        })?),
        None => None,
    };
    let score =
        |v: &Option<Spanned<f64>>, max: f64, what: &str| -> Result<Option<f64>, PolicyError> {
            match v {
                Some(s) if !(0.0..=max).contains(s.get_ref()) => Err(at(
                    s.span(),
                    format!(
                        "{what} `{}`: expected a number from 0 to {max}",
                        s.get_ref()
                    ),
                )),
                Some(s) => Ok(Some(*s.get_ref())),
                None => Ok(None),
            }
        };
    let cvss = score(&spec.cvss, 10.0, "cvss")?;
    let epss = score(&spec.epss, 1.0, "epss")?;
    let range = match &spec.range {
        Some(r) => Some(
            Vers::parse(r.get_ref())
                .map_err(|e| at(r.span(), format!("range `{}`: {e}", r.get_ref())))?,
        ),
        None => None,
    };
    let entries = |list: &[Spanned<String>]| -> Result<Vec<Entry>, PolicyError> {
        list.iter()
            .map(|e| Entry::parse(e.get_ref()).map_err(|err| at(e.span(), err.to_string())))
            .collect()
    };
    let mut cwes = Vec::with_capacity(spec.cwes.len());
    for c in &spec.cwes {
        let id = c.get_ref().trim().to_ascii_uppercase();
        let id = if id.chars().all(|ch| ch.is_ascii_digit()) && !id.is_empty() {
            format!("CWE-{id}")
        } else {
            id
        };
        let valid = id.strip_prefix("CWE-").is_some_and(|n| {
            !n.is_empty() && n.len() <= 6 && n.chars().all(|ch| ch.is_ascii_digit())
        });
        if !valid {
            return Err(at(
                c.span(),
                format!("cwe `{}`: expected `CWE-` and a number", c.get_ref()),
            ));
        }
        cwes.push(id);
    }
    let mut product = product::ProductCondition {
        provenance: spec.provenance == Some(true),
        builders: spec.builders.clone(),
        ..product::ProductCondition::default()
    };
    if spec.provenance == Some(false) {
        return Err(at(
            span.clone(),
            "`provenance = false` says nothing: leave it out".into(),
        ));
    }
    match spec.ntia.as_ref().map(|n| (n.span(), n.get_ref())) {
        Some((_, product::NtiaSpec::All(true))) => product.ntia = NTIA_ELEMENTS.to_vec(),
        Some((s, product::NtiaSpec::All(false))) => {
            return Err(at(s, "`ntia = false` says nothing: leave it out".into()));
        }
        Some((s, product::NtiaSpec::Elements(list))) => {
            if list.is_empty() {
                return Err(at(s, "`ntia = []` names no element: leave it out".into()));
            }
            for element in list {
                let Some(known) = NTIA_ELEMENTS.iter().find(|x| **x == element.as_str()) else {
                    return Err(at(
                        s,
                        format!(
                            "NTIA element `{element}`: expected one of {}",
                            NTIA_ELEMENTS.join(", ")
                        ),
                    ));
                };
                product.ntia.push(known);
            }
        }
        None => {}
    }
    let cel = match &spec.cel {
        Some(expr) => Some(
            cel::Cel::parse(expr.get_ref()).map_err(|e| at(expr.span(), format!("cel: {e}")))?,
        ),
        None => None,
    };
    let (allow, deny) = match &spec.license {
        Some(l) => (entries(&l.allow)?, entries(&l.deny)?),
        None => (Vec::new(), Vec::new()),
    };
    let mut all = Vec::with_capacity(spec.all.len());
    for c in spec.all {
        let s = c.span();
        all.push(compile(text, c.into_inner(), s, depth + 1)?);
    }
    let mut any = Vec::with_capacity(spec.any.len());
    for c in spec.any {
        let s = c.span();
        any.push(compile(text, c.into_inner(), s, depth + 1)?);
    }
    Ok(Condition {
        severity,
        cvss,
        epss,
        known_exploited: spec.known_exploited,
        malicious: spec.malicious,
        typosquat: spec.typosquat,
        suspicious,
        advisories: spec
            .advisories
            .iter()
            .map(|a| a.trim().to_ascii_uppercase())
            .collect(),
        cwes,
        packages: spec.packages,
        range,
        allow,
        deny,
        unpinned: spec.unpinned,
        direct: spec.direct,
        cel,
        product,
        all,
        any,
    })
}

/// Why a condition held.
#[derive(Debug, Default)]
struct Match {
    advisory: Option<String>,
    reasons: Vec<String>,
    /// A CEL expression could not be evaluated: counted as holding (a gate fails
    /// closed), said in the reasons.
    failed: bool,
}

impl Match {
    fn absorb(&mut self, other: Match) {
        if self.advisory.is_none() {
            self.advisory = other.advisory;
        }
        self.reasons.extend(other.reasons);
        self.failed |= other.failed;
    }
}

/// An expression shortened for a reason.
fn shortened(text: &str) -> String {
    const MAX: usize = 80;
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        one_line
    } else {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

fn purl_matches(pattern: &str, purl: &Purl) -> bool {
    let canonical = purl.canonical();
    // A pattern without a version matches every version of the package.
    let name_only = canonical.split(['@', '?', '#']).next().unwrap_or(canonical);
    chainwatch_attest::slsa::glob_matches(pattern, canonical)
        || chainwatch_attest::slsa::glob_matches(pattern, name_only)
}

/// Whether `c` holds for `component` with these of its findings, and why.
fn matches(c: &Condition, component: &Component, findings: &[Finding]) -> Option<Match> {
    if !c.product.is_empty() {
        // About the product version, never a component (see `matches_release`).
        return None;
    }
    let mut m = Match::default();
    if let Some(want) = c.direct {
        (component.direct == want).then_some(())?;
        m.reasons.push(
            if want {
                "a direct dependency"
            } else {
                "a transitive dependency"
            }
            .to_owned(),
        );
    }
    if let Some(want) = c.unpinned {
        (component.version.is_none() == want).then_some(())?;
        if want {
            m.reasons.push("no version pinned".to_owned());
        }
    }
    if let Some(want) = c.typosquat {
        (component.typosquat == want).then_some(())?;
        if want {
            m.reasons
                .push("its name imitates a popular package".to_owned());
        }
    }
    if let Some(min) = c.suspicious {
        let worst = component.audit?;
        (worst >= min).then_some(())?;
        m.reasons.push(format!(
            "the audit of its contents found a {} finding",
            worst.as_str()
        ));
    }
    if !c.packages.is_empty() {
        let purl = component.purl.as_ref()?;
        let p = c.packages.iter().find(|p| purl_matches(p, purl))?;
        m.reasons.push(format!("matches `{p}`"));
    }
    if let Some(range) = &c.range {
        let purl = component.purl.as_ref()?;
        let version = component.version.as_deref()?;
        let scheme = chainwatch_version::Scheme::from_name(purl.ty())
            .unwrap_or(chainwatch_version::Scheme::Generic);
        (scheme == range.scheme()).then_some(())?;
        range.contains_str(version).ok()?.then_some(())?;
        m.reasons.push(format!("version {version} in `{range}`"));
    }
    if !c.deny.is_empty() {
        let denied = match &component.license {
            Some(l) => l.denied_by(&c.deny),
            None => Licensing::new("NOASSERTION").denied_by(&c.deny),
        };
        let first = denied.first()?;
        m.reasons.push(format!(
            "licence needs {} ({})",
            denied
                .iter()
                .map(|t| t.license.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            first.category
        ));
    }
    if !c.allow.is_empty() {
        let allowed = component
            .license
            .as_ref()
            .is_some_and(|l| l.allowed_by(&c.allow));
        (!allowed).then_some(())?;
        m.reasons.push(format!(
            "licence {} is not allowed",
            component
                .license
                .as_ref()
                .map_or("NOASSERTION", |l| l.normalized.expression.as_str())
        ));
    }
    if c.about_findings() {
        let (f, why) = findings
            .iter()
            .find_map(|f| finding_holds(c, f).map(|w| (f, w)))?;
        m.advisory = Some(f.advisory.clone());
        m.reasons.push(format!("{}: {why}", f.advisory));
    }
    if let Some(expr) = &c.cel {
        match expr.evaluate(component, findings) {
            Ok(true) => m
                .reasons
                .push(format!("`{}` holds", shortened(&expr.source))),
            Ok(false) => return None,
            Err(e) => {
                m.failed = true;
                m.reasons.push(format!(
                    "`{}` could not be evaluated ({}): counted as holding",
                    shortened(&expr.source),
                    shortened(&e)
                ));
            }
        }
    }
    for sub in &c.all {
        m.absorb(matches(sub, component, findings)?);
    }
    if !c.any.is_empty() {
        m.absorb(
            c.any
                .iter()
                .find_map(|sub| matches(sub, component, findings))?,
        );
    }
    Some(m)
}

/// Whether a product condition holds for a product version, and why.
fn matches_release(c: &Condition, release: &Release) -> Option<Vec<String>> {
    let mut reasons = if c.product.is_empty() {
        Vec::new()
    } else {
        c.product.holds(release)?
    };
    for sub in &c.all {
        reasons.extend(matches_release(sub, release)?);
    }
    if !c.any.is_empty() {
        reasons.extend(c.any.iter().find_map(|sub| matches_release(sub, release))?);
    }
    Some(reasons)
}

/// Whether one finding meets every finding condition, and why.
fn finding_holds(c: &Condition, f: &Finding) -> Option<String> {
    let mut why = Vec::new();
    if let Some(min) = c.severity {
        let level = f.severity.unwrap_or(Level::High);
        (level >= min).then_some(())?;
        why.push(match f.severity {
            Some(l) => format!("severity {}", l.as_str()),
            None => "unrated (counted as high)".to_owned(),
        });
    }
    if let Some(min) = c.cvss {
        let s = f.score?;
        (s >= min).then_some(())?;
        why.push(format!("CVSS {s:.1}"));
    }
    if let Some(min) = c.epss {
        let e = f.epss?;
        (e >= min).then_some(())?;
        why.push(format!("EPSS {:.1} %", e * 100.0));
    }
    if let Some(want) = c.known_exploited {
        (f.known_exploited == want).then_some(())?;
        if want {
            why.push("known exploited".to_owned());
        }
    }
    if let Some(want) = c.malicious {
        (f.malicious == want).then_some(())?;
        if want {
            why.push("malicious package".to_owned());
        }
    }
    if !c.cwes.is_empty() {
        let hit = f.cwes.iter().find(|w| c.cwes.contains(w))?;
        why.push(format!("weakness {hit}"));
    }
    if !c.advisories.is_empty() {
        let hit = std::iter::once(&f.advisory)
            .chain(&f.aliases)
            .find(|id| c.advisories.contains(&id.to_ascii_uppercase()))?;
        why.push(format!("advisory {hit}"));
    }
    Some(why.join(", "))
}

#[cfg(test)]
mod tests;
