//! The store's behaviour, run against both backends: SQLite in a temporary directory and
//! PostgreSQL (each test in its own schema; see `chainwatch_testkit::postgres_url`).

use chainwatch_store::{IngestOptions, Store};
use serde_json::json;

/// A test's store and what to clean up after it.
struct Db {
    store: Store,
    location: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.pg_schema
            && let Ok(mut client) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

fn sqlite() -> Db {
    let dir = tempfile::tempdir().expect("temporary directory");
    let location = dir.path().join("store.db").display().to_string();
    Db {
        store: Store::open(&location).expect("open SQLite store"),
        location,
        _dir: Some(dir),
        pg_schema: None,
    }
}

fn postgres(test: &str) -> Option<Db> {
    let url = chainwatch_testkit::postgres_url()?;
    Some(pg_schema(&url, &url, &format!("cw_{test}"), ""))
}

/// A store on PostgreSQL reached through `PgBouncer` in transaction mode (its schema made
/// and dropped over a direct connection).
fn pgbouncer(test: &str) -> Option<Db> {
    let direct = chainwatch_testkit::postgres_url()?;
    let bouncer = chainwatch_testkit::pgbouncer_url()?;
    Some(pg_schema(
        &direct,
        &bouncer,
        &format!("cwb_{test}"),
        "pooler=transaction&",
    ))
}

/// A store in a schema of its own (`prefix` and this process's id), reached at `url`
/// with `params` (each followed by `&`); the schema is dropped over `direct`.
fn pg_schema(direct: &str, url: &str, prefix: &str, params: &str) -> Db {
    let schema = format!("{prefix}_{}", std::process::id());
    let mut client = postgres::Client::connect(direct, postgres::NoTls).expect("connect");
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .expect("drop old schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let location = format!("{url}{sep}{params}schema={schema}");
    Db {
        store: Store::open(&location).expect("open PostgreSQL store"),
        location,
        _dir: None,
        pg_schema: Some((direct.to_owned(), schema)),
    }
}

/// Runs each named test against SQLite, PostgreSQL, and PostgreSQL behind `PgBouncer` in
/// transaction mode.
fn vulnerability_policies_decide_findings(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    ingest(db, &shop("1.1", "1.26.4"));
    ingest(
        db,
        &cdx(
            "blog",
            "2.0",
            &[("urllib3", "pkg:pypi/urllib3@1.26.5")],
            &[("root", &["urllib3"])],
        ),
    );
    let a = osv("PYSEC-0004", "2024-01-01T00:00:00Z", "2.0.7", json!({}));
    db.store.import_advisories(&[a]).expect("import");
    db.store.rematch().expect("rematch");
    let policy = r#"
[[rule]]
name = "vulnerable"
level = "fail"
when.severity = "low"

[[analysis]]
name = "urllib3-unreachable"
products = ["shop"]
state = "not_affected"
justification = "code_not_reachable"
detail = "no proxy is configured"
until = "2999-12-31"
when = { advisories = ["CVE-0004"], packages = ["pkg:pypi/urllib3"] }
"#;
    db.store.set_policy(policy, Some("test")).expect("apply");
    let first = evaluate(db);
    // Both shop versions decided (by the CVE alias); blog is out of scope.
    assert_eq!(
        (first.analyses.made, first.analyses.holding),
        (2, 2),
        "{first:?}"
    );
    assert_eq!(
        open_violations(db),
        [(
            "2.0".to_owned(),
            "vulnerable".to_owned(),
            "pkg:pypi/urllib3@1.26.5".to_owned(),
            Some("PYSEC-0004".to_owned())
        )]
    );
    let findings = db
        .store
        .findings(&chainwatch_store::FindingQuery {
            product: Some("shop".into()),
            version: Some("1.0".into()),
            include_suppressed: true,
            ..Default::default()
        })
        .expect("findings");
    let verdict = findings[0].vex.as_ref().expect("decided");
    assert_eq!(
        (
            verdict.status.as_str(),
            verdict.justification.as_deref(),
            verdict.analysis.as_deref(),
            verdict.impact.as_deref()
        ),
        (
            "not_affected",
            Some("code_not_reachable"),
            Some("not_affected"),
            Some("no proxy is configured")
        )
    );
    // The trail names the policy as the author.
    let ids = vec!["PYSEC-0004".to_owned(), "CVE-0004".to_owned()];
    let trail = db
        .store
        .vex_history("shop", "1.0", "pkg:pypi/urllib3@1.26.5", &ids)
        .expect("history");
    assert_eq!(trail.len(), 1);
    assert_eq!(
        trail[0].author.as_deref(),
        Some("policy urllib3-unreachable")
    );
    assert_eq!(trail[0].format, "policy");
    // Evaluated again: the same decisions, first made before.
    let again = evaluate(db);
    assert_eq!((again.analyses.made, again.analyses.holding), (0, 2));
    assert_eq!(again.opened.len(), 0);

    // A later decision by hand overrides the policy's (for shop 1.1 only).
    let triage = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex-triage",
        "author": "alice",
        "timestamp": "2999-01-01T00:00:00Z",
        "statements": [{
            "vulnerability": {"name": "PYSEC-0004"},
            "products": [{"@id": "shop@1.1", "subcomponents": [{"@id": "pkg:pypi/urllib3"}]}],
            "status": "affected",
            "action_statement": "upgrade"
        }]
    });
    let bytes = serde_json::to_vec(&triage).expect("json");
    let doc = chainwatch_advisory::vex::parse(&bytes).expect("vex");
    db.store.import_vex(&bytes, &doc).expect("import vex");
    let overridden = evaluate(db);
    assert_eq!(
        overridden.analyses.made, 0,
        "the policy's decision stays on record"
    );
    assert_eq!(
        overridden
            .opened
            .iter()
            .map(|v| (v.version.as_str(), v.rule.as_str()))
            .collect::<Vec<_>>(),
        [("1.1", "vulnerable")]
    );

    // A window that has ended: the decisions stop applying and are withdrawn.
    let ended = policy.replace("2999-12-31", "2020-01-01");
    db.store.set_policy(&ended, Some("test")).expect("apply");
    let expired = evaluate(db);
    assert_eq!((expired.analyses.made, expired.analyses.withdrawn), (0, 2));
    assert_eq!(open_violations(db).len(), 3);
    assert!(
        db.store
            .vex_history("shop", "1.0", "pkg:pypi/urllib3@1.26.5", &ids)
            .expect("history")
            .is_empty()
    );
    // No policy: nothing is left held.
    db.store.set_policy("", Some("test")).expect("remove");
    evaluate(db);
    assert!(!db.store.policy_results_held().expect("held"));
}

fn product_rules_read_documents_and_provenance(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    db.store
        .set_policy(
            "[[rule]]\nname = \"ntia\"\nlevel = \"warn\"\nwhen.ntia = [\"supplier\", \"timestamp\"]\n\
             [[rule]]\nname = \"attested\"\nlevel = \"fail\"\nproducts = [\"shop\"]\nwhen.builders = [\"https://github.com/*\"]\n",
            None,
        )
        .expect("apply");
    let outcome = evaluate(db);
    let mut got: Vec<(String, String, String)> = outcome
        .opened
        .iter()
        .map(|v| (v.rule.clone(), v.component.clone(), v.reason.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "attested".to_owned(),
                "shop@1.0".to_owned(),
                "no verified provenance attestation".to_owned()
            ),
            (
                "ntia".to_owned(),
                "shop@1.0".to_owned(),
                "NTIA minimum elements missing: supplier (7 components), timestamp".to_owned()
            ),
        ]
    );
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[test] fn $name() { super::$name(&super::sqlite()); })*
        }
        mod postgres_backend {
            $(#[test] fn $name() {
                if let Some(db) = super::postgres(stringify!($name)) { super::$name(&db); }
            })*
        }
        mod pgbouncer_backend {
            $(#[test] fn $name() {
                if let Some(db) = super::pgbouncer(stringify!($name)) { super::$name(&db); }
            })*
        }
    };
}

on_both_backends!(
    nul_bytes_give_the_same_answer,
    ingest_is_idempotent_and_keeps_history,
    overrides_name_the_product,
    who_has_uses_each_ecosystems_versions,
    why_finds_shortest_paths_first,
    dependents_across_the_portfolio,
    portfolio_names_count_products,
    as_of_looks_back,
    export_and_diff_read_the_stored_copy,
    unusable_documents_change_nothing,
    check_finds_broken_documents,
    current_documents_are_recorded_and_migrated,
    concurrent_ingest_stores_each_document_once,
    migrations_are_recorded_and_newer_schemas_refused,
    real_sboms_ingest_and_export,
    advisories_import_update_and_find,
    findings_are_matched_incrementally,
    vex_and_enrichment_apply_to_findings,
    attestations_are_evidence,
    tokens_are_kept_by_hash,
    one_leader_at_a_time,
    jobs_are_claimed_once_retried_and_dead_lettered,
    changes_enqueue_their_policy_evaluation,
    webhook_outbox_leases_and_moves,
    policies_are_evaluated_and_recorded,
    weakness_conditions_read_the_records,
    vulnerability_policies_decide_findings,
    product_rules_read_documents_and_provenance,
);

/// A CycloneDX document: `components` as (bom-ref, purl), `deps` as (ref, refs).
fn cdx(
    product: &str,
    version: &str,
    components: &[(&str, &str)],
    deps: &[(&str, &[&str])],
) -> Vec<u8> {
    let comps: Vec<_> = components
        .iter()
        .map(|(r, purl)| {
            let name = purl
                .rsplit('/')
                .next()
                .and_then(|n| n.split('@').next())
                .unwrap_or(r);
            let version = purl
                .rsplit_once('@')
                .map(|(_, v)| v.split('?').next().unwrap_or(v));
            json!({"type": "library", "bom-ref": r, "name": name, "version": version, "purl": purl})
        })
        .collect();
    let deps: Vec<_> = deps
        .iter()
        .map(|(r, on)| json!({"ref": r, "dependsOn": on}))
        .collect();
    serde_json::to_vec_pretty(&json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root",
                                   "name": product, "version": version}},
        "components": comps,
        "dependencies": deps,
    }))
    .expect("json")
}

