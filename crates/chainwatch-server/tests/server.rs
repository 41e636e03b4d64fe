//! The API over real HTTP on loopback, against SQLite and PostgreSQL: uploads, queries,
//! pagination, the OpenAPI document, metrics; and the security rules: no token, a wrong,
//! expired or revoked token, the wrong role, another product, an oversize or malformed
//! upload are refused and change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::io::Write as _;
use std::sync::Arc;

use chainwatch_store::{Role, Store};

/// A running server, its store and tokens.
struct Server {
    base: String,
    // Dropped first: the store's last reference must go outside the runtime (the
    // synchronous PostgreSQL client cannot close inside one).
    _runtime: tokio::runtime::Runtime,
    store: Arc<Store>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.pg
            && let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

fn start(
    store: Store,
    config: chainwatch_server::Config,
) -> (String, Arc<Store>, tokio::runtime::Runtime) {
    start_logging(store, config, Arc::new(|_: &str| {}))
}

fn start_logging(
    store: Store,
    config: chainwatch_server::Config,
    log: chainwatch_server::LogSink,
) -> (String, Arc<Store>, tokio::runtime::Runtime) {
    let store = Arc::new(store);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = chainwatch_server::app(store.clone(), config, log);
    runtime.spawn(async move {
        let _ = chainwatch_server::serve(listener, app).await;
    });
    (base, store, runtime)
}

fn sqlite(config: chainwatch_server::Config) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cw.db").display().to_string()).unwrap();
    let (base, store, runtime) = start(store, config);
    Server {
        base,
        store,
        _runtime: runtime,
        _dir: Some(dir),
        pg: None,
    }
}

fn postgres(test: &str, config: chainwatch_server::Config) -> Option<Server> {
    let url = chainwatch_testkit::postgres_url()?;
    let schema = format!("cw_server_{test}_{}", std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let store = Store::open(&format!("{url}{sep}schema={schema}")).unwrap();
    let (base, store, runtime) = start(store, config);
    Some(Server {
        base,
        store,
        _runtime: runtime,
        _dir: None,
        pg: Some((url, schema)),
    })
}

impl Server {
    fn token(
        &self,
        name: &str,
        role: Role,
        products: Option<&str>,
        expires: Option<i64>,
    ) -> String {
        let (secret, hash) = chainwatch_server::new_token().unwrap();
        self.store
            .create_token(name, role, products, &hash, expires)
            .unwrap();
        secret
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    )
}

/// (status, content type, body)
fn get(url: &str, token: Option<&str>) -> (u16, String, String) {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.call().unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        r.status().as_u16(),
        ct,
        r.body_mut().read_to_string().unwrap(),
    )
}

fn post(url: &str, token: &str, body: &[u8], encoding: Option<&str>) -> (u16, String, String) {
    let mut req = agent()
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/octet-stream");
    if let Some(e) = encoding {
        req = req.header("Content-Encoding", e);
    }
    let mut r = req.send(body).unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        r.status().as_u16(),
        ct,
        r.body_mut().read_to_string().unwrap(),
    )
}

fn sbom(product: &str, version: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": product, "version": version}},
        "components": [
            {"type": "library", "bom-ref": "u", "name": "urllib3", "version": "1.26.5", "purl": "pkg:pypi/urllib3@1.26.5"},
            {"type": "library", "bom-ref": "r", "name": "requests", "version": "2.32.3", "purl": "pkg:pypi/requests@2.32.3"}],
        "dependencies": [{"ref": "root", "dependsOn": ["r"]}, {"ref": "r", "dependsOn": ["u"]}],
    }))
    .unwrap()
}

fn documents(s: &Server) -> u64 {
    s.store.stats().unwrap().documents
}

