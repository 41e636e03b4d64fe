//! Notifications: webhooks told about new and resolved findings (JSON signed with
//! HMAC-SHA256, or a Slack-compatible `text` payload), delivered from a thread of their
//! own with retries and backoff, every delivery recorded in the store. The monitoring
//! worker (`monitor`) runs the advisory update on a schedule, in one process across
//! replicas, and notifies what changed.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chainwatch_store::{Delivery, FindingQuery, MatchReport, Store};
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

/// What a notification is about.
enum Event {
    Findings(String, MatchReport),
    /// Typo-squatting suspects in a product version just uploaded.
    Suspects {
        product: String,
        version: String,
        suspects: Vec<crate::squats::Suspect>,
    },
}

/// The JSON body of a `typosquat` notification.
#[derive(Debug, Clone, Serialize)]
struct SuspectsEvent {
    event: &'static str,
    time: String,
    product: String,
    version: String,
    suspects: Vec<crate::squats::Suspect>,
}

/// A notification ready to send.
enum Payload {
    Findings(FindingsEvent),
    Suspects(SuspectsEvent),
}

impl Payload {
    fn event(&self) -> &'static str {
        match self {
            Payload::Findings(e) => e.event,
            Payload::Suspects(e) => e.event,
        }
    }

    fn json(&self) -> Vec<u8> {
        match self {
            Payload::Findings(e) => serde_json::to_vec(e),
            Payload::Suspects(e) => serde_json::to_vec(e),
        }
        .unwrap_or_default()
    }

    fn text(&self) -> String {
        match self {
            Payload::Findings(e) => slack_text(e),
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

/// Sends notifications from a thread of its own, so that no request waits for them.
pub struct Notifier {
    tx: Mutex<mpsc::Sender<Event>>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notifier")
    }
}

impl Notifier {
    /// Starts the delivery thread for `hooks` (retries after 1, 5 and 25 seconds).
    pub fn start(store: Arc<Store>, hooks: Vec<Webhook>, log: LogSink) -> Notifier {
        Notifier::start_with(store, hooks, log, BACKOFF.to_vec())
    }

    /// As [`Notifier::start`], retrying after each of `backoff`.
    pub fn start_with(
        store: Arc<Store>,
        hooks: Vec<Webhook>,
        log: LogSink,
        backoff: Vec<Duration>,
    ) -> Notifier {
        let (tx, rx) = mpsc::channel::<Event>();
        std::thread::spawn(move || {
            let agent = ureq::Agent::new_with_config(
                ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build(),
            );
            for event in rx {
                let event = match event {
                    Event::Findings(source, report) => {
                        Payload::Findings(describe(&store, &source, &report))
                    }
                    Event::Suspects {
                        product,
                        version,
                        suspects,
                    } => Payload::Suspects(SuspectsEvent {
                        event: "typosquat",
                        time: chainwatch_store::format_micros(chainwatch_store::now_micros()),
                        product,
                        version,
                        suspects,
                    }),
                };
                for hook in &hooks {
                    let delivery = deliver(&agent, hook, &event, &backoff);
                    log(&serde_json::json!({
                        "event": "webhook",
                        "url": hook.url,
                        "delivered": delivery.delivered,
                        "attempts": delivery.attempts,
                        "error": delivery.error,
                    })
                    .to_string());
                    if let Err(e) = store.record_delivery(&delivery) {
                        log(
                            &serde_json::json!({"event": "webhook", "error": e.to_string()})
                                .to_string(),
                        );
                    }
                }
            }
        });
        Notifier { tx: Mutex::new(tx) }
    }

    /// Queues a notification of what a match changed (nothing when nothing did).
    pub fn findings(&self, source: &str, report: &MatchReport) {
        if report.new.is_empty() && report.resolved.is_empty() {
            return;
        }
        if let Ok(tx) = self.tx.lock() {
            let _ = tx.send(Event::Findings(source.to_owned(), report.clone()));
        }
    }

    /// Queues a notification of typo-squatting suspects in an upload (none: nothing).
    pub(crate) fn suspects(
        &self,
        product: &str,
        version: &str,
        suspects: &[crate::squats::Suspect],
    ) {
        if suspects.is_empty() {
            return;
        }
        if let Ok(tx) = self.tx.lock() {
            let _ = tx.send(Event::Suspects {
                product: product.to_owned(),
                version: version.to_owned(),
                suspects: suspects.to_vec(),
            });
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

fn deliver(agent: &ureq::Agent, hook: &Webhook, event: &Payload, backoff: &[Duration]) -> Delivery {
    let body = if hook.slack {
        serde_json::to_vec(&serde_json::json!({ "text": event.text() })).unwrap_or_default()
    } else {
        event.json()
    };
    let created_at = chainwatch_store::now_micros();
    let mut attempts = 0u32;
    let mut last: (Option<u16>, Option<String>) = (None, None);
    for wait in std::iter::once(Duration::ZERO).chain(backoff.iter().copied()) {
        std::thread::sleep(wait);
        attempts += 1;
        let mut req = agent
            .post(&hook.url)
            .header("Content-Type", "application/json")
            .header("User-Agent", "chainwatch")
            .header("X-Chainwatch-Event", event.event());
        if let Some(secret) = &hook.secret {
            req = req.header("X-Chainwatch-Signature", &signature(secret, &body));
        }
        match req.send(&body[..]) {
            Ok(r) if r.status().is_success() => {
                return Delivery {
                    url: hook.url.clone(),
                    event: event.event().to_owned(),
                    delivered: true,
                    attempts,
                    response_code: Some(r.status().as_u16()),
                    error: None,
                    created_at,
                    finished_at: chainwatch_store::now_micros(),
                };
            }
            Ok(r) => {
                last = (
                    Some(r.status().as_u16()),
                    Some(format!("HTTP {}", r.status().as_u16())),
                );
            }
            Err(e) => last = (None, Some(e.to_string())),
        }
    }
    Delivery {
        url: hook.url.clone(),
        event: event.event().to_owned(),
        delivered: false,
        attempts,
        response_code: last.0,
        error: last.1,
        created_at,
        finished_at: chainwatch_store::now_micros(),
    }
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

/// Starts the monitoring worker: right away and then every `every`, if this process
/// leads (one across the replicas sharing a PostgreSQL store), runs `job` and notifies
/// what changed. A thread of its own (the store is synchronous).
pub fn monitor(
    store: Arc<Store>,
    every: Duration,
    job: MonitorJob,
    notifier: Option<Arc<Notifier>>,
    log: LogSink,
) {
    std::thread::spawn(move || {
        loop {
            match store.try_lead("chainwatch-monitor") {
                Ok(Some(lead)) => {
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
                    drop(lead);
                }
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
