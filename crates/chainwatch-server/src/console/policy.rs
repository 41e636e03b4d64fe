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
    let open = query::violations(&state, &caller, ViolationQuery::default()).await?;
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &open {
        *per_rule.entry(v.rule.as_str()).or_default() += 1;
    }
    let listed = if violation_state == "open" {
        open.clone()
    } else {
        query::violations(
            &state,
            &caller,
            ViolationQuery {
                state: if violation_state == "resolved" {
                    ViolationState::Resolved
                } else {
                    ViolationState::All
                },
                ..ViolationQuery::default()
            },
        )
        .await?
    };
    let needle = product.to_lowercase();
    let keyed: Vec<(String, &StoredViolation)> = listed
        .iter()
        .filter(|v| needle.is_empty() || v.product.to_lowercase().contains(&needle))
        .filter(|v| level.is_empty() || v.level == level)
        .filter(|v| rule.is_empty() || v.rule == rule)
        .map(|v| (v.key(), v))
        .collect();
    let total = keyed.len();
    let (shown, next) = query::paginate(
        keyed,
        &Page {
            limit: Some(100),
            cursor: filter.cursor.clone(),
        },
    )?;
    let products = open
        .iter()
        .map(|v| v.product.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let failing = open.iter().filter(|v| v.level == "fail").count();
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
                p { strong { (open.len()) } " violations hold in " strong { (products) } " products, " strong { (failing) } " at level fail." }
                div.table-wrap { table.data {
                    thead { tr { th scope="col" { "Rule" } th scope="col" { "Level" } th scope="col" { "Description" } th scope="col" { "Violations" } } }
                    tbody { @for r in &policy.rules { tr {
                        td.mono { a href={ "/policy?rule=" (enc(&r.name)) } { (r.name) } }
                        td { (level_badge(r.level.as_str())) }
                        td { (r.description.as_deref().unwrap_or("")) }
                        td.num { (per_rule.get(r.name.as_str()).copied().unwrap_or(0)) }
                    } } }
                } }
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
            label for="level" { "Level" }
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
