//! A GGUF header (llama.cpp's model format): magic, version, the metadata key-value pairs
//! and the tensor table, read from the start of the file and never past it. Strings and
//! arrays are bounded, so a hostile count costs reading time, not memory.

use std::io::{BufReader, Read};

/// The most key-value pairs and tensors accepted.
const MAX_KV: u64 = 1 << 20;
const MAX_TENSORS: u64 = 1 << 22;
/// The longest string kept (longer ones are skipped past this length).
const MAX_KEPT: u64 = 1 << 20;
/// The longest string or array accepted at all.
const MAX_STRING: u64 = 1 << 30;
const MAX_ARRAY: u64 = 1 << 28;
const MAX_DIMS: u32 = 8;

/// A metadata value, as far as the audit needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(String),
    /// An array: its element type and length (its items are skipped).
    Array {
        ty: u32,
        len: u64,
    },
}

/// One tensor of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub ty: u32,
    pub offset: u64,
}

/// What the header says.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub version: u32,
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<Tensor>,
    /// Where the tensor data starts (after the header, aligned).
    pub data_start: u64,
    pub alignment: u64,
    /// Inconsistencies: (where, why).
    pub problems: Vec<(String, String)>,
}

impl Header {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// Why a file is not a readable GGUF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotGguf(pub String);

struct Src<R> {
    inner: BufReader<R>,
    pos: u64,
}

impl<R: Read> Src<R> {
    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N], NotGguf> {
        let mut b = [0u8; N];
        self.inner.read_exact(&mut b).map_err(|_| {
            NotGguf(format!(
                "the file ends inside {what} at offset {}",
                self.pos
            ))
        })?;
        self.pos += N as u64;
        Ok(b)
    }

