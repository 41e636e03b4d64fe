//! Notifications: webhooks told about new and resolved findings and typo-squatting
//! suspects (JSON signed with HMAC-SHA256, or a Slack-compatible `text` payload), written
//! to the store's outbox first and delivered from one thread per receiver with retries
//! and backoff, at least once, every delivery recorded in the store. The monitoring
//! worker (`monitor`) runs the advisory update on a schedule, in one process across
//! replicas, and notifies what changed.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chainwatch_store::{Attempt, FindingQuery, MatchReport, Outgoing, Pending, Store};
use serde::Serialize;

use crate::LogSink;

/// Where notifications go.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    /// Signs the body: `X-Chainwatch-Signature: sha256=HEX` (HMAC-SHA256).
    pub secret: Option<Vec<u8>>,
    /// A Slack-compatible `{"text": …}` body instead of chainwatch's JSON.
    pub slack: bool,
}

/// A finding that appeared or went away, with the product versions it is in.
#[derive(Debug, Clone, Serialize)]
struct Change {
    package: String,
    advisory: String,
    malicious: bool,
    severity: Option<String>,
    products: Vec<String>,
}

/// The JSON body of a `findings` notification.
#[derive(Debug, Clone, Serialize)]
struct FindingsEvent {
    event: &'static str,
    time: String,
    /// `upload` or `update`.
    source: String,
    new: Vec<Change>,
    resolved: Vec<Change>,
}

/// Delays before the retries of a delivery.
const BACKOFF: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(25),
];
/// Most changes listed in one notification.
const MAX_CHANGES: usize = 1_000;

/// The JSON body of a `typosquat` notification.
#[derive(Debug, Clone, Serialize)]
struct SuspectsEvent {
    event: &'static str,
    time: String,
    product: String,
    version: String,
    suspects: Vec<crate::squats::Suspect>,
}

/// The JSON body of a `policy` notification: `fail` violations that appeared.
#[derive(Debug, Clone, Serialize)]
struct PolicyEvent {
    event: &'static str,
    time: String,
    /// `upload`, `update`, `advisories`, `vex`, `triage` or `policy`.
    source: String,
    new: Vec<serde_json::Value>,
}

/// A notification ready to send.
enum Payload {
    Findings(FindingsEvent),
    Suspects(SuspectsEvent),
    Policy(PolicyEvent),
}

impl Payload {
    fn event(&self) -> &'static str {
        match self {
            Payload::Findings(e) => e.event,
            Payload::Suspects(e) => e.event,
            Payload::Policy(e) => e.event,
        }
    }

    fn json(&self) -> Vec<u8> {
        match self {
            Payload::Findings(e) => serde_json::to_vec(e),
            Payload::Suspects(e) => serde_json::to_vec(e),
            Payload::Policy(e) => serde_json::to_vec(e),
        }
        .unwrap_or_default()
    }

    fn text(&self) -> String {
        match self {
            Payload::Findings(e) => slack_text(e),
            Payload::Policy(e) => {
                let mut lines = vec![format!(
                    "chainwatch: {} new policy violations at level fail",
                    e.new.len()
                )];
                for v in e.new.iter().take(20) {
                    lines.push(format!(
                        "• {}@{}: {} violates `{}`: {}",
                        v["product"].as_str().unwrap_or_default(),
                        v["version"].as_str().unwrap_or_default(),
                        v["component"].as_str().unwrap_or_default(),
                        v["rule"].as_str().unwrap_or_default(),
                        v["reason"].as_str().unwrap_or_default(),
                    ));
                }
                lines.join("\n")
            }
            Payload::Suspects(e) => {
                let mut lines = vec![format!(
                    "chainwatch: {} typo-squatting suspects in {}@{}",
                    e.suspects.len(),
                    e.product,
                    e.version
                )];
                for s in e.suspects.iter().take(20) {
                    lines.push(format!(
                        "• {} imitates {} ({})",
                        s.package, s.imitates, s.technique
                    ));
                }
                lines.join("\n")
            }
        }
    }
}

