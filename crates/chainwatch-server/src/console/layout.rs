//! The frame every console page shares (header, navigation, search box, sign-out form),
//! error pages and small pieces of markup. Text from documents and advisories is
//! attacker-controlled: it only ever goes through maud's escaping `(…)`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::{Nav, asset_version};
use crate::auth::Caller;

/// What a page needs to know of its session: the CSRF field of its forms.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) csrf: String,
}

/// Percent-encodes a path segment or query value.
pub(crate) fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut r = (status, markup.into_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="no-referrer";
            title { (title) " · chainwatch" }
            link rel="stylesheet" href={ "/assets/console.css?v=" (asset_version()) };
            link rel="icon" href={ "/assets/favicon.svg?v=" (asset_version()) } type="image/svg+xml";
            script src={ "/assets/console.js?v=" (asset_version()) } defer {}
        }
    }
}

/// A page without navigation (sign-in, errors before a session exists).
pub(crate) fn bare(status: StatusCode, title: &str, body: &Markup) -> Response {
    respond(
        status,
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(title))
                body.bare { (body) }
            }
        },
    )
}

/// An error page (the console's answer where the API gives a problem document).
pub(crate) fn error_page(status: StatusCode, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    bare(
        status,
        title,
        &html! {
            main.login {
                h1 { (status.as_u16()) " " (title) }
                p role="alert" { (detail) }
                p { a href="/" { "Back to the dashboard" } }
            }
        },
    )
}

/// A page of the console, with its navigation.
pub(crate) fn page(
    caller: &Caller,
    session: &Session,
    nav: Nav,
    title: &str,
    query: &str,
    body: &Markup,
) -> Response {
    let item = |target: Nav, href: &str, label: &str| {
        html! {
            li {
                @if target == nav {
                    a href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (label) }
                }
            }
        }
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { span.logo aria-hidden="true" { "◆" } " chainwatch" }
                    nav aria-label="Main" {
                        ul {
                            (item(Nav::Dashboard, "/", "Dashboard"))
                            (item(Nav::Products, "/products", "Products"))
                            (item(Nav::Findings, "/findings", "Findings"))
                            (item(Nav::Audits, "/audits", "Audits"))
                            (item(Nav::Policy, "/policy", "Policy"))
                            @if caller.token.role >= chainwatch_store::Role::Admin {
                                (item(Nav::Operations, "/operations", "Operations"))
                            }
                        }
                    }
                    form.search role="search" method="get" action="/search" {
                        label.visually-hidden for="q" { "Search" }
                        input #q type="search" name="q" value=(query)
                            placeholder="purl, CVE/GHSA id, product…" autocomplete="off";
                        button type="submit" { "Search" }
                    }
                    div.who {
                        span title={ "role " (caller.token.role.as_str()) } {
                            (caller.token.name)
                            @if let Some(scope) = &caller.token.products {
                                " · " span.scope { (scope) }
                            }
                        }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(session.csrf);
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    };
    let mut r = respond(StatusCode::OK, markup);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A severity as a badge (`critical`, `high`, `medium`, `low`, `unknown`, `malicious`).
pub(crate) fn severity(level: Option<&str>, malicious: bool) -> Markup {
    if malicious {
        return html! { span.sev.sev-malicious { "malicious" } };
    }
    let level = level
        .filter(|l| matches!(*l, "critical" | "high" | "medium" | "low" | "none"))
        .unwrap_or("unknown");
    html! { span class={ "sev sev-" (level) } { (level) } }
}

/// A link to the next page, keeping the other query parameters.
pub(crate) fn pager(base: &str, next: Option<&str>) -> Markup {
    html! {
        @if let Some(next) = next {
            nav.pager aria-label="Pages" {
                a rel="next" href={ (base) (if base.contains('?') { "&" } else { "?" }) "cursor=" (enc(next)) } { "Next page →" }
            }
        }
    }
}

/// The console URL of a product version.
pub(crate) fn version_url(product: &str, version: &str) -> String {
    format!("/products/{}/versions/{}", enc(product), enc(version))
}

/// The console URL of an advisory.
pub(crate) fn advisory_url(id: &str) -> String {
    format!("/advisories/{}", enc(id))
}

/// A problem as a console page.
pub(crate) struct Failure(pub(crate) crate::Problem);

impl From<crate::Problem> for Failure {
    fn from(p: crate::Problem) -> Failure {
        Failure(p)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = error_page(status, &self.0.detail);
        if let Some(cause) = &self.0.cause {
            r.extensions_mut()
                .insert(crate::logging::Cause(cause.clone()));
        }
        r
    }
}

pub(crate) type Answer = Result<Response, Failure>;

/// The console URL of a package's dependency paths in a product version.
pub(crate) fn why_url(product: &str, version: &str, purl: &str) -> String {
    format!("{}/why?purl={}", version_url(product, version), enc(purl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let name = "<script>alert(1)</script>\"onmouseover=";
        let out = html! { td { (name) } }.into_string();
        assert!(!out.contains("<script>"));
        assert!(out.contains("&lt;script&gt;"));
        assert_eq!(enc("@acme/web 1"), "%40acme%2Fweb%201");
    }
}
