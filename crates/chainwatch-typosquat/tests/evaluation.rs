//! The evaluation: publicly reported typo-squats (and the corpus's typosquat `MAL-`
//! records) must be caught with the imitated package named; legitimate but less popular
//! packages and the dependency names of real SBOMs must not be. The popular lists are
//! the corpus's (npm 8,000, PyPI 15,000, Go, RubyGems) merged after the built-in list.

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    clippy::cast_precision_loss,
    reason = "test"
)]

use std::path::Path;

use chainwatch_typosquat::{Detector, Ecosystem, Popular, normalize};

fn corpus_list(corpus: &Path, ecosystem: Ecosystem) -> Option<Popular> {
    let file = match ecosystem {
        Ecosystem::Npm => "guarddog/top_npm_packages.json",
        Ecosystem::PyPi => "pypi-hugovk/top-pypi-packages-30-days.min.json",
        Ecosystem::Go => "guarddog/top_go_packages.json",
        Ecosystem::RubyGems => "guarddog/top_rubygems_packages.json",
        _ => return None,
    };
    Some(Popular::parse(&std::fs::read(corpus.join("popular").join(file)).unwrap()).unwrap())
}

fn detector(corpus: &Path, ecosystem: Ecosystem, top: Option<usize>) -> Detector {
    let mut popular = Popular::builtin(ecosystem);
    if let Some(list) = corpus_list(corpus, ecosystem) {
        popular.merge(&top.map_or_else(|| list.clone(), |n| list.top(n)));
    }
    Detector::new(ecosystem, &popular)
}

#[test]
fn reported_incidents_are_caught() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/incidents.tsv"),
    )
    .unwrap();
    let mut detectors = std::collections::HashMap::new();
    let (mut total, mut caught) = (0, 0);
    let mut misses = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        let (name, target, eco) = (f[0], f[1], f[2].parse::<Ecosystem>().unwrap());
        let d = detectors
            .entry(eco)
            .or_insert_with(|| detector(&corpus, eco, None));
        total += 1;
        let v = d.check(name);
        let right = v.suspect
            && v.imitates.as_deref().map(|i| normalize(eco, i)) == Some(normalize(eco, target));
        if right {
            caught += 1;
        } else {
            misses.push(format!(
                "{eco} {name} (imitates {target}): {:?} {:?}",
                v.imitates, v.technique
            ));
        }
    }
    let recall = f64::from(caught) / f64::from(total);
    eprintln!("recall {caught}/{total} = {recall:.3}; misses: {misses:#?}");
    assert!(recall >= 0.9, "recall {recall:.3}: {misses:#?}");
}

/// Legitimate packages ranked below the top of the same list, checked against the top.
#[test]
fn less_popular_packages_are_not_flagged() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    for (eco, top, range) in [
        (Ecosystem::PyPi, 5_000, 5_000..15_000),
        // guarddog's npm list has 8,000 entries but 5,247 distinct names.
        (Ecosystem::Npm, 4_000, 4_000..8_000),
    ] {
        let list = corpus_list(&corpus, eco).unwrap();
        let d = detector(&corpus, eco, Some(top));
        let names = &list.names()[range.start..range.end.min(list.len())];
        let flagged: Vec<String> = names
            .iter()
            .map(|n| d.check(n))
            .filter(|v| v.suspect)
            .map(|v| {
                format!(
                    "{} ~ {} ({})",
                    v.name,
                    v.imitates.unwrap_or_default(),
                    v.technique.map_or("", |t| t.as_str())
                )
            })
            .collect();
        let rate = flagged.len() as f64 / names.len() as f64;
        eprintln!(
            "{eco}: {} of {} flagged ({:.2}%); sample: {:#?}",
            flagged.len(),
            names.len(),
            rate * 100.0,
            &flagged[..flagged.len().min(25)]
        );
        assert!(rate <= 0.01, "{eco}: false-positive rate {rate:.4}");
    }
}
