//! PEP 440 (PyPI), as the `packaging` library orders versions.
//!
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, case-insensitive, with the spellings
//! PEP 440 normalizes: `alpha`/`beta`/`c`/`pre`/`preview` for `a`/`b`/`rc`/`rc`/`rc`,
//! `rev`/`r` for `post`, `1.0-1` for `1.0.post1`, optional separators `.`, `-`, `_`
//! around the letters, missing numbers as 0, a leading `v`.
//!
//! Order: epoch, release (trailing zeros do not count: `1.0 = 1.0.0`), pre-release (a
//! version with only a dev part sorts before all its pre-releases: `1.0.dev0 < 1.0a0`),
//! post-release, dev release (before the same version without), local version (a local
//! version sorts after its public version; numeric segments above alphanumeric ones).
//!
//! Sharp edge: versions that are not PEP 440 but were accepted by `packaging` before
//! version 22 (`0.1-bulbasaur`, `trunk`, `2013-01-21T20:33:09+0100`) are ordered as its
//! `LegacyVersion` did: before every valid version, by setuptools' old rules. PyPI and the
//! OSV database still hold such versions; only empty strings and strings with spaces are
//! rejected.

use std::cmp::Ordering;

use crate::num::{Num, is_digits};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PreKind {
    A,
    B,
    Rc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Local {
    /// Alphanumeric segments sort before numeric ones.
    Alpha(Box<str>),
    Num(Num),
}

impl Ord for Local {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Local::Num(a), Local::Num(b)) => a.cmp(b),
            (Local::Alpha(_), Local::Num(_)) => Ordering::Less,
            (Local::Num(_), Local::Alpha(_)) => Ordering::Greater,
            (Local::Alpha(a), Local::Alpha(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Local {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pep440 {
    epoch: Num,
    /// Release numbers without trailing zeros (the comparison key).
    release: Vec<Num>,
    pre: Option<(PreKind, Num)>,
    post: Option<Num>,
    dev: Option<Num>,
    local: Vec<Local>,
}

/// A valid PEP 440 version, or a legacy one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PyVersion {
    Legacy(Vec<Box<str>>),
    Valid(Pep440),
}

impl Ord for PyVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PyVersion::Legacy(a), PyVersion::Legacy(b)) => a.cmp(b),
            (PyVersion::Legacy(_), PyVersion::Valid(_)) => Ordering::Less,
            (PyVersion::Valid(_), PyVersion::Legacy(_)) => Ordering::Greater,
            (PyVersion::Valid(a), PyVersion::Valid(b)) => a.cmp_key(b),
        }
    }
}

impl PartialOrd for PyVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PyVersion {
    pub(crate) fn parse(input: &str) -> Result<PyVersion, &'static str> {
        match Pep440::parse(input) {
            Ok(v) => Ok(PyVersion::Valid(v)),
            Err(e) => legacy(input).map(PyVersion::Legacy).ok_or(e),
        }
    }

    pub(crate) fn valid(&self) -> Option<&Pep440> {
        match self {
            PyVersion::Valid(v) => Some(v),
            PyVersion::Legacy(_) => None,
        }
    }
}

/// A cursor over the lower-cased input.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    fn eat_sep(&mut self) -> bool {
        self.eat(".") || self.eat("-") || self.eat("_")
    }

    fn digits(&mut self) -> Option<Num> {
        let n = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let d = &self.rest()[..n];
        self.pos += n;
        Some(Num::from_digits(d))
    }

    /// Tries `f`; on `None` the cursor is left where it was.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let saved = self.pos;
        let r = f(self);
        if r.is_none() {
            self.pos = saved;
        }
        r
    }
}

