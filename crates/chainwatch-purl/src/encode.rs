//! Percent-encoding and decoding exactly as the purl specification (ECMA-427) says.
//!
//! A canonical component keeps the alphanumeric characters, the punctuation characters
//! `.-_~` and the colon `:` literal; every other byte of its UTF-8 encoding becomes a
//! `%XX` triplet with upper-case hex digits (so `+` is `%2B`, `@` is `%40`, `/` inside a
//! segment or a qualifier value is `%2F` and a space is `%20`).

use std::borrow::Cow;

/// Whether a byte stays literal in a canonical purl component.
#[inline]
const fn is_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':')
}

/// Per byte: `true` when it stays literal. `SEGMENTS` also keeps `/`, the separator of
/// namespace, subpath and git name segments.
const fn literal_table(slash: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        #[expect(clippy::cast_possible_truncation, reason = "i < 256")]
        let b = i as u8;
        table[i] = is_literal(b) || (slash && b == b'/');
        i += 1;
    }
    table
}

/// A component encoded as a whole: `/` is escaped.
pub(crate) static COMPONENT: [bool; 256] = literal_table(false);
/// Segments joined by `/`: the `/` stays.
pub(crate) static SEGMENTS: [bool; 256] = literal_table(true);

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// `%00%01…%FF`: the escape of byte `b` is `TRIPLETS[3 * b..3 * b + 3]`.
static TRIPLETS: [u8; 768] = {
    let mut t = [0u8; 768];
    let mut i = 0;
    while i < 256 {
        t[3 * i] = b'%';
        t[3 * i + 1] = HEX_UPPER[i >> 4];
        t[3 * i + 2] = HEX_UPPER[i & 0x0f];
        i += 1;
    }
    t
};

fn triplet(b: u8) -> &'static str {
    let i = 3 * usize::from(b);
    // The table is ASCII, so every 3-byte window is a valid `str`.
    std::str::from_utf8(&TRIPLETS[i..i + 3]).unwrap_or("%3F")
}

/// How many bytes of `s` `table` percent-encodes (each becomes three).
pub(crate) fn escapes(s: &str, table: &[bool; 256]) -> usize {
    s.bytes().filter(|&b| !table[usize::from(b)]).count()
}

/// Appends `s` to `out`, percent-encoding every byte that `table` does not keep literal.
/// Returns whether anything was encoded.
pub(crate) fn encode_into(out: &mut String, s: &str, table: &[bool; 256]) -> bool {
    let bytes = s.as_bytes();
    if bytes.iter().all(|&b| table[usize::from(b)]) {
        out.push_str(s);
        return false;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !table[usize::from(b)] {
            // Literal bytes are ASCII, so a non-empty run always ends on a char boundary.
            if start < i {
                out.push_str(&s[start..i]);
            }
            out.push_str(triplet(b));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push_str(&s[start..]);
    }
    true
}

/// Why a component could not be percent-decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// A `%` at this byte offset (relative to the component) is not followed by two hex digits.
    BadTriplet(usize),
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

#[inline]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `s`. Borrowed when there is nothing to decode.
pub(crate) fn decode(s: &str) -> Result<Cow<'_, str>, DecodeError> {
    let bytes = s.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'%') else {
        return Ok(Cow::Borrowed(s));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(DecodeError::BadTriplet(i)),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| DecodeError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let mut out = String::new();
        encode_into(&mut out, s, &COMPONENT);
        assert_eq!(out.len(), s.len() + 2 * escapes(s, &COMPONENT));
        out
    }

    #[test]
    fn encodes_only_what_the_spec_requires() {
        assert_eq!(enc("abcXYZ019.-_~:"), "abcXYZ019.-_~:");
        assert_eq!(enc("1.0.0 Final"), "1.0.0%20Final");
        assert_eq!(enc("node@20"), "node%4020");
        assert_eq!(enc("NSData+zlib"), "NSData%2Bzlib");
        assert_eq!(enc("https://x/y"), "https:%2F%2Fx%2Fy");
        assert_eq!(enc("a,b"), "a%2Cb");
        assert_eq!(enc("é"), "%C3%A9");
        let mut segments = String::new();
        encode_into(&mut segments, "a b/c", &SEGMENTS);
        assert_eq!(segments, "a%20b/c");
    }

    #[test]
    fn decodes_triplets_in_either_case() {
        assert_eq!(decode("a%2fb%2Fc").unwrap(), "a/b/c");
        assert_eq!(decode("%C3%A9").unwrap(), "é");
        assert!(matches!(decode("plain").unwrap(), Cow::Borrowed("plain")));
    }

    #[test]
    fn rejects_truncated_or_non_hex_triplets() {
        assert_eq!(decode("ab%2"), Err(DecodeError::BadTriplet(2)));
        assert_eq!(decode("%zz"), Err(DecodeError::BadTriplet(0)));
        assert_eq!(decode("%"), Err(DecodeError::BadTriplet(0)));
        assert_eq!(decode("%FF"), Err(DecodeError::NotUtf8));
    }
}
