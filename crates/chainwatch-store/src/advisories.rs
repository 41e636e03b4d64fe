//! Advisories in the store: OSV records imported (the newest `modified` of each id wins, the
//! same content twice is a no-op), found by any identifier, and loaded for exactly the
//! packages a match needs.

use chainwatch_advisory::Record;
use chainwatch_match::{AdvisoryIndex, record_keys};
use chainwatch_purl::Purl;
use serde::Serialize;

use crate::{Result, Store, StoreError};

/// One record ready to write: computed outside the write transaction.
#[derive(Debug, Clone)]
pub struct AdvisoryRow {
    pub osv_id: String,
    pub modified: Option<String>,
    /// `modified` in microseconds, for ordering versions of a record.
    pub modified_micros: Option<i64>,
    pub withdrawn: bool,
    pub malicious: bool,
    pub severity: Option<String>,
    pub score: Option<f64>,
    pub summary: Option<String>,
    pub digest: String,
    /// zstd-compressed JSON of the record.
    pub record: Vec<u8>,
    /// Upper-cased identifiers.
    pub identifiers: Vec<String>,
    /// (OSV ecosystem, canonical name) of every affected package.
    pub packages: Vec<(String, String)>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdvisoryImport {
    /// Records new to the store.
    pub added: u64,
    /// Records whose newer version replaced the stored one.
    pub updated: u64,
    /// Records already stored with the same content, or older than the stored version.
    pub unchanged: u64,
}

/// What the store holds of advisories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdvisoryStats {
    pub records: u64,
    pub withdrawn: u64,
    pub malicious: u64,
    /// When the last import wrote something (microseconds since the epoch).
    pub last_import: Option<i64>,
}

/// Prepares a record for the store.
pub fn prepare_advisory(record: &Record) -> Result<AdvisoryRow> {
    let json = serde_json::to_vec(record).map_err(|e| {
        StoreError::Corrupt(format!(
            "advisory `{}` cannot be serialized: {e}",
            record.id
        ))
    })?;
    let digest = crate::digest_hex(&json);
    let compressed =
        zstd::bulk::compress(&json, 3).map_err(|e| StoreError::Compression(e.to_string()))?;
    let severity = record.severity();
    let mut identifiers: Vec<String> = record.identifiers().map(str::to_ascii_uppercase).collect();
    identifiers.sort();
    identifiers.dedup();
    Ok(AdvisoryRow {
        osv_id: record.id.clone(),
        modified: record.modified.clone(),
        modified_micros: record.modified.as_deref().and_then(crate::parse_instant),
        withdrawn: record.is_withdrawn(),
        malicious: record.is_malicious(),
        severity: severity.as_ref().map(|s| s.level.as_str().to_owned()),
        score: severity.as_ref().and_then(|s| s.score),
        summary: record.summary.clone(),
        digest,
        record: compressed,
        identifiers,
        packages: record_keys(record),
    })
}

/// A stored record, decompressed.
pub(crate) fn decode(compressed: &[u8]) -> Result<Record> {
    let json =
        zstd::stream::decode_all(compressed).map_err(|e| StoreError::Compression(e.to_string()))?;
    serde_json::from_slice(&json)
        .map_err(|e| StoreError::Corrupt(format!("a stored advisory does not decode: {e}")))
}

/// Whether a row with `modified` should replace a stored one with `stored_modified`.
pub(crate) fn newer(row: &AdvisoryRow, stored_modified: Option<&str>) -> bool {
    let stored = stored_modified.and_then(crate::parse_instant);
    match (row.modified_micros, stored) {
        (Some(new), Some(old)) => new > old,
        // A record without a time never replaces one with a time.
        (None, Some(_)) => false,
        (_, None) => true,
    }
}

/// A product version whose current inventory has a package an advisory affects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Affected {
    pub product: String,
    pub version: String,
    /// The package's canonical purl.
    pub package: String,
    pub advisory: String,
    pub aliases: Vec<String>,
    pub severity: Option<String>,
    pub fixed_in: Vec<String>,
    /// The status of the VEX statement that applies (the most recent), if any.
    pub vex_status: Option<String>,
    pub vex_justification: Option<String>,
    /// In CISA's Known Exploited Vulnerabilities catalog (under any CVE alias).
    pub known_exploited: bool,
    pub epss: Option<f64>,
}

