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
            audit: false,
            cwes: false,
            path: false,
            ntia: false,
            provenance: false,
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

const ANALYSES: &str = r#"
[[rule]]
name = "high"
level = "fail"
when.severity = "high"

[[analysis]]
name = "jackson-unreachable"
products = ["shop-*"]
state = "not_affected"
justification = "code_not_reachable"
response = ["will_not_fix"]
detail = "We never bind untrusted polymorphic JSON"
until = "2027-01-31"
when = { advisories = ["CVE-2020-36518"], packages = ["pkg:maven/com.fasterxml.jackson.core/*"] }

[[analysis]]
name = "triage-criticals"
state = "in_triage"
from = "2026-01-01T00:00:00Z"
when.severity = "critical"

[[example]]
name = "decided until the end of January"
product = "shop-api"
at = "2027-01-31"
component = { purl = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0" }
findings = [{ advisory = "GHSA-57j2-w4cx-62h2", aliases = ["CVE-2020-36518"], severity = "high" }]
analyzed = ["jackson-unreachable"]

[[example]]
name = "open again in February"
product = "shop-api"
at = "2027-02-01"
component = { purl = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0" }
findings = [{ advisory = "GHSA-57j2-w4cx-62h2", aliases = ["CVE-2020-36518"], severity = "high" }]
violates = ["high"]

[[example]]
name = "in triage is still open"
at = "2026-06-01"
component = { purl = "pkg:npm/x@1.0.0" }
findings = [{ advisory = "GHSA-2", severity = "critical" }]
violates = ["high"]
analyzed = ["triage-criticals"]
"#;

#[test]
fn vulnerability_policies_decide_within_their_window() {
    let p = Policy::parse(ANALYSES).unwrap();
    assert_eq!(p.analyses.len(), 2);
    for r in p.test() {
        assert!(r.passed(), "{r:?}");
    }
    let a = &p.analyses[0];
    // `until` a date: through that day (UTC).
    assert_eq!(a.until, Some(1_801_440_000_000_000));
    assert!(a.in_force(1_801_439_999_999_999) && !a.in_force(1_801_440_000_000_000));
    assert!(a.suppresses() && !p.analyses[1].suppresses());
    assert_eq!(p.analyses_in_scope("blog", &[]), [1]);
    let finding = Finding {
        advisory: "GHSA-57j2-w4cx-62h2".into(),
        aliases: vec!["CVE-2020-36518".into()],
        severity: Some(Level::High),
        ..Finding::default()
    };
    let c = component(
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0",
        None,
    );
    assert!(a.holds(&c, &finding));
    let s = a.statement(
        &finding,
        "shop-api",
        "1.2",
        c.purl.as_ref().unwrap().canonical(),
        0,
    );
    assert_eq!(s.products, ["shop-api@1.2"]);
    assert_eq!(
        s.components,
        ["pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0"]
    );
    assert_eq!(s.status, chainwatch_advisory::vex::VexStatus::NotAffected);
    assert_eq!(s.justification.as_deref(), Some("code_not_reachable"));
    assert_eq!(s.action.as_deref(), Some("will_not_fix"));
    assert_eq!(s.timestamp.as_deref(), Some("1970-01-01T00:00:00Z"));
    assert_eq!(s.analysis.as_deref(), Some("not_affected"));
    // A changed decision is told from the same one.
    let q = Policy::parse(&ANALYSES.replace("2027-01-31\"\nwhen", "2027-02-28\"\nwhen")).unwrap();
    assert_ne!(q.analyses[0].fingerprint(), a.fingerprint());
    assert_eq!(q.analyses[1].fingerprint(), p.analyses[1].fingerprint());
    // An example expecting the wrong analyses fails.
    let wrong = ANALYSES.replace(
        "analyzed = [\"jackson-unreachable\"]",
        "analyzed = [\"triage-criticals\"]",
    );
    let failed: Vec<String> = Policy::parse(&wrong)
        .unwrap()
        .test()
        .into_iter()
        .filter(|r| !r.passed())
        .map(|r| r.name)
        .collect();
    assert_eq!(failed, ["decided until the end of January"]);
}

#[test]
fn analyses_are_checked() {
    let base = "[[analysis]]\nname = \"a\"\n";
    for (body, message) in [
        (
            "state = \"ignored\"\nwhen.severity = \"low\"\n",
            "state `ignored`: expected one of in_triage",
        ),
        (
            "state = \"not_set\"\nwhen.severity = \"low\"\n",
            "state `not_set`",
        ),
        (
            "state = \"exploitable\"\njustification = \"code_not_reachable\"\nwhen.severity = \"low\"\n",
            "a justification explains `not_affected`",
        ),
        (
            "state = \"not_affected\"\njustification = \"because\"\nwhen.severity = \"low\"\n",
            "justification `because`",
        ),
        (
            "state = \"exploitable\"\nresponse = [\"pray\"]\nwhen.severity = \"low\"\n",
            "response `pray`",
        ),
        (
            "state = \"in_triage\"\nuntil = \"next week\"\nwhen.severity = \"low\"\n",
            "until `next week`: expected a date",
        ),
        (
            "state = \"in_triage\"\nfrom = \"2027-01-01\"\nuntil = \"2026-01-01\"\nwhen.severity = \"low\"\n",
            "the window ends before it starts",
        ),
        (
            "state = \"in_triage\"\nwhen.license.deny = [\"copyleft\"]\n",
            "`license` is not a condition on a finding",
        ),
        (
            "state = \"in_triage\"\nwhen.any = [{ direct = true }]\n",
            "`direct` is not a condition on a finding",
        ),
        (
            "state = \"in_triage\"\nwhen = {}\n",
            "an analysis needs a condition",
        ),
    ] {
        let e = error(&format!("{base}{body}"));
        assert!(e.contains(message), "{body}: {e}");
        assert!(e.starts_with("line "), "{e}");
    }
    let long = format!(
        "{base}state = \"in_triage\"\ndetail = \"{}\"\nwhen.severity = \"low\"\n",
        "x".repeat(MAX_DETAIL_BYTES + 1)
    );
    assert!(error(&long).contains("detail is longer"));
    // One namespace for rules and analyses.
    let twice = "[[rule]]\nname = \"a\"\nlevel = \"info\"\nwhen.malicious = true\n[[analysis]]\nname = \"a\"\nstate = \"in_triage\"\nwhen.malicious = true\n";
    assert!(error(twice).contains("a second rule named `a`"));
    let unknown = "[[analysis]]\nname = \"b\"\nstate = \"in_triage\"\nwhen.malicious = true\n[[example]]\nname = \"e\"\ncomponent = { name = \"x\" }\nanalyzed = [\"c\"]\n";
    assert!(error(unknown).contains("names no analysis `c`"));
}

#[test]
fn cel_conditions() {
    let p = Policy::parse(
        r#"
[[rule]]
name = "critical-npm"
level = "fail"
when.cel = 'component.type == "npm" && findings.exists(f, f.severity == "critical" && f.cvss != null && f.cvss >= 9.0)'

[[rule]]
name = "through-left-pad"
level = "warn"
when = { direct = false, cel = 'path.exists(p, p.startsWith("left-pad@"))' }

[[rule]]
name = "gpl-by-id"
level = "info"
when.cel = 'component.licenses.exists(l, l.matches("^GPL-")) || "network-copyleft" in component.license_categories'

[[example]]
name = "a critical npm finding"
component = { purl = "pkg:npm/x@1.0.0", license = "MIT", path = ["app@1", "x@1.0.0"] }
findings = [{ advisory = "GHSA-1", severity = "critical", cvss = 9.8 }]
violates = ["critical-npm"]

[[example]]
name = "under left-pad"
component = { purl = "pkg:npm/y@2.0.0", license = "AGPL-3.0-only", path = ["app@1", "left-pad@1.3.0", "y@2.0.0"] }
violates = ["through-left-pad", "gpl-by-id"]
"#,
    )
    .unwrap();
    for r in p.test() {
        assert!(r.passed(), "{r:?}");
    }
    let needs = p.needs();
    assert!(needs.path && needs.findings && needs.direct);
    let mut c = component("pkg:npm/x@1.0.0", Some("GPL-2.0-or-later"));
    let v = p.evaluate("app", &[], &c);
    assert_eq!(rules(&v), ["gpl-by-id"]);
    assert!(
        v[0].reason.starts_with("`component.licenses.exists("),
        "{}",
        v[0].reason
    );
    // Unrated findings: `cvss` is null, and the guard keeps the rule from failing.
    c.findings.push(Finding {
        advisory: "GHSA-2".into(),
        severity: Some(Level::Critical),
        ..Finding::default()
    });
    assert_eq!(rules(&p.evaluate("app", &[], &c)), ["gpl-by-id"]);
}

#[test]
fn cel_errors_are_located_and_bounded() {
    let rule =
        |expr: &str| format!("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.cel = '''{expr}'''\n");
    for (expr, message) in [
        ("component.name ==", "cel: 1:"),
        ("componnt.name == \"x\"", "unknown variable `componnt`"),
        ("component.nme == \"x\"", "cel: "),
        ("component.name", "not a boolean"),
        ("env.HOME == \"x\"", "unknown variable `env`"),
        (
            "component.name.matches(component.version)",
            "literal pattern",
        ),
        (
            "lowerAscii(component.name) == \"x\"",
            "function `lowerAscii` is not allowed",
        ),
        (
            "[1].all(a, [1].all(b, [1].all(c, c == 1)))",
            "comprehensions (`all`, `exists`, `map`, `filter`) nest deeper than 2",
        ),
        ("", "the expression is empty"),
    ] {
        let e = error(&rule(expr));
        assert!(e.contains(message), "{expr}: {e}");
        assert!(e.starts_with("line 4, column 12:"), "{e}");
    }
    // Deep nesting, long expressions and many parts are refused, not run.
    let deep = format!("{}true{}", "(".repeat(200), ")".repeat(200));
    assert!(
        error(&rule(&deep)).contains("cel: "),
        "{}",
        error(&rule(&deep))
    );
    // As deep as the size limit allows, in every nesting form: refused or folded (the
    // parser folds repeated negations), never a crash.
    for (open, close) in [
        ("(", ")"),
        ("[", "]"),
        ("{1: ", "}"),
        ("!", ""),
        ("-", ""),
        ("f(", ")"),
    ] {
        let n = (MAX_CEL_BYTES - 8) / (open.len() + close.len());
        let deep = format!("{}1{} == 1", open.repeat(n), close.repeat(n));
        if let Err(e) = Policy::parse(&rule(&deep)) {
            assert!(e.message.starts_with("cel: "), "{open}: {e}");
        }
    }
    let long = format!("component.name == \"{}\"", "x".repeat(MAX_CEL_BYTES));
    assert!(error(&rule(&long)).contains("longer than 4096 bytes"));
    let wide = (0..600)
        .map(|i| format!("component.name == \"{i}\""))
        .collect::<Vec<_>>()
        .join(" || ");
    let e = error(&rule(&wide));
    assert!(
        e.contains("longer than") || e.contains("parts") || e.contains("cel: "),
        "{e}"
    );
    // The costliest accepted shape (two nested comprehensions over literal lists as
    // long as the part limit allows) still finishes.
    let list = format!("[{}]", vec!["1"; 256].join(","));
    let costly = format!("{list}.all(a, {list}.exists(b, b == 2) || a == 1)");
    assert!(costly.len() <= MAX_CEL_BYTES);
    let p = Policy::parse(&rule(&costly)).unwrap();
    assert_eq!(
        rules(&p.evaluate("app", &[], &component("pkg:npm/x@1", None))),
        ["a"]
    );
    // Chains are built in a loop by the parser: their depth is checked after it.
    let chain = format!("{}1 == 100", "1 + ".repeat(99));
    assert!(
        error(&rule(&chain)).contains("nests deeper than 64"),
        "{}",
        error(&rule(&chain))
    );
    let wide_list = format!("size([{}]) > 0", vec!["1"; 300].join(","));
    assert!(error(&rule(&wide_list)).contains("more than 256 elements"));
    // A component with more findings than an expression may read: it fails (holds).
    let reads = Policy::parse(&rule("findings.exists(f, f.malicious)")).unwrap();
    let mut many = component("pkg:npm/kernel@1", None);
    many.findings = (0..4097)
        .map(|i| Finding {
            advisory: format!("CVE-{i}"),
            ..Finding::default()
        })
        .collect();
    let v = reads.evaluate("app", &[], &many);
    assert!(
        v[0].reason.contains("more than 4096 findings"),
        "{}",
        v[0].reason
    );
    // Analyses take no CEL: their conditions are about findings.
    let analysis = "[[analysis]]\nname = \"b\"\nstate = \"in_triage\"\nwhen.cel = 'true'\n";
    assert!(error(analysis).contains("`cel` is not a condition on a finding"));
}

#[test]
fn cel_failures_count_as_holding() {
    // A division by zero only components with two findings reach: their rule holds (a
    // gate fails closed), and says why.
    let p = Policy::parse(
        "[[rule]]\nname = \"odd\"\nlevel = \"fail\"\nwhen.cel = 'size(findings) < 2 ? false : 10 / (size(findings) - 2) > 100'\n",
    )
    .unwrap();
    let mut c = component("pkg:npm/x@1.0.0", None);
    assert!(p.evaluate("app", &[], &c).is_empty());
    for id in ["GHSA-1", "GHSA-2"] {
        c.findings.push(Finding {
            advisory: id.into(),
            ..Finding::default()
        });
    }
    let v = p.evaluate("app", &[], &c);
    assert_eq!(rules(&v), ["odd"]);
    assert!(
        v[0].reason.contains("could not be evaluated"),
        "{}",
        v[0].reason
    );
}

const RELEASES: &str = r#"
[[rule]]
name = "ntia"
level = "warn"
when.ntia = ["supplier", "version", "author"]

[[rule]]
name = "built-in-ci"
level = "fail"
products = ["shop*"]
when.builders = ["https://github.com/actions/runner/*", "https://gitlab.com/*"]

[[rule]]
name = "attested"
level = "info"
when.provenance = true

[[rule]]
name = "critical"
level = "fail"
when.severity = "critical"

[[example]]
name = "a hand-built release"
product = "shop"
release = { version = "1.0", ntia_missing = ["supplier"], builders = [] }
violates = ["ntia", "built-in-ci", "attested"]

[[example]]
name = "built in CI"
product = "shop"
release = { version = "1.1", builders = ["https://github.com/actions/runner/github-hosted"] }
violates = []
"#;

#[test]
fn product_rules() {
    let p = Policy::parse(RELEASES).unwrap();
    for r in p.test() {
        assert!(r.passed(), "{r:?}");
    }
    assert!(p.has_release_rules());
    let needs = p.needs();
    assert!(needs.ntia && needs.provenance);
    let release = Release {
        product: "shop".into(),
        version: Some("2.0".into()),
        ntia_missing: vec![("supplier".into(), 12), ("timestamp".into(), 1)],
        builders: vec!["https://example.com/laptop".into()],
    };
    let v = p.evaluate_release(&[], &release);
    assert_eq!(rules(&v), ["ntia", "built-in-ci"]);
    assert_eq!(v[0].component, "shop@2.0");
    assert_eq!(
        v[0].reason,
        "NTIA minimum elements missing: supplier (12 components)"
    );
    assert_eq!(
        v[1].reason,
        "built by https://example.com/laptop, not by https://github.com/actions/runner/* or https://gitlab.com/*"
    );
    // Out of the builder rule's scope; product rules never hold for a component.
    let other = Release {
        product: "blog".into(),
        ..release.clone()
    };
    assert_eq!(rules(&p.evaluate_release(&[], &other)), ["ntia"]);
    let c = component("pkg:npm/x@1.0.0", None);
    assert!(p.evaluate("shop", &[], &c).is_empty());
    // A product rule cannot look at components; analyses take none.
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen = { ntia = true, severity = \"high\" }\n")
            .contains("cannot combine them with conditions on components")
    );
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.any = [{ provenance = true }, { malicious = true }]\n")
            .contains("cannot combine them")
    );
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.ntia = [\"suplier\"]\n")
            .contains("NTIA element `suplier`: expected one of supplier")
    );
    assert!(
        error("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.ntia = []\n")
            .contains("names no element")
    );
    // An example's component needs neither a name nor a purl.
    let unnamed = Policy::parse(
        "[[rule]]\nname = \"gpl\"\nlevel = \"fail\"\nwhen.license.deny = [\"copyleft\"]\n\
         [[example]]\nname = \"e\"\ncomponent = { license = \"GPL-3.0-only\" }\nviolates = [\"gpl\"]\n",
    )
    .unwrap();
    assert!(unnamed.test().iter().all(ExampleResult::passed));
    assert!(
        error("[[analysis]]\nname = \"a\"\nstate = \"in_triage\"\nwhen = { provenance = true, severity = \"low\" }\n")
            .contains("`provenance` is not a condition on a finding")
    );
}

