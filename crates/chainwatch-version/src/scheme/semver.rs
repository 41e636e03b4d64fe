//! SemVer 2.0 (npm, crates.io, Go, Hex, Swift, Pub and the generic `semver` scheme).
//!
//! Rules: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`. A pre-release sorts before its release;
//! pre-release identifiers compare one by one, numeric ones numerically and below
//! alphanumeric ones, alphanumeric ones by ASCII (so `Foo < foo`), and a shorter list of
//! equal identifiers sorts first. Build metadata does not count (`1.0.0+a = 1.0.0+b`),
//! except for Pub, where a version with build metadata sorts after the same version
//! without, and build identifiers compare like pre-release ones (`pub_semver`).
//!
//! Sharp edges, as the ecosystems' tools and the OSV database treat them:
//! - a leading `v` or `V` is ignored (Go writes `v1.2.3`, OSV writes `1.2.3`), so is a
//!   leading `=` (node-semver's loose mode);
//! - missing minor and patch are zero (`1.2` is `1.2.0`);
//! - numeric components after the third (`1.1.3.4.5`) are part of the build metadata;
//! - numbers have no size limit;
//! - Go pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) and `+incompatible` need
//!   nothing special: they are ordinary pre-release and build metadata.

use std::cmp::Ordering;

use crate::num::{Num, is_digits};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ident {
    Num(Num),
    Alpha(Box<str>),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => a.cmp(b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SemVer {
    pub(crate) major: Num,
    pub(crate) minor: Num,
    pub(crate) patch: Num,
    pub(crate) pre: Vec<Ident>,
    pub(crate) build: Vec<Ident>,
}

impl SemVer {
    pub(crate) fn parse(input: &str) -> Result<SemVer, &'static str> {
        let s = input.trim();
        let s = s.strip_prefix('=').unwrap_or(s).trim_start();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        if s.is_empty() {
            return Err("empty version");
        }
        let (core, build) = match s.split_once('+') {
            Some((c, b)) => (c, Some(b)),
            None => (s, None),
        };
        // The numeric core ends at the first `-` that follows a digit run.
        let (numbers, pre) = match core.find('-') {
            Some(i) => (&core[..i], Some(&core[i + 1..])),
            None => (core, None),
        };
        let mut parts = numbers.split('.');
        let mut next = |what| -> Result<Option<Num>, &'static str> {
            match parts.next() {
                None => Ok(None),
                Some(p) if is_digits(p) => Ok(Some(Num::from_digits(p))),
                Some(_) => Err(what),
            }
        };
        let major = next("the major version is not a number")?.ok_or("empty version")?;
        let minor = next("the minor version is not a number")?.unwrap_or(Num::ZERO);
        let patch = next("the patch version is not a number")?.unwrap_or(Num::ZERO);
        let mut build_ids = Vec::new();
        for extra in parts {
            if !is_digits(extra) {
                return Err("a version component is not a number");
            }
            build_ids.push(Ident::Num(Num::from_digits(extra)));
        }
        let pre = match pre {
            Some(p) => identifiers(p)?,
            None => Vec::new(),
        };
        if let Some(b) = build {
            build_ids.extend(identifiers(b)?);
        }
        Ok(SemVer {
            major,
            minor,
            patch,
            pre,
            build: build_ids,
        })
    }

    /// SemVer precedence: build metadata does not count.
    pub(crate) fn cmp_precedence(&self, other: &SemVer) -> Ordering {
        (&self.major, &self.minor, &self.patch)
            .cmp(&(&other.major, &other.minor, &other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }

    /// Pub's order: precedence, then no build before build, then build identifiers.
    pub(crate) fn cmp_pub(&self, other: &SemVer) -> Ordering {
        self.cmp_precedence(other)
            .then_with(|| self.build.cmp(&other.build))
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

/// Dot-separated identifiers of `[0-9A-Za-z-]`.
fn identifiers(s: &str) -> Result<Vec<Ident>, &'static str> {
    s.split('.')
        .map(|id| {
            if id.is_empty() {
                Err("an empty pre-release or build identifier")
            } else if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                Err("identifiers are ASCII letters, digits and `-`")
            } else if is_digits(id) {
                Ok(Ident::Num(Num::from_digits(id)))
            } else {
                Ok(Ident::Alpha(id.into()))
            }
        })
        .collect()
}
