//! Unbounded non-negative integers, as version components are: real versions contain
//! dates (`20190126230843`) and the test suites contain 30-digit numbers.

use std::cmp::Ordering;
use std::fmt;

/// A non-negative integer of any size, parsed from ASCII digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) enum Num {
    Small(u64),
    /// Digits without leading zeros, of a value above `u64::MAX`.
    Big(Box<str>),
}

impl Num {
    pub(crate) const ZERO: Num = Num::Small(0);

    /// Parses ASCII digits (the caller checked them); leading zeros are ignored.
    pub(crate) fn from_digits(digits: &str) -> Num {
        let trimmed = digits.trim_start_matches('0');
        if trimmed.len() <= 19 {
            // At most 19 digits always fit a u64.
            let mut v: u64 = 0;
            for b in trimmed.bytes() {
                v = v * 10 + u64::from(b - b'0');
            }
            Num::Small(v)
        } else {
            match trimmed.parse::<u64>() {
                Ok(v) => Num::Small(v),
                Err(_) => Num::Big(trimmed.into()),
            }
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Num::Small(0))
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Num::Small(a), Num::Small(b)) => a.cmp(b),
            (Num::Small(_), Num::Big(_)) => Ordering::Less,
            (Num::Big(_), Num::Small(_)) => Ordering::Greater,
            (Num::Big(a), Num::Big(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Small(v) => write!(f, "{v}"),
            Num::Big(s) => f.write_str(s),
        }
    }
}

impl fmt::Debug for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Compares two runs of ASCII digits numerically, whatever their length.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether `s` is a non-empty run of ASCII digits.
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_numbers_order_by_value() {
        let n = |s| Num::from_digits(s);
        assert!(n("999999999999999999999999999991") < n("999999999999999999999999999999"));
        assert!(n("18446744073709551615") < n("18446744073709551616"));
        assert_eq!(n("007"), n("7"));
        assert!(n("0").is_zero());
        assert_eq!(cmp_digits("0010", "9"), Ordering::Greater);
    }
}
