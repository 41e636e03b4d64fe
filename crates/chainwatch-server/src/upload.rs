//! SBOM uploads (`POST /api/v1/sboms`): what storing one does, shared by a request that
//! stores it at once and by the durable job that stores a large one (`jobs.rs`).

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use chainwatch_store::{IngestOptions, Prepare};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::{Problem, State};

/// What storing an SBOM did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Uploaded {
    /// False when the same document was stored for that product version before.
    stored: bool,
    /// The stored document's id.
    document: i64,
    product: String,
    version: String,
    format: String,
    digest: String,
    components: u64,
    edges: u64,
    /// Findings that appeared with this document (it is matched at once).
    new_findings: usize,
    /// Dependencies whose names imitate popular packages.
    suspects: Vec<crate::squats::Suspect>,
    /// Policy violations that appeared with the document (the active policy's).
    new_violations: usize,
}

/// How uploads are read: a compressed body, announced or not, may inflate to
/// `--max-upload` bytes and no more.
pub(crate) fn read_options(state: &State) -> chainwatch_sbom::ReadOptions {
    chainwatch_sbom::ReadOptions {
        limits: chainwatch_sbom::Limits {
            max_size: u64::try_from(state.config.max_upload).unwrap_or(u64::MAX),
            ..chainwatch_sbom::Limits::default()
        },
    }
}

/// Stores an uploaded SBOM for `caller` as `POST /api/v1/sboms` answers it: read, the
/// product scope checked before anything is written, matched at once, its names
/// checked for typo-squats, notified, the policy evaluated for its version. Also what
/// a durable upload job runs. Blocking.
pub(crate) fn ingest_upload(
    st: &State,
    caller: &Caller,
    body: &[u8],
    product: Option<String>,
    version: Option<String>,
    tags: &[String],
) -> Result<(StatusCode, Uploaded), Problem> {
    let store = &*st.store;
    let from_store = |e: chainwatch_store::StoreError| Problem::from_store(&e);
    let options = IngestOptions {
        product,
        version,
        fallback_product: None,
        read: read_options(st),
    };
    let (outcome, new_findings, suspects, new_violations) =
        match store.prepare(body, &options).map_err(from_store)? {
            Prepare::Known(outcome) => {
                caller.require_product(&outcome.product)?;
                let new_violations = if tags.is_empty() {
                    0
                } else {
                    store
                        .add_product_tags(&outcome.product, tags)
                        .map_err(from_store)?;
                    crate::notify::evaluate_policy(
                        st,
                        store,
                        Some((&outcome.product, &outcome.version)),
                        "upload",
                        false,
                    )
                    .map_err(from_store)?
                    .opened_count
                };
                (outcome, 0, Vec::new(), new_violations)
            }
            Prepare::Ready(prepared) => {
                // The scope is checked before anything is written.
                caller.require_product(&prepared.product)?;
                let outcome = store.ingest_prepared(&prepared).map_err(from_store)?;
                store
                    .add_product_tags(&outcome.product, tags)
                    .map_err(from_store)?;
                // Uploads are matched at once, never behind scheduled work.
                let report = store.rematch().map_err(from_store)?;
                let suspects = st.squats.check(store, &st.config.corpus, &prepared);
                // In the outbox before the answer goes out.
                if let Some(n) = &st.config.notifier {
                    n.findings("upload", &report);
                    n.suspects(&outcome.product, &outcome.version, &suspects);
                }
                let only = Some((outcome.product.as_str(), outcome.version.as_str()));
                let violations = crate::notify::evaluate_policy(st, store, only, "upload", false)
                    .map_err(from_store)?;
                // Advisory changes the match took up concern every product version: the
                // store enqueued their evaluation with the match.
                if report.advisory_changes > 0 {
                    st.wake_jobs();
                }
                (outcome, report.new.len(), suspects, violations.opened_count)
            }
        };
    if outcome.stored {
        st.metrics.documents_stored.fetch_add(1, Ordering::Relaxed);
        st.metrics
            .components_stored
            .fetch_add(outcome.components, Ordering::Relaxed);
    }
    let status = if outcome.stored {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Uploaded {
            stored: outcome.stored,
            document: outcome.document,
            product: outcome.product,
            version: outcome.version,
            format: outcome.format,
            digest: outcome.digest,
            components: outcome.components,
            edges: outcome.edges,
            new_findings,
            suspects,
            new_violations,
        },
    ))
}
