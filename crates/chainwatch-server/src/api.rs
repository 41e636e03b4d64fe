//! The routes: `/api/v1/…` behind tokens, health and metrics, the access log.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Path, Query, Request, State as AxumState};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chainwatch_store::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi as _, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::answer::{ItemPage, answered_for, item_page, require_unscoped, sarif_requested};
use crate::auth::{Caller, authenticate};
use crate::logging::TokenName;
use crate::query::{self, Page, blocking};
use crate::upload::{Uploaded, ingest_upload, read_options};
use crate::{Code, Problem, State};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "chainwatch",
        description = "SBOMs, advisories and findings of a software portfolio. Every endpoint but `/healthz` and `/readyz` needs `Authorization: Bearer TOKEN` (`chainwatch token create`). Errors are RFC 9457 problem documents.",
    ),
    modifiers(&Security),
    security(("token" = [])),
    components(schemas(Problem))
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes with their OpenAPI description.
fn api() -> OpenApiRouter<Arc<State>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(upload_sbom))
        .routes(routes!(list_products))
        .routes(routes!(product_version))
        .routes(routes!(who_has))
        .routes(routes!(affected))
        .routes(routes!(get_sbom))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(upload_attestation))
        .routes(routes!(why))
        .routes(routes!(findings))
        .routes(routes!(audits))
        .routes(routes!(analyse_findings))
        .routes(routes!(upload_vex))
        .routes(routes!(upload_advisories))
        .routes(routes!(get_metrics))
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(
            crate::policy::get_policy,
            crate::policy::put_policy,
            crate::policy::delete_policy
        ))
        .routes(routes!(crate::policy::list_violations))
        .routes(routes!(set_tags))
}

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().into_openapi();
    complete(&mut doc);
    doc
}

/// What the handlers' annotations leave implicit, made explicit once for every
/// operation: the answers any authenticated endpoint may give (401, 408, 429, 500, 503),
/// problem documents under their own media type, and a description for every response
/// (OpenAPI requires one).
fn complete(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    const PROBLEM: &str = "application/problem+json";
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            for status in ["401", "408", "429", "500", "503"] {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(describe_status(status)));
            }
            for (status, response) in responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if response.description.is_empty() {
                    response.description = describe_status(status).to_owned();
                }
                if status.starts_with(['4', '5'])
                    && let Some(json) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM.to_owned(), json);
                }
            }
        }
    }
}

/// What an answer with this status means on every endpoint of this API.
fn describe_status(status: &str) -> &'static str {
    match status {
        "200" => "Done",
        "201" => "Stored",
        "204" => "Done; no content",
        "400" => "The request or its body is not usable; nothing changed",
        "401" => "No `Authorization: Bearer TOKEN`, or an unknown, expired or revoked token",
        "403" => "The token's role or product scope does not allow this",
        "404" => "Not found",
        "406" => "None of the formats asked for (`format`, `Accept`) is one this endpoint gives",
        "408" => "The request took longer than the server's time limit",
        "413" => "The body, inflated, is larger than the server's upload limit",
        "415" => "A `Content-Encoding` the server does not read",
        "422" => "The input was read but does not hold what is needed",
        "429" => {
            "More requests than the token's rate limit in a minute, or too many failed \
             authentications from the client's address; see `Retry-After`"
        }
        "500" => "A fault of the server; its log has the cause",
        "503" => "The store is unavailable for now; try again later",
        _ => "See the `detail` of the answer",
    }
}

pub(crate) fn router(state: Arc<State>) -> axum::Router {
    let (api, mut doc) = api().split_for_parts();
    complete(&mut doc);
    let doc = Arc::new(doc);
    let protected = api
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json((*doc).clone()) }
            }),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    axum::Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .merge(protected)
        .merge(crate::console::router(&state))
        .fallback(|| async { Problem::not_found("no such endpoint") })
        .layer(DefaultBodyLimit::max(state.config.max_upload))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(middleware::from_fn(problems))
        .layer(middleware::from_fn_with_state(state.clone(), access_log))
        .with_state(state)
}

/// Errors that axum or tower-http answered themselves (a query that does not parse, a
/// body over the limit, a timeout) as problem documents too.
async fn problems(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    // Problem documents, and the console's own error pages, stay as they are.
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/problem+json")
                || v.as_bytes().starts_with(b"text/html")
        });
    if status.as_u16() < 400 || is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => Code::TooLarge,
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => Code::Timeout,
        StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
        _ => Code::InvalidRequest,
    };
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut problem = Problem::with_status(status, code, detail).into_response();
    if let Some(token) = parts.extensions.get::<TokenName>() {
        problem.extensions_mut().insert(token.clone());
    }
    problem
}

