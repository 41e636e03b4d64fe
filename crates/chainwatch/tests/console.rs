//! The web console in a real browser: Debian's Chromium, headless, driven over `WebDriver`
//! against `chainwatch serve`. It signs in, uploads through the API, opens each view,
//! searches for a purl and a CVE, checks that attacker-controlled names stay text, that
//! a token limited to some products sees only those, and saves a screenshot of each view
//! to `target/screenshots/`.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use chainwatch_testkit::webdriver::{Driver, Session};

/// One browser at a time: two Chromium sessions signing in at once on two cores time
/// out each other's clicks.
static BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chainwatch(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", db])
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CHAINWATCH_SERVER")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn remote(base: &str, token: &str, args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--server", base, "--token", token])
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn token(db: &str, name: &str, role: &str, products: Option<&str>) -> String {
    let mut args = vec![
        "token", "create", "--name", name, "--role", role, "--format", "json",
    ];
    if let Some(p) = products {
        args.extend(["--products", p]);
    }
    let o = chainwatch(db, &args);
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

const HOSTILE: [&str; 3] = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=\"window.__xss=1\">",
    "\"onmouseover=\"window.__xss=1",
];

fn write_sbom(dir: &Path, product: &str) -> PathBuf {
    let mut components = vec![
        serde_json::json!({"type": "library", "bom-ref": "d", "name": "debug", "version": "2.6.8",
            "purl": "pkg:npm/debug@2.6.8", "licenses": [{"license": {"id": "MIT"}}]}),
        serde_json::json!({"type": "library", "bom-ref": "l", "name": "left-pad", "version": "1.3.0",
            "purl": "pkg:npm/left-pad@1.3.0"}),
        serde_json::json!({"type": "library", "bom-ref": "m", "name": "ms", "version": "2.0.0",
            "purl": "pkg:npm/ms@2.0.0"}),
        serde_json::json!({"type": "library", "bom-ref": "s", "name": "lodahs", "version": "4.17.21",
            "purl": "pkg:npm/lodahs@4.17.21"}),
    ];
    for i in 1..=3 {
        components.push(
            serde_json::json!({"type": "library", "bom-ref": format!("a{i}"),
            "name": format!("a{i}"), "version": "1.0.0", "purl": format!("pkg:npm/a{i}@1.0.0")}),
        );
    }
    for (i, name) in HOSTILE.iter().enumerate() {
        components.push(serde_json::json!({
            "type": "library", "bom-ref": format!("h{i}"), "name": name, "version": "1.0",
            "purl": format!("pkg:npm/hostile-{i}@1.0")
        }));
    }
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": product, "version": "1.0"}},
        "components": components,
        "dependencies": [{"ref": "root", "dependsOn": ["d", "l", "h0", "a1"]}, {"ref": "d", "dependsOn": ["m"]},
            {"ref": "a1", "dependsOn": ["a2"]}, {"ref": "a2", "dependsOn": ["a3"]}, {"ref": "a3", "dependsOn": ["m"]}],
    });
    let path = dir.join(format!("{product}.cdx.json"));
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

fn screenshots() -> PathBuf {
    chainwatch_testkit::workspace_root().join("target/screenshots")
}

fn shot(s: &Session, name: &str) {
    s.screenshot(&screenshots().join(format!("{name}.png")))
        .unwrap();
}

fn sign_in(s: &Session, base: &str, secret: &str) {
    s.goto(&format!("{base}/")).unwrap();
    assert!(
        s.url().unwrap().contains("/login?next=%2F"),
        "{}",
        s.url().unwrap()
    );
    let field = s.find("#token").unwrap();
    s.send_keys(&field, secret).unwrap();
    s.click_to_navigate(&s.find("main.login button[type=submit]").unwrap())
        .unwrap();
    assert_eq!(s.text_of("main h1").unwrap(), "Dashboard");
}

fn no_script_ran(s: &Session) {
    let xss = s.execute("return typeof window.__xss;", &[]).unwrap();
    assert_eq!(xss, "undefined", "a document's text ran as script");
    assert!(s.find_all("img[src=x]").unwrap().is_empty());
}