fn shop(version: &str, urllib3: &str) -> Vec<u8> {
    cdx(
        "shop",
        version,
        &[
            ("requests", "pkg:pypi/requests@2.32.3"),
            ("urllib3", &format!("pkg:pypi/urllib3@{urllib3}")),
            ("idna", "pkg:pypi/idna@3.7"),
            ("botocore", "pkg:pypi/botocore@1.34.0"),
            (
                "liblzma",
                "pkg:deb/debian/liblzma5@5.6.1-1?arch=amd64&distro=debian-12&upstream=xz-utils",
            ),
            ("untracked", "pkg:pypi/six@1.16.0"),
        ],
        &[
            ("root", &["requests", "botocore"]),
            ("requests", &["urllib3", "idna"]),
            ("botocore", &["urllib3"]),
        ],
    )
}

fn ingest(db: &Db, doc: &[u8]) -> chainwatch_store::IngestOutcome {
    db.store
        .ingest(doc, &IngestOptions::default())
        .expect("ingest")
}

fn ingest_is_idempotent_and_keeps_history(db: &Db) {
    let first = ingest(db, &shop("1.0", "1.26.5"));
    assert!(first.stored);
    assert_eq!(
        (first.product.as_str(), first.version.as_str()),
        ("shop", "1.0")
    );
    assert_eq!((first.components, first.edges), (7, 5));
    let before = db.store.stats().expect("stats");

    let again = ingest(db, &shop("1.0", "1.26.5"));
    assert!(!again.stored, "the same document twice is a no-op");
    assert_eq!(again.document, first.document);
    assert_eq!(db.store.stats().expect("stats"), before);

    // A new SBOM for the same product version: kept, and now the current one.
    let newer = ingest(db, &shop("1.0", "1.26.18"));
    assert!(newer.stored);
    let products = db.store.products(None).expect("products");
    assert_eq!(products.len(), 1);
    assert_eq!((products[0].documents, products[0].components), (2, 7));
    let history = db
        .store
        .documents("shop", Some("1.0"), None)
        .expect("history");
    assert_eq!(
        history.iter().map(|d| d.id).collect::<Vec<_>>(),
        [first.document, newer.document]
    );
    let rows = db
        .store
        .who_has("pkg:pypi/urllib3", None, None)
        .expect("who-has");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].package, "pkg:pypi/urllib3@1.26.18");
    assert!(db.store.check().expect("check").ok);
}

fn overrides_name_the_product(db: &Db) {
    let doc = shop("1.0", "1.26.5");
    let options = IngestOptions {
        product: Some("payments-api".into()),
        version: Some("2.4.1".into()),
        ..IngestOptions::default()
    };
    let a = db.store.ingest(&doc, &options).expect("ingest");
    assert_eq!(
        (a.product.as_str(), a.version.as_str()),
        ("payments-api", "2.4.1")
    );
    // The same bytes under their own name are another document; the stored copy is shared.
    let b = ingest(db, &doc);
    assert!(b.stored);
    assert_eq!(b.product, "shop");
    let again = db.store.ingest(&doc, &options).expect("ingest");
    assert!(!again.stored);
    let stats = db.store.stats().expect("stats");
    assert_eq!((stats.documents, stats.products), (2, 2));
    assert_eq!(stats.packages, 6, "packages are deduplicated by purl");
    // A document without subject or name needs a product.
    let nameless = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"#;
    let err = db
        .store
        .ingest(nameless, &IngestOptions::default())
        .expect_err("no product");
    assert!(err.is_input(), "{err}");
}

fn who_has_uses_each_ecosystems_versions(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    ingest(db, &shop("2.0", "2.0.7"));
    let names = |rows: Vec<chainwatch_store::WhoHas>| {
        rows.into_iter()
            .map(|r| format!("{}@{} {}", r.product, r.version, r.package))
            .collect::<Vec<_>>()
    };
    let who = |purl: &str, range: Option<&str>| {
        names(db.store.who_has(purl, range, None).expect("who-has"))
    };
    // Name identity: PEP 503 normalization of the question.
    assert_eq!(who("pkg:pypi/URLLib3", None).len(), 2);
    // PEP 440 equality: 2.0.7 == 2.0.7.0.
    assert_eq!(
        who("pkg:pypi/urllib3@2.0.7.0", None),
        ["shop@2.0 pkg:pypi/urllib3@2.0.7"]
    );
    assert_eq!(
        who("pkg:pypi/urllib3", Some("vers:pypi/>=1.26.0|<1.26.18")),
        ["shop@1.0 pkg:pypi/urllib3@1.26.5"]
    );
    // Lexical order would put 1.26.5 above 1.26.18; PEP 440 does not.
    assert!(
        who("pkg:pypi/urllib3", Some("vers:pypi/>=1.26.18"))
            .iter()
            .all(|r| r.contains("2.0.7"))
    );
    // Debian ordering and qualifiers: the binary package with its distro qualifiers.
    assert_eq!(
        who(
            "pkg:deb/debian/liblzma5",
            Some("vers:deb/>=5.6.0|<5.6.1+really5.4.5-1")
        )
        .len(),
        2
    );
    assert!(who("pkg:deb/debian/liblzma5", Some("vers:deb/>=5.6.2")).is_empty());
    assert!(who("pkg:npm/urllib3", None).is_empty());
    for (purl, range) in [
        ("not a purl", None),
        ("pkg:pypi/x", Some("bad")),
        ("pkg:pypi/x@1", Some("vers:pypi/>=1")),
    ] {
        let err = db.store.who_has(purl, range, None).expect_err("invalid");
        assert!(err.is_input(), "{err}");
        let err = db
            .store
            .who_has_page(purl, range, None, 10)
            .expect_err("invalid");
        assert!(err.is_input(), "{err}");
    }
    // Pages, of any size, add up to the whole answer in its order: more products and
    // versions, several versions of one name, a name a product holds twice.
    ingest(db, &shop("1.1", "1.26.18"));
    ingest(
        db,
        &cdx(
            "Zeta",
            "1",
            &[
                ("a", "pkg:pypi/urllib3@1.26.5"),
                ("b", "pkg:pypi/urllib3@2.0.7"),
            ],
            &[],
        ),
    );
    ingest(
        db,
        &cdx(
            "alpha",
            "9",
            &[
                ("a", "pkg:pypi/urllib3@1.26.5"),
                ("again", "pkg:pypi/urllib3@1.26.5"),
            ],
            &[],
        ),
    );
    for range in [None, Some("vers:pypi/>=1.26.6")] {
        let whole = db
            .store
            .who_has("pkg:pypi/urllib3", range, None)
            .expect("who-has");
        assert!(whole.len() >= 3, "{whole:?}");
        for size in [1, 2, 3, 100] {
            let mut paged = Vec::new();
            let mut after: Option<chainwatch_store::WhoHas> = None;
            loop {
                let (page, more) = db
                    .store
                    .who_has_page("pkg:pypi/urllib3", range, after.as_ref(), size)
                    .expect("page");
                assert!(page.len() <= size);
                after = page.last().cloned();
                paged.extend(page);
                if !more {
                    break;
                }
            }
            assert_eq!(paged, whole, "pages of {size}, range {range:?}");
        }
    }
    // Product pages add up to the list, bytewise (`Zeta` before `alpha`).
    let all = db.store.products(None).expect("products");
    let mut paged = Vec::new();
    let mut after: Option<(String, String)> = None;
    loop {
        let page = db
            .store
            .products_after(after.as_ref().map(|(n, v)| (n.as_str(), v.as_str())), 2)
            .expect("page");
        after = page.last().map(|p| (p.name.clone(), p.version.clone()));
        let last = page.len() < 2;
        paged.extend(page);
        if last {
            break;
        }
    }
    assert_eq!(paged, all);
    assert_eq!(
        all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Zeta", "alpha", "shop", "shop", "shop"]
    );
}

fn why_finds_shortest_paths_first(db: &Db) {
    ingest(
        db,
        &cdx(
            "app",
            "1",
            &[
                ("a", "pkg:npm/a@1.0.0"),
                ("b", "pkg:npm/b@1.0.0"),
                ("c", "pkg:npm/c@1.0.0"),
                ("t", "pkg:npm/target@2.0.0"),
                ("loose", "pkg:npm/loose@1.0.0"),
            ],
            &[
                ("root", &["a", "b"]),
                ("a", &["c", "t"]),
                ("b", &["c"]),
                ("c", &["t", "a"]),
            ],
        ),
    );
    let paths: Vec<String> = db
        .store
        .why("app", None, "pkg:npm/target", 10, None)
        .expect("why")
        .into_iter()
        .map(|p| {
            p.path
                .join(" > ")
                .replace("pkg:npm/", "")
                .replace("@1.0.0", "")
        })
        .collect();
    assert_eq!(
        paths,
        [
            "app@1 > a > target@2.0.0",
            "app@1 > a > c > target@2.0.0",
            "app@1 > b > c > target@2.0.0",
            "app@1 > b > c > a > target@2.0.0",
        ]
    );
    // The same paths as a tree to unfold: only components that lead to the target.
    let tree = db
        .store
        .why_index("app", "1", "pkg:npm/target")
        .expect("why_index");
    let label = |o: u32| tree.node(o).expect("node").label.replace("pkg:npm/", "");
    assert_eq!(tree.roots.len(), 1);
    let root = tree.node(tree.roots[0]).expect("root");
    let level: Vec<String> = root.children.iter().map(|c| label(*c)).collect();
    assert_eq!(level, ["a@1.0.0", "b@1.0.0"], "`loose` leads nowhere");
    assert_eq!(tree.targets(), 1);
    let a = root.children[0];
    let under_a: Vec<String> = tree
        .node(a)
        .expect("a")
        .children
        .iter()
        .map(|c| label(*c))
        .collect();
    assert_eq!(under_a, ["c@1.0.0", "target@2.0.0"]);
    assert!(
        db.store
            .why_index("app", "1", "pkg:npm/absent")
            .expect("why_index")
            .roots
            .is_empty()
    );
    let one = db
        .store
        .why("app", Some("1"), "pkg:npm/target@2.0.0", 1, None)
        .expect("why");
    assert_eq!(one.len(), 1);
    assert!(
        db.store
            .why("app", None, "pkg:npm/target@3.0.0", 10, None)
            .expect("why")
            .is_empty()
    );
    // Listed but not connected: a direct member of the product.
    let loose = db
        .store
        .why("app", None, "pkg:npm/loose", 10, None)
        .expect("why");
    assert_eq!(loose[0].path, ["app@1", "pkg:npm/loose@1.0.0"]);
    let err = db
        .store
        .why("nope", None, "pkg:npm/a", 10, None)
        .expect_err("no product");
    assert!(err.is_input());
}

