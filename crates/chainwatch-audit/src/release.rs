//! Release-vs-source integrity: a release tarball read against the source tree of its
//! tag (a directory, a git work tree or an archive of it), the way the xz-utils backdoor
//! (CVE-2024-3094) would have been caught.
//!
//! Three kinds of evidence, each a rule of [`crate::rules::RULES`]:
//! - **What differs.** Files only in the release and files whose content differs, less
//!   what the autotools generate (`configure`, `Makefile.in` beside a `Makefile.am`,
//!   `aclocal.m4`, gettext's `po/` infrastructure, …).
//! - **Copies of upstream build files.** Every Autoconf macro (`*.m4`) and build-aux
//!   script ([`BUILD_AUX`]) that is not the tag's own copy is looked up in an index of
//!   the serials (or script versions) and content hashes of Debian's autoconf, automake,
//!   libtool, gettext, autoconf-archive, gnulib and pkgconf packages
//!   (`data/autotools-index.tsv`, built by `scripts/autotools-index.sh`). A serial
//!   higher than any known copy, or content that matches no known copy of its serial,
//!   is reported. Comment lines and blank lines do not count ([`content_hash`]), so a
//!   copyright year is not a difference.
//! - **What the build scripts do.** Build-system files (and scripts found hidden in
//!   other files) are read for content searches over the tree (`grep -a -r`), byte
//!   substitution tables (`tr` over permuted sets), reads of test data, Makefile edits
//!   and decoded data piped to a shell. A content search is then replayed over the
//!   release (the pattern matched against every file, nothing run), and each file it
//!   finds is decoded the way the scripts' own `tr` tables and `xz`/`lzma` would decode
//!   it; a script found that way is read by the same rules, and the files it names are
//!   reported too.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;
use regex::bytes::Regex as BytesRegex;
use sha2::{Digest, Sha256};

use crate::archive::{self, Contents, Entry, Limits};
use crate::{AuditError, Finding, PackageReport};

/// Build-aux scripts that the autotools copy into a project, indexed by their version line
/// (`scriptversion=`, `timestamp=`, `VERSION=`).
pub const BUILD_AUX: &[&str] = &[
    "ar-lib",
    "compile",
    "config.guess",
    "config.rpath",
    "config.sub",
    "depcomp",
    "install-sh",
    "ltmain.sh",
    "mdate-sh",
    "missing",
    "mkinstalldirs",
    "py-compile",
    "tap-driver.sh",
    "test-driver",
    "texinfo.tex",
    "ylwrap",
];

/// Whether files called `name` are in the autotools index's scope.
pub fn indexed_name(name: &str) -> bool {
    has_extension(name, "m4") || BUILD_AUX.contains(&name)
}

/// Whether `name` ends in `.EXT`, in any case.
fn has_extension(name: &str, ext: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(stem, e)| !stem.is_empty() && e.eq_ignore_ascii_case(ext))
}

/// The version an Autoconf macro file (its `serial`) or build-aux script (its version
/// line) declares.
///
/// # Panics
/// Never: its patterns are constants that compile.
pub fn version(name: &str, text: &str) -> Option<String> {
    static SERIAL: OnceLock<Regex> = OnceLock::new();
    static SCRIPT: OnceLock<Regex> = OnceLock::new();
    let head: String = text.lines().take(60).collect::<Vec<_>>().join("\n");
    if has_extension(name, "m4") {
        let serial = SERIAL.get_or_init(|| {
            Regex::new(r"(?m)^[ \t]*(?:#|dnl)[^\n]*?\bserial[ \t]+([0-9][0-9A-Za-z.]*)")
                .expect("valid")
        });
        return serial.captures(&head).map(|c| c[1].to_owned());
    }
    let script = SCRIPT.get_or_init(|| {
        Regex::new(
            r#"(?m)^[ \t]*(?:scriptversion|timestamp|VERSION|package_revision)=['"]?([^'";\s]+)"#,
        )
        .expect("valid")
    });
    script.captures(text).map(|c| c[1].to_owned())
}

