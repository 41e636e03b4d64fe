//! Debian (dpkg), also used for Ubuntu and opam.
//!
//! `[epoch:]upstream[-revision]`: the epoch is a number (0 when absent), the revision is
//! what follows the last `-` (absent is the same as `0`). Upstream and revision compare
//! with dpkg's `verrevcmp`: alternately a run of non-digits, compared character by
//! character with `~` before everything (even the end), then the end, then letters, then
//! other characters; and a run of digits, compared numerically.
//! So `1.0~rc1 < 1.0 < 1.0+b1` and `5.6.1+really5.4.5-1 > 5.6.1`.

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DebVersion {
    epoch: u64,
    upstream: Box<str>,
    revision: Box<str>,
}

impl DebVersion {
    pub(crate) fn parse(input: &str) -> Result<DebVersion, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err("empty version");
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) => {
                if !is_digits(e) {
                    return Err("the epoch is not a number");
                }
                (e.parse::<u64>().map_err(|_| "the epoch is too large")?, r)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("the upstream version is empty");
        }
        let allowed = |b: u8| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'~' | b':' | b'_')
        };
        if !rest.bytes().all(allowed) {
            return Err("a Debian version has only letters, digits and `.+-~:_`");
        }
        Ok(DebVersion {
            epoch,
            upstream: upstream.into(),
            revision: revision.into(),
        })
    }
}

/// dpkg's character weight for the non-digit parts.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
pub(crate) fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        // Both runs are ASCII digits.
        let da = std::str::from_utf8(&a[si..i]).unwrap_or("");
        let db = std::str::from_utf8(&b[sj..j]).unwrap_or("");
        let o = cmp_digits(da, db);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
