//! `chainwatch typosquat check`: look-alikes of popular names are suspects (exit 1),
//! popular names never are, user lists and allowlists count, and known-malicious
//! packages in the store are reported whatever their name looks like.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::process::{Command, Output, Stdio};

fn chainwatch(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["--db", db])
        .args(args)
        .env("NO_COLOR", "1")
        // No list a `typosquat refresh` on this machine left in the user's cache.
        .env("XDG_CACHE_HOME", "/nonexistent/chainwatch-test-cache")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn rows(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn names_against_popular_packages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let out = chainwatch(
        &db,
        &[
            "typosquat",
            "check",
            "crossenv",
            "cross-env",
            "lodahs",
            "left-pad",
            "--ecosystem",
            "npm",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let r = rows(&out);
    assert_eq!(
        (
            r[0]["suspect"].as_bool(),
            r[0]["imitates"].as_str(),
            r[0]["technique"].as_str()
        ),
        (Some(true), Some("cross-env"), Some("separator"))
    );
    assert_eq!(r[1]["suspect"], false);
    assert_eq!(r[1]["cleared"], "popular");
    assert_eq!(r[2]["technique"], "swapped");
    assert_eq!(r[3]["suspect"], false);
    // Homoglyphs and PEP 503 names.
    let py = chainwatch(
        &db,
        &[
            "typosquat",
            "check",
            "jeIlyfish",
            "Python_DateUtil",
            "--ecosystem",
            "pypi",
            "--format",
            "json",
        ],
    );
    let r = rows(&py);
    assert_eq!(r[0]["technique"], "homoglyph");
    assert_eq!(r[1]["cleared"], "popular");
    // A user list makes `my-internal-lib` popular; an allowlist clears a reviewed name.
    let popular = dir.path().join("popular.txt");
    std::fs::write(&popular, "my-internal-lib\n").unwrap();
    let allow = dir.path().join("allow.txt");
    std::fs::write(
        &allow,
        "# reviewed\nlodahs vendored fork, reviewed 2026-11\n",
    )
    .unwrap();
    let out = chainwatch(
        &db,
        &[
            "typosquat",
            "check",
            "my-internal-lbi",
            "lodahs",
            "--ecosystem",
            "npm",
            "--popular",
            popular.to_str().unwrap(),
            "--allowlist",
            allow.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let r = rows(&out);
    assert_eq!(r[0]["imitates"], "my-internal-lib");
    assert_eq!(r[1]["suspect"], false);
    assert_eq!(r[1]["cleared"], "vendored fork, reviewed 2026-11");
    // Known-malicious packages from the store's MAL records.
    let mal = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/osv/MAL-2026-0001.json");
    assert_eq!(
        chainwatch(&db, &["advisories", "import", mal.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    // (the fixture's MAL record names `left-pad`: clean as a name, malicious all the same)
    let out = chainwatch(
        &db,
        &[
            "typosquat",
            "check",
            "left-pad",
            "--ecosystem",
            "npm",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let r = rows(&out);
    assert_eq!(r[0]["suspect"], false);
    assert_eq!(r[0]["malicious"][0], "MAL-2026-0001");
    // Unusable input.
    let bad = chainwatch(&db, &["typosquat", "check", "x", "--ecosystem", "cobol"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `ingest` checks the stored documents' dependency names too.
#[test]
fn ingest_reports_suspects() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let sbom = dir.path().join("app.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
            "metadata":{"component":{"type":"application","bom-ref":"app","name":"app","version":"1.0"}},
            "components":[
              {"type":"library","bom-ref":"c","name":"colourama","version":"0.1","purl":"pkg:pypi/colourama@0.1"},
              {"type":"library","bom-ref":"r","name":"requests","version":"2.32.3","purl":"pkg:pypi/requests@2.32.3"}],
            "dependencies":[{"ref":"app","dependsOn":["c","r"]}]}"#,
    )
    .unwrap();
    let out = chainwatch(&db, &["ingest", sbom.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["suspects"][0]["package"], "pkg:pypi/colourama@0.1");
    assert_eq!(line["suspects"][0]["imitates"], "colorama");
    assert_eq!(line["suspects"].as_array().unwrap().len(), 1);
    let human = chainwatch(
        &db,
        &["ingest", sbom.to_str().unwrap(), "--product-version", "1.1"],
    );
    assert!(String::from_utf8_lossy(&human.stdout).contains("imitates colorama"));
}

/// Names that the current inventories of several products use count as popular: a
/// look-alike of the company's own `acme-billing-client` is caught, while a squat of a
/// listed name that spread to as many products stays a squat.
#[test]
fn portfolio_names_are_popular() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    for product in ["billing", "checkout", "ledger"] {
        let sbom = dir.path().join(format!("{product}.cdx.json"));
        std::fs::write(
            &sbom,
            format!(
                r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
                "metadata":{{"component":{{"type":"application","bom-ref":"app","name":"{product}","version":"1.0"}}}},
                "components":[
                  {{"type":"library","bom-ref":"a","name":"acme-billing-client","version":"3.1.0","purl":"pkg:npm/acme-billing-client@3.1.0"}},
                  {{"type":"library","bom-ref":"c","name":"crossenv","version":"1.0.0","purl":"pkg:npm/crossenv@1.0.0"}}],
                "dependencies":[{{"ref":"app","dependsOn":["a","c"]}}]}}"#
            ),
        )
        .unwrap();
        let out = chainwatch(&db, &["ingest", sbom.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let check = |extra: &[&str]| {
        let mut args = vec![
            "typosquat",
            "check",
            "acme-biling-client",
            "acme-billing-client",
            "crossenv",
            "--ecosystem",
            "npm",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        rows(&chainwatch(&db, &args))
    };
    let r = check(&[]);
    assert_eq!(
        (r[0]["suspect"].as_bool(), r[0]["imitates"].as_str()),
        (Some(true), Some("acme-billing-client"))
    );
    assert_eq!(r[1]["cleared"], "popular");
    assert_eq!(r[2]["imitates"], "cross-env");
    // Used by fewer products than asked for, or with the portfolio left out: unknown.
    for extra in [["--portfolio-min", "4"], ["--portfolio-min", "0"]] {
        let r = check(&extra);
        assert_eq!(r[0]["suspect"], false, "{extra:?}");
        assert!(r[1]["cleared"].is_null(), "{extra:?}");
    }
}

/// Serves `files` over HTTP on 127.0.0.1 until the test ends (404 for anything else).
fn serve(files: Vec<(&'static str, Vec<u8>)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            let body = files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, b)| b.clone());
            let head = match &body {
                Some(b) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    b.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_owned(),
            };
            let _ = stream.write_all(head.as_bytes());
            if let Some(b) = body {
                let _ = stream.write_all(&b);
            }
        }
    });
    format!("http://{addr}")
}

/// `typosquat refresh` downloads the public lists (here from a local mirror) into the
/// cache; later checks use them after the built-in list.
#[test]
fn refresh_from_a_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let cache = dir.path().join("cache");
    let base = serve(vec![(
        "/raw.githubusercontent.com/DataDog/guarddog/main/guarddog/analyzer/metadata/resources/top_npm_packages.json",
        br#"{"downloaded_timestamp": 1, "packages": ["chalk", "super-rare-widget"]}"#.to_vec(),
    )]);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_chainwatch"))
            .args(["--db", &db])
            .args(args)
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", &cache)
            .env("HOME", dir.path())
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // Before: the name is unknown, its look-alike not a suspect.
    let before = run(&[
        "typosquat",
        "check",
        "super-rare-widgte",
        "--ecosystem",
        "npm",
        "--format",
        "json",
    ]);
    assert_eq!(before.status.code(), Some(0));
    let refresh = run(&[
        "typosquat",
        "refresh",
        "--ecosystem",
        "npm",
        "--mirror",
        &base,
        "--format",
        "json",
    ]);
    assert_eq!(
        refresh.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&refresh.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&refresh.stdout).unwrap();
    assert_eq!(line["names"], 2);
    let after = run(&[
        "typosquat",
        "check",
        "super-rare-widgte",
        "--ecosystem",
        "npm",
        "--format",
        "json",
    ]);
    assert_eq!(after.status.code(), Some(1));
    assert_eq!(rows(&after)[0]["imitates"], "super-rare-widget");
    // A source the mirror does not have fails; an ecosystem without a source says so.
    let missing = run(&[
        "typosquat",
        "refresh",
        "--ecosystem",
        "pypi",
        "--mirror",
        &base,
    ]);
    assert_eq!(missing.status.code(), Some(3));
    let none = run(&[
        "typosquat",
        "refresh",
        "--ecosystem",
        "maven",
        "--mirror",
        &base,
    ]);
    assert_eq!(none.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&none.stdout).contains("no public list"));
}
