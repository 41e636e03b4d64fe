//! The server's worker of the store's durable jobs (`chainwatch_store::Job`): SBOM
//! uploads above `--async-upload-above` and the policy evaluation of the whole
//! portfolio after changes that concern every product, run by whichever replica claims
//! them.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::notify::evaluate_policy;

// The job kind of a policy evaluation of the whole portfolio (the store enqueues it with
// the change that calls for it).
use chainwatch_store::POLICY_EVALUATION_JOB as POLICY_JOB;

/// The job kind of an SBOM upload larger than `--async-upload-above`.
pub(crate) const UPLOAD_JOB: &str = "sbom-upload";

/// How often an idle worker looks for jobs other processes enqueued.
const JOB_POLL: Duration = Duration::from_secs(2);

/// How long finished jobs stay readable (`GET /api/v1/jobs/{id}`) before they are pruned.
const JOB_KEPT: Duration = Duration::from_hours(7 * 24);

/// How often a process prunes finished jobs (when a worker is idle).
const PRUNE_EVERY: Duration = Duration::from_hours(1);

/// Runs the store's durable jobs that this server knows (large uploads, the policy
/// evaluation of the whole portfolio after a change that can alter violations): threads
/// (`--workers`) that each claim the most urgent due job, extend the claim while it runs,
/// and record its outcome; woken at once by this process's requests and every
/// [`JOB_POLL`] otherwise, for those of other replicas (or left by one that died). A
/// request while one is queued joins it. With no threads, this process only enqueues.
pub(crate) struct JobWorker {
    /// Set by a request of this process: look for a job now.
    woken: Mutex<bool>,
    wake: Condvar,
    /// The threads, until they are waited for ([`JobWorker::join`]).
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// When this process last pruned finished jobs.
    pruned: Mutex<Option<std::time::Instant>>,
}

impl JobWorker {
    /// Starts `threads` workers for the server whose state `state` is; they stop when
    /// the state is gone (after the job at hand).
    pub(crate) fn start(state: &std::sync::Weak<crate::State>, threads: usize) -> Arc<JobWorker> {
        let worker = Arc::new(JobWorker {
            woken: Mutex::new(false),
            wake: Condvar::new(),
            threads: Mutex::new(Vec::new()),
            pruned: Mutex::new(None),
        });
        let process = chainwatch_store::worker_name();
        let handles = (0..threads)
            .map(|i| {
                let (w, state) = (worker.clone(), state.clone());
                let name = format!("{process}-{i}");
                std::thread::spawn(move || w.run(&state, &name))
            })
            .collect();
        *worker
            .threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = handles;
        worker
    }