fn dependents_across_the_portfolio(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    let rows = db
        .store
        .dependents("pkg:pypi/urllib3", None, None)
        .expect("dependents");
    let deps: Vec<&str> = rows.iter().map(|r| r.dependent.as_str()).collect();
    assert_eq!(
        deps,
        ["pkg:pypi/requests@2.32.3", "pkg:pypi/botocore@1.34.0"]
    );
    assert!(
        rows.iter()
            .all(|r| r.kind == "depends-on" && r.product == "shop")
    );
    assert!(
        db.store
            .dependents("pkg:pypi/six", None, None)
            .expect("dependents")
            .is_empty()
    );
}

/// Names counted by the products whose current inventories use them: versions, history
/// and documents of one product count once; a name a newer document dropped, not at all.
fn portfolio_names_count_products(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    ingest(db, &shop("1.1", "2.2.2"));
    ingest(
        db,
        &cdx(
            "cart",
            "1.0",
            &[
                ("u", "pkg:pypi/urllib3@2.2.2"),
                ("s", "pkg:pypi/six@1.16.0"),
                ("n", "pkg:npm/left-pad@1.3.0"),
            ],
            &[],
        ),
    );
    ingest(
        db,
        &cdx("cart", "1.0", &[("u", "pkg:pypi/urllib3@2.2.2")], &[]),
    );
    let names = db.store.portfolio_names("pypi", 2, 100).expect("names");
    assert_eq!(names, [("pkg:pypi/urllib3".to_owned(), 2)]);
    let names = db.store.portfolio_names("pypi", 1, 3).expect("names");
    assert_eq!(names.len(), 3);
    assert_eq!(names[0], ("pkg:pypi/urllib3".to_owned(), 2));
    assert!(names[1..].iter().all(|(_, n)| *n == 1));
    assert_eq!(names[1].0, "pkg:pypi/botocore");
    // Counts are cached; a new document makes a cheap count run again.
    ingest(
        db,
        &cdx("api", "1.0", &[("b", "pkg:pypi/botocore@1.35.0")], &[]),
    );
    let names = db.store.portfolio_names("pypi", 2, 100).expect("names");
    assert_eq!(
        names,
        [
            ("pkg:pypi/botocore".to_owned(), 2),
            ("pkg:pypi/urllib3".to_owned(), 2)
        ]
    );
    // `cart` dropped `left-pad`.
    assert!(
        db.store
            .portfolio_names("npm", 1, 100)
            .expect("names")
            .is_empty()
    );
    // `_` in a type is taken literally, not as a `LIKE` wildcard.
    assert!(
        db.store
            .portfolio_names("p_pi", 1, 100)
            .expect("names")
            .is_empty()
    );
}

fn as_of_looks_back(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    let between = chainwatch_store::now_micros();
    std::thread::sleep(std::time::Duration::from_millis(5));
    ingest(db, &shop("1.0", "1.26.18"));
    let at = |t: Option<i64>| {
        db.store
            .who_has("pkg:pypi/urllib3", None, t)
            .expect("who-has")[0]
            .package
            .clone()
    };
    assert_eq!(at(None), "pkg:pypi/urllib3@1.26.18");
    assert_eq!(at(Some(between)), "pkg:pypi/urllib3@1.26.5");
    assert!(db.store.products(Some(0)).expect("products").is_empty());
    assert_eq!(
        db.store.products(Some(between)).expect("products")[0].documents,
        1
    );
    let (info, _) = db
        .store
        .export("shop", None, Some(between))
        .expect("export");
    assert_eq!(info.components, 7);
}

fn export_and_diff_read_the_stored_copy(db: &Db) {
    let original = shop("1.0", "1.26.5");
    ingest(db, &original);
    ingest(db, &shop("1.1", "2.0.7"));
    let (info, sbom) = db.store.export("shop", Some("1.0"), None).expect("export");
    assert_eq!(info.digest, chainwatch_store::digest_hex(&original));
    assert_eq!(db.store.raw_document(info.id).expect("raw"), original);
    for format in [
        chainwatch_sbom::Format::CycloneDxJson,
        chainwatch_sbom::Format::CycloneDxXml,
        chainwatch_sbom::Format::SpdxJson,
        chainwatch_sbom::Format::SpdxTagValue,
    ] {
        let text = chainwatch_sbom::write(&sbom, format).expect("writable");
        let back =
            chainwatch_sbom::parse(text.as_bytes(), &chainwatch_sbom::ReadOptions::default())
                .expect("reads back");
        let purls = |s: &chainwatch_sbom::Sbom| {
            let mut p: Vec<_> = s.components.iter().filter_map(|c| c.purl.clone()).collect();
            p.sort();
            p
        };
        assert_eq!(purls(&back), purls(&sbom), "{format}");
    }
    let d = db.store.diff("shop", "1.0", "1.1", None).expect("diff");
    let changed: Vec<_> = d
        .changed
        .iter()
        .map(|c| format!("{} {:?} {:?}", c.identity, c.from, c.to))
        .collect();
    assert_eq!(
        changed,
        [
            "application:shop Some(\"1.0\") Some(\"1.1\")",
            "pkg:pypi/urllib3 Some(\"1.26.5\") Some(\"2.0.7\")"
        ]
    );
    assert!(
        db.store
            .diff("shop", "1.0", "9", None)
            .expect_err("missing")
            .is_input()
    );
}

fn unusable_documents_change_nothing(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    let before = db.store.stats().expect("stats");
    let mut inputs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":[".to_vec(),
        b"<html>not an sbom</html>".to_vec(),
        b"\x1f\x8b\x08\x00garbage".to_vec(),
    ];
    if let Some(corpus) = chainwatch_testkit::corpus() {
        for rel in [
            "real-sboms/trustify/adversarial/bomb.bz2",
            "real-sboms/guac/invalid-cyclonedx.xml",
        ] {
            inputs.push(std::fs::read(corpus.join(rel)).expect("corpus file"));
        }
    }
    for input in &inputs {
        let err = db
            .store
            .ingest(input, &IngestOptions::default())
            .expect_err("unusable");
        assert!(err.is_input(), "{err}");
    }
    assert_eq!(db.store.stats().expect("stats"), before);
    assert!(db.store.check().expect("check").ok);
}

fn check_finds_broken_documents(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    assert!(db.store.check().expect("check").ok);
    // Break the store behind chainwatch's back: remove one component of the document,
    // forget which document is current.
    behind_the_back(db, "DELETE FROM occurrences WHERE ordinal = 3");
    behind_the_back(db, "UPDATE product_versions SET current_document_id = NULL");
    let report = db.store.check().expect("check");
    assert!(!report.ok);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("component count")),
        "{:?}",
        report.problems
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("not recorded as current")),
        "{:?}",
        report.problems
    );
}

/// Runs `sql` on the store's database directly.
fn behind_the_back(db: &Db, sql: &str) {
    if let Some((url, schema)) = &db.pg_schema {
        let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
        client
            .batch_execute(&format!("SET search_path TO {schema}; {sql}"))
            .expect("SQL");
    } else {
        rusqlite::Connection::open(&db.location)
            .expect("open")
            .execute_batch(sql)
            .expect("SQL");
    }
}

/// Migration 10 records each product version's newest document; ingestion keeps it.
fn current_documents_are_recorded_and_migrated(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    ingest(db, &shop("1.0", "1.26.18"));
    ingest(db, &shop("2.0", "2.2.1"));
    let current = || {
        db.store
            .who_has("pkg:pypi/urllib3", None, None)
            .expect("who-has")
            .into_iter()
            .map(|w| format!("{}@{} {}", w.product, w.version, w.package))
            .collect::<Vec<_>>()
    };
    let expected = [
        "shop@1.0 pkg:pypi/urllib3@1.26.18",
        "shop@2.0 pkg:pypi/urllib3@2.2.1",
    ];
    assert_eq!(current(), expected);
    // A store from before migration 10 (and so the later ones): the migration fills the
    // column in.
    behind_the_back(
        db,
        "DROP TABLE jobs;
         DELETE FROM schema_migrations WHERE version = 20;
         DELETE FROM schema_migrations WHERE version = 19;
         DROP TABLE leases;
         DELETE FROM schema_migrations WHERE version = 18;
         DROP TABLE package_audits;
         DELETE FROM schema_migrations WHERE version = 17;
         DROP TABLE policy_analyses;
         DELETE FROM schema_migrations WHERE version = 16;
         DROP TABLE policy_evaluations;
         DROP TABLE policy_violations;
         DROP TABLE product_tags;
         DROP TABLE policy_sets;
         DELETE FROM schema_migrations WHERE version = 15;
         DROP TABLE monitor_runs;
         DELETE FROM schema_migrations WHERE version = 14;
         ALTER TABLE findings DROP COLUMN severity;
         ALTER TABLE findings DROP COLUMN score;
         ALTER TABLE findings DROP COLUMN severity_from;
         DELETE FROM schema_migrations WHERE version = 13;
         DROP INDEX IF EXISTS products_name_bytewise;
         DROP INDEX IF EXISTS product_versions_bytewise;
         DELETE FROM schema_migrations WHERE version = 12;
         DROP TABLE webhook_outbox;
         ALTER TABLE webhook_deliveries DROP COLUMN key;
         DELETE FROM schema_migrations WHERE version = 11;
         DROP INDEX product_versions_current;
         ALTER TABLE product_versions DROP COLUMN current_ingested_at;
         ALTER TABLE product_versions DROP COLUMN current_document_id;
         DELETE FROM schema_migrations WHERE version = 10",
    );
    // Opening migrates.
    let store = Store::open(&db.location).expect("open");
    assert_eq!(
        store.schema_version().expect("version"),
        chainwatch_store::schema::latest()
    );
    assert!(store.check().expect("check").ok);
    assert_eq!(current(), expected);
    drop(store);
    // Ingestion keeps it: a newer document becomes current, an old one stored again
    // for another version does not displace anything.
    ingest(db, &shop("1.0", "1.26.19"));
    assert_eq!(current()[0], "shop@1.0 pkg:pypi/urllib3@1.26.19");
    assert!(db.store.check().expect("check").ok);
}