/// The hash the index keys content by: SHA-256 (first 128 bits, hex) of the text with
/// trailing blanks, blank lines and comment-only lines (`dnl …`, `# …`; not `#include`
/// or `#!`) left out.
pub fn content_hash(data: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for line in data.split(|&b| b == b'\n') {
        let line = line.trim_ascii_end();
        let start = line.trim_ascii_start();
        if start.is_empty() || is_comment(start) {
            continue;
        }
        hasher.update(line);
        hasher.update(b"\n");
    }
    let digest = hasher.finalize();
    digest[..16]
        .iter()
        .fold(String::with_capacity(32), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

fn is_comment(line: &[u8]) -> bool {
    if let Some(rest) = line.strip_prefix(b"dnl") {
        return rest.first().is_none_or(u8::is_ascii_whitespace);
    }
    if let Some(rest) = line.strip_prefix(b"#") {
        return rest
            .first()
            .is_none_or(|&b| !(b.is_ascii_alphanumeric() || b == b'!'));
    }
    false
}

/// How far above the highest known serial a macro file's serial is a finding at the
/// rule's severity rather than medium.
const SERIAL_JUMP: u64 = 10;

/// One known upstream copy.
#[derive(Debug, Clone, Copy)]
struct Known {
    version: &'static str,
    hash: &'static str,
    origin: &'static str,
}

fn index() -> &'static HashMap<&'static str, Vec<Known>> {
    static INDEX: OnceLock<HashMap<&'static str, Vec<Known>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<Known>> = HashMap::new();
        for line in include_str!("../data/autotools-index.tsv").lines() {
            if line.starts_with('#') {
                continue;
            }
            let mut fields = line.split('\t');
            if let (Some(name), Some(version), Some(hash), Some(origin)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            {
                map.entry(name).or_default().push(Known {
                    version,
                    hash,
                    origin,
                });
            }
        }
        map
    })
}

/// How many copies the index holds.
pub fn index_size() -> usize {
    index().values().map(Vec::len).sum()
}

/// Reads `release` (an archive or directory) and `source` (a directory, git work tree
/// or archive of the tag) and compares them. Without a source, every upstream copy
/// is checked against the index and every build script is read, but no file is
/// reported for being only in the release or different.
pub fn audit_release(
    release: &Path,
    source: Option<&Path>,
    limits: &Limits,
) -> Result<PackageReport, AuditError> {
    let rel = archive::read(release, limits)?;
    let src = source.map(|s| archive::read(s, limits)).transpose()?;
    Ok(compare(&release.display().to_string(), &rel, src.as_ref()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Same,
    Differs,
    OnlyInRelease,
}

/// Compares a release's contents with its source's (see [`audit_release`] for `None`).
pub fn compare(shown: &str, release: &Contents, source: Option<&Contents>) -> PackageReport {
    let sources: HashMap<&str, &Entry> = source
        .map(|s| s.entries.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|e| !e.path.starts_with(".git/"))
        .map(|e| (e.path.as_str(), e))
        .collect();
    // The autotools' own releases are the upstream of the index's files, not copies.
    let upstream_project = project_name(shown).is_some_and(|p| AUTOTOOLS.contains(&p));
    let mut findings = release.problems.clone();
    let mut scripts: Vec<&Entry> = Vec::new();
    for entry in &release.entries {
        if entry.link.is_some() {
            continue;
        }
        let kind = match sources.get(entry.path.as_str()) {
            Some(s) if s.size == entry.size && s.data == entry.data => Kind::Same,
            Some(_) => Kind::Differs,
            None => Kind::OnlyInRelease,
        };
        let name = basename(&entry.path);
        let mut upstream = false;
        if kind != Kind::Same
            && !upstream_project
            && indexed_name(name)
            && index().contains_key(name)
        {
            upstream = check_known(entry, name, &mut findings);
        } else if kind != Kind::Same && source.is_some() && !generated(&entry.path, &sources) {
            findings.push(difference(entry, kind));
        }
        if kind == Kind::Same && indexed_name(name) {
            let hash = content_hash(&entry.data);
            upstream = index()
                .get(name)
                .is_some_and(|known| known.iter().any(|k| k.hash == hash));
        }
        // A known upstream copy is what its upstream wrote, not this project.
        if is_build_file(&entry.path) && !upstream {
            scripts.push(entry);
        }
    }
    let mut signals = Signals::default();
    for entry in &scripts {
        let text = String::from_utf8_lossy(&entry.data);
        read_script(&entry.path, &text, &mut signals, &mut findings);
    }
    replay(release, &signals, &mut findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.line.cmp(&b.line))
    });
    findings.dedup();
    PackageReport {
        source: shown.to_owned(),
        ecosystem: None,
        package: None,
        files: release.entries.len(),
        bytes: release.entries.iter().map(|e| e.size).sum(),
        findings,
    }
}

/// The projects whose files the index holds.
const AUTOTOOLS: &[&str] = &[
    "autoconf",
    "autoconf-archive",
    "automake",
    "gettext",
    "gnulib",
    "libtool",
    "pkgconf",
    "pkg-config",
];

/// The project a release archive is named after: `gettext` for `gettext-0.21.tar.gz`,
/// `gettext_0.21.orig.tar.xz` or `automake-1.16_1.16.5.orig.tar.xz`.
fn project_name(shown: &str) -> Option<&str> {
    let name = basename(shown);
    let end = name
        .char_indices()
        .find(|&(i, c)| {
            (c == '-' || c == '_') && name[i + 1..].starts_with(|d: char| d.is_ascii_digit())
        })
        .map(|(i, _)| i)?;
    Some(&name[..end])
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn extension(path: &str) -> &str {
    let name = basename(path);
    name.rsplit_once('.').map_or("", |(_, ext)| ext)
}

/// Files the autotools (or `make dist`) write into a release that the source need not
/// hold.
fn generated(path: &str, sources: &HashMap<&str, &Entry>) -> bool {
    const NAMES: &[&str] = &[
        "configure",
        "aclocal.m4",
        "config.h.in",
        "ABOUT-NLS",
        "INSTALL",
        "COPYING",
        "ChangeLog",
        ".tarball-version",
        ".version",
        "stamp-h.in",
        "Makefile.in.in",
        "Rules-quot",
        "Makevars.template",
        "remove-potcdate.sin",
        "insert-header.sin",
        "boldquot.sed",
        "quot.sed",
        "en@quot.header",
        "en@boldquot.header",
    ];
    let name = basename(path);
    if NAMES.contains(&name) || BUILD_AUX.contains(&name) {
        return true;
    }
    if let Some(stem) = path.strip_suffix(".in")
        && sources.contains_key(format!("{stem}.am").as_str())
    {
        return true;
    }
    let in_po = path.starts_with("po/") || path.contains("/po/");
    in_po
        && matches!(
            extension(path),
            "gmo" | "po" | "pot" | "sed" | "sin" | "header"
        )
}

/// Build-system files: what `configure`, `make` or `CMake` read or run.
fn is_build_file(path: &str) -> bool {
    let name = basename(path);
    matches!(
        name,
        "configure"
            | "configure.ac"
            | "configure.in"
            | "aclocal.m4"
            | "Makefile.am"
            | "Makefile.in"
            | "GNUmakefile"
            | "CMakeLists.txt"
            | "meson.build"
            | "autogen.sh"
            | "bootstrap"
    ) || has_extension(name, "m4")
        || has_extension(name, "cmake")
        || path.starts_with("build-aux/")
}

fn is_code(path: &str) -> bool {
    matches!(
        extension(path),
        "c" | "h"
            | "cc"
            | "cpp"
            | "cxx"
            | "hpp"
            | "s"
            | "S"
            | "asm"
            | "py"
            | "sh"
            | "pl"
            | "rb"
            | "js"
            | "go"
            | "rs"
            | "java"
    )
}

fn is_binary(data: &[u8]) -> bool {
    let head = &data[..data.len().min(8192)];
    head.contains(&0) || std::str::from_utf8(head).is_err() && head.len() < 8192
}

fn difference(entry: &Entry, kind: Kind) -> Finding {
    let path = entry.path.as_str();
    let build = is_build_file(path);
    let code = is_code(path);
    let (rule, what) = match kind {
        Kind::OnlyInRelease if build => ("release-only-build-file", "a build-system file"),
        Kind::OnlyInRelease if code => ("release-only-code", "source code"),
        Kind::OnlyInRelease => ("release-only-file", "a file"),
        _ => ("release-differs", "this file"),
    };
    let message = match kind {
        Kind::OnlyInRelease => format!(
            "{what} that the release ships and the source tree of its tag does not have, and that the autotools do not generate"
        ),
        _ => format!(
            "the release's copy differs from the source tree's ({} bytes in the release)",
            entry.size
        ),
    };
    let binary = is_binary(&entry.data);
    let evidence = if binary {
        format!("{} bytes of binary data", entry.size)
    } else {
        first_line(&entry.data)
    };
    let finding = Finding::new(rule, path, None, message, &evidence);
    if kind == Kind::Differs && !build && !code && !binary {
        finding.at(crate::Severity::Low)
    } else {
        finding
    }
}

fn first_line(data: &[u8]) -> String {
    String::from_utf8_lossy(data)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_owned()
}

/// Checks a copy of an upstream macro file or build-aux script against the index:
/// `true` when it is a known upstream copy.
fn check_known(entry: &Entry, name: &str, findings: &mut Vec<Finding>) -> bool {
    let Some(known) = index().get(name) else {
        return false;
    };
    let text = String::from_utf8_lossy(&entry.data);
    let hash = content_hash(&entry.data);
    if known.iter().any(|k| k.hash == hash) {
        return true;
    }
    let Some(version) = version(name, &text) else {
        findings.push(Finding::new(
            "autotools-unverified",
            &entry.path,
            None,
            format!(
                "`{name}` declares no serial or version: it cannot be matched with the {} known upstream copies",
                known.len()
            ),
            &first_line(&entry.data),
        ));
        return false;
    };
    let line = line_of(&text, &version);
    let same_version: Vec<&Known> = known.iter().filter(|k| k.version == version).collect();
    if let Some(first) = same_version.first() {
        findings.push(Finding::new(
            "autotools-content-mismatch",
            &entry.path,
            line,
            format!(
                "`{name}` {version} differs from every copy of that version in the index ({}, e.g. Debian's `{}`): patched or tampered; the build-script rules say what it does",
                same_version.len(),
                first.origin
            ),
            &format!("content hash {hash}"),
        ));
        return false;
    }
    let numeric = |v: &str| v.parse::<u64>().ok();
    let highest = known
        .iter()
        .filter_map(|k| numeric(k.version).map(|n| (n, k)))
        .max_by_key(|(n, _)| *n);
    match (numeric(&version), highest) {
        (Some(n), Some((max, k))) if n > max => {
            // aclocal keeps the copy with the highest serial: a serial far above every
            // known one wins against whatever copy a distribution installs, which is why
            // the xz-utils attacker chose 30. A few steps above is an upstream newer
            // than the index.
            let far = n >= max + SERIAL_JUMP;
            let finding = Finding::new(
                "autotools-serial-unknown",
                &entry.path,
                line,
                if far {
                    format!(
                        "`{name}` says serial {n}, far above any known upstream copy (highest known {max}, Debian's `{}`): a serial that wins aclocal's choice against every installed copy, as the xz-utils backdoor's `build-to-host.m4` (serial 30, upstream at 3) did",
                        k.origin
                    )
                } else {
                    format!(
                        "`{name}` says serial {n}, above any known upstream copy (highest known {max}, Debian's `{}`): an upstream newer than the index, or not upstream",
                        k.origin
                    )
                },
                text.lines()
                    .find(|l| l.contains("serial"))
                    .unwrap_or_default(),
            );
            findings.push(if far {
                finding
            } else {
                finding.at(crate::Severity::Medium)
            });
        }
        _ => findings.push(Finding::new(
            "autotools-unverified",
            &entry.path,
            line,
            format!(
                "`{name}` version `{version}` is not in the index of known upstream copies: not verified"
            ),
            &format!("content hash {hash}"),
        )),
    }
    false
}

fn line_of(text: &str, needle: &str) -> Option<u32> {
    text.lines()
        .position(|l| l.contains(needle))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// What the build scripts of a release do that the replay needs.
#[derive(Debug, Default)]
struct Signals {
    /// Content searches: (script, line, pattern, case-insensitive).
    searches: Vec<(String, u32, String, bool)>,
    /// Byte substitution tables, as `tr` would apply them.
    tables: Vec<[u8; 256]>,
}

struct Patterns {
    grep: Regex,
    tr: Regex,
    shell: Regex,
    decode: Regex,
    test_data: Regex,
    reader: Regex,
    makefile: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        grep: Regex::new(r#"\bgrep((?:\s+-[A-Za-z]+)+)\s+(?:"([^"]*)"|'([^']*)')"#).expect("valid"),
        tr: Regex::new(r#"\btr\s+(?:"([^"]*)"|'([^']*)')\s+(?:"([^"]*)"|'([^']*)')"#)
            .expect("valid"),
        // A pipe into a shell, then the end of the command, a redirection or an option:
        // `word | sh | ksh)` is a case pattern, not a pipeline.
        shell: Regex::new(
            r#"\|\s*(?:\$SHELL|\$\{SHELL\}|\$CONFIG_SHELL|/bin/sh|/bin/bash|/usr/bin/env\s+(?:ba)?sh|sh|bash)\s*(?:$|;|\]|"|'|`|[0-9]?>|&|-[A-Za-z])"#,
        )
        .expect("valid"),
        decode: Regex::new(
            r"\b(?:(?:xz|lzma|unxz|unlzma|gzip|gunzip|bzip2|zstd|base64|openssl)\s+(?:[^|;]*\s)?(?:-[A-Za-z]*d[A-Za-z]*|--decode|--decompress)\b|(?:head|tail)\s+-c\b|uudecode\b)|\$\{?[A-Za-z_][\w\[\]$]*\}?\s+-d\b",
        )
        .expect("valid"),
        test_data: Regex::new(r"(?:^|[\s/=\x22'`(])(?:\$\{?(?:top_)?srcdir\}?/|\$\((?:top_)?srcdir\)/|\./)?tests?/(?:[\w.-]+/)*[\w.-]+\.(?:xz|lzma|gz|bz2|zst|bin|dat|raw|lz|7z|zip|tar)\b")
            .expect("valid"),
        reader: Regex::new(r"\b(?:xz|lzma|unxz|cat|head|tail|dd|sed|grep|tr|od|xxd|base64|gzip|zcat|xzcat)\b|<\s*\S").expect("valid"),
        makefile: Regex::new(r#"\bsed\s+-i\S*\s[^\n]*\bMakefile\b|>>?\s*["']?[\w${}()./-]*\bMakefile\b"#).expect("valid"),
    })
}

/// The build-script rules over one script's text, as `audit release` reads a build file
/// at `path` (the replay over a release is [`compare`]'s).
pub fn read_build_script(path: &str, text: &str) -> Vec<Finding> {
    let mut signals = Signals::default();
    let mut findings = Vec::new();
    read_script(path, text, &mut signals, &mut findings);
    findings
}

/// Reads one build script (or a script decoded from a file) and records its findings.
fn read_script(path: &str, text: &str, signals: &mut Signals, findings: &mut Vec<Finding>) {
    let p = patterns();
    let name = basename(path);
    let lists_files = matches!(name, "Makefile.am" | "Makefile.in" | "CMakeLists.txt")
        || has_extension(name, "cmake");
    let writes_makefiles =
        matches!(name, "configure" | "Makefile.am" | "Makefile.in") || name == "config.status";
    let mut execs: Vec<(u32, &str)> = Vec::new();
    let mut edits: Vec<(u32, &str)> = Vec::new();
    let mut decodes = false;
    for (i, line) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let code = line.trim_start();
        if code.starts_with("dnl ") || code.starts_with("# ") {
            continue;
        }
        for c in p.grep.captures_iter(line) {
            let flags = &c[1];
            let binary = flags.contains('a');
            let recursive = flags.contains('r') || flags.contains('R');
            if !(binary && recursive) {
                continue;
            }
            let pattern = c.get(2).or_else(|| c.get(3)).map_or("", |m| m.as_str());
            findings.push(Finding::new(
                "build-content-search",
                path,
                Some(n),
                format!(
                    "searches every file of the tree, binary ones included, for `{pattern}`: a build has no reason to find files by their content"
                ),
                line.trim(),
            ));
            if flags.contains('E') {
                signals.searches.push((
                    path.to_owned(),
                    n,
                    pattern.to_owned(),
                    flags.contains('i'),
                ));
            }
            decodes = true;
        }
        for c in p.tr.captures_iter(line) {
            let from = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
            let to = c.get(3).or_else(|| c.get(4)).map_or("", |m| m.as_str());
            if let Some(table) = cipher(from, to) {
                findings.push(Finding::new(
                    "build-byte-cipher",
                    path,
                    Some(n),
                    format!(
                        "`tr` maps bytes through a substitution table (`{from}` to `{to}`): a decoder for hidden data, not text processing"
                    ),
                    line.trim(),
                ));
                // A few distinct tables: each is tried on every located file.
                if signals.tables.len() < SEARCHES_MAX && !signals.tables.contains(&table) {
                    signals.tables.push(table);
                }
                decodes = true;
            }
        }
        if p.decode.is_match(line) {
            decodes = true;
        }
        if !lists_files && p.test_data.is_match(line) && p.reader.is_match(line) {
            findings.push(Finding::new(
                "build-reads-test-data",
                path,
                Some(n),
                "reads a test data file while building: test files have no business in a build"
                    .to_owned(),
                line.trim(),
            ));
        }
        if !writes_makefiles && p.makefile.is_match(line) {
            edits.push((n, line.trim()));
        }
        // Autoconf's own config.status generation pipes its substitution program to
        // the shell in every configure script.
        if p.shell.is_match(line) && !line.contains(r#"$AWK -f "$ac_tmp/subs.awk" | $SHELL"#) {
            execs.push((n, line.trim()));
        }
    }
    // One finding per script: the first edit, with how many lines edit.
    if let Some(&(n, line)) = edits.first() {
        let more = match edits.len() {
            1 => String::new(),
            k => format!(" ({k} lines do)"),
        };
        findings.push(Finding::new(
            "build-edits-makefile",
            path,
            Some(n),
            format!(
                "edits a Makefile while configuring{more}: what is built is no longer only what the source says"
            ),
            line,
        ));
    }
    if decodes {
        for (n, line) in execs {
            findings.push(Finding::new(
                "build-decode-exec",
                path,
                Some(n),
                "pipes into a shell in a script that also decodes or searches for hidden data: the shape of the xz-utils backdoor's trigger"
                    .to_owned(),
                line,
            ));
        }
    }
}

/// The byte table of `tr FROM TO` when it is a substitution cipher: the two sets are
/// the same bytes in another order, or the table remaps at least 64 bytes.
fn cipher(from: &str, to: &str) -> Option<[u8; 256]> {
    let from = tr_set(from)?;
    let to = tr_set(to)?;
    if from.len() < 2 || to.is_empty() {
        return None;
    }
    let mut a: Vec<u8> = from.clone();
    let mut b: Vec<u8> = to.clone();
    a.sort_unstable();
    b.sort_unstable();
    let permuted = a == b && from != to;
    // Nearly every byte value remapped (`tr "\114-\321…" "\0-\377"`): a whole-byte
    // cipher. Tables over printable characters (gnulib's class-file octal dump) are not.
    let wide = distinct(&from) >= 200 && distinct(&to) >= 200;
    if !(permuted || wide) {
        return None;
    }
    let mut table: [u8; 256] = std::array::from_fn(|i| u8::try_from(i).unwrap_or(0));
    for (i, &byte) in from.iter().enumerate() {
        // tr pads the second set with its last byte.
        let target = to.get(i).or(to.last()).copied().unwrap_or(byte);
        table[usize::from(byte)] = target;
    }
    Some(table)
}

fn distinct(set: &[u8]) -> usize {
    let mut seen = [false; 256];
    for &b in set {
        seen[usize::from(b)] = true;
    }
    seen.iter().filter(|&&x| x).count()
}

/// Expands a `tr` set: backslash escapes (`\t`, `\n`, `\\`, `\-`, octal `\NNN`) and
/// ranges (`a-z`, `\0-\377`). `None` for classes and other forms not modelled.
fn tr_set(spec: &str) -> Option<Vec<u8>> {
    let bytes = spec.as_bytes();
    let mut atoms: Vec<(u8, bool)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'[' {
            return None;
        }
        if b == b'\\' && i + 1 < bytes.len() {
            let next = bytes[i + 1];
            if next.is_ascii_digit() && next < b'8' {
                let mut value: u32 = 0;
                let mut j = i + 1;
                while j < bytes.len() && j < i + 4 && (b'0'..b'8').contains(&bytes[j]) {
                    value = value * 8 + u32::from(bytes[j] - b'0');
                    j += 1;
                }
                atoms.push((u8::try_from(value).ok()?, true));
                i = j;
                continue;
            }
            let value = match next {
                b't' => b'\t',
                b'n' => b'\n',
                b'r' => b'\r',
                b'a' => 7,
                b'b' => 8,
                b'f' => 12,
                b'v' => 11,
                other => other,
            };
            atoms.push((value, true));
            i += 2;
            continue;
        }
        atoms.push((b, false));
        i += 1;
    }
    let mut out = Vec::new();
    let mut k = 0;
    while k < atoms.len() {
        let (start, _) = atoms[k];
        if k + 2 < atoms.len() && atoms[k + 1] == (b'-', false) {
            let (end, _) = atoms[k + 2];
            if end < start {
                return None;
            }
            out.extend(start..=end);
            k += 3;
        } else {
            out.push(start);
            k += 1;
        }
    }
    Some(out)
}

/// The most bytes one decoding may produce.
const DECODED_MAX: u64 = 1 << 20;
/// The most files one content search may find before the replay stops decoding them.
const LOCATED_MAX: usize = 16;
/// The most distinct content searches replayed over one release.
const SEARCHES_MAX: usize = 8;

/// Replays the content searches over the release and decodes what they find.
fn replay(release: &Contents, signals: &Signals, findings: &mut Vec<Finding>) {
    // Each search reads the whole release: a few distinct patterns, not one per line of
    // a hostile script.
    let mut seen: Vec<(&str, bool)> = Vec::new();
    for (script, line, pattern, insensitive) in &signals.searches {
        if seen.contains(&(pattern.as_str(), *insensitive)) {
            continue;
        }
        if seen.len() == SEARCHES_MAX {
            break;
        }
        seen.push((pattern.as_str(), *insensitive));
        let Ok(regex) = regex::bytes::RegexBuilder::new(pattern)
            .multi_line(true)
            .case_insensitive(*insensitive)
            .unicode(false)
            .size_limit(1 << 20)
            .build()
        else {
            continue;
        };
        let located: Vec<&Entry> = release
            .entries
            .iter()
            .filter(|e| e.link.is_none() && e.path != *script && regex.is_match(&e.data))
            .take(LOCATED_MAX)
            .collect();
        for entry in located {
            let matched = regex
                .find(&entry.data)
                .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
                .unwrap_or_default();
            findings.push(Finding::new(
                "build-located-file",
                &entry.path,
                None,
                format!(
                    "`{script}` line {line} finds this file by its content (`{pattern}`): whatever the build does next, it does with this file"
                ),
                &matched,
            ));
            decode_located(release, entry, script, signals, &regex, findings);
        }
    }
}

/// Decodes a located file the ways the release's scripts could (each `tr` table, then
/// `xz`/`lzma`) and reads any script that comes out.
fn decode_located(
    release: &Contents,
    entry: &Entry,
    script: &str,
    signals: &Signals,
    marker: &BytesRegex,
    findings: &mut Vec<Finding>,
) {
    let identity: [u8; 256] = std::array::from_fn(|i| u8::try_from(i).unwrap_or(0));
    for table in std::iter::once(&identity).chain(signals.tables.iter()) {
        let mapped: Vec<u8> = entry.data.iter().map(|&b| table[usize::from(b)]).collect();
        let Some(decoded) = decompress_partial(&mapped) else {
            continue;
        };
        if !looks_like_script(&decoded) {
            continue;
        }
        let text = String::from_utf8_lossy(&decoded);
        let through = if std::ptr::eq(table, &raw const identity) {
            "`xz -d`".to_owned()
        } else {
            "the `tr` table and `xz -d`".to_owned()
        };
        let evidence = text
            .lines()
            .map(str::trim)
            .find(|l| l.len() > 8 && !marker.is_match(l.as_bytes()) && l.contains(' '))
            .unwrap_or("")
            .to_owned();
        findings.push(Finding::new(
            "hidden-script",
            &entry.path,
            None,
            format!(
                "decoded through {through} as `{script}` would, it is a {}-byte shell script, not test data",
                decoded.len()
            ),
            &evidence,
        ));
        let inner = format!("{} (decoded)", entry.path);
        let mut inner_signals = Signals::default();
        read_script(&inner, &text, &mut inner_signals, findings);
        // The release files the script names: each path-like word (and what follows each
        // `/` in it, for `$srcdir/tests/…`) looked up once, whatever the release's size.
        let paths: HashMap<&str, &Entry> = release
            .entries
            .iter()
            .filter(|e| e.path != entry.path && e.link.is_none() && e.path.len() >= 6)
            .map(|e| (e.path.as_str(), e))
            .collect();
        let mut named: Vec<&str> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let words = line.split(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | '@'))
            });
            for word in words.filter(|w| w.contains('/')) {
                let suffixes = std::iter::once(word)
                    .chain(word.match_indices('/').map(|(i, _)| &word[i + 1..]));
                for candidate in suffixes {
                    let Some(other) = paths.get(candidate) else {
                        continue;
                    };
                    if named.contains(&other.path.as_str()) {
                        continue;
                    }
                    named.push(other.path.as_str());
                    findings.push(Finding::new(
                        "hidden-script-reads",
                        &other.path,
                        None,
                        format!(
                            "read by the script hidden in `{}` (line {} of the decoded script): the next stage of the payload",
                            entry.path,
                            n + 1
                        ),
                        around(line, other.path.as_str()),
                    ));
                }
            }
        }
        return;
    }
}

