//! `chainwatch audit model` over model files made with the real libraries
//! (scripts/model-fixtures.sh): every malicious variant caught, no clean checkpoint
//! flagged, the JSON contract, exit statuses, SARIF, and unusable input.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn chainwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The fixture files (made once per test run; Python and PyPI are needed, and with
/// CI=true their absence fails).
fn fixtures() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = chainwatch_testkit::workspace_root();
        let out = root.join("target/model-data");
        let status = Command::new("bash")
            .arg(root.join("scripts/model-fixtures.sh"))
            .arg(&out)
            .stdin(Stdio::null())
            .status();
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        match status {
            Ok(s) if s.success() => Some(out),
            other => {
                assert!(
                    !in_ci,
                    "scripts/model-fixtures.sh failed ({other:?}) and CI=true"
                );
                eprintln!("skipped: scripts/model-fixtures.sh failed ({other:?})");
                None
            }
        }
    })
    .as_deref()
}

fn rows(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
        .as_array()
        .unwrap()
        .clone()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

/// The rules that fired on each file, as `file: rule:severity …` lines.
fn verdicts(dir: &Path) -> String {
    let mut lines = Vec::new();
    for file in files(dir) {
        let o = chainwatch(&["audit", "model", file.to_str().unwrap(), "--format", "json"]);
        let mut rules: Vec<String> = rows(&o)
            .iter()
            .map(|r| {
                let member = r["path"]
                    .as_str()
                    .unwrap()
                    .split_once('!')
                    .map(|(_, m)| format!("!{m}"))
                    .unwrap_or_default();
                format!(
                    "{}:{}{member}",
                    r["rule"].as_str().unwrap(),
                    r["severity"].as_str().unwrap()
                )
            })
            .collect();
        rules.sort();
        lines.push(format!(
            "{} [exit {}] {}",
            file.file_name().unwrap().to_string_lossy(),
            o.status.code().unwrap_or(-1),
            rules.join(" ")
        ));
    }
    lines.join("\n")
}

#[test]
fn every_malicious_variant_is_caught() {
    let Some(dir) = fixtures() else { return };
    insta::assert_snapshot!(verdicts(&dir.join("malicious")));
}

#[test]
fn clean_checkpoints_raise_nothing() {
    let Some(dir) = fixtures() else { return };
    let clean = dir.join("clean");
    let o = chainwatch(&[
        "audit",
        "model",
        clean.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(rows(&o), Vec::<serde_json::Value>::new());
    // Each format is recognized by content.
    let o = chainwatch(&["-v", "audit", "model", clean.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    for format in [
        "(torch-zip,",
        "(torch-legacy,",
        "(safetensors,",
        "(gguf,",
        "(numpy,",
        "(npz,",
        "(joblib,",
        "(pickle,",
        "(hdf5,",
        "(keras,",
    ] {
        assert!(text.contains(format), "{format} missing in\n{text}");
    }
    assert!(text.contains("tokenizer.chat_template: {% for message in messages %}"));
}

#[test]
fn the_json_contract_and_sarif() {
    let Some(dir) = fixtures() else { return };
    let file = dir.join("malicious/resnet-system.pt");
    let o = chainwatch(&["audit", "model", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let rows = rows(&o);
    let row = &rows[0];
    assert_eq!(row["rule"], "pickle-dangerous-import");
    assert_eq!(row["severity"], "critical");
    assert_eq!(
        row["path"],
        format!("{}!archive/data.pkl", file.display()).as_str()
    );
    assert!(row["line"].as_u64().unwrap() > 0, "the opcode offset");
    assert_eq!(
        row["evidence"],
        "posix.system('echo chainwatch-model-fixture')"
    );
    assert!(row["message"].as_str().unwrap().contains("`posix.system`"));

    let o = chainwatch(&[
        "audit",
        "model",
        file.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "pickle-dangerous-import");
    assert_eq!(result["level"], "error");
    assert!(result["locations"][0]["physicalLocation"]["region"]["byteOffset"].is_u64());

    // --fail-on and --min-severity.
    let custom = dir.join("malicious/custom-object.keras");
    let o = chainwatch(&["audit", "model", custom.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a medium finding passes by default"
    );
    let o = chainwatch(&[
        "audit",
        "model",
        custom.to_str().unwrap(),
        "--fail-on",
        "medium",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = chainwatch(&[
        "audit",
        "model",
        custom.to_str().unwrap(),
        "--min-severity",
        "high",
        "--format",
        "json",
    ]);
    assert_eq!(self::rows(&o).len(), 0);
}

#[test]
fn unusable_and_malformed_input_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let o = chainwatch(&["audit", "model", text.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is not a model file"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = chainwatch(&[
        "audit",
        "model",
        dir.path().join("missing.pt").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    // A directory without models.
    let o = chainwatch(&["audit", "model", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    // A cut-short clean pickle: malformed, nothing dangerous.
    let cut = dir.path().join("cut.pkl");
    std::fs::write(
        &cut,
        b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a",
    )
    .unwrap();
    let o = chainwatch(&["audit", "model", cut.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(rows(&o)[0]["rule"], "model-malformed");
    // A safetensors header claiming more than the file holds.
    let st = dir.path().join("big.safetensors");
    let mut bytes = 1_000_000u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    std::fs::write(&st, bytes).unwrap();
    let o = chainwatch(&["audit", "model", st.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn hostile_pickles_cost_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 2 MiB of MARKs then an unknown opcode; and a memo bomb: one list fetched from
    // the memo and appended to over and over.
    let marks = dir.path().join("marks.pkl");
    let mut bytes = b"\x80\x02".to_vec();
    bytes.extend(std::iter::repeat_n(b'(', 2 << 20));
    std::fs::write(&marks, &bytes).unwrap();
    let o = chainwatch(&[
        "audit",
        "model",
        marks.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let bomb = dir.path().join("bomb.pkl");
    let mut bytes = b"\x80\x02]q\x00".to_vec();
    for _ in 0..200_000 {
        bytes.extend_from_slice(b"h\x00h\x00a");
    }
    bytes.push(b'.');
    std::fs::write(&bomb, &bytes).unwrap();
    let o = chainwatch(&["audit", "model", bomb.to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
