//! The console over real HTTP on loopback, without a browser: the sign-in flow and its
//! cookie, the security headers, CSRF and cross-site form refusals, redirects that stay
//! on the site, product scopes, the API refusing the cookie, and attacker-controlled
//! names rendered as text. The browser test (crates/chainwatch/tests/console.rs) drives
//! the same pages in Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::sync::Arc;

use chainwatch_store::{Role, Store};

struct Server {
    base: String,
    _runtime: tokio::runtime::Runtime,
    store: Arc<Store>,
    _dir: tempfile::TempDir,
}

fn start(config: chainwatch_server::Config) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("cw.db").display().to_string()).unwrap());
    store.migrate().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = chainwatch_server::app(store.clone(), config, Arc::new(|_: &str| {}));
    runtime.spawn(async move {
        let _ = chainwatch_server::serve(listener, app).await;
    });
    Server {
        base,
        _runtime: runtime,
        store,
        _dir: dir,
    }
}

fn token(s: &Server, name: &str, role: Role, products: Option<&str>) -> String {
    let (secret, hash) = chainwatch_server::new_token().unwrap();
    s.store
        .create_token(name, role, products, &hash, None)
        .unwrap();
    secret
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build(),
    )
}

struct Answer {
    status: u16,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn answer(mut r: ureq::http::Response<ureq::Body>) -> Answer {
    let status = r.status().as_u16();
    let mut headers = axum::http::HeaderMap::new();
    for (k, v) in r.headers() {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_str().as_bytes()),
            axum::http::HeaderValue::from_bytes(v.as_bytes()),
        ) {
            headers.append(k, v);
        }
    }
    let body = r.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

fn get(s: &Server, path: &str, cookie: Option<&str>) -> Answer {
    let mut req = agent().get(format!("{}{path}", s.base));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    answer(req.call().unwrap())
}

fn post_form(
    s: &Server,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    form: &str,
) -> Answer {
    let mut req = agent()
        .post(format!("{}{path}", s.base))
        .header("Content-Type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    answer(req.send(form.as_bytes()).unwrap())
}

/// Signs in and returns the cookie pair to send back.
fn sign_in(s: &Server, secret: &str) -> String {
    let a = post_form(
        s,
        "/login",
        None,
        Some(&s.base),
        &format!("token={secret}&next=%2F"),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let set = a.header("set-cookie");
    set.split(';').next().unwrap().to_owned()
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    page[at..at + 64].to_owned()
}

fn upload(s: &Server, secret: &str, body: &[u8]) {
    let r = agent()
        .post(format!("{}/api/v1/sboms", s.base))
        .header("Authorization", &format!("Bearer {secret}"))
        .send(body)
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
}

const HOSTILE: [&str; 3] = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=\"window.__xss=1\">",
    "\"onmouseover=\"window.__xss=1",
];

fn hostile_sbom(product: &str) -> Vec<u8> {
    let mut components = vec![serde_json::json!({
        "type": "library", "bom-ref": "d", "name": "debug", "version": "2.6.8",
        "purl": "pkg:npm/debug@2.6.8"
    })];
    for (i, name) in HOSTILE.iter().enumerate() {
        components.push(serde_json::json!({
            "type": "library", "bom-ref": format!("h{i}"), "name": name, "version": "1.0",
            "licenses": [{"license": {"name": name}}]
        }));
    }
    serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": product, "version": "1.0"}},
        "components": components,
    }))
    .unwrap()
}

