//! RFC 3339 timestamps (`2024-01-01T00:00:00Z`, `2023-12-31T19:00:00-05:00`), ordered by
//! the instant they denote.

/// Nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) fn parse(input: &str) -> Result<i128, &'static str> {
    let s = input.trim().as_bytes();
    let err = "expected an RFC 3339 date-time such as `2024-01-01T00:00:00Z`";
    let num = |r: std::ops::Range<usize>| -> Result<i64, &'static str> {
        let part = s.get(r).ok_or(err)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part)
                .ok()
                .and_then(|p| p.parse().ok())
                .ok_or(err)
        } else {
            Err(err)
        }
    };
    if s.len() < 20
        || s[4] != b'-'
        || s[7] != b'-'
        || !matches!(s[10], b'T' | b't' | b' ')
        || s[13] != b':'
        || s[16] != b':'
    {
        return Err(err);
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(err);
    }
    let mut i = 19;
    let mut nanos: i128 = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(err);
        }
        let frac = &s[start..i.min(start + 9)];
        let mut value: i128 = 0;
        for &d in frac {
            value = value * 10 + i128::from(d - b'0');
        }
        nanos = value * 10_i128.pow(u32::try_from(9 - frac.len()).unwrap_or(0));
    }
    let offset_minutes: i64 = match s.get(i) {
        Some(b'Z' | b'z') if i + 1 == s.len() => 0,
        Some(sign @ (b'+' | b'-')) if s.len() == i + 6 && s[i + 3] == b':' => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'+' { m } else { -m }
        }
        _ => return Err(err),
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Ok(i128::from(seconds) * 1_000_000_000 + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
