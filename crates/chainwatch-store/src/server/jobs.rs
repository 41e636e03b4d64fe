//! The durable job queue (migration 19): work that must happen even if the process that
//! asked for it dies (the portfolio's policy re-evaluation after an advisory change, for
//! a start) is a row, enqueued in a transaction of its own or of its cause, claimed by
//! one worker of any process sharing the store for a lease (PostgreSQL: `FOR UPDATE SKIP
//! LOCKED`, so workers never wait on each other), extended while it runs, retried with
//! backoff when it fails, and dead-lettered with its reason after its last attempt (a
//! worker that died holding it counts as an attempt). Times are the database's clock.
//! Polled, no `LISTEN`/`NOTIFY`: it works through transaction-mode poolers.

use std::time::Duration;

use serde::Serialize;

use super::micros;
use crate::db::{Value, args};
use crate::{Result, Store};

/// The job kind of an evaluation of the active policy over every product version. The
/// store enqueues it itself, in the transaction of a change that can alter the
/// violations of every product (advisory changes taken up by a match, VEX, KEV or EPSS
/// imported, a product's tags set) when a policy is active: a process that dies after
/// the change cannot lose it. Requests while one is queued join it.
pub const POLICY_EVALUATION_JOB: &str = "policy-evaluation";

/// Enqueues a [`POLICY_EVALUATION_JOB`] in `db`'s transaction, when a policy is active.
pub(crate) fn request_policy_evaluation(db: &mut crate::db::Db<'_>, source: &str) -> Result<()> {
    // Active: the latest policy set, not a removal (`policies::active`, read here
    // without its text; `policies` uses this module, not the other way round).
    let active = db.query_opt(
        "SELECT 1 FROM policy_sets WHERE id = (SELECT MAX(id) FROM policy_sets) AND text <> ''",
        &[],
        |_| Ok(()),
    )?;
    if active.is_none() {
        return Ok(());
    }
    let input = serde_json::json!({ "source": source }).to_string();
    enqueue(
        db,
        &JobRequest {
            kind: POLICY_EVALUATION_JOB,
            key: Some(POLICY_EVALUATION_JOB),
            input: &input,
            payload: None,
            owner: None,
            priority: 0,
            max_attempts: 5,
        },
    )
    .map(drop)
}

/// Inserts a job due now, or joins the queued one with its key: its id.
fn enqueue(db: &mut crate::db::Db<'_>, request: &JobRequest<'_>) -> Result<i64> {
    let now = db.dialect().now_micros();
    let inserted = db.query_opt(
        &format!(
            "INSERT INTO jobs (kind, key, input, priority, state, attempts, max_attempts,
                 run_at, due_at, claimed_until, created_at, owner, payload)
             VALUES ($1, $2, $3, $4, 'queued', 0, $5, {now}, {now}, 0, {now}, $6, $7)
             ON CONFLICT (key) WHERE state = 'queued' DO NOTHING
             RETURNING id"
        ),
        &args![
            request.kind,
            request.key,
            request.input,
            request.priority,
            i64::from(request.max_attempts.max(1)),
            request.owner,
            request.payload
        ],
        |r| r.get::<i64>(0),
    )?;
    match inserted {
        Some(id) => Ok(id),
        None => db.value(
            "SELECT id FROM jobs WHERE key = $1 AND state = 'queued'",
            &args![request.key],
        ),
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, Copy)]
pub struct JobRequest<'a> {
    /// What the job does; workers claim the kinds they know.
    pub kind: &'a str,
    /// Jobs with the same key coalesce while queued: a second request joins the first
    /// one still waiting (not one already running, which may have read its input).
    pub key: Option<&'a str>,
    /// The job's input (JSON, by convention).
    pub input: &'a str,
    /// Bytes the job reads (an upload), kept until it is done or dead.
    pub payload: Option<&'a [u8]>,
    /// Who asked (a token's name): who may read the job besides an admin.
    pub owner: Option<&'a str>,
    /// Higher first; then the one due the longest.
    pub priority: i64,
    /// Attempts before it is dead-lettered.
    pub max_attempts: u32,
}