#[test]
fn suspicious_packages_by_their_audit() {
    let policy = Policy::parse(
        "[[rule]]\nname = \"no-suspicious\"\nlevel = \"fail\"\nwhen.suspicious = \"high\"\n\n\
         [[example]]\nname = \"audited\"\ncomponent = { purl = \"pkg:npm/x@1.0.0\", audit = \"critical\" }\nviolates = [\"no-suspicious\"]\n\n\
         [[example]]\nname = \"medium\"\ncomponent = { purl = \"pkg:npm/x@1.0.0\", audit = \"medium\" }\nviolates = []\n\n\
         [[example]]\nname = \"not audited\"\ncomponent = { purl = \"pkg:npm/x@1.0.0\" }\nviolates = []\n",
    )
    .unwrap();
    assert!(policy.needs().audit);
    for example in &policy.examples {
        let component = example.component.as_ref().unwrap();
        let got: Vec<String> = policy
            .evaluate("p", &[], component)
            .into_iter()
            .map(|v| v.rule)
            .collect();
        assert_eq!(got, example.violates, "{}", example.name);
    }
    let err =
        Policy::parse("[[rule]]\nname = \"a\"\nlevel = \"fail\"\nwhen.suspicious = \"bad\"\n")
            .unwrap_err()
            .to_string();
    assert!(err.contains("suspicious `bad`"), "{err}");
}