impl Store {
    /// Every product version whose current inventory (at `as_of`) has a package affected
    /// by the advisory `id` or any record linked to it by aliases: the stored findings
    /// (brought up to date first when advisories or packages are waiting to be matched),
    /// so distribution binary packages are found through their source package too.
    pub fn affected(&self, id: &str, as_of: Option<i64>) -> Result<Vec<Affected>> {
        let records = self.advisories_by_id(id)?;
        if records.is_empty() {
            return Err(StoreError::NotFound(format!(
                "no stored advisory has the identifier `{id}`"
            )));
        }
        if self.backend.has_pending_matches()? {
            self.rematch()?;
        }
        let found = self.findings(&crate::FindingQuery {
            as_of,
            include_suppressed: true,
            advisories: Some(records.iter().map(|r| r.id.clone()).collect()),
            ..crate::FindingQuery::default()
        })?;
        Ok(found
            .into_iter()
            .map(|f| Affected {
                vex_status: f.vex.as_ref().map(|v| v.status.as_str().to_owned()),
                vex_justification: f.vex.and_then(|v| v.justification),
                product: f.product,
                version: f.version,
                package: f.package,
                advisory: f.advisory,
                aliases: f.aliases,
                severity: f.severity,
                fixed_in: f.fixed_in,
                known_exploited: f.known_exploited,
                epss: f.epss,
            })
            .collect())
    }

    /// Imports records in one transaction per call (batch them: a few thousand at a time).
    pub fn import_advisories(&self, records: &[Record]) -> Result<AdvisoryImport> {
        let rows = records
            .iter()
            .map(prepare_advisory)
            .collect::<Result<Vec<_>>>()?;
        self.backend.import_advisories(&rows)
    }

    /// The stored records carrying an identifier (id, alias or upstream id, any case), and
    /// those linked to them through their own identifiers.
    pub fn advisories_by_id(&self, identifier: &str) -> Result<Vec<Record>> {
        let mut seen_ids = std::collections::BTreeSet::new();
        let mut records: Vec<Record> = Vec::new();
        let mut frontier = vec![identifier.trim().to_ascii_uppercase()];
        while !frontier.is_empty() {
            let found = self.backend.advisories_by_identifiers(&frontier)?;
            frontier.clear();
            for blob in found {
                let r = decode(&blob)?;
                if seen_ids.insert(r.id.clone()) {
                    frontier.extend(r.identifiers().map(str::to_ascii_uppercase));
                    records.push(r);
                }
            }
            frontier.retain(|i| !seen_ids.contains(i));
        }
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    /// The ids of the known-malicious records (OSV `MAL-` and malware advisories, not
    /// withdrawn) naming this package, whatever its version.
    pub fn malicious_records(&self, purl: &Purl) -> Result<Vec<String>> {
        let keys = chainwatch_match::purl_keys(purl);
        let mut ids = Vec::new();
        for (_, blob) in self.backend.advisories_for_packages(&keys)? {
            let record = decode(&blob)?;
            if record.is_malicious() {
                ids.push(record.id);
            }
        }
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// An index of exactly the stored records that concern these packages.
    pub fn advisory_index_for(&self, purls: &[Purl]) -> Result<AdvisoryIndex> {
        let mut keys: Vec<(String, String)> =
            purls.iter().flat_map(chainwatch_match::purl_keys).collect();
        keys.sort();
        keys.dedup();
        let blobs = self.backend.advisories_for_packages(&keys)?;
        let records = blobs
            .iter()
            .map(|(_, b)| decode(b))
            .collect::<Result<Vec<_>>>()?;
        Ok(AdvisoryIndex::from_records(records))
    }

    /// Where `advisories update` of `source` left off: the newest `modified` imported
    /// and when (microseconds since the epoch).
    pub fn source_state(&self, source: &str) -> Result<Option<(Option<String>, i64)>> {
        self.backend.source_state(source)
    }

    pub fn set_source_state(&self, source: &str, last_modified: Option<&str>) -> Result<()> {
        self.backend.set_source_state(source, last_modified)
    }

    /// The OSV ecosystems (base names: `PyPI`, `Debian`) of the portfolio's matched
    /// packages: what an update needs by default.
    pub fn package_ecosystems(&self) -> Result<Vec<String>> {
        self.backend.package_ecosystems()
    }

    /// When advisories were last imported (microseconds since the epoch), `None` when the
    /// store has none; cheap (an index lookup), unlike [`Store::advisory_stats`].
    pub fn advisories_last_import(&self) -> Result<Option<i64>> {
        self.backend.advisories_last_import()
    }

    pub fn advisory_stats(&self) -> Result<AdvisoryStats> {
        self.backend.advisory_stats()
    }
}
