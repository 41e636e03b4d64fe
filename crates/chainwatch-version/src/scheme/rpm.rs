//! RPM (Red Hat, SUSE, Alma, Rocky, …), Arch Linux's alpm, and the generic fallback.
//!
//! `[epoch:]version[-release]`, where the epoch is the leading digits before a `:` (0 when
//! absent; `a:1` has no epoch) and the release follows the last `-`. Epochs compare
//! numerically, versions and releases with `rpmvercmp`: runs of digits (numerically, and
//! above letters) and of ASCII letters (by bytes), anything else separates; `~` sorts
//! before everything, even the end (`1.0~rc1 < 1.0`); `^` sorts after the end but before
//! anything else (`1.0 < 1.0^git1 < 1.0.1`). A version with a release sorts after the same
//! version without one.
//!
//! alpm (pacman's `vercmp`) differs in three ways: no `~`/`^`, a remaining letter run is
//! older than nothing while a remaining separator is newer (`1.5a < 1.5 < 1.5.a`), and a
//! release only counts when both versions have one. That last rule is not a total order,
//! so sorting puts a version without release first (`1.5 < 1.5-1`) while matching
//! (`Version::tool_cmp`) follows pacman (`1.5 = 1.5-1`).

use std::cmp::Ordering;

use crate::num::cmp_digits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Rpm,
    Alpm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Evr {
    epoch: Box<str>,
    version: Box<str>,
    release: Option<Box<str>>,
    flavor: Flavor,
}

impl Evr {
    pub(crate) fn parse(input: &str, flavor: Flavor) -> Result<Evr, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err("empty version");
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if s.as_bytes().get(digits) == Some(&b':') {
            let e = &s[..digits];
            (if e.is_empty() { "0" } else { e }, &s[digits + 1..])
        } else {
            ("0", s)
        };
        let (version, release) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if flavor == Flavor::Alpm {
            // pacman: pkgver is letters, digits, `.`, `_` and `+`, pkgrel digits and `.`.
            // Outside that, vercmp's separator rules are not a total order.
            // Runs of letters and digits separated by single `.`, `_` or `+`: vercmp's
            // separator-length rule is not transitive on anything else.
            let pkgver_ok = version
                .split(['.', '_', '+'])
                .all(|run| !run.is_empty() && run.bytes().all(|b| b.is_ascii_alphanumeric()));
            let pkgrel_ok = release.is_none_or(|r| {
                r.starts_with(|c: char| c.is_ascii_digit())
                    && r.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            });
            if !pkgver_ok || !pkgrel_ok {
                return Err(
                    "an Arch version is `[epoch:]pkgver[-pkgrel]`: letters, digits, `.`, `_`, `+`",
                );
            }
        }
        Ok(Evr {
            epoch: epoch.into(),
            version: version.into(),
            release: release.map(Into::into),
            flavor,
        })
    }
}

impl Ord for Evr {
    fn cmp(&self, other: &Self) -> Ordering {
        let vercmp = match self.flavor {
            Flavor::Rpm => rpmvercmp,
            Flavor::Alpm => alpm_vercmp,
        };
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| vercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => vercmp(a, b),
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
            })
    }
}

impl Evr {
    /// The tool's own answer. pacman's `vercmp` ignores the release when one side has
    /// none (`1.5 = 1.5-1` and `1.5 = 1.5-2`, but `1.5-1 < 1.5-2`), which is not a total
    /// order; [`Ord`] refines it by putting the release-less version first.
    pub(crate) fn tool_cmp(&self, other: &Self) -> Ordering {
        let total = self.cmp(other);
        if self.flavor == Flavor::Alpm && (self.release.is_none() || other.release.is_none()) {
            let ignoring_release = Evr {
                release: None,
                ..self.clone()
            }
            .cmp(&Evr {
                release: None,
                ..other.clone()
            });
            return ignoring_release;
        }
        total
    }
}

impl PartialOrd for Evr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn segment_cmp(a: &[u8], b: &[u8], numeric: bool) -> Ordering {
    if numeric {
        let a = std::str::from_utf8(a).unwrap_or("");
        let b = std::str::from_utf8(b).unwrap_or("");
        cmp_digits(a, b)
    } else {
        a.cmp(b)
    }
}

/// Takes the run at `i` that is digits when `numeric`, letters otherwise.
fn run(s: &[u8], i: usize, numeric: bool) -> usize {
    let mut j = i;
    while j < s.len()
        && (if numeric {
            s[j].is_ascii_digit()
        } else {
            s[j].is_ascii_alphabetic()
        })
    {
        j += 1;
    }
    j
}

/// RPM's `rpmvercmp`.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca.is_none() || cb.is_none() {
            break;
        }
        let numeric = a[i].is_ascii_digit();
        let ei = run(a, i, numeric);
        let ej = run(b, j, numeric);
        if ej == j {
            // Different kinds: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let o = segment_cmp(&a[i..ei], &b[j..ej], numeric);
        if o != Ordering::Equal {
            return o;
        }
        i = ei;
        j = ej;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// pacman's `rpmvercmp`.
pub(crate) fn alpm_vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (pi, pj) = (i, j);
        while i < a.len() && !a[i].is_ascii_alphanumeric() {
            i += 1;
        }
        while j < b.len() && !b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if i >= a.len() || j >= b.len() {
            break;
        }
        if i - pi != j - pj {
            return (i - pi).cmp(&(j - pj));
        }
        let numeric = a[i].is_ascii_digit();
        let ei = run(a, i, numeric);
        let ej = run(b, j, numeric);
        if ej == j {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let o = segment_cmp(&a[i..ei], &b[j..ej], numeric);
        if o != Ordering::Equal {
            return o;
        }
        i = ei;
        j = ej;
    }
    let (rest_a, rest_b) = (a.get(i).copied(), b.get(j).copied());
    if rest_a.is_none() && rest_b.is_none() {
        return Ordering::Equal;
    }
    let alpha = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphabetic());
    if (rest_a.is_none() && !alpha(rest_b)) || alpha(rest_a) {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}
