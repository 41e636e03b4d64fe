//! Packagist (Composer), which orders versions with PHP's `version_compare`.
//!
//! The version is canonicalized: a leading `v` is dropped, `-`, `_` and `+` become `.`,
//! and a `.` is inserted at every transition between digits and non-digits
//! (`1.0rc1` → `1.0.rc.1`). Parts compare pairwise: numbers numerically; words by their
//! special form, matched by prefix: `dev < alpha = a < beta = b < RC = rc < # < pl = p`,
//! an unknown word below all of them; a number counts as `#` against a word (so
//! `1.0rc1 < 1.0.1 < 1.0pl1`). When one version has more parts, a following number makes
//! it greater, a following word is compared against `#`.

use std::cmp::Ordering;

use crate::num::{Num, is_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(Num),
    Word(Box<str>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComposerVersion {
    parts: Vec<Part>,
}

/// The rank of a special form; unknown words rank below `dev`.
fn special(word: &str) -> i8 {
    const FORMS: [(&str, i8); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| word.starts_with(f))
        .map_or(-1, |(_, r)| *r)
}

fn cmp_part(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Num(x), Part::Num(y)) => x.cmp(y),
        (Part::Word(x), Part::Word(y)) => special(x).cmp(&special(y)),
        (Part::Num(_), Part::Word(y)) => special("#").cmp(&special(y)),
        (Part::Word(x), Part::Num(_)) => special(x).cmp(&special("#")),
    }
}

impl ComposerVersion {
    pub(crate) fn parse(input: &str) -> Result<ComposerVersion, &'static str> {
        let s = input.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        if s.is_empty() {
            return Err("empty version");
        }
        // `version_compare` is not a total order on arbitrary strings; on Composer's own
        // alphabet it is.
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !s.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+' | b'#' | b'/')
            })
        {
            return Err(
                "a Composer version is letters, digits and `.-_+#/`, starting with a letter or digit",
            );
        }
        let mut canonical = String::with_capacity(s.len() + 8);
        let mut prev: Option<char> = None;
        for c in s.chars() {
            let c = if matches!(c, '-' | '_' | '+') { '.' } else { c };
            if let Some(p) = prev {
                let transition = p != '.' && c != '.' && (p.is_ascii_digit() != c.is_ascii_digit());
                if transition {
                    canonical.push('.');
                }
            }
            canonical.push(c);
            prev = Some(c);
        }
        let parts = canonical
            .split('.')
            .map(|p| {
                if is_digits(p) {
                    Part::Num(Num::from_digits(p))
                } else {
                    Part::Word(p.into())
                }
            })
            .collect();
        Ok(ComposerVersion { parts })
    }

    /// Stability for constraint matching: `dev`, `alpha`, `beta`, `RC` or stable.
    pub(crate) fn is_prerelease(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Word(w) if (0..=3).contains(&special(w))))
    }
}

fn cmp_parts(a: &[Part], b: &[Part]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = cmp_part(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    let hash = [Part::Word("#".into())];
    match a.len().cmp(&b.len()) {
        Ordering::Equal => Ordering::Equal,
        Ordering::Greater => match &a[b.len()] {
            Part::Num(_) => Ordering::Greater,
            Part::Word(_) => cmp_parts(&a[b.len()..], &hash),
        },
        Ordering::Less => match &b[a.len()] {
            Part::Num(_) => Ordering::Less,
            Part::Word(_) => cmp_parts(&hash, &b[a.len()..]),
        },
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_parts(&self.parts, &other.parts)
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
