//! Model files that run code when they are loaded, read without loading them.
//!
//! [`audit_model`] recognizes a file by its content (not its name): pickles and what
//! wraps them (legacy and zip `torch.save` checkpoints, joblib files, plain or gzip/xz
//! compressed; NumPy `.npy`/`.npz` object arrays), safetensors, GGUF, Keras `.keras`
//! archives and HDF5 `.h5` files, ONNX by name. Pickles are walked opcode by opcode
//! ([`pickle`]) and their imports judged ([`imports`]); safetensors and GGUF headers are
//! checked for what a strict loader refuses ([`safetensors`], [`gguf`]); GGUF chat
//! templates for template injection; Keras configurations for `Lambda` layers and custom
//! objects. Only headers and pickles are read: tensor data is skipped, never loaded.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

pub use chainwatch_inventory::model_file::ModelFormat as Format;
use chainwatch_inventory::model_file::{MODEL_NAMES, name_of, read_up_to, sniff};

use crate::{AuditError, Finding, Severity};

pub mod gguf;
pub mod imports;
pub mod pickle;
pub mod safetensors;

/// The audit of one model file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelReport {
    /// The file, as found.
    pub path: String,
    pub format: Format,
    pub bytes: u64,
    /// What the file says about itself (architecture, tensors, chat template …), for
    /// people; not findings.
    pub details: Vec<(String, String)>,
    pub findings: Vec<Finding>,
}

impl ModelReport {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Whether the file broke off or contradicts its format.
    pub fn malformed(&self) -> bool {
        self.findings.iter().any(|f| f.rule == "model-malformed")
    }
}

/// The unlisted imports of one pickle reported one by one; the rest in one finding.
const MAX_UNLISTED: usize = 20;
/// The members of a zip read, at most.
const MAX_MEMBERS: usize = 100_000;
/// The most bytes of a Keras configuration read.
const MAX_CONFIG: u64 = 64 << 20;

fn io(path: &Path, source: std::io::Error) -> AuditError {
    AuditError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Recognizes the model format of the file at `path` from its content (and its name,
/// for ONNX and protocol-0 pickles); `None` when it is not a model file.
pub fn recognize(path: &Path) -> Result<Option<Format>, AuditError> {
    chainwatch_inventory::model_file::recognize(path).map_err(|e| io(path, e))
}

/// Audits one model file.
pub fn audit_model(path: &Path) -> Result<ModelReport, AuditError> {
    let shown = path.display().to_string();
    let format = recognize(path)?.ok_or_else(|| AuditError::NotAModel {
        path: shown.clone(),
        reason: "no pickle, PyTorch, NumPy, safetensors, GGUF, Keras, HDF5 or ONNX content".into(),
    })?;
    let file = File::open(path).map_err(|e| io(path, e))?;
    let bytes = file.metadata().map_err(|e| io(path, e))?.len();
    let mut report = ModelReport {
        path: shown.clone(),
        format,
        bytes,
        details: Vec::new(),
        findings: Vec::new(),
    };
    match format {
        Format::Pickle => audit_pickle_file(file, &shown, &mut report)?,
        Format::TorchZip => audit_zip(file, &shown, &mut report)?,
        Format::Numpy => audit_npy(BufReader::new(file), &shown, &mut report),
        Format::Safetensors => audit_safetensors(file, bytes, &shown, &mut report)?,
        Format::Gguf => audit_gguf(file, bytes, &shown, &mut report),
        Format::Hdf5 => audit_hdf5(file, &shown, &mut report).map_err(|e| io(path, e))?,
        Format::Onnx => report.details.push((
            "onnx".into(),
            "recognized by name; its graph is not inspected".into(),
        )),
        Format::TorchLegacy | Format::Joblib | Format::Npz | Format::Keras => {}
    }
    report.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.rule.cmp(b.rule))
    });
    Ok(report)
}