#[test]
fn sign_in_session_and_security_headers() {
    let s = start(chainwatch_server::Config::default());
    let admin = token(&s, "alice", Role::Admin, None);

    // Without a session: to the sign-in page, with where to come back.
    let a = get(&s, "/products?limit=5", None);
    assert_eq!(a.status, 303);
    assert_eq!(a.header("location"), "/login?next=%2Fproducts%3Flimit%3D5");
    assert!(
        a.header("content-security-policy")
            .contains("script-src 'self'")
    );
    assert!(
        a.header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(a.header("x-content-type-options"), "nosniff");
    assert_eq!(a.header("x-frame-options"), "DENY");
    let a = get(&s, "/login", None);
    assert_eq!(a.status, 200);
    assert!(a.header("content-type").starts_with("text/html"));
    assert!(!a.body.contains("<script>"), "no inline script");
    assert!(!a.body.contains("style="), "no inline style");

    // A wrong token is refused on the page, not with a problem document.
    let a = post_form(&s, "/login", None, Some(&s.base), "token=cw_nope&next=%2F");
    assert_eq!(a.status, 401);
    assert!(a.header("content-type").starts_with("text/html"));
    assert!(a.body.contains("unknown token"));
    assert!(a.header("set-cookie").is_empty());
    // A sign-in form posted from another site is refused (login CSRF).
    let a = post_form(
        &s,
        "/login",
        None,
        Some("http://evil.example"),
        &format!("token={admin}"),
    );
    assert_eq!(a.status, 403);
    assert!(a.header("set-cookie").is_empty());
    // `next` never leaves the site.
    let a = post_form(
        &s,
        "/login",
        None,
        Some(&s.base),
        &format!("token={admin}&next=%2F%2Fevil.example%2F"),
    );
    assert_eq!((a.status, a.header("location").as_str()), (303, "/"));
    let set = a.header("set-cookie");
    assert!(set.starts_with("cw_session=cw_"), "{set}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"));
    assert!(!set.contains("Secure"), "plain HTTP: {set}");

    let cookie = sign_in(&s, &admin);
    let a = get(&s, "/", Some(&cookie));
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("Dashboard"));
    assert_eq!(a.header("cache-control"), "no-store");
    assert!(a.body.contains("No advisories have been imported"));
    // Assets come from the binary, cacheable for good.
    let a = get(&s, "/assets/console.css", None);
    assert_eq!(a.status, 200);
    assert!(a.header("cache-control").contains("immutable"));
    // The API takes bearer tokens only: the cookie opens nothing there.
    let a = get(&s, "/api/v1/products", Some(&cookie));
    assert_eq!(a.status, 401);

    // Sign-out needs the session's CSRF field and a same-site form.
    let page = get(&s, "/", Some(&cookie)).body;
    let csrf = csrf_of(&page);
    let a = post_form(&s, "/logout", Some(&cookie), Some(&s.base), "csrf=0000");
    assert_eq!(a.status, 403);
    let a = post_form(
        &s,
        "/logout",
        Some(&cookie),
        Some("http://evil.example"),
        &format!("csrf={csrf}"),
    );
    assert_eq!(a.status, 403);
    let a = post_form(
        &s,
        "/logout",
        Some(&cookie),
        Some(&s.base),
        &format!("csrf={csrf}"),
    );
    assert_eq!(a.status, 303);
    assert!(a.header("set-cookie").contains("Max-Age=0"));

    // A revoked token's session ends at once.
    assert!(s.store.revoke_token("alice").unwrap());
    let a = get(&s, "/", Some(&cookie));
    assert_eq!(a.status, 303);
    assert!(a.header("location").starts_with("/login"));
}

#[test]
fn secure_cookie_over_tls() {
    let s = start(chainwatch_server::Config {
        secure_cookies: true,
        ..chainwatch_server::Config::default()
    });
    let admin = token(&s, "alice", Role::Admin, None);
    let a = post_form(&s, "/login", None, Some(&s.base), &format!("token={admin}"));
    let set = a.header("set-cookie");
    assert!(set.starts_with("__Host-cw_session="), "{set}");
    assert!(set.contains("; Secure"), "{set}");
}