/// How long a sender may hold a claimed notification before another takes it over
/// (longer than an attempt's 10 s limit).
const LEASE: Duration = Duration::from_mins(1);
/// How often an idle sender looks for notifications other processes left (a server
/// stopped or crashed with some waiting).
const POLL: Duration = Duration::from_secs(5);

/// Writes notifications to the store's outbox before anything is sent, and delivers
/// them from one thread per receiver, so that a slow or failing receiver delays no
/// other. Delivery is at least once: a notification waits in the outbox until its
/// receiver took it or every retry failed, across restarts and replicas, with the same
/// idempotency key (`X-Chainwatch-Delivery`, `Idempotency-Key`) on every attempt.
/// Redirects are not followed (a 3xx is a failed attempt).
pub struct Notifier {
    store: Arc<Store>,
    hooks: Vec<Webhook>,
    log: LogSink,
    wake: Arc<Wake>,
}

/// Wakes the senders: new notifications, or a stop.
#[derive(Default)]
struct Wake {
    /// (generation, stopped)
    state: Mutex<(u64, bool)>,
    cv: Condvar,
}

impl Wake {
    fn notify(&self, stop: bool) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = s.0.wrapping_add(1);
            s.1 |= stop;
        }
        self.cv.notify_all();
    }

    /// Waits until woken after `seen`, or `timeout`; the generation, and whether to stop.
    fn wait(&self, seen: u64, timeout: Duration) -> (u64, bool) {
        let Ok(guard) = self.state.lock() else {
            return (seen, true);
        };
        let (guard, _) = self
            .cv
            .wait_timeout_while(guard, timeout, |s| s.0 == seen && !s.1)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard
    }
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notifier")
    }
}

impl Drop for Notifier {
    /// Stops the senders (after the attempt each is making); what is waiting stays in
    /// the outbox for the next server.
    fn drop(&mut self) {
        self.wake.notify(true);
    }
}

impl Notifier {
    /// Starts a sender for each of `hooks` (retries after 1, 5 and 25 seconds).
    pub fn start(store: Arc<Store>, hooks: Vec<Webhook>, log: LogSink) -> Notifier {
        Notifier::start_with(store, hooks, log, &BACKOFF)
    }

    /// As [`Notifier::start`], retrying after each of `backoff`.
    pub fn start_with(
        store: Arc<Store>,
        hooks: Vec<Webhook>,
        log: LogSink,
        backoff: &[Duration],
    ) -> Notifier {
        let wake = Arc::new(Wake::default());
        if let Ok(waiting) = store.outbox() {
            for (url, n) in waiting {
                if !hooks.iter().any(|h| h.url == url) {
                    log(&serde_json::json!({
                        "event": "webhook",
                        "url": url,
                        "waiting": n,
                        "error": "notifications wait for a receiver that is no longer configured",
                    })
                    .to_string());
                }
            }
        }
        for hook in &hooks {
            let sender = Sender {
                store: store.clone(),
                hook: hook.clone(),
                log: log.clone(),
                backoff: backoff.to_vec(),
                wake: wake.clone(),
            };
            std::thread::spawn(move || sender.run());
        }
        Notifier {
            store,
            hooks,
            log,
            wake,
        }
    }

    /// Writes a notification of what a match changed to the outbox, for each receiver
    /// (nothing when nothing changed). Reads the store: call it off the async runtime.
    pub fn findings(&self, source: &str, report: &MatchReport) {
        if report.new.is_empty() && report.resolved.is_empty() {
            return;
        }
        self.enqueue(&Payload::Findings(describe(&self.store, source, report)));
    }

    /// Writes a notification of typo-squatting suspects in an upload to the outbox (none:
    /// nothing).
    pub(crate) fn suspects(
        &self,
        product: &str,
        version: &str,
        suspects: &[crate::squats::Suspect],
    ) {
        if suspects.is_empty() {
            return;
        }
        self.enqueue(&Payload::Suspects(SuspectsEvent {
            event: "typosquat",
            time: chainwatch_store::format_micros(chainwatch_store::now_micros()),
            product: product.to_owned(),
            version: version.to_owned(),
            suspects: suspects.to_vec(),
        }));
    }

