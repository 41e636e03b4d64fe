//! Versions that are lists of numbers: CRAN (`1.2-3`: numbers separated by `.` or `-`),
//! Hackage (`Data.Version`: numbers separated by `.`) and nginx. They compare as lists:
//! element by element, and a longer list is newer when the shorter is its prefix
//! (`1.8 < 1.8.0`).

use crate::num::{Num, is_digits};

pub(crate) fn parse(input: &str, separators: &[char]) -> Result<Vec<Num>, &'static str> {
    let s = input.trim();
    let parts: Vec<&str> = s.split(separators).collect();
    if parts.iter().all(|p| is_digits(p)) {
        Ok(parts.into_iter().map(Num::from_digits).collect())
    } else {
        Err("expected numbers separated by `.`")
    }
}