/// One JSON line per request: time, method, path, status, duration, token name (never
/// the secret, never the query string).
async fn access_log(
    AxumState(state): AxumState<Arc<State>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status = response.status().as_u16();
    state.metrics.request(&method, status, micros);
    let token = response
        .extensions()
        .get::<TokenName>()
        .map(|t| t.0.clone());
    let mut line = serde_json::json!({
        "time": chainwatch_store::format_micros(chainwatch_store::now_micros()),
        "method": method,
        "path": path,
        "status": status,
        "duration_us": micros,
        "token": token,
    });
    // A failure of chainwatch's own is logged with its cause.
    if let Some(cause) = response.extensions().get::<crate::logging::Cause>() {
        line["error"] = serde_json::Value::String(cause.0.clone());
    }
    (state.log)(&line.to_string());
    response
}

async fn readyz(AxumState(state): AxumState<Arc<State>>) -> Response {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.schema_version()).await {
        Ok(Ok(_)) => "ready\n".into_response(),
        Ok(Err(e)) => Problem::new(Code::StoreUnavailable, e.to_string()).into_response(),
        Err(_) => Problem::internal("the readiness check failed").into_response(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadParams {
    /// The product (default: the document's subject names it)
    product: Option<String>,
    /// The product version (default: the document's subject)
    version: Option<String>,
    /// Tags added to the product (comma-separated: a team, an environment), which policy
    /// rules can be scoped by
    tags: Option<String>,
}

/// Upload an SBOM (any supported format; `Content-Encoding: gzip` or `zstd` accepted)
#[utoipa::path(
    post,
    path = "/api/v1/sboms",
    params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The SBOM document"),
    responses(
        (status = 201, description = "Stored", body = Uploaded),
        (status = 200, description = "Already stored", body = Uploaded),
        (status = 202, description = "Larger than the server's `--async-upload-above`: a durable job stores it; `Location` is the job's URL, whose `result` is then what storing did (`Uploaded`)", body = UploadAccepted),
        (status = 400, description = "Not a usable SBOM; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem),
    )
)]
async fn upload_sbom(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<UploadParams>,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Ingest)?;
    // A product named in the request is checked before the body is read at all.
    if let Some(product) = &params.product {
        caller.require_product(product)?;
    }
    let tags: Vec<String> = params
        .tags
        .as_deref()
        .map(|t| t.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let tags = chainwatch_store::clean_tags(&tags).map_err(|e| Problem::from_store(&e))?;
    if body.len() > state.config.async_upload_above {
        // Stored by a durable job: the request names who asked and what they may touch,
        // checked again when the document is read.
        let input = serde_json::json!({
            "product": params.product,
            "version": params.version,
            "tags": tags,
            "token": caller.token.name,
            "products": caller.token.products,
        })
        .to_string();
        let owner = caller.token.name.clone();
        let st = state.clone();
        let id = blocking(&state, move |store| {
            let id = store.enqueue_job(&chainwatch_store::JobRequest {
                kind: crate::jobs::UPLOAD_JOB,
                key: None,
                input: &input,
                payload: Some(&body),
                owner: Some(&owner),
                priority: 10,
                max_attempts: 3,
            })?;
            st.wake_jobs();
            Ok(id)
        })
        .await?;
        let url = format!("/api/v1/jobs/{id}");
        let accepted = UploadAccepted {
            job: id,
            state: "queued".to_owned(),
            url: url.clone(),
        };
        return Ok(answered_for(
            &caller,
            (
                StatusCode::ACCEPTED,
                [(header::LOCATION, url)],
                Json(accepted),
            ),
        ));
    }
    let st = state.clone();
    let sender = caller_of(&caller);
    let (status, stored) = tokio::task::spawn_blocking(move || {
        ingest_upload(&st, &sender, &body, params.product, params.version, &tags)
    })
    .await
    .map_err(|_| Problem::internal("a store call failed"))??;
    Ok(answered_for(&caller, (status, Json(stored))))
}

/// A copy of the caller for a blocking task.
fn caller_of(caller: &Caller) -> Caller {
    Caller {
        token: caller.token.clone(),
    }
}

/// What a large upload's answer says: the job that will store it.
#[derive(Debug, Serialize, ToSchema)]
struct UploadAccepted {
    /// The job's id
    job: i64,
    /// `queued`
    state: String,
    /// Where its state, and once done what storing did (`Uploaded`), can be read
    url: String,
}

/// A product version of the portfolio.
#[derive(Debug, Serialize, ToSchema)]
struct ProductVersion {
    name: String,
    version: String,
    /// Documents stored for it (its history).
    documents: u64,
    /// Components of its current document.
    components: u64,
    /// When its current document was stored (RFC 3339).
    updated: String,
}

/// The product versions the token may see, by name then version, a page at a time
#[utoipa::path(
    get,
    path = "/api/v1/products",
    params(Page),
    responses((status = 200, description = "`{\"items\": [ProductVersion], \"next\"}`", body = ItemPage), (status = 400, body = Problem), (status = 401, body = Problem))
)]
async fn list_products(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(page): Query<Page>,
) -> Result<Response, Problem> {
    let (rows, next) = query::products_page(&state, &caller, &page).await?;
    let items = rows
        .into_iter()
        .map(|p| {
            serde_json::to_value(ProductVersion {
                name: p.name,
                version: p.version,
                documents: p.documents,
                components: p.components,
                updated: p.updated,
            })
            .unwrap_or_default()
        })
        .collect();
    Ok(answered_for(&caller, Json(ItemPage { items, next })))
}