fn concurrent_ingest_stores_each_document_once(db: &Db) {
    let docs: Vec<Vec<u8>> = (0..24)
        .map(|i| shop(&format!("1.{i}"), &format!("1.26.{}", i % 5)))
        .collect();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (docs, location) = (&docs, &db.location);
            scope.spawn(move || {
                // Each thread its own store handle (its own connections), like processes.
                let store = Store::open(location).expect("open");
                for i in 0..docs.len() {
                    let doc = &docs[(i + t * 7) % docs.len()];
                    store
                        .ingest(doc, &IngestOptions::default())
                        .expect("ingest");
                }
            });
        }
    });
    let stats = db.store.stats().expect("stats");
    assert_eq!((stats.documents, stats.product_versions), (24, 24));
    assert_eq!(stats.occurrences, 24 * 7);
    assert!(db.store.check().expect("check").ok);
}

fn migrations_are_recorded_and_newer_schemas_refused(db: &Db) {
    let latest = chainwatch_store::schema::latest();
    assert_eq!(db.store.schema_version().expect("version"), latest);
    let again = db.store.migrate().expect("migrate");
    assert!(again.applied.is_empty());
    assert_eq!((again.from, again.to), (latest, latest));
    let sql = format!(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({}, 'future', 0)",
        latest + 1
    );
    if let Some((url, schema)) = &db.pg_schema {
        let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
        client
            .batch_execute(&format!("SET search_path TO {schema}; {sql}"))
            .expect("insert");
    } else {
        rusqlite::Connection::open(&db.location)
            .expect("open")
            .execute_batch(&sql)
            .expect("insert");
    }
    let err = Store::open(&db.location).expect_err("newer schema");
    assert!(
        matches!(err, chainwatch_store::StoreError::SchemaTooNew { .. }),
        "{err}"
    );
}

fn real_sboms_ingest_and_export(db: &Db) {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![corpus.join("real-sboms")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let (mut stored, mut refused) = (0, 0);
    for (i, path) in files.iter().enumerate() {
        let bytes = std::fs::read(path).expect("read");
        // Every file under its own product, so documents that share a subject stay apart.
        let options = IngestOptions {
            product: Some(format!("p{i}")),
            ..IngestOptions::default()
        };
        match db.store.ingest(&bytes, &options) {
            Ok(o) => {
                stored += 1;
                let (info, sbom) = db
                    .store
                    .export(&o.product, Some(&o.version), None)
                    .expect("export");
                assert_eq!(
                    info.components,
                    sbom.components.len() as u64,
                    "{}",
                    path.display()
                );
            }
            Err(e) => {
                assert!(e.is_input(), "{}: {e}", path.display());
                refused += 1;
            }
        }
    }
    eprintln!("real SBOMs: {stored} stored, {refused} refused");
    assert!(stored >= 100, "{stored} stored");
    let report = db.store.check().expect("check");
    assert!(report.ok, "{:?}", report.problems);
}

fn osv(
    id: &str,
    modified: &str,
    fixed: &str,
    extra: serde_json::Value,
) -> chainwatch_advisory::Record {
    let mut v = json!({
        "id": id,
        "modified": modified,
        "aliases": [format!("CVE-{}", &id[id.len() - 4..])],
        "summary": format!("{id} summary"),
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "URLLib3"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
        }]
    });
    if let (Some(o), serde_json::Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    serde_json::from_value(v).expect("record")
}

fn advisories_import_update_and_find(db: &Db) {
    let a = osv("PYSEC-0001", "2024-01-01T00:00:00Z", "2.0.7", json!({}));
    let b = osv(
        "GHSA-0002",
        "2024-01-01T00:00:00Z",
        "1.26.18",
        json!({"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}),
    );
    let w = osv(
        "GHSA-0003",
        "2024-01-01T00:00:00Z",
        "9.9",
        json!({"withdrawn": "2024-02-01T00:00:00Z"}),
    );
    let first = db
        .store
        .import_advisories(&[a.clone(), b.clone(), w])
        .expect("import");
    assert_eq!((first.added, first.updated, first.unchanged), (3, 0, 0));
    // The same content again: nothing written.
    let again = db
        .store
        .import_advisories(std::slice::from_ref(&a))
        .expect("import");
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 1));
    // An older version is ignored, a newer one replaces the stored record.
    let older = osv("PYSEC-0001", "2023-01-01T00:00:00Z", "1.0", json!({}));
    assert_eq!(
        db.store
            .import_advisories(&[older])
            .expect("import")
            .unchanged,
        1
    );
    let newer = osv(
        "PYSEC-0001",
        "2024-03-01T00:00:00Z",
        "2.0.8",
        json!({"aliases": ["CVE-2024-9999"]}),
    );
    assert_eq!(
        db.store
            .import_advisories(&[newer])
            .expect("import")
            .updated,
        1
    );
    // Any identifier, any case, finds it; the old alias is gone.
    let found = db.store.advisories_by_id("cve-2024-9999").expect("lookup");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "PYSEC-0001");
    assert!(
        db.store
            .advisories_by_id("CVE-0001")
            .expect("lookup")
            .is_empty()
    );
    // Matching loads only what the packages need; withdrawn records never match.
    let purls: Vec<chainwatch_purl::Purl> = ["pkg:pypi/urllib3@1.26.5", "pkg:npm/left-pad@1.3.0"]
        .iter()
        .map(|p| chainwatch_purl::Purl::parse(p).expect("purl"))
        .collect();
    let index = db.store.advisory_index_for(&purls).expect("index");
    assert_eq!(index.len(), 2);
    let ids: Vec<String> = index
        .matches(&purls[0])
        .into_iter()
        .map(|f| f.advisory)
        .collect();
    assert_eq!(ids, ["GHSA-0002", "PYSEC-0001"]);
    let f = &index.matches(&purls[0])[0];
    assert_eq!(f.severity.as_ref().and_then(|s| s.score), Some(9.8));
    let stats = db.store.advisory_stats().expect("stats");
    assert_eq!((stats.records, stats.withdrawn, stats.malicious), (3, 1, 0));
    assert!(stats.last_import.is_some());
}

fn finding_pairs(db: &Db) -> Vec<(String, String, String)> {
    db.store
        .findings(&chainwatch_store::FindingQuery::default())
        .expect("findings")
        .into_iter()
        .map(|f| (f.version, f.package, f.advisory))
        .collect()
}

fn changes(list: &[chainwatch_store::FindingChange]) -> Vec<(&str, &str)> {
    list.iter()
        .map(|c| (c.package.as_str(), c.advisory.as_str()))
        .collect()
}

fn findings_are_matched_incrementally(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    // Nothing to match against yet: packages are marked matched, no findings.
    let first = db.store.rematch().expect("rematch");
    assert_eq!(first.packages, 6);
    assert!(first.new.is_empty());
    // A new advisory: only the packages under its keys are matched again.
    let a = osv("PYSEC-0001", "2024-01-01T00:00:00Z", "2.0.7", json!({}));
    let xz = serde_json::from_value::<chainwatch_advisory::Record>(json!({
        "id": "DEBIAN-CVE-2024-3094", "modified": "2024-04-01T00:00:00Z",
        "upstream": ["CVE-2024-3094"],
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "xz-utils"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "5.6.0"}, {"fixed": "5.6.1+really5.4.5-1"}]}]}]
    }))
    .expect("record");
    db.store.import_advisories(&[a, xz]).expect("import");
    let second = db.store.rematch().expect("rematch");
    assert_eq!((second.packages, second.advisory_changes), (2, 2));
    assert_eq!(
        changes(&second.new),
        [
            (
                "pkg:deb/debian/liblzma5@5.6.1-1?arch=amd64&distro=debian-12&upstream=xz-utils",
                "DEBIAN-CVE-2024-3094"
            ),
            ("pkg:pypi/urllib3@1.26.5", "PYSEC-0001")
        ]
    );
    let found = db
        .store
        .findings(&chainwatch_store::FindingQuery::default())
        .expect("findings");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].via, "upstream");
    assert_eq!(found[0].aliases, ["CVE-2024-3094"]);
    assert_eq!(found[1].fixed_in, ["2.0.7"]);
    assert_eq!(found[1].aliases, ["CVE-0001"]);
    let first_seen = found[1].first_seen.clone();
    // `query affected` through the upstream CVE id finds the binary package.
    let xz = db.store.affected("cve-2024-3094", None).expect("affected");
    assert_eq!(xz.len(), 1);
    assert!(xz[0].package.starts_with("pkg:deb/debian/liblzma5@5.6.1-1"));
    assert_eq!(xz[0].advisory, "DEBIAN-CVE-2024-3094");
    // Nothing changed: nothing to do.
    let idle = db.store.rematch().expect("rematch");
    assert_eq!((idle.packages, idle.advisory_changes), (0, 0));
    // A new product version: only its new package is matched, and its findings show.
    ingest(db, &shop("1.1", "1.26.4"));
    let third = db.store.rematch().expect("rematch");
    assert_eq!(third.packages, 1);
    assert_eq!(
        changes(&third.new),
        [("pkg:pypi/urllib3@1.26.4", "PYSEC-0001")]
    );
    assert_eq!(finding_pairs(db).len(), 4);
    // The advisory is corrected (fixed earlier): 1.26.5 is resolved, 1.26.4 stays.
    let corrected = osv("PYSEC-0001", "2024-02-01T00:00:00Z", "1.26.5", json!({}));
    db.store.import_advisories(&[corrected]).expect("import");
    let fourth = db.store.rematch().expect("rematch");
    assert_eq!(fourth.packages, 2);
    assert!(fourth.new.is_empty());
    assert_eq!(
        changes(&fourth.resolved),
        [("pkg:pypi/urllib3@1.26.5", "PYSEC-0001")]
    );
    // Withdrawn: every finding of it resolves.
    let withdrawn = osv(
        "PYSEC-0001",
        "2024-03-01T00:00:00Z",
        "1.26.5",
        json!({"withdrawn": "2024-03-01T00:00:00Z"}),
    );
    db.store.import_advisories(&[withdrawn]).expect("import");
    let fifth = db.store.rematch().expect("rematch");
    assert_eq!(
        changes(&fifth.resolved),
        [("pkg:pypi/urllib3@1.26.4", "PYSEC-0001")]
    );
    let left = finding_pairs(db);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|(_, _, a)| a == "DEBIAN-CVE-2024-3094"));
    // The dashboard's summary: the two resolutions today (one per product version
    // that has each package).
    let summary = summary_agrees_with_findings(db, &|_| true);
    assert_eq!(summary.resolved.iter().sum::<usize>(), 2);
    assert_eq!(summary.resolved.last(), Some(&2));
    // Reinstated: the old finding reopens with its first-seen time.
    let back = osv("PYSEC-0001", "2024-04-01T00:00:00Z", "2.0.7", json!({}));
    db.store.import_advisories(&[back]).expect("import");
    let sixth = db.store.rematch().expect("rematch");
    assert_eq!(sixth.new.len(), 2);
    let again = db
        .store
        .findings(&chainwatch_store::FindingQuery {
            version: Some("1.0".into()),
            ..Default::default()
        })
        .expect("findings");
    let urllib3 = again
        .iter()
        .find(|f| f.advisory == "PYSEC-0001")
        .expect("reopened");
    assert_eq!(urllib3.first_seen, first_seen);
    // From scratch: the same findings, no delta.
    db.store.reset_matches().expect("reset");
    let full = db.store.rematch().expect("rematch");
    assert_eq!(full.packages, 7);
    assert!(full.new.is_empty() && full.resolved.is_empty());
    assert_eq!(finding_pairs(db).len(), 4);
}

