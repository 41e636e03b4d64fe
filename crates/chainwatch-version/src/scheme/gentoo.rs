//! Gentoo (the Package Manager Specification, §3.3).
//!
//! `N(.N)*[letter](_{alpha|beta|pre|rc|p}[N])*[-rN]`. The first numbers compare as
//! integers; later ones too, unless either starts with `0`, in which case they compare as
//! strings with trailing zeros removed (`1.01 < 1.1`); more numbers is newer
//! (`0 < 0.0`). Then the letter (none is older), the suffixes in the order
//! `_alpha < _beta < _pre < _rc < _p` (an extra suffix is newer only if it is `_p`), the
//! revision (`-r0` is the same as none).

use std::cmp::Ordering;

use crate::num::{Num, is_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GentooVersion {
    numbers: Vec<Box<str>>,
    letter: Option<u8>,
    suffixes: Vec<(u8, Num)>,
    revision: Num,
}

const SUFFIXES: [&str; 5] = ["alpha", "beta", "pre", "rc", "p"];

impl GentooVersion {
    pub(crate) fn parse(input: &str) -> Result<GentooVersion, &'static str> {
        let s = input.trim();
        let (s, revision) = match s.rfind("-r") {
            Some(i) if is_digits(&s[i + 2..]) => (&s[..i], Num::from_digits(&s[i + 2..])),
            _ => (s, Num::ZERO),
        };
        let mut parts = s.split('_');
        let main = parts.next().unwrap_or("");
        let (numbers_str, letter) = match main.as_bytes().last() {
            Some(b) if b.is_ascii_lowercase() => (&main[..main.len() - 1], Some(*b)),
            _ => (main, None),
        };
        let numbers: Vec<Box<str>> = numbers_str.split('.').map(Into::into).collect();
        if !numbers.iter().all(|n| is_digits(n)) {
            return Err("a Gentoo version starts with numbers separated by `.`");
        }
        let mut suffixes = Vec::new();
        for suffix in parts {
            let kind = SUFFIXES
                .iter()
                .enumerate()
                .filter(|(_, name)| suffix.starts_with(*name))
                .max_by_key(|(_, name)| name.len())
                .ok_or("unknown suffix: expected `_alpha`, `_beta`, `_pre`, `_rc` or `_p`")?;
            let rest = &suffix[kind.1.len()..];
            if !rest.is_empty() && !is_digits(rest) {
                return Err("a suffix number is digits");
            }
            let n = if rest.is_empty() {
                Num::ZERO
            } else {
                Num::from_digits(rest)
            };
            suffixes.push((u8::try_from(kind.0).unwrap_or(0), n));
        }
        Ok(GentooVersion {
            numbers,
            letter,
            suffixes,
            revision,
        })
    }
}

fn cmp_component(a: &str, b: &str, first: bool) -> Ordering {
    if !first && (a.starts_with('0') || b.starts_with('0')) {
        a.trim_end_matches('0').cmp(b.trim_end_matches('0'))
    } else {
        Num::from_digits(a).cmp(&Num::from_digits(b))
    }
}

impl Ord for GentooVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for (i, (a, b)) in self.numbers.iter().zip(&other.numbers).enumerate() {
            let o = cmp_component(a, b, i == 0);
            if o != Ordering::Equal {
                return o;
            }
        }
        let o = self.numbers.len().cmp(&other.numbers.len());
        if o != Ordering::Equal {
            return o;
        }
        let o = self.letter.cmp(&other.letter);
        if o != Ordering::Equal {
            return o;
        }
        for (a, b) in self.suffixes.iter().zip(&other.suffixes) {
            let o = a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1));
            if o != Ordering::Equal {
                return o;
            }
        }
        let p = 4;
        match self.suffixes.len().cmp(&other.suffixes.len()) {
            Ordering::Greater => {
                return if self.suffixes[other.suffixes.len()].0 == p {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            Ordering::Less => {
                return if other.suffixes[self.suffixes.len()].0 == p {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            Ordering::Equal => {}
        }
        self.revision.cmp(&other.revision)
    }
}

impl PartialOrd for GentooVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
