//! Per-process counters in the Prometheus text format (each replica reports its own).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub(crate) struct Metrics {
    /// (method, status) → requests.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// Total request time, microseconds.
    duration_micros: AtomicU64,
    pub(crate) documents_stored: AtomicU64,
    pub(crate) components_stored: AtomicU64,
}

impl Metrics {
    /// Counts a request. Label values are bounded, whatever a client sends: a method
    /// HTTP defines, else `OTHER` (each distinct made-up method used to add a series).
    pub(crate) fn request(&self, method: &str, status: u16, micros: u64) {
        const METHODS: &[&str] = &[
            "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
        ];
        let method = METHODS
            .iter()
            .find(|m| **m == method)
            .copied()
            .unwrap_or("OTHER");
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((method.to_owned(), status)).or_default() += 1;
        }
        self.duration_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn render(&self, store_up: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP chainwatch_http_requests_total HTTP requests answered, by method and status."
        );
        let _ = writeln!(out, "# TYPE chainwatch_http_requests_total counter");
        let mut total = 0;
        if let Ok(map) = self.requests.lock() {
            for ((method, status), n) in map.iter() {
                total += n;
                let _ = writeln!(
                    out,
                    "chainwatch_http_requests_total{{method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP chainwatch_http_request_duration_seconds Time spent answering requests."
        );
        let _ = writeln!(
            out,
            "# TYPE chainwatch_http_request_duration_seconds summary"
        );
        #[allow(clippy::cast_precision_loss, reason = "seconds for a metric")]
        let seconds = self.duration_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "chainwatch_http_request_duration_seconds_sum {seconds}"
        );
        let _ = writeln!(
            out,
            "chainwatch_http_request_duration_seconds_count {total}"
        );
        for (name, help, value) in [
            (
                "chainwatch_documents_stored_total",
                "SBOM documents stored through the API.",
                self.documents_stored.load(Ordering::Relaxed),
            ),
            (
                "chainwatch_components_stored_total",
                "Components of the documents stored through the API.",
                self.components_stored.load(Ordering::Relaxed),
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {value}");
        }
        let _ = writeln!(out, "# HELP chainwatch_store_up Whether the store answers.");
        let _ = writeln!(out, "# TYPE chainwatch_store_up gauge");
        let _ = writeln!(out, "chainwatch_store_up {}", u8::from(store_up));
        out
    }
}
