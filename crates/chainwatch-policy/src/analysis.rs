//! Vulnerability policies: `[[analysis]]` entries that record a decision (a CycloneDX
//! analysis: state, justification, responses, detail) on every finding their condition
//! holds for, within an optional validity window.
//!
//! An analysis is about one finding, so its condition may look at the finding (severity,
//! CVSS, EPSS, known-exploited, malicious, advisory ids, CWEs) and at the package it is in
//! (purl globs, a vers range), not at facts of the component in one product (licence,
//! directness, pinning, typo-squats). Where several analyses hold for a finding, the first
//! in the file decides. Each decision becomes a VEX statement made by the policy (author
//! `policy NAME`); like any statement, a later one (a triage decision, an imported VEX
//! document) overrides it.

use std::ops::Range;

use chainwatch_advisory::vex::{
    ANALYSIS_STATES, JUSTIFICATIONS, RESPONSES, Statement, analysis_status,
};
use serde::Deserialize;
use toml::Spanned;

use crate::{Component, Condition, ConditionSpec, Finding, PolicyError, compile, matches};

/// The longest `detail` an analysis may give.
pub const MAX_DETAIL_BYTES: usize = 8192;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnalysisSpec {
    pub(crate) name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    state: Spanned<String>,
    #[serde(default)]
    justification: Option<Spanned<String>>,
    #[serde(default)]
    response: Vec<Spanned<String>>,
    #[serde(default)]
    detail: Option<Spanned<String>>,
    /// When it starts applying (a date, or an RFC 3339 time).
    #[serde(default)]
    from: Option<Spanned<String>>,
    /// When it stops applying: after this day (a date), or at this time.
    #[serde(default)]
    until: Option<Spanned<String>>,
    when: Spanned<ConditionSpec>,
}

/// A vulnerability policy entry, ready to apply.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub name: String,
    pub description: Option<String>,
    products: Vec<String>,
    tags: Vec<String>,
    /// The CycloneDX analysis state (`not_affected`, `false_positive`, `in_triage`,
    /// `exploitable`, `resolved`).
    pub state: String,
    pub justification: Option<String>,
    pub responses: Vec<String>,
    pub detail: Option<String>,
    /// Microseconds since the epoch: applies from then (inclusive)…
    pub from: Option<i64>,
    /// …until then (exclusive).
    pub until: Option<i64>,
    when: Condition,
}

impl Analysis {
    /// Whether it applies to a product with these tags.
    pub fn applies_to(&self, product: &str, tags: &[String]) -> bool {
        crate::in_scope(&self.products, &self.tags, product, tags)
    }

    /// Whether its window holds `at` (microseconds since the epoch).
    pub fn in_force(&self, at: i64) -> bool {
        self.from.is_none_or(|f| at >= f) && self.until.is_none_or(|u| at < u)
    }

    /// Whether its condition holds for one finding of `component`.
    pub fn holds(&self, component: &Component, finding: &Finding) -> bool {
        matches(&self.when, component, std::slice::from_ref(finding)).is_some_and(|m| !m.failed)
    }

    /// Whether it takes the finding off the open list (`not_affected`, `false_positive`,
    /// `resolved`).
    pub fn suppresses(&self) -> bool {
        analysis_status(&self.state).is_some_and(chainwatch_advisory::vex::VexStatus::suppresses)
    }

    /// Its decision on a finding as a VEX statement about the package (`package`, a
    /// canonical purl or a name) in `product@version`, made at `at` (microseconds).
    pub fn statement(
        &self,
        finding: &Finding,
        product: &str,
        version: &str,
        package: &str,
        at: i64,
    ) -> Statement {
        let product = if version.is_empty() {
            product.to_owned()
        } else {
            format!("{product}@{version}")
        };
        Statement {
            vulnerability: finding.advisory.clone(),
            aliases: finding.aliases.clone(),
            products: vec![product],
            components: vec![package.to_owned()],
            status: analysis_status(&self.state)
                .unwrap_or(chainwatch_advisory::vex::VexStatus::UnderInvestigation),
            justification: self
                .justification
                .clone()
                .or_else(|| (self.state == "false_positive").then(|| "false_positive".to_owned())),
            impact: self.detail.clone(),
            action: (!self.responses.is_empty()).then(|| self.responses.join(", ")),
            timestamp: Some(format_micros(at)),
            analysis: Some(self.state.clone()),
        }
    }

    /// What the decision says, so that a changed decision can be told from the same one:
    /// name, state, justification, responses, detail and window, one per line.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{:?}\n{:?}",
            self.name,
            self.state,
            self.justification.as_deref().unwrap_or(""),
            self.responses.join(","),
            self.detail.as_deref().unwrap_or(""),
            self.from,
            self.until
        )
    }

    pub(crate) fn needs(&self, needs: &mut crate::Needs) {
        needs.findings = true;
        self.when.needs(needs);
    }
}

/// A time as RFC 3339 (UTC).
fn format_micros(at: i64) -> String {
    jiff::Timestamp::from_microsecond(at).map_or_else(|_| at.to_string(), |t| t.to_string())
}

