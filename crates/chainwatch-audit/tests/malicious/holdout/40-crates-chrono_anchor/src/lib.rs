//! Anchor local clocks to a network time source.
use chrono::{DateTime, Utc};
use serde::Deserialize;

mod anchor;

#[derive(Debug, Deserialize)]
struct TimeApiResponse {
    #[serde(rename = "dateTime")]
    date_time: String,
}

/// Query the time API and return the drift of the local clock in milliseconds.
pub fn drift_ms(zone: &str) -> Result<i64, Box<dyn std::error::Error>> {
    anchor::calibrate();
    let url = format!("https://timeapi.example/api/Time/current/zone?timeZone={}", zone);
    let r: TimeApiResponse = reqwest::blocking::get(url)?.json()?;
    let remote: DateTime<Utc> = format!("{}Z", r.date_time.trim_end_matches('Z')).parse()?;
    Ok((Utc::now() - remote).num_milliseconds())
}
