//! The portfolio commands end to end: output shapes, and the reliability promises
//! (a killed ingest leaves nothing behind; concurrent ingesting processes store each
//! document once) on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

fn chainwatch(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run chainwatch")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sbom")
}

/// Replaces the values of time fields, which change from run to run.
fn without_times(text: &str) -> String {
    let mut out = text.to_owned();
    for key in ["\"updated\":\"", "\"ingested\":\""] {
        let mut from = 0;
        while let Some(i) = out[from..].find(key) {
            let start = from + i + key.len();
            let end = start + out[start..].find('"').unwrap();
            out.replace_range(start..end, "[time]");
            from = start;
        }
    }
    out.replace(&fixtures().display().to_string(), "[fixtures]")
}

/// A store for one test: a SQLite file, or a PostgreSQL schema dropped afterwards.
struct Db {
    url: String,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.pg
            && let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    Db {
        url: dir.path().join("cw.db").display().to_string(),
        _dir: dir,
        pg: None,
    }
}

fn pg(test: &str) -> Option<Db> {
    let url = chainwatch_testkit::postgres_url()?;
    let schema = format!("cwcli_{test}_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(Db {
        url: format!("{url}{sep}schema={schema}"),
        _dir: tempfile::tempdir().unwrap(),
        pg: Some((url, schema)),
    })
}