    fn u32(&mut self, what: &str) -> Result<u32, NotGguf> {
        Ok(u32::from_le_bytes(self.bytes::<4>(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, NotGguf> {
        Ok(u64::from_le_bytes(self.bytes::<8>(what)?))
    }

    fn string(&mut self, what: &str, keep: u64) -> Result<String, NotGguf> {
        let at = self.pos;
        let len = self.u64(what)?;
        if len > MAX_STRING {
            return Err(NotGguf(format!("{what} at offset {at} claims {len} bytes")));
        }
        let kept = len.min(keep);
        let mut buf = vec![0u8; usize::try_from(kept).unwrap_or(0)];
        self.inner
            .read_exact(&mut buf)
            .map_err(|_| NotGguf(format!("the file ends inside {what} at offset {at}")))?;
        self.pos += kept;
        self.skip(len - kept, what)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), NotGguf> {
        if n == 0 {
            return Ok(());
        }
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(|e| NotGguf(format!("cannot read {what}: {e}")))?;
        self.pos += copied;
        if copied < n {
            return Err(NotGguf(format!("the file ends inside {what}")));
        }
        Ok(())
    }

    fn value(&mut self, ty: u32, key: &str, depth: usize) -> Result<Value, NotGguf> {
        let what = format!("the value of `{key}`");
        Ok(match ty {
            0 => Value::Int(i128::from(self.bytes::<1>(&what)?[0])),
            1 => Value::Int(i128::from(i8::from_le_bytes(self.bytes::<1>(&what)?))),
            2 => Value::Int(i128::from(u16::from_le_bytes(self.bytes::<2>(&what)?))),
            3 => Value::Int(i128::from(i16::from_le_bytes(self.bytes::<2>(&what)?))),
            4 => Value::Int(i128::from(self.u32(&what)?)),
            5 => Value::Int(i128::from(i32::from_le_bytes(self.bytes::<4>(&what)?))),
            6 => Value::Float(f64::from(f32::from_le_bytes(self.bytes::<4>(&what)?))),
            7 => Value::Bool(self.bytes::<1>(&what)?[0] != 0),
            8 => Value::Str(self.string(&what, MAX_KEPT)?),
            9 => {
                if depth > 2 {
                    return Err(NotGguf(format!("`{key}` nests arrays more than 3 deep")));
                }
                let item = self.u32(&what)?;
                let len = self.u64(&what)?;
                if len > MAX_ARRAY {
                    return Err(NotGguf(format!("`{key}` claims an array of {len} items")));
                }
                match fixed_size(item) {
                    Some(size) => self.skip(len * size, &what)?,
                    None => {
                        for _ in 0..len {
                            self.value(item, key, depth + 1)?;
                        }
                    }
                }
                Value::Array { ty: item, len }
            }
            10 => Value::Int(i128::from(self.u64(&what)?)),
            11 => Value::Int(i128::from(i64::from_le_bytes(self.bytes::<8>(&what)?))),
            12 => Value::Float(f64::from_le_bytes(self.bytes::<8>(&what)?)),
            other => {
                return Err(NotGguf(format!(
                    "`{key}` has value type {other}, which GGUF does not define"
                )));
            }
        })
    }
}

fn fixed_size(ty: u32) -> Option<u64> {
    match ty {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}

/// (elements per block, bytes per block) of a ggml tensor type.
fn block(ty: u32) -> Option<(u64, u64)> {
    Some(match ty {
        0 | 26 => (1, 4),
        1 | 30 | 25 => (1, 2),
        2 | 20 => (32, 18),
        3 => (32, 20),
        6 => (32, 22),
        7 => (32, 24),
        8 => (32, 34),
        9 => (32, 40),
        10 => (256, 84),
        11 | 21 => (256, 110),
        12 => (256, 144),
        13 => (256, 176),
        14 => (256, 210),
        15 => (256, 292),
        16 | 35 => (256, 66),
        17 => (256, 74),
        18 => (256, 98),
        19 => (256, 50),
        22 => (256, 82),
        23 => (256, 136),
        24 => (1, 1),
        27 | 28 => (1, 8),
        29 => (256, 56),
        34 => (256, 54),
        39 => (32, 17),
        _ => return None,
    })
}

/// Reads the header of a GGUF file of `file_len` bytes from `reader` (at its start).
pub fn read<R: Read>(reader: R, file_len: u64) -> Result<Header, NotGguf> {
    let mut src = Src {
        inner: BufReader::with_capacity(256 * 1024, reader),
        pos: 0,
    };
    let magic = src.bytes::<4>("the magic")?;
    if &magic != b"GGUF" {
        return Err(NotGguf("no `GGUF` magic".into()));
    }
    let version = src.u32("the version")?;
    if !(1..=3).contains(&version) {
        return Err(NotGguf(format!("version {version}; 1 to 3 are defined")));
    }
    // Version 1 counted in 32 bits.
    let count = |src: &mut Src<R>, what: &str| -> Result<u64, NotGguf> {
        if version == 1 {
            src.u32(what).map(u64::from)
        } else {
            src.u64(what)
        }
    };
    let tensors = count(&mut src, "the tensor count")?;
    let kvs = count(&mut src, "the metadata count")?;
    if tensors > MAX_TENSORS || kvs > MAX_KV {
        return Err(NotGguf(format!(
            "{tensors} tensors and {kvs} metadata pairs claimed"
        )));
    }
    let mut header = Header {
        version,
        alignment: 32,
        ..Header::default()
    };
    for _ in 0..kvs {
        let key = src.string("a metadata key", 4096)?;
        let ty = src.u32("a value type")?;
        let value = src.value(ty, &key, 0)?;
        header.metadata.push((key, value));
    }
    if let Some(a) = header.get("general.alignment") {
        match a {
            Value::Int(a) if u64::try_from(*a).is_ok_and(u64::is_power_of_two) => {
                header.alignment = u64::try_from(*a).unwrap_or(32);
            }
            other => header.problems.push((
                "general.alignment".into(),
                format!("`{other:?}` is not a power of two"),
            )),
        }
    }
    for _ in 0..tensors {
        let name = src.string("a tensor name", 4096)?;
        let n = src.u32("a tensor's dimension count")?;
        if n > MAX_DIMS {
            return Err(NotGguf(format!("tensor `{name}` has {n} dimensions")));
        }
        let mut dims = Vec::with_capacity(n as usize);
        for _ in 0..n {
            dims.push(count(&mut src, "a tensor dimension")?);
        }
        let ty = src.u32("a tensor type")?;
        let offset = src.u64("a tensor offset")?;
        header.tensors.push(Tensor {
            name,
            dims,
            ty,
            offset,
        });
    }
    header.data_start = src.pos.div_ceil(header.alignment) * header.alignment;
    check_tensors(&mut header, file_len);
    Ok(header)
}

fn check_tensors(header: &mut Header, file_len: u64) {
    let data_len = file_len.saturating_sub(header.data_start);
    let mut spans = Vec::new();
    for t in &header.tensors {
        if t.offset % header.alignment != 0 {
            header.problems.push((
                t.name.clone(),
                format!("offset {} is not aligned to {}", t.offset, header.alignment),
            ));
        }
        let Some((per, bytes)) = block(t.ty) else {
            continue;
        };
        let Some(elements) = t.dims.iter().try_fold(1u64, |n, d| n.checked_mul(*d)) else {
            header
                .problems
                .push((t.name.clone(), "a size that overflows".into()));
            continue;
        };
        if elements % per != 0 {
            header.problems.push((
                t.name.clone(),
                format!("{elements} elements do not fill blocks of {per}"),
            ));
            continue;
        }
        let size = (elements / per).saturating_mul(bytes);
        let end = t.offset.saturating_add(size);
        if end > data_len {
            header.problems.push((
                t.name.clone(),
                format!("its data ends at {end}, past the {data_len} bytes of data"),
            ));
        }
        spans.push((t.offset, end, t.name.clone()));
    }
    spans.sort_unstable();
    for w in spans.windows(2) {
        if w[1].0 < w[0].1 {
            header.problems.push((
                w[1].2.clone(),
                format!("its data overlaps that of `{}`", w[0].2),
            ));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A GGUF v3 file with the given string metadata and one F32 tensor of 4 elements.
    pub(crate) fn file(strings: &[(&str, &str)]) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&1u64.to_le_bytes());
        out.extend_from_slice(&(strings.len() as u64).to_le_bytes());
        let s = |out: &mut Vec<u8>, t: &str| {
            out.extend_from_slice(&(t.len() as u64).to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        };
        for (k, v) in strings {
            s(&mut out, k);
            out.extend_from_slice(&8u32.to_le_bytes());
            s(&mut out, v);
        }
        s(&mut out, "w");
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&4u64.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        while !out.len().is_multiple_of(32) {
            out.push(0);
        }
        out.extend_from_slice(&[0u8; 16]);
        out
    }

    #[test]
    fn reads_metadata_and_tensors() {
        let f = file(&[
            ("general.architecture", "llama"),
            ("tokenizer.chat_template", "{{ x }}"),
        ]);
        let h = read(&f[..], f.len() as u64).unwrap();
        assert_eq!(h.version, 3);
        assert_eq!(h.string("general.architecture"), Some("llama"));
        assert_eq!(h.string("tokenizer.chat_template"), Some("{{ x }}"));
        assert_eq!(h.tensors.len(), 1);
        assert!(h.problems.is_empty(), "{:?}", h.problems);
    }

    #[test]
    fn bounds() {
        let f = file(&[]);
        // Data cut short: the tensor runs past the end.
        let cut = &f[..f.len() - 8];
        let h = read(cut, cut.len() as u64).unwrap();
        assert!(format!("{:?}", h.problems).contains("past"));
        // A header cut short is an error.
        assert!(read(&f[..30], 30).is_err());
        // A hostile count.
        let mut big = f.clone();
        big[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(read(&big[..], big.len() as u64).is_err());
        assert!(read(&b"GGML...."[..], 8).is_err());
    }
}
