//! Model files recognized by their content: the one test `sbom generate` (a model file is
//! a component) and `chainwatch audit model` (a model file is read for code that runs when
//! it is loaded) share.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

/// What kind of model file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelFormat {
    /// A plain pickle, perhaps compressed.
    Pickle,
    /// A joblib file (a pickle with array bytes inside), perhaps compressed.
    Joblib,
    /// `torch.save` before 1.6: pickles then storage bytes.
    TorchLegacy,
    /// `torch.save` (zip): `archive/data.pkl` and storages; TorchScript too.
    TorchZip,
    Numpy,
    Npz,
    Safetensors,
    Gguf,
    Keras,
    Hdf5,
    Onnx,
}

impl ModelFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelFormat::Pickle => "pickle",
            ModelFormat::Joblib => "joblib",
            ModelFormat::TorchLegacy => "torch-legacy",
            ModelFormat::TorchZip => "torch-zip",
            ModelFormat::Numpy => "numpy",
            ModelFormat::Npz => "npz",
            ModelFormat::Safetensors => "safetensors",
            ModelFormat::Gguf => "gguf",
            ModelFormat::Keras => "keras",
            ModelFormat::Hdf5 => "hdf5",
            ModelFormat::Onnx => "onnx",
        }
    }
}

/// Names that mark a file as a model even when its content is ambiguous (protocol 0
/// pickles start with ordinary bytes).
const PICKLE_NAMES: &[&str] = &[
    "pkl", "pickle", "pt", "pth", "bin", "ckpt", "joblib", "sav", "dat", "model", "pkl.gz",
];

/// File name endings of model files (lower case).
pub const MODEL_NAMES: &[&str] = &[
    ".pkl",
    ".pickle",
    ".pt",
    ".pth",
    ".bin",
    ".ckpt",
    ".joblib",
    ".sav",
    ".safetensors",
    ".gguf",
    ".npy",
    ".npz",
    ".keras",
    ".h5",
    ".hdf5",
    ".onnx",
    ".pkl.gz",
    ".joblib.gz",
    ".joblib.xz",
];

/// Whether a file name (any case) ends like a model file's.
pub fn has_model_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    MODEL_NAMES.iter().any(|e| name.ends_with(e))
}

/// Recognizes the model format of the file at `path` from its first bytes (and its name,
/// for ONNX and protocol-0 pickles); `None` when it is not a model file.
pub fn recognize(path: &Path) -> std::io::Result<Option<ModelFormat>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut head = [0u8; 16];
    let n = read_up_to(&mut file, &mut head)?;
    let head = &head[..n];
    if let Some(format) = sniff(head, len, &name_of(path)) {
        return Ok(Some(format));
    }
    // A compressed pickle (joblib's gzip and xz) is one by what it inflates to.
    let inflated = if head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"\xfd7zXZ\x00") {
        file.seek(std::io::SeekFrom::Start(0))?;
        let mut first = [0u8; 2];
        let got = if head[0] == 0x1f {
            read_up_to(&mut flate2::read::GzDecoder::new(&mut file), &mut first)
        } else {
            read_up_to(&mut liblzma::read::XzDecoder::new(&mut file), &mut first)
        };
        got.ok() == Some(2) && first[0] == 0x80 && first[1] <= 5
    } else {
        false
    };
    Ok(inflated.then_some(ModelFormat::Pickle))
}

/// The file name of `path`, lower case.
pub fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
pub fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn has_pickle_name(name: &str) -> bool {
    PICKLE_NAMES
        .iter()
        .any(|ext| name.ends_with(&format!(".{ext}")))
}

/// The format of a file whose first bytes are `head` (up to 16), `len` bytes long, named
/// `name` (lower case). A zip is [`ModelFormat::TorchZip`] until its members say more.
pub fn sniff(head: &[u8], len: u64, name: &str) -> Option<ModelFormat> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        // Which zip it is depends on its members.
        return Some(ModelFormat::TorchZip);
    }
    if head.starts_with(b"\x93NUMPY") {
        return Some(ModelFormat::Numpy);
    }
    if head.starts_with(b"GGUF") {
        return Some(ModelFormat::Gguf);
    }
    if head.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Some(ModelFormat::Hdf5);
    }
    if head.len() >= 9 {
        let n = u64::from_le_bytes(head[..8].try_into().unwrap_or_default());
        if head[8] == b'{' && n >= 2 && n.checked_add(8).is_some_and(|end| end <= len) {
            return Some(ModelFormat::Safetensors);
        }
    }
    if head.len() >= 2 && head[0] == 0x80 && head[1] <= 5 {
        return Some(ModelFormat::Pickle);
    }
    if has_pickle_name(name) && head.first().is_some_and(|b| b"(c]}).NIS".contains(b)) {
        return Some(ModelFormat::Pickle);
    }
    if Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
    {
        return Some(ModelFormat::Onnx);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\x80\x04\x95", 10, "x"), Some(ModelFormat::Pickle));
        assert_eq!(sniff(b"GGUF\x03\0\0\0", 10, "x"), Some(ModelFormat::Gguf));
        assert_eq!(
            sniff(b"cos\nsystem\n", 10, "a.pkl"),
            Some(ModelFormat::Pickle)
        );
        assert_eq!(sniff(b"cos\nsystem\n", 10, "a.txt"), None);
        assert_eq!(
            sniff(b"\x02\0\0\0\0\0\0\0{}", 10, "x"),
            Some(ModelFormat::Safetensors)
        );
        assert_eq!(sniff(b"hello", 5, "x"), None);
    }
}
