//! From bytes to text: transparent decompression behind a size cap, UTF-16 and BOM
//! handling, and format detection from content.

use std::borrow::Cow;
use std::io::Read;

use crate::model::Format;

/// Limits on what a reader accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest decompressed document, in bytes.
    pub max_size: u64,
    /// The largest ratio of decompressed to compressed size, for outputs above
    /// `ratio_floor` bytes. Real SBOMs compress 10–50×; decompression bombs millions×.
    pub max_ratio: u64,
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_size: 4 << 30,
            max_ratio: 1000,
            ratio_floor: 64 << 20,
        }
    }
}

/// Why the bytes could not become a document's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    #[error("the {compression} stream is corrupt: {message}")]
    Decompress {
        compression: &'static str,
        message: String,
    },
    #[error(
        "refused: the {compression} stream expands beyond {limit} bytes (from {compressed} compressed bytes); \
         a decompression bomb or an SBOM larger than the limit"
    )]
    TooLarge {
        compression: &'static str,
        compressed: u64,
        limit: u64,
    },
    #[error("the document is not valid {encoding} text at byte {offset}")]
    Encoding {
        encoding: &'static str,
        offset: usize,
    },
    #[error("empty input")]
    Empty,
}

/// The compression of a byte stream, from its magic bytes.
pub fn compression(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if bytes.starts_with(b"BZh") {
        Some("bzip2")
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Some("xz")
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else {
        None
    }
}

/// Decompresses (if compressed, repeatedly for nested layers) within `limits`.
pub fn decompress(bytes: &[u8], limits: Limits) -> Result<Cow<'_, [u8]>, InputError> {
    let mut current: Option<Vec<u8>> = None;
    for _ in 0..4 {
        let data = current.as_deref().unwrap_or(bytes);
        let Some(kind) = compression(data) else { break };
        let limit = limits.max_size.min(
            (data.len() as u64)
                .saturating_mul(limits.max_ratio)
                .max(limits.ratio_floor),
        );
        let reader: Box<dyn Read + '_> = match kind {
            "gzip" => Box::new(flate2::read::MultiGzDecoder::new(data)),
            "bzip2" => Box::new(bzip2::read::MultiBzDecoder::new(data)),
            "xz" => Box::new(liblzma::read::XzDecoder::new_multi_decoder(data)),
            _ => Box::new(zstd::stream::read::Decoder::with_buffer(data).map_err(|e| {
                InputError::Decompress {
                    compression: kind,
                    message: e.to_string(),
                }
            })?),
        };
        let mut out = Vec::with_capacity(data.len().saturating_mul(8).min(64 << 20));
        let read =
            reader
                .take(limit + 1)
                .read_to_end(&mut out)
                .map_err(|e| InputError::Decompress {
                    compression: kind,
                    message: e.to_string(),
                })?;
        if read as u64 > limit {
            return Err(InputError::TooLarge {
                compression: kind,
                compressed: data.len() as u64,
                limit,
            });
        }
        current = Some(out);
    }
    Ok(current.map_or(Cow::Borrowed(bytes), Cow::Owned))
}

/// Decodes UTF-8 (with or without BOM) or UTF-16 (with BOM, or detected from zero bytes).
/// Uncompressed UTF-8 input is borrowed, not copied.
pub(crate) fn decode_text(bytes: Cow<'_, [u8]>) -> Result<Cow<'_, str>, InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty);
    }
    let utf16 = |be: bool, data: &[u8]| -> Result<Cow<'_, str>, InputError> {
        let units: Vec<u16> = data
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units)
            .map(Cow::Owned)
            .map_err(|_| InputError::Encoding {
                encoding: "UTF-16",
                offset: 0,
            })
    };
    if bytes.starts_with(&[0xff, 0xfe]) {
        return utf16(false, &bytes[2..]);
    }
    if bytes.starts_with(&[0xfe, 0xff]) {
        return utf16(true, &bytes[2..]);
    }
    // UTF-16 without BOM: every other byte of ASCII text is zero.
    if bytes.len() >= 4 && bytes.len().is_multiple_of(2) {
        if bytes[1] == 0 && bytes[3] == 0 && bytes[0] != 0 {
            return utf16(false, &bytes);
        }
        if bytes[0] == 0 && bytes[2] == 0 && bytes[1] != 0 {
            return utf16(true, &bytes);
        }
    }
    let start = if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        3
    } else {
        0
    };
    let err = |e: std::str::Utf8Error| InputError::Encoding {
        encoding: "UTF-8",
        offset: e.valid_up_to() + start,
    };
    match bytes {
        Cow::Borrowed(b) => std::str::from_utf8(&b[start..])
            .map(Cow::Borrowed)
            .map_err(err),
        Cow::Owned(mut b) => {
            b.drain(..start);
            String::from_utf8(b)
                .map(Cow::Owned)
                .map_err(|e| err(e.utf8_error()))
        }
    }
}

/// What the content looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detected {
    Sbom(Format),
    Unknown,
}

