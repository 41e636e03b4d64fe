//! The console's session: the token secret entered once on the login page, kept in an
//! `HttpOnly; SameSite=Strict` cookie (`Secure` and `__Host-` over TLS), resolved on every
//! request as a bearer token is (so revocation works at once and replicas share nothing
//! but the store), and a CSRF field derived from it that every form carries.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, Query, Request, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{self, Session};
use crate::State;
use crate::auth::{Caller, Refusal, resolve};

/// The cookie's name: `__Host-` (the browser then insists on `Secure`, `Path=/` and no
/// `Domain`) when the console is served over TLS.
fn cookie_name(state: &State) -> &'static str {
    if state.config.secure_cookies {
        "__Host-cw_session"
    } else {
        "cw_session"
    }
}

/// The CSRF field of a session: HMAC-SHA256 of a fixed label under the token secret. It
/// needs no state on the server and cannot be computed without the secret, which the
/// page's script never sees (the cookie is `HttpOnly`).
fn csrf_of(secret: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, b"chainwatch-console-csrf-v1");
    hex(tag.as_ref())
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn session_secret(state: &State, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A state-changing request must come from a page of this console: a browser says so in
/// `Sec-Fetch-Site`, else `Origin` names the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority == host),
        // Not a browser's cross-site request (those carry one of the two headers).
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// Where to go after logging in: a path of this site, never another origin.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

pub(crate) fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn to_login(request_path: &str) -> Response {
    see_other(&format!("/login?next={}", super::layout::enc(request_path)))
}

/// Resolves the session cookie into the caller (to the login page without a valid one)
/// and checks the CSRF field and origin of every POST.
pub(crate) async fn require(
    AxumState(state): AxumState<Arc<State>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let Some(secret) = session_secret(&state, request.headers()) else {
        return to_login(&path);
    };
    let token = match resolve(&state, &secret, crate::auth::peer(&request)).await {
        Ok(token) => token,
        Err(Refusal::Unauthorized(_)) => {
            let mut r = to_login(&path);
            clear_cookie(&state, &mut r);
            return r;
        }
        Err(Refusal::TooMany(detail, _, _)) => {
            return layout::error_page(StatusCode::TOO_MANY_REQUESTS, &detail);
        }
        Err(Refusal::Failed(problem)) => {
            return layout::error_page(
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                &problem.detail,
            );
        }
    };
    let csrf = csrf_of(&secret);
    // The CSRF field is checked by the handlers, which read the form.
    if request.method() == axum::http::Method::POST && !same_origin(request.headers()) {
        return layout::error_page(
            StatusCode::FORBIDDEN,
            "a form of another site was sent here: refused",
        );
    }
    let name = crate::logging::TokenName(token.name.clone());
    request.extensions_mut().insert(Caller { token });
    request.extensions_mut().insert(Session { csrf });
    let mut response = next.run(request).await;
    response.extensions_mut().insert(name);
    response
}

/// A posted form's fields, in order (a name may repeat).
pub(crate) struct Posted(pub(crate) Vec<(String, String)>);

impl Posted {
    /// The first value of a field, trimmed; `None` when absent or empty.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every value of a field.
    pub(crate) fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The 403 page when the form's CSRF field is not the session's.
    pub(crate) fn refused(&self, session: &Session) -> Option<Response> {
        (!csrf_ok(session, self.field("csrf").unwrap_or_default())).then(|| {
            layout::error_page(
                StatusCode::FORBIDDEN,
                "the form's CSRF field is not this session's",
            )
        })
    }
}

/// Whether a form's CSRF field is the session's.
fn csrf_ok(session: &Session, field: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(session.csrf.as_bytes(), field.as_bytes())
        .is_ok()
}

fn clear_cookie(state: &State, response: &mut Response) {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        cookie_name(state)
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
}

/// The login page.
pub(crate) async fn login_page(
    AxumState(_state): AxumState<Arc<State>>,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_form(StatusCode::OK, q.next.as_deref(), None)
}

fn login_form(status: StatusCode, next: Option<&str>, error: Option<&str>) -> Response {
    let next = safe_next(next);
    let body = html! {
        main.login {
            h1 { "chainwatch" }
            p.muted { "Sign in with an API token (" code { "chainwatch token create" } ")." }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="current-password"
                    required autofocus spellcheck="false";
                button type="submit" { "Sign in" }
            }
        }
    };
    layout::bare(status, "Sign in", &body)
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    token: String,
    next: Option<String>,
}

/// Checks the token as the API would and keeps it in the session cookie.
pub(crate) async fn login(
    AxumState(state): AxumState<Arc<State>>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // A login form of another site would sign the browser into someone else's session.
    if !same_origin(&headers) {
        return layout::error_page(
            StatusCode::FORBIDDEN,
            "a form of another site was sent here: refused",
        );
    }
    let secret = form.token.trim();
    if secret.is_empty()
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return login_form(
            StatusCode::UNAUTHORIZED,
            form.next.as_deref(),
            Some("That is not a chainwatch token"),
        );
    }
    let token = match resolve(&state, secret, peer.map(|c| c.0.0)).await {
        Ok(token) => token,
        Err(Refusal::Unauthorized(detail)) => {
            return login_form(StatusCode::UNAUTHORIZED, form.next.as_deref(), Some(detail));
        }
        Err(Refusal::TooMany(detail, _, _)) => {
            return login_form(
                StatusCode::TOO_MANY_REQUESTS,
                form.next.as_deref(),
                Some(&detail),
            );
        }
        Err(Refusal::Failed(problem)) => {
            return layout::error_page(StatusCode::SERVICE_UNAVAILABLE, &problem.detail);
        }
    };
    let mut cookie = format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Strict",
        cookie_name(&state)
    );
    if state.config.secure_cookies {
        cookie.push_str("; Secure");
    }
    // A token that expires takes its session with it.
    if let Some(expires) = token.expires_at {
        let left = (expires - chainwatch_store::now_micros()) / 1_000_000;
        let _ = write!(cookie, "; Max-Age={}", left.max(0));
    }
    let mut r = see_other(&safe_next(form.next.as_deref()));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r.extensions_mut()
        .insert(crate::logging::TokenName(token.name));
    r
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// Forgets the session cookie.
pub(crate) async fn logout(
    AxumState(state): AxumState<Arc<State>>,
    axum::Extension(session): axum::Extension<Session>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&session, &form.csrf) {
        return layout::error_page(
            StatusCode::FORBIDDEN,
            "the form's CSRF field is not this session's",
        );
    }
    let mut r = see_other("/login");
    clear_cookie(&state, &mut r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/products?x=1")), "/products?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn csrf_depends_on_the_secret() {
        assert_ne!(csrf_of("cw_a"), csrf_of("cw_b"));
        assert_eq!(csrf_of("cw_a").len(), 64);
    }

    #[test]
    fn origin_checks() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h));
    }
}
