//! The OSV record model, read leniently: an unknown ecosystem, an odd field or a range that
//! does not parse never loses the rest of the record; problems are reported by JSON
//! pointer. Versions stay strings until matching.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One OSV record.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Record {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "strings")]
    pub aliases: Vec<String>,
    #[serde(default, deserialize_with = "strings")]
    pub upstream: Vec<String>,
    #[serde(default, deserialize_with = "strings")]
    pub related: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub severity: Vec<SeverityEntry>,
    #[serde(default, deserialize_with = "list")]
    pub affected: Vec<Affected>,
    #[serde(default, deserialize_with = "list")]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SeverityEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, deserialize_with = "list")]
    pub severity: Vec<SeverityEntry>,
    #[serde(default, deserialize_with = "list")]
    pub ranges: Vec<Range>,
    #[serde(default, deserialize_with = "strings")]
    pub versions: Vec<String>,
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Package {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Range {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub events: Vec<RawEvent>,
}

/// One event as written: exactly one of the fields is set in a valid record.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct RawEvent {
    #[serde(default, deserialize_with = "version_string")]
    pub introduced: Option<String>,
    #[serde(default, deserialize_with = "version_string")]
    pub fixed: Option<String>,
    #[serde(default, deserialize_with = "version_string")]
    pub last_affected: Option<String>,
    #[serde(default, deserialize_with = "version_string")]
    pub limit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Reference {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
}

/// A list whose elements that do not fit are dropped (the record survives).
fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value(i).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// A list of strings; other elements dropped.
fn strings<'de, D>(d: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// A version that YAML may have typed as a number (`fixed: 1.10` must stay `1.10`: YAML
/// readers that turn it into a float lose the zero, which is why records keep versions
/// quoted; a bare number is taken as written where the reader kept it).
fn version_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

impl Record {
    /// Whether the record was withdrawn (it never produces findings).
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn
            .as_deref()
            .is_some_and(|w| !w.trim().is_empty())
    }

    /// Whether the record says the package is malicious (OSV `MAL-` records, and GHSA
    /// malware advisories).
    pub fn is_malicious(&self) -> bool {
        self.id.starts_with("MAL-")
            || self.aliases.iter().any(|a| a.starts_with("MAL-"))
            || self
                .database_specific
                .as_ref()
                .and_then(|d| d.get("malicious-packages-origins"))
                .is_some()
    }

    /// The weaknesses (CWE ids, upper-cased, each once) the record names: GitHub's
    /// `database_specific.cwe_ids`, at the record or an affected package.
    pub fn cwes(&self) -> Vec<String> {
        fn of(v: Option<&Value>, out: &mut Vec<String>) {
            if let Some(ids) = v.and_then(|d| d.get("cwe_ids")).and_then(Value::as_array) {
                out.extend(
                    ids.iter()
                        .filter_map(Value::as_str)
                        .map(|s| s.trim().to_ascii_uppercase())
                        .filter(|s| s.starts_with("CWE-") && s.len() <= 16),
                );
            }
        }
        let mut out = Vec::new();
        of(self.database_specific.as_ref(), &mut out);
        for a in &self.affected {
            of(a.database_specific.as_ref(), &mut out);
        }
        out.sort();
        out.dedup();
        out
    }

    /// An informational notice rather than a vulnerability: `RustSec`'s `unmaintained`,
    /// `unsound` and `notice` advisories (`database_specific.informational`).
    pub fn informational(&self) -> Option<&str> {
        fn of(v: Option<&Value>) -> Option<&str> {
            v.and_then(|d| d.get("informational"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        }
        of(self.database_specific.as_ref()).or_else(|| {
            self.affected.iter().find_map(|a| {
                of(a.database_specific.as_ref()).or_else(|| of(a.ecosystem_specific.as_ref()))
            })
        })
    }

    /// A one-line title: the summary, else the first sentence of the details (PYSEC
    /// records have no summary; at most 200 characters of it).
    pub fn title(&self) -> Option<String> {
        const MAX: usize = 200;
        let text = match self.summary.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => return Some(s.to_owned()),
            _ => {
                let first = self.details.as_deref()?.trim().lines().next()?.trim();
                // The first `.` followed by white space or the end.
                let end = first
                    .char_indices()
                    .find(|&(i, c)| {
                        c == '.'
                            && first[i + 1..]
                                .chars()
                                .next()
                                .is_none_or(char::is_whitespace)
                    })
                    .map_or(first.len(), |(i, _)| i + 1);
                &first[..end]
            }
        };
        if text.is_empty() {
            return None;
        }
        Some(if text.chars().count() > MAX {
            let cut: String = text.chars().take(MAX).collect();
            format!("{}…", cut.trim_end())
        } else {
            text.to_owned()
        })
    }

    /// Every identifier of the record: its id, aliases and upstream ids.
    pub fn identifiers(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .chain(self.upstream.iter().map(String::as_str))
    }
}
