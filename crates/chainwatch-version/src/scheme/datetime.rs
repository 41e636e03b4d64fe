//! RFC 3339 timestamps (`2024-01-01T00:00:00Z`, `2023-12-31T19:00:00-05:00`), ordered by
//! the instant they denote. The shape is checked here (a full date and time with seconds,
//! `T` or a space between them, `Z` or a `±hh:mm` offset); the calendar is `jiff`'s.

/// Nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) fn parse(input: &str) -> Result<i128, &'static str> {
    let s = input.trim();
    let b = s.as_bytes();
    let err = "expected an RFC 3339 date-time such as `2024-01-01T00:00:00Z`";
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|p| p.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !(digits(0..4) && digits(5..7) && digits(8..10))
        || !(digits(11..13) && digits(14..16) && digits(17..19))
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(err);
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(err);
        }
    }
    let zone_ok = match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            b.len() == i + 6 && b[i + 3] == b':' && digits(i + 1..i + 3) && digits(i + 4..i + 6)
        }
        _ => false,
    };
    if !zone_ok {
        return Err(err);
    }
    // Fractions beyond nanoseconds are cut, as they cannot change the order.
    let normalized;
    let text = if i > 29 {
        normalized = format!("{}{}", &s[..29], &s[i..]);
        normalized.as_str()
    } else {
        s
    };
    text.parse::<jiff::Timestamp>()
        .map(jiff::Timestamp::as_nanosecond)
        .map_err(|_| err)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn instants() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(
            parse("2023-12-31T19:00:00-05:00"),
            parse("2024-01-01T00:00:00Z")
        );
        assert_eq!(parse("1970-01-01 00:00:01.5z"), Ok(1_500_000_000));
        assert_eq!(parse("1970-01-01T00:00:00.1234567891234Z"), Ok(123_456_789));
        for bad in [
            "2024-01-01",
            "2024-01-01T00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+0100",
            "2024-02-30T00:00:00Z",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