/// One product version: its document history and its current findings.
#[derive(Debug, Serialize, ToSchema)]
struct ProductVersionDetail {
    name: String,
    version: String,
    /// The stored documents, oldest first (the last is current).
    #[schema(value_type = Vec<Object>)]
    history: Vec<serde_json::Value>,
    /// The findings of its current inventory.
    #[schema(value_type = Vec<Object>)]
    findings: Vec<serde_json::Value>,
    /// The components of its current inventory: `{"name", "version", "purl"}`.
    #[schema(value_type = Vec<Object>)]
    components: Vec<serde_json::Value>,
}

/// A product version's history and findings
#[utoipa::path(
    get,
    path = "/api/v1/products/{name}/versions/{version}",
    params(("name" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = ProductVersionDetail), (status = 403, body = Problem), (status = 404, body = Problem))
)]
async fn product_version(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let detail = query::product_version(&state, &caller, &name, &version, false).await?;
    let detail = ProductVersionDetail {
        name,
        version,
        history: detail
            .history
            .iter()
            .map(|d| serde_json::to_value(d).unwrap_or_default())
            .collect(),
        findings: detail
            .findings
            .iter()
            .map(|f| serde_json::to_value(f).unwrap_or_default())
            .collect(),
        components: detail
            .components
            .into_iter()
            .map(|c| {
                serde_json::json!({
                    "name": c.name,
                    "version": c.version,
                    "purl": c.purl,
                })
            })
            .collect(),
    };
    Ok(answered_for(&caller, Json(detail)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WhoHasParams {
    /// The package: a purl, with or without a version
    purl: String,
    /// A vers range (`vers:pypi/>=1.0|<2.0`)
    range: Option<String>,
    /// At most this many items (1–500, default 100)
    limit: Option<usize>,
    /// The `next` cursor of the previous page
    cursor: Option<String>,
}

/// A product version that has the package.
#[derive(Debug, Serialize, ToSchema)]
struct Holder {
    product: String,
    version: String,
    /// The canonical purl found.
    package: String,
}

/// Every product version (of those the token may see) whose current inventory has the package
#[utoipa::path(
    get,
    path = "/api/v1/query/who-has",
    params(WhoHasParams),
    responses((status = 200, description = "`{\"items\": [Holder], \"next\"}`", body = ItemPage), (status = 400, body = Problem))
)]
async fn who_has(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<WhoHasParams>,
) -> Result<Response, Problem> {
    let page = Page {
        limit: params.limit,
        cursor: params.cursor,
    };
    let (rows, next) =
        query::who_has_page(&state, &caller, params.purl, params.range, &page).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            serde_json::to_value(Holder {
                product: r.product,
                version: r.version,
                package: r.package,
            })
            .unwrap_or_default()
        })
        .collect();
    Ok(answered_for(&caller, Json(ItemPage { items, next })))
}

