#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;

fn n(s: &str) -> (String, &'static str) {
    let r = normalize(s);
    (r.expression, r.how.as_str())
}

#[test]
fn stated_licences_become_spdx_expressions() {
    let cases: &[(&str, &str, &str)] = &[
        ("MIT", "MIT", "spdx"),
        ("MIT OR Apache-2.0", "MIT OR Apache-2.0", "spdx"),
        (
            "Apache-2.0 WITH LLVM-exception",
            "Apache-2.0 WITH LLVM-exception",
            "spdx",
        ),
        ("GPL-2.0-or-later", "GPL-2.0-or-later", "spdx"),
        ("LicenseRef-Proprietary", "LicenseRef-Proprietary", "spdx"),
        // Fixed up: deprecated GNU ids, `+`, case, `/`, lower-case operators.
        ("GPL-2.0", "GPL-2.0-only", "corrected"),
        ("GFDL-1.2", "GFDL-1.2-only", "corrected"),
        ("wxWindows", "wxWindows", "corrected"),
        ("GPL-2.0+", "GPL-2.0-or-later", "corrected"),
        ("LGPL-2.1+", "LGPL-2.1-or-later", "corrected"),
        ("mit", "MIT", "named"),
        ("apache-2.0", "Apache-2.0", "corrected"),
        ("Apache-2.0 License", "Apache-2.0", "named"),
        ("MIT/Apache-2.0", "MIT OR Apache-2.0", "corrected"),
        ("mit or apache-2.0", "MIT OR Apache-2.0", "corrected"),
        (
            "(MIT or Apache-2.0) and BSD-3-Clause",
            "(MIT OR Apache-2.0) AND BSD-3-Clause",
            "spdx",
        ),
        (
            "GPL-2.0 with classpath-exception-2.0",
            "GPL-2.0-only WITH Classpath-exception-2.0",
            "corrected",
        ),
        ("GPLv2+ OR MIT", "GPL-2.0-or-later OR MIT", "named"),
        // Names that name one licence.
        ("Apache 2.0", "Apache-2.0", "named"),
        ("Apache License, Version 2.0", "Apache-2.0", "named"),
        (
            "The Apache Software License, Version 2.0",
            "Apache-2.0",
            "named",
        ),
        ("MIT License", "MIT", "named"),
        ("The MIT License", "MIT", "named"),
        ("GPLv2+", "GPL-2.0-or-later", "named"),
        ("License :: OSI Approved :: MIT License", "MIT", "named"),
        (
            "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
            "GPL-3.0-or-later",
            "named",
        ),
        (
            "License :: OSI Approved :: ISC License (ISCL)",
            "ISC",
            "named",
        ),
        ("Eclipse Public License - v 1.0", "EPL-1.0", "named"),
        (
            "GPL2 w/ CPE",
            "GPL-2.0-only WITH Classpath-exception-2.0",
            "named",
        ),
        ("new BSD License", "BSD-3-Clause", "named"),
        ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0", "named"),
        // Names of several licences stay unknown.
        ("BSD License", "LicenseRef-BSD-License", "unknown"),
        (
            "License :: OSI Approved :: BSD License",
            "LicenseRef-License-OSI-Approved-BSD-License",
            "unknown",
        ),
        ("GPL", "LicenseRef-GPL", "unknown"),
        (
            "Apache Software License",
            "LicenseRef-Apache-Software-License",
            "unknown",
        ),
        ("LGPLv2", "LicenseRef-LGPLv2", "unknown"),
        ("gnu gpl", "LicenseRef-gnu-gpl", "unknown"),
        ("see LICENSE.txt", "LicenseRef-see-LICENSE.txt", "unknown"),
        ("MIT AND (", "LicenseRef-MIT-AND", "unknown"),
        // Debian's short names (DEP-5 copyright files), an unknown one kept as a term.
        (
            "GPL-2+ or Artistic",
            "GPL-2.0-or-later OR LicenseRef-Artistic",
            "unknown",
        ),
        ("LGPL-2+", "LGPL-2.0-or-later", "named"),
        ("Expat", "MIT", "named"),
        ("BSD-3-clause", "BSD-3-Clause", "corrected"),
        ("", "NOASSERTION", "no-assertion"),
        ("NOASSERTION", "NOASSERTION", "no-assertion"),
        ("NONE", "NONE", "no-assertion"),
    ];
    for (stated, expression, how) in cases {
        assert_eq!(n(stated), ((*expression).to_owned(), *how), "`{stated}`");
        // Normalizing the result again changes nothing.
        assert_eq!(n(expression).0, *expression, "`{expression}` again");
    }
    // The spdx crate's lax names are not used: `gnu gpl v2` is GPL-2.0, not 3.0.
    assert_eq!(n("GNU GPL v2").0, "GPL-2.0-only");
    assert_eq!(n("apache").1, "unknown");
}

#[test]
fn hostile_statements_stay_bounded() {
    let long = "MIT OR ".repeat(10_000);
    assert_eq!(n(&long).1, "unknown");
    let deep = format!("{}MIT{}", "(".repeat(2000), ")".repeat(2000));
    assert!(n(&deep).0.len() < 4200);
    assert_eq!(license_ref("\u{0}<script>"), "LicenseRef-script");
}

