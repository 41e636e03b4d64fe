//! `--server URL --token T`: the store commands CI jobs use, through a running
//! `chainwatch serve`, with the same JSON shapes; wrong tokens and unsupported commands
//! are input errors.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn local(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", db])
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CHAINWATCH_SERVER")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn remote(base: &str, token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--server", base, "--token", token])
        .args(args)
        .env("NO_COLOR", "1")
        .env("CHAINWATCH_DB", "/nonexistent/never-used.db")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The JSON a command printed, after checking that it succeeded.
fn succeeded(o: &Output) -> serde_json::Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// An ingest token's secret, created in the store `db`.
fn ingest_token(db: &str) -> String {
    let o = local(
        db,
        &[
            "token", "create", "--name", "ci", "--role", "ingest", "--format", "json",
        ],
    );
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `chainwatch serve` on a free port with `--async-upload-above 1` and `args`: the
/// process and its base URL.
fn serve(db: &str, args: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", db, "serve", "--listen", "127.0.0.1:0"])
        .args(["--async-upload-above", "1"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let server = Server(child);
    let listening: serde_json::Value = serde_json::from_str(&first).unwrap();
    let base = format!("http://{}", listening["address"].as_str().unwrap());
    (server, base)
}

/// An SBOM above the asynchronous threshold (1 MiB), in `dir`: product `big`.
fn big_document(dir: &std::path::Path) -> std::path::PathBuf {
    let big = dir.join("big.cdx.json");
    let mut doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
        "metadata":{"component":{"type":"application","bom-ref":"big","name":"big","version":"1.0"}},
        "components":[{"type":"library","bom-ref":"d","name":"debug","version":"2.6.8","purl":"pkg:npm/debug@2.6.8"}]}"#
        .to_vec();
    doc.extend(std::iter::repeat_n(b' ', 1_200_000));
    std::fs::write(&big, &doc).unwrap();
    big
}

#[test]
fn store_commands_through_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let token = ingest_token(&db);
    let (_server, base) = serve(&db, &[]);

    let sbom = dir.path().join("app.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "metadata":{"component":{"type":"application","bom-ref":"app","name":"app","version":"1.0"}},
            "components":[{"type":"library","bom-ref":"d","name":"debug","version":"2.6.8","purl":"pkg:npm/debug@2.6.8"}],
            "dependencies":[{"ref":"app","dependsOn":["d"]}]}"#,
    )
    .unwrap();
    let o = remote(
        &base,
        &token,
        &["ingest", sbom.to_str().unwrap(), "--format", "json"],
    );
    let line = succeeded(&o);
    assert_eq!(
        (line["status"].as_str(), line["product"].as_str()),
        (Some("stored"), Some("app"))
    );
    // Above `--async-upload-above` (1 MiB): the server's job stores it, the CLI waits.
    let big = big_document(dir.path());
    let o = remote(
        &base,
        &token,
        &["ingest", big.to_str().unwrap(), "--format", "json"],
    );
    let line = succeeded(&o);
    assert_eq!(
        (
            line["status"].as_str(),
            line["product"].as_str(),
            line["components"].as_u64()
        ),
        (Some("stored"), Some("big"), Some(2))
    );
    // A large file that is no SBOM: the job's problem, exit 2.
    let mut junk = b"{\"hello\": 1}".to_vec();
    junk.extend(std::iter::repeat_n(b' ', 1_200_000));
    std::fs::write(&big, &junk).unwrap();
    let o = remote(
        &base,
        &token,
        &["ingest", big.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["status"], "error");
    assert!(line["error"].as_str().unwrap().contains("job"), "{line}");
    let osv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/osv/GHSA-scan-0001.json"
    );
    let o = remote(
        &base,
        &token,
        &["advisories", "import", osv, "--format", "json"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = remote(&base, &token, &["products", "--format", "json"]);
    let products: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(products[0]["name"], "app");
    let o = remote(
        &base,
        &token,
        &["query", "who-has", "pkg:npm/debug", "--format", "json"],
    );
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["package"], "pkg:npm/debug@2.6.8");
    let o = remote(&base, &token, &["findings", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["advisory"], "GHSA-scan-0001");
    let o = remote(
        &base,
        &token,
        &["query", "why", "app", "pkg:npm/debug", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0));
    let o = remote(&base, &token, &["findings", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(0));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "GHSA-scan-0001");
    let o = remote(
        &base,
        &token,
        &["sbom", "export", "app", "--to", "spdx-json"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("pkg:npm/debug@2.6.8"));
    // The same answers as the store gives directly.
    let direct = local(
        &db,
        &["query", "who-has", "pkg:npm/debug", "--format", "json"],
    );
    let via = remote(
        &base,
        &token,
        &["query", "who-has", "pkg:npm/debug", "--format", "json"],
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&direct.stdout).unwrap(),
        serde_json::from_slice::<serde_json::Value>(&via.stdout).unwrap()
    );
    // A wrong token, a command that needs the store, a command that needs none.
    let o = remote(&base, "cw_wrong", &["products"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("401"));
    let o = remote(&base, &token, &["db", "stats"]);
    assert_eq!(o.status.code(), Some(2));
    let o = remote(&base, &token, &["inspect", "purl", "pkg:npm/debug@2.6.8"]);
    assert_eq!(o.status.code(), Some(0));
}

/// `serve --workers 0` only enqueues large uploads; a `chainwatch worker` process on the
/// same store runs them, and stops on SIGTERM after the job at hand.
#[test]
fn a_worker_process_runs_the_jobs_a_server_enqueues() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    for (workers, why) in [("0", "at least one"), ("100000", "256")] {
        let o = local(&db, &["worker", "--workers", workers]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains(why));
    }
    let token = ingest_token(&db);
    let (_server, base) = serve(&db, &["--workers", "0"]);
    let big = big_document(dir.path());
    // The upload's job waits: no process runs jobs yet.
    let mut ingest = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--server", &base, "--token", &token])
        .args(["ingest", big.to_str().unwrap(), "--format", "json"])
        .env("CHAINWATCH_DB", "/nonexistent/never-used.db")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        ingest.try_wait().unwrap().is_none(),
        "stored without a worker"
    );
    let o = local(&db, &["products", "--format", "json"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "[]");

    let mut worker = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", &db, "worker", "--workers", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let o = ingest.wait_with_output().unwrap();
    let line = succeeded(&o);
    assert_eq!(
        (line["status"].as_str(), line["product"].as_str()),
        (Some("stored"), Some("big"))
    );
    let term = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = worker.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut worker.stderr.take().unwrap(), &mut log).unwrap();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("\"event\":\"working\""), "{log}");
    assert!(
        log.lines()
            .last()
            .unwrap_or_default()
            .contains("\"event\":\"stopped\""),
        "{log}"
    );
}
