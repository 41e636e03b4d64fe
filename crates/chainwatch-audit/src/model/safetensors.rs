//! A safetensors header, checked the way a strict loader would: an 8-byte little-endian
//! length, a JSON object of tensors (`dtype`, `shape`, `data_offsets`) and an optional
//! `__metadata__` map of strings, then the tensor bytes. Only the header is read.

use std::io::Read;

/// The largest header accepted (the reference implementation's limit).
pub const MAX_HEADER: u64 = 100 * 1024 * 1024;

/// One tensor of the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    pub begin: u64,
    pub end: u64,
}

/// What the header says and what is wrong with it.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub header_len: u64,
    pub tensors: Vec<Tensor>,
    pub metadata: Vec<(String, String)>,
    /// Inconsistencies a strict loader refuses: (JSON pointer or offset, why).
    pub problems: Vec<(String, String)>,
    /// Bytes after the last tensor, which loaders never read.
    pub trailing: u64,
    /// Bytes between tensors that no tensor covers.
    pub gaps: u64,
}

/// Bits per element of a safetensors dtype.
fn bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "I64" | "U64" | "F64" | "C64" => 64,
        "F6_E2M3" | "F6_E3M2" => 6,
        "F4" => 4,
        _ => return None,
    })
}

/// Why a file is not a safetensors file at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSafetensors(pub String);

/// Reads the header of a file of `file_len` bytes from `reader` (at its start).
pub fn read<R: Read>(mut reader: R, file_len: u64) -> Result<Header, NotSafetensors> {
    let mut len = [0u8; 8];
    reader
        .read_exact(&mut len)
        .map_err(|_| NotSafetensors("shorter than the 8-byte header length".into()))?;
    let header_len = u64::from_le_bytes(len);
    if header_len > MAX_HEADER {
        return Err(NotSafetensors(format!(
            "a header of {header_len} bytes, above the 100 MiB limit"
        )));
    }
    if header_len + 8 > file_len {
        return Err(NotSafetensors(format!(
            "a header of {header_len} bytes in a file of {file_len}"
        )));
    }
    let mut text = vec![0u8; usize::try_from(header_len).unwrap_or(0)];
    reader
        .read_exact(&mut text)
        .map_err(|e| NotSafetensors(format!("cannot read the header: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        NotSafetensors(format!(
            "the header is not JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(NotSafetensors("the header is not a JSON object".into()));
    };
    let mut header = Header {
        header_len,
        ..Header::default()
    };
    if !text.starts_with(b"{") {
        header.problems.push((
            "/".into(),
            "the header does not start with `{`, as the format requires".into(),
        ));
    }
    if duplicate_keys(&text) {
        header.problems.push((
            "/".into(),
            "a key appears twice in the header; loaders disagree on which one counts".into(),
        ));
    }
    for (name, entry) in &map {
        let pointer = format!("/{}", name.replace('~', "~0").replace('/', "~1"));
        if name == "__metadata__" {
            match entry {
                serde_json::Value::Object(meta) => {
                    for (k, v) in meta {
                        match v {
                            serde_json::Value::String(s) => {
                                header.metadata.push((k.clone(), s.clone()));
                            }
                            _ => header.problems.push((
                                format!("{pointer}/{k}"),
                                "a metadata value that is not a string".into(),
                            )),
                        }
                    }
                }
                _ => header
                    .problems
                    .push((pointer, "`__metadata__` is not an object".into())),
            }
            continue;
        }
        match tensor(name, entry) {
            Ok(t) => header.tensors.push(t),
            Err(why) => header.problems.push((pointer, why)),
        }
    }
    let data_len = file_len - 8 - header_len;
    check_layout(&mut header, data_len);
    Ok(header)
}

fn tensor(name: &str, entry: &serde_json::Value) -> Result<Tensor, String> {
    let obj = entry
        .as_object()
        .ok_or_else(|| "a tensor entry that is not an object".to_owned())?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "dtype" | "shape" | "data_offsets") {
            return Err(format!("an unknown field `{key}`"));
        }
    }
    let dtype = obj
        .get("dtype")
        .and_then(|d| d.as_str())
        .ok_or_else(|| "no `dtype` string".to_owned())?;
    let bits_per = bits(dtype).ok_or_else(|| format!("an unknown dtype `{dtype}`"))?;
    let shape: Vec<u64> = obj
        .get("shape")
        .and_then(|s| s.as_array())
        .ok_or_else(|| "no `shape` array".to_owned())?
        .iter()
        .map(|d| {
            d.as_u64()
                .ok_or_else(|| format!("a dimension `{d}` that is not a size"))
        })
        .collect::<Result<_, _>>()?;
    let offsets = obj
        .get("data_offsets")
        .and_then(|o| o.as_array())
        .filter(|o| o.len() == 2)
        .ok_or_else(|| "no `data_offsets` pair".to_owned())?;
    let (Some(begin), Some(end)) = (offsets[0].as_u64(), offsets[1].as_u64()) else {
        return Err("`data_offsets` that are not sizes".into());
    };
    if end < begin {
        return Err(format!(
            "`data_offsets` [{begin}, {end}] end before they begin"
        ));
    }
    let elements = shape
        .iter()
        .try_fold(1u64, |n, d| n.checked_mul(*d))
        .ok_or_else(|| "a shape whose size overflows".to_owned())?;
    let total_bits = elements
        .checked_mul(bits_per)
        .ok_or_else(|| "a shape whose size overflows".to_owned())?;
    if total_bits % 8 != 0 {
        return Err(format!(
            "{elements} elements of `{dtype}` do not fill whole bytes"
        ));
    }
    if total_bits / 8 != end - begin {
        return Err(format!(
            "shape {shape:?} of `{dtype}` needs {} bytes; `data_offsets` [{begin}, {end}] hold {}",
            total_bits / 8,
            end - begin
        ));
    }
    Ok(Tensor {
        name: name.to_owned(),
        dtype: dtype.to_owned(),
        shape,
        begin,
        end,
    })
}