/// Every product version (of those the token may see) affected by an advisory, by any of its identifiers
#[utoipa::path(
    get,
    path = "/api/v1/query/affected/{id}",
    params(("id" = String, Path, description = "An advisory id or alias (CVE, GHSA, …)"), Page),
    responses((status = 200, body = ItemPage), (status = 404, body = Problem))
)]
async fn affected(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(page): Query<Page>,
) -> Result<Response, Problem> {
    let rows = query::affected(&state, &caller, id).await?;
    let rows: Vec<(String, serde_json::Value)> = rows
        .iter()
        .map(|r| {
            let v = serde_json::to_value(r).unwrap_or_default();
            let key = format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                r.product,
                r.version,
                r.package,
                v["advisory"].as_str().unwrap_or_default()
            );
            (key, v)
        })
        .collect();
    Ok(answered_for(&caller, Json(item_page(rows, &page)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SbomParams {
    /// `original` (the bytes as uploaded), `cyclonedx-json`, `cyclonedx-xml`, `spdx-json`,
    /// `spdx-tv` or `spdx3-jsonld`; without it, from `Accept` (`application/vnd.cyclonedx+json`,
    /// `application/vnd.cyclonedx+xml`, `application/spdx+json`, `text/spdx`,
    /// `application/ld+json`), else `original`
    format: Option<String>,
}

/// A stored SBOM by id, as uploaded or converted
#[utoipa::path(
    get,
    path = "/api/v1/sboms/{id}",
    params(("id" = i64, Path, description = "The document id an upload answered"), SbomParams),
    responses(
        (status = 200, description = "The document", body = String),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 406, body = Problem)
    )
)]
async fn get_sbom(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(params): Query<SbomParams>,
    headers: axum::http::HeaderMap,
) -> Result<Response, Problem> {
    caller.require(Role::Read)?;
    let target = query::export_format(params.format.as_deref(), &headers)?;
    let (body, media, _) = query::sbom(&state, &caller, id, target).await?;
    Ok(answered_for(
        &caller,
        ([(header::CONTENT_TYPE, media)], body),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WhyParams {
    /// `PRODUCT` (its newest version) or `PRODUCT@VERSION`
    product: String,
    /// The package: a purl, with or without a version
    purl: String,
    /// At most this many paths (default 10, at most 100)
    max_paths: Option<usize>,
}

/// Dependency paths from a product to a package, shortest first
#[utoipa::path(
    get,
    path = "/api/v1/query/why",
    params(WhyParams),
    responses((status = 200, body = Vec<Object>), (status = 403, body = Problem), (status = 404, body = Problem))
)]
async fn why(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<WhyParams>,
) -> Result<Response, Problem> {
    caller.require(Role::Read)?;
    let product: chainwatch_store::ProductRef = params
        .product
        .parse()
        .map_err(|e| Problem::from_store(&e))?;
    let max = params.max_paths.unwrap_or(10).clamp(1, 100);
    let paths = query::why(&state, &caller, product, params.purl, max).await?;
    let rows: Vec<serde_json::Value> = paths
        .iter()
        .map(|p| serde_json::to_value(p).unwrap_or_default())
        .collect();
    Ok(answered_for(&caller, Json(rows)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FindingParams {
    /// Only this product
    product: Option<String>,
    /// Only this version of it
    version: Option<String>,
    /// Only findings at or above: `low`, `medium`, `high`, `critical`
    min_severity: Option<String>,
    /// Also findings a VEX statement suppresses
    all: Option<bool>,
    /// `json` (default: a page of findings) or `sarif` (a SARIF 2.1.0 log of all)
    format: Option<String>,
    /// At most this many items (1–500, default 100)
    limit: Option<usize>,
    /// The `next` cursor of the previous page
    cursor: Option<String>,
}

/// The findings of the current inventories (of the products the token may see)
#[utoipa::path(
    get,
    path = "/api/v1/findings",
    params(FindingParams),
    responses((status = 200, body = ItemPage, description = "A page of findings, or with `format=sarif` a SARIF log"), (status = 400, body = Problem))
)]
async fn findings(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<FindingParams>,
) -> Result<Response, Problem> {
    caller.require(Role::Read)?;
    let min_severity = params
        .min_severity
        .as_deref()
        .map(|s| {
            s.parse::<chainwatch_advisory::Level>().map_err(|_| {
                Problem::new(
                    Code::InvalidSeverity,
                    format!("`min_severity` `{s}`: expected low, medium, high or critical"),
                )
            })
        })
        .transpose()?;
    let query = chainwatch_store::FindingQuery {
        product: params.product,
        version: params.version,
        min_severity,
        include_suppressed: params.all.unwrap_or(false),
        ..chainwatch_store::FindingQuery::default()
    };
    let sarif = sarif_requested(params.format.as_deref())?;
    let rows = query::findings(&state, &caller, query).await?;
    if sarif {
        return Ok(answered_for(
            &caller,
            Json(chainwatch_store::findings_sarif(&rows)),
        ));
    }
    let page = Page {
        limit: params.limit,
        cursor: params.cursor,
    };
    let rows: Vec<(String, serde_json::Value)> = rows
        .iter()
        .map(|f| {
            let key = format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                f.product, f.version, f.package, f.advisory
            );
            (key, serde_json::to_value(f).unwrap_or_default())
        })
        .collect();
    Ok(answered_for(&caller, Json(item_page(rows, &page)?)))
}

/// The query of `GET /api/v1/audits`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Only audits whose worst finding is at or above: `low`, `medium`, `high`, `critical`
    min_severity: Option<String>,
    /// At most this many items (1–500, default 100)
    limit: Option<usize>,
    /// The `next` cursor of the previous page
    cursor: Option<String>,
}

