#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;

const POLICY: &str = r#"
[[rule]]
name = "no-copyleft-in-proprietary"
level = "fail"
description = "Proprietary products ship no copyleft code"
products = ["payments-*"]
when.license.deny = ["copyleft"]

[[rule]]
name = "exploited"
level = "fail"
when.any = [{ known_exploited = true }, { malicious = true }]

[[rule]]
name = "critical-and-likely"
level = "warn"
when = { severity = "critical", epss = 0.5 }

[[rule]]
name = "squats"
level = "fail"
when = { typosquat = true, direct = true }

[[rule]]
name = "banned"
level = "fail"
when.packages = ["pkg:npm/event-stream", "pkg:maven/org.apache.logging.log4j/*"]
when.range = "vers:maven/>=2.0.0|<2.17.1"

[[rule]]
name = "log4shell"
level = "info"
when.advisories = ["CVE-2021-44228"]

[[example]]
name = "GPL in payments"
product = "payments-api"
component = { purl = "pkg:npm/readline@1.0.0", license = "GPL-3.0-or-later" }
violates = ["no-copyleft-in-proprietary"]

[[example]]
name = "GPL elsewhere"
product = "docs-site"
component = { purl = "pkg:npm/readline@1.0.0", license = "GPL-3.0-or-later" }
violates = []

[[example]]
name = "a choice of MIT passes"
product = "payments-api"
component = { purl = "pkg:npm/dual@1.0.0", license = "MIT OR GPL-3.0-only" }
violates = []
"#;

fn component(purl: &str, license: Option<&str>) -> Component {
    let purl = Purl::parse(purl).unwrap();
    Component {
        name: purl.name().to_owned(),
        version: purl.version().map(str::to_owned),
        purl: Some(purl),
        license: license.map(Licensing::new),
        ..Component::default()
    }
}

fn rules(v: &[Violation]) -> Vec<&str> {
    v.iter().map(|v| v.rule.as_str()).collect()
}

#[test]
fn rules_and_scopes() {
    let p = Policy::parse(POLICY).unwrap();
    assert_eq!(p.rules.len(), 6);
    let gpl = component("pkg:npm/readline@1.0.0", Some("GPL-3.0-or-later"));
    assert_eq!(
        rules(&p.evaluate("payments-api", &[], &gpl)),
        ["no-copyleft-in-proprietary"]
    );
    assert!(p.evaluate("docs-site", &[], &gpl).is_empty());
    let v = &p.evaluate("payments-api", &[], &gpl)[0];
    assert_eq!(v.level, RuleLevel::Fail);
    assert_eq!(v.component, "pkg:npm/readline@1.0.0");
    assert_eq!(v.reason, "licence needs GPL-3.0-or-later (copyleft)");
    // AGPL is copyleft too; an unstated licence is not denied by `copyleft`.
    let agpl = component("pkg:npm/x@1.0.0", Some("AGPL-3.0-only"));
    assert_eq!(p.evaluate("payments-api", &[], &agpl).len(), 1);
    assert!(
        p.evaluate("payments-api", &[], &component("pkg:npm/x@1.0.0", None))
            .is_empty()
    );
}

#[test]
fn findings_conditions() {
    let p = Policy::parse(POLICY).unwrap();
    let mut c = component("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", None);
    c.findings.push(Finding {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
        aliases: vec!["CVE-2021-44228".into()],
        severity: Some(Level::Critical),
        score: Some(10.0),
        epss: Some(0.97),
        known_exploited: true,
        malicious: false,
        cwes: vec!["CWE-502".into()],
    });
    let v = p.evaluate("shop", &[], &c);
    assert_eq!(
        rules(&v),
        ["exploited", "critical-and-likely", "banned", "log4shell"]
    );
    assert_eq!(v[0].advisory.as_deref(), Some("GHSA-jfh8-c2jp-5v3q"));
    assert_eq!(v[0].reason, "GHSA-jfh8-c2jp-5v3q: known exploited");
    assert_eq!(
        v[1].reason,
        "GHSA-jfh8-c2jp-5v3q: severity critical, EPSS 97.0 %"
    );
    assert!(
        v[2].reason
            .contains("version 2.14.1 in `vers:maven/>=2.0.0|<2.17.1`")
    );
    assert_eq!(v[3].reason, "GHSA-jfh8-c2jp-5v3q: advisory CVE-2021-44228");
    // Fixed version: out of the range; no finding: no finding rule.
    let fixed = component("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", None);
    assert!(p.evaluate("shop", &[], &fixed).is_empty());
    // An unrated finding counts as high: not critical.
    let mut unrated = component("pkg:npm/a@1.0.0", None);
    unrated.findings.push(Finding {
        advisory: "GHSA-x".into(),
        epss: Some(0.9),
        ..Finding::default()
    });
    assert!(p.evaluate("shop", &[], &unrated).is_empty());
    // Typo-squats fail only as direct dependencies.
    let mut squat = component("pkg:npm/lodahs@1.0.0", None);
    squat.typosquat = true;
    assert!(p.evaluate("shop", &[], &squat).is_empty());
    squat.direct = true;
    assert_eq!(rules(&p.evaluate("shop", &[], &squat)), ["squats"]);
}

#[test]
fn examples_run() {
    let p = Policy::parse(POLICY).unwrap();
    let results = p.test();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(ExampleResult::passed), "{results:?}");
    let failing = POLICY.replace(
        "violates = []\n\n[[example]]\nname = \"a choice",
        "violates = [\"exploited\"]\n\n[[example]]\nname = \"a choice",
    );
    let results = Policy::parse(&failing).unwrap().test();
    assert!(!results[1].passed());
    assert_eq!(results[1].violated, Vec::<String>::new());
}

