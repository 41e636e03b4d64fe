//! OpenSSL release numbers: `1.0.2zh` (numbers, then a letter sequence `a`…`z`, `za`…)
//! and `3.0.13`. Numbers compare first (missing ones are 0), then the letters (none
//! sorts first; sequences compare as strings, which orders `z < za < zb`).

use std::cmp::Ordering;

use crate::num::{Num, is_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpensslVersion {
    numbers: Vec<Num>,
    letters: Box<str>,
}

impl OpensslVersion {
    pub(crate) fn parse(input: &str) -> Result<OpensslVersion, &'static str> {
        let s = input.trim();
        let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
        let (numbers, letters) = s.split_at(split);
        if !letters.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err("an OpenSSL version is numbers and a lower-case letter suffix");
        }
        let numbers: Vec<&str> = numbers.split('.').collect();
        if !numbers.iter().all(|n| is_digits(n)) {
            return Err("an OpenSSL version starts with numbers separated by `.`");
        }
        let mut numbers: Vec<Num> = numbers.into_iter().map(Num::from_digits).collect();
        while numbers.len() > 1 && numbers.last().is_some_and(Num::is_zero) {
            numbers.pop();
        }
        Ok(OpensslVersion {
            numbers,
            letters: letters.into(),
        })
    }
}

impl Ord for OpensslVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| self.letters.cmp(&other.letters))
    }
}

impl PartialOrd for OpensslVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
