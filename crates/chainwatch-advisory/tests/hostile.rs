//! Hostile nesting in advisories and VEX documents: refused with an error on a small
//! stack, never a crash.

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the reader crashed")
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    let mut s = open.repeat(depth);
    s.push_str(&close.repeat(depth));
    s
}

#[test]
fn deep_records_and_vex_are_refused() {
    for depth in [10_000, 1_000_000] {
        let osv = format!(r#"{{"id":"X-1","affected":{}}}"#, nested("[", "]", depth));
        let yaml = format!("id: X-1\naffected: {}\n", nested("[", "]", depth));
        let openvex = format!(
            r#"{{"@context":"https://openvex.dev/ns/v0.2.0","statements":{}}}"#,
            nested("[", "]", depth)
        );
        let csaf = format!(
            r#"{{"document":{{"category":"csaf_vex"}},"product_tree":{{"branches":{}}}}}"#,
            nested(r#"[{"branches":"#, "}]", depth)
        );
        let cyclonedx_xml = format!(
            r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><vulnerabilities>{}</vulnerabilities></bom>"#,
            nested(
                "<vulnerability><affects>",
                "</affects></vulnerability>",
                depth
            )
        );
        let results = on_small_stack(move || {
            [
                chainwatch_advisory::load::parse(osv.as_bytes(), false).is_err(),
                chainwatch_advisory::load::parse(yaml.as_bytes(), true).is_err(),
                chainwatch_advisory::vex::parse(openvex.as_bytes()).is_err(),
                chainwatch_advisory::vex::parse(csaf.as_bytes()).is_err(),
                chainwatch_advisory::vex::parse(cyclonedx_xml.as_bytes()).is_err(),
            ]
        });
        assert_eq!(results, [true; 5], "depth {depth}");
    }
}
