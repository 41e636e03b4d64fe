//! Properties with fixed seeds: any bytes as an archive and any text as source never
//! panic, and entries never escape the package.

use chainwatch_audit::archive::read_bytes;
use chainwatch_audit::{Limits, Options, audit_contents, checks, lex};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn runner() -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases: 512,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    )
}

/// Source-like text: the characters the tokenizer treats specially, often.
fn source() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\"".to_owned()),
            Just("'".to_owned()),
            Just("`".to_owned()),
            Just("${".to_owned()),
            Just("}".to_owned()),
            Just("\\x".to_owned()),
            Just("\\u{".to_owned()),
            Just("/*".to_owned()),
            Just("//".to_owned()),
            Just("#".to_owned()),
            Just("r#\"".to_owned()),
            Just("%q(".to_owned()),
            Just("'''".to_owned()),
            Just("\n".to_owned()),
            Just("eval(".to_owned()),
            Just("require(".to_owned()),
            Just("import os\n".to_owned()),
            Just("process.env".to_owned()),
            Just("é\u{202E}\u{3164}".to_owned()),
            "[a-z_.()=\\[\\], 0-9]{0,12}",
        ],
        0..64,
    )
    .prop_map(|parts| parts.concat())
}

#[test]
fn any_source_is_tokenized_and_checked() {
    runner()
        .run(&source(), |text| {
            for (path, lang) in [
                ("a.js", lex::Lang::Js),
                ("a.py", lex::Lang::Python),
                ("a.rb", lex::Lang::Ruby),
                ("a.rs", lex::Lang::Rust),
                ("a.sh", lex::Lang::Shell),
            ] {
                let tokens = lex::tokenize(&text, lang);
                for t in &tokens {
                    prop_assert!(t.start <= t.end && (t.end as usize) <= text.len());
                }
                let _ = checks::check_source(path, lang, text.as_bytes());
                let _ = checks::check_install_code(path, lang, text.as_bytes());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_bytes_as_an_archive() {
    let limits = Limits {
        max_total: 1 << 20,
        ratio_floor: 1 << 16,
        max_entries: 64,
        ..Limits::default()
    };
    // Random bytes behind each archive's magic, so that every reader is reached.
    let magics: Vec<Vec<u8>> = vec![
        b"PK\x03\x04".to_vec(),
        vec![0x1f, 0x8b, 8, 0],
        b"BZh9".to_vec(),
        vec![0xfd, b'7', b'z', b'X', b'Z', 0],
        vec![0x28, 0xb5, 0x2f, 0xfd],
        Vec::new(),
    ];
    runner()
        .run(
            &(
                0..magics.len(),
                proptest::collection::vec(any::<u8>(), 0..2048),
            ),
            |(m, tail)| {
                let mut data = magics[m].clone();
                data.extend(tail);
                if let Ok(contents) = read_bytes("p", &data, &limits) {
                    for e in &contents.entries {
                        prop_assert!(
                            !e.path.starts_with('/') && !e.path.split('/').any(|p| p == "..")
                        );
                    }
                    let _ = audit_contents("p", &contents, &Options::default());
                }
                Ok(())
            },
        )
        .unwrap();
}

/// Build-script-like text: `tr` sets with escapes and ranges, content searches with
/// patterns that may not compile, pipes into shells.
fn build_script() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("tr \"".to_owned()),
            Just("tr '".to_owned()),
            Just("\" \"".to_owned()),
            Just("' '".to_owned()),
            Just("\\".to_owned()),
            Just("\\377".to_owned()),
            Just("-".to_owned()),
            Just("[".to_owned()),
            Just("grep -aErls \"".to_owned()),
            Just("{4}".to_owned()),
            Just("(".to_owned()),
            Just("| $SHELL".to_owned()),
            Just("xz -d".to_owned()),
            Just(">> Makefile".to_owned()),
            Just(" $srcdir/tests/files/a.xz ".to_owned()),
            Just("\n".to_owned()),
            "[ -~]{0,6}",
        ],
        0..64,
    )
    .prop_map(|parts| parts.concat())
}

#[test]
fn build_scripts_and_releases_never_panic() {
    runner()
        .run(&build_script(), |text| {
            for path in ["configure", "m4/x.m4", "Makefile.am"] {
                for finding in chainwatch_audit::release::read_build_script(path, &text) {
                    prop_assert_eq!(finding.path.as_str(), path);
                }
            }
            let mut contents = chainwatch_audit::Contents::default();
            contents.entries.push(chainwatch_audit::Entry {
                path: "m4/x.m4".to_owned(),
                size: text.len() as u64,
                data: text.clone().into_bytes(),
                link: None,
                executable: false,
            });
            contents.entries.push(chainwatch_audit::Entry {
                path: "tests/files/a.xz".to_owned(),
                size: text.len() as u64,
                data: text.into_bytes(),
                link: None,
                executable: false,
            });
            let _ = chainwatch_audit::release::compare("p", &contents, None);
            Ok(())
        })
        .unwrap();
}