/// The package audits recorded with `chainwatch audit package --record`, most serious first, each with the product versions (that the token may see) holding the package
#[utoipa::path(
    get,
    path = "/api/v1/audits",
    params(AuditParams),
    responses((status = 200, body = ItemPage, description = "A page of audits: `{\"purl\", \"worst\", \"findings\", \"files\", \"source\", \"audited_at\", \"products\"}`"), (status = 400, body = Problem))
)]
async fn audits(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<AuditParams>,
) -> Result<Response, Problem> {
    caller.require(Role::Read)?;
    let min = params
        .min_severity
        .as_deref()
        .map(|s| match s.parse::<chainwatch_advisory::Level>() {
            Ok(l) if l != chainwatch_advisory::Level::None => Ok(l.as_str().to_owned()),
            _ => Err(Problem::new(
                Code::InvalidSeverity,
                format!("`min_severity` `{s}`: expected low, medium, high or critical"),
            )),
        })
        .transpose()?;
    let rows = query::audits(&state, &caller, min, None).await?;
    let page = Page {
        limit: params.limit,
        cursor: params.cursor,
    };
    let rows: Vec<(String, serde_json::Value)> = rows
        .iter()
        .map(|a| (a.page_key(), serde_json::to_value(a).unwrap_or_default()))
        .collect();
    Ok(answered_for(&caller, Json(item_page(rows, &page)?)))
}

/// A triage decision (CycloneDX analysis) on findings.
#[derive(Debug, Deserialize, ToSchema)]
struct Analysis {
    /// `not_set`, `in_triage`, `exploitable`, `false_positive`, `not_affected` or `resolved`.
    state: String,
    /// A CycloneDX justification (`code_not_reachable`, …).
    justification: Option<String>,
    /// CycloneDX responses (`will_not_fix`, `update`, …).
    #[serde(default)]
    response: Vec<String>,
    /// A comment.
    detail: Option<String>,
    findings: Vec<query::Target>,
}

/// What a decision recorded.
#[derive(Debug, Serialize, ToSchema)]
struct AnalysisRecorded {
    /// Findings the decision was recorded for.
    recorded: usize,
}

/// Record a triage decision on findings, as a VEX document per product version (author: the token's name; newest decides; `not_set` withdraws)
#[utoipa::path(
    post,
    path = "/api/v1/findings/analysis",
    request_body = Analysis,
    responses((status = 201, body = AnalysisRecorded), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
async fn analyse_findings(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<Analysis>,
) -> Result<Response, Problem> {
    let decision = query::Decision {
        state: body.state,
        justification: body.justification.filter(|j| !j.is_empty()),
        responses: body.response,
        detail: body.detail.filter(|d| !d.is_empty()),
    };
    let recorded = query::triage(&state, &caller, &decision, body.findings).await?;
    Ok(answered_for(
        &caller,
        (StatusCode::CREATED, Json(AnalysisRecorded { recorded })),
    ))
}

/// What storing a VEX document did.
#[derive(Debug, Serialize, ToSchema)]
struct VexStored {
    id: i64,
    /// False when the same document was stored before.
    stored: bool,
    format: String,
    statements: usize,
}

/// Upload a VEX document (OpenVEX, CycloneDX VEX, CSAF)
#[utoipa::path(
    post,
    path = "/api/v1/vex",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = VexStored), (status = 200, body = VexStored), (status = 400, body = Problem), (status = 403, body = Problem))
)]
async fn upload_vex(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Ingest)?;
    require_unscoped(&caller, "VEX statements")?;
    // Inflated (when compressed) within the upload limit, then read.
    let text = chainwatch_sbom::text_of(&body, &read_options(&state)).map_err(|e| match e {
        chainwatch_sbom::ReadError::Input(chainwatch_sbom::InputError::TooLarge { .. }) => {
            Problem::new(Code::TooLarge, e.to_string())
        }
        e => Problem::new(Code::InvalidVex, e.to_string()),
    })?;
    let doc = chainwatch_advisory::vex::parse(text.as_bytes())
        .map_err(|e| Problem::new(Code::InvalidVex, e.to_string()))?;
    drop(text);
    let st = state.clone();
    let import = blocking(&state, move |store| {
        let import = store.import_vex(&body, &doc)?;
        if import.stored {
            st.wake_jobs();
        }
        Ok(import)
    })
    .await?;
    let status = if import.stored {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = VexStored {
        id: import.id,
        stored: import.stored,
        format: import.format,
        statements: import.statements,
    };
    Ok(answered_for(&caller, (status, Json(body))))
}