    /// One worker thread: claims and runs jobs until the server's state is gone.
    fn run(&self, state: &std::sync::Weak<crate::State>, name: &str) {
        loop {
            let Some(st) = state.upgrade() else {
                return;
            };
            let wait = match st.store.claim_job(
                &[UPLOAD_JOB, POLICY_JOB],
                name,
                st.config.job_lease,
            ) {
                Ok(Some(job)) => {
                    run_job(&st, &job);
                    Duration::ZERO
                }
                Ok(None) => {
                    self.prune(&st);
                    JOB_POLL
                }
                Err(e) => {
                    (st.log)(
                        &serde_json::json!({"event": "jobs", "state": "failed", "error": e.to_string()})
                            .to_string(),
                    );
                    JOB_POLL
                }
            };
            drop(st);
            if wait.is_zero() {
                continue;
            }
            let mut woken = self
                .woken
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let deadline = std::time::Instant::now() + wait;
            while !*woken {
                let now = std::time::Instant::now();
                if now >= deadline || state.strong_count() == 0 {
                    break;
                }
                // Short waits, so that a server gone is noticed within a second.
                let step = (deadline - now).min(Duration::from_secs(1));
                woken = self
                    .wake
                    .wait_timeout(woken, step)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
            *woken = false;
        }
    }

    /// Deletes the jobs that ended more than [`JOB_KEPT`] ago, at most every
    /// [`PRUNE_EVERY`] in this process.
    fn prune(&self, st: &crate::State) {
        {
            let mut pruned = self
                .pruned
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if pruned.is_some_and(|at| at.elapsed() < PRUNE_EVERY) {
                return;
            }
            *pruned = Some(std::time::Instant::now());
        }
        if let Err(e) = st.store.prune_jobs(JOB_KEPT) {
            (st.log)(
                &serde_json::json!({"event": "jobs", "state": "failed", "error": e.to_string()})
                    .to_string(),
            );
        }
    }

    /// Waits, at most `grace`, for the threads to finish the jobs at hand once the state
    /// is gone; `false` when some were still running (their claims run out and another
    /// worker takes their jobs over).
    pub(crate) fn join(&self, grace: Duration) -> bool {
        let threads = std::mem::take(
            &mut *self
                .threads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let deadline = std::time::Instant::now() + grace;
        while threads.iter().any(|t| !t.is_finished()) {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }

    /// Looks for a job now (one was enqueued by this process).
    pub(crate) fn wake(&self) {
        *self
            .woken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        self.wake.notify_all();
    }
}

/// Runs one job, extending its claim while it runs, and records how it ended: done,
/// failed (tried again later: the store was unavailable, the evaluation panicked), or
/// rejected (its input is unusable: never tried again).
fn run_job(st: &crate::State, job: &chainwatch_store::Job) {
    let outcome = chainwatch_store::renewing(
        st.config.job_lease / 3,
        || {
            !matches!(
                st.store.extend_job(job, st.config.job_lease, None),
                Ok(false)
            )
        },
        || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if job.kind == UPLOAD_JOB {
                    upload_job(st, job)
                } else {
                    policy_job(st, job)
                }
            }))
        },
    );
    let (text, kind) = match outcome {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            (format!("the job panicked: {what}"), Ended::Failed)
        }
    };
    let outcome = match kind {
        Ended::Done => chainwatch_store::JobOutcome::Done(&text),
        Ended::Failed => chainwatch_store::JobOutcome::Failed(&text),
        Ended::Rejected => chainwatch_store::JobOutcome::Rejected(&text),
    };
    if !matches!(kind, Ended::Done) {
        (st.log)(
            &serde_json::json!({"event": "job", "kind": job.kind, "id": job.id, "state": "failed", "error": text})
                .to_string(),
        );
    }
    if let Err(e) = st.store.finish_job(job, outcome) {
        (st.log)(
            &serde_json::json!({"event": "jobs", "state": "failed", "error": e.to_string()})
                .to_string(),
        );
    }
}

/// How a job's run ended ([`run_job`]).
enum Ended {
    Done,
    Failed,
    Rejected,
}

/// A policy evaluation of the whole portfolio: its counts, or the error.
fn policy_job(st: &crate::State, job: &chainwatch_store::Job) -> (String, Ended) {
    let source = serde_json::from_str::<serde_json::Value>(&job.input)
        .ok()
        .and_then(|v| v.get("source").and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "update".to_owned());
    match evaluate_policy(st, &st.store, None, &source, false) {
        Ok(outcome) => (
            serde_json::json!({
                "versions": outcome.versions,
                "open": outcome.open,
                "new": outcome.opened_count,
                "resolved": outcome.resolved,
            })
            .to_string(),
            Ended::Done,
        ),
        Err(e) => (e.to_string(), Ended::Failed),
    }
}

/// A large SBOM upload, stored as the request would have been (with the scope of the
/// token that sent it): what storing did, or the problem (JSON) — a client's
/// (4xx: unusable, never tried again) or the server's (tried again).
fn upload_job(st: &crate::State, job: &chainwatch_store::Job) -> (String, Ended) {
    #[derive(serde::Deserialize)]
    struct Input {
        product: Option<String>,
        version: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
        token: String,
        products: Option<String>,
    }
    let Ok(input) = serde_json::from_str::<Input>(&job.input) else {
        return (
            "the job's input is not an upload's".to_owned(),
            Ended::Rejected,
        );
    };
    let caller = crate::auth::Caller {
        token: chainwatch_store::Token {
            id: 0,
            name: input.token,
            role: chainwatch_store::Role::Ingest,
            products: input.products,
            created_at: 0,
            expires_at: None,
            revoked_at: None,
        },
    };
    let body = job.payload.as_deref().unwrap_or_default();
    match crate::upload::ingest_upload(st, &caller, body, input.product, input.version, &input.tags)
    {
        Ok((_, uploaded)) => (
            serde_json::to_string(&uploaded).unwrap_or_default(),
            Ended::Done,
        ),
        Err(problem) => {
            let ended = if problem.status < 500 {
                Ended::Rejected
            } else {
                Ended::Failed
            };
            (serde_json::to_string(&problem).unwrap_or_default(), ended)
        }
    }
}