fn check_layout(header: &mut Header, data_len: u64) {
    let mut spans: Vec<(u64, u64, &str)> = header
        .tensors
        .iter()
        .map(|t| (t.begin, t.end, t.name.as_str()))
        .collect();
    spans.sort_unstable();
    let mut problems = Vec::new();
    let mut covered = 0u64;
    let mut last_end = 0u64;
    for w in spans.windows(2) {
        if w[1].0 < w[0].1 {
            problems.push((
                format!("/{}", w[1].2),
                format!("its bytes overlap those of `{}`", w[0].2),
            ));
        }
    }
    for (begin, end, name) in &spans {
        if *end > data_len {
            problems.push((
                format!("/{name}"),
                format!("its bytes end at {end}, past the {data_len} bytes of data"),
            ));
        }
        if *begin > last_end {
            covered += begin - last_end;
        }
        last_end = last_end.max(*end);
    }
    header.gaps = covered;
    header.trailing = data_len.saturating_sub(last_end);
    header.problems.extend(problems);
}

/// Whether a JSON object's top level (or the metadata) names a key twice.
fn duplicate_keys(text: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Keys(#[serde(deserialize_with = "unique")] ());
    fn unique<'de, D: serde::Deserializer<'de>>(d: D) -> Result<(), D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                let mut seen = std::collections::HashSet::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    if !seen.insert(k) {
                        return Err(serde::de::Error::custom("duplicate"));
                    }
                }
                Ok(())
            }
        }
        d.deserialize_map(V)
    }
    serde_json::from_slice::<Keys>(text).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: usize) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend(std::iter::repeat_n(0u8, data));
        out
    }

    fn read_all(bytes: &[u8]) -> Result<Header, NotSafetensors> {
        read(bytes, bytes.len() as u64)
    }

    #[test]
    fn a_clean_header() {
        let f = file(
            r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}}"#,
            22,
        );
        let h = read_all(&f).unwrap();
        assert!(h.problems.is_empty(), "{:?}", h.problems);
        assert_eq!(h.tensors.len(), 2);
        assert_eq!(h.trailing, 0);
        assert_eq!(h.metadata, [("format".to_owned(), "pt".to_owned())]);
    }

    #[test]
    fn inconsistencies() {
        let f = file(
            r#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"c":{"dtype":"F32","shape":[4],"data_offsets":[16,20]},"d":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}}"#,
            40,
        );
        let h = read_all(&f).unwrap();
        let text = format!("{:?}", h.problems);
        assert!(text.contains("overlap"), "{text}");
        assert!(text.contains("needs 16 bytes"), "{text}");
        assert!(text.contains("unknown dtype `Q9`"), "{text}");
        assert_eq!(h.trailing, 24);
    }

    #[test]
    fn duplicates_and_garbage() {
        let f = file(
            r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
            1,
        );
        assert!(format!("{:?}", read_all(&f).unwrap().problems).contains("twice"));
        assert!(read_all(b"\xff\xff\xff\xff\xff\xff\xff\xff{}").is_err());
        assert!(read_all(&file("[1]", 0)).is_err());
        assert!(read_all(b"abc").is_err());
    }
}
