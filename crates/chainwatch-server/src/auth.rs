//! Bearer tokens: generated secrets (only their SHA-256 is stored), the caller a token
//! makes, its role and product scope, the per-token rate limit, and the limit on failed
//! authentications per client address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chainwatch_store::{Role, Token};
use sha2::{Digest as _, Sha256};

use crate::{Code, Problem, State};

/// A new token secret (`cw_` and 43 base64url characters: 256 random bits) and the hash
/// the store keeps.
pub fn new_token() -> Result<(String, String), Problem> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| Problem::internal("the system random number generator failed"))?;
    let secret = format!(
        "cw_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_token(&secret);
    Ok((secret, hash))
}

/// The SHA-256 (hex) of a token secret. Secrets have 256 bits of entropy, so a fast hash
/// is enough (as for GitHub's tokens).
pub fn hash_token(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut s = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) token: Token,
}

impl Caller {
    /// 403 unless the token's role includes `role`.
    pub(crate) fn require(&self, role: Role) -> Result<(), Problem> {
        if self.token.role >= role {
            Ok(())
        } else {
            Err(Problem::new(
                Code::ForbiddenRole,
                format!(
                    "token `{}` has role `{}`; this needs `{}`",
                    self.token.name,
                    self.token.role.as_str(),
                    role.as_str()
                ),
            ))
        }
    }

    /// Whether the token may see or touch `product`.
    pub(crate) fn may(&self, product: &str) -> bool {
        self.token
            .products
            .as_deref()
            .is_none_or(|glob| chainwatch_attest::slsa::glob_matches(glob, product))
    }

    /// 403 unless the token may touch `product`.
    pub(crate) fn require_product(&self, product: &str) -> Result<(), Problem> {
        if self.may(product) {
            Ok(())
        } else {
            Err(Problem::new(
                Code::ForbiddenProduct,
                format!(
                    "token `{}` is limited to products `{}`",
                    self.token.name,
                    self.token.products.as_deref().unwrap_or("*")
                ),
            ))
        }
    }
}

/// Unknown, expired or revoked tokens a client address may present in a minute; past
/// it, its requests get 429 until the minute is over, before any token is looked up.
pub(crate) const FAILED_AUTHENTICATIONS: u32 = 30;
/// Addresses tracked before the ones whose minute is over are forgotten.
const TRACKED: usize = 4096;

/// Per client address (IPv6 by its /64, which one client usually holds whole): the
/// minute window's start and the failed authentications in it.
#[derive(Debug, Default)]
pub(crate) struct Failures(std::sync::Mutex<HashMap<IpAddr, (Instant, u32)>>);

impl Failures {
    fn key(peer: SocketAddr) -> IpAddr {
        match peer.ip() {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        }
    }

    /// `Some(time to wait)` when `peer` used up its failed authentications of the minute.
    fn blocked(&self, peer: SocketAddr) -> Option<Duration> {
        let map = self.0.lock().ok()?;
        let (start, count) = *map.get(&Self::key(peer))?;
        let elapsed = start.elapsed();
        (count >= FAILED_AUTHENTICATIONS && elapsed < Duration::from_mins(1))
            .then(|| Duration::from_mins(1).saturating_sub(elapsed))
    }

    fn record(&self, peer: SocketAddr) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        let now = Instant::now();
        if map.len() >= TRACKED {
            map.retain(|_, w| now.duration_since(w.0) < Duration::from_mins(1));
        }
        let window = map.entry(Self::key(peer)).or_insert((now, 0));
        if now.duration_since(window.0) >= Duration::from_mins(1) {
            *window = (now, 0);
        }
        window.1 = window.1.saturating_add(1);
    }
}

fn too_many(detail: String, wait: Duration) -> Response {
    let mut r = Problem::new(Code::RateLimited, detail).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn unauthorized(detail: &str) -> Response {
    let mut r = Problem::new(Code::Unauthorized, detail).into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer realm=\"chainwatch\""),
    );
    r
}

