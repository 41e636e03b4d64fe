//! SBOM formats for chainwatch: one normalized model ([`Sbom`]) read from SPDX 2.2/2.3
//! (JSON, YAML, tag-value), SPDX 3.0 (JSON-LD) and CycloneDX 1.0–1.7 (JSON, XML), written
//! back as CycloneDX 1.6 (JSON, XML), SPDX 2.3 (JSON, tag-value) and SPDX 3.0.1 (JSON-LD),
//! and validated.
//!
//! ```
//! let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
//!   {"type":"library","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"}]}"#;
//! let parsed = chainwatch_sbom::read(doc, &Default::default()).unwrap();
//! assert_eq!(parsed.sbom.components[0].purl.as_deref(), Some("pkg:npm/left-pad@1.3.0"));
//! ```
//!
//! Reading never panics and never fetches anything a document names. The format is
//! detected from the content; gzip, bzip2, xz and zstd are decompressed behind a size cap.

#![warn(clippy::print_stdout, clippy::print_stderr)]

mod cyclonedx;
mod diag;
mod diff;
mod input;
mod jsonpos;
mod lenient;
mod model;
mod model_card;
mod spdx;
mod validate;
mod xmltree;

pub use diag::{Code, Diagnostic, Location, Severity, pointer_token};
pub use diff::{
    DiffComponent, Edge, FieldChange, SbomDiff, VersionChange, conversion_losses, diff, identity,
};
pub use input::{InputError, Limits, compression, decompress};
pub use model::*;
pub use model_card::{Fairness, InlineDataset, Metric, ModelCard, ModelDataset, Risk};
pub use validate::{is_cpe, is_date_time, is_uuid_urn, license_error, ntia, ntia_missing};

/// How to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    pub limits: Limits,
}

/// A document read into the model, with what was found on the way.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub sbom: Sbom,
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("not an SBOM: {hint}")]
    NotAnSbom { hint: String },
    #[error("invalid {format} at {line}:{column}: {message}")]
    Syntax {
        format: Format,
        line: u32,
        column: u32,
        message: String,
    },
}

