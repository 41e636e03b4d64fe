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
    component: ComponentSpec,
    #[serde(default)]
    findings: Vec<FindingSpec>,
    /// The rules the component must violate (and no others).
    violates: Vec<String>,
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
    products: Vec<String>,
    tags: Vec<String>,
    when: Condition,
}

impl Rule {
    /// Whether the rule applies to a product with these tags (its scope: a product glob
    /// and a tag, each when given).
    pub fn applies_to(&self, product: &str, tags: &[String]) -> bool {
        (self.products.is_empty()
            || self
                .products
                .iter()
                .any(|g| chainwatch_attest::slsa::glob_matches(g, product)))
            && (self.tags.is_empty() || self.tags.iter().any(|t| tags.contains(t)))
    }
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
    /// The weaknesses (CWE ids) of their findings' records.
    pub cwes: bool,
}

#[derive(Debug, Clone, Default)]
struct Condition {
    severity: Option<Level>,
    cvss: Option<f64>,
    epss: Option<f64>,
    known_exploited: Option<bool>,
    malicious: Option<bool>,
    typosquat: Option<bool>,
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
    all: Vec<Condition>,
    any: Vec<Condition>,
}

impl Condition {
    fn needs(&self, needs: &mut Needs) {
        needs.findings |= self.about_findings();
        needs.direct |= self.direct.is_some();
        needs.typosquat |= self.typosquat.is_some();
        needs.cwes |= !self.cwes.is_empty();
        for c in self.all.iter().chain(&self.any) {
            c.needs(needs);
        }
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
    pub component: Component,
    pub violates: Vec<String>,
}

/// A policy file, compiled.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub rules: Vec<Rule>,
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
    /// Its open findings (not those a VEX statement says are not affected or fixed).
    pub findings: Vec<Finding>,
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
}

impl ExampleResult {
    pub fn passed(&self) -> bool {
        self.expected == self.violated
    }
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
            let when = compile(text, r.when.into_inner(), span, 0)?;
            rules.push(Rule {
                name,
                level,
                description: r.description,
                products: r.products,
                tags: r.tags,
                when,
            });
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
            let purl = match &e.component.purl {
                Some(p) => Some(Purl::parse(p.get_ref()).map_err(|err| {
                    PolicyError::at(text, Some(p.span()), format!("`{}`: {err}", p.get_ref()))
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
            let name = e
                .component
                .name
                .clone()
                .or_else(|| purl.as_ref().map(|p| p.name().to_owned()))
                .unwrap_or_default();
            let version = e
                .component
                .version
                .clone()
                .or_else(|| purl.as_ref().and_then(|p| p.version().map(str::to_owned)));
            let mut violates = e.violates;
            violates.sort();
            violates.dedup();
            examples.push(Example {
                name: e.name.into_inner(),
                product: e.product.unwrap_or_default(),
                tags: e.tags,
                component: Component {
                    name,
                    version,
                    purl,
                    license: e.component.license.as_deref().map(Licensing::new),
                    direct: e.component.direct,
                    typosquat: e.component.typosquat,
                    findings,
                },
                violates,
            });
        }
        Ok(Policy { rules, examples })
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
            .filter_map(|r| {
                let m = matches(&r.when, component)?;
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

    /// What its rules look at.
    pub fn needs(&self) -> Needs {
        let mut needs = Needs::default();
        for r in &self.rules {
            r.when.needs(&mut needs);
        }
        needs
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
                let mut violated: Vec<String> = self
                    .evaluate(&e.product, &e.tags, &e.component)
                    .into_iter()
                    .map(|v| v.rule)
                    .collect();
                violated.sort();
                violated.dedup();
                ExampleResult {
                    name: e.name.clone(),
                    expected: e.violates.clone(),
                    violated,
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
        all,
        any,
    })
}

/// Why a condition held.
#[derive(Debug, Default)]
struct Match {
    advisory: Option<String>,
    reasons: Vec<String>,
}

impl Match {
    fn absorb(&mut self, other: Match) {
        if self.advisory.is_none() {
            self.advisory = other.advisory;
        }
        self.reasons.extend(other.reasons);
    }
}

fn purl_matches(pattern: &str, purl: &Purl) -> bool {
    let canonical = purl.canonical();
    // A pattern without a version matches every version of the package.
    let name_only = canonical.split(['@', '?', '#']).next().unwrap_or(canonical);
    chainwatch_attest::slsa::glob_matches(pattern, canonical)
        || chainwatch_attest::slsa::glob_matches(pattern, name_only)
}

/// Whether `c` holds for `component`, and why.
fn matches(c: &Condition, component: &Component) -> Option<Match> {
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
        let (f, why) = component
            .findings
            .iter()
            .find_map(|f| finding_holds(c, f).map(|w| (f, w)))?;
        m.advisory = Some(f.advisory.clone());
        m.reasons.push(format!("{}: {why}", f.advisory));
    }
    for sub in &c.all {
        m.absorb(matches(sub, component)?);
    }
    if !c.any.is_empty() {
        m.absorb(c.any.iter().find_map(|sub| matches(sub, component))?);
    }
    Some(m)
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