fn end_to_end(s: &Server) {
    let admin = s.token("admin", Role::Admin, None, None);
    let reader = s.token("reader", Role::Read, None, None);
    let shop_ci = s.token("shop-ci", Role::Ingest, Some("shop*"), None);
    let expired = s.token(
        "old",
        Role::Admin,
        None,
        Some(chainwatch_store::now_micros() - 1),
    );
    let revoked = s.token("gone", Role::Admin, None, None);
    assert!(s.store.revoke_token("gone").unwrap());

    // Health needs no token.
    assert_eq!(get(&format!("{}/healthz", s.base), None).0, 200);
    assert_eq!(get(&format!("{}/readyz", s.base), None).0, 200);

    // Refused: no token, a wrong, expired or revoked one.
    let products = format!("{}/api/v1/products", s.base);
    for token in [
        None,
        Some("cw_wrong"),
        Some(expired.as_str()),
        Some(revoked.as_str()),
    ] {
        let (status, ct, body) = get(&products, token);
        assert_eq!(status, 401, "{token:?}: {body}");
        assert_eq!(ct, "application/problem+json");
        let p: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(p["status"], 401);
    }
    // Uploads: the wrong role, another product, a malformed document change nothing.
    let upload = format!("{}/api/v1/sboms", s.base);
    assert_eq!(post(&upload, &reader, &sbom("shop", "1.0"), None).0, 403);
    assert_eq!(
        post(&upload, &shop_ci, &sbom("payments", "1.0"), None).0,
        403
    );
    let (status, ct, body) = post(
        &upload,
        &admin,
        b"{\"bomFormat\": \"CycloneDX\", \"components\": 5}",
        None,
    );
    assert_eq!(
        (status, ct.as_str()),
        (400, "application/problem+json"),
        "{body}"
    );
    assert_eq!(documents(s), 0);

    // Stored, once; gzip accepted; the product from the query.
    let (status, _, body) = post(&upload, &shop_ci, &sbom("shop", "1.0"), None);
    assert_eq!(status, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let shop_doc = v["document"].as_i64().unwrap();
    assert_eq!(
        (v["product"].as_str(), v["components"].as_u64()),
        (Some("shop"), Some(3))
    );
    assert_eq!(post(&upload, &shop_ci, &sbom("shop", "1.0"), None).0, 200);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&sbom("shop", "1.1")).unwrap();
    let (status, _, body) = post(&upload, &shop_ci, &gz.finish().unwrap(), Some("gzip"));
    assert_eq!(status, 201, "{body}");
    let (status, _, _) = post(
        &format!("{upload}?product=payments&version=2.0"),
        &admin,
        &sbom("whatever", "9"),
        None,
    );
    assert_eq!(status, 201);
    assert_eq!(documents(s), 3);

    // Pagination with a stable cursor; a scoped token sees its products only.
    let (status, _, body) = get(&format!("{products}?limit=2"), Some(&reader));
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}@{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["payments@2.0", "shop@1.0"]);
    let next = page["next"].as_str().unwrap();
    let (_, _, body) = get(&format!("{products}?limit=2&cursor={next}"), Some(&reader));
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["items"][0]["version"], "1.1");
    assert!(page["next"].is_null());
    assert_eq!(get(&format!("{products}?limit=501"), Some(&reader)).0, 400);
    assert_eq!(get(&format!("{products}?cursor=zzz"), Some(&reader)).0, 400);
    let (_, _, body) = get(&products, Some(&shop_ci));
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["name"] == "shop")
    );

    // Queries.
    let who = format!(
        "{}/api/v1/query/who-has?purl=pkg:pypi/urllib3&range=vers:pypi/%3C2",
        s.base
    );
    let (status, _, body) = get(&who, Some(&reader));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (_, _, body) = get(&who, Some(&shop_ci));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Pages with stable cursors.
    let (_, _, body) = get(&format!("{who}&limit=2"), Some(&reader));
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, _, body) = get(
        &format!("{who}&limit=2&cursor={}", page["next"].as_str().unwrap()),
        Some(&reader),
    );
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next"].is_null());
    let detail = format!("{}/api/v1/products/shop/versions/1.0", s.base);
    let (status, _, body) = get(&detail, Some(&reader));
    assert_eq!(status, 200, "{body}");
    let components =
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["components"].clone();
    assert_eq!(components.as_array().unwrap().len(), 2, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["history"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(
            &format!("{}/api/v1/products/payments/versions/2.0", s.base),
            Some(&shop_ci)
        )
        .0,
        403
    );
    assert_eq!(
        get(
            &format!("{}/api/v1/products/nope/versions/1", s.base),
            Some(&reader)
        )
        .0,
        404
    );
    assert_eq!(
        get(
            &format!("{}/api/v1/query/who-has?purl=not-a-purl", s.base),
            Some(&reader)
        )
        .0,
        400
    );

    // Advisories and VEX apply to every product: scoped tokens may not upload them; a
    // broken upload imports nothing; uploads are matched at once.
    let advisories = format!("{}/api/v1/advisories", s.base);
    let osv = br#"{"id": "GHSA-test-0001", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2026-1111"],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "urllib3"},
          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.26.18"}]}]}]}"#;
    assert_eq!(post(&advisories, &shop_ci, osv, None).0, 403);
    let (status, ct, _) = post(&advisories, &admin, b"{\"id\": 5}", None);
    assert_eq!((status, ct.as_str()), (400, "application/problem+json"));
    let (status, _, body) = post(&advisories, &admin, osv, None);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    // One package (urllib3 1.26.5, in three product versions) × one advisory.
    assert_eq!(
        (v["added"].as_u64(), v["new_findings"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
    let all = format!("{}/api/v1/findings", s.base);
    let count = |url: &str, token: &str| {
        let (status, _, body) = get(url, Some(token));
        assert_eq!(status, 200, "{url}: {body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(&all, &reader), 3);
    assert_eq!(count(&all, &shop_ci), 2);
    assert_eq!(
        count(
            &format!("{}/api/v1/query/affected/CVE-2026-1111", s.base),
            &shop_ci
        ),
        2
    );
    assert_eq!(
        get(&format!("{all}?min_severity=bad"), Some(&reader)).0,
        400
    );
    let vex = br#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
        "author": "security", "timestamp": "2026-11-01T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "CVE-2026-1111"}, "products": [{"@id": "shop@1.0"}],
          "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}"#;
    let vex_url = format!("{}/api/v1/vex", s.base);
    assert_eq!(post(&vex_url, &shop_ci, vex, None).0, 403);
    assert_eq!(post(&vex_url, &admin, b"not vex", None).0, 400);
    let (status, _, body) = post(&vex_url, &admin, vex, None);
    assert_eq!(status, 201, "{body}");
    let shop10 = format!("{all}?product=shop&version=1.0");
    assert_eq!(count(&shop10, &reader), 0);
    assert_eq!(count(&format!("{shop10}&all=true"), &reader), 1);
    let why = format!(
        "{}/api/v1/query/why?product=shop@1.0&purl=pkg:pypi/urllib3",
        s.base
    );
    let (status, _, body) = get(&why, Some(&reader));
    assert_eq!(status, 200, "{body}");
    let paths: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(paths[0]["path"].as_array().unwrap().len(), 3, "{body}");
    assert_eq!(
        get(
            &format!(
                "{}/api/v1/query/why?product=payments&purl=pkg:pypi/urllib3",
                s.base
            ),
            Some(&shop_ci)
        )
        .0,
        403
    );

    // Stored documents by id: as uploaded, or converted; scoped.
    let doc = format!("{}/api/v1/sboms/{shop_doc}", s.base);
    let (status, ct, body) = get(&doc, Some(&reader));
    assert_eq!(
        (status, ct.as_str()),
        (200, "application/vnd.cyclonedx+json")
    );
    assert_eq!(body.as_bytes(), sbom("shop", "1.0"));
    let (status, ct, body) = get(&format!("{doc}?format=spdx-json"), Some(&reader));
    assert_eq!((status, ct.as_str()), (200, "application/spdx+json"));
    assert!(body.contains("pkg:pypi/urllib3@1.26.5"));
    assert_eq!(get(&format!("{doc}?format=pdf"), Some(&reader)).0, 406);
    assert_eq!(
        get(&format!("{}/api/v1/sboms/999999", s.base), Some(&reader)).0,
        404
    );
    let scoped = s.token("payments-only", Role::Read, Some("payments"), None);
    assert_eq!(get(&doc, Some(&scoped)).0, 403);

    // Tokens through the API: admin only; the secret is shown once; revocation is
    // immediate.
    let tokens = format!("{}/api/v1/tokens", s.base);
    let new = br#"{"name": "api-made", "role": "read", "products": "shop*", "expires_in": 3600}"#;
    let post_json = |url: &str, token: &str, body: &[u8]| {
        let mut r = agent()
            .post(url)
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(body)
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    assert_eq!(post_json(&tokens, &reader, new).0, 403);
    let (status, body) = post_json(&tokens, &admin, new);
    assert_eq!(status, 201, "{body}");
    let made = serde_json::from_str::<serde_json::Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get(&products, Some(&made)).0, 200);
    let (status, ct, body) = get(&tokens, Some(&admin));
    assert_eq!(status, 200);
    assert!(body.contains("api-made") && !body.contains(&made) && ct == "application/json");
    let (status, ct, _) = {
        let (s, b) = post_json(&tokens, &admin, b"{\"name\": 5}");
        (s, String::new(), b)
    };
    assert_eq!(status, 422, "{ct}");
    let mut r = agent()
        .delete(&format!("{tokens}/api-made"))
        .header("Authorization", &format!("Bearer {admin}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let _ = r.body_mut().read_to_string();
    assert_eq!(get(&products, Some(&made)).0, 401);
    // Errors axum answers itself are problem documents too.
    let (status, ct, _) = get(&format!("{products}?limit=x"), Some(&reader));
    assert_eq!((status, ct.as_str()), (400, "application/problem+json"));

    // The OpenAPI document and metrics.
    let (status, _, body) = get(&format!("{}/api/v1/openapi.json", s.base), Some(&reader));
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in ["/api/v1/sboms", "/api/v1/products", "/api/v1/query/who-has"] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    // Metrics are the operators': an admin token's; made-up methods share one series.
    assert_eq!(get(&format!("{}/metrics", s.base), Some(&reader)).0, 403);
    for method in ["FOO1", "FOO2"] {
        use std::io::Read as _;
        let addr = s.base.trim_start_matches("http://");
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        write!(
            c,
            "{method} /api/v1/products HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    }
    // Recorded package audits: every holder for an unscoped token, only the holders of
    // its products for a limited one.
    s.store
        .record_audits(&[chainwatch_store::AuditRecord {
            purl: chainwatch_purl::Purl::parse("pkg:pypi/requests@2.32.3").unwrap(),
            worst: Some("high".to_owned()),
            findings: serde_json::json!([{"rule": "install-exec", "severity": "high"}]),
            files: 3,
            source: "requests-2.32.3.whl".to_owned(),
        }])
        .unwrap();
    let audits = format!("{}/api/v1/audits?min_severity=high", s.base);
    let holders = |token: &str| -> Vec<String> {
        let (status, _, body) = get(&audits, Some(token));
        assert_eq!(status, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{body}");
        assert_eq!(items[0]["purl"], "pkg:pypi/requests@2.32.3");
        let mut names: Vec<String> = items[0]["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["product"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names.dedup();
        names
    };
    assert_eq!(holders(&reader), ["payments", "shop"]);
    assert_eq!(holders(&shop_ci), ["shop"]);
    assert_eq!(
        get(
            &format!("{}/api/v1/audits?min_severity=worst", s.base),
            Some(&reader)
        )
        .0,
        400
    );
    let (status, ct, body) = get(&format!("{}/metrics", s.base), Some(&admin));
    assert_eq!(status, 200);
    assert!(
        !body.contains("FOO1") && body.contains("method=\"OTHER\""),
        "{body}"
    );
    assert!(ct.starts_with("text/plain"));
    assert!(
        body.contains("chainwatch_documents_stored_total 3"),
        "{body}"
    );
    assert!(body.contains("status=\"401\""));
    assert_eq!(
        get(&format!("{}/nothing-here", s.base), Some(&reader)).0,
        404
    );
}

#[test]
fn end_to_end_sqlite() {
    end_to_end(&sqlite(chainwatch_server::Config::default()));
}

#[test]
fn end_to_end_postgres() {
    if let Some(s) = postgres("e2e", chainwatch_server::Config::default()) {
        end_to_end(&s);
    }
}

/// Uploads above the limit (after decompression too) are refused with 413.
#[test]
fn oversize_uploads_are_refused() {
    let s = sqlite(chainwatch_server::Config {
        max_upload: 4096,
        ..chainwatch_server::Config::default()
    });
    let admin = s.token("admin", Role::Admin, None, None);
    let upload = format!("{}/api/v1/sboms", s.base);
    let big = vec![b' '; 10_000];
    assert_eq!(post(&upload, &admin, &big, None).0, 413);
    // A small gzip body that inflates beyond the limit.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 1_000_000]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 4096);
    assert_eq!(post(&upload, &admin, &bomb, Some("gzip")).0, 413);
    // The same bodies without `Content-Encoding`, which the server sniffs: the limit
    // holds for the inflated bytes however the compression is announced (an SBOM and a
    // VEX document; zstd too).
    let (status, _, body) = post(&upload, &admin, &bomb, None);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("urn:chainwatch:problem:too-large"), "{body}");
    let zstd_bomb = zstd::bulk::compress(&vec![b' '; 1_000_000], 19).unwrap();
    assert_eq!(post(&upload, &admin, &zstd_bomb, None).0, 413);
    assert_eq!(
        post(&format!("{}/api/v1/vex", s.base), &admin, &bomb, None).0,
        413
    );
    assert_eq!(documents(&s), 0);
    // A scoped token naming a product outside its scope is refused before the body is
    // read (403, not 413).
    let ci = s.token("ci", Role::Ingest, Some("shop*"), None);
    let other = format!("{upload}?product=billing&version=1");
    assert_eq!(post(&other, &ci, &bomb, None).0, 403);
}

/// Uploads above `async_upload_above` are stored by a durable job: 202 with the job's
/// URL, which the uploader (and an admin, nobody else) reads until it is done with
/// what storing did. A document outside the token's scope, or not an SBOM, ends the
/// job dead at once with the problem, and stores nothing.
fn large_uploads_are_jobs(s: &Server) {
    let admin = s.token("admin", Role::Admin, None, None);
    let ci = s.token("ci", Role::Ingest, Some("shop*"), None);
    let other = s.token("other", Role::Ingest, None, None);
    let upload = format!("{}/api/v1/sboms", s.base);
    let padded = |doc: Vec<u8>| {
        let mut doc = doc;
        doc.extend(std::iter::repeat_n(b' ', 2000));
        doc
    };
    let finished = |url: &str, token: &str| {
        let mut job = serde_json::Value::Null;
        assert!(
            eventually(|| {
                let (status, _, body) = get(url, Some(token));
                job = json(&body);
                status == 200 && (job["state"] == "done" || job["state"] == "dead")
            }),
            "{job}"
        );
        job
    };
    let (status, _, body) = post(&upload, &ci, &padded(sbom("shop", "1")), None);
    assert_eq!(status, 202, "{body}");
    let accepted = json(&body);
    assert_eq!(accepted["state"], "queued");
    let url = format!("{}{}", s.base, accepted["url"].as_str().unwrap());
    let job = finished(&url, &ci);
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["kind"], "sbom-upload");
    assert_eq!(job["result"]["stored"], true);
    assert_eq!(job["result"]["product"], "shop");
    assert_eq!(job["result"]["components"], 3);
    assert_eq!(get(&url, Some(&other)).0, 404);
    assert_eq!(get(&url, Some(&admin)).0, 200);
    assert_eq!(documents(s), 1);
    // Outside the token's scope: known only once read.
    let (status, _, body) = post(&upload, &ci, &padded(sbom("billing", "1")), None);
    assert_eq!(status, 202, "{body}");
    let url = format!("{}{}", s.base, json(&body)["url"].as_str().unwrap());
    let job = finished(&url, &ci);
    assert_eq!(
        (job["state"].clone(), job["attempts"].clone()),
        ("dead".into(), 1.into())
    );
    assert_eq!(
        job["problem"]["type"], "urn:chainwatch:problem:forbidden-product",
        "{job}"
    );
    // Not an SBOM.
    let (status, _, body) = post(&upload, &other, &padded(b"{\"hello\": 1}".to_vec()), None);
    assert_eq!(status, 202, "{body}");
    let url = format!("{}{}", s.base, json(&body)["url"].as_str().unwrap());
    let job = finished(&url, &other);
    assert_eq!(job["state"], "dead", "{job}");
    assert_eq!(job["problem"]["status"], 400, "{job}");
    assert!(
        job["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{job}"
    );
    assert_eq!(documents(s), 1);
    // Small uploads are stored within the request, as before.
    assert_eq!(post(&upload, &ci, &sbom("shop", "2"), None).0, 201);
    assert_eq!(documents(s), 2);
}

#[test]
fn large_uploads_are_jobs_sqlite() {
    large_uploads_are_jobs(&sqlite(chainwatch_server::Config {
        async_upload_above: 1500,
        ..chainwatch_server::Config::default()
    }));
}

#[test]
fn large_uploads_are_jobs_postgres() {
    if let Some(s) = postgres(
        "jobs",
        chainwatch_server::Config {
            async_upload_above: 1500,
            ..chainwatch_server::Config::default()
        },
    ) {
        large_uploads_are_jobs(&s);
    }
}

/// More requests in a minute than the limit: 429 with `Retry-After`.
#[test]
fn tokens_are_rate_limited() {
    let s = sqlite(chainwatch_server::Config {
        rate_limit: 3,
        ..chainwatch_server::Config::default()
    });
    let reader = s.token("reader", Role::Read, None, None);
    let url = format!("{}/api/v1/products", s.base);
    let statuses: Vec<u16> = (0..4).map(|_| get(&url, Some(&reader)).0).collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
    // Another token has its own budget.
    let other = s.token("other", Role::Read, None, None);
    assert_eq!(get(&url, Some(&other)).0, 200);
}

/// A client presenting unknown tokens is cut off after 30 in a minute (429 with
/// `Retry-After`, before any lookup, whatever token it shows next); a client that only
/// left the header out is not counted.
#[test]
fn token_guessing_is_rate_limited() {
    let s = sqlite(chainwatch_server::Config::default());
    let reader = s.token("reader", Role::Read, None, None);
    let url = format!("{}/api/v1/products", s.base);
    for _ in 0..40 {
        assert_eq!(get(&url, None).0, 401);
    }
    assert_eq!(get(&url, Some(&reader)).0, 200);
    let statuses: Vec<u16> = (0..31)
        .map(|i| get(&url, Some(&format!("cw_guess{i}"))).0)
        .collect();
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429);
    let mut r = agent()
        .get(&url)
        .header("Authorization", &format!("Bearer {reader}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body = r.body_mut().read_to_string().unwrap();
    assert!(body.contains("127.0.0.1"), "{body}");
}

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Hit {
    signature: Option<String>,
    /// `X-Chainwatch-Delivery`, and whether `Idempotency-Key` said the same.
    key: Option<String>,
    same_idempotency_key: bool,
    body: Vec<u8>,
    at: std::time::Instant,
}

type Received = Arc<std::sync::Mutex<Vec<Hit>>>;

/// A webhook receiver on loopback: answers with `statuses` in turn (then 200) and keeps
/// what it received.
fn receiver(statuses: Vec<u16>) -> (String, Received) {
    receiver_with(statuses, std::time::Duration::ZERO, None)
}

/// As [`receiver`], answering each request after `delay`, with `Location: location`.
fn receiver_with(
    statuses: Vec<u16>,
    delay: std::time::Duration,
    location: Option<String>,
) -> (String, Received) {
    use std::io::{BufRead as _, Read as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = got.clone();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut signature, mut key, mut idempotency) = (0usize, None, None, None);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                let value = || line.split_once(':').unwrap().1.trim().to_owned();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                } else if lower.starts_with("x-chainwatch-signature:") {
                    signature = Some(value());
                } else if lower.starts_with("x-chainwatch-delivery:") {
                    key = Some(value());
                } else if lower.starts_with("idempotency-key:") {
                    idempotency = Some(value());
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen.lock().unwrap().push(Hit {
                signature,
                same_idempotency_key: key.is_some() && key == idempotency,
                key,
                body,
                at: std::time::Instant::now(),
            });
            std::thread::sleep(delay);
            let status = statuses.next().unwrap_or(200);
            let location = location
                .as_ref()
                .map(|l| format!("Location: {l}\r\n"))
                .unwrap_or_default();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\n{location}Content-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

fn hook(url: &str) -> chainwatch_server::notify::Webhook {
    chainwatch_server::notify::Webhook {
        url: url.to_owned(),
        secret: None,
        slack: false,
    }
}

/// A report of one new finding, as a match makes it.
fn one_new_finding() -> chainwatch_store::MatchReport {
    chainwatch_store::MatchReport {
        new: vec![chainwatch_store::FindingChange {
            package: "pkg:pypi/requests@2.32.3".into(),
            advisory: "MAL-2026-9999".into(),
        }],
        ..chainwatch_store::MatchReport::default()
    }
}

/// Waits until `f` holds (at most 20 s).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

/// A failing receiver and a slow one delay nobody else: each receiver has its own
/// sender, and the healthy one has its event at once.
#[test]
fn webhook_receivers_do_not_wait_for_each_other() {
    let (failing, _) = receiver(vec![500; 10]);
    let (slow, slow_got) = receiver_with(vec![], std::time::Duration::from_secs(4), None);
    let (healthy, healthy_got) = receiver(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("cw.db").display().to_string()).unwrap());
    let notifier = chainwatch_server::notify::Notifier::start_with(
        store.clone(),
        vec![hook(&failing), hook(&slow), hook(&healthy)],
        Arc::new(|_: &str| {}),
        &[std::time::Duration::from_secs(1); 3],
    );
    let sent = std::time::Instant::now();
    notifier.findings("upload", &one_new_finding());
    notifier.findings("upload", &one_new_finding());
    // Both events are in the outbox before `findings` returns: each of the six
    // notifications is waiting there or (the sender being quick) already delivered.
    // Read as one snapshot: a delivery that ends between the two reads is counted in
    // both, so the outbox is read again until it did not change around the deliveries.
    let (waiting, done) = loop {
        let before = store.outbox().unwrap().iter().map(|(_, n)| n).sum::<u64>();
        let done = store.deliveries(100).unwrap().len() as u64;
        let after = store.outbox().unwrap().iter().map(|(_, n)| n).sum::<u64>();
        if before == after {
            break (after, done);
        }
    };
    assert_eq!(waiting + done, 6, "{waiting} waiting, {done} done");
    assert!(eventually(|| healthy_got.lock().unwrap().len() == 2));
    let took = healthy_got.lock().unwrap()[1].at - sent;
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    // The slow receiver gets its second event only after answering the first.
    assert!(eventually(|| slow_got.lock().unwrap().len() == 2));
    let got = slow_got.lock().unwrap().clone();
    assert!(got[1].at - got[0].at >= std::time::Duration::from_secs(4));
    // The failing one is given up after its retries; every outcome is recorded.
    assert!(eventually(|| store.deliveries(10).unwrap().len() == 6));
    let deliveries = store.deliveries(10).unwrap();
    let failed: Vec<_> = deliveries.iter().filter(|d| !d.delivered).collect();
    assert_eq!(failed.len(), 2, "{deliveries:?}");
    assert!(failed.iter().all(|d| d.url == failing && d.attempts == 4));
    assert!(store.outbox().unwrap().is_empty());
}

/// A redirect is a failed attempt: the event (and its signature) never reach the other
/// host, and the delivery is recorded as not delivered.
#[test]
fn webhook_redirects_are_not_followed() {
    let (elsewhere, elsewhere_got) = receiver(vec![]);
    let (redirecting, got) =
        receiver_with(vec![302; 10], std::time::Duration::ZERO, Some(elsewhere));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("cw.db").display().to_string()).unwrap());
    let notifier = chainwatch_server::notify::Notifier::start_with(
        store.clone(),
        vec![chainwatch_server::notify::Webhook {
            secret: Some(b"s3cret".to_vec()),
            ..hook(&redirecting)
        }],
        Arc::new(|_: &str| {}),
        &[std::time::Duration::ZERO; 2],
    );
    notifier.findings("upload", &one_new_finding());
    assert!(eventually(|| !store.deliveries(10).unwrap().is_empty()));
    let d = &store.deliveries(10).unwrap()[0];
    assert!(!d.delivered);
    assert_eq!((d.attempts, d.response_code), (3, Some(302)));
    assert!(d.error.as_deref().unwrap().contains("redirect"), "{d:?}");
    assert_eq!(got.lock().unwrap().len(), 3);
    assert!(elsewhere_got.lock().unwrap().is_empty());
}

/// What a stopped server left in the outbox is sent by the next one, with the key it
/// was given, and recorded once.
#[test]
fn webhook_outbox_survives_a_restart() {
    let (url, got) = receiver(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cw.db").display().to_string();
    {
        // A server that queued an event and stopped before sending it.
        let store = Store::open(&path).unwrap();
        store
            .enqueue_notifications(&[chainwatch_store::Outgoing {
                key: "k-left-behind",
                url: &url,
                event: "findings",
                body: b"{\"event\": \"findings\"}",
            }])
            .unwrap();
    }
    let store = Arc::new(Store::open(&path).unwrap());
    let notifier = chainwatch_server::notify::Notifier::start(
        store.clone(),
        vec![hook(&url)],
        Arc::new(|_: &str| {}),
    );
    assert!(eventually(|| store.deliveries(10).unwrap().len() == 1));
    let hits = got.lock().unwrap().clone();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].key.as_deref(), Some("k-left-behind"));
    assert!(hits[0].same_idempotency_key);
    assert_eq!(hits[0].body, b"{\"event\": \"findings\"}");
    let d = &store.deliveries(10).unwrap()[0];
    assert!(d.delivered);
    assert_eq!(d.key.as_deref(), Some("k-left-behind"));
    drop(notifier);
}

/// New findings of uploads are announced to webhooks: signed JSON, retried until
/// delivered with one idempotency key, every delivery recorded.
#[test]
fn webhooks_announce_new_findings() {
    let (url, got) = receiver(vec![500, 503]);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("cw.db").display().to_string()).unwrap());
    let notifier = Arc::new(chainwatch_server::notify::Notifier::start_with(
        store.clone(),
        vec![chainwatch_server::notify::Webhook {
            url: url.clone(),
            secret: Some(b"s3cret".to_vec()),
            slack: false,
        }],
        Arc::new(|_: &str| {}),
        &[std::time::Duration::ZERO; 3],
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = chainwatch_server::app(
        store.clone(),
        chainwatch_server::Config {
            notifier: Some(notifier),
            ..chainwatch_server::Config::default()
        },
        Arc::new(|_: &str| {}),
    );
    runtime.spawn(async move {
        let _ = chainwatch_server::serve(listener, app).await;
    });
    let (secret, hash) = chainwatch_server::new_token().unwrap();
    store
        .create_token("admin", Role::Admin, None, &hash, None)
        .unwrap();
    let osv = br#"{"id": "MAL-2026-9999", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"}, "versions": ["2.32.3"]}]}"#;
    assert_eq!(
        post(&format!("{base}/api/v1/advisories"), &secret, osv, None).0,
        200
    );
    assert_eq!(
        post(
            &format!("{base}/api/v1/sboms"),
            &secret,
            &sbom("shop", "1.0"),
            None
        )
        .0,
        201
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while store.deliveries(10).unwrap().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let deliveries = store.deliveries(10).unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert!(deliveries[0].delivered);
    assert_eq!(
        (deliveries[0].attempts, deliveries[0].response_code),
        (3, Some(200))
    );
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 3);
    // One idempotency key for every attempt, as recorded.
    assert!(
        got.iter()
            .all(|h| h.same_idempotency_key && h.key == got[0].key)
    );
    assert_eq!(deliveries[0].key, got[0].key);
    let (signature, body) = (&got[2].signature, &got[2].body);
    assert_eq!(
        signature.as_deref(),
        Some(chainwatch_server::notify::signature(b"s3cret", body).as_str())
    );
    let event: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["event"], "findings");
    assert_eq!(event["source"], "upload");
    assert_eq!(event["new"][0]["advisory"], "MAL-2026-9999");
    assert_eq!(event["new"][0]["malicious"], true);
    assert_eq!(event["new"][0]["products"][0], "shop@1.0");
    drop(got);
    drop(runtime);
}

/// The corpus's real SBOMs and its broken and hostile files through the API: each is
/// stored (201) or refused (400 or 413 problem+json) and a refusal changes nothing; the store
/// passes its integrity check; the decompression bomb is refused within its limits.
#[test]
fn real_and_hostile_documents() {
    let Some(guac) = chainwatch_testkit::corpus_path("real-sboms/guac") else {
        return;
    };
    let s = sqlite(chainwatch_server::Config::default());
    let admin = s.token("admin", Role::Admin, None, None);
    let upload = format!("{}/api/v1/sboms", s.base);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&guac)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.push(guac.join("../trustify/adversarial/bomb.bz2"));
    files.sort();
    let (mut stored, mut refused) = (0u64, 0);
    for file in &files {
        let before = documents(&s);
        let bytes = std::fs::read(file).unwrap();
        let (status, ct, body) = post(&upload, &admin, &bytes, None);
        match status {
            201 => stored += 1,
            200 => {}
            // Unusable (400), or a bomb that inflates past the upload limit (413).
            400 | 413 => {
                refused += 1;
                assert_eq!(ct, "application/problem+json", "{}", file.display());
                let p: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert!(!p["detail"].as_str().unwrap().is_empty());
                assert_eq!(documents(&s), before, "{}", file.display());
            }
            other => panic!("{}: {other} {body}", file.display()),
        }
    }
    assert!(stored >= 20, "{stored} stored of {}", files.len());
    assert!(refused >= 3, "{refused} refused");
    assert_eq!(documents(&s), stored);
    assert!(s.store.check().unwrap().ok);
}

/// No endpoint fetches what a document names: URLs in an SBOM, a VEX document and an
/// OSV record point at a listener that must see no connection.
#[test]
fn documents_never_make_the_server_fetch() {
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", trap.local_addr().unwrap());
    trap.set_nonblocking(true).unwrap();
    let s = sqlite(chainwatch_server::Config::default());
    let admin = s.token("admin", Role::Admin, None, None);
    let sbom = serde_json::to_vec(&serde_json::json!({
        "$schema": format!("{url}/schema.json"),
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "app", "version": "1",
            "externalReferences": [{"type": "bom", "url": format!("{url}/other-bom.json")}]}},
        "components": [{"type": "library", "bom-ref": "a", "name": "a", "version": "1", "purl": "pkg:npm/a@1",
            "externalReferences": [{"type": "distribution", "url": format!("{url}/a.tgz")}]}],
    }))
    .unwrap();
    assert_eq!(
        post(&format!("{}/api/v1/sboms", s.base), &admin, &sbom, None).0,
        201
    );
    let vex = format!(
        r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "{url}/vex", "author": "x",
            "timestamp": "2026-11-01T00:00:00Z", "version": 1,
            "statements": [{{"vulnerability": {{"name": "CVE-2026-1", "@id": "{url}/cve"}},
              "products": [{{"@id": "{url}/product"}}], "status": "fixed"}}]}}"#
    );
    assert_eq!(
        post(
            &format!("{}/api/v1/vex", s.base),
            &admin,
            vex.as_bytes(),
            None
        )
        .0,
        201
    );
    let osv = format!(
        r#"{{"id": "GHSA-trap-0001", "modified": "2026-01-01T00:00:00Z",
            "references": [{{"type": "WEB", "url": "{url}/advisory"}}],
            "affected": [{{"package": {{"ecosystem": "npm", "name": "a"}}, "versions": ["1"]}}]}}"#
    );
    assert_eq!(
        post(
            &format!("{}/api/v1/advisories", s.base),
            &admin,
            osv.as_bytes(),
            None
        )
        .0,
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        trap.accept().is_err(),
        "the server connected to a URL a document named"
    );
}