impl ReadError {
    /// The error as a diagnostic (code `unreadable`), for reports that list problems.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let location = self
            .location()
            .map(|(l, c)| Location::line(l, c))
            .unwrap_or_default();
        Diagnostic::error(Code::Unreadable, self.to_string(), location)
    }

    /// Line and column, for syntax errors.
    pub fn location(&self) -> Option<(u32, u32)> {
        match self {
            ReadError::Syntax { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

/// Decompresses and decodes `bytes` into text.
pub fn text_of<'a>(
    bytes: &'a [u8],
    options: &ReadOptions,
) -> Result<std::borrow::Cow<'a, str>, ReadError> {
    let data = input::decompress(bytes, options.limits)?;
    Ok(input::decode_text(data)?)
}

/// The format of a document, from its content.
pub fn detect_format(text: &str) -> Result<Format, ReadError> {
    match input::detect(text) {
        input::Detected::Sbom(f) => Ok(f),
        input::Detected::Unknown => Err(ReadError::NotAnSbom {
            hint: not_an_sbom_hint(text),
        }),
    }
}

fn not_an_sbom_hint(text: &str) -> String {
    let t = text.trim_start();
    if t.starts_with('{') {
        if t.contains("\"SPDXVersion\"") {
            "JSON with tag-value key names (`SPDXVersion`): SPDX JSON uses `spdxVersion`".to_owned()
        } else {
            "a JSON document without `bomFormat` (CycloneDX), `spdxVersion` (SPDX 2) or an SPDX 3 `@context`".to_owned()
        }
    } else if t.starts_with('<') {
        "an XML document that is not a CycloneDX `<bom>`".to_owned()
    } else {
        "neither JSON, XML, YAML nor SPDX tag-value".to_owned()
    }
}

fn syntax(format: Format, text: &str, offset: usize, message: String) -> ReadError {
    let (line, column) = input::line_col(text, offset);
    ReadError::Syntax {
        format,
        line,
        column,
        message,
    }
}

/// Reads text whose format is known.
pub fn read_text(text: &str, format: Format) -> Result<Parsed, ReadError> {
    let json_err = |e: serde_json::Error| ReadError::Syntax {
        format,
        line: u32::try_from(e.line()).unwrap_or(0),
        column: u32::try_from(e.column()).unwrap_or(0),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    let mut diagnostics = Vec::new();
    let sbom = match format {
        Format::CycloneDxJson => cyclonedx::json::read(text).map_err(json_err)?,
        Format::CycloneDxXml => {
            cyclonedx::xml::read(text, &mut |_| {})
                .map_err(|e| syntax(format, text, e.offset, e.message))?
                .0
        }
        Format::SpdxJson => spdx::json::read_json(text).map_err(json_err)?,
        Format::SpdxYaml => spdx::json::read_yaml(text).map_err(|e| {
            let (line, column) = yaml_location(&e);
            ReadError::Syntax {
                format,
                line,
                column,
                message: e.to_string().lines().next().unwrap_or_default().to_owned(),
            }
        })?,
        Format::SpdxXml => spdx::xml::read_doc(text)
            .map_err(|e| syntax(format, text, e.offset, e.message))?
            .into_sbom(Format::SpdxXml),
        Format::SpdxRdfXml => spdx::rdf::read_doc(text)
            .map_err(|e| syntax(format, text, e.offset, e.message))?
            .into_sbom(Format::SpdxRdfXml),
        Format::SpdxTagValue => {
            let (sbom, d) = spdx::tagvalue::read(text).map_err(|e| ReadError::Syntax {
                format,
                line: e.line,
                column: 1,
                message: e.message,
            })?;
            diagnostics = d;
            sbom
        }
        Format::Spdx3JsonLd => spdx::v3::read(text).map_err(json_err)?,
    };
    is_sbom(&sbom, text)?;
    Ok(Parsed { sbom, diagnostics })
}

/// A document that only looks like an SBOM (a JSON schema of one, `"bomFormat": "CDX"`,
/// `"spdxVersion": 2`) is refused in every mode: its version is not even of the form its
/// format's versions take. A later version of the form (`1.8`, `SPDX-2.4`) is read, with
/// a warning.
fn is_sbom(sbom: &Sbom, text: &str) -> Result<(), ReadError> {
    let v = sbom.spec_version.as_str();
    let minor = |rest: Option<&str>| {
        rest.is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
    };
    let (ok, expected) = match sbom.format {
        Format::CycloneDxJson | Format::CycloneDxXml => {
            (minor(v.strip_prefix("1.")), "`1.0` to `1.7`")
        }
        Format::Spdx3JsonLd => (minor(v.strip_prefix("3.")) || v.starts_with("3."), "`3.0`"),
        _ => (minor(v.strip_prefix("SPDX-2.")), "`SPDX-2.0` to `SPDX-2.3`"),
    };
    if !ok {
        return Err(ReadError::NotAnSbom {
            hint: format!(
                "`{v}` is not a {} version ({expected})",
                sbom.format.family()
            ),
        });
    }
    if sbom.format == Format::CycloneDxJson {
        // `bomFormat` is the constant `CycloneDX` (looked up in the text: the document
        // may be hundreds of megabytes).
        let declared = text.find("\"bomFormat\"").and_then(|i| {
            let rest = text[i + "\"bomFormat\"".len()..].trim_start();
            let rest = rest.strip_prefix(':')?.trim_start();
            let rest = rest.strip_prefix('"')?;
            rest.find('"').map(|end| &rest[..end])
        });
        if let Some(f) = declared.filter(|f| *f != "CycloneDX") {
            return Err(ReadError::NotAnSbom {
                hint: format!("`bomFormat` is `{f}`: a CycloneDX document says `CycloneDX`"),
            });
        }
    }
    Ok(())
}

/// Line and column of a YAML error (serde-saphyr names them in its message).
pub fn yaml_location(e: &serde_saphyr::Error) -> (u32, u32) {
    // serde-saphyr reports `line N column M` in its message.
    let msg = e.to_string();
    let num_after = |key: &str| {
        msg.find(key).and_then(|i| {
            msg[i + key.len()..]
                .trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse::<u32>().ok())
        })
    };
    (
        num_after("line").unwrap_or(0),
        num_after("column").unwrap_or(0),
    )
}

/// Parses any supported document (decompress, decode, detect, read) without the model
/// checks `read` adds: for callers that only need the content.
pub fn parse(bytes: &[u8], options: &ReadOptions) -> Result<Sbom, ReadError> {
    let text = text_of(bytes, options)?;
    let format = detect_format(&text)?;
    Ok(read_text(&text, format)?.sbom)
}

/// Reads any supported document: decompresses, decodes, detects and parses. The
/// diagnostics are the lenient ones (warnings for what real tools get wrong).
pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<Parsed, ReadError> {
    let text = text_of(bytes, options)?;
    let format = detect_format(&text)?;
    let mut parsed = read_text(&text, format)?;
    parsed
        .diagnostics
        .extend(validate::check_model(&parsed.sbom, false));
    Ok(parsed)
}

/// How to validate.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidateOptions {
    pub limits: Limits,
    /// Check everything the specification requires (errors), not only what ingestion
    /// needs (warnings).
    pub strict: bool,
    /// Also report the NTIA minimum elements.
    pub ntia: bool,
}

