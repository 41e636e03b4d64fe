//! Advisories for chainwatch: OSV records read leniently (JSON and YAML, versions kept as
//! strings) from files, directory trees and zip archives; severities computed from CVSS
//! vectors; withdrawn, malicious (`MAL-`) and informational records told apart; every
//! identifier (id, aliases, upstream ids) of a record listed so any of them finds it.
//! VEX documents (OpenVEX, CycloneDX, CSAF 2.0) read into one statement model (`vex`).
//! Matching them against packages is `chainwatch-match`.
//!
//! ```
//! use chainwatch_advisory::load;
//! let record = br#"{"id":"GHSA-x","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-1"],
//!   "affected":[{"package":{"ecosystem":"PyPI","name":"Requests"},
//!   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.32.0"}]}]}]}"#;
//! let records = load::parse(record, false).unwrap();
//! assert_eq!(records[0].identifiers().collect::<Vec<_>>(), ["GHSA-x", "CVE-2024-1"]);
//! ```

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod enrich;
pub mod feed;
pub mod load;
pub mod osv;
pub mod sarif;
mod severity;
pub mod vex;

pub use osv::Record;
pub use severity::{Level, Severity, cvss2_score, cvss3_score, cvss4_score, vector_score};
