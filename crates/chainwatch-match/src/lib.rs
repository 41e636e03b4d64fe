//! Matching for chainwatch: advisories indexed by ecosystem and normalized package name,
//! compiled once, and matched against package URLs with each ecosystem's own version
//! order (`chainwatch-version`). Withdrawn records never match; distribution binary
//! packages are matched through their source package (`upstream`) too. VEX statements
//! are applied to findings by vulnerability, product and component identity, and the
//! difference between two sets of findings is the delta that notifications report.
//!
//! ```
//! use chainwatch_advisory::load;
//! use chainwatch_match::AdvisoryIndex;
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
pub mod vex;

pub use index::{AdvisoryIndex, Finding, IndexProblem, Via, purl_keys, record_keys};
