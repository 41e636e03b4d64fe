//! Conan 2's `Version`.
//!
//! `main[-pre][+build]`: the main part is items separated by `.`, numbers or words;
//! trailing zero items do not count (`1 = 1.0.0`). Items compare numerically when both are
//! numbers, as strings otherwise (`1.1 < 1.1a < 1.a`). A pre-release sorts before its
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

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Item::Num(a, _), Item::Num(b, _)) => a.cmp(b),
            _ => self.text().cmp(other.text()),
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
