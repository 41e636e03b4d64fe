//! The file rules: executables and random-looking blobs in a package that is otherwise
//! source.

use crate::Finding;
use crate::archive::Entry;
use crate::manifest::Manifest;

/// What kind of executable `data` is, from its magic bytes.
pub fn executable_format(data: &[u8]) -> Option<&'static str> {
    const MACHO: [[u8; 4]; 4] = [
        [0xfe, 0xed, 0xfa, 0xce],
        [0xfe, 0xed, 0xfa, 0xcf],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xcf, 0xfa, 0xed, 0xfe],
    ];
    if data.starts_with(b"\x7fELF") {
        return Some("ELF");
    }
    if data.starts_with(b"MZ") && data.len() >= 0x40 {
        let at = u32::from_le_bytes([data[0x3c], data[0x3d], data[0x3e], data[0x3f]]) as usize;
        if data.get(at..at + 4) == Some(b"PE\0\0") || data.len() < at + 4 {
            return Some("PE");
        }
        // A DOS stub whose header points past what was kept still is an executable.
        return data.iter().take(512).any(|&b| b == 0).then_some("PE");
    }
    if MACHO.iter().any(|m| data.starts_with(m)) {
        return Some("Mach-O");
    }
    None
}

/// Extensions of formats that are never executables.
const DISGUISES: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "svg", "webp", "txt", "md", "json", "js", "mjs",
    "cjs", "ts", "py", "rb", "rs", "css", "html", "htm", "xml", "yml", "yaml", "toml", "csv",
    "pdf", "mp3", "mp4", "wav", "woff", "woff2", "ttf", "log", "cfg", "ini", "lock",
];

/// Formats whose bytes look random by design (compressed or encoded media, fonts,
/// archives, bytecode), from their magic bytes.
fn known_format(data: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[
        b"\x89PNG",
        b"\xff\xd8\xff",
        b"GIF8",
        b"RIFF",
        b"BM",
        b"II*\0",
        b"MM\0*",
        b"wOFF",
        b"wOF2",
        b"\0\x01\0\0",
        b"OTTO",
        b"true",
        b"ttcf",
        b"%PDF",
        b"PK",
        b"\x1f\x8b",
        b"BZh",
        b"\xfd7zXZ",
        b"\x28\xb5\x2f\xfd",
        b"7z\xbc\xaf",
        b"Rar!",
        b"\0asm",
        b"SQLite format 3",
        b"\xca\xfe\xba\xbe",
        b"\x93NUMPY",
        b"\xde\x12\x04\x95",
        b"\x95\x04\x12\xde",
        b"!<arch>",
        b"icns",
        b"\0\0\x01\0",
        b"OggS",
        b"fLaC",
        b"ID3",
        b"\xff\xfb",
        b"8BPS",
        b"\0\0\0\x01Bud1",
        b"PACK",
        b"\x30\x82",
        b"-----BEGIN",
        b"\x04\x22\x4d\x18",
        b"]\0\0",
        b"LZIP",
        b"\xed\xab\xee\xdb",
        b"MSCF",
        b"\x80\x02",
        b"\x80\x03",
        b"\x80\x04",
        b"\x80\x05",
        b"KTX",
        b"DDS ",
        b"glTF",
        b"\x1a\x45\xdf\xa3",
    ];
    if MAGIC.iter().any(|m| data.starts_with(m)) {
        return true;
    }
    // ISO base media (mp4, heic, avif): `ftyp` at byte 4. Python bytecode: two magic
    // bytes then `\r\n`.
    data.get(4..8) == Some(b"ftyp") || data.get(2..4) == Some(b"\r\n")
}

/// Shannon entropy in bits per byte.
#[allow(clippy::cast_precision_loss)] // counts of at most a few MiB: exact in f64
pub fn entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Runs the file rules over one entry.
pub fn check_file(entry: &Entry, manifest: Option<&Manifest>) -> Vec<Finding> {
    let mut out = Vec::new();
    if entry.link.is_some() || entry.data.is_empty() {
        return out;
    }
    let native = manifest.is_some_and(|m| m.declares_native || m.built);
    if let Some(format) = executable_format(&entry.data) {
        let ext = entry
            .path
            .rsplit('/')
            .next()
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, e)| e.to_ascii_lowercase());
        if ext.as_deref().is_some_and(|e| DISGUISES.contains(&e)) {
            out.push(Finding::new(
                "disguised-file",
                &entry.path,
                None,
                format!(
                    "a {format} executable named as a `.{}` file",
                    ext.unwrap_or_default()
                ),
                &format!("{format}, {} bytes", entry.size),
            ));
        } else if !native {
            out.push(Finding::new(
                "shipped-binary",
                &entry.path,
                None,
                format!(
                    "a {format} executable or library ({} bytes) in a source package",
                    entry.size
                ),
                &format!("{format}, {} bytes", entry.size),
            ));
        }
        return out;
    }
    let compressed_name = [
        ".gz", ".zst", ".zstd", ".xz", ".bz2", ".lz4", ".br", ".lzma", ".z", ".7z", ".zip", ".sz",
    ]
    .iter()
    .any(|e| entry.path.to_ascii_lowercase().ends_with(e));
    if entry.data.len() >= 4096 && !known_format(&entry.data) && !compressed_name {
        let probe = &entry.data[..entry.data.len().min(1 << 20)];
        let binary = std::str::from_utf8(&probe[..probe.len().min(8192)]).is_err()
            || probe[..probe.len().min(8192)].contains(&0);
        if binary {
            let bits = entropy(probe);
            if bits >= 7.2 {
                let test = crate::checks::is_test_path(&entry.path)
                    || entry.path.split('/').any(|p| p == "data");
                let finding = Finding::new(
                    "opaque-blob",
                    &entry.path,
                    None,
                    format!(
                        "{} bytes of random-looking data ({bits:.2} bits per byte) in no known format",
                        entry.size
                    ),
                    &format!("{bits:.2} bits/byte, {} bytes", entry.size),
                );
                out.push(if test {
                    finding.at(crate::Severity::Low)
                } else {
                    finding
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_entropy() {
        let mut pe = vec![0u8; 256];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        assert_eq!(executable_format(&pe), Some("PE"));
        assert_eq!(executable_format(b"\x7fELF\x02\x01"), Some("ELF"));
        assert_eq!(executable_format(b"MZ is a text"), None);
        assert!(entropy(&[7; 100]) < 0.01);
        let all: Vec<u8> = (0..=255).collect();
        assert!((entropy(&all) - 8.0).abs() < 1e-9);
    }
}