    /// Writes a notification of new `fail` violations to the outbox (none: nothing).
    pub(crate) fn violations(&self, source: &str, opened: &[chainwatch_store::StoredViolation]) {
        let failing: Vec<serde_json::Value> = opened
            .iter()
            .filter(|v| v.level == "fail")
            .take(MAX_CHANGES)
            .map(chainwatch_store::StoredViolation::json)
            .collect();
        if failing.is_empty() {
            return;
        }
        self.enqueue(&Payload::Policy(PolicyEvent {
            event: "policy",
            time: chainwatch_store::format_micros(chainwatch_store::now_micros()),
            source: source.to_owned(),
            new: failing,
        }));
    }

    fn enqueue(&self, payload: &Payload) {
        let bodies: Vec<(String, Vec<u8>)> = self
            .hooks
            .iter()
            .map(|hook| {
                let body = if hook.slack {
                    serde_json::to_vec(&serde_json::json!({ "text": payload.text() }))
                        .unwrap_or_default()
                } else {
                    payload.json()
                };
                (idempotency_key(), body)
            })
            .collect();
        let items: Vec<Outgoing<'_>> = self
            .hooks
            .iter()
            .zip(&bodies)
            .map(|(hook, (key, body))| Outgoing {
                key,
                url: &hook.url,
                event: payload.event(),
                body,
            })
            .collect();
        match self.store.enqueue_notifications(&items) {
            Ok(()) => self.wake.notify(false),
            Err(e) => (self.log)(
                &serde_json::json!({
                    "event": "webhook",
                    "kind": payload.event(),
                    "error": format!("the notification could not be queued: {e}"),
                })
                .to_string(),
            ),
        }
    }
}

/// A fresh idempotency key: 128 random bits in hex.
fn idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // Unique enough without the generator: the time and a counter.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&chainwatch_store::now_micros().to_le_bytes());
        bytes[8..].copy_from_slice(&n.to_le_bytes());
    }
    bytes.iter().fold(String::with_capacity(32), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Delivers one receiver's notifications from the outbox.
struct Sender {
    store: Arc<Store>,
    hook: Webhook,
    log: LogSink,
    backoff: Vec<Duration>,
    wake: Arc<Wake>,
}

impl Sender {
    fn run(self) {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                // A receiver's redirect is its failure, not a reason to send the event
                // (and its signature) somewhere else.
                .max_redirects(0)
                .timeout_global(Some(Duration::from_secs(10)))
                .build(),
        );
        let (mut seen, mut stop) = self.wake.wait(0, Duration::ZERO);
        while !stop {
            let pause = match self.store.claim_notification(&self.hook.url, LEASE) {
                Ok(Some(pending)) => {
                    self.attempt(&agent, &pending);
                    continue;
                }
                Ok(None) => match self.store.next_notification_due(&self.hook.url) {
                    Ok(Some(due)) => {
                        let wait = due.saturating_sub(chainwatch_store::now_micros());
                        Duration::from_micros(u64::try_from(wait).unwrap_or(0)).min(POLL)
                    }
                    Ok(None) => POLL,
                    Err(e) => {
                        self.failed_store(&e);
                        POLL
                    }
                },
                Err(e) => {
                    self.failed_store(&e);
                    POLL
                }
            };
            (seen, stop) = self.wake.wait(seen, pause);
        }
    }

    fn failed_store(&self, e: &chainwatch_store::StoreError) {
        (self.log)(
            &serde_json::json!({"event": "webhook", "url": self.hook.url, "error": e.to_string()})
                .to_string(),
        );
    }

    fn attempt(&self, agent: &ureq::Agent, pending: &Pending) {
        let mut req = agent
            .post(&self.hook.url)
            .header("Content-Type", "application/json")
            .header("User-Agent", "chainwatch")
            .header("X-Chainwatch-Event", &pending.event)
            .header("X-Chainwatch-Delivery", &pending.key)
            .header("Idempotency-Key", &pending.key);
        if let Some(secret) = &self.hook.secret {
            req = req.header("X-Chainwatch-Signature", &signature(secret, &pending.body));
        }
        let (code, error) = match req.send(&pending.body[..]) {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) if r.status().is_redirection() => (
                Some(r.status().as_u16()),
                Some(format!(
                    "HTTP {} (redirects are not followed)",
                    r.status().as_u16()
                )),
            ),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("HTTP {}", r.status().as_u16())),
            ),
            Err(e) => (None, Some(e.to_string())),
        };
        let retry = self
            .backoff
            .get(
                usize::try_from(pending.attempts)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(1),
            )
            .filter(|_| error.is_some());
        let attempt = match (&error, code) {
            (None, Some(response_code)) => Attempt::Delivered { response_code },
            (error, response_code) => Attempt::Failed {
                response_code,
                error: error.as_deref().unwrap_or("no answer"),
                retry_at: retry.map(|wait| {
                    chainwatch_store::now_micros()
                        .saturating_add(i64::try_from(wait.as_micros()).unwrap_or(i64::MAX))
                }),
            },
        };
        let finished = !matches!(
            attempt,
            Attempt::Failed {
                retry_at: Some(_),
                ..
            }
        );
        if finished {
            (self.log)(
                &serde_json::json!({
                    "event": "webhook",
                    "url": self.hook.url,
                    "kind": pending.event,
                    "key": pending.key,
                    "delivered": error.is_none(),
                    "attempts": pending.attempts,
                    "error": error,
                })
                .to_string(),
            );
        }
        if let Err(e) = self.store.finish_attempt(pending, attempt) {
            self.failed_store(&e);
        }
    }
}