/// The model files under `root` (itself when it is a file), in path order: files whose
/// content is a model format; with `any_name` false, only files named like models (or
/// without an extension, as the blobs of a Hugging Face cache) are opened to see.
/// Links are followed only within `root`.
pub fn discover(root: &Path, any_name: bool) -> Vec<PathBuf> {
    if root.is_file() {
        return vec![root.to_path_buf()];
    }
    let top = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    // Each file once, under the path that names it best: a Hugging Face cache's blob is
    // reached through its snapshot's link, which says which model and revision it is.
    let mut files: std::collections::HashMap<PathBuf, PathBuf> = std::collections::HashMap::new();
    let mut dirs = std::collections::HashSet::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let Ok(real) = std::fs::canonicalize(&path) else {
                continue;
            };
            if !real.starts_with(&top) {
                continue;
            }
            if real.is_dir() {
                if depth < 64 && path.file_name().is_some_and(|n| n != ".git") && dirs.insert(real)
                {
                    stack.push((path, depth + 1));
                }
            } else if real.is_file() && (any_name || named_like_a_model(&path)) {
                let in_snapshot = |p: &Path| p.components().any(|c| c.as_os_str() == "snapshots");
                match files.get(&real) {
                    Some(kept) if in_snapshot(kept) || !in_snapshot(&path) => {}
                    _ => {
                        files.insert(real, path);
                    }
                }
            }
        }
    }
    let mut out: Vec<PathBuf> = files
        .into_values()
        .filter(|shown| matches!(recognize(shown), Ok(Some(_))))
        .collect();
    out.sort();
    out
}

/// `what`, or `member what` for a member of an archive (`file!member`).
fn label(path: &str, what: &str) -> String {
    match path.rsplit_once('!') {
        Some((_, member)) => format!("{member} {what}"),
        None => what.to_owned(),
    }
}

fn protocol(p: u8) -> String {
    if p == 0 {
        "0 or 1".into()
    } else {
        p.to_string()
    }
}

fn named_like_a_model(path: &Path) -> bool {
    let name = name_of(path);
    MODEL_NAMES.iter().any(|e| name.ends_with(e)) || !name.contains('.')
}

fn malformed(path: &str, offset: Option<u64>, message: String, evidence: &str) -> Finding {
    Finding::new(
        "model-malformed",
        path,
        offset.map(|o| u32::try_from(o).unwrap_or(u32::MAX)),
        message,
        evidence,
    )
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "the line of a finding is optional; this one always has it"
)]
fn offset_line(offset: u64) -> Option<u32> {
    Some(u32::try_from(offset).unwrap_or(u32::MAX))
}

