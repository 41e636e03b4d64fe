//! `chainwatch advisories update` against a local HTTP mirror (nothing reaches the
//! internet): the first update downloads the archive, continuing an interrupted download
//! with a range request; later updates fetch only what the modification index lists.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Mirror {
    files: HashMap<String, Vec<u8>>,
    /// Paths whose next full response breaks off halfway.
    cut: Vec<String>,
    /// (path, range header) of every request.
    log: Vec<(String, Option<String>)>,
}

fn serve(mirror: Arc<Mutex<Mirror>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let mut range = None;
            let mut if_range = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap_or((&h, ""));
                match k.trim().to_ascii_lowercase().as_str() {
                    "range" => range = Some(v.trim().to_owned()),
                    "if-range" => if_range = Some(v.trim().to_owned()),
                    _ => {}
                }
            }
            let mut m = mirror.lock().unwrap();
            m.log.push((path.clone(), range.clone()));
            let Some(body) = m.files.get(&path).cloned() else {
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            };
            let etag = format!("\"{}\"", body.len());
            let start = match (&range, &if_range) {
                (Some(r), Some(tag)) if *tag == etag => r
                    .trim_start_matches("bytes=")
                    .trim_end_matches('-')
                    .parse::<usize>()
                    .ok(),
                _ => None,
            };
            let cut = m
                .cut
                .iter()
                .position(|c| *c == path)
                .map(|i| m.cut.remove(i));
            drop(m);
            let (status, part) = match start {
                Some(s) if s < body.len() => (
                    format!(
                        "206 Partial Content\r\nContent-Range: bytes {s}-{}/{}",
                        body.len() - 1,
                        body.len()
                    ),
                    &body[s..],
                ),
                _ => ("200 OK".to_owned(), &body[..]),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
                part.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let send = if cut.is_some() {
                &part[..part.len() / 2]
            } else {
                part
            };
            let _ = stream.write_all(send);
            let _ = stream.flush();
            // Drain, then close.
            let _ = stream.shutdown(std::net::Shutdown::Write);
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
    });
    format!("http://{addr}")
}

