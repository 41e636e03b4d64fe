//! NuGet's `NuGetVersion`.
//!
//! `Major[.Minor[.Patch[.Revision]]][-prerelease][+metadata]`; missing numbers are 0, so
//! `1.0 = 1.0.0.0`; leading zeros do not count. A pre-release sorts before its release;
//! pre-release labels compare case-insensitively, numeric labels numerically and below
//! alphanumeric ones; metadata does not count.

use std::cmp::Ordering;

use crate::num::{Num, is_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    Num(Num),
    Alpha(Box<str>),
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Label::Num(a), Label::Num(b)) => a.cmp(b),
            (Label::Num(_), Label::Alpha(_)) => Ordering::Less,
            (Label::Alpha(_), Label::Num(_)) => Ordering::Greater,
            (Label::Alpha(a), Label::Alpha(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NugetVersion {
    numbers: [Num; 4],
    pre: Vec<Label>,
}

impl NugetVersion {
    pub(crate) fn parse(input: &str) -> Result<NugetVersion, &'static str> {
        let s = input.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 4 || !parts.iter().all(|p| is_digits(p)) {
            return Err("expected one to four numbers separated by `.`");
        }
        let mut numbers = [Num::ZERO, Num::ZERO, Num::ZERO, Num::ZERO];
        for (slot, p) in numbers.iter_mut().zip(&parts) {
            *slot = Num::from_digits(p);
        }
        let mut labels = Vec::new();
        if let Some(p) = pre {
            for label in p.split('.') {
                if label.is_empty()
                    || !label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    return Err("pre-release labels are letters, digits and `-`");
                }
                labels.push(if is_digits(label) {
                    Label::Num(Num::from_digits(label))
                } else {
                    Label::Alpha(label.to_ascii_lowercase().into())
                });
            }
        }
        Ok(NugetVersion {
            numbers,
            pre: labels,
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Ord for NugetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for NugetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