fn vex_and_enrichment_apply_to_findings(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    ingest(db, &shop("1.1", "1.26.4"));
    let a = osv("PYSEC-0001", "2024-01-01T00:00:00Z", "2.0.7", json!({}));
    db.store.import_advisories(&[a]).expect("import");
    db.store.rematch().expect("rematch");
    assert_eq!(finding_pairs(db).len(), 2);
    // shop 1.0 is not affected (by the CVE alias); the statement is kept as evidence.
    let openvex = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex-1",
        "author": "shop team",
        "timestamp": "2024-05-01T00:00:00Z",
        "statements": [{
            "vulnerability": {"name": "CVE-0001"},
            "products": [{"@id": "shop@1.0", "subcomponents": [{"@id": "pkg:pypi/urllib3"}]}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path"
        }]
    });
    let bytes = serde_json::to_vec(&openvex).expect("json");
    let doc = chainwatch_advisory::vex::parse(&bytes).expect("vex");
    let first = db.store.import_vex(&bytes, &doc).expect("import vex");
    assert!(first.stored);
    assert_eq!(first.statements, 1);
    assert!(!db.store.import_vex(&bytes, &doc).expect("again").stored);
    let left = finding_pairs(db);
    assert_eq!(
        left,
        [(
            "1.1".to_owned(),
            "pkg:pypi/urllib3@1.26.4".to_owned(),
            "PYSEC-0001".to_owned()
        )]
    );
    let all = db
        .store
        .findings(&chainwatch_store::FindingQuery {
            include_suppressed: true,
            ..Default::default()
        })
        .expect("findings");
    let suppressed = all.iter().find(|f| f.version == "1.0").expect("1.0");
    let verdict = suppressed.vex.as_ref().expect("verdict");
    assert_eq!(verdict.status.as_str(), "not_affected");
    assert_eq!(
        verdict.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    // A later statement wins: under investigation again.
    let later = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex-2",
        "timestamp": "2024-06-01T00:00:00Z",
        "statements": [{"vulnerability": "PYSEC-0001", "products": ["pkg:pypi/urllib3@1.26.5"],
                        "status": "under_investigation"}]
    });
    let bytes = serde_json::to_vec(&later).expect("json");
    let doc = chainwatch_advisory::vex::parse(&bytes).expect("vex");
    db.store.import_vex(&bytes, &doc).expect("import vex");
    assert_eq!(finding_pairs(db).len(), 2);
    // query affected shows the status.
    let affected = db.store.affected("CVE-0001", None).expect("affected");
    assert_eq!(
        affected[0].vex_status.as_deref(),
        Some("under_investigation")
    );
    // KEV and EPSS, by the CVE alias.
    let kev = chainwatch_advisory::enrich::parse_kev(
        br#"{"vulnerabilities":[{"cveID":"CVE-0001","vendorProject":"x","product":"y","dateAdded":"2024-07-01","knownRansomwareCampaignUse":"Known"}]}"#,
    )
    .expect("kev");
    assert_eq!(db.store.import_kev(&kev).expect("kev"), 1);
    let epss = chainwatch_advisory::enrich::parse_epss(
        b"#model_version:v2025.03.14,score_date:2026-11-26T00:00:00+0000\ncve,epss,percentile\nCVE-0001,0.97,0.999\nCVE-0002,0.01,0.2\n",
    )
    .expect("epss");
    assert_eq!(db.store.import_epss(&epss).expect("epss"), 2);
    let found = db
        .store
        .findings(&chainwatch_store::FindingQuery::default())
        .expect("findings");
    assert!(
        found
            .iter()
            .all(|f| f.known_exploited && f.epss == Some(0.97))
    );
    assert_eq!(found[0].epss_percentile, Some(0.999));
    let summary = summary_agrees_with_findings(db, &|_| true);
    assert_eq!(summary.total.known_exploited, 2);
    assert_eq!(summary.urgent.len(), 2);
    let none = summary_agrees_with_findings(db, &|p| p != "shop");
    assert_eq!(none.total, chainwatch_store::FindingCounts::default());
    assert!(db.store.affected("CVE-0001", None).expect("affected")[0].known_exploited);
}

/// Checks the dashboard's summary against the findings it sums up; the summary.
fn summary_agrees_with_findings(
    db: &Db,
    include: &dyn Fn(&str) -> bool,
) -> chainwatch_store::FindingsSummary {
    let found: Vec<chainwatch_store::ProductFinding> = db
        .store
        .findings(&chainwatch_store::FindingQuery::default())
        .expect("findings")
        .into_iter()
        .filter(|f| include(&f.product))
        .collect();
    let summary = db
        .store
        .findings_summary(&chainwatch_store::SummaryQuery {
            include,
            days: 90,
            top: 20,
            now: chainwatch_store::now_micros(),
        })
        .expect("summary");
    let mut total = chainwatch_store::FindingCounts::default();
    let mut by_product: std::collections::HashMap<String, chainwatch_store::FindingCounts> =
        std::collections::HashMap::new();
    for f in &found {
        for c in [&mut total, by_product.entry(f.product.clone()).or_default()] {
            if f.informational.is_some() {
                c.informational += 1;
                continue;
            }
            if f.malicious {
                c.malicious += 1;
            } else {
                let level = chainwatch_store::LEVELS
                    .iter()
                    .position(|l| Some(*l) == f.severity.as_deref())
                    .unwrap_or(4);
                c.by_level[level] += 1;
            }
            if f.known_exploited {
                c.known_exploited += 1;
            }
        }
    }
    assert_eq!(summary.total, total);
    assert_eq!(summary.by_product, by_product);
    // Every finding of the store was first seen within the last 90 days (today).
    assert_eq!(summary.opened.iter().sum::<usize>(), found.len());
    assert_eq!(summary.newest.len(), found.len().min(20));
    assert!(summary.newest.iter().all(|f| found.contains(f)));
    assert!(
        summary
            .urgent
            .iter()
            .all(|f| found.contains(f) && (f.malicious || f.known_exploited))
    );
    summary
}

/// A verified SLSA provenance bundle (slsa-verifier's, from the corpus) becomes evidence
/// of the product version it was ingested for and of the component with its subject's
/// digest; unverified ones and unknown product versions store nothing.
fn attestations_are_evidence(db: &Db) {
    let Some(path) = chainwatch_testkit::corpus_path(
        "attestations/slsa-verifier/cli/slsa-verifier/testdata/gha_go/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl",
    ) else {
        return;
    };
    let bytes = std::fs::read(path).expect("read");
    let policy = chainwatch_attest::Policy {
        threshold: 1,
        builders: vec!["https://github.com/slsa-framework/slsa-github-generator/*".into()],
        ..chainwatch_attest::Policy::default()
    };
    let verified = chainwatch_attest::verify(&bytes, &policy).expect("verify");
    assert!(verified[0].verified, "{:?}", verified[0].checks);
    let digest = "f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066";
    let sbom = serde_json::to_vec(&json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "example", "version": "14"}},
        "components": [{"type": "file", "bom-ref": "bin", "name": "binary-linux-amd64",
                        "purl": "pkg:generic/binary-linux-amd64@14",
                        "hashes": [{"alg": "SHA-256", "content": digest}]}],
    }))
    .expect("json");
    ingest(db, &sbom);
    // Unknown product version, unverified attestation: nothing stored.
    assert!(matches!(
        db.store
            .store_attestation(&verified[0], Some(("example", "15"))),
        Err(chainwatch_store::StoreError::NotFound(_))
    ));
    let unverified =
        chainwatch_attest::verify(&bytes, &chainwatch_attest::Policy::default()).expect("verify");
    assert!(!unverified[0].verified);
    assert!(db.store.store_attestation(&unverified[0], None).is_err());
    assert!(
        db.store
            .provenance("example", None, None)
            .expect("provenance")
            .is_empty()
    );
    let first = db
        .store
        .store_attestation(&verified[0], Some(("example", "14")))
        .expect("store");
    assert!(first.stored);
    let again = db
        .store
        .store_attestation(&verified[0], Some(("example", "14")))
        .expect("store");
    assert_eq!((again.id, again.stored), (first.id, false));
    let evidence = db
        .store
        .provenance("example", Some("14"), None)
        .expect("provenance");
    let about: Vec<&str> = evidence.iter().map(|e| e.about.as_str()).collect();
    assert_eq!(
        about,
        [
            "component pkg:generic/binary-linux-amd64@14",
            "product version"
        ]
    );
    let e = &evidence[0];
    assert_eq!(
        e.builder.as_deref(),
        Some(
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v2.1.0"
        )
    );
    assert_eq!(
        e.source.as_deref(),
        Some("git+https://github.com/slsa-framework/example-package@refs/tags/v14")
    );
    assert_eq!(
        e.revision.as_deref(),
        Some("4d329c75e7ec1725f7c9ce917a8799d408d06be3")
    );
    assert!(
        e.signer
            .as_deref()
            .is_some_and(|s| s.contains("builder_go_slsa3.yml"))
    );
    assert_eq!(
        e.predicate_type.as_deref(),
        Some("https://slsa.dev/provenance/v0.2")
    );
}