/// With a certificate and key the server speaks TLS only: a client that trusts the
/// certificate gets answers, plain HTTP gets none.
#[test]
fn tls() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let config = chainwatch_server::tls::config(
        cert.cert.pem().as_bytes(),
        cert.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    assert!(chainwatch_server::tls::config(b"", b"").is_err());
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("cw.db").display().to_string()).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = chainwatch_server::app(
        store.clone(),
        chainwatch_server::Config::default(),
        Arc::new(|_: &str| {}),
    );
    runtime.spawn(async move {
        let _ = chainwatch_server::serve_tls(listener, config, app).await;
    });
    let trusting = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![
                        ureq::tls::Certificate::from_der(cert.cert.der()).to_owned(),
                    ])))
                    .build(),
            )
            .build(),
    );
    let mut r = trusting
        .get(&format!("https://localhost:{port}/healthz"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.body_mut().read_to_string().unwrap(), "ok\n");
    assert!(
        agent()
            .get(&format!("http://localhost:{port}/healthz"))
            .call()
            .is_err()
    );
    drop(runtime);
}

/// Attestations uploaded through the API are verified and stored as evidence; those
/// that do not verify are rejected (422) and nothing is stored.
#[test]
fn attestation_uploads() {
    let Some(testdata) =
        chainwatch_testkit::corpus_path("attestations/slsa-verifier/cli/slsa-verifier/testdata")
    else {
        return;
    };
    let s = sqlite(chainwatch_server::Config::default());
    let admin = s.token("admin", Role::Admin, None, None);
    let scoped = s.token("scoped", Role::Ingest, Some("shop"), None);
    let url = format!("{}/api/v1/attestations", s.base);
    let bundle =
        std::fs::read(testdata.join("gha_go/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl"))
            .unwrap();
    let legacy =
        std::fs::read(testdata.join("binary-linux-amd64-expired-cert.intoto.jsonl")).unwrap();
    let builder = "builder=https://github.com/slsa-framework/slsa-github-generator/*";
    assert_eq!(
        post(&format!("{url}?{builder}"), &scoped, &bundle, None).0,
        403
    );
    let (status, _, body) = post(&format!("{url}?{builder}"), &admin, &bundle, None);
    assert_eq!(status, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["attestations"][0]["status"], "stored");
    let (status, _, body) = post(&format!("{url}?{builder}"), &admin, &legacy, None);
    assert_eq!(status, 422, "{body}");
    assert_eq!(post(&url, &admin, b"not json", None).0, 400);
    // For a product version that is not stored: nothing.
    let (status, _, _) = post(
        &format!("{url}?{builder}&product=x&version=1"),
        &admin,
        &bundle,
        None,
    );
    assert_eq!(status, 404);
}

