//! Matching: a hand-written scenario covering each rule (names normalized per ecosystem,
//! pre-releases, withdrawn records, malicious packages, distribution source packages and
//! releases, `last_affected`, several introduced/fixed pairs, CVSS v3/v4 and qualitative
//! severities, aliases), and every real OSV record of the shared corpus loaded and indexed.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};

use chainwatch_advisory::{Level, load};
use chainwatch_match::{AdvisoryIndex, Via};
use chainwatch_purl::Purl;

fn scenario() -> AdvisoryIndex {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenario.json");
    let loaded = load::load_paths(&[path]);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    AdvisoryIndex::from_records(loaded.records)
}

fn ids(index: &AdvisoryIndex, purl: &str) -> Vec<String> {
    index
        .matches(&Purl::parse(purl).unwrap())
        .into_iter()
        .map(|f| f.advisory)
        .collect()
}

#[test]
fn each_rule() {
    let index = scenario();
    // PEP 503: `Zope.Interface` is `zope-interface`; 5.0b1 < 5.0rc1 (fixed).
    assert_eq!(ids(&index, "pkg:pypi/zope.interface@5.0b1"), ["PYSEC-0001"]);
    assert!(ids(&index, "pkg:pypi/zope-interface@5.0").is_empty());
    // Withdrawn: never.
    assert!(ids(&index, "pkg:npm/left-pad@1.3.0").is_empty());
    // Malicious, by explicit versions.
    let mal = index.matches(&Purl::parse("pkg:npm/crossenv@1.0.1").unwrap());
    assert!(mal[0].malicious);
    assert!(ids(&index, "pkg:npm/crossenv@1.0.2").is_empty());
    // Debian: the binary package liblzma5 through its source package, in release 13 only.
    let lzma = "pkg:deb/debian/liblzma5@5.6.0-0.2?arch=amd64&distro=debian-13&upstream=xz-utils";
    let f = index.matches(&Purl::parse(lzma).unwrap());
    assert_eq!(f[0].advisory, "DEBIAN-CVE-2024-3094");
    assert_eq!(f[0].via, Via::Upstream);
    assert_eq!(f[0].aliases, ["CVE-2024-3094"]);
    assert!(
        ids(
            &index,
            "pkg:deb/debian/liblzma5@5.6.0-0.2?distro=debian-12&upstream=xz-utils"
        )
        .is_empty()
    );
    assert!(
        ids(
            &index,
            "pkg:deb/debian/liblzma5@5.6.1%2Breally5.4.5-1?distro=debian-13&upstream=xz-utils"
        )
        .is_empty()
    );
    // last_affected is inclusive.
    assert_eq!(
        ids(&index, "pkg:maven/org.example/widget@1.4.2"),
        ["GHSA-lsta-ffct-0001"]
    );
    assert!(ids(&index, "pkg:maven/org.example/widget@1.4.3").is_empty());
    // Two introduced/fixed pairs; Go versions with the `v` prefix.
    assert_eq!(
        ids(&index, "pkg:golang/github.com/example/mod@v2.0.4"),
        ["GO-2024-0001"]
    );
    assert!(ids(&index, "pkg:golang/github.com/example/mod@v1.5.0").is_empty());
    let smallvec = index.matches(&Purl::parse("pkg:cargo/smallvec@1.6.0").unwrap());
    assert_eq!(smallvec[0].fixed_in, ["0.6.14", "1.6.1"]);
    // Severities: CVSS v3 and v4 scores, GHSA's qualitative rating.
    let sev = |purl: &str| {
        index.matches(&Purl::parse(purl).unwrap())[0]
            .severity
            .clone()
            .unwrap()
    };
    assert_eq!(sev("pkg:pypi/zope-interface@4.0").score, Some(9.8));
    assert_eq!(sev("pkg:cargo/smallvec@1.0.0").score, Some(9.3));
    assert_eq!(sev("pkg:maven/org.example/widget@1.0").level, Level::Medium);
    // Without a version nothing matches.
    assert!(ids(&index, "pkg:pypi/zope-interface").is_empty());
    // Aliases find the record; the broken one is reported, not fatal.
    assert_eq!(index.lookup("cve-2024-0001")[0].id, "PYSEC-0001");
    assert_eq!(index.lookup("GHSA-aaaa-bbbb-cccc")[0].id, "PYSEC-0001");
    assert!(
        index
            .problems()
            .iter()
            .any(|p| p.advisory == "OSV-BROKEN-1")
    );
}

