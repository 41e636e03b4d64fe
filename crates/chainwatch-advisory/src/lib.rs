//! Advisories for chainwatch: OSV records read leniently (JSON and YAML, versions kept as
//! strings), indexed by ecosystem and normalized package name, and matched against
//! package URLs with each ecosystem's own version order (`chainwatch-version`).
//! Withdrawn records never match; `MAL-` records mark packages as malicious; aliases and
//! upstream ids link identifiers so any of them finds the record; distribution binary
//! packages are matched through their source package too.
//!
//! ```
//! use chainwatch_advisory::{AdvisoryIndex, load};
//! let record = br#"{"id":"GHSA-x","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-1"],
//!   "affected":[{"package":{"ecosystem":"PyPI","name":"Requests"},
//!   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.32.0"}]}]}]}"#;
//! let index = AdvisoryIndex::from_records(load::parse(record, false).unwrap());
//! let purl = chainwatch_purl::Purl::parse("pkg:pypi/requests@2.31.0").unwrap();
//! let findings = index.matches(&purl);
//! assert_eq!(findings[0].advisory, "GHSA-x");
//! assert_eq!(findings[0].fixed_in, ["2.32.0"]);
//! assert_eq!(index.lookup("cve-2024-1").len(), 1);
//! ```

#![warn(clippy::print_stdout, clippy::print_stderr)]

mod index;
pub mod load;
pub mod osv;
mod severity;

pub use index::{AdvisoryIndex, Finding, IndexProblem, Via, purl_keys, record_keys};
pub use osv::Record;
pub use severity::{Level, Severity, cvss2_score, cvss3_score, cvss4_score};