#[test]
fn scopes_and_hostile_names() {
    let s = start(chainwatch_server::Config::default());
    let admin = token(&s, "alice", Role::Admin, None);
    let reader = token(&s, "bob", Role::Read, Some("shop*"));
    upload(&s, &admin, &hostile_sbom("shop-web"));
    upload(&s, &admin, &hostile_sbom("internal-api"));

    let cookie = sign_in(&s, &admin);
    // The dashboard's summary is cached until the store changes.
    let products =
        |n: usize| format!("<span class=\"n\">{n}</span><span class=\"l\">products</span>");
    assert!(get(&s, "/", Some(&cookie)).body.contains(&products(2)));
    assert!(get(&s, "/", Some(&cookie)).body.contains(&products(2)));
    upload(&s, &admin, &hostile_sbom("shop-admin"));
    assert!(get(&s, "/", Some(&cookie)).body.contains(&products(3)));
    let page = get(
        &s,
        "/products/shop-web/versions/1.0?tab=components",
        Some(&cookie),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    for name in HOSTILE {
        assert!(!page.body.contains(name), "`{name}` must be escaped");
    }
    assert!(
        page.body
            .contains("&lt;script&gt;window.__xss=1&lt;/script&gt;")
    );
    assert!(
        page.body
            .contains("&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;")
    );
    // Every format of the stored document can be downloaded.
    let a = get(
        &s,
        "/products/shop-web/versions/1.0?tab=documents",
        Some(&cookie),
    );
    let id = {
        let at = a.body.find("href=\"/documents/").unwrap() + "href=\"/documents/".len();
        a.body[at..].split('"').next().unwrap().to_owned()
    };
    for format in ["cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx-tv"] {
        let d = get(
            &s,
            &format!("/documents/{id}?format={format}"),
            Some(&cookie),
        );
        assert_eq!(d.status, 200, "{format}");
        assert!(d.header("content-disposition").starts_with("attachment"));
    }

    // Why is debug here: the tree, one level as a fragment, and a component's own page.
    let why = get(
        &s,
        "/products/shop-web/versions/1.0/why?purl=pkg%3Anpm%2Fdebug",
        Some(&cookie),
    );
    assert_eq!(why.status, 200, "{}", why.body);
    assert!(why.body.contains("this package"));
    let fragment = get(
        &s,
        "/products/shop-web/versions/1.0/why?purl=pkg%3Anpm%2Fdebug&node=0&fragment=1",
        Some(&cookie),
    );
    assert!(
        fragment.body.starts_with("<ul class=\"tree\">"),
        "{}",
        fragment.body
    );
    let missing = get(
        &s,
        "/products/shop-web/versions/1.0/why?purl=pkg%3Anpm%2Fdebug&node=999",
        Some(&cookie),
    );
    assert_eq!(missing.status, 404);

    // The product list: one row per product, filtered and sorted.
    let list = get(&s, "/products?q=shop&sort=findings", Some(&cookie)).body;
    assert!(
        list.contains("shop-web") && list.contains("shop-admin") && !list.contains("internal-api")
    );
    for sort in ["name", "updated", "components", "bogus"] {
        assert_eq!(
            get(&s, &format!("/products?sort={sort}"), Some(&cookie)).status,
            200
        );
    }
    assert!(
        get(&s, "/products/shop-web", Some(&cookie))
            .body
            .contains("/products/shop%2Dweb/versions/1%2E0")
    );
    assert_eq!(get(&s, "/products/nothing-here", Some(&cookie)).status, 404);

    // Provenance and diff tabs.
    let a = get(
        &s,
        "/products/shop-web/versions/1.0?tab=provenance",
        Some(&cookie),
    );
    assert!(a.body.contains("No verified attestation"), "{}", a.body);
    let next = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "shop-web", "version": "1.1"}},
        "components": [{"type": "library", "bom-ref": "d", "name": "debug", "version": "2.6.10", "purl": "pkg:npm/debug@2.6.10"},
                       {"type": "library", "bom-ref": "n", "name": "nanoid", "version": "5.0.0", "purl": "pkg:npm/nanoid@5.0.0"}],
    });
    upload(&s, &admin, next.to_string().as_bytes());
    let a = get(
        &s,
        "/products/shop-web/versions/1.1?tab=diff&against=1.0",
        Some(&cookie),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.body
            .contains("1 added, 3 removed, 2 upgraded or downgraded"),
        "{}",
        a.body
    );
    assert!(a.body.contains("pkg:npm/nanoid@5.0.0"));
    // A version that is not the product's is not compared.
    let a = get(
        &s,
        "/products/shop-web/versions/1.1?tab=diff&against=9.9",
        Some(&cookie),
    );
    assert!(!a.body.contains("upgraded or downgraded"));

    // A token limited to `shop*` sees shop-web only, in lists, pages and searches.
    let cookie = sign_in(&s, &reader);
    let list = get(&s, "/products", Some(&cookie)).body;
    assert!(list.contains("shop-web") && !list.contains("internal-api"));
    let a = get(&s, "/products/internal-api/versions/1.0", Some(&cookie));
    assert_eq!(a.status, 403);
    assert!(a.header("content-type").starts_with("text/html"));
    let found = get(&s, "/search?q=pkg%3Anpm%2Fdebug", Some(&cookie)).body;
    assert!(found.contains("shop-web") && !found.contains("internal-api"));
    let found = get(&s, "/search?q=api", Some(&cookie)).body;
    assert!(!found.contains("internal-api"));
    let d = get(&s, &format!("/documents/{id}"), Some(&cookie));
    assert_eq!(d.status, 200, "shop-web's own document");
    let a = get(
        &s,
        "/products/internal-api/versions/1.0/why?purl=pkg%3Anpm%2Fdebug",
        Some(&cookie),
    );
    assert_eq!(a.status, 403);
}