/// What importing advisories did.
#[derive(Debug, Serialize, ToSchema)]
struct AdvisoriesImported {
    records: usize,
    added: u64,
    updated: u64,
    unchanged: u64,
    /// Findings that appeared or were resolved by the import.
    new_findings: usize,
    resolved_findings: usize,
}

/// Upload OSV advisories: one record, an array of records, or a zip archive of them
#[utoipa::path(
    post,
    path = "/api/v1/advisories",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = AdvisoriesImported), (status = 400, body = Problem), (status = 403, body = Problem))
)]
async fn upload_advisories(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Ingest)?;
    require_unscoped(&caller, "advisories")?;
    // Everything is read before anything is written: a broken upload changes nothing.
    let mut records = Vec::new();
    let loaded = chainwatch_advisory::load::load_bytes_batched(
        &body,
        std::path::Path::new("upload"),
        usize::MAX,
        |batch| records.extend(batch),
    );
    if let Some(p) = loaded.problems.first() {
        let at = match (p.line, p.column) {
            (Some(l), Some(c)) => format!("line {l}, column {c}: "),
            _ => String::new(),
        };
        return Err(Problem::new(
            Code::InvalidAdvisory,
            format!("{}: {at}{}", p.path.display(), p.message),
        ));
    }
    let n = records.len();
    let st = state.clone();
    let (import, report) = blocking(&state, move |store| {
        let import = store.import_advisories(&records)?;
        let report = store.rematch()?;
        if let Some(n) = &st.config.notifier {
            n.findings("upload", &report);
        }
        st.wake_jobs();
        Ok((import, report))
    })
    .await?;
    let body = AdvisoriesImported {
        records: n,
        added: import.added,
        updated: import.updated,
        unchanged: import.unchanged,
        new_findings: report.new.len(),
        resolved_findings: report.resolved.len(),
    };
    Ok(answered_for(&caller, Json(body)))
}

/// A token as listed (never its secret).
#[derive(Debug, Serialize, ToSchema)]
struct TokenInfo {
    name: String,
    /// `read`, `ingest` or `admin`.
    role: String,
    /// The product glob it is limited to.
    products: Option<String>,
    created: String,
    expires: Option<String>,
    revoked: Option<String>,
}

impl From<&chainwatch_store::Token> for TokenInfo {
    fn from(t: &chainwatch_store::Token) -> TokenInfo {
        TokenInfo {
            name: t.name.clone(),
            role: t.role.as_str().to_owned(),
            products: t.products.clone(),
            created: chainwatch_store::format_micros(t.created_at),
            expires: t.expires_at.map(chainwatch_store::format_micros),
            revoked: t.revoked_at.map(chainwatch_store::format_micros),
        }
    }
}

/// The API tokens
#[utoipa::path(get, path = "/api/v1/tokens", responses((status = 200, body = Vec<TokenInfo>), (status = 403, body = Problem)))]
async fn list_tokens(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Problem> {
    let tokens = query::tokens(&state, &caller).await?;
    let rows: Vec<TokenInfo> = tokens.iter().map(TokenInfo::from).collect();
    Ok(answered_for(&caller, Json(rows)))
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
struct NewToken {
    name: String,
    /// `read`, `ingest` or `admin`.
    role: String,
    /// Limit it to products matching this glob.
    products: Option<String>,
    /// Seconds until it expires.
    expires_in: Option<u64>,
}

/// The created token: its secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
struct CreatedToken {
    name: String,
    role: String,
    products: Option<String>,
    expires: Option<String>,
    token: String,
}

/// Create a token
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = Problem), (status = 403, body = Problem))
)]
async fn create_token(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Json(new): Json<NewToken>,
) -> Result<Response, Problem> {
    let (token, secret) = query::create_token(
        &state,
        &caller,
        new.name,
        &new.role,
        new.products,
        new.expires_in,
    )
    .await?;
    let body = CreatedToken {
        name: token.name,
        role: token.role.as_str().to_owned(),
        products: token.products,
        expires: token.expires_at.map(chainwatch_store::format_micros),
        token: secret,
    };
    Ok(answered_for(&caller, (StatusCode::CREATED, Json(body))))
}

