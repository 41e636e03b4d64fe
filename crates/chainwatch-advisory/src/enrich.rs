//! Enrichment: CISA's Known Exploited Vulnerabilities catalog (JSON) and FIRST's EPSS
//! scores (CSV, optionally gzip-compressed), read into plain rows keyed by CVE id.

use std::io::Read as _;

use serde::Deserialize;

/// One KEV entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    /// Upper-cased CVE id.
    pub cve: String,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub name: Option<String>,
    pub date_added: Option<String>,
    pub due_date: Option<String>,
    /// `Known` or `Unknown`.
    pub ransomware: Option<String>,
}

/// One EPSS score.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssEntry {
    /// Upper-cased CVE id.
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days, 0–1.
    pub score: f64,
    pub percentile: Option<f64>,
    /// The day the scores are for (from the `#model_version:…,score_date:…` line).
    pub date: Option<String>,
}

/// Why an enrichment file could not be read, with where.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("not a KEV catalog: {0}")]
    Kev(String),
    #[error("line {line}: {message}")]
    Epss { line: usize, message: String },
    #[error("cannot decompress: {0}")]
    Decompress(String),
}

#[derive(Deserialize)]
struct KevCatalog {
    vulnerabilities: Vec<KevJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevJson {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: Option<String>,
    product: Option<String>,
    vulnerability_name: Option<String>,
    date_added: Option<String>,
    due_date: Option<String>,
    known_ransomware_campaign_use: Option<String>,
}

/// Reads CISA's `known_exploited_vulnerabilities.json`.
pub fn parse_kev(bytes: &[u8]) -> Result<Vec<KevEntry>, EnrichError> {
    let catalog: KevCatalog = serde_json::from_slice(bytes).map_err(|e| {
        EnrichError::Kev(format!(
            "{e} (expected `{{\"vulnerabilities\": [{{\"cveID\": …}}]}}`)"
        ))
    })?;
    Ok(catalog
        .vulnerabilities
        .into_iter()
        .filter(|v| v.cve_id.to_ascii_uppercase().starts_with("CVE-"))
        .map(|v| KevEntry {
            cve: v.cve_id.trim().to_ascii_uppercase(),
            vendor: v.vendor_project,
            product: v.product,
            name: v.vulnerability_name,
            date_added: v.date_added,
            due_date: v.due_date,
            ransomware: v.known_ransomware_campaign_use,
        })
        .collect())
}

/// Decompressed EPSS files are about 10 MB; refuse far more.
const EPSS_CAP: u64 = 1 << 30;

/// Reads FIRST's `epss_scores-YYYY-MM-DD.csv` (or `.csv.gz`): an optional
/// `#model_version:…,score_date:…` line, a `cve,epss,percentile` header, then rows.
pub fn parse_epss(bytes: &[u8]) -> Result<Vec<EpssEntry>, EnrichError> {
    let owned;
    let text: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(EPSS_CAP)
            .read_to_end(&mut out)
            .map_err(|e| EnrichError::Decompress(e.to_string()))?;
        owned = out;
        &owned
    } else {
        bytes
    };
    let text = std::str::from_utf8(text).map_err(|e| EnrichError::Epss {
        line: 1,
        message: format!("not UTF-8: {e}"),
    })?;
    let mut date = None;
    let mut columns: Option<(usize, usize, Option<usize>)> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(meta) = line.strip_prefix('#') {
            date = meta
                .split(',')
                .find_map(|kv| kv.trim().strip_prefix("score_date:"))
                .map(|d| d.get(..10).unwrap_or(d).to_owned());
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some((cve, score, percentile)) = columns else {
            let at = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
            match (at("cve"), at("epss")) {
                (Some(c), Some(e)) => columns = Some((c, e, at("percentile"))),
                _ => {
                    return Err(EnrichError::Epss {
                        line: n,
                        message: "expected the header `cve,epss,percentile`".into(),
                    });
                }
            }
            continue;
        };
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        let value: f64 = get(score).parse().map_err(|_| EnrichError::Epss {
            line: n,
            message: format!("`{}` is not a probability", get(score)),
        })?;
        if !(0.0..=1.0).contains(&value) {
            return Err(EnrichError::Epss {
                line: n,
                message: format!("`{value}` is not between 0 and 1"),
            });
        }
        out.push(EpssEntry {
            cve: get(cve).to_ascii_uppercase(),
            score: value,
            percentile: percentile.and_then(|p| get(p).parse().ok()),
            date: date.clone(),
        });
    }
    if columns.is_none() {
        return Err(EnrichError::Epss {
            line: 1,
            message: "empty: expected the header `cve,epss,percentile`".into(),
        });
    }
    Ok(out)
}