fn record(id: &str, modified: &str, fixed: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"{modified}","aliases":["CVE-2099-{}"],"summary":"{id} summary","affected":[{{"package":{{"ecosystem":"PyPI","name":"mirrored"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#,
        &id[id.len() - 4..]
    )
}

fn zip_of(records: &[(&str, String)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (id, json) in records {
            zip.start_file(format!("{id}.json"), options).unwrap();
            zip.write_all(json.as_bytes()).unwrap();
        }
        // Padding so that half of the archive is a real interruption.
        zip.start_file("README.txt", options).unwrap();
        zip.write_all(&vec![b'x'; 64 << 10]).unwrap();
        zip.finish().unwrap();
    }
    buf.into_inner()
}

fn chainwatch(db: &str, cache: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", db])
        .args(args)
        .env("NO_COLOR", "1")
        .env("CHAINWATCH_CACHE", cache)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn full_then_incremental_with_a_resumed_download() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let cache = dir.path().join("cache").display().to_string();
    let mirror = Arc::new(Mutex::new(Mirror::default()));
    let one = record("PYSEC-0001", "2024-01-01T00:00:00Z", "2.0");
    let two = record("PYSEC-0002", "2024-02-01T00:00:00Z", "0.5");
    {
        let mut m = mirror.lock().unwrap();
        m.files.insert(
            "/PyPI/all.zip".into(),
            zip_of(&[("PYSEC-0001", one.clone()), ("PYSEC-0002", two.clone())]),
        );
        m.cut.push("/PyPI/all.zip".into());
    }
    let base = serve(Arc::clone(&mirror));
    // A product with a PyPI package: the ecosystem to update comes from the portfolio.
    let sbom = dir.path().join("app.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "metadata":{"component":{"type":"application","bom-ref":"app","name":"app","version":"1.0"}},
            "components":[{"type":"library","bom-ref":"m","name":"mirrored","version":"1.0","purl":"pkg:pypi/mirrored@1.0"}],
            "dependencies":[{"ref":"app","dependsOn":["m"]}]}"#,
    )
    .unwrap();
    assert_eq!(
        chainwatch(&db, &cache, &["ingest", sbom.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let update = [
        "advisories",
        "update",
        "--mirror",
        &base,
        "--format",
        "json",
    ];
    // The download breaks off: the update fails, the partial file stays.
    let broken = chainwatch(&db, &cache, &update);
    assert_eq!(
        broken.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
    assert!(dir.path().join("cache/osv/PyPI/all.zip.part").exists());
    // Again: continued with a range request, then imported and matched.
    let done = chainwatch(&db, &cache, &update);
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let report = &lines(&done)[0];
    assert_eq!(report["ecosystem"], "PyPI");
    assert_eq!(report["mode"], "full");
    assert_eq!(report["added"], 2);
    assert_eq!(report["last_modified"], "2024-02-01T00:00:00Z");
    let ranged = mirror
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|(p, r)| p == "/PyPI/all.zip" && r.is_some())
        .count();
    assert_eq!(ranged, 1);
    assert!(!dir.path().join("cache/osv/PyPI/all.zip.part").exists());
    let findings = chainwatch(&db, &cache, &["findings", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&findings.stdout).unwrap();
    assert_eq!(rows[0]["advisory"], "PYSEC-0001");
    // Later: one new record and one changed; the index lists them, only they are fetched.
    let three = record("PYSEC-0003", "2024-03-01T00:00:00Z", "1.5");
    let one_fixed = record("PYSEC-0001", "2024-03-02T00:00:00Z", "0.9");
    {
        let mut m = mirror.lock().unwrap();
        m.files
            .insert("/PyPI/PYSEC-0003.json".into(), three.into_bytes());
        m.files
            .insert("/PyPI/PYSEC-0001.json".into(), one_fixed.into_bytes());
        m.files.insert(
            "/PyPI/modified_id.csv".into(),
            b"2024-03-02T00:00:00Z,PYSEC-0001\n2024-03-01T00:00:00Z,PYSEC-0003\n2024-02-01T00:00:00Z,PYSEC-0002\n2024-01-01T00:00:00Z,PYSEC-0001\n".to_vec(),
        );
        m.log.clear();
    }
    let next = chainwatch(&db, &cache, &update);
    assert_eq!(
        next.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    let report = &lines(&next)[0];
    assert_eq!(report["mode"], "incremental");
    assert_eq!(
        (report["added"].as_u64(), report["updated"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["last_modified"], "2024-03-02T00:00:00Z");
    let fetched: Vec<String> = mirror
        .lock()
        .unwrap()
        .log
        .iter()
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(
        fetched,
        [
            "/PyPI/modified_id.csv",
            "/PyPI/PYSEC-0001.json",
            "/PyPI/PYSEC-0003.json"
        ]
    );
    // PYSEC-0003 now affects 1.0; PYSEC-0001 (fixed in 0.9) no longer does.
    let rows: serde_json::Value =
        serde_json::from_slice(&chainwatch(&db, &cache, &["findings", "--format", "json"]).stdout)
            .unwrap();
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["advisory"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PYSEC-0003"]);
    // Nothing new: nothing fetched but the index.
    mirror.lock().unwrap().log.clear();
    let idle = chainwatch(&db, &cache, &update);
    assert_eq!(lines(&idle)[0]["records"], 0);
    assert_eq!(mirror.lock().unwrap().log.len(), 1);
    // An ecosystem the mirror does not have is an error that names it.
    let missing = chainwatch(
        &db,
        &cache,
        &[
            "advisories",
            "update",
            "--mirror",
            &base,
            "--ecosystem",
            "Hex",
        ],
    );
    assert_eq!(missing.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("404"));
    // A mirror that is not HTTP is unusable input.
    let bad = chainwatch(
        &db,
        &cache,
        &[
            "advisories",
            "update",
            "--mirror",
            "ftp://x",
            "--ecosystem",
            "PyPI",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
}

/// `serve --update-every` updates from the mirror right away (then on schedule), matches
/// the portfolio and announces the new findings to the webhook, signed.
#[test]
fn serve_updates_on_a_schedule_and_notifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let cache = dir.path().join("cache").display().to_string();
    let mirror = Arc::new(Mutex::new(Mirror::default()));
    mirror.lock().unwrap().files.insert(
        "/PyPI/all.zip".into(),
        zip_of(&[(
            "PYSEC-2099-0001",
            record("PYSEC-2099-0001", "2099-01-01T00:00:00Z", "2.0"),
        )]),
    );
    let base = serve(mirror);
    let sbom = dir.path().join("app.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "metadata":{"component":{"type":"application","bom-ref":"app","name":"app","version":"1.0"}},
            "components":[{"type":"library","bom-ref":"m","name":"mirrored","version":"1.0","purl":"pkg:pypi/mirrored@1.0"}]}"#,
    )
    .unwrap();
    assert_eq!(
        chainwatch(
            &db,
            &cache,
            &["ingest", sbom.to_str().unwrap(), "--no-typosquat"]
        )
        .status
        .code(),
        Some(0)
    );
    // The webhook receiver.
    let hook = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_url = format!("http://{}/hook", hook.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel::<(Option<String>, Vec<u8>)>();
    std::thread::spawn(move || {
        for stream in hook.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut signature) = (0usize, None);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                let lower = h.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("x-chainwatch-signature:") {
                    signature = Some(h.split_once(':').unwrap().1.trim().to_owned());
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            let _ = tx.send((signature, body));
        }
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args([
            "--db",
            &db,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--update-every",
            "1h",
        ])
        .args([
            "--mirror",
            &base,
            "--ecosystem",
            "PyPI",
            "--webhook",
            &hook_url,
        ])
        .env("CHAINWATCH_CACHE", &cache)
        .env("CHAINWATCH_WEBHOOK_SECRET", "k")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let got = rx.recv_timeout(std::time::Duration::from_mins(1));
    let _ = child.kill();
    let _ = child.wait();
    let (signature, body) = got.expect("a notification");
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event"], "findings");
    assert_eq!(event["source"], "update");
    assert_eq!(event["new"][0]["advisory"], "PYSEC-2099-0001");
    assert_eq!(event["new"][0]["products"][0], "app@1.0");
    assert!(signature.unwrap().starts_with("sha256="));
    // The delivery and the findings are in the store.
    let o = chainwatch(&db, &cache, &["findings", "--format", "json"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("PYSEC-2099-0001"));
}