fn post_json(s: &Server, path: &str, secret: &str, body: &serde_json::Value) -> Answer {
    answer(
        agent()
            .post(format!("{}{path}", s.base))
            .header("Authorization", &format!("Bearer {secret}"))
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .unwrap(),
    )
}

#[test]
fn triage_records_vex_and_respects_roles() {
    let s = start(chainwatch_server::Config::default());
    let admin = token(&s, "alice", Role::Admin, None);
    let ci = token(&s, "ci", Role::Ingest, Some("shop*"));
    let reader = token(&s, "bob", Role::Read, None);
    upload(&s, &admin, &hostile_sbom("shop-web"));
    upload(&s, &admin, &hostile_sbom("internal-api"));
    let osv = br#"{"id": "GHSA-tri-0001", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2026-1111"],
        "affected": [{"package": {"ecosystem": "npm", "name": "debug"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.6.10"}]}]}]}"#;
    let r = agent()
        .post(format!("{}/api/v1/advisories", s.base))
        .header("Authorization", &format!("Bearer {admin}"))
        .send(&osv[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let finding = |product: &str| serde_json::json!({"product": product, "version": "1.0", "package": "pkg:npm/debug@2.6.8", "advisory": "GHSA-tri-0001"});
    let decision = |state: &str, findings: Vec<serde_json::Value>| serde_json::json!({"state": state, "justification": "code_not_reachable", "detail": "checked", "findings": findings});
    // A read token cannot triage; a scoped one only its products; unknown findings and
    // states are refused; nothing is stored by a refusal.
    let a = post_json(
        &s,
        "/api/v1/findings/analysis",
        &reader,
        &decision("not_affected", vec![finding("shop-web")]),
    );
    assert_eq!(a.status, 403, "{}", a.body);
    let a = post_json(
        &s,
        "/api/v1/findings/analysis",
        &ci,
        &decision(
            "not_affected",
            vec![finding("shop-web"), finding("internal-api")],
        ),
    );
    assert_eq!(a.status, 403, "{}", a.body);
    let a = post_json(
        &s,
        "/api/v1/findings/analysis",
        &ci,
        &decision("maybe", vec![finding("shop-web")]),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    let mut gone = finding("shop-web");
    gone["advisory"] = "GHSA-none".into();
    let a = post_json(
        &s,
        "/api/v1/findings/analysis",
        &ci,
        &decision("not_affected", vec![gone]),
    );
    assert_eq!(a.status, 404, "{}", a.body);
    let open = |who: &str| {
        let r = agent()
            .get(format!("{}/api/v1/findings?product=shop-web", s.base))
            .header("Authorization", &format!("Bearer {who}"))
            .call()
            .unwrap();
        answer(r).body
    };
    assert!(open(&admin).contains("GHSA-tri-0001"));

    let a = post_json(
        &s,
        "/api/v1/findings/analysis",
        &ci,
        &decision("not_affected", vec![finding("shop-web")]),
    );
    assert_eq!((a.status, a.body.as_str()), (201, "{\"recorded\":1}"));
    assert!(
        !open(&admin).contains("GHSA-tri-0001"),
        "suppressed by the decision"
    );
    // Only that release: the other product keeps its finding.
    let other = agent()
        .get(format!("{}/api/v1/findings?product=internal-api", s.base))
        .header("Authorization", &format!("Bearer {admin}"))
        .call()
        .unwrap();
    assert!(answer(other).body.contains("GHSA-tri-0001"));
    let history = s
        .store
        .vex_history(
            "shop-web",
            "1.0",
            "pkg:npm/debug@2.6.8",
            &["GHSA-tri-0001".to_owned()],
        )
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].author.as_deref(), Some("ci"));
    assert_eq!(
        history[0].statement.analysis.as_deref(),
        Some("not_affected")
    );
    // Undone by a new decision, never by deletion.
    let a = post_json(
        &s,
        "/api/v1/findings/analysis",
        &ci,
        &decision("not_set", vec![finding("shop-web")]),
    );
    assert_eq!(a.status, 201);
    assert!(open(&admin).contains("GHSA-tri-0001"));
    assert_eq!(
        s.store
            .vex_history(
                "shop-web",
                "1.0",
                "pkg:npm/debug@2.6.8",
                &["CVE-2026-1111".to_owned()]
            )
            .unwrap()
            .len(),
        2
    );

    // The console's form: CSRF checked, read tokens refused.
    let cookie = sign_in(&s, &reader);
    let page = get(&s, "/", Some(&cookie)).body;
    let csrf = csrf_of(&page);
    let f = finding("shop-web").to_string();
    let form = |csrf: &str| format!("csrf={csrf}&state=not_affected&f={}", percent(&f));
    let a = post_form(&s, "/triage", Some(&cookie), Some(&s.base), &form(&csrf));
    assert_eq!(a.status, 403, "{}", a.body);
    let cookie = sign_in(&s, &admin);
    let csrf = csrf_of(&get(&s, "/", Some(&cookie)).body);
    let a = post_form(&s, "/triage", Some(&cookie), Some(&s.base), &form("nope"));
    assert_eq!(a.status, 403);
    let a = post_form(&s, "/triage", Some(&cookie), Some(&s.base), &form(&csrf));
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.header("location"), "/?triaged=1");
    assert!(!open(&admin).contains("GHSA-tri-0001"));

    // The dashboard counts what is still open (internal-api's finding, unrated) and
    // charts the decision as a resolution of today.
    let dashboard = get(&s, "/", Some(&cookie)).body;
    assert!(
        dashboard.contains("1 opened (first seen, still open)")
            && dashboard.contains("1 resolved (no longer matched"),
        "{dashboard}"
    );
    assert!(dashboard.contains("1 resolved 0 days ago"), "{dashboard}");
    let unrated = dashboard
        .split("card lvl-unknown")
        .nth(1)
        .and_then(|rest| rest.split("<span class=\"n\">").nth(1))
        .and_then(|rest| rest.split('<').next())
        .unwrap();
    assert_eq!(unrated, "1", "{dashboard}");
    let products = get(&s, "/products?sort=findings", Some(&cookie)).body;
    let web = products.find("internal-api").unwrap();
    assert!(products[web..].contains("1 unknown"), "{products}");
}

#[test]
fn suspects_on_the_dashboard_and_the_version() {
    let s = start(chainwatch_server::Config::default());
    let admin = token(&s, "alice", Role::Admin, None);
    let scoped = token(&s, "carol", Role::Read, Some("other*"));
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "shop-web", "version": "1.0"}},
        "components": [{"type": "library", "bom-ref": "a", "name": "lodahs", "version": "4.17.21", "purl": "pkg:npm/lodahs@4.17.21"},
                       {"type": "library", "bom-ref": "b", "name": "react", "version": "18.0.0", "purl": "pkg:npm/react@18.0.0"}],
    });
    upload(&s, &admin, sbom.to_string().as_bytes());
    let cookie = sign_in(&s, &admin);
    let tab = get(
        &s,
        "/products/shop-web/versions/1.0?tab=suspects",
        Some(&cookie),
    );
    assert_eq!(tab.status, 200, "{}", tab.body);
    assert!(tab.body.contains("Suspects (1)"), "{}", tab.body);
    assert!(tab.body.contains("pkg:npm/lodahs@4.17.21") && tab.body.contains("lodash"));
    assert!(!tab.body.contains(">pkg:npm/react@18.0.0<"));
    let dashboard = get(&s, "/", Some(&cookie)).body;
    assert!(dashboard.contains("pkg:npm/lodahs"), "{dashboard}");
    assert!(dashboard.contains("shop-web@1.0") || dashboard.contains(">shop-web<"));
    // A token that cannot see shop-web does not see its suspects either.
    let cookie = sign_in(&s, &scoped);
    let dashboard = get(&s, "/", Some(&cookie)).body;
    assert!(!dashboard.contains("lodahs"), "{dashboard}");
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn operations_for_admins_only() {
    let s = start(chainwatch_server::Config::default());
    let admin = token(&s, "alice", Role::Admin, None);
    let reader = token(&s, "bob", Role::Read, None);
    let cookie = sign_in(&s, &reader);
    let a = get(&s, "/operations", Some(&cookie));
    assert_eq!(a.status, 403);
    assert!(
        !get(&s, "/", Some(&cookie))
            .body
            .contains("href=\"/operations\"")
    );
    let csrf = csrf_of(&get(&s, "/", Some(&cookie)).body);
    let a = post_form(
        &s,
        "/operations/tokens",
        Some(&cookie),
        Some(&s.base),
        &format!("csrf={csrf}&name=x&role=admin"),
    );
    assert_eq!(a.status, 403, "a read token cannot create tokens");

    let cookie = sign_in(&s, &admin);
    let a = get(&s, "/operations", Some(&cookie));
    assert_eq!(a.status, 200);
    assert!(a.body.contains("Advisory data") && a.body.contains("bob"));
    assert!(a.body.contains("The monitoring job has not run"));
    assert!(a.body.contains("No source has been synced"));
    // The monitoring job's runs and the sources' states, as the store records them.
    s.store
        .set_source_state("osv:npm", Some("2026-11-30T10:00:00Z"))
        .unwrap();
    let run = s.store.monitor_started().unwrap();
    s.store
        .monitor_finished(run, Err("the mirror `<b>` is unreachable"))
        .unwrap();
    let run = s.store.monitor_started().unwrap();
    s.store.monitor_finished(run, Ok((3, 1))).unwrap();
    let a = get(&s, "/operations", Some(&cookie));
    assert!(a.body.contains("osv:npm") && a.body.contains("2026-11-30T10:00:00Z"));
    assert!(a.body.contains("failed") && a.body.contains("the mirror `&lt;b&gt;` is unreachable"));
    let runs = s.store.monitor_runs(10).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (
            runs[0].outcome.as_str(),
            runs[0].new_findings,
            runs[0].resolved_findings
        ),
        ("done", 3, 1)
    );
    let csrf = csrf_of(&a.body);
    let a = post_form(
        &s,
        "/operations/tokens",
        Some(&cookie),
        Some(&s.base),
        &format!("csrf={csrf}&name=ci-shop&role=ingest&products=shop*&expires_days=30"),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("shown this once"));
    let at = a.body.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
    let secret = a.body[at..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("cw_"));
    let t = s
        .store
        .tokens()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "ci-shop")
        .unwrap();
    assert_eq!(t.products.as_deref(), Some("shop*"));
    assert!(t.expires_at.is_some());
    // Revoked from the page: the secret stops working at once.
    let a = post_form(
        &s,
        "/operations/tokens/revoke",
        Some(&cookie),
        Some(&s.base),
        &format!("csrf={csrf}&name=ci-shop"),
    );
    assert_eq!(a.status, 303);
    let r = agent()
        .get(format!("{}/api/v1/products", s.base))
        .header("Authorization", &format!("Bearer {secret}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let a = post_form(
        &s,
        "/operations/tokens/revoke",
        Some(&cookie),
        Some(&s.base),
        "csrf=bad&name=bob",
    );
    assert_eq!(a.status, 403);
    // Hostile forms: a body over the forms' 64 KiB and a NUL byte in a field are refused
    // with a page, and change nothing.
    let huge = format!("csrf={csrf}&name={}&role=read", "x".repeat(70 * 1024));
    let a = post_form(
        &s,
        "/operations/tokens",
        Some(&cookie),
        Some(&s.base),
        &huge,
    );
    assert_eq!(a.status, 413, "{}", a.body);
    let a = post_form(
        &s,
        "/operations/tokens",
        Some(&cookie),
        Some(&s.base),
        &format!("csrf={csrf}&name=nul%00name&role=read"),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.header("content-type").starts_with("text/html"));
    assert!(
        s.store
            .tokens()
            .unwrap()
            .iter()
            .all(|t| !t.name.contains('\0') && !t.name.starts_with("xxx"))
    );
}

