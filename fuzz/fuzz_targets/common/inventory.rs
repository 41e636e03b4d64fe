//! The body shared by the inventory targets: any bytes as one file for one extractor; the
//! extractor never panics, every edge names packages of the file, and the inventory
//! assembles into an SBOM that the CycloneDX writer accepts.

pub fn check(extractor: &str, rel: &str, data: &[u8]) {
    let file = chainwatch_inventory::extract_bytes(extractor, rel, data).expect("extractor");
    for &(a, b) in &file.edges {
        assert!(a < file.packages.len() && b < file.packages.len());
    }
    let inventory = chainwatch_inventory::Inventory {
        root: std::path::PathBuf::from("/fuzz"),
        project: chainwatch_inventory::Project::named("fuzz"),
        distro: None,
        files: vec![file],
        walk_diagnostics: Vec::new(),
    };
    let sbom = inventory.to_sbom(&Default::default());
    let _ = chainwatch_sbom::write(&sbom, chainwatch_sbom::Format::CycloneDxJson);
}
