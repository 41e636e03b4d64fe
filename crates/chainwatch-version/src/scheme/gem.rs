//! RubyGems' `Gem::Version`.
//!
//! A version is `N(.X)*` where X is letters and digits, optionally followed by
//! `-pre.release`; a `-` is read as `.pre.`. Segments are the runs of digits (numbers)
//! and of letters (strings); a version with a letter is a pre-release. For comparison,
//! trailing zeros of the numeric part and of the part after the first letter are dropped
//! (`1.0.a.0 = 1.a`); segments compare pairwise (missing ones are 0), a string below a
//! number, strings by bytes (case matters).

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Num(Num),
    Str(Box<str>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GemVersion {
    canonical: Vec<Segment>,
    prerelease: bool,
}

impl GemVersion {
    pub(crate) fn parse(input: &str) -> Result<GemVersion, &'static str> {
        let s = input.trim();
        if !valid(s) {
            return Err("not a RubyGems version");
        }
        let s = s.replace('-', ".pre.");
        let mut segments = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            if bytes[i].is_ascii_digit() {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                segments.push(Segment::Num(Num::from_digits(&s[start..i])));
            } else if bytes[i].is_ascii_alphabetic() {
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segments.push(Segment::Str(s[start..i].into()));
            } else {
                i += 1;
            }
        }
        let prerelease = segments.iter().any(|s| matches!(s, Segment::Str(_)));
        // Canonical segments: drop trailing zeros of the numeric part and of the rest.
        let split = segments
            .iter()
            .position(|s| matches!(s, Segment::Str(_)))
            .unwrap_or(segments.len());
        let strings = segments.split_off(split);
        let mut numeric = segments;
        let trim = |v: &mut Vec<Segment>| {
            while v
                .last()
                .is_some_and(|s| matches!(s, Segment::Num(n) if n.is_zero()))
            {
                v.pop();
            }
        };
        trim(&mut numeric);
        let mut strings = strings;
        trim(&mut strings);
        numeric.extend(strings);
        Ok(GemVersion {
            canonical: numeric,
            prerelease,
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.prerelease
    }
}

/// `Gem::Version::ANCHORED_VERSION_PATTERN`.
fn valid(s: &str) -> bool {
    if s.is_empty() {
        // Gem::Version treats an empty version as "0".
        return false;
    }
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    // Gem::Version wants digits before the first dot; we also accept letters after them
    // (`1beta`), which its comparison handles the same way.
    let mut parts = main.split('.');
    let first_ok = parts.next().is_some_and(|p| {
        p.starts_with(|c: char| c.is_ascii_digit()) && p.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Num(Num::ZERO);
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let l = self.canonical.get(i).unwrap_or(&zero);
            let r = other.canonical.get(i).unwrap_or(&zero);
            let ord = match (l, r) {
                (Segment::Num(a), Segment::Num(b)) => a.cmp(b),
                (Segment::Str(_), Segment::Num(_)) => Ordering::Less,
                (Segment::Num(_), Segment::Str(_)) => Ordering::Greater,
                (Segment::Str(a), Segment::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
