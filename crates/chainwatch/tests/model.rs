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

/// A Hugging Face hub cache as `huggingface_hub` lays it out: a model (weights stored
/// through LFS, so named by their SHA-256; config and card as ordinary blobs) and a
/// dataset, each with `refs/main` and one snapshot of links into `blobs/`.
fn hub_cache(root: &Path) {
    use sha2::Digest;
    let repo = |dir: &str, rev: &str, files: &[(&str, &[u8], bool)]| {
        let base = root.join(dir);
        std::fs::create_dir_all(base.join("refs")).unwrap();
        std::fs::create_dir_all(base.join("blobs")).unwrap();
        std::fs::create_dir_all(base.join("snapshots").join(rev)).unwrap();
        std::fs::write(base.join("refs/main"), rev).unwrap();
        for (i, (name, bytes, lfs)) in files.iter().enumerate() {
            let blob = if *lfs {
                sha2::Sha256::digest(bytes)
                    .iter()
                    .fold(String::new(), |mut s, b| {
                        use std::fmt::Write as _;
                        let _ = write!(s, "{b:02x}");
                        s
                    })
            } else {
                format!("{:040x}", i + 1)
            };
            std::fs::write(base.join("blobs").join(&blob), bytes).unwrap();
            std::os::unix::fs::symlink(
                format!("../../blobs/{blob}"),
                base.join("snapshots").join(rev).join(name),
            )
            .unwrap();
        }
    };
    let card = b"---\nlicense: apache-2.0\nbase_model: google-bert/bert-base-uncased\ndatasets:\n- acme/reviews\nlanguage: [en, de]\npipeline_tag: text-classification\nlibrary_name: transformers\nmodel-index:\n- name: tiny-bert\n  results:\n  - task: {type: text-classification}\n    dataset: {name: Acme reviews, type: acme/reviews}\n    metrics:\n    - {type: accuracy, value: 0.91}\n---\n# tiny-bert\n";
    let config = br#"{"architectures": ["BertForSequenceClassification"], "model_type": "bert"}"#;
    let mut weights = 8u64.to_le_bytes().to_vec();
    weights.extend_from_slice(b"{}      ");
    repo(
        "models--acme--tiny-bert",
        "0123456789abcdef0123456789abcdef01234567",
        &[
            ("config.json", config, false),
            ("README.md", card, false),
            ("model.safetensors", &weights, true),
        ],
    );
    repo(
        "datasets--acme--reviews",
        "89abcdef0123456789abcdef0123456789abcdef",
        &[("README.md", b"---\nlicense: cc-by-4.0\n---\n", false)],
    );
    // A link out of the repository is listed, never read.
    std::os::unix::fs::symlink(
        "/etc/hostname",
        root.join("models--acme--tiny-bert/snapshots/0123456789abcdef0123456789abcdef01234567/outside.txt"),
    )
    .unwrap();
}

