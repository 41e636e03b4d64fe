//! Severity: the CVSS base score computed from the record's vectors (v2, v3.x, v4.0),
//! else the qualitative rating the database writes (GHSA `severity`,
//! distribution urgencies).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::osv::Record;

/// A qualitative severity, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// The CVSS v3 rating of a base score.
    pub fn of_score(score: f64) -> Level {
        if score >= 9.0 {
            Level::Critical
        } else if score >= 7.0 {
            Level::High
        } else if score >= 4.0 {
            Level::Medium
        } else if score > 0.0 {
            Level::Low
        } else {
            Level::None
        }
    }

    /// A rating as databases write it (`MODERATE`, `important`, `urgency: high`…).
    pub fn from_name(name: &str) -> Option<Level> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "none" | "negligible" | "unimportant" | "not yet assigned" => Level::None,
            "low" | "minor" => Level::Low,
            "medium" | "moderate" => Level::Medium,
            "high" | "important" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Level, String> {
        Level::from_name(s)
            .ok_or_else(|| format!("`{s}` is not a severity (none, low, medium, high, critical)"))
    }
}

/// The severity of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Severity {
    pub level: Level,
    /// The highest CVSS base score computed from the record's vectors.
    pub score: Option<f64>,
    /// The vector the score came from.
    pub vector: Option<String>,
}

/// The score of an OSV severity entry (`CVSS_V2`, `CVSS_V3`, `CVSS_V4` and its vector);
/// `None` for other kinds and vectors that do not parse.
pub fn vector_score(kind: &str, vector: &str) -> Option<f64> {
    match kind {
        "CVSS_V3" => cvss3_score(vector),
        "CVSS_V2" => cvss2_score(vector),
        "CVSS_V4" => cvss4_score(vector),
        _ => None,
    }
}

/// CVSS v3.x base score (the specification's formula, with its rounding).
pub fn cvss3_score(vector: &str) -> Option<f64> {
    let base = cvss::v3::Base::from_str(vector).ok()?;
    Some(base.score().value())
}

/// CVSS v4.0 score (the specification's macro-vector lookup, through the `cvss` crate).
pub fn cvss4_score(vector: &str) -> Option<f64> {
    let v = cvss::v4::Vector::from_str(vector).ok()?;
    Some(v.score().value())
}

/// CVSS v2 base score (the v2 specification's equations).
pub fn cvss2_score(vector: &str) -> Option<f64> {
    let mut av = None;
    let mut ac = None;
    let mut au = None;
    let (mut c, mut i, mut a) = (None, None, None);
    for part in vector
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split('/')
    {
        let (k, v) = part.split_once(':')?;
        let impact = |v: &str| match v {
            "N" => Some(0.0),
            "P" => Some(0.275),
            "C" => Some(0.660),
            _ => None,
        };
        match k {
            "AV" => {
                av = Some(match v {
                    "L" => 0.395,
                    "A" => 0.646,
                    "N" => 1.0,
                    _ => return None,
                });
            }
            "AC" => {
                ac = Some(match v {
                    "H" => 0.35,
                    "M" => 0.61,
                    "L" => 0.71,
                    _ => return None,
                });
            }
            "Au" => {
                au = Some(match v {
                    "M" => 0.45,
                    "S" => 0.56,
                    "N" => 0.704,
                    _ => return None,
                });
            }
            "C" => c = impact(v),
            "I" => i = impact(v),
            "A" => a = impact(v),
            _ => {}
        }
    }
    let (av, ac, au, c, i, a) = (av?, ac?, au?, c?, i?, a?);
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let score: f64 = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Some((score * 10.0).round() / 10.0)
}

fn qualitative(v: Option<&Value>) -> Option<Level> {
    let v = v?;
    ["severity", "urgency", "priority"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str).and_then(Level::from_name))
}

impl Record {
    /// The record's severity: the highest computable CVSS score among its vectors (record
    /// and affected entries), else the database's own rating; `None` when it says nothing.
    pub fn severity(&self) -> Option<Severity> {
        let mut best: Option<(f64, String)> = None;
        let entries = self
            .severity
            .iter()
            .chain(self.affected.iter().flat_map(|a| a.severity.iter()));
        for s in entries {
            if let Some(score) = vector_score(&s.kind, &s.score)
                && best.as_ref().is_none_or(|(b, _)| score > *b)
            {
                best = Some((score, s.score.clone()));
            }
        }
        if let Some((score, vector)) = best {
            return Some(Severity {
                level: Level::of_score(score),
                score: Some(score),
                vector: Some(vector),
            });
        }
        let level = qualitative(self.database_specific.as_ref()).or_else(|| {
            self.affected.iter().find_map(|a| {
                qualitative(a.ecosystem_specific.as_ref())
                    .or_else(|| qualitative(a.database_specific.as_ref()))
            })
        })?;
        Some(Severity {
            level,
            score: None,
            vector: self.severity.first().map(|s| s.score.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores() {
        assert_eq!(
            cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
            Some(10.0)
        );
        assert_eq!(
            cvss3_score("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(8.1)
        );
        assert_eq!(cvss2_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
        assert_eq!(cvss2_score("AV:N/AC:M/Au:N/C:C/I:C/A:C"), Some(9.3));
        assert_eq!(cvss2_score("garbage"), None);
        assert_eq!(
            cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some(9.3)
        );
        assert_eq!(Level::of_score(8.1), Level::High);
    }
}
