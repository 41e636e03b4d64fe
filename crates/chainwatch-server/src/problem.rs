//! RFC 9457 problem details: every error the API answers is `application/problem+json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A problem document. `type` is `urn:chainwatch:problem:CODE` with a stable code.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// What the access log says of a failure of ours, when the detail does not (a store
    /// that is unavailable is not named to the client).
    #[serde(skip)]
    pub cause: Option<String>,
}

/// The stable codes of problem documents (`urn:chainwatch:problem:CODE`), each with the
/// status it is answered with; `docs/server.md` lists them all (tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// No token, or one that is unknown, expired or revoked (with `WWW-Authenticate`).
    Unauthorized,
    /// The token's role does not allow the request.
    ForbiddenRole,
    /// The request concerns a product outside the token's scope, or every product while the token is scoped.
    ForbiddenProduct,
    /// The token's requests per minute are used up (with `Retry-After`).
    RateLimited,
    /// An upload or a question the store refuses: an unreadable document, an invalid purl or range, a document that names no product.
    InvalidInput,
    /// An uploaded VEX document that cannot be read.
    InvalidVex,
    /// An uploaded advisory (record, array or archive) that cannot be read.
    InvalidAdvisory,
    /// An uploaded attestation file that cannot be read.
    InvalidAttestation,
    /// A policy file that cannot be used (its line and column), or whose examples fail.
    InvalidPolicy,
    /// A `cursor` this API did not give.
    InvalidCursor,
    /// A `limit` outside 1–500.
    InvalidLimit,
    /// A `min_severity` other than low, medium, high or critical.
    InvalidSeverity,
    /// A findings `format` other than json or sarif.
    InvalidFormat,
    /// A token role other than read, ingest or admin.
    InvalidRole,
    /// A token `expires_in` too large to be a time.
    InvalidExpiry,
    /// A stored document asked for in a format that cannot be written (406).
    UnknownFormat,
    /// No such product, version, document, advisory or token.
    NotFound,
    /// The store does not answer (`/readyz`).
    StoreUnavailable,
    /// A body above `--max-upload`, after decompression.
    TooLarge,
    /// The request took longer than `--timeout`.
    Timeout,
    /// A method the endpoint does not have.
    MethodNotAllowed,
    /// A body in a content type or encoding the endpoint does not read.
    UnsupportedMediaType,
    /// Anything else the HTTP layer refuses (a malformed query, a missing parameter, an unknown path).
    InvalidRequest,
    /// Chainwatch itself failed.
    Internal,
}

impl Code {
    pub const ALL: &[Code] = &[
        Code::Unauthorized,
        Code::ForbiddenRole,
        Code::ForbiddenProduct,
        Code::RateLimited,
        Code::InvalidInput,
        Code::InvalidVex,
        Code::InvalidAdvisory,
        Code::InvalidAttestation,
        Code::InvalidPolicy,
        Code::InvalidCursor,
        Code::InvalidLimit,
        Code::InvalidSeverity,
        Code::InvalidFormat,
        Code::InvalidRole,
        Code::InvalidExpiry,
        Code::UnknownFormat,
        Code::NotFound,
        Code::StoreUnavailable,
        Code::TooLarge,
        Code::Timeout,
        Code::MethodNotAllowed,
        Code::UnsupportedMediaType,
        Code::InvalidRequest,
        Code::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthorized => "unauthorized",
            Code::ForbiddenRole => "forbidden-role",
            Code::ForbiddenProduct => "forbidden-product",
            Code::RateLimited => "rate-limited",
            Code::InvalidInput => "invalid-input",
            Code::InvalidVex => "invalid-vex",
            Code::InvalidAdvisory => "invalid-advisory",
            Code::InvalidAttestation => "invalid-attestation",
            Code::InvalidPolicy => "invalid-policy",
            Code::InvalidCursor => "invalid-cursor",
            Code::InvalidLimit => "invalid-limit",
            Code::InvalidSeverity => "invalid-severity",
            Code::InvalidFormat => "invalid-format",
            Code::InvalidRole => "invalid-role",
            Code::InvalidExpiry => "invalid-expiry",
            Code::UnknownFormat => "unknown-format",
            Code::NotFound => "not-found",
            Code::StoreUnavailable => "store-unavailable",
            Code::TooLarge => "too-large",
            Code::Timeout => "timeout",
            Code::MethodNotAllowed => "method-not-allowed",
            Code::UnsupportedMediaType => "unsupported-media-type",
            Code::InvalidRequest => "invalid-request",
            Code::Internal => "internal",
        }
    }

    /// The status a problem with this code is answered with (problems the HTTP layer
    /// raises keep that layer's status).
    pub fn status(self) -> StatusCode {
        match self {
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::ForbiddenRole | Code::ForbiddenProduct => StatusCode::FORBIDDEN,
            Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Code::InvalidInput
            | Code::InvalidVex
            | Code::InvalidAdvisory
            | Code::InvalidAttestation
            | Code::InvalidPolicy
            | Code::InvalidCursor
            | Code::InvalidLimit
            | Code::InvalidSeverity
            | Code::InvalidFormat
            | Code::InvalidRole
            | Code::InvalidExpiry
            | Code::InvalidRequest => StatusCode::BAD_REQUEST,
            Code::UnknownFormat => StatusCode::NOT_ACCEPTABLE,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::Timeout => StatusCode::REQUEST_TIMEOUT,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl Problem {
    /// A problem answered with its code's status.
    pub fn new(code: Code, detail: impl Into<String>) -> Problem {
        Problem::with_status(code.status(), code, detail)
    }

    /// A problem with the status of what raised it (the HTTP layer's refusals).
    pub fn with_status(status: StatusCode, code: Code, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:chainwatch:problem:{}", code.as_str()),
            title: status.canonical_reason().unwrap_or("error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            cause: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(Code::NotFound, detail)
    }

    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(Code::Internal, detail)
    }

    /// A store error: the caller's input (400, or 404 for what does not exist) or ours.
    pub fn from_store(e: &chainwatch_store::StoreError) -> Problem {
        match e {
            chainwatch_store::StoreError::NotFound(m) => Problem::not_found(m.clone()),
            chainwatch_store::StoreError::Read(chainwatch_sbom::ReadError::Input(
                chainwatch_sbom::InputError::TooLarge { .. },
            )) => Problem::new(Code::TooLarge, e.to_string()),
            e if e.is_input() => Problem::new(Code::InvalidInput, e.to_string()),
            e if e.is_unavailable() => Problem {
                cause: Some(e.to_string()),
                ..Problem::new(
                    Code::StoreUnavailable,
                    "the store is unavailable: try again later",
                )
            },
            e => Problem::internal(e.to_string()),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        if status.is_server_error() {
            let cause = self.cause.unwrap_or(self.detail);
            response
                .extensions_mut()
                .insert(crate::logging::Cause(cause));
        }
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    /// Every code is documented in docs/server.md, with its status.
    #[test]
    fn every_code_is_documented() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/server.md"),
        )
        .expect("docs/server.md");
        let missing: Vec<&str> = Code::ALL
            .iter()
            .filter(|c| !docs.contains(&format!("| `{}` | {} |", c.as_str(), c.status().as_u16())))
            .map(|c| c.as_str())
            .collect();
        assert!(
            missing.is_empty(),
            "docs/server.md lacks a row `| `CODE` | STATUS | … |` for {missing:?}"
        );
    }
}