/// Revoke a token (it stops working at once)
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{name}",
    params(("name" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem))
)]
async fn revoke_token(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    query::revoke_token(&state, &caller, name).await?;
    Ok(answered_for(&caller, StatusCode::NO_CONTENT))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AttestationParams {
    /// The product version it is evidence of (with `version`; it must be stored)
    product: Option<String>,
    version: Option<String>,
    /// Allowed builder ids (`*` globs), comma-separated
    builder: Option<String>,
    /// The source repository the provenance must name
    source: Option<String>,
    /// The signing certificate's identity (SAN), exactly
    identity: Option<String>,
    /// The signing certificate's identity, as a regular expression
    identity_regexp: Option<String>,
    /// The OIDC issuer, exactly
    issuer: Option<String>,
}

/// What storing the attestations of a document did.
#[derive(Debug, Serialize, ToSchema)]
struct AttestationsStored {
    /// One per attestation: `stored`, `unchanged` or `rejected`, with the id or the
    /// failed check.
    #[schema(value_type = Vec<Object>)]
    attestations: Vec<serde_json::Value>,
}

/// Upload attestations (DSSE envelopes, Sigstore bundles, in-toto metadata, JSON lines):
/// verified against the public-good Sigstore root and the given identity or builders,
/// stored as evidence when they verify
#[utoipa::path(
    post,
    path = "/api/v1/attestations",
    params(AttestationParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttestationsStored), (status = 422, description = "None verified; nothing stored", body = AttestationsStored), (status = 400, body = Problem), (status = 403, body = Problem))
)]
async fn upload_attestation(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<AttestationParams>,
    body: Bytes,
) -> Result<Response, Problem> {
    caller.require(Role::Ingest)?;
    let product = match (&params.product, &params.version) {
        (Some(p), Some(v)) => {
            caller.require_product(p)?;
            Some((p.clone(), v.clone()))
        }
        (None, None) => {
            // Evidence linked by digest only may concern any product.
            if caller.token.products.is_some() {
                return Err(Problem::new(
                    Code::ForbiddenProduct,
                    "a token limited to products must name the product version (`product`, `version`)",
                ));
            }
            None
        }
        _ => {
            return Err(Problem::new(
                Code::InvalidInput,
                "`product` and `version` go together",
            ));
        }
    };
    let identity = match (params.identity, params.identity_regexp) {
        (Some(s), _) => Some(chainwatch_attest::Matcher::Exact(s)),
        (None, Some(r)) => Some(
            chainwatch_attest::Matcher::regex(&r)
                .map_err(|e| Problem::new(Code::InvalidInput, e.to_string()))?,
        ),
        (None, None) => None,
    };
    let policy = chainwatch_attest::Policy {
        threshold: 1,
        identity,
        issuer: params.issuer.map(chainwatch_attest::Matcher::Exact),
        builders: params
            .builder
            .map(|b| {
                b.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        source: params.source,
        ..chainwatch_attest::Policy::default()
    };
    let verified = chainwatch_attest::verify(&body, &policy)
        .map_err(|e| Problem::new(Code::InvalidAttestation, e.to_string()))?;
    let (rows, any) = blocking(&state, move |store| {
        let mut rows = Vec::new();
        let mut any = false;
        for v in &verified {
            if v.verified {
                let link = product.as_ref().map(|(p, v)| (p.as_str(), v.as_str()));
                let o = store.store_attestation(v, link)?;
                any = true;
                rows.push(serde_json::json!({
                    "status": if o.stored { "stored" } else { "unchanged" },
                    "id": o.id,
                    "format": v.format,
                    "builder": v.provenance.as_ref().and_then(|p| p.builder_id.clone()),
                }));
            } else {
                rows.push(serde_json::json!({
                    "status": "rejected",
                    "format": v.format,
                    "failed": v.checks.iter().filter(|c| !c.ok).map(|c| serde_json::json!({
                        "check": c.check,
                        "detail": c.detail,
                    })).collect::<Vec<_>>(),
                }));
            }
        }
        Ok((rows, any))
    })
    .await?;
    let status = if any {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(answered_for(
        &caller,
        (status, Json(AttestationsStored { attestations: rows })),
    ))
}

/// A durable job: the work a change asked for, run by a worker of any replica
#[derive(Debug, Serialize, ToSchema)]
struct JobView {
    id: i64,
    /// What it does (`policy-evaluation`)
    kind: String,
    /// `queued`, `running`, `retrying` (failed, due again at `run_at`), `done` or `dead`
    /// (given up: `error` says why)
    state: String,
    attempts: u32,
    max_attempts: u32,
    progress: Option<String>,
    /// What it did (JSON), when done
    #[schema(value_type = Option<Object>)]
    result: Option<serde_json::Value>,
    /// The last attempt's error
    error: Option<String>,
    /// The last attempt's problem document, when it had one (an upload that was not
    /// usable: `urn:chainwatch:problem:invalid-input`, with `status` and `detail`)
    #[schema(value_type = Option<Object>)]
    problem: Option<serde_json::Value>,
    /// RFC 3339
    created: String,
    /// When it is or was due (RFC 3339)
    due: String,
    started: Option<String>,
    finished: Option<String>,
}

impl From<chainwatch_store::JobStatus> for JobView {
    fn from(j: chainwatch_store::JobStatus) -> JobView {
        let time = chainwatch_store::format_micros;
        let problem = j
            .error
            .as_deref()
            .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
            .filter(|p| p.get("type").is_some());
        let error = match &problem {
            Some(p) => p["detail"].as_str().map(str::to_owned),
            None => j.error,
        };
        JobView {
            id: j.id,
            kind: j.kind,
            state: j.state,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            progress: j.progress,
            result: j.result.and_then(|r| serde_json::from_str(&r).ok()),
            error,
            problem,
            created: time(j.created_at),
            due: time(j.run_at),
            started: j.started_at.map(time),
            finished: j.finished_at.map(time),
        }
    }
}

/// The latest durable jobs, newest first (an admin token's)
#[utoipa::path(
    get,
    path = "/api/v1/jobs",
    params(("limit" = Option<usize>, Query, description = "How many (default 100, at most 1000)")),
    responses((status = 200, body = Vec<JobView>), (status = 403, body = Problem))
)]
async fn list_jobs(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<JobsParams>,
) -> Result<Response, Problem> {
    caller.require(Role::Admin)?;
    let limit = params.limit.unwrap_or(100).min(1000);
    let jobs = blocking(&state, move |store| store.jobs(limit)).await?;
    let jobs: Vec<JobView> = jobs.into_iter().map(JobView::from).collect();
    Ok(answered_for(&caller, Json(jobs)))
}

#[derive(Debug, Deserialize)]
struct JobsParams {
    limit: Option<usize>,
}

/// One durable job: its state, progress, and result or problem (an admin token's, or the token's that asked for it: the uploader of a large SBOM)
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    params(("id" = i64, Path, description = "The job")),
    responses((status = 200, body = JobView), (status = 403, body = Problem), (status = 404, body = Problem))
)]
async fn get_job(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(Problem::not_found(format!("no job `{id}`")));
    };
    let job = blocking(&state, move |store| store.job(id)).await?;
    // An admin's, or the token's that asked for it (others are told there is none).
    match job {
        Some(job)
            if caller.token.role >= Role::Admin
                || job.owner.as_deref() == Some(caller.token.name.as_str()) =>
        {
            Ok(answered_for(&caller, Json(JobView::from(job))))
        }
        _ => Err(Problem::not_found(format!("no job `{id}`"))),
    }
}

