//! Property tests with a fixed seed: for every scheme, whatever parses is ordered totally
//! (antisymmetric and transitive, equality consistent) and reparses to an equal version.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::cmp::Ordering;

use chainwatch_version::{Scheme, Version};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn config() -> Config {
    Config {
        cases: 3000,
        rng_seed: RngSeed::Fixed(0x5eed_cafe),
        ..Config::default()
    }
}

/// Version-like strings built from the pieces version schemes care about.
fn versionish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[0-9]{1,3}",
        1 => Just("0".to_owned()),
        1 => Just("00".to_owned()),
        2 => Just(".".to_owned()),
        1 => Just("-".to_owned()),
        1 => Just("+".to_owned()),
        1 => Just("~".to_owned()),
        1 => Just("^".to_owned()),
        1 => Just("_".to_owned()),
        1 => Just(":".to_owned()),
        2 => prop::sample::select(vec![
            "a", "b", "rc", "alpha", "beta", "pre", "dev", "post", "final", "ga", "sp", "snapshot",
            "p", "pl", "r", "git", "cvs", "M", "RC", "x", "A", "z",
        ])
        .prop_map(str::to_owned),
        1 => Just("99999999999999999999999".to_owned()),
    ];
    ("[0-9]{1,2}", prop::collection::vec(piece, 0..8))
        .prop_map(|(first, rest)| first + &rest.concat())
}

fn check_total_order(scheme: Scheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    let (Ok(va), Ok(vb), Ok(vc)) = (
        Version::parse(scheme, a),
        Version::parse(scheme, b),
        Version::parse(scheme, c),
    ) else {
        return Ok(());
    };
    prop_assert_eq!(
        va.cmp(&vb),
        vb.cmp(&va).reverse(),
        "{}: {} vs {}",
        scheme,
        a,
        b
    );
    prop_assert_eq!(va.cmp(&va), Ordering::Equal, "{}: {} vs itself", scheme, a);
    let mut sorted = [&va, &vb, &vc];
    sorted.sort();
    prop_assert!(
        sorted[0] <= sorted[2],
        "{}: not transitive on {} {} {}",
        scheme,
        a,
        b,
        c
    );
    prop_assert!(sorted[0] <= sorted[1] && sorted[1] <= sorted[2]);
    // Parse, display, parse: an equal version.
    let again = Version::parse(scheme, &va.to_string()).unwrap();
    prop_assert_eq!(again.cmp(&va), Ordering::Equal);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_scheme_orders_totally(a in versionish(), b in versionish(), c in versionish()) {
        for &scheme in Scheme::ALL {
            check_total_order(scheme, &a, &b, &c)?;
        }
    }

    #[test]
    fn transitivity_on_sorted_triples(a in versionish(), b in versionish(), c in versionish()) {
        for &scheme in Scheme::ALL {
            let (Ok(va), Ok(vb), Ok(vc)) = (Version::parse(scheme, &a), Version::parse(scheme, &b), Version::parse(scheme, &c)) else {
                continue;
            };
            if va <= vb && vb <= vc {
                prop_assert!(va <= vc, "{}: {} <= {} <= {} but not {} <= {}", scheme, a, b, c, a, c);
            }
            if va == vb && vb == vc {
                prop_assert!(va == vc, "{}: equality not transitive on {} {} {}", scheme, a, b, c);
            }
        }
    }
}

/// Regression: a legacy PyPI version with a multi-byte character panicked (found by
/// fuzzing: slicing inside a UTF-8 sequence).
#[test]
fn legacy_pypi_version_with_non_ascii_characters() {
    let v = Version::parse(Scheme::Pypi, "\u{127}x1").unwrap();
    assert!(v < Version::parse(Scheme::Pypi, "0").unwrap());
}

/// Regression: Maven's own comparison is not transitive (`1-rc < 1 < 1.foo.2` yet
/// `1.foo.2 < 1-rc`), which made sorting panic; `cmp` is a total refinement, `tool_cmp` is
/// Maven's answer.
#[test]
fn maven_sorts_totally_and_matches_like_maven() {
    let v = |s| Version::parse(Scheme::Maven, s).unwrap();
    let (rc, release, foo) = (v("1-rc"), v("1"), v("1.foo.2"));
    assert!(rc < release && release < foo && rc < foo);
    assert_eq!(foo.tool_cmp(&rc), Ordering::Less, "Maven's own answer");
    let mut all = vec![foo.clone(), release.clone(), rc.clone()];
    all.sort();
    assert_eq!(all, vec![rc, release, foo]);
}

/// Regression: pacman ignores a missing release (`1.5 = 1.5-1`), which is not a total
/// order; sorting puts the release-less version first.
#[test]
fn alpm_release_wildcard() {
    let v = |s| Version::parse(Scheme::Alpm, s).unwrap();
    assert_eq!(v("1.5").tool_cmp(&v("1.5-1")), Ordering::Equal);
    assert!(v("1.5") < v("1.5-1") && v("1.5-1") < v("1.5-2"));
}
