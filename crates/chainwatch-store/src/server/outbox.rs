//! The webhook outbox (migration 11): notifications are written here before anything is
//! sent, claimed by one sender at a time for a lease, moved back with a later due time
//! after a failed attempt, and moved to `webhook_deliveries` once delivered or given up.
//! Senders of several processes (server replicas sharing PostgreSQL, or a server started
//! after another stopped) share the rows: a claim whose lease ran out is taken over, so
//! a notification is sent at least once, each time with the same idempotency key.

use std::time::Duration;

use super::{Delivery, micros, record};
use crate::db::args;
use crate::{Result, Store, now_micros};

/// A notification for one receiver, to be written to the outbox.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The idempotency key the receiver will see on every attempt: unique.
    pub key: &'a str,
    pub url: &'a str,
    /// The event's kind (`findings`, `typosquat`).
    pub event: &'a str,
    /// The body as sent.
    pub body: &'a [u8],
}

/// A notification claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: i64,
    pub key: String,
    pub url: String,
    pub event: String,
    pub body: Vec<u8>,
    /// Microseconds since the epoch.
    pub created_at: i64,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// How a sender's attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt<'a> {
    Delivered {
        response_code: u16,
    },
    /// Failed; tried again at `retry_at` (µs since the epoch), or given up when `None`.
    Failed {
        response_code: Option<u16>,
        error: &'a str,
        retry_at: Option<i64>,
    },
}

impl Store {
    /// Writes notifications to the outbox, all or none, due at once.
    pub fn enqueue_notifications(&self, items: &[Outgoing<'_>]) -> Result<()> {
        let now = now_micros();
        self.write(|db| {
            for n in items {
                db.execute(
                    "INSERT INTO webhook_outbox (key, url, event, body, created_at, attempts,
                         next_attempt_at, claimed_until)
                     VALUES ($1, $2, $3, $4, $5, 0, $5, 0)",
                    &args![n.key, n.url, n.event, n.body, now],
                )?;
            }
            Ok(())
        })
    }

    /// Claims, for `lease`, the due notification for `url` that is due the longest, and
    /// counts the attempt; `None` when none is due (or another sender took it first).
    pub fn claim_notification(&self, url: &str, lease: Duration) -> Result<Option<Pending>> {
        let now = now_micros();
        self.write(|db| {
            let Some(id) = db.query_opt(
                "SELECT id FROM webhook_outbox
                 WHERE url = $1 AND next_attempt_at <= $2 AND claimed_until <= $2
                 ORDER BY next_attempt_at, id LIMIT 1",
                &args![url, now],
                |r| r.get::<i64>(0),
            )?
            else {
                return Ok(None);
            };
            db.query_opt(
                "UPDATE webhook_outbox SET claimed_until = $2, attempts = attempts + 1
                 WHERE id = $1 AND claimed_until <= $3
                 RETURNING key, url, event, body, created_at, attempts",
                &args![id, now.saturating_add(micros(lease)), now],
                |r| {
                    Ok(Pending {
                        id,
                        key: r.get(0)?,
                        url: r.get(1)?,
                        event: r.get(2)?,
                        body: r.get(3)?,
                        created_at: r.get(4)?,
                        attempts: r.get(5)?,
                    })
                },
            )
        })
    }

    /// When the next notification for `url` falls due (µs since the epoch), if any is
    /// waiting: its backoff or another sender's lease, whichever ends later.
    pub fn next_notification_due(&self, url: &str) -> Result<Option<i64>> {
        self.read(|db| {
            db.query_one(
                "SELECT MIN(CASE WHEN next_attempt_at > claimed_until THEN next_attempt_at
                                 ELSE claimed_until END)
                 FROM webhook_outbox WHERE url = $1",
                &args![url],
                |r| r.get::<Option<i64>>(0),
            )
        })
    }

    /// Records how an attempt ended: a failure to retry goes back to the outbox with its
    /// due time; a delivery, or a failure given up, becomes a row of
    /// [`Store::deliveries`].
    pub fn finish_attempt(&self, pending: &Pending, attempt: Attempt<'_>) -> Result<()> {
        let now = now_micros();
        self.write(|db| {
            let (delivered, response_code, error) = match attempt {
                Attempt::Failed {
                    response_code,
                    error,
                    retry_at: Some(at),
                } => {
                    db.execute(
                        "UPDATE webhook_outbox SET next_attempt_at = $2, claimed_until = 0,
                             response_code = $3, error = $4
                         WHERE id = $1",
                        &args![pending.id, at, response_code.map(i64::from), error],
                    )?;
                    return Ok(());
                }
                Attempt::Failed {
                    response_code,
                    error,
                    retry_at: None,
                } => (false, response_code, Some(error.to_owned())),
                Attempt::Delivered { response_code } => (true, Some(response_code), None),
            };
            // Another sender may have finished it already (its lease ran out while this
            // one was sending): recorded once.
            if db.execute(
                "DELETE FROM webhook_outbox WHERE id = $1",
                &args![pending.id],
            )? == 0
            {
                return Ok(());
            }
            record(
                db,
                &Delivery {
                    key: Some(pending.key.clone()),
                    url: pending.url.clone(),
                    event: pending.event.clone(),
                    delivered,
                    attempts: pending.attempts,
                    response_code,
                    error: error.clone(),
                    created_at: pending.created_at,
                    finished_at: now,
                },
            )
        })
    }

    /// Notifications waiting in the outbox, per receiver URL (sorted).
    pub fn outbox(&self) -> Result<Vec<(String, u64)>> {
        self.read(|db| {
            db.query(
                "SELECT url, COUNT(*) FROM webhook_outbox GROUP BY url ORDER BY url",
                &[],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }
}
