//! Leadership of a task across the processes sharing a store (migration 18): a row per
//! task naming its holder and when the lease expires, by the database's clock. A holder
//! renews it well before then; a process that dies stops renewing and the lease lapses,
//! so another takes the task over within one time to live. Plain rows and one-statement
//! transactions, not session advisory locks: this works through connection poolers in
//! transaction mode (`PgBouncer`) and on databases without advisory locks.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::micros;
use crate::db::args;
use crate::{Result, Store};

/// A lease this process holds on a task ([`Store::acquire_lease`]).
#[derive(Debug)]
pub struct Lease {
    task: String,
    holder: String,
    ttl: Duration,
    /// When it was last acquired or renewed (this process's monotonic clock).
    renewed: Mutex<Instant>,
    /// Found taken over, or expired before a renewal.
    lost: AtomicBool,
}

impl Lease {
    pub fn task(&self) -> &str {
        &self.task
    }

    /// Who holds it: this process (host-independent: its id, start and a random part).
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Whether this process may still act as the leader, without asking the database:
    /// the last renewal is less than a time to live ago and none found another holder.
    /// Before a step that must not run twice, [`Store::renew_lease`] asks it.
    pub fn held(&self) -> bool {
        !self.lost.load(Ordering::Relaxed)
            && self
                .renewed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .elapsed()
                < self.ttl
    }
}

impl Store {
    /// Takes the lease on `task` for `ttl` if nobody holds it or its holder's lease
    /// expired; `None` when another holder's lease runs. Renew it
    /// ([`Store::renew_lease`]) well within `ttl`, release it when done; or use
    /// [`Store::while_leading`], which does both.
    pub fn acquire_lease(&self, task: &str, ttl: Duration) -> Result<Option<Lease>> {
        let holder = super::worker_name();
        let started = Instant::now();
        let granted = self.write(|db| {
            let now = db.dialect().now_micros();
            let sql = format!(
                "INSERT INTO leases (name, holder, acquired_at, expires_at)
                 VALUES ($1, $2, {now}, {now} + $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                     acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
                 WHERE leases.expires_at <= excluded.acquired_at
                 RETURNING holder"
            );
            db.query_opt(&sql, &args![task, holder.as_str(), micros(ttl)], |r| {
                r.get::<String>(0)
            })
        })?;
        Ok(granted.map(|holder| Lease {
            task: task.to_owned(),
            holder,
            ttl,
            renewed: Mutex::new(started),
            lost: AtomicBool::new(false),
        }))
    }

    /// Extends the lease by its time to live from now; `false` (and the lease no longer
    /// [`Lease::held`]) when another holder has taken it. One that expired unnoticed is
    /// still this holder's if nobody took it (nobody else led meanwhile): a renewal
    /// held up (SQLite's one writer busy with a long transaction of the same job) loses
    /// nothing. Call it before a step that only the leader may take.
    pub fn renew_lease(&self, lease: &Lease) -> Result<bool> {
        let started = Instant::now();
        let changed = self.write(|db| {
            let now = db.dialect().now_micros();
            let sql = format!(
                "UPDATE leases SET expires_at = {now} + $3 WHERE name = $1 AND holder = $2"
            );
            db.execute(
                &sql,
                &args![
                    lease.task.as_str(),
                    lease.holder.as_str(),
                    micros(lease.ttl)
                ],
            )
        })?;
        if changed == 1 {
            *lease
                .renewed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = started;
            Ok(true)
        } else {
            lease.lost.store(true, Ordering::Relaxed);
            Ok(false)
        }
    }

    /// Gives the lease up at once (if still this holder's), so another process need not
    /// wait for it to expire.
    pub fn release_lease(&self, lease: &Lease) -> Result<()> {
        self.write(|db| {
            db.execute(
                "DELETE FROM leases WHERE name = $1 AND holder = $2",
                &args![lease.task.as_str(), lease.holder.as_str()],
            )
        })?;
        lease.lost.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Runs `f` as the one process doing `task` across every process sharing the
    /// store: `None` (without running it) when another holds the lease. A thread renews
    /// the lease every third of `ttl` while `f` runs, and it is released afterwards;
    /// should the process die, it lapses after `ttl`. Between steps of a long job, `f`
    /// asks [`Lease::held`] or [`Store::renew_lease`].
    pub fn while_leading<T>(
        &self,
        task: &str,
        ttl: Duration,
        f: impl FnOnce(&Lease) -> T,
    ) -> Result<Option<T>> {
        let Some(lease) = self.acquire_lease(task, ttl)? else {
            return Ok(None);
        };
        // An error (the database away for a moment) is retried at the next tick;
        // `held` turns false once a time to live passes without a renewal.
        let out = super::renewing(
            ttl / 3,
            || !matches!(self.renew_lease(&lease), Ok(false)),
            || f(&lease),
        );
        self.release_lease(&lease)?;
        Ok(Some(out))
    }
}
