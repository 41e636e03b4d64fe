//! Models outside Hugging Face caches.
//!
//! A model directory — one whose `config.json` names an architecture or a model type, beside
//! at least one weights file (a `save_pretrained` directory, a copy in a container) — is one
//! component, read like a hub snapshot: every file with its SHA-256, the configuration and
//! the card (`README.md`) into its model card, base models and datasets as dependencies.
//! Any other model file — named like one and recognized by its content
//! ([`crate::model_file`]: pickles, PyTorch, joblib, NumPy, safetensors, GGUF, Keras, HDF5,
//! ONNX) — is a component of its own, identified by its digest. Neither has a registry
//! identity: their purls are `pkg:generic/NAME` (with `checksum=sha256:…` for a file).
//! Files inside Python environments are the packages' own data and are left to them.

use std::path::Path;

use chainwatch_sbom::{ComponentKind, Hash, HashAlg, Location};
use serde_json::Value;

use super::huggingface::{describe, read_small, sha256_of, snapshot_files};
use crate::context::{Context, purl};
use crate::model_file::{ModelFormat, has_model_name, recognize};

/// The largest model file whose SHA-256 is computed (hashing runs at about a gigabyte a
/// second: larger files are listed without a digest).
const MODEL_HASHED_MAX: u64 = 4 << 30;

/// Whether a path (relative, `/`-separated) is somewhere models are not inventoried on
/// their own: a hub cache's repositories (read whole by `huggingface-cache`) and Python
/// environments (test data of installed packages).
fn excluded(rel: &str) -> bool {
    rel.split('/').any(|seg| {
        seg.starts_with("models--")
            || seg.starts_with("datasets--")
            || seg == "site-packages"
            || seg == "dist-packages"
    })
}

/// Whether `dir` holds a model: a `config.json` naming an architecture or a model type,
/// and a weights file.
pub(crate) fn is_model_dir(dir: &Path) -> bool {
    let Some(bytes) = read_small(&dir.join("config.json")) else {
        return false;
    };
    let Ok(Value::Object(config)) = serde_json::from_slice::<Value>(&bytes) else {
        return false;
    };
    if !config.contains_key("architectures") && !config.contains_key("model_type") {
        return false;
    }
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| has_model_name(&e.file_name().to_string_lossy()))
    })
}

/// The directory extractor's test: a model directory not in a hub cache.
pub(crate) fn wants_dir(rel: &str, path: &Path) -> bool {
    !excluded(rel) && is_model_dir(path)
}

/// The file extractor's test: named like a model file, not in a model directory (which is
/// read whole) or a hub cache.
pub(crate) fn wants_file(rel: &str, name: &str, dir: &Path) -> bool {
    has_model_name(name) && !excluded(rel) && !is_model_dir(dir)
}

fn kind_of(format: ModelFormat) -> ComponentKind {
    match format {
        // Arrays are data, not models.
        ModelFormat::Numpy | ModelFormat::Npz => ComponentKind::Data,
        _ => ComponentKind::MachineLearningModel,
    }
}

/// A model directory: one component.
pub(crate) fn directory(cx: &mut Context<'_>) {
    let dir = cx.path.to_path_buf();
    let rel = cx.rel.to_owned();
    let name = dir
        .file_name()
        .map_or_else(|| "model".to_owned(), |n| n.to_string_lossy().into_owned());
    let Some(i) = cx.package(purl("generic", None, &name, None), Location::default) else {
        return;
    };
    let files = snapshot_files(&dir, &dir, MODEL_HASHED_MAX);
    {
        let p = cx.get(i);
        p.kind = Some(ComponentKind::MachineLearningModel);
        p.direct = true;
        p.file = Some(rel.clone());
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
    for (file, _) in &files {
        if has_model_name(file)
            && let Ok(Some(format)) = recognize(&dir.join(file))
        {
            cx.get(i).properties.push((
                "chainwatch:model:format".into(),
                format!("{file} {}", format.as_str()),
            ));
        }
    }
    describe(cx, i, &dir, &rel);
    cx.dedup_edges();
}

/// A model file on its own: a component when its content is a model format.
pub(crate) fn file(cx: &mut Context<'_>) {
    let path = cx.path.to_path_buf();
    let format = match recognize(&path) {
        Ok(Some(format)) => format,
        // Named like a model, but not one (a `.bin` firmware image, a `.h5` of data).
        Ok(None) => return,
        Err(e) => {
            cx.diagnostic(chainwatch_sbom::Diagnostic::error(
                chainwatch_sbom::Code::InventoryIo,
                format!("cannot read: {e}"),
                Location::default(),
            ));
            return;
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let digest = (size <= MODEL_HASHED_MAX)
        .then(|| sha256_of(&path))
        .flatten();
    let mut id = purl("generic", None, &name, None);
    if let Some(d) = &digest {
        id = id.qualifier("checksum", format!("sha256:{d}"));
    }
    let Some(i) = cx.package(id, Location::default) else {
        return;
    };
    let p = cx.get(i);
    p.kind = Some(kind_of(format));
    p.direct = true;
    if let Some(d) = digest {
        p.hashes.push(Hash {
            alg: HashAlg::Sha256,
            value: d,
        });
    }
    p.properties
        .push(("chainwatch:model:format".into(), format.as_str().to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions() {
        assert!(excluded("hub/models--acme--x/blobs/abc"));
        assert!(excluded(
            "venv/lib/python3.12/site-packages/sklearn/data.pkl"
        ));
        assert!(!excluded("srv/models/classifier.pkl"));
    }
}
