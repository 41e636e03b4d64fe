//! Scale-out on PostgreSQL (issue 24): three `serve` replicas and one `chainwatch worker`
//! on one database, directly and through `PgBouncer` in transaction mode, while uploads
//! arrive from sixteen clients (some above the asynchronous threshold) and a replica is
//! killed with SIGKILL every 1.5 seconds and started again. Every document is stored
//! exactly once, every job ends done or dead with its reason, and `db check` is clean.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Documents uploaded per run; every eighth is above `--async-upload-above 1` (MiB).
const DOCUMENTS: usize = 480;
const CLIENTS: usize = 16;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainwatch"));
    c.env("NO_COLOR", "1")
        .env_remove("CHAINWATCH_SERVER")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::null());
    c
}

/// A replica on a free port: the process and its base URL.
fn replica(db: &str) -> (Process, String) {
    let mut child = bin()
        .args(["--db", db, "serve", "--listen", "127.0.0.1:0"])
        .args([
            "--async-upload-above",
            "1",
            "--workers",
            "1",
            "--job-lease",
            "3",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    err.read_line(&mut first).unwrap();
    // The rest of its log is drained, so that it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let listening: serde_json::Value =
        serde_json::from_str(&first).unwrap_or_else(|_| panic!("a replica did not start: {first}"));
    let base = format!("http://{}", listening["address"].as_str().unwrap());
    (Process(child), base)
}

fn document(i: usize) -> Vec<u8> {
    let mut doc = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "metadata":{{"component":{{"type":"application","bom-ref":"app","name":"p{i}","version":"1.0"}}}},
            "components":[{{"type":"library","bom-ref":"d","name":"left-pad","version":"1.{i}.0","purl":"pkg:npm/left-pad@1.{i}.0"}}],
            "dependencies":[{{"ref":"app","dependsOn":["d"]}}]}}"#
    )
    .into_bytes();
    if i.is_multiple_of(8) {
        doc.extend(std::iter::repeat_n(b' ', 1_200_000));
    }
    doc
}

fn scale_out(db: &str, direct: &str, schema: &str) {
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .args([
            "--db", db, "token", "create", "--name", "ci", "--role", "ingest",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let token = serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let replicas: Arc<Mutex<Vec<(Process, String)>>> =
        Arc::new(Mutex::new((0..3).map(|_| replica(db)).collect()));
    let _worker = Process(
        bin()
            .args(["--db", db, "worker", "--workers", "2", "--job-lease", "3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for i in 0..DOCUMENTS {
        std::fs::write(dir.path().join(format!("{i}.cdx.json")), document(i)).unwrap();
    }
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let retries = Arc::new(AtomicUsize::new(0));
    // The killer: SIGKILL a replica every 1.5 s, and start another in its place.
    let killer = {
        let (replicas, done, db) = (replicas.clone(), done.clone(), db.to_owned());
        std::thread::spawn(move || {
            let mut kills = 0usize;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1500));
                let fresh = replica(&db);
                let mut list = replicas.lock().unwrap();
                let victim = kills % list.len();
                drop(std::mem::replace(&mut list[victim], fresh));
                kills += 1;
            }
            kills
        })
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (replicas, next, retries, token) = (
                replicas.clone(),
                next.clone(),
                retries.clone(),
                token.clone(),
            );
            let dir = dir.path().to_owned();
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= DOCUMENTS {
                        return;
                    }
                    let file = dir.join(format!("{i}.cdx.json"));
                    let mut attempt = 0usize;
                    loop {
                        let base = {
                            let list = replicas.lock().unwrap();
                            list[(c + attempt) % list.len()].1.clone()
                        };
                        let o = bin()
                            .args(["--server", &base, "--token", &token])
                            .args(["ingest", file.to_str().unwrap(), "--format", "json"])
                            .env("CHAINWATCH_DB", "/nonexistent/never-used.db")
                            .output()
                            .unwrap();
                        if o.status.success() {
                            break;
                        }
                        // The replica died under the request (or before it): another one.
                        attempt += 1;
                        retries.fetch_add(1, Ordering::Relaxed);
                        assert!(
                            attempt < 40,
                            "document {i}: {}",
                            String::from_utf8_lossy(&o.stderr)
                        );
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let kills = killer.join().unwrap();
    assert!(
        kills >= 2,
        "only {kills} replicas were killed: the run was too short"
    );
    eprintln!(
        "{DOCUMENTS} documents from {CLIENTS} clients, {kills} replicas killed, {} uploads sent again",
        retries.load(Ordering::Relaxed)
    );

    // Jobs a killed replica held are taken over once their claims run out (3 s).
    let mut client = postgres::Client::connect(direct, postgres::NoTls).unwrap();
    let deadline = Instant::now() + Duration::from_mins(2);
    loop {
        let open: i64 = client
            .query_one(
                &format!(
                    "SELECT count(*) FROM {schema}.jobs WHERE state IN ('queued', 'running', 'retrying')"
                ),
                &[],
            )
            .unwrap()
            .get(0);
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} jobs never ended");
        std::thread::sleep(Duration::from_millis(250));
    }
    let unexplained: i64 = client
        .query_one(
            &format!(
                "SELECT count(*) FROM {schema}.jobs WHERE state = 'dead' AND error IS NULL
                    OR state NOT IN ('done', 'dead')"
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(unexplained, 0, "a job ended dead without its reason");
    let sbom_jobs: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM {schema}.jobs WHERE kind = 'sbom-upload'"),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        sbom_jobs >= i64::try_from(DOCUMENTS / 8).unwrap(),
        "{sbom_jobs} upload jobs"
    );
    drop(replicas.lock().unwrap().drain(..).collect::<Vec<_>>());

    // Every document exactly once: one product each, one stored document each.
    let stats = bin()
        .args(["--db", db, "db", "stats", "--format", "json"])
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(
        (stats["products"].as_u64(), stats["documents"].as_u64()),
        (Some(DOCUMENTS as u64), Some(DOCUMENTS as u64)),
        "{stats} after {} retries",
        retries.load(Ordering::Relaxed)
    );
    let check = bin()
        .args(["--db", db, "db", "check", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// The schema `name` on the test server, dropped before and after.
struct Schema {
    direct: String,
    name: String,
}

impl Schema {
    fn new(direct: &str, name: &str) -> Schema {
        let mut client = postgres::Client::connect(direct, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            .unwrap();
        Schema {
            direct: direct.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.direct, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

fn with(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

#[test]
fn replicas_and_a_worker_on_postgresql_survive_kills() {
    let Some(direct) = chainwatch_testkit::postgres_url() else {
        return;
    };
    let schema = Schema::new(&direct, &format!("cwrep_direct_{}", std::process::id()));
    let db = with(&direct, &format!("schema={}&pool_size=4", schema.name));
    scale_out(&db, &direct, &schema.name);
}

#[test]
fn replicas_and_a_worker_behind_pgbouncer_survive_kills() {
    let (Some(direct), Some(bouncer)) = (
        chainwatch_testkit::postgres_url(),
        chainwatch_testkit::pgbouncer_url(),
    ) else {
        return;
    };
    let schema = Schema::new(&direct, &format!("cwrep_bouncer_{}", std::process::id()));
    let db = with(
        &bouncer,
        &format!("pooler=transaction&schema={}&pool_size=4", schema.name),
    );
    scale_out(&db, &direct, &schema.name);
}