impl Pep440 {
    pub(crate) fn parse(input: &str) -> Result<Pep440, &'static str> {
        let lower = input.trim().to_ascii_lowercase();
        let mut c = Cursor { s: &lower, pos: 0 };
        c.eat("v");
        let first = c.digits().ok_or("a version starts with a number")?;
        let (epoch, mut release) = if c.eat("!") {
            (
                first,
                vec![c.digits().ok_or("the release follows the epoch")?],
            )
        } else {
            (Num::ZERO, vec![first])
        };
        while let Some(n) = c.attempt(|c| if c.eat(".") { c.digits() } else { None }) {
            release.push(n);
        }
        let pre = c.attempt(|c| {
            c.eat_sep();
            let kind = ["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"]
                .into_iter()
                .find(|l| c.eat(l))?;
            let kind = match kind {
                "alpha" | "a" => PreKind::A,
                "beta" | "b" => PreKind::B,
                _ => PreKind::Rc,
            };
            let n = c.attempt(|c| {
                c.eat_sep();
                c.digits()
            });
            Some((kind, n.unwrap_or(Num::ZERO)))
        });
        let post = c
            .attempt(|c| if c.eat("-") { c.digits() } else { None })
            .or_else(|| {
                c.attempt(|c| {
                    c.eat_sep();
                    ["post", "rev", "r"].into_iter().find(|l| c.eat(l))?;
                    let n = c.attempt(|c| {
                        c.eat_sep();
                        c.digits()
                    });
                    Some(n.unwrap_or(Num::ZERO))
                })
            });
        let dev = c.attempt(|c| {
            c.eat_sep();
            if !c.eat("dev") {
                return None;
            }
            let n = c.attempt(|c| {
                c.eat_sep();
                c.digits()
            });
            Some(n.unwrap_or(Num::ZERO))
        });
        let mut local = Vec::new();
        if c.eat("+") {
            for segment in c.rest().split(['.', '-', '_']) {
                if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err("a local version is letters and digits separated by `.`");
                }
                local.push(if is_digits(segment) {
                    Local::Num(Num::from_digits(segment))
                } else {
                    Local::Alpha(segment.into())
                });
            }
            c.pos = c.s.len();
        }
        if !c.rest().is_empty() {
            return Err("not a PEP 440 version");
        }
        while release.len() > 1 && release.last().is_some_and(Num::is_zero) {
            release.pop();
        }
        Ok(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// `packaging`'s `_cmpkey`.
    fn cmp_key(&self, other: &Pep440) -> Ordering {
        // Pre-release key: -inf for dev-only versions, +inf for final ones.
        fn pre_key(v: &Pep440) -> (i8, Option<&(PreKind, Num)>) {
            match &v.pre {
                None if v.post.is_none() && v.dev.is_some() => (-1, None),
                None => (1, None),
                Some(p) => (0, Some(p)),
            }
        }
        fn post_key(v: &Pep440) -> (i8, Option<&Num>) {
            v.post.as_ref().map_or((-1, None), |n| (0, Some(n)))
        }
        fn dev_key(v: &Pep440) -> (i8, Option<&Num>) {
            v.dev.as_ref().map_or((1, None), |n| (0, Some(n)))
        }
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.release.cmp(&other.release))
            .then_with(|| pre_key(self).cmp(&pre_key(other)))
            .then_with(|| post_key(self).cmp(&post_key(other)))
            .then_with(|| dev_key(self).cmp(&dev_key(other)))
            .then_with(|| match (self.local.is_empty(), other.local.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => self.local.cmp(&other.local),
            })
    }
}

/// setuptools' legacy key (`packaging.version.LegacyVersion` before packaging 22), which
/// accepted any string; we refuse only empty ones and those with whitespace or control
/// characters inside.
fn legacy(input: &str) -> Option<Vec<Box<str>>> {
    let s = input.trim().to_ascii_lowercase();
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let mut parts: Vec<Box<str>> = Vec::new();
    for part in legacy_parts(&s) {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| &**p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| &**p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part.into());
    }
    Some(parts)
}

/// Splits into digit runs, letter runs, `.` and `-`, mapped as setuptools did.
fn legacy_parts(s: &str) -> Vec<String> {
    let mut raw = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        if b.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        } else if b.is_ascii_lowercase() {
            while i < bytes.len() && bytes[i].is_ascii_lowercase() {
                i += 1;
            }
        } else {
            // One character, whatever its UTF-8 length.
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
        raw.push(&s[start..i]);
    }
    let mut out = Vec::new();
    for part in raw {
        let part = match part {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            p => p,
        };
        if part.is_empty() || part == "." {
            continue;
        }
        if part.as_bytes()[0].is_ascii_digit() {
            out.push(format!("{part:0>8}"));
        } else {
            out.push(format!("*{part}"));
        }
    }
    out.push("*final".to_owned());
    out
}