#[test]
fn console_in_a_browser() {
    let _one = BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some((chromium, driver)) = chainwatch_testkit::webdriver::browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let admin = token(&db, "alice", "admin", None);
    let reader = token(&db, "bob", "read", Some("shop*"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", &db, "serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _server = Server(child);
    let listening: serde_json::Value = serde_json::from_str(&first).unwrap();
    let base = format!("http://{}", listening["address"].as_str().unwrap());

    // Uploads go through the API, as CI jobs send them.
    for product in ["shop-web", "internal-api"] {
        let path = write_sbom(dir.path(), product);
        remote(&base, &admin, &["ingest", path.to_str().unwrap()]);
    }
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/osv");
    for record in ["GHSA-scan-0001.json", "MAL-2026-0001.json"] {
        remote(
            &base,
            &admin,
            &["advisories", "import", &format!("{fixtures}/{record}")],
        );
    }

    let driver = Driver::start(&driver).unwrap();
    let s = driver.session(&chromium, 1280, 800).unwrap();
    sign_in(&s, &base, &admin);
    // Malicious and known-exploited first; counts of the portfolio.
    let cards = s.text_of("section.cards").unwrap();
    assert!(cards.contains("2\nproducts"), "{cards}");
    let urgent = s.text_of("main section:nth-of-type(3)").unwrap();
    assert!(urgent.contains("MAL-2026-0001"), "{urgent}");
    no_script_ran(&s);
    shot(&s, "dashboard");

    s.click_to_navigate(&s.find("header nav a[href='/products']").unwrap())
        .unwrap();
    assert_eq!(s.find_all("table.data tbody tr").unwrap().len(), 2);
    shot(&s, "products");

    // A product version: findings, components (hostile names as text), documents.
    s.goto(&format!("{base}/products/shop-web/versions/1.0"))
        .unwrap();
    let findings = s.text_of("table.data").unwrap();
    assert!(findings.contains("GHSA-scan-0001") && findings.contains("MAL-2026-0001"));
    shot(&s, "version-findings");
    s.click_to_navigate(&s.find("nav.tabs a[href$='tab=components']").unwrap())
        .unwrap();
    let names: Vec<String> = s
        .find_all("td.name")
        .unwrap()
        .iter()
        .map(|e| s.text(e).unwrap())
        .collect();
    for name in HOSTILE {
        assert!(
            names.iter().any(|n| n == name),
            "`{name}` not shown as text: {names:?}"
        );
    }
    no_script_ran(&s);
    // Hovering the hostile cell runs nothing either.
    s.execute(
        "document.querySelectorAll('td').forEach(td => td.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})));",
        &[],
    )
    .unwrap();
    no_script_ran(&s);
    shot(&s, "version-components");
    let filter = s.find("#filter").unwrap();
    s.send_keys(&filter, "debug").unwrap();
    s.click_to_navigate(&s.find("form.filter button").unwrap())
        .unwrap();
    assert_eq!(s.find_all("td.name").unwrap().len(), 1);
    s.click_to_navigate(&s.find("nav.tabs a[href$='tab=documents']").unwrap())
        .unwrap();
    assert_eq!(s.find_all("a[download]").unwrap().len(), 6);
    shot(&s, "version-documents");
    s.click_to_navigate(&s.find("nav.tabs a[href$='tab=suspects']").unwrap())
        .unwrap();
    let suspects = s.text_of("main").unwrap();
    assert!(
        suspects.contains("pkg:npm/lodahs@4.17.21")
            && suspects.contains("lodash")
            && suspects.contains("MAL-2026-0001"),
        "{suspects}"
    );
    shot(&s, "version-suspects");

    // Why is ms here: two paths, the deeper one unfolded on demand.
    s.goto(&format!(
        "{base}/products/shop-web/versions/1.0?tab=components&filter=ms"
    ))
    .unwrap();
    s.click_to_navigate(&s.find("td.purl a").unwrap()).unwrap();
    let summaries = |s: &Session| -> String {
        s.execute(
            "return [...document.querySelectorAll('ul.tree summary, ul.tree .leaf')].map(e => e.textContent).join('|');",
            &[],
        )
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
    };
    let before = summaries(&s);
    assert!(
        before.contains("pkg:npm/debug@2.6.8") && before.contains("pkg:npm/a2@1.0.0"),
        "{before}"
    );
    assert!(!before.contains("pkg:npm/a3@1.0.0"), "{before}");
    s.click(&s.find("details[data-loaded='0'] > summary").unwrap())
        .unwrap();
    // The children arrive by fetch: wait for them (a loaded machine is slow).
    let asked = std::time::Instant::now();
    while !summaries(&s).contains("pkg:npm/a3@1.0.0") && asked.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        summaries(&s).contains("pkg:npm/a3@1.0.0"),
        "{}",
        summaries(&s)
    );
    s.click(&s.find("details[data-loaded='0'] > summary").unwrap())
        .unwrap();
    let start = std::time::Instant::now();
    while summaries(&s).matches("this package").count() < 2 {
        assert!(start.elapsed().as_secs() < 10, "{}", summaries(&s));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    shot(&s, "why");

    // One search box: a purl, then a CVE alias.
    let q = s.find("#q").unwrap();
    s.send_keys(&q, "pkg:npm/debug").unwrap();
    s.click_to_navigate(&s.find("form.search button").unwrap())
        .unwrap();
    let holders = s.text_of("table.data").unwrap();
    assert!(holders.contains("shop-web") && holders.contains("internal-api"));
    shot(&s, "search-purl");
    s.goto(&format!("{base}/search?q=CVE-2026-0001")).unwrap();
    s.click_to_navigate(&s.find("ul.hits a").unwrap()).unwrap();
    assert_eq!(s.text_of("main h1").unwrap(), "GHSA-scan-0001");
    let page = s.text_of("main").unwrap();
    assert!(page.contains("GHSA-scan-0001") && page.contains("Affected product versions (2)"));
    shot(&s, "advisory");

    // Bulk triage: every affected product version of the advisory at once.
    s.click(&s.find("input.select-all").unwrap()).unwrap();
    assert_eq!(
        s.execute(
            "return document.querySelectorAll('tbody input[name=f]:checked').length;",
            &[]
        )
        .unwrap(),
        2
    );
    s.execute(
        "document.querySelector('select[name=state]').value = 'not_affected';
         document.querySelector('select[name=justification]').value = 'code_not_reachable';",
        &[],
    )
    .unwrap();
    let comment = s.find("textarea[name=detail]").unwrap();
    s.send_keys(&comment, "the parser is never called <b>really</b>")
        .unwrap();
    s.click_to_navigate(&s.find("fieldset.triage button[type=submit]").unwrap())
        .unwrap();
    assert!(
        s.text_of("p.notice")
            .unwrap()
            .starts_with("2 decisions recorded"),
        "{}",
        s.text_of("main").unwrap()
    );
    let vex_cells = s.text_of("form.triage table.data tbody").unwrap();
    assert_eq!(vex_cells.matches("not affected").count(), 2, "{vex_cells}");
    shot(&s, "advisory-triaged");
    // The CLI sees the decision: findings hides it, `vex export` carries it.
    let o = chainwatch(&db, &["findings", "--format", "json"]);
    let open = String::from_utf8_lossy(&o.stdout);
    assert!(!open.contains("GHSA-scan-0001"), "{open}");
    let o = chainwatch(&db, &["vex", "export", "shop-web@1.0"]);
    let vex = String::from_utf8_lossy(&o.stdout);
    assert!(
        vex.contains("GHSA-scan-0001") && vex.contains("not_affected"),
        "{vex}"
    );
    // The finding's page shows who decided, and undoing is a new decision.
    s.goto(&format!(
        "{base}/products/shop-web/versions/1.0/findings/GHSA-scan-0001?package=pkg%3Anpm%2Fdebug%402.6.8"
    ))
    .unwrap();
    let trail = s.text_of("table.data tbody").unwrap();
    assert!(
        trail.contains("alice") && trail.contains("not affected"),
        "{trail}"
    );
    assert!(trail.contains("the parser is never called <b>really</b>"));
    s.execute(
        "document.querySelector('select[name=state]').value = 'not_set';",
        &[],
    )
    .unwrap();
    s.click_to_navigate(&s.find("fieldset.triage button[type=submit]").unwrap())
        .unwrap();
    assert_eq!(s.find_all("table.data tbody tr").unwrap().len(), 2);
    shot(&s, "finding");
    let o = chainwatch(
        &db,
        &["findings", "--format", "json", "--product", "shop-web"],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("GHSA-scan-0001"));

    s.goto(&format!("{base}/findings?severity=high")).unwrap();
    shot(&s, "findings");

    // A policy applied through the API: the portfolio view and the version's tab.
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[rule]]\nname = \"no-malicious\"\nlevel = \"fail\"\ndescription = \"Known-malicious packages never ship\"\nwhen.malicious = true\n\n\
         [[rule]]\nname = \"direct-npm\"\nlevel = \"info\"\nwhen = { direct = true, packages = [\"pkg:npm/*\"] }\n",
    )
    .unwrap();
    remote(
        &base,
        &admin,
        &["policy", "apply", policy.to_str().unwrap()],
    );
    // Exit 1: a `fail` violation holds.
    let o = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--server", &base, "--token", &admin])
        .args(["policy", "violations", "--format", "json"])
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(listed.as_array().unwrap().len() >= 2, "{listed}");
    s.click_to_navigate(&s.find("header nav a[href='/policy']").unwrap())
        .unwrap();
    let text = s.text_of("main").unwrap();
    assert!(
        text.contains("no-malicious") && text.contains("Known-malicious packages never ship"),
        "{text}"
    );
    assert!(
        text.contains("shop-web@1.0") && text.contains("internal-api@1.0"),
        "{text}"
    );
    no_script_ran(&s);
    shot(&s, "policy");
    s.goto(&format!("{base}/products/shop-web/versions/1.0?tab=policy"))
        .unwrap();
    let tab = s.text_of("main").unwrap();
    assert!(
        tab.contains("no-malicious") && tab.contains("MAL-2026-0001"),
        "{tab}"
    );
    shot(&s, "version-policy");

    // A narrow window still shows the page without sideways scrolling of the frame.
    s.resize(600, 900).unwrap();
    s.goto(&format!("{base}/")).unwrap();
    let overflow = s
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            &[],
        )
        .unwrap();
    assert_eq!(overflow, false, "the dashboard scrolls sideways at 600 px");
    shot(&s, "dashboard-narrow");
    s.resize(1280, 800).unwrap();

    // The next release: debug upgraded past the fix, left-pad gone.
    let next = dir.path().join("shop-web-1.1.cdx.json");
    std::fs::write(
        &next,
        serde_json::to_vec(&serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "shop-web", "version": "1.1"}},
            "components": [{"type": "library", "bom-ref": "d", "name": "debug", "version": "2.6.10", "purl": "pkg:npm/debug@2.6.10"}],
            "dependencies": [{"ref": "root", "dependsOn": ["d"]}],
        }))
        .unwrap(),
    )
    .unwrap();
    remote(&base, &admin, &["ingest", next.to_str().unwrap()]);
    s.goto(&format!(
        "{base}/products/shop-web/versions/1.1?tab=diff&against=1.0"
    ))
    .unwrap();
    let diff = s.text_of("main").unwrap();
    assert!(diff.contains("Resolved findings (2)"), "{diff}");
    assert!(diff.contains("GHSA-scan-0001") && diff.contains("MAL-2026-0001"));
    shot(&s, "version-diff");

    s.click_to_navigate(&s.find("header nav a[href='/operations']").unwrap())
        .unwrap();
    assert!(s.text_of("main").unwrap().contains("bob"));
    shot(&s, "operations");

    // Sign out; the console asks for a token again.
    s.click_to_navigate(&s.find("header .who button").unwrap())
        .unwrap();
    assert!(s.url().unwrap().ends_with("/login"));
    s.goto(&format!("{base}/products")).unwrap();
    assert!(s.url().unwrap().contains("/login"));

    // A token limited to `shop*` sees only shop-web.
    sign_in(&s, &base, &reader);
    s.goto(&format!("{base}/products")).unwrap();
    let rows = s.text_of("table.data tbody").unwrap();
    assert!(rows.contains("shop-web") && !rows.contains("internal-api"));
    s.goto(&format!("{base}/products/internal-api/versions/1.0"))
        .unwrap();
    assert!(s.text_of("main h1").unwrap().starts_with("403"));
    shot(&s, "forbidden");
    s.goto(&format!("{base}/search?q=pkg:npm/debug")).unwrap();
    let holders = s.text_of("table.data").unwrap();
    assert!(holders.contains("shop-web") && !holders.contains("internal-api"));
    s.goto(&format!("{base}/policy")).unwrap();
    let violations = s.text_of("main").unwrap();
    assert!(
        violations.contains("shop-web@1.0") && !violations.contains("internal-api"),
        "{violations}"
    );
    // A read token sees findings but no triage form.
    s.goto(&format!("{base}/products/shop-web/versions/1.0"))
        .unwrap();
    assert!(s.find_all("form.triage").unwrap().is_empty());
    assert!(s.find_all("input[name=f]").unwrap().is_empty());
}