fn has_extension(name: &str, ext: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Turns what a pickle scan found into findings about `path`.
fn pickle_findings(scan: &pickle::Scan, path: &str, report: &mut ModelReport) {
    let mut seen = std::collections::HashSet::new();
    let mut unlisted = Vec::new();
    for import in &scan.imports {
        let full = format!("{}.{}", import.module, import.name);
        if !seen.insert(full.clone()) {
            continue;
        }
        match imports::classify(&import.module, &import.name) {
            imports::Class::Dangerous(why) => {
                let called = scan.calls.iter().find(|c| {
                    c.target
                        .as_ref()
                        .is_some_and(|(m, n)| *m == import.module && *n == import.name)
                });
                let evidence = called.map_or(full.clone(), |c| c.rendered.clone());
                report.findings.push(Finding::new(
                    "pickle-dangerous-import",
                    path,
                    offset_line(import.offset),
                    format!(
                        "loading {} `{full}` ({}), which {why}",
                        if called.is_some() {
                            "imports and calls"
                        } else {
                            "imports"
                        },
                        import.opcode,
                    ),
                    &evidence,
                ));
            }
            imports::Class::Unlisted if unlisted.len() < MAX_UNLISTED => {
                unlisted.push(full.clone());
                report.findings.push(Finding::new(
                    "pickle-unlisted-import",
                    path,
                    offset_line(import.offset),
                    format!(
                        "loading imports `{full}` ({}), which no checkpoint or known library needs",
                        import.opcode
                    ),
                    &full,
                ));
            }
            imports::Class::Unlisted => unlisted.push(full.clone()),
            imports::Class::Safe | imports::Class::Library => {}
        }
    }
    if unlisted.len() > MAX_UNLISTED {
        report.findings.push(Finding::new(
            "pickle-unlisted-import",
            path,
            None,
            format!(
                "{} more unlisted imports{}",
                unlisted.len() - MAX_UNLISTED,
                if scan.imports.len() >= pickle::MAX_RECORDED {
                    format!(
                        " (distinct imports are recorded up to {})",
                        pickle::MAX_RECORDED
                    )
                } else {
                    String::new()
                }
            ),
            &unlisted[MAX_UNLISTED..].join(", "),
        ));
    }
    for (offset, what) in &scan.dynamic {
        report.findings.push(Finding::new(
            "pickle-dynamic-import",
            path,
            offset_line(*offset),
            "STACK_GLOBAL imports a module or name computed while loading, not one the file names"
                .into(),
            what,
        ));
    }
    for (offset, code) in &scan.extensions {
        report.findings.push(Finding::new(
            "pickle-extension-import",
            path,
            offset_line(*offset),
            format!("imports extension code {code} of the copyreg registry, which the loading program decides"),
            &format!("EXT {code}"),
        ));
    }
    if let Some((offset, why)) = &scan.error {
        report.findings.push(malformed(
            path,
            Some(*offset),
            format!(
                "the pickle breaks off at byte {offset}: {why}; loading runs everything before it"
            ),
            why,
        ));
    }
    if scan.trailing > 0 {
        report.findings.push(Finding::new(
            "pickle-trailing-data",
            path,
            None,
            format!(
                "{} bytes follow the last pickle; a second load of the same stream reads them",
                scan.trailing
            ),
            &format!("{} bytes", scan.trailing),
        ));
    }
    let listed: Vec<String> = {
        let mut all: Vec<String> = seen.into_iter().collect();
        all.sort();
        all
    };
    if listed.iter().any(|i| i.starts_with("joblib.")) && report.format == Format::Pickle {
        report.format = Format::Joblib;
    }
    if !listed.is_empty() {
        report.details.push((
            label(path, "imports"),
            crate::shorten(&listed.join(", "), 400),
        ));
    }
}

fn audit_pickle_file(file: File, shown: &str, report: &mut ModelReport) -> Result<(), AuditError> {
    let mut reader = BufReader::new(file);
    let mut head = [0u8; 6];
    let n = read_up_to(&mut reader, &mut head).map_err(|e| io(Path::new(shown), e))?;
    let chained = std::io::Cursor::new(head[..n].to_vec()).chain(reader);
    let scan = if head.starts_with(&[0x1f, 0x8b]) {
        report.details.push(("compression".into(), "gzip".into()));
        pickle::scan(flate2::read::MultiGzDecoder::new(chained))
    } else if head.starts_with(b"\xfd7zXZ\x00") {
        report.details.push(("compression".into(), "xz".into()));
        pickle::scan(liblzma::read::XzDecoder::new(chained))
    } else {
        pickle::scan(chained)
    };
    if scan.first_int == Some(pickle::TORCH_LEGACY_MAGIC) {
        report.format = Format::TorchLegacy;
    }
    report
        .details
        .push(("protocol".into(), protocol(scan.protocol)));
    pickle_findings(&scan, shown, report);
    Ok(())
}

fn audit_zip(file: File, shown: &str, report: &mut ModelReport) -> Result<(), AuditError> {
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| AuditError::Corrupt {
        path: shown.to_owned(),
        reason: format!("a zip archive that cannot be read: {e}"),
    })?;
    if zip.len() > MAX_MEMBERS {
        return Err(AuditError::TooManyEntries {
            path: shown.to_owned(),
            limit: MAX_MEMBERS,
        });
    }
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    let keras = names.iter().any(|n| n == "config.json")
        && names
            .iter()
            .any(|n| n == "metadata.json" || n.ends_with(".weights.h5"));
    let pickles: Vec<&String> = names.iter().filter(|n| has_extension(n, "pkl")).collect();
    let npys: Vec<&String> = names.iter().filter(|n| has_extension(n, "npy")).collect();
    report.format = if keras {
        Format::Keras
    } else if !pickles.is_empty() {
        Format::TorchZip
    } else if !npys.is_empty() {
        Format::Npz
    } else {
        return Err(AuditError::NotAModel {
            path: shown.to_owned(),
            reason: "a zip archive with no pickle (`*.pkl`), NumPy array or Keras configuration"
                .into(),
        });
    };
    if names
        .iter()
        .any(|n| n.contains("/code/") && has_extension(n, "py"))
    {
        report.details.push((
            "torchscript".into(),
            "TorchScript code (`code/…py`) that `torch.jit.load` compiles and runs".into(),
        ));
    }
    let member_error = |e: zip::result::ZipError, name: &str| AuditError::Corrupt {
        path: format!("{shown}!{name}"),
        reason: e.to_string(),
    };
    if keras {
        let mut member = zip
            .by_name("config.json")
            .map_err(|e| member_error(e, "config.json"))?;
        let mut text = Vec::new();
        (&mut member)
            .take(MAX_CONFIG)
            .read_to_end(&mut text)
            .map_err(|e| io(Path::new(shown), e))?;
        drop(member);
        let at = format!("{shown}!config.json");
        match serde_json::from_slice::<serde_json::Value>(&text) {
            Ok(config) => keras_config(&config, &at, report),
            Err(e) => report.findings.push(malformed(
                &at,
                None,
                format!(
                    "the Keras configuration is not JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
                &e.to_string(),
            )),
        }
    }
    let wanted: Vec<String> = pickles.into_iter().chain(npys).cloned().collect();
    for name in wanted {
        let at = format!("{shown}!{name}");
        let member = zip.by_name(&name).map_err(|e| member_error(e, &name))?;
        if has_extension(&name, "npy") {
            audit_npy(BufReader::new(member), &at, report);
        } else {
            let scan = pickle::scan(member);
            report
                .details
                .push((format!("{name} protocol"), protocol(scan.protocol)));
            pickle_findings(&scan, &at, report);
        }
    }
    Ok(())
}

/// A `.npy` array: its header, and the pickle of an object array.
fn audit_npy<R: Read>(mut reader: R, at: &str, report: &mut ModelReport) {
    let mut head = [0u8; 10];
    if reader.read_exact(&mut head).is_err() || !head.starts_with(b"\x93NUMPY") {
        report.findings.push(malformed(
            at,
            Some(0),
            "not a NumPy array: no `\\x93NUMPY` magic or a header cut short".into(),
            "",
        ));
        return;
    }
    let (len, start) = match head[6] {
        1 => (u64::from(u16::from_le_bytes([head[8], head[9]])), 10u64),
        2 | 3 => {
            let mut rest = [0u8; 2];
            if reader.read_exact(&mut rest).is_err() {
                report.findings.push(malformed(
                    at,
                    Some(10),
                    "the NumPy header length is cut short".into(),
                    "",
                ));
                return;
            }
            (
                u64::from(u32::from_le_bytes([head[8], head[9], rest[0], rest[1]])),
                12,
            )
        }
        v => {
            report.findings.push(malformed(
                at,
                Some(6),
                format!("NumPy format version {v}; 1 to 3 are defined"),
                "",
            ));
            return;
        }
    };
    if len > 1 << 20 {
        report.findings.push(malformed(
            at,
            Some(8),
            format!("a NumPy header of {len} bytes"),
            "",
        ));
        return;
    }
    let mut text = vec![0u8; usize::try_from(len).unwrap_or(0)];
    if reader.read_exact(&mut text).is_err() {
        report.findings.push(malformed(
            at,
            Some(start),
            "the NumPy header is cut short".into(),
            "",
        ));
        return;
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    let descr = text
        .split_once("'descr':")
        .map_or("", |(_, rest)| rest.trim_start());
    let object = if let Some(rest) = descr.strip_prefix('\'') {
        let d = rest.split('\'').next().unwrap_or("");
        d == "O" || d == "|O"
    } else {
        // A structured dtype: a list of fields, any of which may hold objects.
        let list = descr.split(']').next().unwrap_or("");
        list.contains("'O'") || list.contains("'|O'")
    };
    report
        .details
        .push((label(at, "header"), crate::shorten(&text, 200)));
    if object {
        report.findings.push(Finding::new(
            "numpy-object-array",
            at,
            offset_line(start + len),
            "an array of Python objects: its data is a pickle, loaded with `allow_pickle=True`"
                .into(),
            &crate::shorten(&text, 120),
        ));
        let scan = pickle::scan(reader);
        pickle_findings(&scan, at, report);
    }
}

fn audit_safetensors(
    file: File,
    bytes: u64,
    shown: &str,
    report: &mut ModelReport,
) -> Result<(), AuditError> {
    let mut reader = BufReader::new(file);
    let header = match safetensors::read(&mut reader, bytes) {
        Ok(h) => h,
        Err(safetensors::NotSafetensors(why)) => {
            report.findings.push(malformed(
                shown,
                Some(0),
                format!("not a readable safetensors file: {why}"),
                &why,
            ));
            return Ok(());
        }
    };
    report
        .details
        .push(("tensors".into(), header.tensors.len().to_string()));
    report
        .details
        .push(("header".into(), format!("{} bytes", header.header_len)));
    for (k, v) in &header.metadata {
        report
            .details
            .push((format!("metadata {k}"), crate::shorten(v, 120)));
    }
    for (pointer, why) in &header.problems {
        report.findings.push(Finding::new(
            "safetensors-inconsistent",
            shown,
            None,
            format!("header `{pointer}`: {why}"),
            pointer,
        ));
    }
    if header.gaps > 0 {
        report.findings.push(Finding::new(
            "safetensors-inconsistent",
            shown,
            None,
            format!(
                "{} bytes between tensors belong to none; strict loaders refuse holes",
                header.gaps
            ),
            &format!("{} bytes", header.gaps),
        ));
    }
    if header.trailing > 0 {
        let start = 8 + header.header_len + (bytes - 8 - header.header_len - header.trailing);
        reader
            .seek(std::io::SeekFrom::Start(start))
            .map_err(|e| io(Path::new(shown), e))?;
        let mut head = [0u8; 16];
        let n = read_up_to(&mut reader, &mut head).map_err(|e| io(Path::new(shown), e))?;
        let kind = sniff(&head[..n], header.trailing, "x.pkl");
        let what = match kind {
            Some(f) => format!("; they are {} content", f.as_str()),
            None if head[..n].starts_with(b"\x7fELF") || head[..n].starts_with(b"MZ") => {
                "; they are an executable".into()
            }
            None => String::new(),
        };
        let mut finding = Finding::new(
            "safetensors-trailing-data",
            shown,
            offset_line(start),
            format!(
                "{} bytes follow the last tensor, where no loader reads{what}",
                header.trailing
            ),
            &format!("{} bytes at offset {start}", header.trailing),
        );
        if !what.is_empty() {
            finding = finding.at(Severity::High);
        }
        report.findings.push(finding);
        if kind == Some(Format::Pickle) {
            reader
                .seek(std::io::SeekFrom::Start(start))
                .map_err(|e| io(Path::new(shown), e))?;
            let scan = pickle::scan(reader.take(header.trailing));
            pickle_findings(&scan, &format!("{shown}!trailing"), report);
        }
    }
    Ok(())
}

/// Jinja constructs that reach Python's internals or the host from a chat template: the
/// server-side template injection behind CVE-2024-34359 and its kin. Looked for inside
/// `{{ … }}` and `{% … %}` only, so that prompts the template merely prints do not count.
const TEMPLATE_GADGETS: &[&str] = &[
    "__class__",
    "__mro__",
    "__base__",
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__init__",
    "__import__",
    "__getattribute__",
    "__dict__",
    "__code__",
    "\\x5f",
    "\\u005f",
    "\\137",
    "|attr(",
    "| attr(",
    "lipsum.",
    "cycler.",
    "joiner.",
    "namespace.__",
    "self._",
    "popen",
    "os.system",
    "subprocess",
];

/// The first template-injection gadget of a chat template, and the text around it.
pub fn template_gadget(template: &str) -> Option<(&'static str, String)> {
    let lower = template.to_ascii_lowercase();
    let mut from = 0;
    while let Some(open) = lower[from..].find(['{']).map(|i| from + i) {
        let tag = &lower[open..];
        let close = if tag.starts_with("{{") {
            "}}"
        } else if tag.starts_with("{%") {
            "%}"
        } else {
            from = open + 1;
            continue;
        };
        let end = tag.find(close).map_or(lower.len(), |i| open + i + 2);
        let inside = &lower[open..end];
        if let Some((g, at)) = TEMPLATE_GADGETS
            .iter()
            .find_map(|g| inside.find(g).map(|at| (*g, open + at)))
        {
            let start = lower[..at]
                .char_indices()
                .rev()
                .nth(40)
                .map_or(0, |(i, _)| i);
            let stop = at + g.len();
            let stop = lower[stop..]
                .char_indices()
                .nth(40)
                .map_or(lower.len(), |(i, _)| stop + i);
            return Some((g, template.get(start..stop).unwrap_or(g).to_owned()));
        }
        from = end.max(open + 1);
    }
    None
}

fn audit_gguf(file: File, bytes: u64, shown: &str, report: &mut ModelReport) {
    let header = match gguf::read(file, bytes) {
        Ok(h) => h,
        Err(gguf::NotGguf(why)) => {
            report.findings.push(malformed(
                shown,
                None,
                format!("not a readable GGUF file: {why}"),
                &why,
            ));
            return;
        }
    };
    report
        .details
        .push(("version".into(), header.version.to_string()));
    for key in [
        "general.architecture",
        "general.name",
        "general.license",
        "general.base_model.0.name",
    ] {
        if let Some(v) = header.string(key) {
            report.details.push((key.into(), crate::shorten(v, 120)));
        }
    }
    report
        .details
        .push(("tensors".into(), header.tensors.len().to_string()));
    for (key, value) in &header.metadata {
        let gguf::Value::Str(template) = value else {
            continue;
        };
        if !key.starts_with("tokenizer.chat_template") {
            continue;
        }
        report
            .details
            .push((key.clone(), crate::shorten(template, 300)));
        if let Some((gadget, around)) = template_gadget(template) {
            report.findings.push(Finding::new(
                "gguf-template-injection",
                shown,
                None,
                format!("the chat template `{key}` uses `{gadget}`, which reaches Python internals or the host when a Jinja engine renders it"),
                &around,
            ));
        }
    }
    for (at, why) in &header.problems {
        report.findings.push(Finding::new(
            "gguf-inconsistent",
            shown,
            None,
            format!("`{at}`: {why}"),
            at,
        ));
    }
}

/// Walks a Keras configuration for layers that carry code.
fn keras_config(config: &serde_json::Value, at: &str, report: &mut ModelReport) {
    fn walk(
        v: &serde_json::Value,
        pointer: &str,
        at: &str,
        report: &mut ModelReport,
        depth: usize,
    ) {
        if depth > 256 {
            return;
        }
        match v {
            serde_json::Value::Object(map) => {
                let class = map.get("class_name").and_then(|c| c.as_str());
                let module = map.get("module").and_then(|m| m.as_str());
                if matches!(class, Some("Lambda" | "__lambda__")) {
                    let code = map
                        .get("config")
                        .and_then(|c| c.get("function").or_else(|| c.get("code")))
                        .map(|f| match f {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .unwrap_or_default();
                    report.findings.push(Finding::new(
                        "keras-lambda",
                        at,
                        None,
                        format!("`{pointer}` is a Lambda layer: its Python code runs when the model is loaded without safe mode (and always by Keras before 2.13)"),
                        &code,
                    ));
                    // Its function is the code just reported.
                    return;
                } else if let (Some(class), Some(module)) = (class, module)
                    && !(module == "keras" || module.starts_with("keras.") || module == "builtins")
                {
                    report.findings.push(Finding::new(
                        "keras-custom-object",
                        at,
                        None,
                        format!("`{pointer}` is `{module}.{class}`, a class outside Keras that loading imports"),
                        &format!("{module}.{class}"),
                    ));
                }
                for (k, child) in map {
                    walk(child, &format!("{pointer}/{k}"), at, report, depth + 1);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{pointer}/{i}"), at, report, depth + 1);
                }
            }
            _ => {}
        }
    }
    if let Some(class) = config.get("class_name").and_then(|c| c.as_str()) {
        report
            .details
            .push(("keras model".into(), class.to_owned()));
    }
    walk(config, "", at, report, 0);
}

/// A Keras 2 HDF5 file keeps its configuration as the JSON text of the `model_config`
/// attribute; the attribute is stored as is, so the JSON is found in the first bytes of
/// the file and read from there.
fn audit_hdf5(file: File, shown: &str, report: &mut ModelReport) -> std::io::Result<()> {
    let mut head = Vec::new();
    file.take(MAX_CONFIG).read_to_end(&mut head)?;
    let needle = b"{\"class_name\":";
    let mut found = false;
    let mut from = 0;
    while let Some(at) = find(&head[from..], needle) {
        let start = from + at;
        let mut stream =
            serde_json::Deserializer::from_slice(&head[start..]).into_iter::<serde_json::Value>();
        if let Some(Ok(config)) = stream.next()
            && config.get("config").is_some()
        {
            keras_config(&config, &format!("{shown}!model_config"), report);
            found = true;
            break;
        }
        from = start + 1;
    }
    if !found {
        report.details.push((
            "hdf5".into(),
            "no Keras model configuration in the first 64 MiB; weights only".into(),
        ));
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_gadgets() {
        let evil = "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% endfor %}";
        assert_eq!(template_gadget(evil).map(|g| g.0), Some("__class__"));
        let plain = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] }}{% endfor %}{% if add_generation_prompt %}{{ raise_exception('x') }}{% endif %}";
        assert_eq!(template_gadget(plain), None);
    }
}
