//! The one statement model every VEX format is read into.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VexFormat {
    OpenVex,
    CycloneDx,
    Csaf,
}

impl VexFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            VexFormat::OpenVex => "openvex",
            VexFormat::CycloneDx => "cyclonedx",
            VexFormat::Csaf => "csaf",
        }
    }
}

/// The status a statement asserts (OpenVEX's vocabulary; the others are mapped to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }

    /// Whether a finding with this status is no longer a problem (not affected, fixed).
    pub fn suppresses(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }
}

impl fmt::Display for VexStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VexStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<VexStatus, String> {
        Ok(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace([' ', '-'], "_")
                .as_str()
            {
                "not_affected" => VexStatus::NotAffected,
                "affected" => VexStatus::Affected,
                "fixed" => VexStatus::Fixed,
                "under_investigation" => VexStatus::UnderInvestigation,
                other => return Err(format!("unknown VEX status `{other}`")),
            },
        )
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The vulnerability's identifier as written (CVE, GHSA, …).
    pub vulnerability: String,
    /// Other identifiers the document gives for it.
    pub aliases: Vec<String>,
    /// The products it is about: purls, CPEs or names. Empty: any product.
    pub products: Vec<String>,
    /// The components of those products it is about (purls or names). Empty: the
    /// products themselves (which may be packages).
    pub components: Vec<String>,
    pub status: VexStatus,
    /// Why not affected (`vulnerable_code_not_present`, …).
    pub justification: Option<String>,
    pub impact: Option<String>,
    pub action: Option<String>,
    /// When the statement was made (RFC 3339), else the document's time.
    pub timestamp: Option<String>,
    /// The CycloneDX analysis state as written (`false_positive`, `in_triage`, `resolved`,
    /// `exploitable`, `not_affected`, `not_set`), which the status folds; `not_set`
    /// withdraws earlier decisions: no verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<String>,
}

impl Statement {
    /// Whether this statement withdraws the decisions before it (CycloneDX `not_set`).
    pub fn is_reset(&self) -> bool {
        self.analysis.as_deref() == Some("not_set")
    }

    /// Every identifier of the vulnerability.
    pub fn identifiers(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.vulnerability.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A problem in a VEX document (a statement left out, a CSAF check failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexProblem {
    /// A stable code: `vex-statement` for a statement left out, `csaf-6.1.x` for the CSAF
    /// specification's mandatory tests, `csaf-schema` for required fields.
    pub code: String,
    /// JSON pointer.
    pub pointer: String,
    pub message: String,
}

/// A VEX document read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexDocument {
    pub format: VexFormat,
    /// The document's identifier (`@id`, serial number, CSAF tracking id).
    pub id: Option<String>,
    pub author: Option<String>,
    pub timestamp: Option<String>,
    pub statements: Vec<Statement>,
    pub problems: Vec<VexProblem>,
}

/// Why a document could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not a VEX document: {0}")]
    NotVex(String),
}
