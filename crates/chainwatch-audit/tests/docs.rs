//! docs/audit.md describes every rule of the catalog, under its code, with its severity.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

#[test]
fn every_rule_is_documented() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/audit.md");
    let text = std::fs::read_to_string(path).unwrap();
    for rule in chainwatch_audit::RULES {
        let heading = format!("#### `{}`\n{}: ", rule.code, rule.severity);
        assert!(text.contains(&heading), "docs/audit.md lacks `{heading}`");
    }
    let documented = text.matches("\n#### `").count();
    assert_eq!(
        documented,
        chainwatch_audit::RULES.len(),
        "a documented rule is not in the catalog"
    );
}
