//! End-to-end tests of the `chainwatch` binary: output (insta snapshots) and exit codes.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn chainwatch(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CHAINWATCH_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chainwatch");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn inspect_purl_json_from_stdin() {
    let o = chainwatch(
        &["inspect", "purl", "--format", "json"],
        Some("pkg:PyPI/Django_Rest@1.0\npkg:npm/%40angular/core@17.0.0\nnot-a-purl\n"),
    );
    assert_eq!(o.status.code(), Some(2), "one input is invalid");
    insta::assert_snapshot!(stdout(&o), @r#"
    {"input":"pkg:PyPI/Django_Rest@1.0","canonical":"pkg:pypi/django-rest@1.0","type":"pypi","namespace":null,"name":"django-rest","version":"1.0","qualifiers":{},"subpath":null,"ecosystem":"PyPI"}
    {"input":"pkg:npm/%40angular/core@17.0.0","canonical":"pkg:npm/%40angular/core@17.0.0","type":"npm","namespace":"@angular","name":"core","version":"17.0.0","qualifiers":{},"subpath":null,"ecosystem":"npm"}
    {"input":"not-a-purl","error":"missing scheme: a purl starts with `pkg:`"}
    "#);
}

#[test]
fn inspect_purl_human_from_arguments() {
    let o = chainwatch(
        &[
            "inspect",
            "purl",
            "pkg:deb/debian/liblzma5@5.4.1-0.2?arch=amd64&distro=debian-12&upstream=xz-utils",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&o), @r"
    pkg:deb/debian/liblzma5@5.4.1-0.2?arch=amd64&distro=debian-12&upstream=xz-utils
      type       deb
      namespace  debian
      name       liblzma5
      version    5.4.1-0.2
      qualifier  arch=amd64
      qualifier  distro=debian-12
      qualifier  upstream=xz-utils
      identity   pkg:deb/debian/liblzma5
      ecosystem  Debian:12 `liblzma5`
    ");
}

#[test]
fn inspect_purl_quiet_prints_canonical_forms_only() {
    let o = chainwatch(
        &[
            "-q",
            "inspect",
            "purl",
            "pkg:Maven/org.Apache/Io@1",
            "pkg:x",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stdout(&o), @r"
    pkg:maven/org.Apache/Io@1
    error: `pkg:x`: missing name
    ");
    assert_eq!(stderr(&o), "");
}

#[test]
fn strict_mode_rejects_upper_case_qualifier_keys() {
    let purl = "pkg:rpm/fedora/curl@7.50.3-1.fc25?Arch=i386";
    assert_eq!(
        chainwatch(&["-q", "inspect", "purl", purl], None)
            .status
            .code(),
        Some(0)
    );
    let o = chainwatch(&["-q", "inspect", "purl", "--strict", purl], None);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stdout(&o), @"error: `pkg:rpm/fedora/curl@7.50.3-1.fc25?Arch=i386`: invalid qualifier key `Arch`: a key is lower case");
}

#[test]
fn usage_errors_exit_with_2() {
    let o = chainwatch(&["no-such-command"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unrecognized subcommand"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = chainwatch(&["completions", shell], None);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains("inspect"), "{shell}");
    }
}

#[test]
fn help_reads_like_a_manual() {
    let o = chainwatch(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for needle in ["inspect", "completions", "--db", "Exit status", "NO_COLOR"] {
        assert!(help.contains(needle), "help lacks {needle}");
    }
}

#[test]
fn version_cmp_from_arguments_and_lines() {
    let o = chainwatch(
        &["inspect", "version-cmp", "PyPI", "1.0.dev0", "1.0a0"],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "<\n");
    let o = chainwatch(
        &["inspect", "version-cmp"],
        Some(
            "Maven\t1.0\t1-ga\nDebian\t5.6.1+really5.4.5-1\t5.6.1-1\napk\t1.2_rc1\t1.2\nnpm\tbad\t1.0.0\nnope\t1\t2\n",
        ),
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "one version and one ecosystem are bad"
    );
    insta::assert_snapshot!(stdout(&o), @r"
    =
    >
    <
    error: `bad` is not a valid npm version: the major version is not a number
    error: unknown ecosystem or version scheme `nope`
    ");
}

#[test]
fn version_cmp_json() {
    let o = chainwatch(
        &[
            "inspect",
            "version-cmp",
            "--format",
            "json",
            "crates.io",
            "1.0.0-alpha",
            "1.0.0",
        ],
        None,
    );
    insta::assert_snapshot!(stdout(&o), @r#"{"a":"1.0.0-alpha","b":"1.0.0","ecosystem":"crates.io","result":"<"}"#);
}

#[test]
fn vers_contains_and_from_native() {
    let o = chainwatch(
        &[
            "inspect",
            "vers-contains",
            "vers:deb/>=5.6.0|<5.6.1+really5.4.5-1",
            "5.6.1-1",
        ],
        None,
    );
    assert_eq!(stdout(&o), "true\n");
    let o = chainwatch(
        &["inspect", "vers-contains"],
        Some("vers:pypi/>=1.0|<2.0\t2.0rc1\nvers:pypi/>=1.0|<2.0\t2.0\n"),
    );
    assert_eq!(stdout(&o), "true\nfalse\n");
    let o = chainwatch(
        &["inspect", "vers-from-native", "npm", "^1.2.3 || >=2.0.1"],
        None,
    );
    assert_eq!(stdout(&o), "vers:npm/>=1.2.3|<2.0.0|>=2.0.1\n");
    let o = chainwatch(
        &["inspect", "vers-from-native", "npm", "^not a range"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error: invalid npm range"),
        "{}",
        stderr(&o)
    );
}