/// Dependencies that imitate popular packages come back with the upload.
#[test]
fn uploads_report_typosquats() {
    let s = sqlite(chainwatch_server::Config::default());
    let admin = s.token("admin", Role::Admin, None, None);
    let upload = format!("{}/api/v1/sboms", s.base);
    // Dependencies that imitate popular packages come back with the upload.
    let squatting = serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "lab", "version": "0.1"}},
        "components": [{"type": "library", "bom-ref": "c", "name": "colourama", "version": "0.1", "purl": "pkg:pypi/colourama@0.1"}],
    }))
    .unwrap();
    let (status, _, body) = post(&upload, &admin, &squatting, None);
    assert_eq!(status, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["suspects"][0]["imitates"], "colorama", "{body}");
    assert!(
        v["suspects"][0]["package"]
            .as_str()
            .unwrap()
            .contains("colourama")
    );
    let (_, _, body) = post(&upload, &admin, &sbom("shop", "1.0"), None);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["suspects"].as_array().unwrap().is_empty());
}

/// What a hostile client tried gets a clear answer: the bearer scheme in any case, token
/// names that would forge lines, refusals logged with the token's name, NUL bytes in a
/// path (404 on both backends, not 500).
#[test]
fn hostile_clients_get_clear_answers() {
    let lines: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let sink = lines.clone();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cw.db").display().to_string()).unwrap();
    let (base, store, runtime) = start_logging(
        store,
        chainwatch_server::Config::default(),
        Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned())),
    );
    let s = Server {
        base,
        store,
        _runtime: runtime,
        _dir: Some(dir),
        pg: None,
    };
    let reader = s.token("reader", Role::Read, None, None);
    let scoped = s.token("scoped", Role::Read, Some("shop*"), None);
    let products = format!("{}/api/v1/products", s.base);
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let mut r = agent()
            .get(&products)
            .header("Authorization", &format!("{scheme} {reader}"))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{scheme}");
        let _ = r.body_mut().read_to_string();
    }
    let (_, hash) = chainwatch_server::new_token().unwrap();
    assert!(
        s.store
            .create_token("ci\n{\"forged\": true}", Role::Read, None, &hash, None)
            .is_err()
    );
    assert_eq!(
        get(&format!("{products}/billing/versions/1"), Some(&scoped)).0,
        403
    );
    assert_eq!(
        get(&format!("{products}/%00/versions/%00"), Some(&reader)).0,
        404
    );
    let log = lines.lock().unwrap().join("\n");
    assert!(
        log.lines()
            .any(|l| l.contains("\"status\":403") && l.contains("\"token\":\"scoped\"")),
        "{log}"
    );
}