/// Prometheus metrics of this process
#[utoipa::path(
    get,
    path = "/metrics",
    responses((status = 200, content_type = "text/plain; version=0.0.4", body = String))
)]
async fn get_metrics(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Problem> {
    // The process's counters, for the operators: an admin token's.
    caller.require(Role::Admin)?;
    let up = blocking(&state, chainwatch_store::Store::schema_version)
        .await
        .is_ok();
    let text = state.metrics.render(up);
    Ok(answered_for(
        &caller,
        ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text),
    ))
}

/// A product's tags.
#[derive(Debug, Serialize, ToSchema)]
struct Tags {
    product: String,
    tags: Vec<String>,
}

/// Set a product's tags (replacing those it had: a JSON array of strings), which policy rules can be scoped by
#[utoipa::path(
    put,
    path = "/api/v1/products/{name}/tags",
    params(("name" = String, Path, description = "The product")),
    request_body(content = Vec<String>, content_type = "application/json"),
    responses((status = 200, body = Tags), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
async fn set_tags(
    AxumState(state): AxumState<Arc<State>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Json(tags): Json<Vec<String>>,
) -> Result<Response, Problem> {
    caller.require(Role::Ingest)?;
    caller.require_product(&name)?;
    let st = state.clone();
    let product = name.clone();
    let tags = blocking(&state, move |store| {
        let tags = store.set_product_tags(&product, &tags)?;
        st.wake_jobs();
        Ok(tags)
    })
    .await?;
    Ok(answered_for(
        &caller,
        Json(Tags {
            product: name,
            tags,
        }),
    ))
}
