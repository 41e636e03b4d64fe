//! Conan 2's `Version`.
//!
//! `main[-pre][+build]`: the main part is items separated by `.`, numbers or words;
//! trailing zero items do not count (`1 = 1.0.0`). Numbers compare numerically, words as
//! strings. Conan compares a number and a word as strings, which is not transitive
//! (`9 < 10`, `10 < "1a"`, `"1a" < 9`); chainwatch compares the word's leading number with
//! the number instead, and on a tie puts the number first (words with a leading number
//! also compare by it first, words without one come last): the same answer as Conan's in
//! every case of its test suite (`1.1 < 1.1a < 1.a`, `1.1* < 1.20`). A pre-release sorts before its
//! release; pre-release and build are nested versions compared the same way; a version
//! without build sorts before the same version with one.

use std::cmp::Ordering;

use crate::num::{Num, is_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Num(Num, Box<str>),
    Str(Box<str>),
}

impl Item {
    fn text(&self) -> &str {
        match self {
            Item::Num(_, s) | Item::Str(s) => s,
        }
    }
}

impl Item {
    /// The leading number of a word, if it has one.
    fn leading_number(&self) -> Option<Num> {
        let s = self.text();
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (n > 0).then(|| Num::from_digits(&s[..n]))
    }
}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Item::Num(a, _), Item::Num(b, _)) => a.cmp(b),
            (Item::Str(a), Item::Str(b)) => match (self.leading_number(), other.leading_number()) {
                (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => a.cmp(b),
            },
            (Item::Num(n, _), Item::Str(_)) => match other.leading_number() {
                Some(m) => n.cmp(&m).then(Ordering::Less),
                None => Ordering::Less,
            },
            (Item::Str(_), Item::Num(..)) => other.cmp(self).reverse(),
        }
    }
}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConanVersion {
    items: Vec<Item>,
    pre: Option<Box<ConanVersion>>,
    build: Option<Box<ConanVersion>>,
}

impl ConanVersion {
    pub(crate) fn parse(input: &str) -> Result<ConanVersion, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err("empty version");
        }
        Ok(Self::parse_inner(s, false))
    }

    fn parse_inner(s: &str, qualifier: bool) -> ConanVersion {
        let mut value = s;
        let (mut pre, mut build) = (None, None);
        if !qualifier {
            if let Some((v, b)) = value.rsplit_once('+') {
                value = v;
                build = Some(Box::new(Self::parse_inner(b, true)));
            }
            if let Some((v, p)) = value.split_once('-') {
                value = v;
                pre = Some(Box::new(Self::parse_inner(p, true)));
            }
        }
        let mut items: Vec<Item> = value
            .split('.')
            .map(|i| {
                if is_digits(i) {
                    Item::Num(Num::from_digits(i), i.into())
                } else {
                    Item::Str(i.into())
                }
            })
            .collect();
        while items
            .last()
            .is_some_and(|i| matches!(i, Item::Num(n, _) if n.is_zero()))
        {
            items.pop();
        }
        ConanVersion { items, pre, build }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }
}

impl Ord for ConanVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.items
            .cmp(&other.items)
            .then_with(|| match (&self.pre, &other.pre) {
                (Some(a), Some(b)) => a.cmp(b).then_with(|| self.build.cmp(&other.build)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => self.build.cmp(&other.build),
            })
    }
}

impl PartialOrd for ConanVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
