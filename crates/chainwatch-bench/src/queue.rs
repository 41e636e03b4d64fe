//! The durable job queue's own cost (issue 24): small jobs enqueued, then claimed and
//! finished by worker threads as fast as the store allows, on SQLite, on PostgreSQL and
//! on PostgreSQL behind `PgBouncer` in transaction mode (`pooler=transaction`). What a job
//! does is left out: this is what the queue adds to each one.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chainwatch_store::{JobOutcome, JobRequest, Store};

use crate::machine::{self, ms, percentile};

/// Jobs per run.
const JOBS: usize = 5_000;
/// The job kind the benchmark enqueues (no server claims it).
const KIND: &str = "bench-noop";

struct Run {
    backend: &'static str,
    workers: usize,
    enqueue: Duration,
    drain: Duration,
    /// Per job, one worker's claim and finish: median and 99th percentile.
    p50: Duration,
    p99: Duration,
}

fn enqueue(store: &Store, n: usize) -> anyhow::Result<Duration> {
    let start = Instant::now();
    for i in 0..n {
        let input = format!("{{\"n\":{i}}}");
        store.enqueue_job(&JobRequest {
            kind: KIND,
            key: None,
            input: &input,
            payload: None,
            owner: None,
            priority: 0,
            max_attempts: 3,
        })?;
    }
    Ok(start.elapsed())
}

/// Claims and finishes jobs with `workers` threads until none is due: the time, and
/// every job's claim-and-finish latency.
fn drain(store: &Arc<Store>, workers: usize) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let start = Instant::now();
    let threads: Vec<_> = (0..workers)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                let name = format!("bench-{w}");
                let mut each = Vec::new();
                loop {
                    let t = Instant::now();
                    let Some(job) = store.claim_job(&[KIND], &name, Duration::from_mins(1))? else {
                        return Ok(each);
                    };
                    store.finish_job(&job, JobOutcome::Done("{}"))?;
                    each.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        all.extend(
            t.join()
                .map_err(|_| anyhow::anyhow!("a worker panicked"))??,
        );
    }
    Ok((start.elapsed(), all))
}

fn measure(backend: &'static str, url: &str, workers: usize) -> anyhow::Result<Run> {
    let store = Arc::new(Store::open(url).with_context(|| format!("opening `{backend}`"))?);
    store.migrate()?;
    let enqueue = enqueue(&store, JOBS)?;
    let (drain, mut each) = drain(&store, workers)?;
    anyhow::ensure!(
        each.len() == JOBS,
        "{backend}: {} of {JOBS} jobs were run",
        each.len()
    );
    each.sort();
    Ok(Run {
        backend,
        workers,
        enqueue,
        drain,
        p50: percentile(&each, 0.5),
        p99: percentile(&each, 0.99),
    })
}

pub(crate) fn run() -> anyhow::Result<String> {
    let dir = chainwatch_testkit::workspace_root().join("target/bench-data/queue");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let mut runs = Vec::new();
    for workers in [1, 4] {
        let sqlite = dir.join(format!("queue-{workers}.db"));
        runs.push(measure("SQLite", &sqlite.display().to_string(), workers)?);
        let schema = format!("bench_queue_{workers}");
        let pg = crate::store::pg_url(&schema)?;
        runs.push(measure("PostgreSQL", &pg, workers)?);
        let bouncer = std::env::var("CHAINWATCH_TEST_PGBOUNCER")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:6432/test".to_owned());
        let schema = format!("bench_queue_bouncer_{workers}");
        drop(crate::store::pg_url(&schema)?);
        runs.push(measure(
            "PostgreSQL via PgBouncer (transaction mode)",
            &format!("{bouncer}?pooler=transaction&schema={schema}"),
            workers,
        )?);
    }
    let mut s = String::new();
    let _ = writeln!(s, "## The durable job queue (issue 24)\n");
    let _ = writeln!(s, "Machine: {}.\n", machine::describe());
    let _ = writeln!(
        s,
        "{JOBS} small jobs enqueued one by one (a transaction each), then claimed and \
         finished by worker threads of one process until none is due; the job itself does \
         nothing, so this is the queue's own cost per job. Loopback PostgreSQL 15 and \
         Debian's PgBouncer 1.18 (`pool_mode = transaction`; the store's URL says \
         `pooler=transaction`: unnamed statements, settings per transaction). Targets: \
         queue overhead ≤ 2 ms per job, ≥ 500 jobs/s per replica.\n"
    );
    let _ = writeln!(
        s,
        "| store | workers | enqueue, jobs/s | claimed + finished, jobs/s | per job p50 | per job p99 |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    #[allow(clippy::cast_precision_loss)]
    let rate = |d: Duration| machine::thousands(JOBS as f64 / d.as_secs_f64());
    for r in &runs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            r.backend,
            r.workers,
            rate(r.enqueue),
            rate(r.drain),
            ms(r.p50),
            ms(r.p99)
        );
    }
    let _ = writeln!(
        s,
        "\nPeak RSS of the benchmark process: {:.0} MiB.",
        machine::peak_rss_mib()
    );
    Ok(s)
}