#[test]
fn nul_bytes_in_paths_are_not_found_on_postgres() {
    if let Some(s) = postgres("nul", chainwatch_server::Config::default()) {
        let reader = s.token("reader", Role::Read, None, None);
        let url = format!("{}/api/v1/products/%00/versions/%00", s.base);
        assert_eq!(get(&url, Some(&reader)).0, 404);
    }
}

/// Idle, slow and too many connections cannot lock clients out, and a stopping server
/// does not wait for a client that never finishes its request.
#[test]
fn idle_and_slow_connections_are_closed() {
    use std::io::Read as _;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("cw.db").display().to_string()).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = chainwatch_server::app(
        store.clone(),
        chainwatch_server::Config::default(),
        Arc::new(|_: &str| {}),
    );
    let limits = chainwatch_server::Connections {
        max: 4,
        header_timeout: Duration::from_millis(300),
        shutdown_grace: Duration::from_millis(500),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(chainwatch_server::serve_on(listener, app, limits, async {
        let _ = stopped.await;
    }));
    let closed = |s: &mut std::net::TcpStream| {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 64];
        matches!(s.read(&mut buf), Ok(0) | Err(_))
    };
    // Four idle sockets take every slot; a fifth is closed as it arrives.
    let mut idle: Vec<std::net::TcpStream> = (0..4)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut fifth = std::net::TcpStream::connect(addr).unwrap();
    assert!(closed(&mut fifth));
    // Past the header timeout the idle ones are closed, and clients are served again.
    for s in &mut idle {
        assert!(closed(s));
    }
    assert_eq!(get(&format!("http://{addr}/healthz"), None).0, 200);
    // A half-sent request does not keep a stopping server alive.
    let mut half = std::net::TcpStream::connect(addr).unwrap();
    write!(half, "GET /healthz HTTP/1.1\r\nHo").unwrap();
    let started = Instant::now();
    stop.send(()).unwrap();
    runtime.block_on(server).unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(runtime);
    drop(store);
}

