//! The console's pages. Each reads through `query.rs` (the API's own reads, with the
//! caller's role and product scope applied) and renders HTML; none talks to the store in
//! a way the API does not.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use chainwatch_store::{FindingQuery, ProductFinding, Role};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::Nav;
use super::layout::{
    Answer, Failure, Session, advisory_url, enc, page, pager, severity, version_url, why_url,
};
use super::session::Posted;
use crate::auth::Caller;
use crate::query::{self, LEVELS, Page, blocking, level_of};
use crate::{Problem, State};

/// A finding's sort key for keyset pages, most urgent first (unique, stable).
fn finding_key(f: &ProductFinding) -> String {
    let (a, b, c) = urgency_key(f);
    format!(
        "{}{}{c}{:.6}\0{}\0{}\0{}\0{}",
        u8::from(a),
        u8::from(b),
        1.0 - f.epss.unwrap_or(0.0).clamp(0.0, 1.0),
        f.product,
        f.version,
        f.package,
        f.advisory
    )
}

fn urgency_key(f: &ProductFinding) -> (bool, bool, usize) {
    let rank = LEVELS.iter().position(|l| *l == level_of(f)).unwrap_or(4);
    (!f.malicious, !f.known_exploited, rank)
}

fn epss(f: &ProductFinding) -> String {
    f.epss
        .map(|e| format!("{:.1} %", e * 100.0))
        .unwrap_or_default()
}

/// The URL of a finding's page (its details, audit trail and triage form).
pub(crate) fn finding_url(f: &ProductFinding) -> String {
    format!(
        "{}/findings/{}?package={}",
        version_url(&f.product, &f.version),
        enc(&f.advisory),
        enc(&f.package)
    )
}

fn vex_state(f: &ProductFinding) -> Markup {
    let label = f.vex.as_ref().map(|v| {
        v.analysis
            .as_deref()
            .unwrap_or(v.status.as_str())
            .replace('_', " ")
    });
    html! {
        a.vex href=(finding_url(f)) title="Details, audit trail and triage" {
            @if let Some(label) = label { (label) } @else { span.muted { "not set" } }
        }
    }
}

/// The value of a finding's checkbox in a triage form.
fn target_value(f: &ProductFinding) -> String {
    serde_json::to_string(&query::Target::from(f)).unwrap_or_default()
}

/// The decision fields of a triage form (its findings are the checked boxes, or all
/// those in `scope` with the second button).
fn triage_fields(
    session: &Session,
    return_to: &str,
    scope: &[(&str, &str)],
    all_label: Option<String>,
) -> Markup {
    html! {
        fieldset.triage {
            legend { "Triage the chosen findings" }
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="return" value=(return_to);
            @for (k, v) in scope { input type="hidden" name=(k) value=(v); }
            div.fields {
                label { "Analysis"
                    select name="state" required {
                        @for st in query::ANALYSIS_STATES {
                            option value=(st) selected[st == "not_affected"] { (st.replace('_', " ")) }
                        }
                    }
                }
                label { "Justification"
                    select name="justification" {
                        option value="" { "—" }
                        @for j in query::JUSTIFICATIONS { option value=(j) { (j.replace('_', " ")) } }
                    }
                }
                label { "Response"
                    select name="response" {
                        option value="" { "—" }
                        @for r in query::RESPONSES { option value=(r) { (r.replace('_', " ")) } }
                    }
                }
                label.wide { "Comment"
                    textarea name="detail" rows="2" maxlength="8192" placeholder="Why; what was checked" {}
                }
            }
            div.buttons {
                button type="submit" { "Record for the checked findings" }
                @if let Some(label) = all_label {
                    button.secondary type="submit" name="all" value="1" { (label) }
                }
            }
        }
    }
}

fn findings_table(rows: &[&ProductFinding], with_product: bool, select: bool) -> Markup {
    html! {
        div.table-wrap {
            table.data {
                thead { tr {
                    @if select {
                        th scope="col" {
                            input.select-all type="checkbox" aria-label="Check all findings" hidden;
                        }
                    }
                    th scope="col" { "Severity" }
                    th scope="col" { "Advisory" }
                    @if with_product { th scope="col" { "Product" } }
                    th scope="col" { "Package" }
                    th scope="col" { "EPSS" }
                    th scope="col" { "KEV" }
                    th scope="col" { "Fixed in" }
                    th scope="col" { "VEX" }
                    th scope="col" { "First seen" }
                } }
                tbody {
                    @for f in rows {
                        tr {
                            @if select {
                                td { input type="checkbox" name="f" value=(target_value(f)) aria-label={ "Choose " (f.advisory) " in " (f.package) }; }
                            }
                            td { (severity(f.severity.as_deref(), f.malicious)) }
                            td {
                                a href=(advisory_url(&f.advisory)) { (f.advisory) }
                                @if let Some(s) = &f.summary { div.summary { (s) } }
                            }
                            @if with_product {
                                td { a href=(version_url(&f.product, &f.version)) { (f.product) "@" (f.version) } }
                            }
                            td.mono { a href=(why_url(&f.product, &f.version, &f.package)) title="Why is it here?" { (f.package) } }
                            td.num { (epss(f)) }
                            td { @if f.known_exploited { span.kev title="In CISA's Known Exploited Vulnerabilities catalog" { "KEV" } } }
                            td.mono { (f.fixed_in.join(", ")) }
                            td { (vex_state(f)) }
                            td.nowrap { (f.first_seen.get(..10).unwrap_or(&f.first_seen)) }
                        }
                    }
                }
            }
        }
    }
}

/// Findings opened and resolved per day (oldest first), as an SVG bar chart: opened
/// above the axis, resolved below.
fn trend_chart(opened: &[usize], resolved: &[usize]) -> Markup {
    let days = opened.len();
    let max = opened
        .iter()
        .chain(resolved)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, half) = (days * 8, 60usize);
    let mut bars = String::new();
    // Opened bars stand on the axis, resolved ones hang below it.
    for (series, class, verb) in [
        (opened, "bar", "opened"),
        (resolved, "bar resolved", "resolved"),
    ] {
        for (i, n) in series.iter().enumerate().filter(|(_, n)| **n > 0) {
            let h = (n * (half - 2)).div_ceil(max);
            let y = if verb == "opened" { half - h } else { half + 1 };
            let ago = days - 1 - i;
            // Only numbers we computed go into this markup.
            let _ = write!(
                bars,
                r#"<rect class="{class}" x="{}" y="{y}" width="6" height="{h}"><title>{n} {verb} {ago} days ago</title></rect>"#,
                i * 8 + 1,
            );
        }
    }
    let total: usize = opened.iter().sum();
    let closed: usize = resolved.iter().sum();
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (width) " " (2 * half + 2) } role="img"
                aria-label={ (total) " findings opened and " (closed) " resolved in the last " (days) " days" } preserveAspectRatio="none" {
                line.axis x1="0" y1=(half) x2=(width) y2=(half) {}
                (PreEscaped(bars))
            }
            figcaption.muted {
                "In the last " (days) " days: "
                span.key.opened {} (total) " opened (first seen, still open) "
                span.key.resolved {} (closed) " resolved (no longer matched, or decided not affected or fixed); one bar per day, today on the right"
            }
        }
    }
}

