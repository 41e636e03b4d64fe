//! chainwatch's REST API (`chainwatch serve`): the store behind HTTP on axum, every
//! endpoint but health behind a bearer token (roles `read` < `ingest` < `admin`, optionally
//! limited to products matching a glob), request size and time limits, a per-token rate
//! limit, Prometheus metrics, structured access logs without secrets, and RFC 9457
//! problem documents for every error. The OpenAPI 3.1 document is generated from the
//! handlers (utoipa) and served at `/api/v1/openapi.json`.
//!
//! The server keeps no state but the store (and per-process counters and caches derived
//! from the store, keyed so that a change of the store is a miss), so replicas can share
//! one PostgreSQL database. Store calls are blocking and run on tokio's blocking
//! pool.

#![warn(clippy::print_stdout, clippy::print_stderr)]

mod answer;
mod api;
mod auth;
mod console;
mod jobs;
mod logging;
mod metrics;
pub mod notify;
mod policy;
mod problem;
mod query;
mod squats;
pub mod tls;
pub(crate) mod upload;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use chainwatch_store::Store;

pub use auth::{hash_token, new_token};
pub use problem::{Code, Problem};

/// Limits and settings of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest request body, after decompression (bytes).
    pub max_upload: usize,
    /// SBOM uploads larger than this (bytes, as received) are stored by a durable job:
    /// the answer is `202 Accepted` with the job's URL.
    pub async_upload_above: usize,
    /// Longest time a request may take.
    pub request_timeout: Duration,
    /// Requests per token and minute.
    pub rate_limit: u32,
    /// Where new and resolved findings of uploads are announced.
    pub notifier: Option<Arc<notify::Notifier>>,
    /// What uploads are checked for typo-squats against, besides the built-in lists and
    /// the portfolio's names (the CLI's sources: lists `typosquat refresh` keeps).
    pub corpus: chainwatch_typosquat::CorpusSources,
    /// The console's session cookie is `Secure` (and `__Host-`): set when the server is
    /// reached over TLS, its own or a proxy's.
    pub secure_cookies: bool,
    /// Threads of this process that run durable jobs (any replica's); none: this
    /// process only enqueues them.
    pub workers: usize,
    /// How long a worker's claim on a job lasts unless extended (every third of it): a
    /// job whose worker died is taken over after it.
    pub job_lease: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_upload: 512 * 1024 * 1024,
            async_upload_above: 8 * 1024 * 1024,
            request_timeout: Duration::from_mins(5),
            rate_limit: 600,
            notifier: None,
            corpus: chainwatch_typosquat::CorpusSources::default(),
            secure_cookies: false,
            workers: 1,
            job_lease: Duration::from_mins(2),
        }
    }
}

/// Where access logs go: one JSON object per request.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

pub(crate) struct State {
    pub store: Arc<Store>,
    pub config: Config,
    pub metrics: metrics::Metrics,
    pub log: LogSink,
    /// Per token id: the minute window's start and the requests in it.
    pub windows: Mutex<std::collections::HashMap<i64, (std::time::Instant, u32)>>,
    /// Failed authentications per client address.
    pub failures: auth::Failures,
    pub squats: squats::Detectors,
    /// The last dependency trees the console unfolded, by document and package.
    pub why: query::WhyCache,
    /// The dashboards computed last, per product scope.
    pub overviews: query::OverviewCache,
    /// Runs the durable jobs (the policy evaluation of the whole portfolio) in the
    /// background.
    pub jobs: std::sync::OnceLock<Arc<jobs::JobWorker>>,
}

impl State {
    /// Wakes this process's job workers (a job was enqueued: an upload, or the policy
    /// evaluation of every product version that the store enqueues with a change that
    /// calls for it).
    pub(crate) fn wake_jobs(&self) {
        if let Some(w) = self.jobs.get() {
            w.wake();
        }
    }
}

/// The whole application: the API, health and metrics, with its limits and logging, and
/// [`Config::workers`] threads running durable jobs.
///
/// Keep a reference to `store` outside the tokio runtime and drop the runtime first: a
/// PostgreSQL store's synchronous client cannot close its connections inside a runtime.
pub fn app(store: Arc<Store>, config: Config, log: LogSink) -> Router {
    api::router(state(store, config, log))
}

/// A process that only works (`chainwatch worker`): [`Config::workers`] threads running
/// the durable jobs that the replicas enqueue, until [`Workers::stop`].
pub struct Workers {
    state: Arc<State>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("workers", &self.state.config.workers)
            .finish_non_exhaustive()
    }
}

impl Workers {
    /// Starts the threads.
    pub fn start(store: Arc<Store>, config: Config, log: LogSink) -> Workers {
        Workers {
            state: state(store, config, log),
        }
    }

    /// Stops claiming jobs and waits, at most `grace`, for the jobs at hand; `false` when
    /// some were still running (their claims run out and another worker takes them
    /// over).
    pub fn stop(self, grace: Duration) -> bool {
        let jobs = self.state.jobs.get().cloned();
        drop(self.state);
        jobs.is_none_or(|j| j.join(grace))
    }
}

fn state(store: Arc<Store>, config: Config, log: LogSink) -> Arc<State> {
    let workers = config.workers;
    let state = Arc::new(State {
        store,
        config,
        metrics: metrics::Metrics::default(),
        log,
        windows: Mutex::new(std::collections::HashMap::new()),
        failures: auth::Failures::default(),
        squats: squats::Detectors::default(),
        why: query::WhyCache::default(),
        overviews: query::OverviewCache::default(),
        jobs: std::sync::OnceLock::new(),
    });
    let _ = state
        .jobs
        .set(jobs::JobWorker::start(&Arc::downgrade(&state), workers));
    state
}

/// The OpenAPI document of the API, as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::openapi()
}

/// Serves `app` on `listener` until ctrl-c or SIGTERM, finishing requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    serve_on(listener, app, Connections::default(), shutdown()).await
}

/// Serves `app` over TLS (see [`tls::config`]) as [`serve`] does.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: Router,
) -> std::io::Result<()> {
    serve_on(
        tls::Listener::new(listener, config),
        app,
        Connections::default(),
        shutdown(),
    )
    .await
}

/// How the server treats connections, so that idle, slow or too many clients cannot lock
/// the others out.
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    /// The most connections served at once; more are closed as they arrive.
    pub max: usize,
    /// A client must send each request's headers within this, and a kept-alive
    /// connection waiting for its next request is closed after it.
    pub header_timeout: Duration,
    /// How long a stopping server lets the requests in flight finish.
    pub shutdown_grace: Duration,
}

impl Default for Connections {
    fn default() -> Connections {
        Connections {
            max: 1024,
            header_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `stop` resolves, then lets the requests in flight
/// finish (at most [`Connections::shutdown_grace`]): idle connections are closed at
/// once.
pub async fn serve_on<L>(
    mut listener: L,
    app: Router,
    limits: Connections,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: Clone + Send + Sync + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Over the cap: closed at once rather than queued.
            drop(io);
            continue;
        };
        // Handlers see the client's address (`ConnectInfo`), as with axum's own loop.
        let inner = hyper_util::service::TowerToHyperService::new(app.clone());
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer.clone()));
            hyper::service::Service::call(&inner, request)
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .keep_alive(true);
        let connection =
            graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(io), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {}
    }
    Ok(())
}

/// Resolves on ctrl-c or SIGTERM (what stops `chainwatch worker`).
pub async fn stopped() {
    shutdown().await;
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
