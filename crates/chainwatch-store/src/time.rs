//! Timestamps: microseconds since the Unix epoch in the store, RFC 3339 UTC outside
//! (through `jiff`).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Now, in microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    Timestamp::now().as_microsecond()
}

/// Formats microseconds since the epoch as RFC 3339 UTC with microseconds
/// (`2026-11-27T03:38:25.123456Z`); times beyond the years 9999 are the last instant
/// representable.
pub fn format_micros(micros: i64) -> String {
    let t = Timestamp::from_microsecond(micros).unwrap_or(if micros < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

/// Parses an RFC 3339 date-time (`2026-11-27T03:38:25Z`, fractions and offsets allowed)
/// or a date (`2026-11-27`, meaning the end of that day, UTC) into microseconds since the
/// epoch. `None` when it is neither.
pub fn parse_instant(input: &str) -> Option<i64> {
    let input = input.trim();
    if input.len() == 10 {
        let date: Date = input.parse().ok()?;
        let end = date
            .at(23, 59, 59, 999_999_999)
            .to_zoned(TimeZone::UTC)
            .ok()?;
        return Some(end.timestamp().as_microsecond());
    }
    input
        .parse::<Timestamp>()
        .ok()
        .map(Timestamp::as_microsecond)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse_instant("2024-03-29T12:34:56.789Z").unwrap();
        assert_eq!(format_micros(t), "2024-03-29T12:34:56.789000Z");
        assert_eq!(parse_instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_instant("2024-03-29T14:34:56+02:00"),
            parse_instant("2024-03-29T12:34:56Z")
        );
        assert_eq!(
            parse_instant("2024-03-29"),
            Some(parse_instant("2024-03-30T00:00:00Z").unwrap() - 1)
        );
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2024-03-29T25:00:00Z",
            "2024-03-29T12:00:00",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
        assert_eq!(format_micros(-1), "1969-12-31T23:59:59.999999Z");
    }
}
