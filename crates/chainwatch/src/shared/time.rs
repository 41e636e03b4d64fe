//! Times as commands read and write them, through `jiff`.

use std::time::Duration;

/// `SOURCE_DATE_EPOCH` when set (reproducible output), else now: RFC 3339 UTC in whole
/// seconds, what most consumers expect of a document's timestamp.
pub(crate) fn timestamp() -> String {
    let at = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A positive interval: `6h`, `30m`, `2d`, `45s`, `1h30m`, `P1D` (a day is 24 hours).
pub(crate) fn interval(text: &str) -> Option<Duration> {
    let span: jiff::Span = text.trim().parse().ok()?;
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .ok()?;
    Duration::try_from(d).ok().filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(interval("6h"), Some(Duration::from_hours(6)));
        assert_eq!(interval("30m"), Some(Duration::from_mins(30)));
        assert_eq!(interval("2d"), Some(Duration::from_hours(48)));
        assert_eq!(interval("45s"), Some(Duration::from_secs(45)));
        assert_eq!(interval("1h30m"), Some(Duration::from_mins(90)));
        for bad in ["", "0h", "-1h", "h", "6x", "soon"] {
            assert_eq!(interval(bad), None, "{bad}");
        }
    }
}