/// The outcome of validating one document.
#[derive(Debug, Clone)]
pub struct Validation {
    pub sbom: Sbom,
    /// Problems with the document against its specification, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// Missing NTIA minimum elements (empty unless asked for, or when all are present).
    pub ntia: Vec<Diagnostic>,
}

impl Validation {
    /// No error-severity diagnostics (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Reads and validates a document. `Err` means it could not be read at all (not an SBOM,
/// syntax error, too large); a readable but invalid document is `Ok` with error
/// diagnostics.
pub fn validate(bytes: &[u8], options: &ValidateOptions) -> Result<Validation, ReadError> {
    let text = text_of(
        bytes,
        &ReadOptions {
            limits: options.limits,
        },
    )?;
    let format = detect_format(&text)?;
    let (sbom, mut diagnostics) = if options.strict {
        let (sbom, d) = strict(&text, format)?;
        is_sbom(&sbom, &text)?;
        (sbom, d)
    } else {
        let mut parsed = read_text(&text, format)?;
        parsed
            .diagnostics
            .extend(validate::check_model(&parsed.sbom, false));
        (parsed.sbom, parsed.diagnostics)
    };
    let mut ntia = if options.ntia {
        validate::ntia(&sbom)
    } else {
        Vec::new()
    };
    // JSON documents: a diagnostic found on the parsed value has a pointer; give it the
    // line and column the pointer has in the text too.
    if matches!(
        format,
        Format::SpdxJson | Format::Spdx3JsonLd | Format::CycloneDxJson
    ) {
        locate_pointers(&text, diagnostics.iter_mut().chain(ntia.iter_mut()));
    }
    // In document order: what concerns the whole document first, then by line and column.
    let by_place = |a: &Diagnostic, b: &Diagnostic| {
        (
            a.location.line,
            a.location.column,
            a.location.pointer.as_deref(),
        )
            .cmp(&(
                b.location.line,
                b.location.column,
                b.location.pointer.as_deref(),
            ))
    };
    diagnostics.sort_by(by_place);
    ntia.sort_by(by_place);
    Ok(Validation {
        sbom,
        diagnostics,
        ntia,
    })
}

/// Fills in line and column for diagnostics located by JSON pointer only (one pass over the
/// text finds them all).
fn locate_pointers<'a>(text: &str, diagnostics: impl Iterator<Item = &'a mut Diagnostic>) {
    let mut pending: Vec<&mut Diagnostic> = diagnostics
        .filter(|d| d.location.line.is_none() && d.location.pointer.is_some())
        .collect();
    if pending.is_empty() {
        return;
    }
    let wanted: std::collections::HashSet<&str> = pending
        .iter()
        .filter_map(|d| d.location.pointer.as_deref())
        .collect();
    let offsets = jsonpos::locate(text, &wanted);
    drop(wanted);
    let index = input::LineIndex::new(text);
    for d in &mut pending {
        if let Some(&offset) = d.location.pointer.as_ref().and_then(|p| offsets.get(p)) {
            let (line, column) = index.line_col(offset);
            d.location.line = Some(line);
            d.location.column = Some(column);
        }
    }
}

