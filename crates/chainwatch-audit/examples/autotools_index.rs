//! Prints the autotools index (`data/autotools-index.tsv`) for the unpacked Debian
//! packages under the directories given: one line per distinct copy of an Autoconf macro
//! file or build-aux script, `NAME<TAB>VERSION<TAB>HASH<TAB>ORIGIN`, where ORIGIN is the
//! package directory (`gnulib_20250303-1_all`) the copy was first seen in. Run by
//! `scripts/autotools-index.sh`, which downloads and unpacks the packages.

use std::collections::BTreeMap;
use std::path::Path;

use chainwatch_audit::release::{content_hash, indexed_name, version};

fn walk(dir: &Path, origin: &str, out: &mut BTreeMap<(String, String, String), String>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<_> = read.filter_map(Result::ok).collect();
    children.sort_by_key(std::fs::DirEntry::file_name);
    for child in children {
        let path = child.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, origin, out);
            continue;
        }
        if !meta.is_file() {
            continue;
        }
        let name = child.file_name().to_string_lossy().into_owned();
        if !indexed_name(&name) {
            continue;
        }
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&data);
        let Some(version) = version(&name, &text) else {
            continue;
        };
        out.entry((name, version, content_hash(&data)))
            .or_insert_with(|| origin.to_owned());
    }
}

fn main() {
    let mut out = BTreeMap::new();
    for root in std::env::args().skip(1) {
        let Ok(read) = std::fs::read_dir(&root) else {
            eprintln!("autotools_index: cannot read `{root}`");
            std::process::exit(2);
        };
        let mut packages: Vec<_> = read.filter_map(Result::ok).collect();
        packages.sort_by_key(std::fs::DirEntry::file_name);
        for package in packages {
            let origin = package.file_name().to_string_lossy().into_owned();
            walk(&package.path(), &origin, &mut out);
        }
    }
    println!("# Autoconf macro files and build-aux scripts of Debian's autotools packages:");
    println!("# NAME\tVERSION\tHASH\tORIGIN (scripts/autotools-index.sh; docs/audit.md)");
    for ((name, version, hash), origin) in out {
        println!("{name}\t{version}\t{hash}\t{origin}");
    }
}