/// Every OSV record of the shared corpus loads and indexes without a panic; the complete
/// `RustSec` export has 1,206 records.
#[test]
fn corpus_records() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let osv = corpus.join("osv");
    let dirs: Vec<PathBuf> = std::fs::read_dir(&osv)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    let loaded = load::load_paths(&dirs);
    let index = AdvisoryIndex::from_records(loaded.records.clone());
    assert!(index.len() > 1300, "{}", index.len());
    for p in index.problems().iter().take(20) {
        eprintln!("{} {}: {}", p.advisory, p.pointer, p.message);
    }
    for p in loaded.problems.iter().take(20) {
        eprintln!("{}: {}", p.path.display(), p.message);
    }
    let rustsec = load::load_paths(&[osv.join("rustsec-full")]);
    assert_eq!(rustsec.records.len(), 1206);
    assert!(
        rustsec.problems.is_empty(),
        "{:?}",
        &rustsec.problems[..3.min(rustsec.problems.len())]
    );
    // The xz backdoor, Log4Shell: found by any identifier.
    assert!(!index.lookup("CVE-2021-44228").is_empty());

    // GO-2021-0113 rates nothing; its alias GHSA-ppp9-7jff-5vj2 (same package) says
    // 7.5: one finding, under the Go database's id, rated from the alias.
    let text = index.matches(&Purl::parse("pkg:golang/golang.org/x/text@v0.3.6").unwrap());
    let f: Vec<_> = text
        .iter()
        .filter(|f| f.advisory == "GO-2021-0113" || f.aliases.iter().any(|a| a == "GO-2021-0113"))
        .collect();
    assert_eq!(f.len(), 1, "{text:#?}");
    assert_eq!(f[0].advisory, "GO-2021-0113");
    assert!(f[0].aliases.contains(&"GHSA-ppp9-7jff-5vj2".to_owned()));
    let severity = f[0].severity.as_ref().unwrap();
    assert_eq!((severity.level, severity.score), (Level::High, Some(7.5)));
    assert_eq!(f[0].severity_from.as_deref(), Some("GHSA-ppp9-7jff-5vj2"));
    assert!(!text.iter().any(|f| f.advisory == "GHSA-ppp9-7jff-5vj2"));

    // PYSEC records have no summary: the details' first sentence stands in.
    let jinja = index.matches(&Purl::parse("pkg:pypi/jinja2@2.11.2").unwrap());
    let pysec = jinja
        .iter()
        .find(|f| f.advisory == "PYSEC-2021-66" || f.aliases.iter().any(|a| a == "PYSEC-2021-66"))
        .unwrap();
    assert!(pysec.summary.is_some(), "{pysec:#?}");

    // Every finding on the corpus's packages: how many no record rates, before and after
    // looking at the aliases (no finding is left unrated that an alias rates).
    let mut unrated = 0;
    let mut total = 0;
    for r in index.records() {
        for a in &r.affected {
            let (Some(p), Some(v)) = (&a.package, a.versions.first()) else {
                continue;
            };
            let Some(purl) = p.purl.as_deref() else {
                continue;
            };
            let Ok(purl) = Purl::parse(&format!("{purl}@{v}")) else {
                continue;
            };
            for f in index.matches(&purl) {
                total += 1;
                if f.severity.is_none() {
                    unrated += 1;
                    for other in index.lookup(&f.advisory) {
                        assert!(
                            other.id == f.advisory
                                || !f.aliases.contains(&other.id)
                                || other.severity().is_none(),
                            "{} is unrated although its alias {} is rated",
                            f.advisory,
                            other.id
                        );
                    }
                }
            }
        }
    }
    eprintln!("{unrated} of {total} findings unrated");
    assert!(total >= 40, "{total}");
}
