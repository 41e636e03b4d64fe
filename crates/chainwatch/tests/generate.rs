//! `chainwatch sbom generate` end to end: the document it writes (snapshot), every output
//! format, the exit status and diagnostics for broken lockfiles, `--exclude`, one file,
//! this machine's own dpkg database against `dpkg-query`, and a generated SBOM going into
//! the store and out through `query who-has`.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn chainwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .stdin(Stdio::null())
        .output()
        .expect("run chainwatch")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../chainwatch-inventory/tests/fixtures")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The document with its random serial number replaced.
fn stable(doc: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(doc).unwrap();
    v["serialNumber"] = "[serial]".into();
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn cyclonedx_document() {
    let out = chainwatch(&["sbom", "generate", &fixture("ruby")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = stdout(&out);
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["metadata"]["timestamp"], "2026-01-01T00:00:00Z");
    insta::assert_snapshot!(stable(&doc));
}

#[test]
fn every_format_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    for to in ["cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx-tv"] {
        let path = dir.path().join(format!("bom.{to}"));
        let out = chainwatch(&[
            "sbom",
            "generate",
            &fixture("npm-v3"),
            "--to",
            to,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{to}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
        let stats = chainwatch(&["sbom", "stats", path.to_str().unwrap(), "--format", "json"]);
        assert_eq!(stats.status.code(), Some(0), "{to}: {}", stderr(&stats));
        let s: serde_json::Value = serde_json::from_str(&stdout(&stats)).unwrap();
        // 141 packages and the project itself.
        assert_eq!(s["components"], 142, "{to}: {s}");
        let valid = chainwatch(&["sbom", "validate", path.to_str().unwrap()]);
        assert_eq!(valid.status.code(), Some(0), "{to}: {}", stdout(&valid));
    }
}

#[test]
fn broken_lockfiles_are_reported_and_the_rest_is_written() {
    let out = chainwatch(&[
        "sbom",
        "generate",
        &fixture("broken"),
        "--diagnostics",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let purls: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert_eq!(purls, ["pkg:gem/ok@1.0"]);
    let lines: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cargo = lines
        .iter()
        .find(|l| l["extractor"] == "cargo-lock")
        .unwrap();
    assert_eq!(cargo["diagnostics"][0]["code"], "inventory-syntax");
    assert_eq!(cargo["diagnostics"][0]["line"], 3);
    assert!(
        cargo["file"]
            .as_str()
            .unwrap()
            .ends_with("broken/Cargo.lock")
    );

    let human = chainwatch(&["sbom", "generate", &fixture("broken"), "-o", "/dev/null"]);
    assert_eq!(human.status.code(), Some(2));
    let text = stderr(&human).replace(&fixtures().display().to_string(), "[fixtures]");
    insta::assert_snapshot!(
        text.lines()
            .filter(|l| !l.contains(" in "))
            .collect::<Vec<_>>()
            .join("\n")
    );

    let sarif = chainwatch(&[
        "sbom",
        "generate",
        &fixture("broken"),
        "-o",
        "/dev/null",
        "--diagnostics",
        "sarif",
    ]);
    let log: serde_json::Value = serde_json::from_str(&stderr(&sarif)).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 5);
    // Writing to a device writes into it: `/dev/null` is still the device, not a file
    // renamed over it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}

#[test]
fn exclude_and_single_files() {
    let all = chainwatch(&["-q", "sbom", "generate", &fixture("go")]);
    let some = chainwatch(&[
        "-q",
        "sbom",
        "generate",
        &fixture("go"),
        "--exclude",
        "legacy",
    ]);
    let count = |o: &Output| {
        serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["components"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(&all), 9);
    assert_eq!(count(&some), 5);

    let one = chainwatch(&[
        "-q",
        "sbom",
        "generate",
        &format!("{}/Cargo.lock", fixture("cargo")),
    ]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    let v: serde_json::Value = serde_json::from_str(&stdout(&one)).unwrap();
    assert_eq!(v["metadata"]["component"]["name"], "ledger-cli");

    let unknown = chainwatch(&[
        "sbom",
        "generate",
        &format!("{}/Cargo.toml", fixture("cargo")),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("not a file any extractor reads"));
    let missing = chainwatch(&["sbom", "generate", "/nonexistent/tree"]);
    assert_eq!(missing.status.code(), Some(2));
    let bad_glob = chainwatch(&["sbom", "generate", &fixture("go"), "--exclude", "a[b"]);
    assert_eq!(bad_glob.status.code(), Some(2));
    assert!(stderr(&bad_glob).contains("`a[b`"), "{}", stderr(&bad_glob));
}

/// Every package `dpkg-query -W` lists on this machine is in the inventory, with its
/// version, architecture and source package.
#[test]
fn this_machines_dpkg_database() {
    let Ok(query) = Command::new("dpkg-query")
        .args([
            "-W",
            "-f",
            "${Package}\t${Version}\t${Architecture}\t${source:Package}\n",
        ])
        .output()
    else {
        assert!(std::env::var_os("CI").is_none(), "dpkg-query is missing");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::copy(
        "/var/lib/dpkg/status",
        root.path().join("var/lib/dpkg/status"),
    )
    .unwrap();
    std::fs::copy("/etc/os-release", root.path().join("etc/os-release")).unwrap();
    let out = chainwatch(&["-q", "sbom", "generate", root.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let purls: std::collections::HashSet<String> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .map(|p| {
            chainwatch_purl::Purl::parse(p)
                .unwrap()
                .canonical()
                .to_owned()
        })
        .collect();
    let mut checked = 0;
    for line in String::from_utf8(query.stdout).unwrap().lines() {
        let [name, version, arch, source] = line.split('\t').collect::<Vec<_>>()[..] else {
            continue;
        };
        let found = purls.iter().find(|p| {
            let p = chainwatch_purl::Purl::parse(p).unwrap();
            p.ty() == "deb" && p.name() == name && p.qualifier("arch") == Some(arch)
        });
        let found = found.unwrap_or_else(|| panic!("`{name}` ({arch}) is missing"));
        let purl = chainwatch_purl::Purl::parse(found).unwrap();
        assert_eq!(purl.version(), Some(version), "{name}");
        let upstream = purl.upstream().map_or(name, |(n, _)| n);
        assert_eq!(upstream, source, "{name}");
        assert!(purl.qualifier("distro").is_some(), "{name}");
        checked += 1;
    }
    assert!(checked > 50, "only {checked} packages");
}

/// A generated SBOM is a document like any other: it goes into the store and answers
/// portfolio queries.
#[test]
fn generated_sboms_go_into_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cw.db").display().to_string();
    let bom = dir.path().join("bom.cdx.json").display().to_string();
    let out = chainwatch(&["sbom", "generate", &fixture("rootfs-debian"), "-o", &bom]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ingest = chainwatch(&[
        "--db",
        &db,
        "ingest",
        &bom,
        "--product",
        "base-image",
        "--product-version",
        "2026.01",
    ]);
    assert_eq!(ingest.status.code(), Some(0), "{}", stderr(&ingest));
    let who = chainwatch(&[
        "--db",
        &db,
        "query",
        "who-has",
        "pkg:deb/debian/liblzma5",
        "--range",
        "vers:deb/>=5.4.0|<5.6.2",
        "--format",
        "json",
    ]);
    assert_eq!(who.status.code(), Some(0), "{}", stderr(&who));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&who)).unwrap();
    assert_eq!(rows[0]["product"], "base-image");
    let why = chainwatch(&[
        "--db",
        &db,
        "query",
        "why",
        "base-image@2026.01",
        "pkg:deb/debian/libgcc-s1",
        "--format",
        "json",
    ]);
    assert_eq!(why.status.code(), Some(0), "{}", stderr(&why));
    let paths: serde_json::Value = serde_json::from_str(&stdout(&why)).unwrap();
    assert!(paths.as_array().is_some_and(|p| !p.is_empty()), "{paths}");
}