/// Tokens: found by the hash of their secret, names unique also after revocation,
/// revocation and expiry.
fn tokens_are_kept_by_hash(db: &Db) {
    use chainwatch_store::Role;
    let t = db
        .store
        .create_token("ci", Role::Ingest, Some("shop*"), "aa11", None)
        .expect("create");
    assert_eq!(
        (t.role, t.products.as_deref()),
        (Role::Ingest, Some("shop*"))
    );
    assert!(
        db.store
            .create_token("ci", Role::Read, None, "bb22", None)
            .is_err()
    );
    let found = db
        .store
        .token_by_hash("aa11")
        .expect("find")
        .expect("found");
    assert_eq!(found, t);
    assert!(db.store.token_by_hash("cc33").expect("find").is_none());
    assert!(db.store.revoke_token("ci").expect("revoke"));
    assert!(!db.store.revoke_token("ci").expect("revoke again"));
    let found = db
        .store
        .token_by_hash("aa11")
        .expect("find")
        .expect("found");
    assert!(found.revoked_at.is_some() && !found.is_active(chainwatch_store::now_micros()));
    assert!(
        db.store
            .create_token("ci", Role::Read, None, "dd44", None)
            .is_err()
    );
    let old = db
        .store
        .create_token("old", Role::Admin, None, "ee55", Some(1))
        .expect("create");
    assert!(!old.is_active(chainwatch_store::now_micros()));
    let names: Vec<String> = db
        .store
        .tokens()
        .expect("list")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["ci", "old"]);
}

/// The durable job queue: requests with a key coalesce while queued, the most urgent
/// job is claimed first, concurrent workers of several processes claim each job once,
/// a failure is retried after a backoff and dead-lettered after the last attempt, a
/// claim whose lease ran out is taken over (the old worker can no longer record), and a
/// worker that died on the last attempt dead-letters its job.
fn jobs_are_claimed_once_retried_and_dead_lettered(db: &Db) {
    use chainwatch_store::{JobOutcome, JobRequest};
    use std::time::Duration;
    let lease = Duration::from_mins(1);
    let request = |kind, key, priority, max_attempts| JobRequest {
        kind,
        key,
        input: r#"{"source":"test"}"#,
        payload: None,
        owner: None,
        priority,
        max_attempts,
    };
    let st = &db.store;
    let a = st
        .enqueue_job(&request("a", Some("k"), 0, 3))
        .expect("enqueue");
    assert_eq!(
        st.enqueue_job(&request("a", Some("k"), 0, 3))
            .expect("enqueue"),
        a
    );
    let urgent = st.enqueue_job(&request("a", None, 5, 3)).expect("enqueue");
    assert_ne!(urgent, a);
    assert!(st.claim_job(&["b"], "w1", lease).expect("claim").is_none());
    let first = st
        .claim_job(&["a", "b"], "w1", lease)
        .expect("claim")
        .expect("due");
    assert_eq!((first.id, first.attempts), (urgent, 1));
    assert!(
        st.finish_job(&first, JobOutcome::Done("{}"))
            .expect("finish")
    );
    let second = st
        .claim_job(&["a"], "w1", lease)
        .expect("claim")
        .expect("due");
    assert_eq!(second.id, a);
    // Running: a new request with the key is a new job.
    let again = st
        .enqueue_job(&request("a", Some("k"), 0, 3))
        .expect("enqueue");
    assert_ne!(again, a);
    assert!(st.extend_job(&second, lease, Some("half")).expect("extend"));
    assert_eq!(
        st.job(a).expect("job").expect("stored").progress.as_deref(),
        Some("half")
    );
    // A failure: retried after its backoff (one second), then dead after the third.
    assert!(
        st.finish_job(&second, JobOutcome::Failed("boom"))
            .expect("finish")
    );
    let status = st.job(a).expect("job").expect("stored");
    assert_eq!(
        (status.state.as_str(), status.error.as_deref()),
        ("retrying", Some("boom"))
    );
    let third = st
        .claim_job(&["a"], "w1", lease)
        .expect("claim")
        .expect("due");
    assert_eq!(third.id, again, "the retry waits for its backoff");
    st.finish_job(&third, JobOutcome::Done("{}"))
        .expect("finish");
    std::thread::sleep(Duration::from_millis(1100));
    let retry = st
        .claim_job(&["a"], "w2", lease)
        .expect("claim")
        .expect("due again");
    assert_eq!((retry.id, retry.attempts), (a, 2));
    // Its lease runs out: another worker takes it over; the first can no longer record.
    let short = Duration::from_millis(200);
    assert!(st.extend_job(&retry, short, None).expect("extend"));
    std::thread::sleep(Duration::from_millis(300));
    let taken = st
        .claim_job(&["a"], "w3", lease)
        .expect("claim")
        .expect("taken over");
    assert_eq!((taken.id, taken.attempts), (a, 3));
    assert!(
        !st.finish_job(&retry, JobOutcome::Done("{}"))
            .expect("finish")
    );
    assert!(!st.extend_job(&retry, lease, None).expect("extend"));
    assert!(
        st.finish_job(&taken, JobOutcome::Failed("boom again"))
            .expect("finish")
    );
    let dead = st.job(a).expect("job").expect("stored");
    assert_eq!((dead.state.as_str(), dead.attempts), ("dead", 3));
    assert_eq!(dead.error.as_deref(), Some("boom again"));
    // A worker that dies on the last attempt: dead, with the reason.
    let once = st.enqueue_job(&request("c", None, 0, 1)).expect("enqueue");
    let claimed = st
        .claim_job(&["c"], "w4", short)
        .expect("claim")
        .expect("due");
    assert_eq!(claimed.id, once);
    std::thread::sleep(Duration::from_millis(300));
    assert!(st.claim_job(&["c"], "w5", lease).expect("claim").is_none());
    let dead = st.job(once).expect("job").expect("stored");
    assert_eq!(dead.state, "dead");
    assert!(
        dead.error
            .as_deref()
            .is_some_and(|e| e.contains("`w4` stopped")),
        "{dead:?}"
    );
    // A payload travels with the job; unusable input is dead at once, never retried.
    let upload = st
        .enqueue_job(&JobRequest {
            kind: "d",
            key: None,
            input: "{}",
            payload: Some(b"\x00bytes"),
            owner: Some("ci"),
            priority: 0,
            max_attempts: 3,
        })
        .expect("enqueue");
    let claimed = st
        .claim_job(&["d"], "w6", lease)
        .expect("claim")
        .expect("due");
    assert_eq!(
        (claimed.id, claimed.payload.as_deref()),
        (upload, Some(&b"\x00bytes"[..]))
    );
    assert!(
        st.finish_job(&claimed, JobOutcome::Rejected("not an SBOM"))
            .expect("finish")
    );
    let rejected = st.job(upload).expect("job").expect("stored");
    assert_eq!(
        (
            rejected.state.as_str(),
            rejected.attempts,
            rejected.owner.as_deref()
        ),
        ("dead", 1, Some("ci"))
    );
    // Four processes, two workers each, forty jobs: each claimed and done once.
    let ids: Vec<i64> = (0..40)
        .map(|_| {
            st.enqueue_job(&request("many", None, 0, 3))
                .expect("enqueue")
        })
        .collect();
    let stores: Vec<Store> = (0..4)
        .map(|_| Store::open(&db.location).expect("open"))
        .collect();
    let mut claimed: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .flat_map(|store| [store, store])
            .enumerate()
            .map(|(w, store)| {
                s.spawn(move || {
                    let worker = format!("many{w}");
                    let mut mine = Vec::new();
                    while let Some(job) = store.claim_job(&["many"], &worker, lease).expect("claim")
                    {
                        assert!(
                            store
                                .finish_job(&job, JobOutcome::Done("{}"))
                                .expect("finish")
                        );
                        mine.push(job.id);
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    claimed.sort_unstable();
    assert_eq!(claimed, ids);
    assert!(
        st.jobs(100)
            .expect("list")
            .iter()
            .filter(|j| j.kind == "many")
            .all(|j| j.state == "done" && j.attempts == 1)
    );
    // Pruning deletes the jobs that ended before the age given, and only those.
    let waiting = st.enqueue_job(&request("e", None, 0, 3)).expect("enqueue");
    assert_eq!(st.prune_jobs(Duration::from_hours(1)).expect("prune"), 0);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        st.prune_jobs(Duration::from_millis(10)).expect("prune"),
        // `urgent`, `a`, `again`, `once`, `upload` and the forty.
        45
    );
    assert!(st.job(a).expect("job").is_none());
    assert_eq!(st.job(waiting).expect("job").expect("kept").state, "queued");
}

/// Changes that can alter the violations of every product enqueue the policy
/// evaluation in their own transaction, when a policy is active: one job, joined by the
/// next changes while it waits.
fn changes_enqueue_their_policy_evaluation(db: &Db) {
    use chainwatch_store::POLICY_EVALUATION_JOB;
    let st = &db.store;
    let queued = || {
        st.jobs(100)
            .expect("list")
            .into_iter()
            .filter(|j| j.kind == POLICY_EVALUATION_JOB && j.state == "queued")
            .count()
    };
    ingest(db, &shop("1.0", "1.26.5"));
    st.set_product_tags("shop", &["team-a".to_owned()])
        .expect("tags");
    assert_eq!(queued(), 0, "no active policy: nothing to evaluate");
    st.set_policy(
        "[[rule]]\nname = \"vulnerable\"\nlevel = \"fail\"\nwhen.severity = \"low\"\n",
        Some("test"),
    )
    .expect("apply");
    st.rematch().expect("match");
    assert_eq!(queued(), 0, "a match with no advisory change");
    st.import_advisories(&[osv(
        "PYSEC-0004",
        "2024-01-01T00:00:00Z",
        "2.0.7",
        json!({}),
    )])
    .expect("import");
    st.rematch().expect("match");
    assert_eq!(queued(), 1, "advisory changes taken up by the match");
    st.set_product_tags("shop", &["team-b".to_owned()])
        .expect("tags");
    let vex = serde_json::to_vec(&json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex-jobs",
        "author": "alice",
        "timestamp": "2024-02-01T00:00:00Z",
        "statements": [{
            "vulnerability": {"name": "PYSEC-0004"},
            "products": [{"@id": "shop@1.0"}],
            "status": "under_investigation"
        }]
    }))
    .expect("json");
    let doc = chainwatch_advisory::vex::parse(&vex).expect("vex");
    st.import_vex(&vex, &doc).expect("vex");
    assert_eq!(queued(), 1, "later changes join the queued evaluation");
    let job = st
        .claim_job(
            &[POLICY_EVALUATION_JOB],
            "w",
            std::time::Duration::from_mins(1),
        )
        .expect("claim")
        .expect("due");
    assert!(job.input.contains("advisories"), "{}", job.input);
    st.import_vex(&vex, &doc).expect("vex again");
    assert_eq!(queued(), 0, "the same VEX again changes nothing");
    st.import_kev(&[]).expect("kev");
    assert_eq!(queued(), 0);
    st.set_product_tags("shop", &[]).expect("tags");
    assert_eq!(queued(), 1, "a change while one runs: a new job");
}

/// Leadership of a task by lease, on both backends: one holder at a time across
/// processes, handed over when released or when its holder stops renewing (as a process
/// that died does). Deliveries are kept.
fn one_leader_at_a_time(db: &Db) {
    use std::time::Duration;
    let ttl = Duration::from_mins(1);
    let other = Store::open(&db.location).expect("open again");
    let led = db
        .store
        .while_leading("monitor", ttl, |lease| {
            assert!(lease.held());
            assert!(
                other
                    .acquire_lease("monitor", ttl)
                    .expect("lease")
                    .is_none()
            );
            assert!(
                other
                    .while_leading("monitor", ttl, |_| ())
                    .expect("lead")
                    .is_none()
            );
            let another = other
                .acquire_lease("another task", ttl)
                .expect("lease")
                .expect("another task is free");
            other.release_lease(&another).expect("release");
            assert!(db.store.renew_lease(lease).expect("renew"));
            7
        })
        .expect("lead");
    assert_eq!(led, Some(7));
    // Released: the other process leads at once.
    let short = Duration::from_millis(300);
    let taken = other
        .acquire_lease("monitor", short)
        .expect("lease")
        .expect("granted after release");
    assert!(
        db.store
            .acquire_lease("monitor", ttl)
            .expect("lease")
            .is_none()
    );
    // It stops renewing: the lease lapses and another holder takes it over.
    std::thread::sleep(short + Duration::from_millis(200));
    assert!(!taken.held());
    let next = db
        .store
        .acquire_lease("monitor", ttl)
        .expect("lease")
        .expect("granted after the lapse");
    assert!(!other.renew_lease(&taken).expect("renew"), "taken over");
    db.store.release_lease(&next).expect("release");
    // Eight processes at once: exactly one leads.
    let stores: Vec<Store> = (0..8)
        .map(|_| Store::open(&db.location).expect("open"))
        .collect();
    let barrier = std::sync::Barrier::new(stores.len());
    let granted: Vec<Option<chainwatch_store::Lease>> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .map(|st| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    st.acquire_lease("race", ttl).expect("lease")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(granted.iter().filter(|g| g.is_some()).count(), 1);

    let d = chainwatch_store::Delivery {
        key: Some("k1".into()),
        url: "https://hooks.example/x".into(),
        event: "findings".into(),
        delivered: false,
        attempts: 4,
        response_code: Some(500),
        error: Some("HTTP 500".into()),
        created_at: 1,
        finished_at: 2,
    };
    db.store.record_delivery(&d).expect("record");
    assert_eq!(db.store.deliveries(10).expect("list"), [d]);
}

/// PostgreSQL's text cannot hold NUL: both backends store U+FFFD instead, and a
/// question with NUL in it finds nothing on both (it used to be an error on PostgreSQL).
fn nul_bytes_give_the_same_answer(db: &Db) {
    let doc = serde_json::to_vec(&json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "root",
                                   "name": "nul\u{0}app", "version": "1.0"}},
        "components": [{"type": "library", "bom-ref": "a", "name": "we\u{0}ird",
                        "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"}],
    }))
    .expect("json");
    let outcome = ingest(db, &doc);
    assert_eq!(outcome.product, "nul\u{0}app");
    let products = db.store.products(None).expect("products");
    assert_eq!(products[0].name, "nul\u{fffd}app");
    assert!(matches!(
        db.store.documents("\u{0}", Some("\u{0}"), None),
        Err(chainwatch_store::StoreError::NotFound(_))
    ));
    let (_, sbom) = db
        .store
        .export("nul\u{fffd}app", None, None)
        .expect("export");
    assert!(sbom.components.iter().any(|c| c.name == "we\u{0}ird"));
    assert!(db.store.check().expect("check").ok);
}

