//! Hugging Face hub caches (`~/.cache/huggingface/hub`, a `HF_HOME`, a container's copy):
//! each `models--ORG--NAME` or `datasets--ORG--NAME` directory holds one snapshot per
//! downloaded revision (`snapshots/REV/…`, links into `blobs/`), and `refs/BRANCH` names
//! the revision a branch pointed at when it was downloaded.
//!
//! Each snapshot is a component: a model as `pkg:huggingface/ORG/NAME@REV` (the purl
//! type's own form), a dataset as the same with `repository_url=https://huggingface.co/datasets`
//! (the purl type has no dataset form of its own). Every file of the snapshot is listed
//! with its SHA-256 (the blob's name for files stored through Git LFS, which are named by
//! that digest; computed for the others, up to [`HASHED_MAX`]). The model card's YAML
//! front matter (`README.md`) gives the licence, the base model and the training datasets
//! (components, with edges from the model), and the model card: task, evaluation results
//! (`model-index`), library, languages and tags; a model's `config.json` its architecture
//! and family. Nothing is loaded or fetched.

use std::path::Path;

use chainwatch_sbom::Location;
use serde_json::Value;

use crate::context::{Context, purl};
use chainwatch_sbom::{ComponentKind, Metric, ModelCard, ModelDataset, Property};

/// The largest file whose SHA-256 is computed (larger ones outside LFS are listed
/// without a digest).
const HASHED_MAX: u64 = 64 << 20;
/// The most files listed per snapshot, and snapshots per repository.
const FILES_MAX: usize = 10_000;
const SNAPSHOTS_MAX: usize = 1_000;
/// The largest model card and configuration read.
const CARD_MAX: u64 = 1 << 20;

/// The repository a cache directory holds: (kind, organization, name).
pub(crate) fn repository(dir_name: &str) -> Option<(ComponentKind, Option<&str>, &str)> {
    let (kind, rest) = if let Some(rest) = dir_name.strip_prefix("models--") {
        (ComponentKind::MachineLearningModel, rest)
    } else if let Some(rest) = dir_name.strip_prefix("datasets--") {
        (ComponentKind::Data, rest)
    } else {
        return None;
    };
    match rest.split_once("--") {
        Some((org, name)) if !org.is_empty() && !name.is_empty() => Some((kind, Some(org), name)),
        None if !rest.is_empty() => Some((kind, None, rest)),
        _ => None,
    }
}

/// The purl of the cache snapshot that holds `path` (a file under
/// `…/models--ORG--NAME/snapshots/REV/`), when it is in one.
pub(crate) fn snapshot_purl(path: &Path) -> Option<chainwatch_purl::Purl> {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let at = parts
        .windows(3)
        .rposition(|w| repository(&w[0]).is_some() && w[1] == "snapshots")?;
    let (kind, org, name) = repository(&parts[at])?;
    let rev = &parts[at + 2];
    hub_purl(&kind, org, name, Some(rev)).build().ok()
}

/// Whether a directory is a cache repository (`models--…` or `datasets--…` with snapshots).
pub(crate) fn wants(dir: &Path, name: &str) -> bool {
    repository(name).is_some() && dir.join(name).join("snapshots").is_dir()
}

fn hub_purl(
    kind: &ComponentKind,
    org: Option<&str>,
    name: &str,
    rev: Option<&str>,
) -> chainwatch_purl::PurlBuilder {
    // Models kept under their bare legacy name (`gpt2`) have no organization; the
    // purl type needs one, and the hub's own name for them is the name itself.
    let ns = org.unwrap_or(name);
    let rev = rev.map(str::to_ascii_lowercase);
    let b = purl("huggingface", Some(ns), name, rev.as_deref());
    if *kind == ComponentKind::Data {
        b.qualifier("repository_url", "https://huggingface.co/datasets")
    } else {
        b
    }
}

pub(crate) fn read_small(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut out = Vec::new();
    file.take(CARD_MAX).read_to_end(&mut out).ok()?;
    Some(out)
}

pub(crate) fn sha256_of(path: &Path) -> Option<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let mut hex = String::with_capacity(64);
    for b in hasher.finalize() {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
    }
    Some(hex)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The files of a snapshot, `/`-separated and sorted, with their SHA-256 when known.
/// Links are read only when they resolve inside the repository's directory `repo`.
pub(crate) fn snapshot_files(
    root: &Path,
    repo: &Path,
    hash_max: u64,
) -> Vec<(String, Option<String>)> {
    let repo = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if out.len() >= FILES_MAX {
                break;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let path = entry.path();
            let inside = std::fs::canonicalize(&path).is_ok_and(|real| real.starts_with(&repo));
            if !inside {
                out.push((rel, None));
                continue;
            }
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                if depth < 16 {
                    stack.push((path, rel, depth + 1));
                }
                continue;
            }
            // A link into `blobs/` named by the SHA-256 of an LFS file.
            let blob = std::fs::read_link(&path).ok().and_then(|t| {
                t.file_name()
                    .map(|n| n.to_string_lossy().to_ascii_lowercase())
                    .filter(|n| is_hex(n, 64))
            });
            let digest =
                blob.or_else(|| (meta.len() <= hash_max).then(|| sha256_of(&path)).flatten());
            out.push((rel, digest));
        }
    }
    out.sort();
    out
}