/// A job claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub input: String,
    pub payload: Option<Vec<u8>>,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub max_attempts: u32,
    /// Who claimed it.
    pub worker: String,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome<'a> {
    /// Done; its result (JSON, by convention).
    Done(&'a str),
    /// Failed: tried again after a backoff unless that was its last attempt.
    Failed(&'a str),
    /// Its input is unusable: dead at once, never tried again.
    Rejected(&'a str),
}

/// A job as `GET /api/v1/jobs/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobStatus {
    pub id: i64,
    pub kind: String,
    pub owner: Option<String>,
    /// `queued`, `running`, `retrying` (failed, due again at `run_at`), `done` or `dead`.
    pub state: String,
    pub attempts: u32,
    pub max_attempts: u32,
    pub progress: Option<String>,
    pub result: Option<String>,
    /// The last attempt's error.
    pub error: Option<String>,
    /// Microseconds since the epoch.
    pub created_at: i64,
    pub run_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// The wait before attempt `n + 1` after `n` failed: 1 s doubling, at most 10 minutes.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.saturating_sub(1).min(10)).min(Duration::from_mins(10))
}

/// The job is still this worker's claim, this attempt's (`$1` to `$3`: [`claimed`]).
const CLAIMED: &str = "id = $1 AND claimed_by = $2 AND state = 'running' AND attempts = $3";

fn claimed(job: &Job) -> Vec<Value<'_>> {
    vec![
        job.id.into(),
        job.worker.as_str().into(),
        i64::from(job.attempts).into(),
    ]
}

/// Due for a worker: waiting and due, or running under a claim that ran out (`due_at`
/// is `run_at` while waiting, `claimed_until` while running, `NULL` once finished).
fn due(now: &str) -> String {
    format!("due_at IS NOT NULL AND due_at <= {now}")
}

const STATUS_COLUMNS: &str = "id, kind, state, attempts, max_attempts, progress, result, error,
     created_at, run_at, started_at, finished_at, owner";

fn status(r: &crate::db::Row<'_>) -> Result<JobStatus> {
    Ok(JobStatus {
        id: r.get(0)?,
        kind: r.get(1)?,
        state: r.get(2)?,
        attempts: u32::try_from(r.get::<i64>(3)?).unwrap_or(u32::MAX),
        max_attempts: u32::try_from(r.get::<i64>(4)?).unwrap_or(u32::MAX),
        progress: r.get(5)?,
        result: r.get(6)?,
        error: r.get(7)?,
        created_at: r.get(8)?,
        run_at: r.get(9)?,
        started_at: r.get(10)?,
        finished_at: r.get(11)?,
        owner: r.get(12)?,
    })
}

impl Store {
    /// Enqueues a job due now; its id, or that of the queued job with the same key that
    /// it joined.
    pub fn enqueue_job(&self, request: &JobRequest<'_>) -> Result<i64> {
        self.write(|db| enqueue(db, request))
    }

    /// Claims, for `lease`, the most urgent due job of `kinds`: queued or retrying and
    /// due, or running under a lease that ran out (its worker died). A job whose worker
    /// died on its last attempt is dead-lettered instead. `None` when nothing is due.
    pub fn claim_job(&self, kinds: &[&str], worker: &str, lease: Duration) -> Result<Option<Job>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let kinds_from = |first: usize| {
            (0..kinds.len())
                .map(|k| format!("${}", k + first))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let kind_values = || kinds.iter().map(|k| Value::from(*k));
        let postgres = self.backend.dialect() == crate::schema::Dialect::Postgres;
        // SQLite: a read first, so that an idle worker's poll takes no write lock.
        // (PostgreSQL's claim below locks nothing and writes nothing when nothing is due.)
        let waiting = postgres
            || self
                .read(|db| {
                    let now = db.dialect().now_micros();
                    let sql = format!(
                        "SELECT 1 FROM jobs WHERE {} AND kind IN ({}) LIMIT 1",
                        due(now),
                        kinds_from(1)
                    );
                    db.query_opt(&sql, &kind_values().collect::<Vec<_>>(), |_| Ok(()))
                })?
                .is_some();
        if !waiting {
            return Ok(None);
        }
        self.write(|db| {
            let dialect = db.dialect();
            if postgres {
                // The index of jobs still to do, always: statistics taken during a burst
                // of enqueues price it as the whole table, and the planner then sorts a
                // scan of every job ever kept (1.1 ms a claim instead of 0.05 ms).
                db.batch("SET LOCAL enable_seqscan = off")?;
            }
            let now = dialect.now_micros();
            let skip_locked = dialect.skip_locked();
            let candidate = format!(
                "SELECT id, state, attempts, max_attempts FROM jobs
                 WHERE {} AND kind IN ({})
                 ORDER BY priority DESC, due_at, id LIMIT 1{skip_locked}",
                due(now),
                kinds_from(1)
            );
            loop {
                let Some((id, state, attempts, max_attempts)) =
                    db.query_opt(&candidate, &kind_values().collect::<Vec<_>>(), |r| {
                        Ok((
                            r.get::<i64>(0)?,
                            r.get::<String>(1)?,
                            r.get::<i64>(2)?,
                            r.get::<i64>(3)?,
                        ))
                    })?
                else {
                    return Ok(None);
                };
                if state == "running" && attempts >= max_attempts {
                    // Its worker died on the last attempt: dead, with the reason.
                    db.execute(
                        &format!(
                            "UPDATE jobs SET state = 'dead', finished_at = {now}, due_at = NULL,
                                 payload = NULL,
                                 error = COALESCE(error || '; ', '') || 'its worker `'
                                     || claimed_by || '` stopped during the last attempt'
                             WHERE id = $1"
                        ),
                        &args![id],
                    )?;
                    continue;
                }
                return db.query_opt(
                    &format!(
                        "UPDATE jobs SET state = 'running', claimed_by = $2,
                             claimed_until = {now} + $3, due_at = {now} + $3,
                             attempts = attempts + 1, started_at = COALESCE(started_at, {now})
                         WHERE id = $1
                         RETURNING id, kind, input, attempts, max_attempts, payload"
                    ),
                    &args![id, worker, micros(lease)],
                    |r| {
                        Ok(Job {
                            id: r.get(0)?,
                            kind: r.get(1)?,
                            input: r.get(2)?,
                            attempts: u32::try_from(r.get::<i64>(3)?).unwrap_or(u32::MAX),
                            max_attempts: u32::try_from(r.get::<i64>(4)?).unwrap_or(u32::MAX),
                            payload: r.get(5)?,
                            worker: worker.to_owned(),
                        })
                    },
                );
            }
        })
    }