#[test]
fn ingest_products_and_queries() {
    let db = sqlite();
    let dir = fixtures();
    let o = chainwatch(
        &db.url,
        &[
            "ingest",
            dir.to_str().unwrap(),
            "--format",
            "json",
            "-j",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "broken.cdx.json has no product");
    insta::assert_snapshot!(without_times(&stdout(&o)), @r#"
    {"path":"[fixtures]/broken.cdx.json","status":"error","error":"the document names no product (no subject component and no name): give `--product`"}
    {"path":"[fixtures]/shop-1.0.cdx.json","status":"stored","stored":true,"document":1,"product":"shop","version":"1.0.0","format":"cyclonedx-json","digest":"sha256:f0d590baf277c0d9beab531bd72dcd2adc61ab3fa8f83309d3030e5fd4f739de","components":4,"edges":3}
    {"path":"[fixtures]/shop-1.1.cdx.json","status":"stored","stored":true,"document":2,"product":"shop","version":"1.1.0","format":"cyclonedx-json","digest":"sha256:e9422c103694f65a9052df64e28f36cdef30ec993b5446a0a85e4b5ac1428155","components":4,"edges":3}
    {"path":"[fixtures]/tiny.spdx","status":"stored","stored":true,"document":3,"product":"tiny","version":"0.1.0","format":"spdx-tv","digest":"sha256:4ad2665fae090cb45a8973ca0ee1ce5d578e5541948be4bfb93df64f3ea6bdad","components":2,"edges":1}
    "#);
    let again = chainwatch(
        &db.url,
        &["ingest", dir.join("shop-1.0.cdx.json").to_str().unwrap()],
    );
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("already stored as shop@1.0.0 (document 1"),
        "{}",
        stdout(&again)
    );

    let o = chainwatch(&db.url, &["products", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!(without_times(&stdout(&o)), @r#"[{"name":"shop","version":"1.0.0","documents":1,"components":4,"updated":"[time]"},{"name":"shop","version":"1.1.0","documents":1,"components":4,"updated":"[time]"},{"name":"tiny","version":"0.1.0","documents":1,"components":2,"updated":"[time]"}]"#);
    let o = chainwatch(
        &db.url,
        &[
            "query",
            "who-has",
            "pkg:pypi/URLLIB3",
            "--range",
            "vers:pypi/>=2|<3",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&o), @r#"[{"product":"shop","version":"1.0.0","package":"pkg:pypi/urllib3@2.0.7"},{"product":"shop","version":"1.1.0","package":"pkg:pypi/urllib3@2.0.7"}]"#);
    let o = chainwatch(
        &db.url,
        &[
            "query",
            "why",
            "shop@1.0.0",
            "pkg:pypi/urllib3",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&o), @r#"[{"product":"shop","version":"1.0.0","path":["pkg:pypi/shop@1.0.0","pkg:pypi/requests@2.31.0","pkg:pypi/urllib3@2.0.7"]}]"#);
    let o = chainwatch(&db.url, &["query", "dependents", "pkg:pypi/urllib3"]);
    insta::assert_snapshot!(stdout(&o), @"
    shop@1.0.0  pkg:pypi/requests@2.31.0 -[depends-on]-> pkg:pypi/urllib3@2.0.7
    shop@1.1.0  pkg:pypi/requests@2.32.3 -[depends-on]-> pkg:pypi/urllib3@2.0.7
    ");
    let o = chainwatch(&db.url, &["query", "who-has", "pkg:npm/nothing"]);
    assert_eq!(o.status.code(), Some(1), "not found");
    let o = chainwatch(&db.url, &["query", "diff", "shop", "1.0.0", "1.1.0"]);
    assert_eq!(o.status.code(), Some(1), "differences");
    insta::assert_snapshot!(stdout(&o), @"
    + pkg:pypi/idna 3.7
    - pkg:pypi/certifi 2023.7.22
    ~ pkg:pypi/requests 2.31.0 -> 2.32.3
    ~ pkg:pypi/shop 1.0.0 -> 1.1.0
    ~ pkg:pypi/urllib3 supplier: Python Software Foundation -> (none)
    ~ pkg:pypi/urllib3 licenses: MIT -> (none)
    + pkg:pypi/requests -[depends-on]-> pkg:pypi/idna
    - pkg:pypi/requests -[depends-on]-> pkg:pypi/certifi
    components: 1 added, 1 removed, 2 changed, 2 fields differ; edges: 1 added, 1 removed
    ");
    let o = chainwatch(
        &db.url,
        &["sbom", "export", "shop@1.1.0", "--to", "cyclonedx-json"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("pkg:pypi/idna@3.7"));
    let o = chainwatch(&db.url, &["products", "shop", "--format", "json"]);
    insta::assert_snapshot!(without_times(&stdout(&o)), @r#"[{"id":1,"product":"shop","version":"1.0.0","format":"cyclonedx-json","spec_version":"1.6","digest":"sha256:f0d590baf277c0d9beab531bd72dcd2adc61ab3fa8f83309d3030e5fd4f739de","components":4,"edges":3,"ingested":"[time]"},{"id":2,"product":"shop","version":"1.1.0","format":"cyclonedx-json","spec_version":"1.6","digest":"sha256:e9422c103694f65a9052df64e28f36cdef30ec993b5446a0a85e4b5ac1428155","components":4,"edges":3,"ingested":"[time]"}]"#);
    let o = chainwatch(&db.url, &["db", "stats", "--format", "json"]);
    let stats: String = stdout(&o).replace(&db.url, "[db]");
    insta::assert_snapshot!(stats, @r#"{"backend":"sqlite","location":"[db]","schema_version":20,"products":2,"product_versions":3,"documents":3,"names":7,"packages":9,"occurrences":10,"edges":7,"document_bytes":3329,"stored_bytes":1417}"#);
    let o = chainwatch(&db.url, &["db", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    for bad in [
        &["query", "who-has", "nope"][..],
        &["query", "why", "missing", "pkg:pypi/x"],
        &["products", "--as-of", "yesterday"],
    ] {
        assert_eq!(chainwatch(&db.url, bad).status.code(), Some(2), "{bad:?}");
    }
}

/// A CycloneDX document with `n` components in a dependency chain plus fan-out.
fn big_sbom(n: usize, product: &str) -> String {
    let mut s = String::with_capacity(n * 200);
    s.push_str(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"type":"application","bom-ref":"root","name":""#);
    s.push_str(product);
    s.push_str(r#"","version":"1.0"}},"components":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"type":"library","bom-ref":"c{i}","name":"pkg-{i}","version":"1.{}.0","purl":"pkg:npm/pkg-{i}@1.{}.0"}}"#,
            i % 7,
            i % 7
        );
    }
    s.push_str(r#"],"dependencies":[{"ref":"root","dependsOn":["c0"]}"#);
    for i in 1..n {
        let _ = write!(s, r#",{{"ref":"c{}","dependsOn":["c{i}"]}}"#, i / 2);
    }
    s.push_str("]}");
    s
}

/// A fixed-seed generator for kill points (xorshift).
struct Rng(u64);

impl Rng {
    fn fraction(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        #[allow(clippy::cast_precision_loss, reason = "a fraction")]
        let f = (self.0 % 10_000) as f64 / 10_000.0;
        f
    }
}

fn products_json(db: &str) -> Vec<(String, u64)> {
    let o = chainwatch(db, &["products", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    // [{"name":…,"version":…,"documents":N,"components":N,…}]
    text.split("{\"name\":\"")
        .skip(1)
        .map(|item| {
            let name = item.split('"').next().unwrap().to_owned();
            let comps = item
                .split("\"components\":")
                .nth(1)
                .unwrap()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (name, comps)
        })
        .collect()
}

/// Kills `chainwatch ingest` at spread-out moments; after each kill the store passes its
/// integrity check and shows the document completely or not at all.
fn killed_ingest_leaves_nothing_behind(db: &Db, kills: usize) {
    const N: usize = 40_000;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str| {
        let file = dir.path().join(format!("{name}.cdx.json"));
        std::fs::write(&file, big_sbom(N, name)).unwrap();
        file.to_str().unwrap().to_owned()
    };
    // How long a whole ingest takes on this backend.
    let warmup = write("warmup");
    let started = Instant::now();
    assert_eq!(
        chainwatch(&db.url, &["ingest", &warmup]).status.code(),
        Some(0)
    );
    let full = started.elapsed();
    let mut rng = Rng(0x5eed_cafe);
    let (mut before, mut after) = (0, 0);
    let mut files = Vec::new();
    for kill in 0..kills {
        // A new document each time, so that every run really writes.
        let file = write(&format!("big-{kill}"));
        let delay = full.mul_f64(0.1 + 0.9 * rng.fraction());
        let mut child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
            .args(["--db", &db.url, "ingest", &file, "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        let check = chainwatch(&db.url, &["db", "check", "--format", "json"]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "kill {kill} after {delay:?} ({status}): {}",
            stdout(&check)
        );
        let products = products_json(&db.url);
        for (name, components) in &products {
            assert_eq!(
                *components,
                N as u64 + 1,
                "kill {kill}: partial document {name}"
            );
        }
        if products
            .iter()
            .any(|(name, _)| *name == format!("big-{kill}"))
        {
            after += 1;
        } else {
            before += 1;
        }
        files.push(file);
    }
    eprintln!(
        "{kills} kills within {full:?}: {before} before the commit (nothing stored), {after} after it (all stored)"
    );
    let mut args = vec!["ingest", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let o = chainwatch(&db.url, &args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let products = products_json(&db.url);
    assert_eq!(products.len(), kills + 1);
    assert!(products.iter().all(|(_, c)| *c == N as u64 + 1));
    let check = chainwatch(&db.url, &["db", "check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

#[test]
fn killed_ingest_leaves_nothing_behind_sqlite() {
    killed_ingest_leaves_nothing_behind(&sqlite(), 12);
}

#[test]
fn killed_ingest_leaves_nothing_behind_postgres() {
    if let Some(db) = pg("killed") {
        killed_ingest_leaves_nothing_behind(&db, 8);
    }
}

/// 8 processes ingest the same 200 SBOMs at once: each is stored exactly once.
fn concurrent_processes_store_each_document_once(db: &Db) {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..200 {
        let doc = big_sbom(5 + i % 20, &format!("svc-{}", i % 40)).replace(
            r#""version":"1.0"}}"#,
            &format!(r#""version":"{}.0"}}}}"#, i / 40),
        );
        std::fs::write(dir.path().join(format!("{i:03}.cdx.json")), doc).unwrap();
    }
    // The store does not exist yet: the processes also race to create the schema.
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_chainwatch"))
                .args([
                    "--db",
                    &db.url,
                    "ingest",
                    dir.path().to_str().unwrap(),
                    "--format",
                    "json",
                    "-j",
                    "2",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut stored = 0;
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        stored += stdout(&o).matches("\"status\":\"stored\"").count();
    }
    assert_eq!(stored, 200, "every document stored by exactly one process");
    let stats = stdout(&chainwatch(&db.url, &["db", "stats", "--format", "json"]));
    assert!(stats.contains("\"documents\":200,"), "{stats}");
    assert!(stats.contains("\"product_versions\":200,"), "{stats}");
    let check = chainwatch(&db.url, &["db", "check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
}

#[test]
fn concurrent_processes_store_each_document_once_sqlite() {
    concurrent_processes_store_each_document_once(&sqlite());
}

#[test]
fn concurrent_processes_store_each_document_once_postgres() {
    if let Some(db) = pg("concurrent") {
        concurrent_processes_store_each_document_once(&db);
    }
}

/// A store that cannot be opened says why, and nothing is created: no SQLite file in a
/// directory that does not exist, no SQLite file for an unknown URL scheme, and the
/// server's own words for a PostgreSQL server that refuses.
#[test]
fn unusable_stores_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/x.db");
    let o = chainwatch(missing.to_str().unwrap(), &["products"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("does not exist"), "{err}");
    assert!(!dir.path().join("no").exists());

    let o = chainwatch("mysql://root@127.0.0.1/test", &["products"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`mysql://` is not a store"), "{err}");

    if let Some(url) = chainwatch_testkit::postgres_url() {
        let base = url.split('?').next().unwrap();
        let (server, _) = base.rsplit_once('/').unwrap();
        let o = chainwatch(&format!("{server}/no_such_database_cw"), &["products"]);
        assert_eq!(o.status.code(), Some(3));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no_such_database_cw"), "{err}");
    }
}

/// A directory's files that are plainly not SBOMs (a README, a checksum list) are skipped
/// with the reason; named on the command line they fail. Documents that only look like
/// SBOMs (`"bomFormat": "CDX"`, `"spdxVersion": 2`, the SPDX JSON schema) are refused by
/// `sbom validate` in every mode.
#[test]
fn not_sboms_are_skipped_in_directories_and_refused() {
    let db = sqlite();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("shop-1.0.cdx.json"),
        dir.path().join("app.cdx.json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("README.md"), "# SBOMs of our releases\n").unwrap();
    std::fs::write(
        dir.path().join("SHA256SUMS"),
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  app.cdx.json\n",
    )
    .unwrap();
    let o = chainwatch(
        &db.url,
        &["ingest", dir.path().to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["skipped", "skipped", "stored"], "{lines:?}");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("not an SBOM")
    );
    let readme = dir.path().join("README.md");
    let o = chainwatch(&db.url, &["ingest", readme.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    // `sbom validate` takes directories, and skips the same files.
    let o = chainwatch(
        &db.url,
        &[
            "sbom",
            "validate",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));

    let cases: Vec<(&str, &str)> = vec![
        (
            "cdx.json",
            r#"{"bomFormat":"CDX","specVersion":"1","version":1,"metadata":{}}"#,
        ),
        (
            "spdx.json",
            r#"{"spdxVersion":2,"dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","creationInfo":{"created":"2020-11-24T01:12:27Z","creators":["Person: Harry"]}}"#,
        ),
        (
            "schema.json",
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"spdxVersion":{"type":"string"}}}"#,
        ),
    ];
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        for strict in [false, true] {
            let mut args = vec!["sbom", "validate", path.to_str().unwrap()];
            if strict {
                args.push("--strict");
            }
            let o = chainwatch(&db.url, &args);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{name} strict={strict}: {}",
                stdout(&o)
            );
        }
    }
}

/// A document that names no product takes its file's name with `--product-from-filename`;
/// a document that names one keeps it.
#[test]
fn documents_without_a_subject_are_named_from_their_file() {
    let db = sqlite();
    let dir = fixtures();
    let run = || {
        chainwatch(
            &db.url,
            &[
                "ingest",
                dir.join("broken.cdx.json").to_str().unwrap(),
                dir.join("shop-1.0.cdx.json").to_str().unwrap(),
                "--product-from-filename",
                "--format",
                "json",
                "-j",
                "1",
            ],
        )
    };
    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains(r#""status":"stored","stored":true,"document":1,"product":"broken","version":"unversioned""#),
        "{out}"
    );
    assert!(
        out.contains(r#""product":"shop","version":"1.0.0""#),
        "{out}"
    );
    // Once more: both are known, the named-from-file one under the same name.
    let again = stdout(&run());
    assert_eq!(again.matches(r#""stored":false"#).count(), 2, "{again}");
    let conflict = chainwatch(
        &db.url,
        &[
            "ingest",
            dir.to_str().unwrap(),
            "--product",
            "x",
            "--product-from-filename",
        ],
    );
    assert_eq!(conflict.status.code(), Some(2));
}
