//! Package identity for chainwatch: Package URLs (purl), name identities and the mapping
//! between purls and OSV ecosystems.
//!
//! ```
//! use chainwatch_purl::Purl;
//!
//! let purl = Purl::parse("pkg:PyPI/Django_Rest@1.0").unwrap();
//! assert_eq!(purl.to_string(), "pkg:pypi/django-rest@1.0");
//! assert_eq!(purl.package_name().to_string(), "pkg:pypi/django-rest");
//! assert_eq!(purl.osv_ecosystem().unwrap().to_string(), "PyPI");
//! ```
//!
//! The crate follows ECMA-427 (the purl specification) and the registered type
//! definitions, and passes the whole purl-spec test suite (`tests/purl_spec.rs`). It does
//! no I/O.

#![warn(clippy::print_stdout, clippy::print_stderr)]

mod ecosystem;
mod encode;
mod error;
mod name;
mod purl;
mod types;

pub use ecosystem::{Ecosystem, OsvEcosystem};
pub use error::{Component, PurlError};
pub use name::{PackageName, pep503_normalize};
pub use purl::{ParseMode, Purl, PurlBuilder, Qualifiers};
pub use types::{is_registered_type, registered_types};