    /// Extends the claim by `lease` from now and records its progress; `false` when the
    /// job is no longer this worker's (its lease ran out and another took it over): stop.
    pub fn extend_job(&self, job: &Job, lease: Duration, progress: Option<&str>) -> Result<bool> {
        let changed = self.write(|db| {
            let now = db.dialect().now_micros();
            db.execute(
                &format!(
                    "UPDATE jobs SET claimed_until = {now} + $4, due_at = {now} + $4,
                         progress = COALESCE($5, progress)
                     WHERE {CLAIMED}"
                ),
                &[
                    claimed(job),
                    [micros(lease).into(), progress.into()].to_vec(),
                ]
                .concat(),
            )
        })?;
        Ok(changed == 1)
    }

    /// Records how the attempt ended: done with its result; failed, again after
    /// [`backoff`] or dead-lettered after its last attempt. `false` when the job was no
    /// longer this worker's (taken over after its lease ran out): nothing recorded.
    pub fn finish_job(&self, job: &Job, outcome: JobOutcome<'_>) -> Result<bool> {
        let changed = self.write(|db| {
            let now = db.dialect().now_micros();
            let ended = format!("finished_at = {now}, due_at = NULL, payload = NULL");
            let (set, text, retry_in) = match outcome {
                JobOutcome::Done(result) => (
                    format!("state = 'done', result = $4, {ended}"),
                    result,
                    None,
                ),
                JobOutcome::Rejected(error) => {
                    (format!("state = 'dead', error = $4, {ended}"), error, None)
                }
                JobOutcome::Failed(error) if job.attempts >= job.max_attempts => {
                    (format!("state = 'dead', error = $4, {ended}"), error, None)
                }
                JobOutcome::Failed(error) => (
                    format!(
                        "state = 'retrying', error = $4, run_at = {now} + $5, due_at = {now} + $5"
                    ),
                    error,
                    Some(backoff(job.attempts)),
                ),
            };
            let mut params = claimed(job);
            params.push(text.into());
            params.extend(retry_in.map(|d| Value::from(micros(d))));
            db.execute(
                &format!("UPDATE jobs SET {set}, claimed_until = 0 WHERE {CLAIMED}"),
                &params,
            )
        })?;
        Ok(changed == 1)
    }

    /// Deletes the jobs that ended (done or dead) more than `age` ago; how many.
    pub fn prune_jobs(&self, age: Duration) -> Result<u64> {
        self.write(|db| {
            let now = db.dialect().now_micros();
            db.execute(
                &format!("DELETE FROM jobs WHERE due_at IS NULL AND finished_at < {now} - $1"),
                &args![micros(age)],
            )
        })
    }

    /// One job's state.
    pub fn job(&self, id: i64) -> Result<Option<JobStatus>> {
        self.read(|db| {
            db.query_opt(
                &format!("SELECT {STATUS_COLUMNS} FROM jobs WHERE id = $1"),
                &args![id],
                |r| status(&r),
            )
        })
    }

    /// The latest `limit` jobs, newest first.
    pub fn jobs(&self, limit: usize) -> Result<Vec<JobStatus>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|db| {
            db.query(
                &format!("SELECT {STATUS_COLUMNS} FROM jobs ORDER BY id DESC LIMIT $1"),
                &args![limit],
                |r| status(&r),
            )
        })
    }
}