/// The part of `line` around `needle`: the command that names it.
fn around<'a>(line: &'a str, needle: &str) -> &'a str {
    let Some(at) = line.find(needle) else {
        return line.trim();
    };
    let start = line[..at].rfind(['(', ';', '`']).map_or(0, |i| i + 1);
    let end = line[at..].find([')', ';']).map_or(line.len(), |i| at + i);
    line[start..end].trim()
}

/// Decompresses `.xz` or `.lzma` data as far as it goes (`xz -d 2>/dev/null` keeps what
/// it decoded before an error), at most [`DECODED_MAX`] bytes.
fn decompress_partial(data: &[u8]) -> Option<Vec<u8>> {
    let is_xz = data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]);
    let is_lzma = data.len() > 13 && data[0] == 0x5d && data[1..5] == [0, 0, 0x80, 0];
    if !(is_xz || is_lzma) {
        return None;
    }
    let stream =
        liblzma::stream::Stream::new_auto_decoder(64 << 20, liblzma::stream::CONCATENATED).ok()?;
    let mut out = Vec::new();
    // An error ends the stream; what came before it is kept.
    let _ = liblzma::read::XzDecoder::new_stream(data, stream)
        .take(DECODED_MAX)
        .read_to_end(&mut out);
    (!out.is_empty()).then_some(out)
}

