//! Every fixture tree inventoried and summarized: the component set (purl, scope, where
//! it was found), the dependency edges and the diagnostics, as snapshots. The lockfiles
//! were made with the ecosystems' own tools where they run here (see
//! `tests/fixtures/README.md`) and written by hand after each format's documentation
//! otherwise.

use std::collections::BTreeSet;
use std::path::Path;

use chainwatch_inventory::{Options, SbomOptions, inventory};
use serde_json::{Value, json};

fn summarize(dir: &Path) -> Value {
    let inv = inventory(dir, &Options::default()).expect("inventory");
    let sbom = inv.to_sbom(&SbomOptions::default());
    let subject = sbom.subject_component().expect("subject");
    let mut components: Vec<Value> = sbom
        .components
        .iter()
        .filter(|c| c.id != subject.id)
        .map(|c| {
            let locations: Vec<&str> = c
                .properties
                .iter()
                .filter(|p| p.name == "chainwatch:location")
                .map(|p| p.value.as_str())
                .collect();
            json!({
                "purl": c.purl.as_deref().unwrap_or(&c.id),
                "kind": c.kind.as_str(),
                "scope": c.scope.map(chainwatch_sbom::Scope::as_str),
                "hashes": c.hashes.iter().map(|h| format!("{}:{}…", h.alg.cyclonedx_name(), &h.value[..12.min(h.value.len())])).collect::<Vec<_>>(),
                "license": c.license_expression(),
                "source": c.property("chainwatch:source"),
                "locations": locations,
            })
        })
        .collect();
    components.sort_by(|a, b| a["purl"].as_str().cmp(&b["purl"].as_str()));
    let short = |id: &str| {
        if id == subject.id {
            "<project>".to_owned()
        } else {
            id.to_owned()
        }
    };
    let edges: BTreeSet<String> = sbom
        .relationships
        .iter()
        .map(|r| format!("{} -> {}", short(&r.from), short(&r.to)))
        .collect();
    let diagnostics: Vec<String> = inv
        .diagnostics()
        .map(|(path, d)| {
            format!(
                "{path} {} [{}] {}: {}",
                d.severity,
                d.code.as_str(),
                d.location,
                d.message
            )
        })
        .collect();
    json!({
        "project": { "name": subject.name, "version": subject.version, "purl": subject.purl },
        "files": inv.files.iter().map(|f| format!("{} ({})", f.path, f.extractor)).collect::<Vec<_>>(),
        "components": components,
        "edges": edges,
        "diagnostics": diagnostics,
    })
}

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 25, "{dirs:?}");
    for dir in dirs {
        let summary = summarize(&root.join(&dir));
        insta::assert_json_snapshot!(dir.clone(), summary);
    }
}

/// An installed tree is read whole from its directory, and each of its manifests can still
/// be read on its own.
#[test]
fn installed_trees_whole_and_one_manifest_alone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let env = root.join("python-venv/.venv/lib/python3.11/site-packages");
    let whole = inventory(&env, &Options::default()).expect("environment");
    assert_eq!(
        whole
            .files
            .iter()
            .map(|f| (f.extractor, f.packages.len()))
            .collect::<Vec<_>>(),
        [("python-environment", 8)]
    );
    let alone = inventory(
        &env.join("requests-2.31.0.dist-info/METADATA"),
        &Options::default(),
    )
    .expect("one METADATA");
    assert_eq!(alone.files.len(), 1);
    assert_eq!(alone.files[0].extractor, "python-installed");
    assert_eq!(
        alone.files[0].packages[0].purl.canonical(),
        "pkg:pypi/requests@2.31.0"
    );
    let modules = inventory(
        &root.join("npm-installed/node_modules"),
        &Options::default(),
    )
    .expect("node_modules");
    assert_eq!(modules.files.len(), 1, "read once, as one tree");
    assert_eq!(modules.files[0].extractor, "npm-installed");
}