/// Strict validation: the format's own rules, then the model checks they do not cover.
fn strict(text: &str, format: Format) -> Result<(Sbom, Vec<Diagnostic>), ReadError> {
    let keep_model = |codes: &[Code], sbom: &Sbom| -> Vec<Diagnostic> {
        validate::check_model(sbom, true)
            .into_iter()
            .filter(|d| codes.contains(&d.code))
            .collect()
    };
    let json_err = |e: serde_json::Error| ReadError::Syntax {
        format,
        line: u32::try_from(e.line()).unwrap_or(0),
        column: u32::try_from(e.column()).unwrap_or(0),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    Ok(match format {
        Format::CycloneDxJson => {
            let sbom = cyclonedx::json::read(text).map_err(json_err)?;
            let mut d = cyclonedx::strict::check_json(text);
            d.extend(keep_model(
                &[
                    Code::UnsupportedSpecVersion,
                    Code::DanglingRef,
                    Code::SelfRef,
                ],
                &sbom,
            ));
            (sbom, d)
        }
        Format::CycloneDxXml => {
            let (sbom, mut d) = cyclonedx::strict::check_xml(text)
                .map_err(|e| syntax(format, text, e.offset, e.message))?;
            d.extend(keep_model(
                &[
                    Code::UnsupportedSpecVersion,
                    Code::DanglingRef,
                    Code::SelfRef,
                ],
                &sbom,
            ));
            (sbom, d)
        }
        Format::SpdxJson
        | Format::SpdxYaml
        | Format::SpdxXml
        | Format::SpdxRdfXml
        | Format::SpdxTagValue => {
            let (doc, mut d) = match format {
                Format::SpdxXml => (
                    spdx::xml::read_doc(text)
                        .map_err(|e| syntax(format, text, e.offset, e.message))?,
                    Vec::new(),
                ),
                Format::SpdxRdfXml => (
                    spdx::rdf::read_doc(text)
                        .map_err(|e| syntax(format, text, e.offset, e.message))?,
                    Vec::new(),
                ),
                Format::SpdxJson => (
                    spdx::json::read_json_doc(text).map_err(json_err)?,
                    Vec::new(),
                ),
                Format::SpdxYaml => (
                    spdx::json::read_yaml_doc(text).map_err(|e| {
                        let (line, column) = yaml_location(&e);
                        ReadError::Syntax {
                            format,
                            line,
                            column,
                            message: e.to_string().lines().next().unwrap_or_default().to_owned(),
                        }
                    })?,
                    Vec::new(),
                ),
                _ => spdx::tagvalue::read_doc(text).map_err(|e| ReadError::Syntax {
                    format,
                    line: e.line,
                    column: 1,
                    message: e.message,
                })?,
            };
            for x in &mut d {
                x.severity = Severity::Error;
            }
            d.extend(spdx::strict::check(&doc, format));
            let sbom = doc.into_sbom(format);
            d.extend(keep_model(&[Code::SelfRef], &sbom));
            (sbom, d)
        }
        Format::Spdx3JsonLd => {
            let sbom = spdx::v3::read(text).map_err(json_err)?;
            let d = validate::check_model(&sbom, true);
            (sbom, d)
        }
    })
}

/// The formats chainwatch writes.
pub const WRITABLE: &[Format] = &[
    Format::CycloneDxJson,
    Format::CycloneDxXml,
    Format::SpdxJson,
    Format::SpdxTagValue,
    Format::Spdx3JsonLd,
];

/// Writes the model in `format` (one of [`WRITABLE`]).
pub fn write(sbom: &Sbom, format: Format) -> Option<String> {
    // Identifiers must be unique in what is written; relationships keep naming the first
    // component of a duplicated identifier (the one readers resolve them to).
    let renamed;
    let sbom = if has_duplicate_ids(sbom) {
        renamed = with_unique_ids(sbom);
        &renamed
    } else {
        sbom
    };
    Some(match format {
        Format::CycloneDxJson => cyclonedx::write::to_json(sbom),
        Format::CycloneDxXml => cyclonedx::write::to_xml(sbom),
        Format::SpdxJson => spdx::write::to_json(sbom),
        Format::SpdxTagValue => spdx::write::to_tag_value(sbom),
        Format::Spdx3JsonLd => spdx::v3write::to_json(sbom),
        Format::SpdxYaml | Format::SpdxXml | Format::SpdxRdfXml => {
            return None;
        }
    })
}

fn has_duplicate_ids(sbom: &Sbom) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(sbom.components.len());
    sbom.components.iter().any(|c| !seen.insert(c.id.as_str()))
}

fn with_unique_ids(sbom: &Sbom) -> Sbom {
    let mut out = sbom.clone();
    let mut seen = std::collections::HashSet::with_capacity(out.components.len());
    let taken: std::collections::HashSet<String> =
        sbom.components.iter().map(|c| c.id.clone()).collect();
    for c in &mut out.components {
        if !seen.insert(c.id.clone()) {
            let mut n = 2;
            while taken.contains(&format!("{}-{n}", c.id))
                || seen.contains(&format!("{}-{n}", c.id))
            {
                n += 1;
            }
            c.id = format!("{}-{n}", c.id);
            seen.insert(c.id.clone());
        }
    }
    out
}
