//! Property tests with a fixed seed: parsing never panics, and whatever parses is stable
//! through its canonical form; whatever builds parses back to the same purl.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use chainwatch_purl::{ParseMode, Purl};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn config() -> Config {
    Config {
        cases: 4096,
        rng_seed: RngSeed::Fixed(0x00c0_ffee),
        ..Config::default()
    }
}

/// Strings built from the characters that matter to a purl parser.
fn purlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("pkg:".to_owned()),
        Just("/".to_owned()),
        Just("@".to_owned()),
        Just("?".to_owned()),
        Just("&".to_owned()),
        Just("=".to_owned()),
        Just("#".to_owned()),
        Just("%".to_owned()),
        Just("%2F".to_owned()),
        Just("%40".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just(":".to_owned()),
        Just("é".to_owned()),
        prop::sample::select(vec![
            "npm", "pypi", "maven", "deb", "golang", "git", "cpan", "generic", "Npm"
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9_+ -]{1,6}",
    ];
    prop::collection::vec(piece, 0..14).prop_map(|v| v.concat())
}

fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._~:@+ %/é-]{1,8}"
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsing_never_panics_and_canonical_form_is_a_fixed_point(input in purlish()) {
        for mode in [ParseMode::Lenient, ParseMode::Strict] {
            if let Ok(purl) = Purl::parse_with(&input, mode) {
                let canonical = purl.to_string();
                let again = Purl::parse_strict(&canonical)
                    .unwrap_or_else(|e| panic!("canonical `{canonical}` of `{input}` fails: {e}"));
                prop_assert_eq!(&again, &purl);
                prop_assert_eq!(again.to_string(), canonical);
            }
        }
    }

    #[test]
    fn built_purls_parse_back_to_themselves(
        ty in prop::sample::select(vec!["npm", "pypi", "maven", "generic", "golang", "deb", "git", "swift"]),
        namespace in prop::option::of(segment()),
        name in segment(),
        version in prop::option::of(segment()),
        qualifiers in prop::collection::vec(("[a-z][a-z0-9._-]{0,5}", segment()), 0..3),
        subpath in prop::option::of(segment()),
    ) {
        let mut b = Purl::builder(ty, name);
        if let Some(ns) = namespace { b = b.namespace(ns); }
        if let Some(v) = version { b = b.version(v); }
        for (k, v) in qualifiers { b = b.qualifier(k, v); }
        if let Some(s) = subpath { b = b.subpath(s); }
        if let Ok(purl) = b.build() {
            let canonical = purl.to_string();
            let again = Purl::parse_strict(&canonical)
                .unwrap_or_else(|e| panic!("`{canonical}` does not parse: {e}"));
            prop_assert_eq!(again, purl);
        }
    }
}