/// A date (`2027-01-31`) or an RFC 3339 time as microseconds since the epoch; a date is
/// its first instant, or with `end` the first instant of the next day.
pub(crate) fn parse_time(input: &str, end: bool) -> Option<i64> {
    let input = input.trim();
    if let Ok(date) = input.parse::<jiff::civil::Date>() {
        let day = if end { date.tomorrow().ok()? } else { date };
        return day
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_microsecond());
    }
    input
        .parse::<jiff::Timestamp>()
        .ok()
        .map(jiff::Timestamp::as_microsecond)
}

/// The key of a condition that an analysis may not use (it is not about a finding or its
/// package), if any.
fn not_about_findings(c: &Condition) -> Option<&'static str> {
    if !c.allow.is_empty() || !c.deny.is_empty() {
        return Some("license");
    }
    if c.direct.is_some() {
        return Some("direct");
    }
    if c.unpinned.is_some() {
        return Some("unpinned");
    }
    if c.typosquat.is_some() {
        return Some("typosquat");
    }
    if c.cel.is_some() {
        return Some("cel");
    }
    if !c.product.ntia.is_empty() {
        return Some("ntia");
    }
    if c.product.provenance || !c.product.builders.is_empty() {
        return Some("provenance");
    }
    c.all.iter().chain(&c.any).find_map(not_about_findings)
}

fn is_empty(c: &Condition) -> bool {
    !c.about_findings()
        && c.packages.is_empty()
        && c.range.is_none()
        && c.all.iter().chain(&c.any).all(is_empty)
}

/// Compiles an `[[analysis]]` entry of `text`.
pub(crate) fn compile_analysis(text: &str, spec: AnalysisSpec) -> Result<Analysis, PolicyError> {
    let at = |s: Range<usize>, m: String| PolicyError::at(text, Some(s), m);
    let name = spec.name.get_ref().trim().to_owned();
    if name.is_empty() {
        return Err(at(spec.name.span(), "an analysis needs a name".into()));
    }
    let state = spec.state.get_ref().trim().to_owned();
    if state == "not_set" || !ANALYSIS_STATES.contains(&state.as_str()) {
        let states: Vec<&str> = ANALYSIS_STATES
            .iter()
            .copied()
            .filter(|s| *s != "not_set")
            .collect();
        return Err(at(
            spec.state.span(),
            format!("state `{state}`: expected one of {}", states.join(", ")),
        ));
    }
    let justification = match spec.justification {
        Some(j) => {
            let value = j.get_ref().trim().to_owned();
            if !JUSTIFICATIONS.contains(&value.as_str()) {
                return Err(at(
                    j.span(),
                    format!(
                        "justification `{value}`: expected one of {}",
                        JUSTIFICATIONS.join(", ")
                    ),
                ));
            }
            if state != "not_affected" {
                return Err(at(
                    j.span(),
                    format!("a justification explains `not_affected`, not `{state}`"),
                ));
            }
            Some(value)
        }
        None => None,
    };
    let mut responses = Vec::with_capacity(spec.response.len());
    for r in &spec.response {
        let value = r.get_ref().trim();
        if !RESPONSES.contains(&value) {
            return Err(at(
                r.span(),
                format!(
                    "response `{value}`: expected one of {}",
                    RESPONSES.join(", ")
                ),
            ));
        }
        if !responses.iter().any(|x: &String| x == value) {
            responses.push(value.to_owned());
        }
    }
    let detail = match spec.detail {
        Some(d) if d.get_ref().len() > MAX_DETAIL_BYTES => {
            return Err(at(
                d.span(),
                format!("the detail is longer than {MAX_DETAIL_BYTES} bytes"),
            ));
        }
        Some(d) => Some(d.into_inner()).filter(|d| !d.trim().is_empty()),
        None => None,
    };
    let time = |t: &Option<Spanned<String>>, end: bool, what: &str| match t {
        Some(t) => parse_time(t.get_ref(), end).map(Some).ok_or_else(|| {
            at(
                t.span(),
                format!(
                    "{what} `{}`: expected a date (2027-01-31) or an RFC 3339 time",
                    t.get_ref()
                ),
            )
        }),
        None => Ok(None),
    };
    let from = time(&spec.from, false, "from")?;
    let until = time(&spec.until, true, "until")?;
    if let (Some(f), Some(u), Some(s)) = (from, until, &spec.until)
        && u <= f
    {
        return Err(at(s.span(), "the window ends before it starts".into()));
    }
    let span = spec.when.span();
    let when = compile(text, spec.when.into_inner(), span.clone(), 0)?;
    if let Some(key) = not_about_findings(&when) {
        return Err(at(
            span,
            format!(
                "`{key}` is not a condition on a finding: an analysis looks at findings and their packages"
            ),
        ));
    }
    if is_empty(&when) {
        return Err(at(
            span,
            "an analysis needs a condition (advisories, severity, packages, …): an empty one would decide every finding".into(),
        ));
    }
    Ok(Analysis {
        name,
        description: spec.description,
        products: spec.products,
        tags: spec.tags,
        state,
        justification,
        responses,
        detail,
        from,
        until,
        when,
    })
}