/// The webhook outbox: a claimed notification is nobody else's until its lease runs out
/// (then another sender takes it over, the attempt counted); a failure to retry waits
/// for its due time; a delivery moves it to the record of deliveries, once.
fn webhook_outbox_leases_and_moves(db: &Db) {
    use chainwatch_store::{Attempt, Outgoing};
    use std::time::Duration;
    let url = "https://hooks.example/a";
    db.store
        .enqueue_notifications(&[
            Outgoing {
                key: "k1",
                url,
                event: "findings",
                body: b"one",
            },
            Outgoing {
                key: "k2",
                url: "https://hooks.example/b",
                event: "typosquat",
                body: b"two",
            },
        ])
        .expect("enqueue");
    // Keys are unique: a second row with one is refused, and nothing of it is written.
    assert!(
        db.store
            .enqueue_notifications(&[
                Outgoing {
                    key: "k3",
                    url,
                    event: "findings",
                    body: b"x",
                },
                Outgoing {
                    key: "k1",
                    url,
                    event: "findings",
                    body: b"x",
                },
            ])
            .is_err()
    );
    assert_eq!(
        db.store.outbox().expect("outbox"),
        [
            ("https://hooks.example/a".to_owned(), 1),
            ("https://hooks.example/b".to_owned(), 1)
        ]
    );
    let other = Store::open(&db.location).expect("open again");
    let first = db
        .store
        .claim_notification(url, Duration::from_mins(1))
        .expect("claim")
        .expect("due");
    assert_eq!(
        (first.key.as_str(), first.body.as_slice(), first.attempts),
        ("k1", b"one".as_slice(), 1)
    );
    // Leased: another process finds nothing due for this receiver.
    assert_eq!(
        other
            .claim_notification(url, Duration::from_mins(1))
            .expect("claim"),
        None
    );
    assert!(db.store.next_notification_due(url).expect("due").is_some());
    // Failed, to retry later: not due before then.
    let later = chainwatch_store::now_micros() + 3_600_000_000;
    db.store
        .finish_attempt(
            &first,
            Attempt::Failed {
                response_code: Some(503),
                error: "HTTP 503",
                retry_at: Some(later),
            },
        )
        .expect("retry");
    assert_eq!(
        other
            .claim_notification(url, Duration::from_mins(1))
            .expect("claim"),
        None
    );
    assert_eq!(
        db.store.next_notification_due(url).expect("due"),
        Some(later)
    );
    assert!(db.store.deliveries(10).expect("list").is_empty());
    // A lease that ran out is taken over, the attempt counted.
    let b = "https://hooks.example/b";
    let lapsed = db
        .store
        .claim_notification(b, Duration::ZERO)
        .expect("claim")
        .expect("due");
    std::thread::sleep(Duration::from_millis(2));
    let taken = other
        .claim_notification(b, Duration::from_mins(1))
        .expect("claim")
        .expect("taken over");
    assert_eq!((taken.key.as_str(), taken.attempts), ("k2", 2));
    db.store
        .finish_attempt(&taken, Attempt::Delivered { response_code: 204 })
        .expect("delivered");
    // The first sender finishing late records nothing more.
    db.store
        .finish_attempt(&lapsed, Attempt::Delivered { response_code: 200 })
        .expect("late");
    let deliveries = db.store.deliveries(10).expect("list");
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    let d = &deliveries[0];
    assert_eq!(
        (
            d.key.as_deref(),
            d.url.as_str(),
            d.event.as_str(),
            d.delivered,
            d.attempts,
            d.response_code
        ),
        (Some("k2"), b, "typosquat", true, 2, Some(204))
    );
    assert_eq!(
        db.store.outbox().expect("outbox"),
        [("https://hooks.example/a".to_owned(), 1)]
    );
    assert_eq!(db.store.next_notification_due(b).expect("due"), None);
}

/// Many openers race to create the same SQLite file and put it in WAL mode: SQLite
/// refuses that change at once (no busy wait) to all but one of them, and each must wait
/// and see the store, not fail with `database is locked`.
#[test]
fn openers_racing_on_a_new_sqlite_file_all_succeed() {
    const OPENERS: usize = 12;
    for round in 0..20 {
        let dir = tempfile::tempdir().expect("temporary directory");
        let location = dir.path().join("store.db").display().to_string();
        let start = std::sync::Barrier::new(OPENERS);
        std::thread::scope(|scope| {
            let openers: Vec<_> = (0..OPENERS)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        Store::open(&location).and_then(|s| s.schema_version())
                    })
                })
                .collect();
            for opener in openers {
                let version = opener.join().expect("no panic");
                assert!(
                    version.as_ref().is_ok_and(|v| *v > 0),
                    "round {round}: {version:?}"
                );
            }
        });
    }
}

