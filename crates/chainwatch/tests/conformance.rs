//! Conversions checked by validators chainwatch did not write: every SBOM of the corpus
//! (the SPDX and real-world documents, and CycloneDX's own `valid-*` test resources) is
//! converted to each output format, and the inputs and the outputs are validated by
//! spdx-tools, spdx-python-model and cyclonedx-python-lib (`scripts/validate_sboms.py`, in
//! the environment `scripts/services.sh` makes). Every output of an input the validators
//! call valid must be valid.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Larger documents take spdx-tools minutes each.
const MAX_INPUT: u64 = 256 * 1024;

const OUTPUTS: [(&str, &str, &str); 5] = [
    ("spdx-json", "spdx.json", "spdx"),
    ("spdx-tv", "spdx", "spdx"),
    ("spdx3-jsonld", "spdx3.json", "spdx3"),
    ("cyclonedx-json", "cdx.json", "cyclonedx-json"),
    ("cyclonedx-xml", "cdx.xml", "cyclonedx-xml"),
];

fn inputs(corpus: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![
        corpus.join("spdx"),
        corpus.join("real-sboms"),
        corpus.join("cyclonedx-spec/test-resources"),
    ];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let ext = name.rsplit('.').next().unwrap_or_default();
            if !matches!(
                ext,
                "json" | "xml" | "rdf" | "spdx" | "yaml" | "yml" | "jsonld"
            ) {
                continue;
            }
            // CycloneDX's invalid test resources are invalid on purpose.
            if p.starts_with(corpus.join("cyclonedx-spec")) && !name.starts_with("valid-") {
                continue;
            }
            if e.metadata().is_ok_and(|m| m.len() <= MAX_INPUT) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// How the validators read an input, when they can.
fn kind(path: &Path) -> Option<&'static str> {
    let bytes = std::fs::read(path).ok()?;
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]);
    if head.contains("spdx.org/rdf/terms") && head.contains("22-rdf-syntax-ns") {
        // SPDX RDF/XML; spdx-tools reads it by its `.rdf`/`.rdf.xml` extension.
        let name = path.to_string_lossy();
        let rdf = name.ends_with(".rdf") || name.ends_with(".rdf.xml");
        // The version may come after pages of licence text.
        let all = String::from_utf8_lossy(&bytes);
        return (rdf && (all.contains(">SPDX-2.2<") || all.contains(">SPDX-2.3<")))
            .then_some("spdx");
    }
    if head.contains("spdxVersion") || head.contains("SPDXVersion") {
        if head.contains("SPDX-2.2") || head.contains("SPDX-2.3") {
            return Some("spdx");
        }
        return None;
    }
    if head.contains("spdx.org/rdf/3.0.1/spdx-context.jsonld") {
        return Some("spdx3");
    }
    if head.contains("\"bomFormat\"") {
        return Some("cyclonedx-json");
    }
    if head.contains("cyclonedx.org/schema/bom/") {
        return Some("cyclonedx-xml");
    }
    None
}

#[derive(Debug, Default)]
struct Tally {
    outputs: usize,
    valid: usize,
    of_valid_inputs: usize,
    valid_of_valid_inputs: usize,
}

#[test]
fn outputs_are_valid_for_independent_validators() {
    let Some(corpus) = chainwatch_testkit::corpus() else {
        return;
    };
    let Some(python) = chainwatch_testkit::peer_tool("python") else {
        return;
    };
    let script = chainwatch_testkit::workspace_root().join("scripts/validate_sboms.py");
    let dir = tempfile::tempdir().unwrap();
    let inputs = inputs(&corpus);
    assert!(inputs.len() > 700, "{}", inputs.len());

    // Every conversion chainwatch accepts, two at a time.
    let jobs: Vec<(usize, usize)> = (0..inputs.len())
        .flat_map(|i| (0..OUTPUTS.len()).map(move |f| (i, f)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let converted: Vec<(usize, usize, PathBuf)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(i, f)) = jobs.get(j) else { break };
                        let out = dir.path().join(format!("{i}.{}", OUTPUTS[f].1));
                        let status = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
                            .args(["-q", "sbom", "convert"])
                            .arg(&inputs[i])
                            .args(["--to", OUTPUTS[f].0, "-o"])
                            .arg(&out)
                            .stdout(Stdio::null())
                            .stderr(Stdio::null())
                            .status()
                            .unwrap();
                        if status.success() {
                            done.push((i, f, out));
                        }
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });

    // The inputs and the outputs, validated in one run of the validators.
    let mut list = String::new();
    let mut input_kinds = BTreeMap::new();
    for (i, p) in inputs.iter().enumerate() {
        if let Some(k) = kind(p) {
            input_kinds.insert(i, k);
            let _ = writeln!(list, "{k}\t{}", p.display());
        }
    }
    for (_, f, out) in &converted {
        let _ = writeln!(list, "{}\t{}", OUTPUTS[*f].2, out.display());
    }
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the validators failed to run");
    let mut verdicts: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        verdicts.insert(
            v["path"].as_str().unwrap().to_owned(),
            (
                v["verdict"].as_str().unwrap().to_owned(),
                v["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m.as_str().unwrap_or_default().to_owned())
                    .collect(),
            ),
        );
    }
    let input_valid = |i: usize| {
        input_kinds.contains_key(&i)
            && verdicts
                .get(&inputs[i].display().to_string())
                .is_some_and(|(v, _)| v == "valid")
    };

    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, f, out) in &converted {
        let (verdict, messages) = &verdicts[&out.display().to_string()];
        let t = tally.entry(OUTPUTS[*f].0).or_default();
        t.outputs += 1;
        let ok = verdict == "valid";
        t.valid += usize::from(ok);
        if input_valid(*i) {
            t.of_valid_inputs += 1;
            t.valid_of_valid_inputs += usize::from(ok);
            if !ok {
                failures.push(format!(
                    "{} → {}: {verdict}: {}",
                    inputs[*i].strip_prefix(&corpus).unwrap().display(),
                    OUTPUTS[*f].0,
                    messages.join(" | ")
                ));
            }
        }
    }
    let valid_inputs = (0..inputs.len()).filter(|&i| input_valid(i)).count();
    eprintln!(
        "{} inputs ({} the validators read, {valid_inputs} valid)",
        inputs.len(),
        input_kinds.len()
    );
    eprintln!("| output | valid / converted | valid / converted from valid inputs |");
    eprintln!("|---|---:|---:|");
    for (name, t) in &tally {
        eprintln!(
            "| {name} | {} / {} | {} / {} |",
            t.valid, t.outputs, t.valid_of_valid_inputs, t.of_valid_inputs
        );
    }
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} outputs of valid inputs are invalid:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