/// What the store says of a (package, advisory): product versions, malicious, severity.
type Seen = (Vec<String>, bool, Option<String>);

/// The changes with the product versions they are in (read from the store).
fn describe(store: &Store, source: &str, report: &MatchReport) -> FindingsEvent {
    let advisories: Vec<String> = report
        .new
        .iter()
        .chain(&report.resolved)
        .map(|c| c.advisory.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut where_: BTreeMap<(String, String), Seen> = BTreeMap::new();
    if let Ok(rows) = store.findings(&FindingQuery {
        advisories: Some(advisories),
        include_suppressed: true,
        ..FindingQuery::default()
    }) {
        for f in rows {
            let e = where_
                .entry((f.package.clone(), f.advisory.clone()))
                .or_default();
            e.0.push(format!("{}@{}", f.product, f.version));
            e.1 |= f.malicious;
            if e.2.is_none() {
                e.2.clone_from(&f.severity);
            }
        }
    }
    let change = |c: &chainwatch_store::FindingChange| {
        let (products, malicious, severity) = where_
            .get(&(c.package.clone(), c.advisory.clone()))
            .cloned()
            .unwrap_or_default();
        Change {
            package: c.package.clone(),
            advisory: c.advisory.clone(),
            malicious: malicious || c.advisory.starts_with("MAL-"),
            severity,
            products,
        }
    };
    FindingsEvent {
        event: "findings",
        time: chainwatch_store::format_micros(chainwatch_store::now_micros()),
        source: source.to_owned(),
        new: report.new.iter().take(MAX_CHANGES).map(change).collect(),
        resolved: report
            .resolved
            .iter()
            .take(MAX_CHANGES)
            .map(change)
            .collect(),
    }
}

fn slack_text(e: &FindingsEvent) -> String {
    let mut lines = vec![format!(
        "chainwatch: {} new and {} resolved findings ({})",
        e.new.len(),
        e.resolved.len(),
        e.source
    )];
    for c in e.new.iter().take(20) {
        lines.push(format!(
            "• {}{} {} in {} ({})",
            if c.malicious { "MALICIOUS " } else { "" },
            c.advisory,
            c.package,
            c.products.join(", "),
            c.severity.as_deref().unwrap_or("unknown severity")
        ));
    }
    if e.new.len() > 20 {
        lines.push(format!("… and {} more", e.new.len() - 20));
    }
    lines.join("\n")
}

/// The `X-Chainwatch-Signature` value of a body.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, body);
    let mut s = String::from("sha256=");
    for b in tag.as_ref() {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// What the monitoring worker updates each time ([`Store::monitor`]): the advisory
/// update from the mirror, then the match of what changed.
#[derive(Debug, Clone)]
pub struct MonitorJob {
    /// The OSV mirror's base URL.
    pub mirror: String,
    /// OSV ecosystems; empty: those of the portfolio's packages.
    pub ecosystems: Vec<String>,
    /// Where downloaded archives wait until imported.
    pub cache: std::path::PathBuf,
}

/// The task whose lease makes a process the monitoring worker.
const MONITOR_TASK: &str = "chainwatch-monitor";

/// How long the monitoring worker's lease lasts unless renewed (every third of it):
/// a replica that dies hands the task over within this time.
const MONITOR_LEASE: Duration = Duration::from_mins(1);

/// Starts the monitoring worker: right away and then every `every`, if this process
/// leads (one across the processes sharing the store, by a lease), runs `job` and
/// notifies what changed. A thread of its own (the store is synchronous). The policy
/// evaluation that changes call for is a durable job the store enqueued with them, run
/// by any replica's worker.
pub fn monitor(
    store: Arc<Store>,
    every: Duration,
    job: MonitorJob,
    notifier: Option<Arc<Notifier>>,
    log: LogSink,
) {
    std::thread::spawn(move || {
        loop {
            let led = store.while_leading(MONITOR_TASK, MONITOR_LEASE, |_| {
                log(&serde_json::json!({"event": "update", "state": "started"}).to_string());
                let options = chainwatch_store::UpdateOptions {
                    mirror: &job.mirror,
                    ecosystems: &job.ecosystems,
                    cache: &job.cache,
                    force_full: false,
                };
                match store.monitor(&options) {
                    Ok(report) => {
                        log(&serde_json::json!({
                            "event": "update",
                            "state": "done",
                            "new_findings": report.new.len(),
                            "resolved_findings": report.resolved.len(),
                        })
                        .to_string());
                        if let Some(n) = &notifier {
                            n.findings("update", &report);
                        }
                    }
                    Err(e) => log(
                        &serde_json::json!({"event": "update", "state": "failed", "error": e.to_string()})
                            .to_string(),
                    ),
                }
            });
            match led {
                Ok(Some(())) => {}
                Ok(None) => log(
                    &serde_json::json!({"event": "update", "state": "skipped", "reason": "another replica leads"})
                        .to_string(),
                ),
                Err(e) => log(
                    &serde_json::json!({"event": "update", "state": "failed", "error": e.to_string()})
                        .to_string(),
                ),
            }
            std::thread::sleep(every);
        }
    });
}

/// Evaluates the active policy over `only` one product version (or every one) and
/// notifies the new `fail` violations; with no active policy, nothing (unless `force`:
/// then the violations left resolve). Call it off the async runtime.
pub(crate) fn evaluate_policy(
    state: &crate::State,
    store: &Store,
    only: Option<(&str, &str)>,
    source: &str,
    force: bool,
) -> Result<chainwatch_store::PolicyOutcome, chainwatch_store::StoreError> {
    let (squats, corpus) = (&state.squats, &state.config.corpus);
    let notifier = state.config.notifier.as_deref();
    if !force && store.policy()?.is_none() {
        return Ok(chainwatch_store::PolicyOutcome::default());
    }
    let typosquats = |purls: &[&str]| {
        squats
            .among(store, corpus, purls.iter().copied())
            .into_iter()
            .map(|s| s.package)
            .collect()
    };
    let outcome = store.evaluate_policy(&chainwatch_store::PolicyRun {
        only,
        typosquats: &typosquats,
    })?;
    if let Some(n) = notifier {
        n.violations(source, &outcome.opened);
    }
    Ok(outcome)
}