/// Detects the format from the content (never from a file name).
pub(crate) fn detect(text: &str) -> Detected {
    let trimmed = text.trim_start();
    // Look at the head of the document only: enough for every format's marker.
    let head = &trimmed[..floor_char_boundary(trimmed, 64 * 1024)];
    if trimmed.starts_with('{') {
        if head.contains("\"bomFormat\"") || head.contains("\"CycloneDX\"") {
            return Detected::Sbom(Format::CycloneDxJson);
        }
        if head.contains("\"spdxVersion\"") && !head[1..].trim_start().starts_with("\"Document\"") {
            return Detected::Sbom(Format::SpdxJson);
        }
        if (head.contains("\"@context\"") || head.contains("\"@graph\"")) && head.contains("spdx") {
            return Detected::Sbom(Format::Spdx3JsonLd);
        }
        if head[1..].trim_start().starts_with("\"Document\"") && head.contains("\"spdxVersion\"") {
            // The spdx-tools 0.7 layout, read as SPDX JSON.
            return Detected::Sbom(Format::SpdxJson);
        }
        // The keys may come after a large first member: look at the whole document.
        if text.contains("\"bomFormat\"") {
            return Detected::Sbom(Format::CycloneDxJson);
        }
        if text.contains("\"spdxVersion\"") {
            return Detected::Sbom(Format::SpdxJson);
        }
        return Detected::Unknown;
    }
    if trimmed.starts_with('<') {
        if head.contains("cyclonedx.org/schema/bom") {
            return Detected::Sbom(Format::CycloneDxXml);
        }
        if head.contains("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
            && head.contains("http://spdx.org/rdf/terms")
        {
            return Detected::Sbom(Format::SpdxRdfXml);
        }
        if head.contains("<spdxVersion>")
            || head.contains("<SpdxDocument")
            || head.contains("<Document")
        {
            return Detected::Sbom(Format::SpdxXml);
        }
        return Detected::Unknown;
    }
    for line in head.lines().take(200) {
        let l = line.trim_start();
        if l.starts_with("SPDXVersion:") {
            return Detected::Sbom(Format::SpdxTagValue);
        }
        if l.starts_with("spdxVersion:") || l.starts_with("\"spdxVersion\":") {
            return Detected::Sbom(Format::SpdxYaml);
        }
    }
    // YAML writers that sort keys put `spdxVersion` last: look for it at the top level
    // of the whole document, when the head looks like YAML (`key: value` lines).
    let yaml_like = head
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#') && *l != "---")
        .is_some_and(|l| {
            l.split_once(':')
                .is_some_and(|(k, _)| !k.is_empty() && !k.contains(' ') && !k.starts_with('-'))
        });
    if yaml_like {
        if text.lines().any(|l| l.starts_with("spdxVersion:")) {
            return Detected::Sbom(Format::SpdxYaml);
        }
        if text.lines().any(|l| l.starts_with("SPDXVersion:")) {
            return Detected::Sbom(Format::SpdxTagValue);
        }
        if head.lines().any(|l| l == "Document:") && text.contains("spdxVersion:") {
            // The spdx-tools 0.7 layout, read as SPDX YAML.
            return Detected::Sbom(Format::SpdxYaml);
        }
    }
    Detected::Unknown
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before, |i| &before[i + 1..])
        .chars()
        .count()
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// Line starts of a text, for many offset → line:column conversions in one pass.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()));
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let col = self.text[start..offset].chars().count() + 1;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(col).unwrap_or(u32::MAX),
        )
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_from_content() {
        assert_eq!(
            detect(r#"{"bomFormat":"CycloneDX"}"#),
            Detected::Sbom(Format::CycloneDxJson)
        );
        assert_eq!(
            detect(r#"  {"spdxVersion":"SPDX-2.3"}"#),
            Detected::Sbom(Format::SpdxJson)
        );
        assert_eq!(
            detect(r#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}"#),
            Detected::Sbom(Format::Spdx3JsonLd)
        );
        assert_eq!(
            detect(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.6">"#),
            Detected::Sbom(Format::CycloneDxXml)
        );
        assert_eq!(
            detect("SPDXVersion: SPDX-2.3\n"),
            Detected::Sbom(Format::SpdxTagValue)
        );
        assert_eq!(
            detect("---\nspdxVersion: SPDX-2.3\n"),
            Detected::Sbom(Format::SpdxYaml)
        );
        assert_eq!(detect("hello"), Detected::Unknown);
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "SPDXVersion: SPDX-2.3";
        let mut le = vec![0xff, 0xfe];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode_text(Cow::Owned(le)).unwrap(), text);
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode_text(Cow::Owned(be)).unwrap(), text);
    }

    #[test]
    fn gzip_round_trip_and_bomb_refused() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"{\"bomFormat\":\"CycloneDX\"}").unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(
            decompress(&gz, Limits::default()).unwrap().as_ref(),
            b"{\"bomFormat\":\"CycloneDX\"}"
        );

        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'{'; 8 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        let limits = Limits {
            max_size: 1 << 30,
            max_ratio: 100,
            ratio_floor: 1 << 20,
        };
        assert!(matches!(
            decompress(&bomb, limits),
            Err(InputError::TooLarge { .. })
        ));
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 3), (2, 1));
        let index = LineIndex::new("ab\ncd\n\né");
        assert_eq!(index.line_col(4), (2, 2));
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(7), (4, 1));
        assert_eq!(index.line_col(9), (4, 2));
    }
}