/// The OpenAPI document as served passes openapi-spec-validator (an independent
/// implementation of the specification), and says what clients rely on: every query
/// parameter in the query, every response described, problem documents as such.
#[test]
fn openapi_document_is_valid() {
    let s = sqlite(chainwatch_server::Config::default());
    let reader = s.token("openapi", Role::Read, None, None);
    let (status, _, body) = get(&format!("{}/api/v1/openapi.json", s.base), Some(&reader));
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    p["in"],
                    if in_path { "path" } else { "query" },
                    "{method} {path}: parameter `{name}`"
                );
                if in_path {
                    assert_eq!(p["required"], true, "{method} {path}: `{name}`");
                }
            }
            for (code, r) in op["responses"].as_object().unwrap() {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path}: response {code} has no description"
                );
                if code.starts_with(['4', '5']) && r.get("content").is_some() {
                    assert!(
                        r["content"].get("application/problem+json").is_some(),
                        "{method} {path}: response {code}: {r}"
                    );
                }
            }
            for code in ["401", "429", "500", "503"] {
                assert!(
                    op["responses"].get(code).is_some(),
                    "{method} {path}: {code}"
                );
            }
        }
    }
    assert!(operations >= 15, "{operations} operations");
    // Optional query parameters are not required.
    let who_has = &doc["paths"]["/api/v1/query/who-has"]["get"]["parameters"];
    let limit = who_has
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (&limit["in"], &limit["required"]),
        (&"query".into(), &false.into())
    );

    let Some(validator) = chainwatch_testkit::peer_tool("openapi-spec-validator") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &body).unwrap();
    let out = std::process::Command::new(&validator)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (status, body) of a request with a method and a body.
