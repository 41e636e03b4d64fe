//! The web console at `/`: server-rendered pages over the same queries as the API
//! (`query.rs`), the token kept in an `HttpOnly` cookie, CSRF-checked forms, a strict
//! Content-Security-Policy, and no script but one progressive-enhancement file of our
//! own. Nothing is fetched from elsewhere: stylesheet, script and icon are in the binary.

mod layout;
mod policy;
mod session;
mod views;

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest as _, Sha256};

use crate::State;

/// Which navigation item a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Dashboard,
    Products,
    Findings,
    Audits,
    Policy,
    Search,
    Operations,
}

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");
const FAVICON: &str = include_str!("assets/favicon.svg");

/// A digest prefix of the assets, in their URLs, so that they can be cached for good.
pub(crate) fn asset_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let digest = Sha256::new()
            .chain_update(CSS)
            .chain_update(JS)
            .chain_update(FAVICON)
            .finalize();
        digest[..6].iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    })
}

/// The console's routes: the sign-in page and assets for anyone, the rest behind the
/// session cookie.
pub(crate) fn router(state: &Arc<State>) -> Router<Arc<State>> {
    let pages = Router::new()
        .route("/", get(views::dashboard))
        .route("/products", get(views::products))
        .route("/products/{name}", get(views::product))
        .route("/products/{name}/versions/{version}", get(views::version))
        .route("/findings", get(views::findings))
        .route("/audits", get(views::audits))
        .route("/policy", get(policy::portfolio))
        .route(
            "/products/{name}/versions/{version}/findings/{advisory}",
            get(views::finding),
        )
        .route("/triage", post(views::triage))
        .route("/products/{name}/versions/{version}/why", get(views::why))
        .route("/operations", get(views::operations))
        .route("/operations/tokens", post(views::create_token))
        .route("/operations/tokens/revoke", post(views::revoke_token))
        .route("/search", get(views::search))
        .route("/advisories/{id}", get(views::advisory))
        .route("/documents/{id}", get(views::download))
        .route("/logout", post(session::logout))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            session::require,
        ));
    Router::new()
        .route("/login", get(session::login_page).post(session::login))
        .route("/assets/{file}", get(asset))
        .merge(pages)
        // Forms are small; uploads go through the API.
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(middleware::from_fn(headers))
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, media) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return layout::error_page(StatusCode::NOT_FOUND, "no such file"),
    };
    (
        [
            (header::CONTENT_TYPE, media),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

/// The Content-Security-Policy of every console answer: nothing but this origin's own
/// stylesheet, script and images, no inline script or style, no framing.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}
