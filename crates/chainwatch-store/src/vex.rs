//! VEX statements and enrichment (KEV, EPSS) in the store. VEX documents are kept whole
//! (compressed) as evidence, their statements by vulnerability identifier; both are
//! applied when findings are read, so a new statement or score takes effect at once.

use std::collections::HashMap;

use chainwatch_advisory::enrich::{EpssEntry, KevEntry};
use chainwatch_advisory::vex::{Statement, VexDocument, VexStatus};
use chainwatch_match::vex::{Subject, decide};
use serde::Serialize;

use crate::{Result, Store, StoreError};

/// A VEX document ready to write.
#[derive(Debug, Clone)]
pub(crate) struct VexRow {
    pub digest: String,
    pub format: &'static str,
    pub document_id: Option<String>,
    pub author: Option<String>,
    pub issued: Option<String>,
    /// zstd-compressed original bytes.
    pub data: Vec<u8>,
    /// (statement JSON, its time in µs, upper-cased identifiers).
    pub statements: Vec<(String, i64, Vec<String>)>,
}

/// What a VEX import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexImport {
    /// The stored document's id.
    pub id: i64,
    /// False when the same content was stored before (nothing written).
    pub stored: bool,
    pub format: String,
    pub statements: usize,
}

/// Enrichment for one CVE.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Enrichment {
    /// In CISA's Known Exploited Vulnerabilities catalog: the day it was added.
    pub kev_added: Option<String>,
    pub epss: Option<f64>,
    pub epss_percentile: Option<f64>,
}

/// The VEX verdict on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexVerdict {
    pub status: VexStatus,
    pub justification: Option<String>,
    pub impact: Option<String>,
    pub action: Option<String>,
    pub timestamp: Option<String>,
}

impl From<&Statement> for VexVerdict {
    fn from(s: &Statement) -> VexVerdict {
        VexVerdict {
            status: s.status,
            justification: s.justification.clone(),
            impact: s.impact.clone(),
            action: s.action.clone(),
            timestamp: s.timestamp.clone(),
        }
    }
}

/// Statements loaded for a set of identifiers, ready to decide findings.
#[derive(Debug, Default)]
pub struct VexStatements {
    statements: Vec<(Statement, i64)>,
}

impl VexStatements {
    /// Adds statements (with their times, microseconds since the epoch), such as those of
    /// a VEX file given on the command line.
    pub fn extend(&mut self, statements: impl IntoIterator<Item = (Statement, i64)>) {
        self.statements.extend(statements);
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The verdict on a finding, if any statement applies.
    pub fn verdict(
        &self,
        product: &str,
        version: &str,
        package: &str,
        identifiers: &[String],
    ) -> Option<VexVerdict> {
        let subject = Subject {
            product,
            version,
            package,
            identifiers,
        };
        decide(self.statements.iter().map(|(s, t)| (s, *t)), &subject).map(VexVerdict::from)
    }
}

/// When a statement was made (microseconds since the epoch): its own timestamp, else its
/// document's.
pub fn statement_time(doc: &VexDocument, statement: &Statement) -> Option<i64> {
    statement
        .timestamp
        .as_deref()
        .or(doc.timestamp.as_deref())
        .and_then(crate::parse_instant)
}

impl Store {
    /// Stores a VEX document read by `chainwatch_advisory::vex::parse` from `bytes`; the
    /// same content again is a no-op.
    pub fn import_vex(&self, bytes: &[u8], doc: &VexDocument) -> Result<VexImport> {
        let digest = crate::digest_hex(bytes);
        let data =
            zstd::bulk::compress(bytes, 3).map_err(|e| StoreError::Compression(e.to_string()))?;
        let now = crate::now_micros();
        let mut statements = Vec::with_capacity(doc.statements.len());
        for s in &doc.statements {
            let json = serde_json::to_string(s).map_err(|e| {
                StoreError::Corrupt(format!("a VEX statement does not serialize: {e}"))
            })?;
            let at = statement_time(doc, s).unwrap_or(now);
            let mut ids: Vec<String> = s.identifiers().map(str::to_ascii_uppercase).collect();
            ids.sort();
            ids.dedup();
            statements.push((json, at, ids));
        }
        let row = VexRow {
            digest,
            format: doc.format.as_str(),
            document_id: doc.id.clone(),
            author: doc.author.clone(),
            issued: doc.timestamp.clone(),
            data,
            statements,
        };
        let (id, stored) = self.backend.import_vex(&row)?;
        Ok(VexImport {
            id,
            stored,
            format: row.format.to_owned(),
            statements: row.statements.len(),
        })
    }

    /// The stored statements about any of these vulnerability identifiers.
    pub fn vex_statements(&self, identifiers: &[String]) -> Result<VexStatements> {
        let mut ids: Vec<String> = identifiers.iter().map(|i| i.to_ascii_uppercase()).collect();
        ids.sort();
        ids.dedup();
        let mut statements = Vec::new();
        for (json, at) in self.backend.vex_statements(&ids)? {
            let s: Statement = serde_json::from_str(&json).map_err(|e| {
                StoreError::Corrupt(format!("a stored VEX statement does not decode: {e}"))
            })?;
            statements.push((s, at));
        }
        Ok(VexStatements { statements })
    }

    /// Stores the KEV catalog's entries (replacing those of the same CVE); returns how
    /// many.
    pub fn import_kev(&self, entries: &[KevEntry]) -> Result<u64> {
        self.backend.import_kev(entries)
    }

    /// Stores EPSS scores (replacing those of the same CVE); returns how many.
    pub fn import_epss(&self, entries: &[EpssEntry]) -> Result<u64> {
        self.backend.import_epss(entries)
    }

    /// KEV and EPSS data of these identifiers (those that are CVE ids), upper-cased keys.
    pub fn enrichment(&self, identifiers: &[String]) -> Result<HashMap<String, Enrichment>> {
        let mut cves: Vec<String> = identifiers
            .iter()
            .map(|i| i.to_ascii_uppercase())
            .filter(|i| i.starts_with("CVE-"))
            .collect();
        cves.sort();
        cves.dedup();
        self.backend.enrichment(&cves)
    }
}
