//! The console's policy pages: the portfolio view of the active policy (its rules, the
//! violations of every product the token may see, filtered and a page at a time) and the
//! violations table the product version page shows in its policy tab.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State as AxumState};
use chainwatch_store::{StoredViolation, ViolationQuery, ViolationState};
use maud::{Markup, html};
use serde::Deserialize;

use super::Nav;
use super::layout::{Answer, Session, advisory_url, enc, page, pager, version_url, why_url};
use crate::State;
use crate::auth::Caller;
use crate::query::{self, Page};

/// A violation's level as a badge (the severity colours: fail high, warn medium).
fn level_badge(level: &str) -> Markup {
    let class = match level {
        "fail" => "sev sev-high",
        "warn" => "sev sev-medium",
        _ => "sev sev-none",
    };
    html! { span class=(class) { (level) } }
}

/// A time to the second (RFC 3339, UTC).
fn seconds(micros: i64) -> String {
    let t = chainwatch_store::format_micros(micros);
    match t.split_once('.') {
        Some((whole, _)) => format!("{whole}Z"),
        None => t,
    }
}

/// Violations as a table; `with_product` adds the product version column.
pub(crate) fn violations_table(rows: &[&StoredViolation], with_product: bool) -> Markup {
    html! {
        div.table-wrap { table.data {
            thead { tr {
                th scope="col" { "Level" }
                @if with_product { th scope="col" { "Product" } }
                th scope="col" { "Rule" } th scope="col" { "Component" } th scope="col" { "Why" }
                th scope="col" { "First seen" } th scope="col" { "Last seen" }
            } }
            tbody { @for v in rows { tr {
                td { (level_badge(&v.level)) }
                @if with_product {
                    td.nowrap { a href={ (version_url(&v.product, &v.version)) "?tab=policy" } { (v.product) "@" (v.version) } }
                }
                td.mono { (v.rule) }
                td.mono.purl {
                    @if v.component.starts_with("pkg:") {
                        a href=(why_url(&v.product, &v.version, &v.component)) title="Why is it here?" { (v.component) }
                    } @else { (v.component) }
                }
                td {
                    @if let Some(a) = &v.advisory {
                        a href=(advisory_url(a)) { (a) } ": "
                        (v.reason.strip_prefix(&format!("{a}: ")).unwrap_or(&v.reason))
                    } @else { (v.reason) }
                }
                td.nowrap { (seconds(v.first_seen)) }
                td.nowrap {
                    @if let Some(at) = v.resolved_at {
                        "resolved " (seconds(at))
                    } @else { (seconds(v.last_seen)) }
                }
            } } }
        } }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PolicyFilter {
    product: Option<String>,
    level: Option<String>,
    rule: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
}

/// An analysis's window, as the console shows it.
fn window(from: Option<i64>, until: Option<i64>) -> String {
    let day = |t: i64| {
        let text = chainwatch_store::format_micros(t);
        text.get(..10).unwrap_or(&text).to_owned()
    };
    match (from, until) {
        (None, None) => "always".to_owned(),
        (Some(f), None) => format!("from {}", day(f)),
        // `until` is the first instant after the last day.
        (None, Some(u)) => format!("through {}", day(u - 1)),
        (Some(f), Some(u)) => format!("{} – {}", day(f), day(u - 1)),
    }
}

/// `/policy`: the active policy and the violations of the products the token may see.
pub(crate) async fn portfolio(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Query(filter): Query<PolicyFilter>,
) -> Answer {
    let active = query::active_policy(&state, &caller).await?;
    let level = filter.level.clone().unwrap_or_default();
    let rule = filter.rule.clone().unwrap_or_default();
    let product = filter.product.clone().unwrap_or_default();
    let violation_state = filter.state.clone().unwrap_or_else(|| "open".to_owned());
    let chosen = match violation_state.as_str() {
        "resolved" => ViolationState::Resolved,
        "all" => ViolationState::All,
        _ => ViolationState::Open,
    };
    let min_level = chainwatch_policy::RuleLevel::from_name(&level);
    // The figures from counts; the list a page at a time from the store's index.
    let open = query::violation_counts(&state, &caller, ViolationState::Open).await?;
    let counted = if chosen == ViolationState::Open {
        open.clone()
    } else {
        query::violation_counts(&state, &caller, chosen).await?
    };
    let decided = if active.as_ref().is_some_and(|(_, p)| !p.analyses.is_empty()) {
        query::decision_counts(&state, &caller).await?
    } else {
        BTreeMap::new()
    };
    let mut per_rule: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, r, _, n) in &open {
        *per_rule.entry(r.as_str()).or_default() += n;
    }
    let holding: u64 = open.iter().map(|(.., n)| n).sum();
    let products = open
        .iter()
        .map(|(p, ..)| p.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let failing: u64 = open
        .iter()
        .filter(|(_, _, l, _)| l == "fail")
        .map(|(.., n)| n)
        .sum();
    let total: u64 = counted
        .iter()
        .filter(|(p, r, l, _)| {
            (product.is_empty() || *p == product)
                && (rule.is_empty() || *r == rule)
                && min_level.is_none_or(|min| {
                    chainwatch_policy::RuleLevel::from_name(l).is_some_and(|l| l >= min)
                })
        })
        .map(|(.., n)| n)
        .sum();
    let (shown, next) = query::violations_page(
        &state,
        &caller,
        ViolationQuery {
            product: Some(product.clone()).filter(|p| !p.is_empty()),
            rule: Some(rule.clone()).filter(|r| !r.is_empty()),
            level: min_level,
            state: chosen,
            ..ViolationQuery::default()
        },
        &Page {
            limit: Some(100),
            cursor: filter.cursor.clone(),
        },
    )
    .await?;
    let shown: Vec<&StoredViolation> = shown.iter().collect();
    let base = format!(
        "/policy?product={}&level={}&rule={}&state={}",
        enc(&product),
        enc(&level),
        enc(&rule),
        enc(&violation_state)
    );
    let body = html! {
        h1 { "Policy" }
        @match &active {
            None => {
                p.muted { "No policy is active. " code { "chainwatch policy apply FILE" } " (or " code { "PUT /api/v1/policy" } ") makes a policy file the server's; docs/policies.md describes them." }
            }
            Some((set, policy)) => {
                p {
                    (policy.rules.len()) " rules, applied " (seconds(set.applied_at))
                    @if let Some(by) = &set.applied_by { " by " (by) }
                    " · " span.mono.muted { (set.digest) }
                }
                p { strong { (holding) } " violations hold in " strong { (products) } " products, " strong { (failing) } " at level fail." }
                div.table-wrap { table.data {
                    thead { tr { th scope="col" { "Rule" } th scope="col" { "Level" } th scope="col" { "Description" } th scope="col" { "Violations" } } }
                    tbody { @for r in &policy.rules { tr {
                        td.mono { a href={ "/policy?rule=" (enc(&r.name)) } { (r.name) } }
                        td { (level_badge(r.level.as_str())) }
                        td { (r.description.as_deref().unwrap_or("")) }
                        td.num { (per_rule.get(r.name.as_str()).copied().unwrap_or(0)) }
                    } } }
                } }
                @if !policy.analyses.is_empty() {
                    h2 { "Vulnerability policies" }
                    p.muted { "Decisions the policy records on the findings they hold for, by " code { "policy NAME" } "; a later triage decision overrides them." }
                    div.table-wrap { table.data {
                        thead { tr { th scope="col" { "Analysis" } th scope="col" { "State" } th scope="col" { "Window" } th scope="col" { "Description" } th scope="col" { "Findings decided" } } }
                        tbody { @for a in &policy.analyses { tr {
                            td.mono { (a.name) }
                            td { (a.state.replace('_', " ")) @if let Some(j) = &a.justification { " (" (j.replace('_', " ")) ")" } }
                            td { (window(a.from, a.until)) }
                            td { (a.description.as_deref().unwrap_or("")) }
                            td.num { (decided.get(&a.name).copied().unwrap_or(0)) }
                        } } }
                    } }
                }
                details {
                    summary { "The policy file" }
                    pre.mono { (set.text) }
                }
            }
        }
        h2 { "Violations" }
        form.filter method="get" action="/policy" {
            label for="product" { "Product" }
            input #product type="text" name="product" value=(product);
            label for="level" { "Level at least" }
            select #level name="level" {
                option value="" { "any" }
                @for l in ["fail", "warn", "info"] { option value=(l) selected[level == l] { (l) } }
            }
            label for="rule" { "Rule" }
            select #rule name="rule" {
                option value="" { "any" }
                @if let Some((_, policy)) = &active {
                    @for r in &policy.rules { option value=(r.name) selected[rule == r.name] { (r.name) } }
                }
            }
            label for="state" { "State" }
            select #state name="state" {
                @for (value, label) in [("open", "holding"), ("resolved", "resolved"), ("all", "all")] {
                    option value=(value) selected[violation_state == value] { (label) }
                }
            }
            button type="submit" { "Apply" }
            span.muted { (total) " violations" }
        }
        @if shown.is_empty() { p.muted { "No violations match." } } @else { (violations_table(&shown, true)) }
        (pager(&base, next.as_deref()))
    };
    Ok(page(&caller, &session, Nav::Policy, "Policy", "", &body))
}
