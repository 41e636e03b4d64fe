//! Small text helpers shared by the extractors.

use std::io::Read;
use std::path::Path;

use chainwatch_sbom::{Hash, HashAlg};

/// Manifests read beside a lockfile (`package.json`, `pyproject.toml`) are small: this
/// caps what is read of them.
const SMALL_LIMIT: u64 = 16 << 20;

/// Reads a small text file (a manifest beside a lockfile, `os-release`). Only a regular
/// file: a symbolic link, FIFO or device in an untrusted tree is not read (a FIFO would
/// block, `/dev/zero` would never end).
pub(crate) fn read_small(path: &Path) -> std::io::Result<String> {
    if !std::fs::symlink_metadata(path)?.file_type().is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    let mut s = String::new();
    file.take(SMALL_LIMIT).read_to_string(&mut s)?;
    Ok(s)
}

/// Byte offsets of line starts, for turning offsets into line and column.
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let column = offset - self.starts[line - 1] + 1;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }
}

/// Decodes standard or URL-safe base64 (padding optional); `None` on invalid input.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        }))
    }
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in s.as_bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn alg(name: &str) -> Option<HashAlg> {
    Some(match name.to_ascii_lowercase().as_str() {
        "sha1" => HashAlg::Sha1,
        "sha256" => HashAlg::Sha256,
        "sha384" => HashAlg::Sha384,
        "sha512" => HashAlg::Sha512,
        "md5" => HashAlg::Md5,
        _ => return None,
    })
}

/// A Subresource Integrity value (`sha512-<base64>`, as npm, yarn, pnpm and bun write) as
/// a hex hash.
pub(crate) fn sri(value: &str) -> Option<Hash> {
    // Several values may be given, separated by spaces: the first known one is used.
    value.split_whitespace().find_map(|v| {
        let (name, b64) = v.split_once('-')?;
        let alg = alg(name)?;
        let bytes = base64_decode(b64)?;
        let hash = Hash {
            alg,
            value: hex(&bytes),
        };
        (Some(hash.value.len()) == hash.alg.hex_len()).then_some(hash)
    })
}

/// An `alg:hex` value (`sha256:ab12…`, as pip, poetry, uv and pdm write) as a hash.
pub(crate) fn prefixed_hex(value: &str) -> Option<Hash> {
    let (name, hex) = value.trim().split_once([':', '='])?;
    let alg = alg(name)?;
    let hash = Hash {
        alg,
        value: hex.to_ascii_lowercase(),
    };
    (Some(hash.value.len()) == hash.alg.hex_len()
        && hash.value.bytes().all(|b| b.is_ascii_hexdigit()))
    .then_some(hash)
}

/// A bare hex digest whose length tells the algorithm (SHA-1, SHA-256, SHA-512).
pub(crate) fn bare_hex(value: &str) -> Option<Hash> {
    let value = value.trim().to_ascii_lowercase();
    if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let alg = match value.len() {
        40 => HashAlg::Sha1,
        64 => HashAlg::Sha256,
        128 => HashAlg::Sha512,
        _ => return None,
    };
    Some(Hash { alg, value })
}

/// Strips a trailing `#` comment that starts at a word boundary.
pub(crate) fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// Offsets of each line of `text` (the line without its terminator, and its start).
pub(crate) fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        (start, raw.trim_end_matches(['\n', '\r']))
    })
}

/// Adds what an XML text event holds (text, CDATA, a character or predefined entity
/// reference) to `buf`; whether `event` was one. `offset` locates a decoding error.
pub(crate) fn xml_text(
    buf: &mut String,
    event: &quick_xml::events::Event<'_>,
    offset: usize,
) -> Result<bool, (usize, String)> {
    use quick_xml::events::Event;
    match event {
        Event::Text(t) => buf.push_str(&t.decode().map_err(|e| (offset, e.to_string()))?),
        Event::CData(t) => buf.push_str(&t.decode().map_err(|e| (offset, e.to_string()))?),
        Event::GeneralRef(r) => {
            if let Ok(Some(ch)) = r.resolve_char_ref() {
                buf.push(ch);
            } else if let Ok(name) = r.decode()
                && let Some(s) = quick_xml::escape::resolve_predefined_entity(&name)
            {
                buf.push_str(s);
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_values_become_hex() {
        let h = sri("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")
            .unwrap();
        assert_eq!(h.alg, HashAlg::Sha512);
        assert!(h.value.starts_with("cf83e1357eefb8bd"));
        assert_eq!(sri("sha1-abc"), None);
        let h = sri("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=").unwrap();
        assert_eq!(h.value, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    #[test]
    fn line_index() {
        let idx = LineIndex::new(b"ab\ncd\n\nef");
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(4), (2, 2));
        assert_eq!(idx.line_col(7), (4, 1));
    }

    #[test]
    fn comments() {
        assert_eq!(strip_comment("a==1 # x"), "a==1 ");
        assert_eq!(strip_comment("https://x/#egg=a"), "https://x/#egg=a");
    }
}