/// A model audit recorded with `audit model --record` shows on the Audits page and on
/// the version that ships the model, in a real browser.
#[test]
fn model_audits_in_a_browser() {
    let _one = BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some((chromium, driver)) = chainwatch_testkit::webdriver::browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let admin = token(&db, "alice", "admin", None);
    // A Hugging Face cache with one model whose checkpoint calls os.system when loaded.
    let rev = "0123456789abcdef0123456789abcdef01234567";
    let snapshot = dir
        .path()
        .join("hub/models--acme--tiny-bert/snapshots")
        .join(rev);
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::write(snapshot.join("README.md"), "---\nlicense: mit\n---\n").unwrap();
    std::fs::write(
        snapshot.join("pytorch_model.bin"),
        b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.",
    )
    .unwrap();
    let hub = dir.path().join("hub");
    let bom = dir.path().join("ml.cdx.json");
    let o = chainwatch(
        &db,
        &[
            "sbom",
            "generate",
            hub.to_str().unwrap(),
            "-o",
            bom.to_str().unwrap(),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = chainwatch(
        &db,
        &[
            "ingest",
            bom.to_str().unwrap(),
            "--product",
            "ml-platform",
            "--product-version",
            "1.0",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = chainwatch(&db, &["audit", "model", hub.to_str().unwrap(), "--record"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", &db, "serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _server = Server(child);
    let listening: serde_json::Value = serde_json::from_str(&first).unwrap();
    let base = format!("http://{}", listening["address"].as_str().unwrap());
    let driver = Driver::start(&driver).unwrap();
    let s = driver.session(&chromium, 1280, 800).unwrap();
    sign_in(&s, &base, &admin);
    s.goto(&format!("{base}/audits")).unwrap();
    let page = s.text_of("main").unwrap();
    assert!(
        page.contains(&format!("pkg:huggingface/acme/tiny-bert@{rev}")),
        "{page}"
    );
    assert!(page.contains("critical"), "{page}");
    assert!(page.contains("ml-platform"), "{page}");
    shot(&s, "audits-model");
    s.goto(&format!(
        "{base}/products/ml-platform/versions/1.0?tab=suspects"
    ))
    .unwrap();
    let suspects = s.text_of("main").unwrap();
    assert!(
        suspects.contains("pickle-dangerous-import")
            || suspects.contains("pkg:huggingface/acme/tiny-bert"),
        "{suspects}"
    );
    shot(&s, "version-suspects-model");
}