fn error(text: &str) -> String {
    Policy::parse(text).unwrap_err().to_string()
}

#[test]
fn errors_are_located() {
    assert_eq!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fatal\"\nwhen.malicious = true\n"),
        "line 3, column 9: level `fatal`: expected `info`, `warn` or `fail`"
    );
    assert_eq!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.severity = \"severe\"\n"),
        "line 4, column 17: severity `severe`: expected `low`, `medium`, `high` or `critical`"
    );
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.license.deny = [\"viral\"]\n")
            .starts_with("line 4, column 22: `viral` is not a licence or a group")
    );
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.colour = \"red\"\n")
            .starts_with("line 4, column 6: unknown field `colour`"),
        "{}",
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.colour = \"red\"\n")
    );
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.range = \"npm >=1\"\n")
            .starts_with("line 4, column 14: range `npm >=1`")
    );
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.cvss = 11.0\n")
            .starts_with("line 4, column 13: cvss `11`")
    );
    assert!(error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen = {}\n[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen = {}\n").starts_with("line 6, column 8: a second rule named `a`"));
    assert!(
        error("[[example]]\nname = \"e\"\ncomponent = {}\nviolates = [\"nope\"]\n")
            .contains("names no rule `nope`")
    );
    assert!(error("not toml at all").starts_with("line 1"));
}

#[test]
fn hostile_policies_are_refused() {
    // Deep nesting, written inline or as tables, stops with a message, not a crash.
    let deep = format!(
        "[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen = {}{}\n",
        "{ any = [".repeat(5000),
        "] }".repeat(5000)
    );
    assert!(error(&deep).contains("nests deeper"), "{}", error(&deep));
    let mut nested =
        String::from("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen = { malicious = true");
    for _ in 0..20 {
        nested.push_str(", any = [{ malicious = true");
    }
    for _ in 0..20 {
        nested.push_str(" }]");
    }
    nested.push_str(" }\n");
    assert!(
        error(&nested).contains("nest deeper than 16") || error(&nested).contains("nests deeper"),
        "{}",
        error(&nested)
    );
    let huge = "#".repeat(MAX_POLICY_BYTES + 1);
    assert!(error(&huge).contains("larger than"));
    // Brackets inside strings and comments do not count.
    let quoted = format!(
        "# {}\n[[rule]]\nname = \"{}\"\nlevel = \"info\"\nwhen.malicious = true\n",
        "[".repeat(100),
        "{".repeat(100)
    );
    assert!(Policy::parse(&quoted).is_ok());
}

#[test]
fn tag_scopes_and_needs() {
    let p = Policy::parse(
        "[[rule]]\nname = \"prod-only\"\nlevel = \"fail\"\nproducts = [\"shop-*\"]\ntags = [\"prod\", \"pci\"]\nwhen.unpinned = true\n\
         [[rule]]\nname = \"everywhere\"\nlevel = \"info\"\nwhen.license.deny = [\"unknown\"]\n\
         [[example]]\nname = \"tagged\"\nproduct = \"shop-web\"\ntags = [\"pci\"]\ncomponent = { name = \"x\", license = \"MIT\" }\nviolates = [\"prod-only\"]\n",
    )
    .unwrap();
    let unpinned = Component {
        name: "x".into(),
        license: Some(Licensing::new("MIT")),
        ..Component::default()
    };
    // Both the glob and a tag must hold.
    assert_eq!(
        rules(&p.evaluate("shop-web", &["prod".into()], &unpinned)),
        ["prod-only"]
    );
    assert!(
        p.evaluate("shop-web", &["dev".into()], &unpinned)
            .is_empty()
    );
    assert!(p.evaluate("blog", &["prod".into()], &unpinned).is_empty());
    assert_eq!(p.in_scope("shop-web", &[]), [1]);
    assert!(p.test().iter().all(ExampleResult::passed));
    let needs = p.needs();
    assert!(!needs.findings && !needs.direct && !needs.typosquat);
    let q = Policy::parse(
        "[[rule]]\nname = \"a\"\nlevel = \"warn\"\nwhen.any = [{ direct = true, severity = \"high\" }]\n",
    )
    .unwrap();
    assert_eq!(
        q.needs(),
        Needs {
            findings: true,
            direct: true,
            typosquat: false,
            cwes: false,
        }
    );
}

#[test]
fn weaknesses() {
    let p = Policy::parse(
        "[[rule]]\nname = \"xss\"\nlevel = \"warn\"\nwhen.cwes = [\"cwe-79\", \"89\"]\n\
         [[example]]\nname = \"injection\"\ncomponent = { purl = \"pkg:npm/x@1.0.0\" }\n\
         findings = [{ advisory = \"GHSA-1\", cwes = [\"CWE-89\"] }]\nviolates = [\"xss\"]\n",
    )
    .unwrap();
    assert!(p.test().iter().all(ExampleResult::passed));
    assert!(p.needs().cwes && p.needs().findings);
    let mut c = component("pkg:npm/x@1.0.0", None);
    c.findings.push(Finding {
        advisory: "GHSA-2".into(),
        cwes: vec!["CWE-79".into()],
        ..Finding::default()
    });
    let v = p.evaluate("shop", &[], &c);
    assert_eq!(v[0].reason, "GHSA-2: weakness CWE-79");
    c.findings[0].cwes = vec!["CWE-22".into()];
    assert!(p.evaluate("shop", &[], &c).is_empty());
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"warn\"\nwhen.cwes = [\"XSS\"]\n")
            .contains("expected `CWE-` and a number")
    );
}