pub(crate) async fn dashboard(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
) -> Answer {
    let query::OverviewState {
        overview,
        current,
        error,
    } = query::overview(&state, &caller, true).await?;
    let failed = html! {
        @if let Some(e) = &error {
            p.warning role="alert" { "The last summary could not be computed: " (e) ". It is tried again on the next visit." }
        }
    };
    let Some(o) = overview else {
        let body = html! {
            @if error.is_none() { meta http-equiv="refresh" content="3"; }
            h1 { "Dashboard" }
            (failed)
            @if error.is_none() {
                p.notice role="status" {
                    "Computing the summary of your portfolio (every current finding, with VEX, KEV and EPSS). "
                    "This page reloads itself; the other pages work meanwhile."
                }
            }
        };
        return Ok(page(
            &caller,
            &session,
            Nav::Dashboard,
            "Dashboard",
            "",
            &body,
        ));
    };
    let now = chainwatch_store::now_micros();
    let data_warning = match o.last_import {
        None => Some("No advisories have been imported: findings cannot be trusted until `chainwatch advisories update` runs".to_owned()),
        Some(t) if now - t > 2 * 86_400_000_000 => Some(format!(
            "Advisory data was last imported {} days ago: run `chainwatch advisories update` or `serve --update-every`",
            (now - t) / 86_400_000_000
        )),
        Some(_) => None,
    };
    let urgent: Vec<&ProductFinding> = o.urgent.iter().collect();
    let newest: Vec<&ProductFinding> = o.newest.iter().collect();
    let body = html! {
        @if !current {
            meta http-equiv="refresh" content="5";
        }
        h1 { "Dashboard" }
        (failed)
        @if let Some(warning) = &data_warning {
            p.warning role="alert" { (warning) }
        }
        @if !current {
            p.notice role="status" {
                "As of " (chainwatch_store::format_micros(o.computed_at)) "; the portfolio has changed since and a new summary is being computed."
            }
        }
        section.cards aria-label="Portfolio" {
            a.card href="/products" { span.n { (o.products) } span.l { "products" } }
            a.card href="/products" { span.n { (o.versions) } span.l { "versions" } }
            div.card { span.n { (o.components) } span.l { "components" } }
            a.card.danger href="/findings?only=malicious" { span.n { (o.counts.malicious) } span.l { "malicious" } }
            a.card.danger href="/findings?only=kev" { span.n { (o.counts.known_exploited) } span.l { "known exploited" } }
            div.card.danger { span.n { (o.suspect_count) } span.l { "typo-squat suspects" } }
            @for (i, level) in LEVELS.iter().enumerate() {
                a class={ "card lvl-" (level) } href={ "/findings?severity=" (level) } {
                    span.n { (o.counts.by_level[i]) }
                    span.l { (level) }
                }
            }
        }
        section {
            h2 { "Findings over time" }
            (trend_chart(&o.opened, &o.resolved))
        }
        section {
            h2 { "Malicious and known-exploited" }
            @if urgent.is_empty() {
                p.muted { "None in the products you can see." }
            } @else {
                (findings_table(&urgent, true, false))
            }
        }
        section {
            h2 { "Typo-squat suspects" }
            @if o.suspects.is_empty() {
                p.muted { "No package of the products you can see imitates a popular name." }
            } @else {
                p.muted { (o.suspect_count) " package name(s) imitate popular packages" @if o.suspect_count > o.suspects.len() { " (the " (o.suspects.len()) " best scored shown)" } "." }
                div.table-wrap { table.data {
                    thead { tr {
                        th scope="col" { "Package" } th scope="col" { "Imitates" } th scope="col" { "Technique" }
                        th scope="col" { "Score" } th scope="col" { "In" }
                    } }
                    tbody { @for (s, holders) in &o.suspects { tr {
                        td.mono.purl { a href={ "/search?q=" (enc(&s.package)) } { (s.package) } }
                        td.mono { (s.imitates) }
                        td { (s.technique) }
                        td.num { (format!("{:.2}", s.score)) }
                        td {
                            @for h in holders.iter().take(3) {
                                a.mono href=(version_url(&h.product, &h.version)) { (h.product) "@" (h.version) } " "
                            }
                            @if holders.len() > 3 { span.muted { "and " (holders.len() - 3) " more" } }
                        }
                    } } }
                } }
            }
        }
        section {
            h2 { "Newest findings" }
            @if newest.is_empty() {
                p.muted { "No open findings." }
            } @else {
                (findings_table(&newest, true, false))
                p { a href="/findings" { "All findings →" } }
            }
        }
        p.muted.small {
            "Summary computed in " (format!("{:.1} s", o.took.as_secs_f64())) " at " (chainwatch_store::format_micros(o.computed_at))
            " (findings " (format!("{:.1} s", o.took_findings.as_secs_f64())) "; typo-squat check of " (o.names_checked) " package names "
            (format!("{:.1} s", o.took.saturating_sub(o.took_findings).as_secs_f64())) ")."
        }
    };
    Ok(page(
        &caller,
        &session,
        Nav::Dashboard,
        "Dashboard",
        "",
        &body,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProductsParams {
    /// A part of the name.
    q: Option<String>,
    /// `name` (default), `updated`, `findings` or `components`.
    sort: Option<String>,
    cursor: Option<String>,
}

/// One product of the list.
struct ProductRow {
    name: String,
    latest: chainwatch_store::ProductSummary,
    versions: usize,
}

/// Products: one row each, with its newest version, its open findings by severity (from
/// the dashboard's summary), searchable and sortable, a page at a time.
pub(crate) async fn products(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Query(params): Query<ProductsParams>,
) -> Answer {
    let portfolio = query::portfolio(&state, &caller).await?;
    // The counts come from the dashboard's summary when it is at hand; the list does
    // not wait for it.
    let overview = query::overview(&state, &caller, false).await?.overview;
    let q = params.q.clone().unwrap_or_default();
    let needle = q.to_lowercase();
    let mut rows: BTreeMap<String, ProductRow> = BTreeMap::new();
    for p in portfolio {
        if !needle.is_empty() && !p.name.to_lowercase().contains(&needle) {
            continue;
        }
        match rows.get_mut(&p.name) {
            Some(row) => {
                row.versions += 1;
                if p.updated > row.latest.updated {
                    row.latest = p;
                }
            }
            None => {
                rows.insert(
                    p.name.clone(),
                    ProductRow {
                        name: p.name.clone(),
                        latest: p,
                        versions: 1,
                    },
                );
            }
        }
    }
    let counts = |name: &str| {
        overview
            .as_ref()
            .and_then(|o| o.by_product.get(name).copied())
    };
    let sort = params
        .sort
        .as_deref()
        .filter(|s| matches!(*s, "updated" | "findings" | "components"))
        .unwrap_or("name");
    let total = rows.len();
    // Keys sort ascending: descending orders are encoded as complements.
    let keyed: Vec<(String, ProductRow)> = rows
        .into_values()
        .map(|r| {
            let weight = |c: Option<chainwatch_store::FindingCounts>| {
                c.map_or(0, |c| {
                    c.malicious * 1_000_000_000
                        + c.by_level[0] * 1_000_000
                        + c.by_level[1] * 1_000
                        + c.by_level[2]
                })
            };
            let key = match sort {
                "updated" => format!(
                    "{:020}\0{}",
                    i64::MAX
                        - chainwatch_store::parse_instant(&r.latest.updated)
                            .unwrap_or(0)
                            .max(0),
                    r.name
                ),
                "findings" => format!("{:020}\0{}", usize::MAX - weight(counts(&r.name)), r.name),
                "components" => format!("{:020}\0{}", u64::MAX - r.latest.components, r.name),
                _ => r.name.clone(),
            };
            (key, r)
        })
        .collect();
    let (shown, next) = query::paginate(
        keyed,
        &Page {
            limit: Some(50),
            cursor: params.cursor.clone(),
        },
    )?;
    let base = format!("/products?q={}&sort={sort}", enc(&q));
    let header = |key: &str, label: &str| {
        html! {
            th scope="col" {
                @if sort == key { (label) " ↓" } @else { a href={ "/products?q=" (enc(&q)) "&sort=" (key) } { (label) } }
            }
        }
    };
    let body = html! {
        h1 { "Products" }
        form.filter method="get" action="/products" {
            label for="pq" { "Name" }
            input #pq type="search" name="q" value=(q) placeholder="part of a product name";
            input type="hidden" name="sort" value=(sort);
            button type="submit" { "Filter" }
            span.muted { (total) " products" }
        }
        div.table-wrap {
            table.data {
                thead { tr {
                    (header("name", "Product"))
                    th scope="col" { "Latest version" }
                    th scope="col" { "Versions" }
                    (header("components", "Components"))
                    (header("findings", "Open findings"))
                    (header("updated", "Last upload"))
                } }
                tbody {
                    @for r in &shown {
                        tr {
                            td { a href={ "/products/" (enc(&r.name)) } { (r.name) } }
                            td.mono { a href=(version_url(&r.name, &r.latest.version)) { (r.latest.version) } }
                            td.num { (r.versions) }
                            td.num { (r.latest.components) }
                            td {
                                @match counts(&r.name) {
                                    Some(c) => {
                                        @if c.malicious > 0 { span.sev.sev-malicious { (c.malicious) " malicious" } " " }
                                        @for (i, level) in LEVELS.iter().enumerate() {
                                            @if c.by_level[i] > 0 { span class={ "sev sev-" (level) } title=(level) { (c.by_level[i]) " " (level) } " " }
                                        }
                                        @if c.open() == 0 { span.muted { "none" } }
                                    }
                                    None => { @if overview.is_some() { span.muted { "none" } } @else { span.muted { "…" } } }
                                }
                            }
                            td.nowrap { (r.latest.updated) }
                        }
                    }
                }
            }
        }
        @if total == 0 { p.muted { "No products" @if !q.is_empty() { " match" } ": upload an SBOM with `chainwatch ingest` or `POST /api/v1/sboms`." } }
        (pager(&base, next.as_deref()))
    };
    Ok(page(
        &caller,
        &session,
        Nav::Products,
        "Products",
        "",
        &body,
    ))
}

/// One product: its versions, newest upload first.
pub(crate) async fn product(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Answer {
    caller.require_product(&name)?;
    let mut versions: Vec<chainwatch_store::ProductSummary> = query::portfolio(&state, &caller)
        .await?
        .into_iter()
        .filter(|p| p.name == name)
        .collect();
    if versions.is_empty() {
        return Err(Problem::not_found(format!("no product `{name}`")).into());
    }
    versions.sort_by(|a, b| b.updated.cmp(&a.updated));
    let tags = query::product_tags(&state, &caller, name.clone()).await?;
    let body = html! {
        p.crumbs { a href="/products" { "Products" } " / " (name) }
        h1 { (name) }
        p {
            "Tags: "
            @if tags.is_empty() { span.muted { "none (" code { "ingest --tag" } " or " code { "PUT /api/v1/products/{name}/tags" } " set them; policy rules can be scoped by tag)" } }
            @for t in &tags { span.tag.mono { (t) } " " }
            " · " a href={ "/policy?product=" (enc(&name)) } { "policy violations" }
        }
        div.table-wrap { table.data {
            thead { tr {
                th scope="col" { "Version" } th scope="col" { "Components" } th scope="col" { "Documents" } th scope="col" { "Last upload" }
            } }
            tbody { @for v in &versions { tr {
                td.mono { a href=(version_url(&v.name, &v.version)) { (v.version) } }
                td.num { (v.components) }
                td.num { (v.documents) }
                td.nowrap { (v.updated) }
            } } }
        } }
    };
    Ok(page(&caller, &session, Nav::Products, &name, "", &body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct VersionParams {
    tab: Option<String>,
    /// Decisions just recorded (after a triage form).
    triaged: Option<usize>,
    /// The version the diff tab compares with.
    against: Option<String>,
    /// Filter of the components tab: a substring of name, purl, type or licence.
    filter: Option<String>,
    /// Order of the components tab: `name` (default), `type`, `license` or `findings`.
    sort: Option<String>,
    cursor: Option<String>,
}

pub(crate) async fn version(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Path((name, version)): Path<(String, String)>,
    Query(params): Query<VersionParams>,
) -> Answer {
    let detail = query::product_version(&state, &caller, &name, &version, true).await?;
    let tab = match params.tab.as_deref() {
        Some("components") => "components",
        Some("documents") => "documents",
        Some("provenance") => "provenance",
        Some("diff") => "diff",
        Some("suspects") => "suspects",
        Some("policy") => "policy",
        _ => "findings",
    };
    let evidence = query::provenance(&state, &caller, name.clone(), version.clone()).await?;
    let current = detail.history.last().map_or(0, |d| d.id);
    let suspects = query::document_suspects(
        &state,
        current,
        detail
            .components
            .iter()
            .filter_map(|c| c.purl.clone())
            .collect(),
    )
    .await?;
    let malicious: Vec<&ProductFinding> = detail.findings.iter().filter(|f| f.malicious).collect();
    // Recorded content audits that found something, of packages this version holds.
    let audited = query::audits(
        &state,
        &caller,
        Some("low".to_owned()),
        Some((name.clone(), version.clone())),
    )
    .await?;
    let violations = query::violations(
        &state,
        &caller,
        chainwatch_store::ViolationQuery {
            product: Some(name.clone()),
            version: Some(version.clone()),
            ..chainwatch_store::ViolationQuery::default()
        },
    )
    .await?;
    let base = version_url(&name, &version);
    // The findings tab a page at a time (200), most urgent first.
    let (open, open_next) = query::paginate(
        detail
            .findings
            .iter()
            .map(|f| (finding_key(f), f))
            .collect(),
        &Page {
            limit: Some(200),
            cursor: params.cursor.clone().filter(|_| tab == "findings"),
        },
    )?;
    let tabs = [
        ("findings", format!("Findings ({})", detail.findings.len())),
        (
            "components",
            format!("Components ({})", detail.components.len()),
        ),
        ("documents", format!("Documents ({})", detail.history.len())),
        ("provenance", format!("Provenance ({})", evidence.len())),
        (
            "suspects",
            format!(
                "Suspects ({})",
                suspects.len() + malicious.len() + audited.len()
            ),
        ),
        ("policy", format!("Policy ({})", violations.len())),
        ("diff", "Diff".to_owned()),
    ];
    let content = match tab {
        "components" => {
            let filter = params.filter.clone().unwrap_or_default();
            let sort = params
                .sort
                .as_deref()
                .filter(|s| matches!(*s, "type" | "license" | "findings"))
                .unwrap_or("name");
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for f in &detail.findings {
                *counts.entry(f.package.as_str()).or_default() += 1;
            }
            let needle = filter.to_lowercase();
            let rows: Vec<(String, &query::ComponentRow)> = detail
                .components
                .iter()
                .filter(|c| {
                    needle.is_empty()
                        || c.name.to_lowercase().contains(&needle)
                        || c.purl
                            .as_deref()
                            .is_some_and(|p| p.to_lowercase().contains(&needle))
                        || c.kind.contains(&needle)
                        || c.license
                            .as_deref()
                            .is_some_and(|l| l.to_lowercase().contains(&needle))
                })
                .map(|c| {
                    let identity = format!(
                        "{}\0{}\0{}",
                        c.name,
                        c.version.as_deref().unwrap_or_default(),
                        c.purl.as_deref().unwrap_or_default()
                    );
                    // Keys sort ascending: the findings order is a complement.
                    let key = match sort {
                        "type" => format!("{}\0{identity}", c.kind),
                        "license" => format!(
                            "{}\0{}\0{identity}",
                            u8::from(c.license.is_some()),
                            c.license.as_deref().unwrap_or_default()
                        ),
                        "findings" => format!(
                            "{:010}\0{identity}",
                            u32::MAX
                                - c.purl
                                    .as_deref()
                                    .and_then(|p| counts.get(p))
                                    .map_or(0, |n| u32::try_from(*n).unwrap_or(u32::MAX))
                        ),
                        _ => identity,
                    };
                    (key, c)
                })
                .collect();
            let shown = rows.len();
            let (rows, next) = query::paginate(
                rows,
                &Page {
                    limit: Some(100),
                    cursor: params.cursor.clone(),
                },
            )?;
            let header = |key: &str, label: &str| {
                html! {
                    th scope="col" {
                        @if sort == key { (label) " ↓" } @else {
                            a href={ (base) "?tab=components&filter=" (enc(&filter)) "&sort=" (key) } { (label) }
                        }
                    }
                }
            };
            html! {
                form.filter method="get" action=(base) {
                    input type="hidden" name="tab" value="components";
                    input type="hidden" name="sort" value=(sort);
                    label for="filter" { "Filter" }
                    input #filter type="search" name="filter" value=(filter) placeholder="name, purl, type or licence";
                    button type="submit" { "Filter" }
                    span.muted { (shown) " of " (detail.components.len()) }
                }
                div.table-wrap {
                    table.data {
                        thead { tr {
                            (header("name", "Name"))
                            th scope="col" { "Version" }
                            (header("type", "Type"))
                            (header("license", "Licence"))
                            th scope="col" { "purl" }
                            (header("findings", "Findings"))
                        } }
                        tbody {
                            @for c in &rows {
                                tr {
                                    td.name { (c.name) }
                                    td.mono { (c.version.as_deref().unwrap_or("")) }
                                    td { (c.kind) }
                                    td.mono { (c.license.as_deref().unwrap_or("")) }
                                    td.mono.purl {
                                        @if let Some(p) = c.purl.as_deref() {
                                            a href=(why_url(&name, &version, p)) title="Why is it here?" { (p) }
                                        }
                                    }
                                    td.num {
                                        @if let Some(n) = c.purl.as_deref().and_then(|p| counts.get(p)) {
                                            a href={ (base) "?tab=findings#" (enc(c.purl.as_deref().unwrap_or(""))) } { (n) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (pager(&format!("{base}?tab=components&filter={}&sort={sort}", enc(&filter)), next.as_deref()))
            }
        }
        "suspects" => html! {
            h2 { "Typo-squat suspects" }
            @if suspects.is_empty() {
                p.muted { "No component's name imitates a popular package of its ecosystem (built-in lists, " code { "typosquat refresh" } " lists and the names many products of this store use)." }
            } @else {
                div.table-wrap { table.data {
                    thead { tr {
                        th scope="col" { "Package" } th scope="col" { "Imitates" }
                        th scope="col" { "Technique" } th scope="col" { "Score" }
                    } }
                    tbody {
                        @for s in suspects.iter() {
                            tr {
                                td.mono.purl { a href=(why_url(&name, &version, &s.package)) title="Why is it here?" { (s.package) } }
                                td.mono { (s.imitates) }
                                td { (s.technique) }
                                td.num { (format!("{:.2}", s.score)) }
                            }
                        }
                    }
                } }
            }
            h2 { "Known-malicious packages" }
            @if malicious.is_empty() {
                p.muted { "No component is named by a malicious-package record (" code { "MAL-" } " advisories)." }
            } @else {
                (findings_table(&malicious, false, false))
            }
            h2 { "Package audits" }
            @if audited.is_empty() {
                p.muted { "No recorded audit of a package this version holds found anything (" code { "chainwatch audit package PATH --record" } "; all audits: " a href="/audits" { "Audits" } ")." }
            } @else {
                div.table-wrap { table.data {
                    thead { tr {
                        th scope="col" { "Worst" } th scope="col" { "Package" }
                        th scope="col" { "Findings" } th scope="col" { "Audited" }
                    } }
                    tbody {
                        @for a in &audited {
                            tr {
                                td { (severity(a.worst.as_deref(), false)) }
                                td.mono.purl { a href=(why_url(&name, &version, &a.purl)) title="Why is it here?" { (a.purl) } }
                                td {
                                    @for f in a.findings.as_array().map(Vec::as_slice).unwrap_or_default().iter().take(5) {
                                        div { (severity(f["severity"].as_str(), false)) " " code { (f["rule"].as_str().unwrap_or("")) } " " (f["path"].as_str().unwrap_or("")) }
                                    }
                                }
                                td { (a.audited_at) }
                            }
                        }
                    }
                } }
            }
        },
        "policy" => html! {
            @if violations.is_empty() {
                p.muted { "No rule of the active policy is violated by this version's current inventory (" a href="/policy" { "the policy" } ")." }
            } @else {
                (super::policy::violations_table(&violations.iter().collect::<Vec<_>>(), false))
            }
        },
        "provenance" => html! {
            @if evidence.is_empty() {
                p.muted { "No verified attestation is about this version or its components (" code { "chainwatch verify … --product" } " or " code { "POST /api/v1/attestations" } " store them)." }
            } @else {
                div.table-wrap { table.data {
                    thead { tr {
                        th scope="col" { "About" } th scope="col" { "Format" } th scope="col" { "Builder" }
                        th scope="col" { "Source" } th scope="col" { "Signer" } th scope="col" { "Signed" } th scope="col" { "Verified" }
                    } }
                    tbody { @for e in &evidence { tr {
                        td.mono { (e.about) }
                        td { (e.format) @if let Some(p) = &e.predicate_type { div.summary.mono { (p) } } }
                        td.mono { (e.builder.as_deref().unwrap_or("")) }
                        td.mono { (e.source.as_deref().unwrap_or("")) @if let Some(r) = &e.revision { div.summary { (r) } } }
                        td.mono { (e.signer.as_deref().or(e.key.as_deref()).unwrap_or("")) @if let Some(i) = &e.issuer { div.summary { (i) } } }
                        td.nowrap { (e.signed_at.as_deref().unwrap_or("")) }
                        td.nowrap { (e.verified_at) }
                    } } }
                } }
            }
        },
        "diff" => {
            let versions = query::product_versions(&state, &caller, name.clone()).await?;
            let others: Vec<&String> = versions.iter().filter(|v| **v != version).collect();
            let against = params.against.clone().filter(|a| others.contains(&a));
            let diff = match &against {
                Some(a) => Some(
                    query::version_diff(&state, &caller, name.clone(), a.clone(), version.clone())
                        .await?,
                ),
                None => None,
            };
            html! {
                @if others.is_empty() {
                    p.muted { "This product has no other version to compare with." }
                } @else {
                    form.filter method="get" action=(base) {
                        input type="hidden" name="tab" value="diff";
                        label for="against" { "Compare with" }
                        select #against name="against" {
                            @for o in &others { option value=(o) selected[against.as_deref() == Some(o.as_str())] { (o) } }
                        }
                        button type="submit" { "Compare" }
                    }
                }
                @if let (Some(d), Some(a)) = (&diff, &against) {
                    p.muted { "From " span.mono { (a) } " to " span.mono { (version) } ": "
                        (d.components.added.len()) " added, " (d.components.removed.len()) " removed, "
                        (d.components.changed.len()) " upgraded or downgraded; "
                        (d.new_findings.len()) " new findings, " (d.resolved_findings.len()) " resolved." }
                    h2 { "New findings (" (d.new_findings.len()) ")" }
                    @if !d.new_findings.is_empty() { (findings_table(&d.new_findings.iter().collect::<Vec<_>>(), false, false)) }
                    h2 { "Resolved findings (" (d.resolved_findings.len()) ")" }
                    @if !d.resolved_findings.is_empty() { (findings_table(&d.resolved_findings.iter().collect::<Vec<_>>(), true, false)) }
                    h2 { "Versions changed (" (d.components.changed.len()) ")" }
                    @if !d.components.changed.is_empty() {
                        div.table-wrap { table.data {
                            thead { tr { th scope="col" { "Component" } th scope="col" { "From" } th scope="col" { "To" } } }
                            tbody { @for c in d.components.changed.iter().take(1000) { tr {
                                td.mono { (c.identity) } td.mono { (c.from.as_deref().unwrap_or("")) } td.mono { (c.to.as_deref().unwrap_or("")) }
                            } } }
                        } }
                    }
                    h2 { "Added (" (d.components.added.len()) ")" }
                    @if !d.components.added.is_empty() {
                        ul.hits { @for c in d.components.added.iter().take(1000) { li.mono { (c.purl.as_deref().unwrap_or(&c.identity)) } } }
                    }
                    h2 { "Removed (" (d.components.removed.len()) ")" }
                    @if !d.components.removed.is_empty() {
                        ul.hits { @for c in d.components.removed.iter().take(1000) { li.mono { (c.purl.as_deref().unwrap_or(&c.identity)) } } }
                    }
                }
            }
        }
        "documents" => html! {
            div.table-wrap {
                table.data {
                    thead { tr {
                        th scope="col" { "Id" }
                        th scope="col" { "Uploaded" }
                        th scope="col" { "Format" }
                        th scope="col" { "Components" }
                        th scope="col" { "Edges" }
                        th scope="col" { "Download" }
                    } }
                    tbody {
                        @for d in detail.history.iter().rev() {
                            tr {
                                td.num { (d.id) }
                                td.nowrap { (d.ingested) }
                                td { (d.format) " " (d.spec_version) }
                                td.num { (d.components) }
                                td.num { (d.edges) }
                                td {
                                    a href={ "/documents/" (d.id) } download { "original" }
                                    @for (format, _) in query::EXPORT_FORMATS {
                                        " · " a href={ "/documents/" (d.id) "?format=" (format) } download { (format) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
        _ => {
            let can_triage = caller.token.role >= Role::Ingest;
            html! {
                @if let Some(n) = params.triaged {
                    p.notice role="status" { (n) " decisions recorded as VEX." }
                }
                @if open.is_empty() {
                    p.muted { "No findings." }
                } @else if can_triage {
                    form.triage method="post" action="/triage" {
                        (findings_table(&open, false, true))
                        (pager(&format!("{base}?tab=findings"), open_next.as_deref()))
                        (triage_fields(
                            &session,
                            &format!("{base}?tab=findings"),
                            &[("scope_product", name.as_str()), ("scope_version", version.as_str())],
                            Some(format!("Record for all {} findings of this version", detail.findings.len())),
                        ))
                    }
                } @else {
                    (findings_table(&open, false, false))
                    (pager(&format!("{base}?tab=findings"), open_next.as_deref()))
                }
            }
        }
    };
    let title = format!("{name}@{version}");
    let body = html! {
        p.crumbs { a href="/products" { "Products" } " / " (name) }
        h1 { (name) " " span.mono.version { (version) } }
        nav.tabs aria-label="Views of this version" {
            @for (id, label) in &tabs {
                @if *id == tab {
                    a href={ (base) "?tab=" (id) } aria-current="page" { (label) }
                } @else {
                    a href={ (base) "?tab=" (id) } { (label) }
                }
            }
        }
        (content)
    };
    Ok(page(&caller, &session, Nav::Products, &title, "", &body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FindingFilter {
    product: Option<String>,
    severity: Option<String>,
    only: Option<String>,
    cursor: Option<String>,
}

pub(crate) async fn findings(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Query(filter): Query<FindingFilter>,
) -> Answer {
    let rows = query::findings(
        &state,
        &caller,
        FindingQuery {
            product: filter.product.clone().filter(|p| !p.is_empty()),
            ..FindingQuery::default()
        },
    )
    .await?;
    let severity_filter = filter.severity.clone().unwrap_or_default();
    let only = filter.only.clone().unwrap_or_default();
    let keyed: Vec<(String, &ProductFinding)> = rows
        .iter()
        .filter(|f| severity_filter.is_empty() || level_of(f) == severity_filter)
        .filter(|f| match only.as_str() {
            "kev" => f.known_exploited,
            "malicious" => f.malicious,
            _ => true,
        })
        .map(|f| (finding_key(f), f))
        .collect();
    let total = keyed.len();
    let (shown, next) = query::paginate(
        keyed,
        &Page {
            limit: Some(100),
            cursor: filter.cursor.clone(),
        },
    )?;
    let base = format!(
        "/findings?product={}&severity={}&only={}",
        enc(filter.product.as_deref().unwrap_or("")),
        enc(&severity_filter),
        enc(&only)
    );
    let body = html! {
        h1 { "Findings" }
        form.filter method="get" action="/findings" {
            label for="product" { "Product" }
            input #product type="text" name="product" value=(filter.product.as_deref().unwrap_or(""));
            label for="severity" { "Severity" }
            select #severity name="severity" {
                option value="" { "any" }
                @for l in LEVELS {
                    option value=(l) selected[severity_filter == l] { (l) }
                }
            }
            label for="only" { "Only" }
            select #only name="only" {
                option value="" { "all" }
                option value="kev" selected[only == "kev"] { "known exploited" }
                option value="malicious" selected[only == "malicious"] { "malicious" }
            }
            button type="submit" { "Apply" }
            span.muted { (total) " findings" }
        }
        @if shown.is_empty() { p.muted { "No findings match." } } @else { (findings_table(&shown, true, false)) }
        (pager(&base, next.as_deref()))
    };
    Ok(page(
        &caller,
        &session,
        Nav::Findings,
        "Findings",
        "",
        &body,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditFilter {
    /// Only audits whose worst finding is at least this severity.
    severity: Option<String>,
    cursor: Option<String>,
}

/// The package audits recorded in the store (`audit package --record`): what each package
/// version's contents hold, and which product versions (that the caller may see) hold it.
pub(crate) async fn audits(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Query(filter): Query<AuditFilter>,
) -> Answer {
    let min = filter
        .severity
        .clone()
        .filter(|s| matches!(s.as_str(), "low" | "medium" | "high" | "critical"));
    let rows = query::audits(&state, &caller, min.clone(), None).await?;
    let total = rows.len();
    let keyed: Vec<(String, &chainwatch_store::StoredAudit)> =
        rows.iter().map(|a| (a.page_key(), a)).collect();
    let (shown, next) = query::paginate(
        keyed,
        &Page {
            limit: Some(100),
            cursor: filter.cursor.clone(),
        },
    )?;
    let base = format!("/audits?severity={}", enc(min.as_deref().unwrap_or("")));
    let body = html! {
        h1 { "Package audits" }
        p.muted { "What package contents and model files hold, read without running or loading them: "
            code { "chainwatch audit package PATH --record" } " keeps each package version's audit here, "
            code { "chainwatch audit model DIR --record" } " each Hugging Face model snapshot's." }
        form.filter method="get" action="/audits" {
            label for="severity" { "At least" }
            select #severity name="severity" {
                option value="" { "any" }
                @for l in ["critical", "high", "medium", "low"] {
                    option value=(l) selected[min.as_deref() == Some(l)] { (l) }
                }
            }
            button type="submit" { "Apply" }
            span.muted { (total) @if total == 1 { " audit" } @else { " audits" } }
        }
        @if shown.is_empty() {
            p.muted { "No recorded audit matches." }
        } @else {
            table {
                thead { tr { th { "Worst" } th { "Package" } th { "Findings" } th { "Held by" } th { "Audited" } } }
                tbody {
                    @for a in &shown {
                        tr {
                            td {
                                @match a.worst.as_deref() {
                                    Some(w) => (severity(Some(w), false)),
                                    None => span.muted { "clean" },
                                }
                            }
                            td { code { (a.purl) } }
                            td {
                                @let findings = a.findings.as_array().map(Vec::as_slice).unwrap_or_default();
                                @if findings.is_empty() { span.muted { "none" } }
                                @else {
                                    details {
                                        summary { (findings.len()) @if findings.len() == 1 { " finding" } @else { " findings" } }
                                        ul {
                                            @for f in findings {
                                                li {
                                                    (severity(f["severity"].as_str(), false)) " "
                                                    code { (f["rule"].as_str().unwrap_or("")) } " "
                                                    (f["path"].as_str().unwrap_or(""))
                                                    @if let Some(line) = f["line"].as_u64() { ":" (line) }
                                                    " — " (f["message"].as_str().unwrap_or(""))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            td {
                                @if a.products.is_empty() { span.muted { "no product" } }
                                @for (i, h) in a.products.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    a href=(version_url(&h.product, &h.version)) { (h.product) "@" (h.version) }
                                }
                            }
                            td { (a.audited_at) }
                        }
                    }
                }
            }
        }
        (pager(&base, next.as_deref()))
    };
    Ok(page(
        &caller,
        &session,
        Nav::Audits,
        "Package audits",
        "",
        &body,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
}

/// Whether text looks like an advisory identifier (`CVE-2021-44228`, `GHSA-…`, `MAL-…`).
fn advisory_like(q: &str) -> bool {
    let upper = q.to_ascii_uppercase();
    [
        "CVE-",
        "GHSA-",
        "RUSTSEC-",
        "MAL-",
        "PYSEC-",
        "GO-",
        "OSV-",
        "DSA-",
        "DLA-",
        "USN-",
        "RHSA-",
        "ALSA-",
        "ALBA-",
        "GSD-",
        "BIT-",
        "CGA-",
        "MGASA-",
        "OESA-",
        "RLSA-",
        "SUSE-",
        "OPENSUSE-",
        "UBUNTU-",
        "DEBIAN-",
        "ELA-",
        "LBSEC-",
        "HSEC-",
        "PSF-",
        "R-",
        "RXSA-",
    ]
    .iter()
    .any(|p| upper.starts_with(p))
}

pub(crate) async fn search(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Query(params): Query<SearchParams>,
) -> Answer {
    let q = params.q.trim().to_owned();
    let mut sections: Vec<Markup> = Vec::new();
    if q.is_empty() {
        sections.push(html! { p.muted { "Type a purl (" code { "pkg:npm/lodash" } "), a purl with a range (" code { "pkg:pypi/django vers:pypi/<4.2" } "), an advisory id (" code { "CVE-2021-44228" } ") or a product name." } });
    } else if q.starts_with("pkg:") {
        let mut terms = q.split_whitespace();
        let purl = terms.next().unwrap_or_default().to_owned();
        let range = terms.find(|t| t.starts_with("vers:")).map(str::to_owned);
        let (rows, next) = query::who_has_page(
            &state,
            &caller,
            purl.clone(),
            range.clone(),
            &Page {
                limit: Some(200),
                cursor: None,
            },
        )
        .await?;
        sections.push(html! {
            h2 { "Who has " span.mono { (purl) } @if let Some(r) = &range { " " span.mono { (r) } } }
            @if rows.is_empty() { p.muted { "No product version you can see has it." } } @else {
                div.table-wrap { table.data {
                    thead { tr { th scope="col" { "Product" } th scope="col" { "Version" } th scope="col" { "Package" } } }
                    tbody { @for r in &rows { tr {
                        td { a href=(version_url(&r.product, &r.version)) { (r.product) } }
                        td.mono { (r.version) }
                        td.mono { (r.package) }
                    } } }
                } }
                @if next.is_some() { p.muted { "The first 200 are shown; the API (" code { "/api/v1/query/who-has" } ") pages through all." } }
            }
        });
    } else {
        if !q.contains(char::is_whitespace) && (advisory_like(&q) || q.len() >= 6) {
            caller.require(Role::Read)?;
            let id = q.clone();
            let records = blocking(&state, move |store| store.advisories_by_id(&id)).await?;
            if !records.is_empty() {
                sections.push(html! {
                    h2 { "Advisories" }
                    ul.hits { @for r in &records {
                        li { a href=(advisory_url(&r.id)) { (r.id) } @if let Some(s) = &r.summary { " — " (s) } }
                    } }
                });
            } else if advisory_like(&q) {
                sections.push(html! { h2 { "Advisories" } p.muted { "No stored advisory carries " span.mono { (q) } "." } });
            }
        }
        let needle = q.to_lowercase();
        let matching: Vec<chainwatch_store::ProductSummary> = query::portfolio(&state, &caller)
            .await?
            .into_iter()
            .filter(|p| p.name.to_lowercase().contains(&needle))
            .take(200)
            .collect();
        if !matching.is_empty() || sections.is_empty() {
            sections.push(html! {
                h2 { "Products" }
                @if matching.is_empty() { p.muted { "No product name contains " span.mono { (q) } "." } } @else {
                    ul.hits { @for p in &matching {
                        li { a href=(version_url(&p.name, &p.version)) { (p.name) " " span.mono { (p.version) } } }
                    } }
                }
            });
        }
    }
    let body = html! {
        h1 { "Search" }
        @for s in &sections { section { (s) } }
    };
    Ok(page(&caller, &session, Nav::Search, "Search", &q, &body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TriagedParam {
    triaged: Option<usize>,
}

fn affected_value(a: &chainwatch_store::Affected) -> String {
    serde_json::to_string(&query::Target::from(a)).unwrap_or_default()
}

pub(crate) async fn advisory(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    Query(params): Query<TriagedParam>,
) -> Answer {
    caller.require(Role::Read)?;
    let can_triage = caller.token.role >= Role::Ingest;
    let lookup = id.clone();
    let records = blocking(&state, move |store| store.advisories_by_id(&lookup)).await?;
    if records.is_empty() {
        return Err(Problem::not_found(format!("no stored advisory carries `{id}`")).into());
    }
    let affected = query::affected(&state, &caller, id.clone()).await?;
    let kev = affected.iter().any(|a| a.known_exploited);
    let epss = affected
        .iter()
        .filter_map(|a| a.epss)
        .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))));
    let body = html! {
        p.crumbs { "Advisory" }
        h1.mono { (id) }
        @if kev { p.warning { "Known exploited: in CISA's Known Exploited Vulnerabilities catalog" } }
        @if let Some(e) = epss { p { "EPSS " strong { (format!("{:.1} %", e * 100.0)) } " (probability of exploitation in the next 30 days)" } }
        @for r in &records {
            section.record {
                h2 { (r.id) @if r.withdrawn.is_some() { " " span.sev.sev-unknown { "withdrawn" } } }
                @if let Some(s) = &r.summary { p.lead { (s) } }
                @if !r.aliases.is_empty() { p { "Aliases: " span.mono { (r.aliases.join(", ")) } } }
                @if !r.severity.is_empty() {
                    p { "Severity: " @for s in &r.severity {
                        @if let Some(score) = chainwatch_advisory::vector_score(&s.kind, &s.score) {
                            (severity(Some(chainwatch_advisory::Level::of_score(score).as_str()), false)) " "
                            strong { (format!("{score:.1}")) } " "
                        }
                        span.mono.vector { (s.kind) " " (s.score) } " "
                    } }
                }
                @if let Some(d) = &r.details { details { summary { "Details" } pre.details { (d) } } }
                @if !r.affected.is_empty() {
                    div.table-wrap { table.data {
                        thead { tr { th scope="col" { "Ecosystem" } th scope="col" { "Package" } th scope="col" { "Ranges" } } }
                        tbody { @for a in &r.affected { tr {
                            td { (a.package.as_ref().map_or("", |p| p.ecosystem.as_str())) }
                            td.mono { (a.package.as_ref().map_or("", |p| p.name.as_str())) }
                            td.mono { (ranges(a)) }
                        } } }
                    } }
                }
            }
        }
        section {
            h2 { "Affected product versions (" (affected.len()) ")" }
            @if let Some(n) = params.triaged {
                p.notice role="status" { (n) " decisions recorded as VEX." }
            }
            @if affected.is_empty() { p.muted { "None of the products you can see." } } @else {
                form.triage method="post" action="/triage" {
                    div.table-wrap { table.data {
                        thead { tr {
                            @if can_triage { th scope="col" { input.select-all type="checkbox" aria-label="Check all findings" hidden; } }
                            th scope="col" { "Product" } th scope="col" { "Package" } th scope="col" { "Severity" }
                            th scope="col" { "Fixed in" } th scope="col" { "VEX" }
                        } }
                        tbody { @for a in &affected { tr {
                            @if can_triage {
                                td { input type="checkbox" name="f" value=(affected_value(a)) aria-label={ "Choose " (a.product) "@" (a.version) }; }
                            }
                            td { a href=(version_url(&a.product, &a.version)) { (a.product) "@" (a.version) } }
                            td.mono { (a.package) }
                            td { (severity(a.severity.as_deref(), false)) }
                            td.mono { (a.fixed_in.join(", ")) }
                            td {
                                a.vex href={ (version_url(&a.product, &a.version)) "/findings/" (enc(&a.advisory)) "?package=" (enc(&a.package)) } {
                                    (a.vex_status.as_deref().map_or_else(|| "not set".to_owned(), |s| s.replace('_', " ")))
                                }
                            }
                        } } }
                    } }
                    @if can_triage {
                        (triage_fields(
                            &session,
                            &advisory_url(&id),
                            &[("scope_advisory", id.as_str())],
                            Some(format!("Record for all {} affected", affected.len())),
                        ))
                    }
                }
            }
        }
    };
    Ok(page(&caller, &session, Nav::Search, &id, "", &body))
}

/// An OSV `affected` entry's ranges as text: `>=1.0 <1.2.3` per range, `|` between them.
fn ranges(a: &chainwatch_advisory::osv::Affected) -> String {
    let mut out = Vec::new();
    for r in &a.ranges {
        let mut parts = Vec::new();
        for e in &r.events {
            if let Some(v) = &e.introduced {
                parts.push(format!(">={v}"));
            }
            if let Some(v) = &e.fixed {
                parts.push(format!("<{v}"));
            }
            if let Some(v) = &e.last_affected {
                parts.push(format!("<={v}"));
            }
        }
        out.push(parts.join(" "));
    }
    if !a.versions.is_empty() {
        out.push(format!("{} listed versions", a.versions.len()));
    }
    out.join(" | ")
}

#[derive(Debug, Deserialize)]
pub(crate) struct DownloadParams {
    format: Option<String>,
}

/// A stored document as a download, as uploaded or converted.
pub(crate) async fn download(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(params): Query<DownloadParams>,
) -> Answer {
    let target = query::export_format(
        Some(params.format.as_deref().unwrap_or("original")),
        &axum::http::HeaderMap::new(),
    )?;
    let (body, media, info) = query::sbom(&state, &caller, id, target).await?;
    let extension = if media.contains("json") {
        "json"
    } else if media.contains("xml") {
        "xml"
    } else if media == "application/yaml" {
        "yaml"
    } else {
        "spdx"
    };
    let file: String = format!("{}-{}-{id}.{extension}", info.product, info.version)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut r = ([(header::CONTENT_TYPE, media)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub(crate) struct FindingParams {
    package: String,
    triaged: Option<usize>,
}

/// One finding: what it is, its VEX audit trail, and a form to decide it.
pub(crate) async fn finding(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Path((name, version, advisory)): Path<(String, String, String)>,
    Query(params): Query<FindingParams>,
) -> Answer {
    let (f, history) = query::finding_history(
        &state,
        &caller,
        query::Target {
            product: name.clone(),
            version: version.clone(),
            package: params.package.clone(),
            advisory: advisory.clone(),
        },
    )
    .await?;
    let here = finding_url(&f);
    let body = html! {
        p.crumbs {
            a href="/products" { "Products" } " / "
            a href=(version_url(&name, &version)) { (name) "@" (version) } " / finding"
        }
        h1 { a href=(advisory_url(&f.advisory)) { (f.advisory) } " in " span.mono { (f.package) } }
        @if let Some(n) = params.triaged { p.notice role="status" { (n) " decision recorded as VEX." } }
        dl.facts {
            dt { "Severity" } dd { (severity(f.severity.as_deref(), f.malicious)) @if let Some(s) = f.score { " " (format!("{s:.1}")) } }
            @if let Some(s) = &f.summary { dt { "Summary" } dd { (s) } }
            @if !f.aliases.is_empty() { dt { "Aliases" } dd.mono { (f.aliases.join(", ")) } }
            dt { "EPSS" } dd { (epss(&f)) }
            dt { "Known exploited" } dd { (if f.known_exploited { "yes" } else { "no" }) }
            dt { "Fixed in" } dd.mono { (f.fixed_in.join(", ")) }
            dt { "First seen" } dd { (f.first_seen) }
            dt { "VEX" } dd { (vex_state(&f)) }
        }
        h2 { "Audit trail" }
        @if history.is_empty() { p.muted { "No VEX statement is about this finding." } } @else {
            div.table-wrap { table.data {
                thead { tr {
                    th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Analysis" }
                    th scope="col" { "Justification" } th scope="col" { "Response" } th scope="col" { "Comment" } th scope="col" { "Source" }
                } }
                tbody { @for e in history.iter().rev() { tr {
                    td.nowrap { (e.at) }
                    td { (e.author.as_deref().unwrap_or("")) }
                    td { (e.statement.analysis.as_deref().unwrap_or(e.statement.status.as_str()).replace('_', " ")) }
                    td { (e.statement.justification.as_deref().unwrap_or("").replace('_', " ")) }
                    td { (e.statement.action.as_deref().unwrap_or("")) }
                    td { (e.statement.impact.as_deref().unwrap_or("")) }
                    td { (e.format) }
                } } }
            } }
            p.muted { "The newest statement decides; nothing is ever deleted." }
        }
        @if caller.token.role >= Role::Ingest {
            form.triage method="post" action="/triage" {
                input type="hidden" name="f" value=(target_value(&f));
                (triage_fields(&session, &here, &[], None))
            }
        }
    };
    let title = format!("{} in {}@{}", f.advisory, name, version);
    Ok(page(&caller, &session, Nav::Findings, &title, "", &body))
}

/// Records a triage decision posted by a form, then goes back to the page it came from.
pub(crate) async fn triage(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Answer {
    let form = Posted(fields);
    if let Some(refused) = form.refused(&session) {
        return Ok(refused);
    }
    let field = |k: &str| form.field(k);
    let bad = |detail: String| Failure(Problem::new(crate::Code::InvalidRequest, detail));
    let decision = query::Decision {
        state: field("state").unwrap_or_default().to_owned(),
        justification: field("justification").map(str::to_owned),
        responses: field("response").map(str::to_owned).into_iter().collect(),
        detail: field("detail").map(str::to_owned),
    };
    let targets: Vec<query::Target> = if field("all").is_some() {
        if let (Some(product), Some(version)) = (field("scope_product"), field("scope_version")) {
            query::findings(
                &state,
                &caller,
                FindingQuery {
                    product: Some(product.to_owned()),
                    version: Some(version.to_owned()),
                    include_suppressed: true,
                    ..FindingQuery::default()
                },
            )
            .await?
            .iter()
            .map(query::Target::from)
            .collect()
        } else if let Some(id) = field("scope_advisory") {
            query::affected(&state, &caller, id.to_owned())
                .await?
                .iter()
                .map(query::Target::from)
                .collect()
        } else {
            return Err(bad("`all` needs a product version or an advisory".into()));
        }
    } else {
        form.values("f")
            .map(|v| {
                serde_json::from_str::<query::Target>(v)
                    .map_err(|_| bad(format!("`{v}` is not a finding of this console")))
            })
            .collect::<Result<_, _>>()?
    };
    let recorded = query::triage(&state, &caller, &decision, targets).await?;
    // Back where the form was, with the count to show (replacing an earlier one).
    let back = super::session::safe_next(field("return"));
    let (path, query_string) = back.split_once('?').unwrap_or((back.as_str(), ""));
    let mut params: Vec<&str> = query_string
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("triaged="))
        .collect();
    let count = format!("triaged={recorded}");
    params.push(&count);
    Ok(super::session::see_other(&format!(
        "{path}?{}",
        params.join("&")
    )))
}

/// Children shown per component; the rest are one link away.
const TREE_CHILDREN: usize = 200;

#[derive(Debug, Deserialize)]
pub(crate) struct WhyParams {
    purl: String,
    /// Start the tree at this component (by ordinal) instead of the root.
    node: Option<u32>,
}

/// One level of the tree under `node`: its children that lead to the package, each
/// unfolded `depth` more levels (beyond that, loaded when opened).
fn tree_level(
    index: &chainwatch_store::WhyIndex,
    purl: &str,
    children: &[u32],
    depth: usize,
    path: &[u32],
) -> Markup {
    let base = why_url(&index.product, &index.version, purl);
    html! {
        ul.tree {
            @for &child in children.iter().take(TREE_CHILDREN) {
                @if let Some(node) = index.node(child) {
                    li {
                        @if node.children.is_empty() || path.contains(&child) {
                            span class={ "leaf" @if node.target { " target" } } {
                                span.mono { (node.label) }
                                @if node.target { " " span.match { "this package" } }
                                @if path.contains(&child) { " " span.muted { "(cycle)" } }
                            }
                        } @else {
                            details open[depth > 0]
                                data-children={ (base) "&node=" (child) "&fragment=1" }
                                data-loaded=(if depth > 0 { "1" } else { "0" }) {
                                summary class=[node.target.then_some("target")] {
                                    span.mono { (node.label) }
                                    @if node.target { " " span.match { "this package" } }
                                    " " span.muted { "(" (node.children.len()) ")" }
                                }
                                @if depth > 0 {
                                    (tree_level(index, purl, &node.children, depth - 1, &[path, &[child]].concat()))
                                } @else {
                                    a.unfold href={ (base) "&node=" (child) } { "Show what it pulls in" }
                                }
                            }
                        }
                    }
                }
            }
            @if children.len() > TREE_CHILDREN {
                li.muted { "and " (children.len() - TREE_CHILDREN) " more" }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct FragmentParam {
    fragment: Option<u8>,
}

/// Why a package is in a product version: every dependency path from the root, as a
/// tree unfolded a level at a time (`?fragment=1`: one level as an HTML fragment for the
/// script; without the script, each component has a page of its own).
pub(crate) async fn why(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    Path((name, version)): Path<(String, String)>,
    Query(params): Query<WhyParams>,
    Query(fragment): Query<FragmentParam>,
) -> Answer {
    let index = query::why_index(
        &state,
        &caller,
        name.clone(),
        version.clone(),
        params.purl.clone(),
    )
    .await?;
    let start: Vec<u32> = match params.node {
        Some(n) => {
            let Some(node) = index.node(n) else {
                return Err(Problem::not_found(format!(
                    "component {n} does not lead to `{}`",
                    params.purl
                ))
                .into());
            };
            node.children.clone()
        }
        None => index.roots.clone(),
    };
    if fragment.fragment == Some(1) {
        let mut r = tree_level(&index, &params.purl, &start, 0, &[])
            .into_string()
            .into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(r);
    }
    let matches = index.targets();
    let body = html! {
        p.crumbs {
            a href="/products" { "Products" } " / "
            a href=(version_url(&name, &version)) { (name) "@" (version) } " / why"
        }
        h1 { "Why is " span.mono { (params.purl) } " here?" }
        @if matches == 0 {
            p.muted { "No component of " (name) "@" (version) " matches " span.mono { (params.purl) } "." }
        } @else {
            p.muted {
                (matches) " matching component(s). Every path from the product to them, a level at a time: "
                "open a component to see what it pulls in."
            }
            @if let Some(n) = params.node.and_then(|n| index.node(n)) {
                p { "Below " span.mono { (n.label) } " · " a href=(why_url(&name, &version, &params.purl)) { "from the root" } }
            }
            div.tree-wrap {
                (tree_level(&index, &params.purl, &start, if params.node.is_some() { 0 } else { 2 }, &[]))
            }
        }
    };
    let title = format!("Why {} in {name}@{version}", params.purl);
    Ok(page(&caller, &session, Nav::Products, &title, "", &body))
}

/// Operations (admin): advisory data and sources, the monitoring job, tokens (create,
/// revoke), webhook deliveries.
pub(crate) async fn operations(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
) -> Answer {
    operations_page(&state, &caller, &session, None).await
}

async fn operations_page(
    state: &Arc<State>,
    caller: &Caller,
    session: &Session,
    created: Option<(chainwatch_store::Token, String)>,
) -> Answer {
    let query::Operations {
        advisories: advisory_data,
        sources,
        runs,
        deliveries,
        outbox,
    } = query::operations(state, caller).await?;
    let tokens = query::tokens(state, caller).await?;
    let now = chainwatch_store::now_micros();
    let body = html! {
        h1 { "Operations" }
        @if let Some((token, secret)) = &created {
            div.notice role="status" {
                p { "Token " strong { (token.name) } " (" (token.role.as_str()) ") created. Its secret is shown this once:" }
                p { code.secret { (secret) } }
            }
        }
        section {
            h2 { "Advisory data" }
            dl.facts {
                dt { "Records" } dd { (advisory_data.records) }
                dt { "Withdrawn" } dd { (advisory_data.withdrawn) }
                dt { "Malicious-package records" } dd { (advisory_data.malicious) }
                dt { "Last import" } dd { (advisory_data.last_import.map_or_else(|| "never".to_owned(), chainwatch_store::format_micros)) }
            }
            @if sources.is_empty() {
                p.muted { "No source has been synced: " code { "chainwatch advisories update" } " or " code { "serve --update-every" } " fetch them." }
            } @else {
                div.table-wrap { table.data {
                    caption { "Sources" }
                    thead { tr { th scope="col" { "Source" } th scope="col" { "Newest record" } th scope="col" { "Synced" } } }
                    tbody { @for (source, modified, synced) in &sources { tr {
                        td.mono { (source) }
                        td.nowrap { (modified.as_deref().unwrap_or("")) }
                        td.nowrap { (chainwatch_store::format_micros(*synced)) }
                    } } }
                } }
            }
        }
        section {
            h2 { "Monitoring" }
            @if runs.is_empty() {
                p.muted { "The monitoring job has not run: " code { "serve --update-every 6h" } " updates advisories and matches the portfolio on a schedule." }
            } @else {
                div.table-wrap { table.data {
                    thead { tr {
                        th scope="col" { "Started" } th scope="col" { "Finished" } th scope="col" { "Outcome" }
                        th scope="col" { "New findings" } th scope="col" { "Resolved" } th scope="col" { "Error" }
                    } }
                    tbody { @for r in &runs { tr {
                        td.nowrap { (chainwatch_store::format_micros(r.started_at)) }
                        td.nowrap { (r.finished_at.map(chainwatch_store::format_micros).unwrap_or_default()) }
                        td { @if r.outcome == "failed" { span.sev.sev-high { "failed" } } @else { (r.outcome) } }
                        td.num { (r.new_findings) }
                        td.num { (r.resolved_findings) }
                        td { (r.error.as_deref().unwrap_or("")) }
                    } } }
                } }
            }
        }
        section {
            h2 { "Tokens" }
            div.table-wrap { table.data {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Products" }
                    th scope="col" { "Created" } th scope="col" { "Expires" } th scope="col" { "State" } th scope="col" { "" }
                } }
                tbody { @for t in &tokens { tr {
                    td { (t.name) }
                    td { (t.role.as_str()) }
                    td.mono { (t.products.as_deref().unwrap_or("all")) }
                    td.nowrap { (chainwatch_store::format_micros(t.created_at)) }
                    td.nowrap { (t.expires_at.map(chainwatch_store::format_micros).unwrap_or_default()) }
                    td { @if t.revoked_at.is_some() { "revoked" } @else if t.is_active(now) { "active" } @else { "expired" } }
                    td {
                        @if t.revoked_at.is_none() && t.is_active(now) {
                            form method="post" action="/operations/tokens/revoke" data-confirm={ "Revoke token " (t.name) "? It stops working at once." } {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="name" value=(t.name);
                                button.secondary type="submit" { "Revoke" }
                            }
                        }
                    }
                } } }
            } }
            form.triage method="post" action="/operations/tokens" {
                fieldset.triage {
                    legend { "New token" }
                    input type="hidden" name="csrf" value=(session.csrf);
                    div.fields {
                        label { "Name" input type="text" name="name" required maxlength="128"; }
                        label { "Role"
                            select name="role" {
                                option value="read" { "read" }
                                option value="ingest" { "ingest" }
                                option value="admin" { "admin" }
                            }
                        }
                        label { "Products (glob, empty: all)" input type="text" name="products" placeholder="payments-*"; }
                        label { "Expires in days (empty: never)" input type="number" name="expires_days" min="1" max="3650"; }
                    }
                    div.buttons { button type="submit" { "Create" } }
                }
            }
        }
        section {
            h2 { "Webhooks" }
            @if outbox.is_empty() { p.muted { "No notification is waiting." } } @else {
                ul.hits { @for (url, n) in &outbox { li { span.mono { (url) } ": " (n) " waiting" } } }
            }
            @if deliveries.is_empty() { p.muted { "No delivery yet." } } @else {
                div.table-wrap { table.data {
                    thead { tr {
                        th scope="col" { "Finished" } th scope="col" { "Receiver" } th scope="col" { "Event" }
                        th scope="col" { "Result" } th scope="col" { "Attempts" }
                    } }
                    tbody { @for d in &deliveries { tr {
                        td.nowrap { (chainwatch_store::format_micros(d.finished_at)) }
                        td.mono { (d.url) }
                        td { (d.event) }
                        td { @if d.delivered { "delivered" } @else { "given up" }
                             @if let Some(c) = d.response_code { " (" (c) ")" }
                             @if let Some(e) = &d.error { div.summary { (e) } } }
                        td.num { (d.attempts) }
                    } } }
                } }
            }
            p.muted { "The monitor (" code { "serve --update-every" } ") runs in one replica at a time; its runs are in the server's log." }
        }
    };
    Ok(page(
        caller,
        session,
        Nav::Operations,
        "Operations",
        "",
        &body,
    ))
}

/// Creates a token from the operations page; the page shows its secret once.
pub(crate) async fn create_token(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Answer {
    let form = Posted(fields);
    if let Some(refused) = form.refused(&session) {
        return Ok(refused);
    }
    let field = |k: &str| form.field(k);
    let days = field("expires_days")
        .map(|d| {
            d.parse::<u64>().map_err(|_| {
                Failure(Problem::new(
                    crate::Code::InvalidExpiry,
                    format!("expiry `{d}`: expected a number of days"),
                ))
            })
        })
        .transpose()?;
    let created = query::create_token(
        &state,
        &caller,
        field("name").unwrap_or_default().to_owned(),
        field("role").unwrap_or("read"),
        field("products").map(str::to_owned),
        days.map(|d| d.saturating_mul(86_400)),
    )
    .await?;
    operations_page(&state, &caller, &session, Some(created)).await
}

/// Revokes a token from the operations page.
pub(crate) async fn revoke_token(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Extension(session): Extension<Session>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Answer {
    let form = Posted(fields);
    if let Some(refused) = form.refused(&session) {
        return Ok(refused);
    }
    query::revoke_token(
        &state,
        &caller,
        form.values("name").next().unwrap_or_default().to_owned(),
    )
    .await?;
    Ok(super::session::see_other("/operations"))
}
