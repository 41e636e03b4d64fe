//! The active policy over the API: applied by admins (`PUT /api/v1/policy`), its
//! violations listed (`GET /api/v1/violations`: JSON pages or SARIF). Evaluation after
//! changes is `notify::evaluate_policy`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Query, State as AxumState};
use axum::response::Response;
use chainwatch_store::{Role, Store, ViolationState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::answer::{ItemPage, answered_for, require_unscoped, sarif_requested};
use crate::auth::Caller;
use crate::query::{Page, blocking};
use crate::{Code, Problem, State};

/// A rule of the active policy.
#[derive(Debug, Serialize, ToSchema)]
struct RuleInfo {
    name: String,
    /// `info`, `warn` or `fail`.
    level: String,
    description: Option<String>,
}

/// A vulnerability policy of the active policy: the decision it records on the findings
/// its condition holds for.
#[derive(Debug, Serialize, ToSchema)]
struct AnalysisInfo {
    name: String,
    /// The CycloneDX analysis state.
    state: String,
    justification: Option<String>,
    responses: Vec<String>,
    detail: Option<String>,
    /// When it starts and stops applying (RFC 3339; `until` is the first instant it no
    /// longer applies).
    from: Option<String>,
    until: Option<String>,
    description: Option<String>,
}

/// The active policy.
#[derive(Debug, Serialize, ToSchema)]
struct PolicyInfo {
    /// False when no policy is applied (the other fields are then absent).
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// `sha256:HEX` of the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied_by: Option<String>,
    rules: Vec<RuleInfo>,
    analyses: Vec<AnalysisInfo>,
}

/// The active policy file and its rules
#[utoipa::path(
    get,
    path = "/api/v1/policy",
    responses((status = 200, body = PolicyInfo), (status = 403, body = Problem))
)]
pub(crate) async fn get_policy(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Problem> {
    caller.require(Role::Read)?;
    let set = blocking(&state, Store::policy).await?;
    let info = match set {
        None => PolicyInfo {
            active: false,
            text: None,
            digest: None,
            applied: None,
            applied_by: None,
            rules: Vec::new(),
            analyses: Vec::new(),
        },
        Some(s) => {
            let policy = chainwatch_policy::Policy::parse(&s.text).unwrap_or_default();
            let rules = policy
                .rules
                .into_iter()
                .map(|r| RuleInfo {
                    name: r.name,
                    level: r.level.as_str().to_owned(),
                    description: r.description,
                })
                .collect();
            let analyses = policy
                .analyses
                .into_iter()
                .map(|a| AnalysisInfo {
                    from: a.from.map(chainwatch_store::format_micros),
                    until: a.until.map(chainwatch_store::format_micros),
                    name: a.name,
                    state: a.state,
                    justification: a.justification,
                    responses: a.responses,
                    detail: a.detail,
                    description: a.description,
                })
                .collect();
            PolicyInfo {
                active: true,
                applied: Some(chainwatch_store::format_micros(s.applied_at)),
                applied_by: s.applied_by,
                digest: Some(s.digest),
                text: Some(s.text),
                rules,
                analyses,
            }
        }
    };
    Ok(answered_for(&caller, Json(info)))
}

/// What applying a policy did.
#[derive(Debug, Serialize, ToSchema)]
struct PolicyApplied {
    /// False when the policy was removed.
    active: bool,
    digest: Option<String>,
    rules: usize,
    /// Product versions evaluated and their components.
    versions: usize,
    components: usize,
    /// Violations that hold, appeared and no longer hold.
    open: usize,
    new: usize,
    resolved: usize,
}

/// Checks a policy text: usable (errors located by line and column) and its examples pass.
fn checked(body: &[u8]) -> Result<(String, usize), Problem> {
    if body.len() > chainwatch_policy::MAX_POLICY_BYTES {
        return Err(Problem::new(
            Code::TooLarge,
            format!(
                "the policy is larger than {} bytes",
                chainwatch_policy::MAX_POLICY_BYTES
            ),
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|e| Problem::new(Code::InvalidPolicy, format!("the policy is not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Ok((String::new(), 0));
    }
    let policy = chainwatch_policy::Policy::parse(text)
        .map_err(|e| Problem::new(Code::InvalidPolicy, e.to_string()))?;
    if let Some(why) = policy.failing_examples() {
        return Err(Problem::new(Code::InvalidPolicy, why));
    }
    Ok((text.to_owned(), policy.rules.len()))
}

/// Apply a policy file (TOML, docs/policies.md; empty: none) and evaluate it over every current inventory
#[utoipa::path(
    put,
    path = "/api/v1/policy",
    request_body(content = String, content_type = "application/toml", description = "The policy file; an empty body removes the active policy"),
    responses(
        (status = 200, body = PolicyApplied),
        (status = 400, description = "An unusable policy (line and column) or one whose examples fail; nothing changed", body = Problem),
        (status = 403, body = Problem),
        (status = 413, body = Problem),
    )
)]
pub(crate) async fn put_policy(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Admin)?;
    require_unscoped(&caller, "policies")?;
    let (text, rules) = checked(&body)?;
    apply(state, caller, text, rules).await
}

/// Remove the active policy (every violation resolves)
#[utoipa::path(
    delete,
    path = "/api/v1/policy",
    responses((status = 200, body = PolicyApplied), (status = 403, body = Problem))
)]
pub(crate) async fn delete_policy(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Problem> {
    caller.require(Role::Admin)?;
    require_unscoped(&caller, "policies")?;
    apply(state, caller, String::new(), 0).await
}

async fn apply(
    state: Arc<State>,
    caller: Caller,
    text: String,
    rules: usize,
) -> Result<Response, Problem> {
    let by = caller.token.name.clone();
    let st = state.clone();
    let (set, outcome) = blocking(&state, move |store| {
        let set = store.set_policy(&text, Some(&by))?;
        let outcome = crate::notify::evaluate_policy(&st, store, None, "policy", true)?;
        Ok((set, outcome))
    })
    .await?;
    let body = PolicyApplied {
        active: set.is_some(),
        digest: set.map(|s| s.digest),
        rules,
        versions: outcome.versions,
        components: outcome.components,
        open: outcome.open,
        new: outcome.opened_count,
        resolved: outcome.resolved,
    };
    Ok(answered_for(&caller, Json(body)))
}

/// Which violations to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ViolationParams {
    /// Only this product's
    product: Option<String>,
    /// Only this version's (with `product`)
    version: Option<String>,
    /// Only this rule's
    rule: Option<String>,
    /// At or above this level: `info`, `warn` or `fail`
    level: Option<String>,
    /// `open` (default: those that hold), `resolved` or `all`
    state: Option<String>,
    /// `json` (default: a page) or `sarif` (a SARIF 2.1.0 log of all, one rule per policy rule)
    format: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// Violations of the active policy by current inventories (those the token may see)
#[utoipa::path(
    get,
    path = "/api/v1/violations",
    params(ViolationParams),
    responses(
        (status = 200, description = "`{\"items\": [Violation], \"next\"}`, or a SARIF log", body = ItemPage),
        (status = 400, body = Problem),
        (status = 403, body = Problem),
    )
)]
pub(crate) async fn list_violations(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<ViolationParams>,
) -> Result<Response, Problem> {
    caller.require(Role::Read)?;
    let level = params
        .level
        .as_deref()
        .map(|l| {
            chainwatch_policy::RuleLevel::from_name(l).ok_or_else(|| {
                Problem::new(
                    Code::InvalidRequest,
                    format!("`level` `{l}`: expected info, warn or fail"),
                )
            })
        })
        .transpose()?;
    let violation_state = match params.state.as_deref() {
        None | Some("open") => ViolationState::Open,
        Some("resolved") => ViolationState::Resolved,
        Some("all") => ViolationState::All,
        Some(other) => {
            return Err(Problem::new(
                Code::InvalidRequest,
                format!("`state` `{other}`: expected open, resolved or all"),
            ));
        }
    };
    let sarif = sarif_requested(params.format.as_deref())?;
    let query = chainwatch_store::ViolationQuery {
        product: params.product,
        version: params.version,
        rule: params.rule,
        level,
        state: violation_state,
    };
    if sarif {
        let rows = crate::query::violations(&state, &caller, query).await?;
        return Ok(answered_for(
            &caller,
            Json(chainwatch_store::violations_sarif(&rows)),
        ));
    }
    let page = Page {
        limit: params.limit,
        cursor: params.cursor,
    };
    let (rows, next) = crate::query::violations_page(&state, &caller, query, &page).await?;
    let body = ItemPage {
        items: rows
            .iter()
            .map(chainwatch_store::StoredViolation::json)
            .collect(),
        next,
    };
    Ok(answered_for(&caller, Json(body)))
}
