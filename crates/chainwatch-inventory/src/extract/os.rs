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
            cx.get(i).license = debian_licenses(root, name);
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

/// The licences a Debian package's copyright file (`usr/share/doc/PACKAGE/copyright`
/// under the root) names, as one SPDX expression (each applies to some of its files, so
/// they are joined with `AND`). A machine-readable file (DEP-5) names them in its
/// `License:` fields, each normalized on its own (Debian's short names: `GPL-2+`,
/// `Expat`; one that is no SPDX licence becomes a `LicenseRef-` term); a free-form file
/// by the texts it points to in `/usr/share/common-licenses/`. `None` without a file,
/// without either, or when a directory on the way is a symbolic link (it could lead out
/// of the root).
fn debian_licenses(root: &Path, package: &str) -> Option<String> {
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
    let mut found: Vec<String> = Vec::new();
    // Machine-readable: a `Format:` header, or `Files:` and `License:` fields (some
    // files lack the header).
    let fields = |key: &str| text.lines().any(|l| l.starts_with(key));
    if text.trim_start().starts_with("Format:") || (fields("Files:") && fields("License:")) {
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("License:") {
                let v = v.trim();
                if !v.is_empty() {
                    found.push(chainwatch_license::normalize(v).expression);
                }
            }
        }
    }
    // A free-form file (or one whose `License:` fields are empty).
    if found.is_empty() {
        found = common_licenses(&text);
    }
    (!found.is_empty()).then(|| chainwatch_license::join(&found, true))
}

/// The licences a free-form Debian copyright file points to (`/usr/share/common-licenses/
/// GPL-2`), as SPDX ids. Debian keeps one text per GNU licence version, so the file's
/// own words decide between `-only` and `-or-later` (`any later version`).
fn common_licenses(text: &str) -> Vec<String> {
    const COMMON: &[(&str, &str)] = &[
        ("GPL-1", "GPL-1.0"),
        ("GPL-2", "GPL-2.0"),
        ("GPL-3", "GPL-3.0"),
        ("LGPL-2.1", "LGPL-2.1"),
        ("LGPL-2", "LGPL-2.0"),
        ("LGPL-3", "LGPL-3.0"),
        ("GFDL-1.2", "GFDL-1.2"),
        ("GFDL-1.3", "GFDL-1.3"),
        ("Apache-2.0", "Apache-2.0"),
        ("Artistic", "Artistic-1.0-Perl"),
        ("BSD", "BSD-3-Clause"),
        ("MPL-1.1", "MPL-1.1"),
        ("MPL-2.0", "MPL-2.0"),
        ("CC0-1.0", "CC0-1.0"),
    ];
    let later = text.contains("any later version");
    let mut out = Vec::new();
    for (at, _) in text.match_indices("/usr/share/common-licenses/") {
        let rest = &text[at + "/usr/share/common-licenses/".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
            .collect();
        let name = name.trim_end_matches('.');
        let id = match COMMON.iter().find(|(n, _)| *n == name) {
            Some((_, id)) if id.contains("GPL") || id.starts_with("GFDL") => {
                format!("{id}-{}", if later { "or-later" } else { "only" })
            }
            Some((_, id)) => (*id).to_owned(),
            // `GPL` and `LGPL` name the newest version: the paragraph that points to them
            // says which it means (`either version 2 of the License, or …`), or nothing
            // is read.
            None if matches!(name, "GPL" | "LGPL") => {
                let before = &text[..at];
                let paragraph = before.rsplit("\n\n").next().unwrap_or_default();
                // The paragraph's own words; for `GPL`, else the last `either version N`
                // or `version N of the License` before it (the GPL's notice, quoted above
                // the pointer).
                let (version, or_later) = if let Some(v) = stated_version(paragraph) {
                    (v, paragraph.contains("any later version"))
                } else if name == "GPL" {
                    let flat = before.split_whitespace().collect::<Vec<_>>().join(" ");
                    let Some(from) = flat.rfind("either version ").or_else(|| {
                        let i = flat.rfind("of the License")?;
                        flat[..i].rfind("version ")
                    }) else {
                        continue;
                    };
                    let Some(v) = stated_version(&flat[from..]) else {
                        continue;
                    };
                    (v, flat[from..].contains("any later version"))
                } else {
                    continue;
                };
                format!(
                    "{name}-{version}-{}",
                    if or_later { "or-later" } else { "only" }
                )
            }
            None => continue,
        };
        if chainwatch_license::normalize(&id).how != chainwatch_license::How::Spdx {
            continue;
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
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

/// The GNU licence version a paragraph states (`version 2 of the License`, `version
/// 2.1`), as an SPDX version (`2.0`, `2.1`).
fn stated_version(paragraph: &str) -> Option<&'static str> {
    let flat = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.match_indices("version ").find_map(|(at, _)| {
        let number: String = flat[at + "version ".len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        match number.trim_end_matches('.') {
            "1" | "1.0" => Some("1.0"),
            "2" | "2.0" => Some("2.0"),
            "2.1" => Some("2.1"),
            "3" | "3.0" => Some("3.0"),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_licenses_of_free_form_files() {
        let text = "Licensed under the GNU GPL, version 2 or (at your option) any later version.\n\
            See /usr/share/common-licenses/GPL-2.\nParts: /usr/share/common-licenses/BSD and \
            /usr/share/common-licenses/Artistic, /usr/share/common-licenses/Nonesuch.";
        assert_eq!(
            common_licenses(text),
            ["GPL-2.0-or-later", "BSD-3-Clause", "Artistic-1.0-Perl"]
        );
        assert_eq!(
            common_licenses("see `/usr/share/common-licenses/LGPL-2.1'"),
            ["LGPL-2.1-only"]
        );
        // The unversioned texts: the version from the paragraph, or nothing.
        let text = "under the terms of the GNU General Public License; either version 2 of\n\
            the License, or (at your option) any later version. The full text is in\n\
            /usr/share/common-licenses/GPL.\n\nThe library is under the GNU Lesser General\n\
            Public License, see /usr/share/common-licenses/LGPL.";
        assert_eq!(common_licenses(text), ["GPL-2.0-or-later"]);
        // binutils: the GPL's notice (version 3) above the paragraph that points to it.
        let text = "it under the terms of the GNU General Public License as published by\n\
            the Free Software Foundation; either version 3 of the License, or\n\
            (at your option) any later version.\n\nOn Debian systems, the GNU General\n\
            Public License can be found in `/usr/share/common-licenses/GPL'.";
        assert_eq!(common_licenses(text), ["GPL-3.0-or-later"]);
    }

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
