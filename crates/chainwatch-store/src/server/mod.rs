//! What the server keeps besides the portfolio: API tokens (`tokens.rs`), webhook
//! notifications waiting to be sent (`outbox.rs`, migration 11) and those delivered or
//! given up (migration 9), the monitoring worker's runs (migration 14) and the leases
//! that make one process the leader of a task (`leases.rs`, migration 18).

pub(crate) mod jobs;
pub(crate) mod leases;
pub(crate) mod outbox;
pub(crate) mod tokens;

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use serde::Serialize;

use crate::db::args;
use crate::{Result, Store};

/// One webhook delivery: sent (`delivered`) or given up after `attempts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The idempotency key the receiver saw (none for deliveries before migration 11).
    pub key: Option<String>,
    pub url: String,
    /// The event's kind (`findings`).
    pub event: String,
    pub delivered: bool,
    pub attempts: u32,
    pub response_code: Option<u16>,
    pub error: Option<String>,
    /// Microseconds since the epoch.
    pub created_at: i64,
    pub finished_at: i64,
}

/// One run of the monitoring job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonitorRun {
    /// Microseconds since the epoch; no end while it runs (or when its process died).
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `done` or `failed`.
    pub outcome: String,
    pub new_findings: u64,
    pub resolved_findings: u64,
    pub error: Option<String>,
}

/// A duration in microseconds, at least one (a lease of nothing still expires later than
/// now), saturating.
pub(crate) fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX).max(1)
}

/// A name for a lease holder or job worker, unique to the call: the process id and a
/// random part (std's hash keys are seeded from the operating system).
pub fn worker_name() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(crate::now_micros());
    format!("pid{}-{:016x}", std::process::id(), hasher.finish())
}

/// Runs `f` while a thread calls `renew` every `every`, until `f` returns or `renew`
/// answers `false` (the claim is lost: `f` learns it from its own checks). What keeps a
/// lease ([`Store::while_leading`]) or a job's claim alive while the work runs.
pub fn renewing<T>(every: Duration, renew: impl Fn() -> bool + Send, f: impl FnOnce() -> T) -> T {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                if !renew() {
                    break;
                }
            }
        });
        let out = f();
        drop(stop);
        out
    })
}

/// How many runs of the monitoring job are kept.
const MONITOR_RUNS_KEPT: i64 = 1000;

impl Store {
    pub fn record_delivery(&self, d: &Delivery) -> Result<()> {
        self.write(|db| record(db, d))
    }

    /// Records that a run of the monitoring job starts; its id.
    pub fn monitor_started(&self) -> Result<i64> {
        let now = crate::now_micros();
        self.write(|db| {
            let id: i64 = db.value(
                "INSERT INTO monitor_runs (started_at, outcome, new_findings, resolved_findings)
                 VALUES ($1, 'running', 0, 0) RETURNING id",
                &args![now],
            )?;
            db.execute(
                "DELETE FROM monitor_runs WHERE id <= $1",
                &args![id - MONITOR_RUNS_KEPT],
            )?;
            Ok(id)
        })
    }

    /// Records how a run of the monitoring job ended: the findings it opened and
    /// resolved, or its error.
    pub fn monitor_finished(
        &self,
        run: i64,
        changed: std::result::Result<(usize, usize), &str>,
    ) -> Result<()> {
        let now = crate::now_micros();
        let (outcome, new, resolved, error) = match changed {
            Ok((n, r)) => ("done", n, r, None),
            Err(e) => ("failed", 0, 0, Some(e)),
        };
        self.write(|db| {
            db.execute(
                "UPDATE monitor_runs SET finished_at = $1, outcome = $2, new_findings = $3,
                     resolved_findings = $4, error = $5
                 WHERE id = $6",
                &args![
                    now,
                    outcome,
                    i64::try_from(new).unwrap_or(i64::MAX),
                    i64::try_from(resolved).unwrap_or(i64::MAX),
                    error,
                    run
                ],
            )?;
            Ok(())
        })
    }

    /// The latest runs of the monitoring job, newest first.
    pub fn monitor_runs(&self, limit: u32) -> Result<Vec<MonitorRun>> {
        self.read(|db| {
            db.query(
                "SELECT started_at, finished_at, outcome, new_findings, resolved_findings, error
                 FROM monitor_runs ORDER BY id DESC LIMIT $1",
                &args![i64::from(limit)],
                |r| {
                    Ok(MonitorRun {
                        started_at: r.get(0)?,
                        finished_at: r.get(1)?,
                        outcome: r.get(2)?,
                        new_findings: r.get(3)?,
                        resolved_findings: r.get(4)?,
                        error: r.get(5)?,
                    })
                },
            )
        })
    }

    /// The latest deliveries, newest first.
    pub fn deliveries(&self, limit: u32) -> Result<Vec<Delivery>> {
        self.read(|db| {
            db.query(
                "SELECT url, event, delivered, attempts, response_code, error, created_at,
                     finished_at, key
                 FROM webhook_deliveries ORDER BY id DESC LIMIT $1",
                &args![i64::from(limit)],
                |r| {
                    Ok(Delivery {
                        url: r.get(0)?,
                        event: r.get(1)?,
                        delivered: r.get(2)?,
                        attempts: r.get(3)?,
                        response_code: r.get::<Option<i64>>(4)?.and_then(|c| u16::try_from(c).ok()),
                        error: r.get(5)?,
                        created_at: r.get(6)?,
                        finished_at: r.get(7)?,
                        key: r.get(8)?,
                    })
                },
            )
        })
    }
}

/// Adds a row to the record of deliveries.
fn record(db: &mut crate::db::Db<'_>, d: &Delivery) -> Result<()> {
    db.execute(
        "INSERT INTO webhook_deliveries (url, event, delivered, attempts,
             response_code, error, created_at, finished_at, key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &args![
            &d.url,
            &d.event,
            d.delivered,
            i64::from(d.attempts),
            d.response_code.map(i64::from),
            &d.error,
            d.created_at,
            d.finished_at,
            &d.key
        ],
    )?;
    Ok(())
}