#[test]
fn categories() {
    let c = |id: &str| category(id, None).as_str();
    assert_eq!(c("MIT"), "permissive");
    assert_eq!(c("Apache-2.0"), "permissive");
    assert_eq!(c("BSD-3-Clause"), "permissive");
    assert_eq!(c("GPL-3.0-only"), "copyleft");
    assert_eq!(c("GPL-2.0-or-later"), "copyleft");
    assert_eq!(c("LGPL-2.1-only"), "weak-copyleft");
    assert_eq!(c("MPL-2.0"), "weak-copyleft");
    assert_eq!(c("AGPL-3.0-or-later"), "network-copyleft");
    assert_eq!(c("SSPL-1.0"), "network-copyleft");
    assert_eq!(c("CC0-1.0"), "public-domain");
    assert_eq!(c("Unlicense"), "public-domain");
    assert_eq!(c("CC-BY-NC-4.0"), "non-free");
    assert_eq!(c("BUSL-1.1"), "non-free");
    assert_eq!(c("LicenseRef-x"), "unknown");
    assert_eq!(
        category("GPL-2.0-only", Some("Classpath-exception-2.0")).as_str(),
        "weak-copyleft"
    );
    assert!(Category::NetworkCopyleft.in_group(Category::Copyleft));
    assert!(!Category::WeakCopyleft.in_group(Category::Copyleft));
}

fn entries(list: &[&str]) -> Vec<Entry> {
    list.iter().map(|e| Entry::parse(e).unwrap()).collect()
}

#[test]
fn allow_and_deny_lists_evaluate_expressions() {
    let allow = entries(&["MIT", "Apache-2.0", "public-domain"]);
    assert!(Licensing::new("MIT OR GPL-3.0-only").allowed_by(&allow));
    assert!(!Licensing::new("MIT AND GPL-3.0-only").allowed_by(&allow));
    assert!(Licensing::new("CC0-1.0").allowed_by(&allow));
    assert!(Licensing::new("Apache License, Version 2.0").allowed_by(&allow));
    assert!(!Licensing::new("see LICENSE").allowed_by(&allow));
    assert!(Licensing::new("see LICENSE").allowed_by(&entries(&["unknown"])));
    assert!(!Licensing::new("NOASSERTION").allowed_by(&allow));

    let deny = entries(&["copyleft"]);
    assert!(
        Licensing::new("MIT OR GPL-3.0-only")
            .denied_by(&deny)
            .is_empty()
    );
    let denied = Licensing::new("MIT AND AGPL-3.0-only").denied_by(&deny);
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].license, "AGPL-3.0-only");
    assert_eq!(denied[0].category, Category::NetworkCopyleft);
    assert!(Licensing::new("LGPL-2.1-only").denied_by(&deny).is_empty());
    assert_eq!(Licensing::new("GPLv3").denied_by(&deny).len(), 1);
    // -or-later: a licence allowed at a later version satisfies it.
    let gpl3 = entries(&["GPL-3.0-only"]);
    assert!(Licensing::new("GPL-2.0-or-later").allowed_by(&gpl3));
    assert!(!Licensing::new("GPL-2.0-only").allowed_by(&gpl3));
    assert!(Entry::parse("nonsense words").is_err());
    assert!(Entry::parse("MIT OR Apache-2.0").is_err());
}

#[test]
fn terms_are_categorized() {
    let l = Licensing::new("(MIT OR GPL-2.0+) AND LicenseRef-own");
    let terms: Vec<(String, &str)> = l
        .terms()
        .into_iter()
        .map(|t| (t.license, t.category.as_str()))
        .collect();
    assert_eq!(
        terms,
        [
            ("MIT".to_owned(), "permissive"),
            ("GPL-2.0-or-later".to_owned(), "copyleft"),
            ("LicenseRef-own".to_owned(), "unknown"),
        ]
    );
}

#[test]
fn several_statements_all_apply() {
    let n = normalize_all(&["MIT", "Apache License 2.0"]);
    assert_eq!(
        (n.expression.as_str(), n.how.as_str()),
        ("MIT AND Apache-2.0", "named")
    );
    let n = normalize_all(&["MIT OR Apache-2.0", "see LICENSE"]);
    assert_eq!(
        n.expression,
        "(MIT OR Apache-2.0) AND LicenseRef-see-LICENSE"
    );
    assert_eq!(n.how, How::Unknown);
    assert_eq!(normalize_all(&[]).how, How::NoAssertion);
    assert_eq!(normalize_all(&["NOASSERTION", "MIT"]).expression, "MIT");
    let l = Licensing::of(normalize_all(&["GFDL-1.2", "GPL-2.0-only"]));
    assert_eq!(l.normalized.expression, "GFDL-1.2-only AND GPL-2.0-only");
    assert_eq!(l.terms().len(), 2);
}

#[test]
fn expressions_join() {
    assert_eq!(join(&["MIT", "Apache-2.0"], false), "MIT OR Apache-2.0");
    assert_eq!(
        join(&["MIT OR Apache-2.0", "Zlib", "Zlib"], true),
        "(MIT OR Apache-2.0) AND Zlib"
    );
    assert_eq!(join(&["MIT OR Apache-2.0"], true), "MIT OR Apache-2.0");
    assert_eq!(join::<&str>(&[], true), "");
}