/// The open violations as (version, rule, component, advisory).
fn open_violations(db: &Db) -> Vec<(String, String, String, Option<String>)> {
    let mut v: Vec<_> = db
        .store
        .violations(&chainwatch_store::ViolationQuery::default())
        .expect("violations")
        .into_iter()
        .map(|v| (v.version, v.rule, v.component, v.advisory))
        .collect();
    v.sort();
    v
}

fn evaluate(db: &Db) -> chainwatch_store::PolicyOutcome {
    db.store
        .evaluate_policy(&chainwatch_store::PolicyRun {
            only: None,
            typosquats: &|purls| {
                purls
                    .iter()
                    .filter(|p| p.contains("/reqeusts@"))
                    .map(|p| (*p).to_owned())
                    .collect()
            },
        })
        .expect("evaluate")
}

fn policies_are_evaluated_and_recorded(db: &Db) {
    // shop 1.1 adds a GPL component and a typo-squat; blog is another product.
    let mut doc: serde_json::Value = serde_json::from_slice(&shop("1.1", "1.26.4")).expect("json");
    doc["components"].as_array_mut().expect("components").extend([
        json!({"type": "library", "bom-ref": "readline", "name": "readline", "version": "8.2",
               "purl": "pkg:pypi/readline@8.2", "licenses": [{"license": {"id": "GPL-3.0-or-later"}}]}),
        json!({"type": "library", "bom-ref": "squat", "name": "reqeusts", "version": "1.0",
               "purl": "pkg:pypi/reqeusts@1.0", "licenses": [{"expression": "MIT OR GPL-3.0-only"}]}),
    ]);
    ingest(db, &shop("1.0", "1.26.5"));
    ingest(db, &serde_json::to_vec(&doc).expect("json"));
    ingest(
        db,
        &cdx(
            "blog",
            "2.0",
            &[("idna", "pkg:pypi/idna@3.7")],
            &[("root", &["idna"])],
        ),
    );
    // No policy: nothing to record.
    let none = evaluate(db);
    assert_eq!((none.versions, none.open), (0, 0));

    let policy = r#"
[[rule]]
name = "no-copyleft-in-shop"
level = "fail"
products = ["shop"]
when.license.deny = ["copyleft"]

[[rule]]
name = "vulnerable"
level = "warn"
when.severity = "medium"

[[rule]]
name = "squats"
level = "fail"
when.typosquat = true

[[rule]]
name = "direct-idna-in-pci"
level = "info"
tags = ["pci"]
when = { direct = true, packages = ["pkg:pypi/idna"] }
"#;
    let bad = db.store.set_policy("[[rule]]\nname = 1", Some("test"));
    assert!(matches!(
        bad,
        Err(chainwatch_store::StoreError::InvalidPolicy(_))
    ));
    assert!(
        db.store.policy().expect("policy").is_none(),
        "a bad policy changes nothing"
    );
    let set = db
        .store
        .set_policy(policy, Some("test"))
        .expect("apply")
        .expect("active");
    assert_eq!(set.applied_by.as_deref(), Some("test"));

    let first = evaluate(db);
    assert_eq!(first.versions, 3);
    let expected_first = vec![
        (
            "1.1".to_owned(),
            "no-copyleft-in-shop".to_owned(),
            "pkg:pypi/readline@8.2".to_owned(),
            None,
        ),
        (
            "1.1".to_owned(),
            "squats".to_owned(),
            "pkg:pypi/reqeusts@1.0".to_owned(),
            None,
        ),
    ];
    assert_eq!(open_violations(db), expected_first);
    assert_eq!(first.opened.len(), 2);
    assert_eq!((first.opened_count, first.opened_fail), (2, 2));
    assert_eq!(first.opened[0].level, "fail");
    // Evaluated again, nothing changes.
    let again = evaluate(db);
    assert!(again.opened.is_empty() && again.resolved == 0 && again.open == 2);

    // An advisory import: exactly the new violations (unrated counts as high).
    let a = osv("PYSEC-0001", "2024-01-01T00:00:00Z", "2.0.7", json!({}));
    db.store.import_advisories(&[a]).expect("import");
    db.store.rematch().expect("rematch");
    let after = evaluate(db);
    let opened: Vec<(String, String, Option<String>)> = after
        .opened
        .iter()
        .map(|v| (v.version.clone(), v.component.clone(), v.advisory.clone()))
        .collect();
    assert_eq!(
        opened,
        [
            (
                "1.0".to_owned(),
                "pkg:pypi/urllib3@1.26.5".to_owned(),
                Some("PYSEC-0001".to_owned())
            ),
            (
                "1.1".to_owned(),
                "pkg:pypi/urllib3@1.26.4".to_owned(),
                Some("PYSEC-0001".to_owned())
            ),
        ]
    );
    assert!(
        after
            .opened
            .iter()
            .all(|v| v.rule == "vulnerable" && v.id > 0)
    );
    assert_eq!(after.open, 4);

    // A VEX statement: shop 1.0 is not affected, its violation resolves.
    let openvex = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex-policy",
        "timestamp": "2024-05-01T00:00:00Z",
        "statements": [{
            "vulnerability": {"name": "CVE-0001"},
            "products": [{"@id": "shop@1.0", "subcomponents": [{"@id": "pkg:pypi/urllib3"}]}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path"
        }]
    });
    let bytes = serde_json::to_vec(&openvex).expect("json");
    let vex = chainwatch_advisory::vex::parse(&bytes).expect("vex");
    db.store.import_vex(&bytes, &vex).expect("import vex");
    let vexed = evaluate(db);
    assert_eq!((vexed.resolved, vexed.opened.len()), (1, 0));
    let resolved = db
        .store
        .violations(&chainwatch_store::ViolationQuery {
            state: chainwatch_store::ViolationState::Resolved,
            ..Default::default()
        })
        .expect("resolved");
    assert_eq!(resolved.len(), 1);
    assert!(resolved[0].resolved_at.is_some());
    assert!(resolved[0].last_seen >= resolved[0].first_seen);

    // Tags bring a rule into scope: idna is direct in blog, transitive in shop.
    db.store
        .set_product_tags("blog", &[" pci ".to_owned(), "web".to_owned()])
        .expect("tags");
    db.store
        .add_product_tags("shop", &["pci".to_owned()])
        .expect("tags");
    assert!(
        db.store
            .set_product_tags("nope", &["x".to_owned()])
            .is_err()
    );
    let tags = db.store.product_tags().expect("tags");
    assert_eq!(tags["blog"], ["pci", "web"]);
    let tagged = evaluate(db);
    assert_eq!(tagged.opened.len(), 1);
    assert_eq!(
        (
            tagged.opened[0].product.as_str(),
            tagged.opened[0].rule.as_str()
        ),
        ("blog", "direct-idna-in-pci")
    );
    // Filters.
    let shop_fail = db
        .store
        .violations(&chainwatch_store::ViolationQuery {
            product: Some("shop".into()),
            level: Some(chainwatch_policy::RuleLevel::Fail),
            ..Default::default()
        })
        .expect("filtered");
    assert_eq!(shop_fail.len(), 2);

    // Pages from the index, one row at a time, give every violation once.
    let mut paged = Vec::new();
    let mut after: Option<chainwatch_store::ViolationCursor> = None;
    loop {
        let (rows, more) = db
            .store
            .violations_page(
                &chainwatch_store::ViolationQuery::default(),
                after.as_ref(),
                1,
            )
            .expect("page");
        assert_eq!(rows.len(), 1);
        let (cursor, v) = rows.into_iter().next().expect("row");
        assert_eq!(
            chainwatch_store::ViolationCursor::decode(&cursor.encode()).as_ref(),
            Some(&cursor)
        );
        paged.push((v.version, v.rule, v.component, v.advisory));
        after = Some(cursor);
        if !more {
            break;
        }
    }
    assert_eq!(
        paged.first().map(|p| p.1.as_str()),
        Some("no-copyleft-in-shop")
    );
    paged.sort();
    assert_eq!(paged, open_violations(db));

    // One version alone: its violations only are touched.
    let one = db
        .store
        .evaluate_policy(&chainwatch_store::PolicyRun {
            only: Some(("blog", "2.0")),
            typosquats: &|_| std::collections::HashSet::new(),
        })
        .expect("one");
    assert_eq!((one.versions, one.open, one.resolved), (1, 1, 0));
    assert!(
        db.store
            .evaluate_policy(&chainwatch_store::PolicyRun {
                only: Some(("blog", "9")),
                typosquats: &|_| std::collections::HashSet::new(),
            })
            .is_err()
    );

    // No policy: everything resolves.
    db.store.set_policy("", Some("test")).expect("clear");
    let cleared = evaluate(db);
    assert_eq!((cleared.open, cleared.resolved), (0, 4));
    assert!(open_violations(db).is_empty());
}

fn weakness_conditions_read_the_records(db: &Db) {
    ingest(db, &shop("1.0", "1.26.5"));
    let with_cwe = osv(
        "GHSA-0002",
        "2024-01-01T00:00:00Z",
        "2.0.7",
        json!({"database_specific": {"cwe_ids": ["CWE-89", "cwe-20"]}}),
    );
    let without = osv("PYSEC-0003", "2024-01-01T00:00:00Z", "2.0.7", json!({}));
    db.store
        .import_advisories(&[with_cwe, without])
        .expect("import");
    db.store.rematch().expect("rematch");
    db.store
        .set_policy(
            "[[rule]]\nname = \"validation\"\nlevel = \"warn\"\nwhen.cwes = [\"CWE-20\"]\n",
            None,
        )
        .expect("apply");
    let outcome = evaluate(db);
    assert_eq!(outcome.opened.len(), 1, "{:?}", outcome.opened);
    let v = &outcome.opened[0];
    assert_eq!(v.advisory.as_deref(), Some("GHSA-0002"));
    assert_eq!(v.reason, "GHSA-0002: weakness CWE-20");
}