/// Resolves the bearer token (401 without a valid, active one), applies the rate limit
/// (429) and hands the caller to the handler.
pub(crate) async fn authenticate(
    AxumState(state): AxumState<Arc<State>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(secret) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive (RFC 9110): `Bearer`, `bearer`, `BEARER`.
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, secret)| secret.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
    else {
        return unauthorized("an `Authorization: Bearer TOKEN` header is required");
    };
    let token = match resolve(&state, &secret, peer(&request)).await {
        Ok(token) => token,
        Err(refusal) => return refusal.into_response(),
    };
    let name = crate::logging::TokenName(token.name.clone());
    request.extensions_mut().insert(Caller { token });
    let mut response = next.run(request).await;
    // Every answer to a known token is logged with its name, refusals too.
    if response
        .extensions()
        .get::<crate::logging::TokenName>()
        .is_none()
    {
        response.extensions_mut().insert(name);
    }
    response
}

/// The client's address, when the connection loop recorded it.
pub(crate) fn peer(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// Why a token secret was not accepted.
pub(crate) enum Refusal {
    /// Unknown, revoked or expired (401); the detail says which.
    Unauthorized(&'static str),
    /// Rate limited (429), with the time to wait; the token's name when it was known.
    TooMany(String, Duration, Option<String>),
    /// The store could not be asked.
    Failed(Problem),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthorized(detail) => unauthorized(detail),
            Refusal::TooMany(detail, wait, name) => {
                let mut r = too_many(detail, wait);
                if let Some(name) = name {
                    r.extensions_mut().insert(crate::logging::TokenName(name));
                }
                r
            }
            Refusal::Failed(problem) => problem.into_response(),
        }
    }
}

/// The active token a secret names, with the failed-authentication limit of the client
/// address and the token's rate limit applied: the one check behind the API's bearer
/// header and the console's cookie.
pub(crate) async fn resolve(
    state: &Arc<State>,
    secret: &str,
    peer: Option<SocketAddr>,
) -> Result<Token, Refusal> {
    // A client guessing tokens is stopped before its guesses cost a lookup.
    if let Some(peer) = peer
        && let Some(wait) = state.failures.blocked(peer)
    {
        return Err(Refusal::TooMany(
            format!(
                "more than {FAILED_AUTHENTICATIONS} unknown, expired or revoked tokens from `{}` in a minute",
                peer.ip()
            ),
            wait,
            None,
        ));
    }
    let failed = |detail: &'static str| {
        if let Some(peer) = peer {
            state.failures.record(peer);
        }
        Refusal::Unauthorized(detail)
    };
    let hash = hash_token(secret);
    let store = state.store.clone();
    let token = match tokio::task::spawn_blocking(move || store.token_by_hash(&hash)).await {
        Ok(Ok(Some(t))) => t,
        Ok(Ok(None)) => return Err(failed("unknown token")),
        Ok(Err(e)) => return Err(Refusal::Failed(Problem::from_store(&e))),
        Err(_) => {
            return Err(Refusal::Failed(Problem::internal(
                "the token lookup failed",
            )));
        }
    };
    if token.revoked_at.is_some() {
        return Err(failed("the token was revoked"));
    }
    if !token.is_active(chainwatch_store::now_micros()) {
        return Err(failed("the token has expired"));
    }
    if let Some(wait) = over_limit(state, token.id) {
        return Err(Refusal::TooMany(
            format!(
                "more than {} requests in a minute for token `{}`",
                state.config.rate_limit, token.name
            ),
            wait,
            Some(token.name),
        ));
    }
    Ok(token)
}

/// `Some(time to wait)` when the token used up its requests of the current minute.
fn over_limit(state: &State, token: i64) -> Option<Duration> {
    let mut windows = state.windows.lock().ok()?;
    let now = Instant::now();
    let window = windows.entry(token).or_insert((now, 0));
    if now.duration_since(window.0) >= Duration::from_mins(1) {
        *window = (now, 0);
    }
    window.1 = window.1.saturating_add(1);
    (window.1 > state.config.rate_limit)
        .then(|| Duration::from_mins(1).saturating_sub(now.duration_since(window.0)))
}