fn send(method: &str, url: &str, token: &str, body: &[u8]) -> (u16, String) {
    let req = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/toml")
        .body(body.to_vec())
        .unwrap();
    let mut r = agent().run(req).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The active policy over the API: applied by admins only (located errors, failing
/// examples refused), evaluated on upload, after an advisory import and when tags change;
/// violations listed with filters, scopes and SARIF; new `fail` violations notified.
fn policies_over_the_api(s: &Server, got: &Received) {
    let admin = s.token("admin", Role::Admin, None, None);
    let reader = s.token("reader", Role::Read, None, None);
    let blog_reader = s.token("blog-reader", Role::Read, Some("blog*"), None);
    let ingest = s.token("ci", Role::Ingest, Some("shop*"), None);
    let policy_url = format!("{}/api/v1/policy", s.base);
    let (status, _, body) = get(&policy_url, Some(&reader));
    assert_eq!(status, 200);
    assert_eq!(json(&body)["active"], false);

    let bad = send(
        "PUT",
        &policy_url,
        &admin,
        b"[[rule]]\nname = \"x\"\nlevel = \"dire\"\nwhen.malicious = true\n",
    );
    assert_eq!(bad.0, 400, "{}", bad.1);
    assert_eq!(
        json(&bad.1)["type"],
        "urn:chainwatch:problem:invalid-policy"
    );
    assert!(bad.1.contains("line 3"), "{}", bad.1);
    let policy = br#"
[[rule]]
name = "no-malicious"
level = "fail"
when.malicious = true

[[rule]]
name = "requests-in-prod"
level = "warn"
tags = ["prod"]
when.packages = ["pkg:pypi/requests"]

[[analysis]]
name = "lab-only"
state = "not_affected"
justification = "requires_environment"
until = "2999-12-31"
when.advisories = ["CVE-2099-0001"]

[[example]]
name = "a malicious package fails"
component = { purl = "pkg:pypi/x@1" }
findings = [{ advisory = "MAL-1", malicious = true }]
violates = ["no-malicious"]
"#;
    let failing =
        String::from_utf8_lossy(policy).replace("violates = [\"no-malicious\"]", "violates = []");
    let refused = send("PUT", &policy_url, &admin, failing.as_bytes());
    assert_eq!(refused.0, 400, "{}", refused.1);
    assert!(refused.1.contains("examples"), "{}", refused.1);
    assert_eq!(send("PUT", &policy_url, &reader, policy).0, 403);
    // Hostile bodies: over 1 MiB, NUL bytes and markup in names change nothing.
    let huge = vec![b'#'; chainwatch_policy::MAX_POLICY_BYTES + 1];
    assert_eq!(send("PUT", &policy_url, &admin, &huge).0, 413);
    let nul = send(
        "PUT",
        &policy_url,
        &admin,
        b"[[rule]]\nname = \"a\0\"\nlevel = \"fail\"\nwhen.malicious = true\n",
    );
    assert_eq!(nul.0, 400, "{}", nul.1);
    assert_eq!(json(&get(&policy_url, Some(&reader)).2)["active"], false);
    let applied = send("PUT", &policy_url, &admin, policy);
    assert_eq!(applied.0, 200, "{}", applied.1);
    let applied = json(&applied.1);
    assert_eq!(
        (applied["active"].clone(), applied["rules"].clone()),
        (true.into(), 2.into())
    );
    let (_, _, shown) = get(&policy_url, Some(&reader));
    assert_eq!(json(&shown)["rules"][1]["name"], "requests-in-prod");
    assert_eq!(
        (
            json(&shown)["analyses"][0]["name"].clone(),
            json(&shown)["analyses"][0]["until"].clone()
        ),
        ("lab-only".into(), "3000-01-01T00:00:00.000000Z".into())
    );

    // An upload with a tag: the tagged rule holds at once.
    let (status, _, body) = post(
        &format!("{}/api/v1/sboms?tags=prod,team-a", s.base),
        &ingest,
        &sbom("shop", "1.0"),
        None,
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(json(&body)["new_violations"], 1);
    assert_eq!(s.store.product_tags().unwrap()["shop"], ["prod", "team-a"]);
    // A malicious-package advisory: exactly one new `fail` violation, notified.
    let osv = br#"{"id": "MAL-2026-7777", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "urllib3"}, "versions": ["1.26.5"]}]}"#;
    assert_eq!(
        post(&format!("{}/api/v1/advisories", s.base), &admin, osv, None).0,
        200
    );
    let violations_url = format!("{}/api/v1/violations", s.base);
    // Evaluated in the background after an advisory import.
    let mut body = String::new();
    assert!(
        eventually(|| {
            let (status, _, b) = get(&violations_url, Some(&reader));
            body = b;
            status == 200 && json(&body)["items"].as_array().unwrap().len() == 2
        }),
        "{body}"
    );
    // The evaluation was a durable job, run by the server's worker.
    let jobs_url = format!("{}/api/v1/jobs", s.base);
    assert_eq!(get(&jobs_url, Some(&reader)).0, 403);
    let mut jobs = String::new();
    assert!(
        eventually(|| {
            jobs = get(&jobs_url, Some(&admin)).2;
            json(&jobs).as_array().unwrap().iter().any(|j| {
                j["kind"] == "policy-evaluation" && j["state"] == "done" && j["attempts"] == 1
            })
        }),
        "{jobs}"
    );
    let done = json(&jobs)
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["state"] == "done")
        .cloned()
        .unwrap();
    assert!(done["result"]["versions"].as_u64().unwrap() >= 1, "{done}");
    let (status, _, one) = get(&format!("{jobs_url}/{}", done["id"]), Some(&admin));
    assert_eq!(
        (status, json(&one)["id"].clone()),
        (200, done["id"].clone())
    );
    assert_eq!(get(&format!("{jobs_url}/x"), Some(&admin)).0, 404);
    assert_eq!(get(&format!("{jobs_url}/999999"), Some(&admin)).0, 404);
    let items = json(&body)["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["rule"], "no-malicious");
    assert_eq!(items[0]["level"], "fail");
    assert_eq!(items[0]["component"], "pkg:pypi/urllib3@1.26.5");
    assert_eq!(items[0]["advisory"], "MAL-2026-7777");
    assert!(items[0]["first_seen"].as_str().unwrap().ends_with('Z'));
    let (_, _, body) = get(
        &format!("{violations_url}?level=fail&limit=1"),
        Some(&reader),
    );
    assert_eq!(json(&body)["items"].as_array().unwrap().len(), 1);
    assert!(json(&body).get("next").is_none());
    // Pages: one at a time, each read from the store's index, the cursor followed.
    let (_, _, first) = get(&format!("{violations_url}?limit=1"), Some(&reader));
    let first = json(&first);
    assert_eq!(first["items"][0]["rule"], "no-malicious");
    let next = first["next"].as_str().expect("a next page");
    let (_, _, second) = get(
        &format!("{violations_url}?limit=1&cursor={next}"),
        Some(&reader),
    );
    let second = json(&second);
    assert_eq!(second["items"][0]["rule"], "requests-in-prod");
    assert!(second.get("next").is_none());
    assert_eq!(
        get(&format!("{violations_url}?cursor=bm9wZQ"), Some(&reader)).0,
        400
    );
    let (_, _, body) = get(&format!("{violations_url}?format=sarif"), Some(&reader));
    let sarif = json(&body);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "policy/no-malicious"
    );
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");
    // A token limited to other products sees none of them, and may not ask for shop.
    let (_, _, body) = get(&violations_url, Some(&blog_reader));
    assert_eq!(json(&body)["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        get(
            &format!("{violations_url}?product=shop"),
            Some(&blog_reader)
        )
        .0,
        403
    );
    assert_eq!(
        get(&format!("{violations_url}?level=dire"), Some(&reader)).0,
        400
    );
    assert!(eventually(|| got.lock().unwrap().iter().any(|h| {
        serde_json::from_slice::<serde_json::Value>(&h.body).is_ok_and(|e| {
            e["event"] == "policy"
                && e["source"] == "advisories"
                && e["new"]
                    .as_array()
                    .is_some_and(|n| n.len() == 1 && n[0]["rule"] == "no-malicious")
        })
    })));

    // Tags removed: the tagged rule's violation resolves.
    let tagged = agent()
        .put(format!("{}/api/v1/products/shop/tags", s.base))
        .header("Authorization", &format!("Bearer {ingest}"))
        .header("Content-Type", "application/json")
        .send(b"[]".as_slice())
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(tagged, 200);
    let mut body = String::new();
    assert!(
        eventually(|| {
            body = get(&format!("{violations_url}?state=resolved"), Some(&reader)).2;
            json(&body)["items"].as_array().unwrap().len() == 1
        }),
        "{body}"
    );
    let resolved = json(&body)["items"].as_array().unwrap().clone();
    assert_eq!(resolved[0]["rule"], "requests-in-prod");
    assert!(resolved[0]["resolved"].is_string());

    // Removed: every violation resolves.
    let (status, body) = send("DELETE", &policy_url, &admin, b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["resolved"], 1);
    let (_, _, body) = get(&violations_url, Some(&reader));
    assert!(json(&body)["items"].as_array().unwrap().is_empty());
}

fn with_receiver(store: Store) -> (Server, Received) {
    let (url, got) = receiver(Vec::new());
    let store = Arc::new(store);
    let notifier = Arc::new(chainwatch_server::notify::Notifier::start(
        store.clone(),
        vec![hook(&url)],
        Arc::new(|_: &str| {}),
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = chainwatch_server::app(
        store.clone(),
        chainwatch_server::Config {
            notifier: Some(notifier),
            ..chainwatch_server::Config::default()
        },
        Arc::new(|_: &str| {}),
    );
    runtime.spawn(async move {
        let _ = chainwatch_server::serve(listener, app).await;
    });
    (
        Server {
            base,
            store,
            _runtime: runtime,
            _dir: None,
            pg: None,
        },
        got,
    )
}

#[test]
fn policies_over_the_api_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cw.db").display().to_string()).unwrap();
    let (s, got) = with_receiver(store);
    policies_over_the_api(&s, &got);
    drop(s);
    drop(dir);
}

#[test]
fn policies_over_the_api_postgres() {
    let Some(url) = chainwatch_testkit::postgres_url() else {
        return;
    };
    let schema = format!("cw_server_policies_{}", std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let store = Store::open(&format!("{url}{sep}schema={schema}")).unwrap();
    let (mut s, got) = with_receiver(store);
    s.pg = Some((url, schema));
    policies_over_the_api(&s, &got);
}