#[test]
fn a_hub_cache_is_an_ml_bom() {
    let dir = tempfile::tempdir().unwrap();
    let hub = dir.path().join("hub");
    hub_cache(&hub);
    let o = chainwatch(&["sbom", "generate", hub.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bom: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let components = bom["components"].as_array().unwrap();
    let find = |purl: &str| {
        components
            .iter()
            .find(|c| c["purl"] == purl)
            .unwrap_or_else(|| panic!("{purl} missing in {components:#?}"))
    };
    let model = find("pkg:huggingface/acme/tiny-bert@0123456789abcdef0123456789abcdef01234567");
    assert_eq!(model["type"], "machine-learning-model");
    assert_eq!(
        model["licenses"][0]["license"]["id"], "Apache-2.0",
        "{model:#}"
    );
    let props: Vec<String> = model["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}={}",
                p["name"].as_str().unwrap(),
                p["value"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        "chainwatch:huggingface:ref=main",
        "chainwatch:file=outside.txt",
    ] {
        assert!(
            props.contains(&want.to_owned()),
            "{want} missing in {props:#?}"
        );
    }
    assert!(
        props
            .iter()
            .any(|p| p.starts_with("chainwatch:file=model.safetensors sha256:")),
        "{props:#?}"
    );
    // What the card and the configuration say is the CycloneDX model card.
    let card = &model["modelCard"];
    let params = &card["modelParameters"];
    assert_eq!(params["task"], "text-classification", "{card:#}");
    assert_eq!(params["modelArchitecture"], "BertForSequenceClassification");
    assert_eq!(params["architectureFamily"], "bert");
    let metric = &card["quantitativeAnalysis"]["performanceMetrics"][0];
    assert_eq!(
        (&metric["type"], &metric["value"], &metric["slice"]),
        (
            &serde_json::json!("accuracy"),
            &serde_json::json!("0.91"),
            &serde_json::json!("Acme reviews")
        ),
        "{card:#}"
    );
    assert!(
        card["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "huggingface:language" && p["value"] == "de"),
        "{card:#}"
    );
    assert!(
        params["datasets"][0]["ref"]
            .as_str()
            .unwrap()
            .starts_with("pkg:huggingface/acme/reviews"),
        "{card:#}"
    );
    let base = find("pkg:huggingface/google-bert/bert-base-uncased");
    assert_eq!(base["type"], "machine-learning-model");
    let data = find(
        "pkg:huggingface/acme/reviews@89abcdef0123456789abcdef0123456789abcdef?repository_url=https:%2F%2Fhuggingface.co%2Fdatasets",
    );
    assert_eq!(data["type"], "data");
    // The model depends on its base model and its training data.
    let deps = bom["dependencies"].as_array().unwrap();
    let of_model = deps.iter().find(|d| d["ref"] == model["bom-ref"]).unwrap();
    let on: Vec<&str> = of_model["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(on.contains(&base["bom-ref"].as_str().unwrap()), "{on:?}");
    assert!(
        on.iter()
            .any(|r| r.starts_with("pkg:huggingface/acme/reviews")),
        "{on:?}"
    );
    // As SPDX 3.0.1: an AI package trained on a dataset package, its card in the AI
    // profile's fields.
    let o = chainwatch(&[
        "sbom",
        "generate",
        hub.to_str().unwrap(),
        "--to",
        "spdx3-jsonld",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let graph = doc["@graph"].as_array().unwrap();
    let ai = graph
        .iter()
        .find(|e| e["type"] == "ai_AIPackage" && e["name"] == "tiny-bert")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(ai["ai_domain"], serde_json::json!(["text-classification"]));
    assert_eq!(
        ai["ai_typeOfModel"],
        serde_json::json!(["bert", "BertForSequenceClassification"])
    );
    assert_eq!(ai["ai_metric"][0]["key"], "accuracy [Acme reviews]");
    let trained = graph
        .iter()
        .find(|e| e["relationshipType"] == "trainedOn" && e["from"] == ai["spdxId"])
        .unwrap_or_else(|| panic!("{doc:#}"));
    let dataset = graph
        .iter()
        .find(|e| e["spdxId"] == trained["to"][0])
        .unwrap();
    assert_eq!(dataset["type"], "dataset_DatasetPackage");
    assert_eq!(dataset["name"], "reviews");
}

#[test]
fn recorded_model_audits_reach_the_portfolio() {
    let dir = tempfile::tempdir().unwrap();
    let hub = dir.path().join("hub");
    hub_cache(&hub);
    // A pickled checkpoint that calls os.system, in the model's snapshot.
    let snapshot =
        hub.join("models--acme--tiny-bert/snapshots/0123456789abcdef0123456789abcdef01234567");
    std::fs::write(
        snapshot.join("training_args.bin"),
        b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.",
    )
    .unwrap();
    let db = dir.path().join("store.db");
    let db = db.to_str().unwrap();
    let bom = dir.path().join("hub.cdx.json");
    let o = chainwatch(&[
        "sbom",
        "generate",
        hub.to_str().unwrap(),
        "-o",
        bom.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = chainwatch(&[
        "--db",
        db,
        "ingest",
        bom.to_str().unwrap(),
        "--product",
        "ml-platform",
        "--product-version",
        "1.0",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = chainwatch(&[
        "--db",
        db,
        "audit",
        "model",
        hub.to_str().unwrap(),
        "--record",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("recorded the audits of 1 model snapshots"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = chainwatch(&["--db", db, "audit", "list", "--format", "json"]);
    let line = String::from_utf8_lossy(&o.stdout);
    let audit: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(
        audit["purl"],
        "pkg:huggingface/acme/tiny-bert@0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(audit["worst"], "critical");
    assert_eq!(audit["products"][0]["product"], "ml-platform");
    assert_eq!(audit["findings"][0]["rule"], "pickle-dangerous-import");
    // `findings` lists it beside what advisories say, for the product version holding it.
    let o = chainwatch(&["--db", db, "findings", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["via"] == "content")
        .unwrap_or_else(|| panic!("{rows:#}"));
    assert_eq!(row["advisory"], "content-audit:pickle-dangerous-import");
    assert_eq!(
        (&row["product"], &row["version"], &row["severity"]),
        (
            &serde_json::json!("ml-platform"),
            &serde_json::json!("1.0"),
            &serde_json::json!("critical")
        )
    );
    let o = chainwatch(&["--db", db, "findings"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("content-audit:pickle-dangerous-import"),
        "{text}"
    );
    // Scoped to the product version and the severity, it is still listed.
    let o = chainwatch(&[
        "--db",
        db,
        "findings",
        "--product",
        "ml-platform@1.0",
        "--min-severity",
        "critical",
        "--format",
        "json",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("content-audit"));
}

/// A MAL-style OSV record about a model (OSV has no Hugging Face ecosystem yet).
const MAL_MODEL: &str = r#"{
  "schema_version": "1.6.0",
  "id": "MAL-2026-9001",
  "modified": "2026-12-01T00:00:00Z",
  "summary": "Malicious code in acme/tiny-bert",
  "affected": [{
    "package": {"ecosystem": "Hugging Face", "name": "acme/tiny-bert", "purl": "pkg:huggingface/acme/tiny-bert"},
    "versions": ["0123456789abcdef0123456789abcdef01234567"]
  }]
}"#;

#[test]
fn advisories_about_models_match_their_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let hub = dir.path().join("hub");
    hub_cache(&hub);
    let bom = dir.path().join("hub.cdx.json");
    let o = chainwatch(&[
        "sbom",
        "generate",
        hub.to_str().unwrap(),
        "-o",
        bom.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let advisories = dir.path().join("advisories");
    std::fs::create_dir_all(&advisories).unwrap();
    std::fs::write(advisories.join("MAL-2026-9001.json"), MAL_MODEL).unwrap();
    let o = chainwatch(&[
        "scan",
        bom.to_str().unwrap(),
        "--advisories",
        advisories.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("MAL-2026-9001"), "{text}");
    assert!(
        text.contains("pkg:huggingface/acme/tiny-bert@0123456789abcdef"),
        "{text}"
    );
    // Another revision of the same model is not affected.
    std::fs::write(
        advisories.join("MAL-2026-9001.json"),
        MAL_MODEL.replace(
            "0123456789abcdef0123456789abcdef01234567",
            "ffffffffffffffffffffffffffffffffffffffff",
        ),
    )
    .unwrap();
    let o = chainwatch(&[
        "scan",
        bom.to_str().unwrap(),
        "--advisories",
        advisories.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn model_directories_and_files_outside_a_hub_cache_are_components() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |rel: &str, bytes: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    // A `save_pretrained` directory.
    write(
        "models/sentiment/config.json",
        br#"{"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert"}"#,
    );
    let mut weights = 8u64.to_le_bytes().to_vec();
    weights.extend_from_slice(b"{}      ");
    write("models/sentiment/model.safetensors", &weights);
    write(
        "models/sentiment/README.md",
        b"---\nlicense: mit\nbase_model: distilbert/distilbert-base-uncased\npipeline_tag: text-classification\n---\n",
    );
    // Loose files: a pickle, an array, a `.bin` that is no model, a package's own data.
    write("app/classifier.pkl", b"\x80\x04K\x01.");
    write(
        "data/embeddings.npy",
        b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }      \n",
    );
    write("app/firmware.bin", b"\x7fELF not a model");
    write(
        "venv/lib/python3.12/site-packages/pkg/fixture.pkl",
        b"\x80\x04K\x01.",
    );
    let o = chainwatch(&["sbom", "generate", root.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bom: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let components = bom["components"].as_array().unwrap();
    let purls: Vec<&str> = components
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    let find = |prefix: &str| {
        components
            .iter()
            .find(|c| c["purl"].as_str().is_some_and(|p| p.starts_with(prefix)))
            .unwrap_or_else(|| panic!("{prefix} missing in {purls:#?}"))
    };
    let model = find("pkg:generic/sentiment");
    assert_eq!(model["type"], "machine-learning-model");
    assert_eq!(model["licenses"][0]["license"]["id"], "MIT");
    assert_eq!(
        model["modelCard"]["modelParameters"]["modelArchitecture"],
        "DistilBertForSequenceClassification"
    );
    assert!(
        model["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "chainwatch:model:format"
                && p["value"] == "model.safetensors safetensors"),
        "{model:#}"
    );
    find("pkg:huggingface/distilbert/distilbert-base-uncased");
    let pickle = find("pkg:generic/classifier.pkl?checksum=sha256:");
    assert_eq!(pickle["type"], "machine-learning-model");
    assert_eq!(pickle["hashes"][0]["alg"], "SHA-256");
    assert_eq!(find("pkg:generic/embeddings.npy")["type"], "data");
    assert!(
        !purls
            .iter()
            .any(|p| p.contains("firmware") || p.contains("fixture")),
        "{purls:#?}"
    );
    // The weights inside the model directory are not components of their own.
    assert!(
        !purls.iter().any(|p| p.contains("model.safetensors")),
        "{purls:#?}"
    );
}
