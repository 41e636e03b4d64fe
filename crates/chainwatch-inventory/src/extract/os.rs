//! Operating-system package databases inside a tree: Debian/Ubuntu `var/lib/dpkg/status`
//! (and distroless `status.d/`), Alpine `lib/apk/db/installed`, RPM `rpmdb.sqlite`.
//! Packages get `arch`, `distro` (from the tree's `os-release`) and `upstream` (the
//! source package) qualifiers, so that advisories about a source package (`xz-utils`) find
//! its binary packages (`liblzma5`).

use std::path::Path;

use chainwatch_purl::PurlBuilder;
use chainwatch_sbom::Location;

use crate::Distro;
use crate::context::{Context, Resolver, purl};
use crate::text::lines_with_offsets;

/// The root filesystem holding a package database `depth` directories down.
fn root_of(path: &Path, depth: usize) -> Option<&Path> {
    let mut p = path;
    for _ in 0..depth {
        p = p.parent()?;
    }
    Some(p)
}

/// One `Key: value` stanza of a dpkg or apk database, with continuation lines joined.
struct Stanza<'a> {
    line: u32,
    fields: Vec<(&'a str, String)>,
}

impl Stanza<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

fn stanzas<'a>(cx: &mut Context<'_>, text: &'a str, separator: char) -> Vec<Stanza<'a>> {
    let mut out: Vec<Stanza<'a>> = Vec::new();
    let mut current: Option<Stanza<'a>> = None;
    for (offset, line) in lines_with_offsets(text) {
        if line.trim().is_empty() {
            if let Some(s) = current.take() {
                out.push(s);
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(s) = current.as_mut()
                && let Some((_, v)) = s.fields.last_mut()
            {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        let line_no = cx.line_of(offset);
        let Some((key, value)) = line.split_once(separator) else {
            cx.entry(
                format!("expected `Field{separator} value`, found `{line}`"),
                Location::line(line_no, 1),
            );
            continue;
        };
        current
            .get_or_insert_with(|| Stanza {
                line: line_no,
                fields: Vec::new(),
            })
            .fields
            .push((key, value.trim().to_owned()));
    }
    out.extend(current);
    out
}

/// Adds `distro` and `upstream` qualifiers.
fn qualify(
    mut b: PurlBuilder,
    distro: Option<&Distro>,
    name: &str,
    source: Option<(&str, Option<&str>)>,
    version: &str,
) -> PurlBuilder {
    if let Some((src, src_version)) = source
        && (src != name || src_version.is_some_and(|v| v != version))
    {
        let up = match src_version.filter(|v| *v != version) {
            Some(v) => format!("{src}@{v}"),
            None => src.to_owned(),
        };
        b = b.qualifier("upstream", up);
    }
    if let Some(d) = distro {
        b = b.qualifier("distro", d.qualifier());
    }
    b
}

/// Whether a dpkg `Status` says the package's files are on disk.
fn dpkg_installed(status: &str) -> bool {
    let state = status.split_whitespace().last().unwrap_or("");
    !matches!(state, "not-installed" | "config-files")
}

pub(crate) fn dpkg(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    // `var/lib/dpkg/status` or `var/lib/dpkg/status.d/NAME`
    let depth = if cx.rel.contains("status.d/") { 5 } else { 4 };
    let distro = root_of(cx.path, depth).and_then(Distro::of_root);
    let namespace = distro
        .as_ref()
        .map_or("debian", |d| {
            if d.id == "ubuntu" {
                "ubuntu"
            } else if d.id == "debian" {
                "debian"
            } else {
                d.id.as_str()
            }
        })
        .to_owned();
    let stanzas = stanzas(cx, text, ':');
    let mut names = Resolver::default();
    let mut rows = Vec::new();
    for s in &stanzas {
        let at = || Location::line(s.line, 1);
        if s.get("Status").is_some_and(|st| !dpkg_installed(st)) {
            continue;
        }
        let (Some(name), Some(version)) = (s.get("Package"), s.get("Version")) else {
            cx.entry("a stanza without `Package` or `Version`", at());
            continue;
        };
        let arch = s.get("Architecture");
        // `Source: xz-utils` or `Source: xz-utils (5.4.1-0.2)`
        let source = s.get("Source").map(|src| match src.split_once(" (") {
            Some((n, v)) => (n.trim(), Some(v.trim_end_matches(')').trim())),
            None => (src.trim(), None),
        });
        let mut b = purl("deb", Some(&namespace), name, Some(version));
        if let Some(a) = arch {
            b = b.qualifier("arch", a);
        }
        let b = qualify(b, distro.as_ref(), name, source, version);
        let Some(i) = cx.package(b, at) else { continue };
        cx.get(i).line = Some(s.line);
        if let Some(root) = root_of(cx.path, depth) {
            cx.get(i).license = dep5_licenses(root, name);
        }
        names.insert(name, i);
        if let Some(a) = arch {
            names.insert(format!("{name}:{a}"), i);
        }
        for p in s.get("Provides").into_iter().flat_map(|p| p.split(',')) {
            if let Some(n) = p.split_whitespace().next() {
                names.insert(n, i);
            }
        }
        rows.push((i, s));
    }
    for (i, s) in rows {
        for field in ["Pre-Depends", "Depends"] {
            for group in s.get(field).into_iter().flat_map(|d| d.split(',')) {
                // The first alternative that is installed.
                let to = group.split('|').find_map(|alt| {
                    let n = alt.split_whitespace().next()?;
                    let n = n.strip_suffix(":any").unwrap_or(n);
                    names.all(n).first().copied()
                });
                if let Some(to) = to {
                    cx.edge(i, to);
                }
            }
        }
    }
    cx.dedup_edges();
    cx.direct_unknown();
}

/// The licences a Debian package's machine-readable copyright file (DEP-5,
/// `usr/share/doc/PACKAGE/copyright` under the root) names, each once, joined with
/// `AND` (every one applies to some of its files). `None` without such a file, for a
/// free-form one, or when a directory on the way is a symbolic link (it could lead out
/// of the root).
fn dep5_licenses(root: &Path, package: &str) -> Option<String> {
    if package.is_empty() || package.contains(['/', '\\']) || package.starts_with('.') {
        return None;
    }
    let mut path = root.to_path_buf();
    for part in ["usr", "share", "doc", package, "copyright"] {
        path.push(part);
        if std::fs::symlink_metadata(&path)
            .ok()?
            .file_type()
            .is_symlink()
        {
            return None;
        }
    }
    let text = crate::text::read_small(&path).ok()?;
    if !text.starts_with("Format:") {
        return None;
    }
    let mut found: Vec<&str> = Vec::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("License:") {
            let v = v.trim();
            if !v.is_empty() && !found.contains(&v) {
                found.push(v);
            }
        }
    }
    match found.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        many => Some(
            many.iter()
                .map(|l| {
                    if l.contains(' ') {
                        format!("({l})")
                    } else {
                        (*l).to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    }
}

pub(crate) fn apk(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let distro = root_of(cx.path, 4).and_then(Distro::of_root);
    let namespace = distro
        .as_ref()
        .map_or("alpine", |d| d.id.as_str())
        .to_owned();
    let stanzas = stanzas(cx, text, ':');
    let mut names = Resolver::default();
    let mut rows = Vec::new();
    for s in &stanzas {
        let at = || Location::line(s.line, 1);
        let (Some(name), Some(version)) = (s.get("P"), s.get("V")) else {
            cx.entry("a package without `P:` or `V:`", at());
            continue;
        };
        let mut b = purl("apk", Some(&namespace), name, Some(version));
        if let Some(a) = s.get("A") {
            b = b.qualifier("arch", a);
        }
        let b = qualify(
            b,
            distro.as_ref(),
            name,
            s.get("o").map(|o| (o, None)),
            version,
        );
        let Some(i) = cx.package(b, at) else { continue };
        let p = cx.get(i);
        p.line = Some(s.line);
        p.license = s.get("L").map(str::to_owned);
        names.insert(name, i);
        for prov in s.get("p").into_iter().flat_map(str::split_whitespace) {
            let n = prov.split(['=', '<', '>', '~']).next().unwrap_or(prov);
            names.insert(n, i);
        }
        rows.push((i, s));
    }
    for (i, s) in rows {
        for dep in s.get("D").into_iter().flat_map(str::split_whitespace) {
            if dep.starts_with('!') {
                continue; // a conflict
            }
            let n = dep.split(['=', '<', '>', '~']).next().unwrap_or(dep);
            if let Some(&to) = names.all(n).first() {
                cx.edge(i, to);
            }
        }
    }
    cx.dedup_edges();
    cx.direct_unknown();
}

// ---------------------------------------------------------------------------------------
// RPM

const TAG_NAME: i32 = 1000;
const TAG_VERSION: i32 = 1001;
const TAG_RELEASE: i32 = 1002;
const TAG_EPOCH: i32 = 1003;
const TAG_LICENSE: i32 = 1014;
const TAG_ARCH: i32 = 1022;
const TAG_SOURCERPM: i32 = 1044;

/// The tags chainwatch reads from an RPM header blob (the database form: index count, data
/// length, index entries, data; no lead or magic).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RpmHeader {
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) release: Option<String>,
    pub(crate) epoch: Option<u32>,
    pub(crate) arch: Option<String>,
    pub(crate) license: Option<String>,
    pub(crate) source_rpm: Option<String>,
}

pub(crate) fn parse_rpm_header(blob: &[u8]) -> Result<RpmHeader, String> {
    let be32 = |at: usize| -> Result<u32, String> {
        blob.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| format!("truncated header at byte {at}"))
    };
    let count = usize::try_from(be32(0)?).map_err(|e| e.to_string())?;
    let data_len = usize::try_from(be32(4)?).map_err(|e| e.to_string())?;
    let index_end = count
        .checked_mul(16)
        .and_then(|n| n.checked_add(8))
        .filter(|&n| n <= blob.len())
        .ok_or("the index is longer than the header")?;
    let data = blob
        .get(index_end..index_end.checked_add(data_len).ok_or("overflow")?)
        .ok_or("the data is longer than the header")?;
    let mut h = RpmHeader::default();
    for e in 0..count {
        let at = 8 + e * 16;
        let tag = i32::from_be_bytes(be32(at)?.to_be_bytes());
        let ty = be32(at + 4)?;
        let offset = usize::try_from(be32(at + 8)?).map_err(|e| e.to_string())?;
        let string = || -> Option<String> {
            // STRING (6), STRING_ARRAY (8, the first) or I18NSTRING (9, the first).
            if !matches!(ty, 6 | 8 | 9) {
                return None;
            }
            let rest = data.get(offset..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            Some(String::from_utf8_lossy(&rest[..end]).into_owned())
        };
        match tag {
            TAG_NAME => h.name = string(),
            TAG_VERSION => h.version = string(),
            TAG_RELEASE => h.release = string(),
            TAG_LICENSE => h.license = string(),
            TAG_ARCH => h.arch = string(),
            TAG_SOURCERPM => h.source_rpm = string(),
            TAG_EPOCH if ty == 4 => {
                h.epoch = data
                    .get(offset..offset + 4)
                    .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            }
            _ => {}
        }
    }
    Ok(h)
}

/// `xz-5.4.1-1.fc38.src.rpm` → `xz`.
fn source_name(srpm: &str) -> Option<&str> {
    let stem = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, _release) = stem.rsplit_once('-')?;
    let (name, _version) = rest.rsplit_once('-')?;
    Some(name)
}

fn uri_path(path: &Path) -> String {
    let mut out = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    out.push_str("?immutable=1");
    out
}

pub(crate) fn rpm(cx: &mut Context<'_>) {
    use rusqlite::OpenFlags;
    let depth = if cx.rel.ends_with("usr/lib/sysimage/rpm/rpmdb.sqlite") {
        5
    } else {
        4
    };
    let distro = root_of(cx.path, depth).and_then(Distro::of_root);
    let namespace = distro
        .as_ref()
        .map_or("redhat", |d| d.id.as_str())
        .to_owned();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let rows: Result<Vec<(i64, Vec<u8>)>, rusqlite::Error> = (|| {
        let conn = rusqlite::Connection::open_with_flags(uri_path(cx.path), flags)?;
        let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    })();
    let rows = match rows {
        Ok(r) => r,
        Err(e) => {
            return cx.syntax(
                format!("not a readable rpmdb.sqlite: {e}"),
                Location::default(),
            );
        }
    };
    for (hnum, blob) in rows {
        let at = || Location::pointer(format!("/Packages/{hnum}"));
        let h = match parse_rpm_header(&blob) {
            Ok(h) => h,
            Err(e) => {
                cx.entry(format!("header {hnum}: {e}"), at());
                continue;
            }
        };
        let (Some(name), Some(version)) = (h.name.as_deref(), h.version.as_deref()) else {
            cx.entry(format!("header {hnum} has no name or version"), at());
            continue;
        };
        if name == "gpg-pubkey" {
            continue; // imported signing keys, not software
        }
        let full = match &h.release {
            Some(r) => format!("{version}-{r}"),
            None => version.to_owned(),
        };
        let mut b = purl("rpm", Some(&namespace), name, Some(&full));
        if let Some(a) = &h.arch {
            b = b.qualifier("arch", a);
        }
        if let Some(e) = h.epoch.filter(|&e| e > 0) {
            b = b.qualifier("epoch", e.to_string());
        }
        let source = h.source_rpm.as_deref().and_then(source_name);
        let b = qualify(b, distro.as_ref(), name, source.map(|s| (s, None)), &full);
        if let Some(i) = cx.package(b, at) {
            cx.get(i).license.clone_from(&h.license);
        }
    }
    // Requirements name capabilities (files, sonames), not packages: no edges.
    cx.direct_unknown();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(source_name("xz-5.4.1-1.fc38.src.rpm"), Some("xz"));
        assert_eq!(
            source_name("python3.11-3.11.4-1.el9.src.rpm"),
            Some("python3.11")
        );
        assert_eq!(source_name("nonsense"), None);
    }

    #[test]
    fn rpm_header_blob() {
        // Two entries: NAME "xz" and EPOCH 2.
        let mut blob = Vec::new();
        blob.extend(2u32.to_be_bytes());
        let data = b"xz\0\0\0\0\0\x02";
        blob.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        for (tag, ty, off) in [(1000u32, 6u32, 0u32), (1003, 4, 4)] {
            blob.extend(tag.to_be_bytes());
            blob.extend(ty.to_be_bytes());
            blob.extend(off.to_be_bytes());
            blob.extend(1u32.to_be_bytes());
        }
        blob.extend(data);
        let h = parse_rpm_header(&blob).unwrap();
        assert_eq!(h.name.as_deref(), Some("xz"));
        assert_eq!(h.epoch, Some(2));
        assert!(parse_rpm_header(&blob[..10]).is_err());
        assert!(parse_rpm_header(&[0xff; 8]).is_err());
    }
}