/// Mostly printable text with shell-like lines.
fn looks_like_script(data: &[u8]) -> bool {
    if data.len() < 16 {
        return false;
    }
    let head = &data[..data.len().min(4096)];
    let printable = head
        .iter()
        .filter(|&&b| b == b'\n' || b == b'\t' || (0x20..0x7f).contains(&b))
        .count();
    let text = String::from_utf8_lossy(head);
    printable * 10 >= head.len() * 9
        && text.lines().any(|l| {
            l.contains(" && ")
                || l.contains('|')
                || l.contains("eval ")
                || l.contains("; then")
                || l.starts_with("#!")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tr_sets_expand_escapes_and_ranges() {
        assert_eq!(tr_set(r"\t \-_"), Some(vec![b'\t', b' ', b'-', b'_']));
        assert_eq!(tr_set("a-c"), Some(vec![b'a', b'b', b'c']));
        assert_eq!(tr_set(r"\0-\377").map(|s| s.len()), Some(256));
        assert_eq!(tr_set("[:upper:]"), None);
    }

    #[test]
    fn ciphers_are_permutations_or_wide_tables() {
        let table = cipher(r"\t \-_", r" \t_\-").expect("a swap table");
        assert_eq!(table[usize::from(b'\t')], b' ');
        assert_eq!(table[usize::from(b'-')], b'_');
        assert_eq!(table[usize::from(b'a')], b'a');
        assert!(cipher("a-z", "A-Z").is_none());
        assert!(cipher(r"\n", " ").is_none());
        assert!(
            cipher(
                r"\114-\321\322-\377\35-\47\14-\34\0-\13\50-\113",
                r"\0-\377"
            )
            .is_some()
        );
    }

    #[test]
    fn project_names_of_release_archives() {
        assert_eq!(project_name("x/gettext-0.21.tar.gz"), Some("gettext"));
        assert_eq!(project_name("gettext_0.21.orig.tar.xz"), Some("gettext"));
        assert_eq!(
            project_name("automake-1.16_1.16.5.orig.tar.xz"),
            Some("automake")
        );
        assert_eq!(
            project_name("libpng1.6_1.6.39.orig.tar.gz"),
            Some("libpng1.6")
        );
        assert_eq!(project_name("release"), None);
    }

    #[test]
    fn versions_and_hashes() {
        assert_eq!(
            version("build-to-host.m4", "# build-to-host.m4 serial 30\ndnl x\n").as_deref(),
            Some("30")
        );
        assert_eq!(
            version(
                "install-sh",
                "#!/bin/sh\nscriptversion=2020-11-14.01; # UTC\n"
            )
            .as_deref(),
            Some("2020-11-14.01")
        );
        assert_eq!(
            content_hash(b"dnl Copyright 2023\nAC_DEFUN([X], [y])\n# note\n"),
            content_hash(b"dnl Copyright 2024\n\nAC_DEFUN([X], [y])   \n")
        );
        assert_ne!(
            content_hash(b"AC_DEFUN([X], [y])\n"),
            content_hash(b"AC_DEFUN([X], [z])\n")
        );
        assert_ne!(content_hash(b"#include <a.h>\n"), content_hash(b""));
    }

    #[test]
    fn the_index_is_loaded() {
        assert!(index_size() > 1000, "{}", index_size());
        assert!(index().contains_key("build-to-host.m4"));
    }
}