/// The model card's YAML front matter.
pub(crate) fn card(bytes: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let body = text.strip_prefix("---")?;
    let body = body
        .strip_prefix("\r\n")
        .or_else(|| body.strip_prefix('\n'))?;
    let end = body.find("\n---")?;
    serde_saphyr::from_str::<Value>(&body[..end]).ok()
}

/// A card field that is a string or a list of strings.
fn strings(card: &Value, key: &str) -> Vec<String> {
    match card.get(key) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The licence a card states: the hub's identifiers (`apache-2.0`, `cc-by-4.0`) as SPDX
/// where they are SPDX, and `other` with its `license_name` as a `LicenseRef-`.
fn card_license(card: &Value) -> Option<String> {
    let ids = strings(card, "license");
    let id = ids.first()?;
    if id == "other" || id == "unknown" {
        let name = card
            .get("license_name")
            .and_then(Value::as_str)
            .unwrap_or(id);
        return Some(chainwatch_sbom::license_ref(name));
    }
    Some(ids.join(" AND "))
}

/// `ORG/NAME` (or a bare `NAME`) of a card's `base_model` or `datasets` entry.
fn hub_id(id: &str) -> Option<(Option<&str>, &str)> {
    let id = id.trim().trim_start_matches("https://huggingface.co/");
    let id = id.strip_prefix("datasets/").unwrap_or(id);
    match id.split_once('/') {
        Some((org, name)) if !org.is_empty() && !name.is_empty() && !name.contains('/') => {
            Some((Some(org), name))
        }
        None if !id.is_empty() && !id.contains(char::is_whitespace) => Some((None, id)),
        _ => None,
    }
}

pub(crate) fn extract(cx: &mut Context<'_>) {
    let dir = cx.path.to_path_buf();
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((kind, org, name)) = repository(&dir_name) else {
        return;
    };
    let rel = cx.rel.to_owned();
    // Which branch each revision was downloaded as.
    let mut refs: Vec<(String, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("refs")) {
        for e in entries.flatten() {
            if let Some(text) = read_small(&e.path()) {
                let rev = String::from_utf8_lossy(&text).trim().to_ascii_lowercase();
                refs.push((e.file_name().to_string_lossy().into_owned(), rev));
            }
        }
    }
    let Ok(entries) = std::fs::read_dir(dir.join("snapshots")) else {
        return;
    };
    let mut snapshots: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    snapshots.sort();
    snapshots.truncate(SNAPSHOTS_MAX);
    for rev in snapshots {
        let snap = dir.join("snapshots").join(&rev);
        let at = format!("{rel}/snapshots/{rev}");
        let loc = || Location::default();
        let Some(i) = cx.package(hub_purl(&kind, org, name, Some(&rev)), loc) else {
            continue;
        };
        let files = snapshot_files(&snap, &dir, HASHED_MAX);
        {
            let p = cx.get(i);
            p.kind = Some(kind.clone());
            p.direct = true;
            p.file = Some(at.clone());
            for (branch, r) in &refs {
                if *r == rev.to_ascii_lowercase() {
                    p.properties
                        .push(("chainwatch:huggingface:ref".into(), branch.clone()));
                }
            }
            for (file, digest) in &files {
                p.properties.push((
                    "chainwatch:file".into(),
                    match digest {
                        Some(d) => format!("{file} sha256:{d}"),
                        None => file.clone(),
                    },
                ));
            }
        }
        describe(cx, i, &snap, &at);
    }
    cx.dedup_edges();
}

/// Reads what a model directory (a snapshot, a plain directory) says of the model in
/// package `i`: `config.json`'s architecture and family, and the card's (`README.md`)
/// licence, task, evaluation results, library, languages and tags into its model card,
/// and base models and datasets as components `i` depends on. `at` names the directory
/// relative to the inventoried root.
pub(crate) fn describe(cx: &mut Context<'_>, i: usize, dir: &Path, at: &str) {
    let loc = Location::default;
    let mut model_card = ModelCard::default();
    if let Some(config) =
        read_small(&dir.join("config.json")).and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    {
        let archs = strings(&config, "architectures");
        if !archs.is_empty() {
            model_card.model_architecture = Some(archs.join(", "));
        }
        model_card.architecture_family = config
            .get("model_type")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    let card = read_small(&dir.join("README.md")).and_then(|b| card(&b));
    if let Some(card) = &card {
        cx.get(i).license = card_license(card);
        model_card.task = strings(card, "pipeline_tag").into_iter().next();
        model_card.metrics = metrics(card);
        for (key, prop) in [
            ("library_name", "huggingface:library_name"),
            ("language", "huggingface:language"),
            ("tags", "huggingface:tag"),
        ] {
            for v in strings(card, key) {
                model_card.properties.push(Property {
                    name: prop.into(),
                    value: v,
                });
            }
        }
    }
    let Some(card) = card else {
        store_card(cx.get(i), model_card);
        return;
    };
    for base in strings(&card, "base_model") {
        let Some((borg, bname)) = hub_id(&base) else {
            continue;
        };
        if let Some(b) = cx.intern(
            hub_purl(&ComponentKind::MachineLearningModel, borg, bname, None),
            loc,
        ) {
            let bp = cx.get(b);
            bp.kind = Some(ComponentKind::MachineLearningModel);
            bp.file = Some(format!("{at}/README.md"));
            cx.edge(i, b);
        }
    }
    for data in strings(&card, "datasets") {
        let Some((dorg, dname)) = hub_id(&data) else {
            continue;
        };
        if let Some(d) = cx.intern(hub_purl(&ComponentKind::Data, dorg, dname, None), loc) {
            let dp = cx.get(d);
            model_card
                .datasets
                .push(ModelDataset::Ref(dp.purl.canonical().to_owned()));
            dp.kind = Some(ComponentKind::Data);
            dp.file = Some(format!("{at}/README.md"));
            cx.edge(i, d);
        }
    }
    store_card(cx.get(i), model_card);
}

/// Keeps a card on a model (a dataset's card is not a model card).
fn store_card(p: &mut crate::Package, card: ModelCard) {
    if p.kind == Some(ComponentKind::MachineLearningModel) && !card.is_empty() {
        p.model_card = Some(Box::new(card));
    }
}

/// Evaluation results of a card's `model-index`: each metric with the dataset it was
/// measured on as its slice.
fn metrics(card: &Value) -> Vec<Metric> {
    let mut out = Vec::new();
    let models = card.get("model-index").and_then(Value::as_array);
    for model in models.into_iter().flatten().take(16) {
        let results = model.get("results").and_then(Value::as_array);
        for result in results.into_iter().flatten().take(64) {
            let slice = result
                .get("dataset")
                .and_then(|d| d.get("name").or_else(|| d.get("type")))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let list = result.get("metrics").and_then(Value::as_array);
            for m in list.into_iter().flatten().take(64) {
                let value = match m.get("value") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                let kind = m
                    .get("type")
                    .or_else(|| m.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if kind.is_some() && value.is_some() && out.len() < 256 {
                    out.push(Metric {
                        kind,
                        value,
                        slice: slice.clone(),
                        lower_bound: None,
                        upper_bound: None,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        assert_eq!(
            repository("models--meta-llama--Llama-3.1-8B"),
            Some((
                ComponentKind::MachineLearningModel,
                Some("meta-llama"),
                "Llama-3.1-8B"
            ))
        );
        assert_eq!(
            repository("datasets--openai--gsm8k"),
            Some((ComponentKind::Data, Some("openai"), "gsm8k"))
        );
        assert_eq!(
            repository("models--gpt2"),
            Some((ComponentKind::MachineLearningModel, None, "gpt2"))
        );
        assert_eq!(repository("models--"), None);
        assert_eq!(repository("spaces--a--b"), None);
    }

    #[test]
    fn snapshot_purls() {
        let p = snapshot_purl(Path::new(
            "/root/.cache/huggingface/hub/models--acme--tiny/snapshots/ABCDEF/sub/model.pt",
        ));
        assert_eq!(
            p.map(|p| p.canonical().to_owned()).as_deref(),
            Some("pkg:huggingface/acme/tiny@abcdef")
        );
        assert!(snapshot_purl(Path::new("/tmp/model.pt")).is_none());
        assert!(snapshot_purl(Path::new("models--acme--tiny/blobs/x")).is_none());
    }

    #[test]
    fn cards() {
        let c = card(b"---\nlicense: apache-2.0\nbase_model:\n- meta-llama/Llama-3.1-8B\ndatasets: [openai/gsm8k]\npipeline_tag: text-generation\n---\n# Model\n").unwrap();
        assert_eq!(card_license(&c).as_deref(), Some("apache-2.0"));
        assert_eq!(strings(&c, "base_model"), ["meta-llama/Llama-3.1-8B"]);
        assert_eq!(strings(&c, "datasets"), ["openai/gsm8k"]);
        let other = card(b"---\nlicense: other\nlicense_name: llama3.1 community\n---\n").unwrap();
        assert_eq!(
            card_license(&other).as_deref(),
            Some("LicenseRef-llama3.1-community")
        );
        assert!(card(b"# no front matter").is_none());
        let _ = card(b"---\n: : :\n---\n");
        assert_eq!(
            hub_id("https://huggingface.co/datasets/openai/gsm8k"),
            Some((Some("openai"), "gsm8k"))
        );
    }
}