/// The audits page: recorded package audits with their findings and holders, escaped,
/// and for a reader limited to some products only the holders it may see.
#[test]
fn recorded_audits_page() {
    let s = start(chainwatch_server::Config::default());
    let admin = token(&s, "alice", Role::Admin, None);
    let reader = token(&s, "bob", Role::Read, Some("shop*"));
    upload(&s, &admin, &hostile_sbom("shop-web"));
    upload(&s, &admin, &hostile_sbom("internal-api"));
    s.store
        .record_audits(&[chainwatch_store::AuditRecord {
            purl: chainwatch_purl::Purl::parse("pkg:npm/debug@2.6.8").unwrap(),
            worst: Some("critical".to_owned()),
            findings: serde_json::json!([{
                "rule": "env-exfiltration", "severity": "critical", "path": "index.js",
                "line": 3, "message": "<script>window.__xss=1</script>", "evidence": ""
            }]),
            files: 2,
            source: "debug-2.6.8.tgz".to_owned(),
        }])
        .unwrap();
    let cookie = sign_in(&s, &admin);
    let page = get(&s, "/audits?severity=high", Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("pkg:npm/debug@2.6.8"), "{}", page.body);
    assert!(page.body.contains("env-exfiltration"));
    assert!(
        page.body
            .contains("&lt;script&gt;window.__xss=1&lt;/script&gt;")
    );
    assert!(!page.body.contains("<script>window.__xss"));
    assert!(
        page.body
            .contains("href=\"/products/shop%2Dweb/versions/1%2E0\">shop-web@1.0</a>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(">internal-api@1.0</a>"));
    // The version page lists the audits of the packages it holds.
    let page = get(
        &s,
        "/products/shop-web/versions/1.0?tab=suspects",
        Some(&cookie),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Suspects (1)"), "{}", page.body);
    assert!(page.body.contains("pkg:npm/debug@2.6.8"));
    assert!(page.body.contains("env-exfiltration"));
    let cookie = sign_in(&s, &reader);
    let page = get(&s, "/audits", Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(">shop-web@1.0</a>"));
    assert!(!page.body.contains("internal-api"), "{}", page.body);
}
