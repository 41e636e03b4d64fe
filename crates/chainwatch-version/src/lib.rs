//! Version semantics for every ecosystem chainwatch knows: ordering exactly as each
//! package manager orders versions, the vers range specification, native range syntaxes
//! and OSV range evaluation.
//!
//! ```
//! use chainwatch_version::{Scheme, Version};
//! use std::cmp::Ordering;
//!
//! assert_eq!(Scheme::Pypi.compare("1.0.dev0", "1.0a0").unwrap(), Ordering::Less);
//! assert_eq!(Scheme::Deb.compare("5.6.1+really5.4.5-1", "5.6.1").unwrap(), Ordering::Greater);
//! assert_eq!(Scheme::Maven.compare("1.0", "1-ga").unwrap(), Ordering::Equal);
//! ```
//!
//! A version that its scheme cannot parse is a [`VersionError`], never a panic and never
//! silently compared as a string. No I/O.

#![warn(clippy::print_stdout, clippy::print_stderr)]

mod num;
mod scheme;
mod version;

pub use version::{Scheme, Version, VersionError};
mod vers;

pub use vers::{Comparator, Constraint, RawVers, Vers, VersError, VersMode};
mod osv;

pub use osv::{Event, OsvAffected, OsvRange};
mod native;

pub use native::{NativeRangeError, native_to_vers};
