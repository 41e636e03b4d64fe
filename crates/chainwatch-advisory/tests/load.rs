//! Loading: zip archives read safely.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use chainwatch_advisory::load;

/// OSV's per-ecosystem `all.zip`: read entry by entry; a decompression bomb and an entry
/// that is not a record are reported, the rest loads; names are never used as paths.
#[test]
fn zip_archives() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let record = |id: &str| {
        format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"PyPI","name":"x"}},"versions":["1.0"]}}]}}"#
        )
    };
    zip.start_file("PYSEC-1.json", options).unwrap();
    zip.write_all(record("PYSEC-1").as_bytes()).unwrap();
    zip.start_file("../../escape/PYSEC-2.json", options)
        .unwrap();
    zip.write_all(record("PYSEC-2").as_bytes()).unwrap();
    zip.start_file("bomb.json", options).unwrap();
    zip.write_all(&vec![b' '; 8 << 20]).unwrap();
    zip.start_file("broken.json", options).unwrap();
    zip.write_all(b"{\"id\": ").unwrap();
    zip.start_file("README.txt", options).unwrap();
    zip.write_all(b"not a record").unwrap();
    zip.finish().unwrap();
    let loaded = load::load_paths(&[path]);
    let ids: Vec<&str> = loaded.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["PYSEC-1", "PYSEC-2"]);
    assert_eq!(loaded.problems.len(), 2, "{:?}", loaded.problems);
    assert!(loaded.problems[0].message.contains("decompression bomb"));
    assert!(!dir.path().join("../escape").exists());
    let not_zip = dir.path().join("fake.zip");
    std::fs::write(&not_zip, "hello").unwrap();
    assert!(
        load::load_paths(&[not_zip]).problems[0]
            .message
            .contains("not a readable zip")
    );
}
