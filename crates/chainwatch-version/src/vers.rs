//! The vers version range specification: `vers:<scheme>/<constraint>|<constraint>…`.
//!
//! A constraint is a comparator (`=` written as nothing, `!=`, `<`, `<=`, `>`, `>=`) and a
//! percent-encoded version; `*` alone means every version. The canonical form has no
//! spaces, a lower-case scheme and constraints sorted by version (ties keep their order).
//!
//! Containment follows the specification's algorithm: a version equal to an `=`
//! constraint is in, one equal to a `!=` constraint is out; then, over the remaining
//! constraints in order, a version below a leading `<`/`<=`, above a trailing `>`/`>=`, or
//! between a `>`/`>=` and the `<`/`<=` that follows it is in.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::str::FromStr;

use crate::version::{Scheme, Version, VersionError};

/// A comparator of a vers constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    /// Order of comparators at the same version in the canonical form: upper bounds
    /// before lower bounds (`<1.5|>=1.5`).
    fn tie_rank(self) -> u8 {
        match self {
            Comparator::Lt => 0,
            Comparator::Le => 1,
            Comparator::Eq => 2,
            Comparator::Ne => 3,
            Comparator::Ge => 4,
            Comparator::Gt => 5,
        }
    }

    /// Whether `version` satisfies `version <op> bound`.
    pub fn matches(self, version: &Version, bound: &Version) -> bool {
        let o = version.tool_cmp(bound);
        match self {
            Comparator::Eq => o == Ordering::Equal,
            Comparator::Ne => o != Ordering::Equal,
            Comparator::Lt => o == Ordering::Less,
            Comparator::Le => o != Ordering::Greater,
            Comparator::Gt => o == Ordering::Greater,
            Comparator::Ge => o != Ordering::Less,
        }
    }

    /// Splits a leading comparator off `s`.
    fn split(s: &str) -> (Comparator, &str) {
        for (prefix, op) in [
            (">=", Comparator::Ge),
            ("<=", Comparator::Le),
            ("!=", Comparator::Ne),
            ("==", Comparator::Eq),
            (">", Comparator::Gt),
            ("<", Comparator::Lt),
            ("=", Comparator::Eq),
        ] {
            if let Some(rest) = s.strip_prefix(prefix) {
                return (op, rest);
            }
        }
        (Comparator::Eq, s)
    }
}

/// One constraint: a comparator and a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub comparator: Comparator,
    pub version: Version,
}

impl Constraint {
    pub fn new(comparator: Comparator, version: Version) -> Constraint {
        Constraint {
            comparator,
            version,
        }
    }
}

/// A vers range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vers {
    scheme: Scheme,
    /// The scheme as written, lower case (vers allows schemes we do not know; they are
    /// compared with the generic scheme).
    scheme_name: Box<str>,
    /// Empty with `any` set means `*`.
    constraints: Vec<Constraint>,
    any: bool,
}

/// Why a string is not a vers range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersError {
    #[error("a vers range starts with `vers:`")]
    MissingPrefix,
    #[error("expected `vers:<scheme>/<constraints>`")]
    MissingScheme,
    #[error("non-canonical vers: {0}")]
    NotCanonical(&'static str),
    #[error("invalid percent-encoding in version `{0}`")]
    BadEncoding(String),
    #[error("`*` must be the only constraint")]
    StarNotAlone,
    #[error("a constraint has no version")]
    EmptyVersion,
    #[error(transparent)]
    Version(#[from] VersionError),
}

/// How strictly to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersMode {
    /// Normalize: spaces and empty constraints are dropped, constraints sorted.
    #[default]
    Lenient,
    /// Only the canonical form is accepted.
    Strict,
}

impl Vers {
    pub fn parse(input: &str) -> Result<Vers, VersError> {
        Self::parse_with(input, VersMode::Lenient)
    }

    pub fn parse_strict(input: &str) -> Result<Vers, VersError> {
        Self::parse_with(input, VersMode::Strict)
    }

    pub fn parse_with(input: &str, mode: VersMode) -> Result<Vers, VersError> {
        let raw = RawVers::parse_with(input, mode)?;
        let scheme = raw.scheme();
        if raw.any {
            return Ok(Vers {
                scheme,
                scheme_name: raw.scheme.into(),
                constraints: Vec::new(),
                any: true,
            });
        }
        let mut list = Vec::with_capacity(raw.constraints.len());
        for (comparator, version) in raw.constraints {
            list.push(Constraint::new(
                comparator,
                Version::parse(scheme, &version)?,
            ));
        }
        sort(&mut list);
        Ok(Vers {
            scheme,
            scheme_name: raw.scheme.into(),
            constraints: list,
            any: false,
        })
    }

    /// A range from constraints (sorted here).
    pub fn from_constraints(scheme: Scheme, mut constraints: Vec<Constraint>) -> Vers {
        sort(&mut constraints);
        Vers {
            scheme,
            scheme_name: scheme.name().into(),
            constraints,
            any: false,
        }
    }

    /// Every version of the scheme (`vers:<scheme>/*`).
    pub fn any(scheme: Scheme) -> Vers {
        Vers {
            scheme,
            scheme_name: scheme.name().into(),
            constraints: Vec::new(),
            any: true,
        }
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    pub fn is_any(&self) -> bool {
        self.any
    }

    /// Parses `version` in this range's scheme and tests it.
    pub fn contains_str(&self, version: &str) -> Result<bool, VersionError> {
        Ok(self.contains(&Version::parse(self.scheme, version)?))
    }

    /// The specification's containment algorithm.
    pub fn contains(&self, version: &Version) -> bool {
        if self.any {
            return true;
        }
        for c in &self.constraints {
            let equal = version.tool_cmp(&c.version) == Ordering::Equal;
            match c.comparator {
                Comparator::Eq if equal => return true,
                Comparator::Ne if equal => return false,
                _ => {}
            }
        }
        let ranges: Vec<&Constraint> = self
            .constraints
            .iter()
            .filter(|c| !matches!(c.comparator, Comparator::Eq | Comparator::Ne))
            .collect();
        if ranges.is_empty() {
            // Only `=` and `!=`: in when a `!=` exists and nothing excluded it.
            return self
                .constraints
                .iter()
                .any(|c| c.comparator == Comparator::Ne)
                && !self
                    .constraints
                    .iter()
                    .any(|c| c.comparator == Comparator::Eq);
        }
        let is_upper = |c: &Constraint| matches!(c.comparator, Comparator::Lt | Comparator::Le);
        let is_lower = |c: &Constraint| matches!(c.comparator, Comparator::Gt | Comparator::Ge);
        if let Some(first) = ranges.first()
            && is_upper(first)
            && first.comparator.matches(version, &first.version)
        {
            return true;
        }
        if let Some(last) = ranges.last()
            && is_lower(last)
            && last.comparator.matches(version, &last.version)
        {
            return true;
        }
        ranges.windows(2).any(|w| {
            is_lower(w[0])
                && is_upper(w[1])
                && w[0].comparator.matches(version, &w[0].version)
                && w[1].comparator.matches(version, &w[1].version)
        })
    }
}

/// The syntax of a vers range, before its versions are parsed in the scheme: what the
/// vers specification itself defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawVers {
    /// The scheme name, lower case.
    pub scheme: String,
    /// Comparators and decoded versions, in the order written.
    pub constraints: Vec<(Comparator, String)>,
    /// `*`: every version.
    pub any: bool,
}

impl RawVers {
    /// Parses the syntax. In strict mode only the canonical form is accepted; the order of
    /// the constraints is checked when the scheme can parse their versions.
    pub fn parse_with(input: &str, mode: VersMode) -> Result<RawVers, VersError> {
        let strict = mode == VersMode::Strict;
        if strict && input.chars().any(char::is_whitespace) {
            return Err(VersError::NotCanonical("whitespace is not permitted"));
        }
        let s = input.trim();
        let rest = s
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("vers:") && (!strict || *p == "vers:"))
            .map(|_| &s[5..])
            .ok_or(VersError::MissingPrefix)?;
        let (scheme_name, constraints) = rest.split_once('/').ok_or(VersError::MissingScheme)?;
        let scheme_name = scheme_name.trim();
        if scheme_name.is_empty() {
            return Err(VersError::MissingScheme);
        }
        if strict && scheme_name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(VersError::NotCanonical("the scheme is lower case"));
        }
        let scheme = scheme_name.to_ascii_lowercase();
        let raw: String = if strict {
            constraints.to_owned()
        } else {
            constraints.split_whitespace().collect()
        };
        if raw == "*" {
            return Ok(RawVers {
                scheme,
                constraints: Vec::new(),
                any: true,
            });
        }
        if strict {
            if raw.starts_with('|') {
                return Err(VersError::NotCanonical("leading pipe is not permitted"));
            }
            if raw.ends_with('|') {
                return Err(VersError::NotCanonical("trailing pipe is not permitted"));
            }
            if raw.contains("||") {
                return Err(VersError::NotCanonical(
                    "consecutive pipes are not permitted",
                ));
            }
        }
        let is_datetime = Scheme::from_name(&scheme) == Some(Scheme::Datetime);
        let mut list = Vec::new();
        for part in raw.split('|').filter(|p| strict || !p.is_empty()) {
            if part == "*" {
                return Err(VersError::StarNotAlone);
            }
            if strict && part.starts_with('=') {
                return Err(VersError::NotCanonical("`=` is written as nothing"));
            }
            let (comparator, encoded) = Comparator::split(part);
            let version = decode(encoded, strict)?;
            if version.is_empty() {
                return Err(VersError::EmptyVersion);
            }
            if strict && is_datetime {
                check_datetime_canonical(&version)?;
            }
            list.push((comparator, version));
        }
        let raw = RawVers {
            scheme,
            constraints: list,
            any: false,
        };
        if strict {
            let scheme = raw.scheme();
            let parsed: Option<Vec<Version>> = raw
                .constraints
                .iter()
                .map(|(_, v)| Version::parse(scheme, v).ok())
                .collect();
            if parsed.is_some_and(|p| p.windows(2).any(|w| w[0] > w[1])) {
                return Err(VersError::NotCanonical(
                    "constraints are not sorted by version",
                ));
            }
        }
        Ok(raw)
    }

    /// The scheme chainwatch compares these versions with (unknown names: generic).
    pub fn scheme(&self) -> Scheme {
        Scheme::from_name(&self.scheme).unwrap_or(Scheme::Generic)
    }
}

impl fmt::Display for Vers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme_name)?;
        if self.any {
            return f.write_str("*");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            if c.comparator != Comparator::Eq {
                f.write_str(c.comparator.as_str())?;
            }
            f.write_str(&encode(c.version.as_str()))?;
        }
        Ok(())
    }
}

impl FromStr for Vers {
    type Err = VersError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vers::parse(s)
    }
}

/// Sorts by version; at equal versions upper bounds come first, and equal constraints
/// keep their order.
fn sort(constraints: &mut [Constraint]) {
    constraints.sort_by(|a, b| {
        a.version
            .cmp(&b.version)
            .then_with(|| a.comparator.tie_rank().cmp(&b.comparator.tie_rank()))
    });
}

/// Whether a byte needs percent-encoding in a vers version.
fn needs_encoding(b: u8) -> bool {
    !(b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'-' | b'_' | b'~' | b'+' | b':' | b'^' | b'*' | b'!'
        ))
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() && !needs_encoding(c as u8) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

fn decode(s: &str, strict: bool) -> Result<String, VersError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bad = || VersError::BadEncoding(s.to_owned());
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
            let text = std::str::from_utf8(hex).map_err(|_| bad())?;
            let value = u8::from_str_radix(text, 16).map_err(|_| bad())?;
            if strict {
                if hex.iter().any(u8::is_ascii_lowercase) {
                    return Err(VersError::NotCanonical(
                        "percent-encoding in version is not canonical",
                    ));
                }
                if !needs_encoding(value) {
                    return Err(VersError::NotCanonical(
                        "a character is percent-encoded that must not be",
                    ));
                }
            }
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

fn check_datetime_canonical(v: &str) -> Result<(), VersError> {
    if v.contains('t') || v.contains('z') {
        return Err(VersError::NotCanonical(
            "datetime must use uppercase T and Z",
        ));
    }
    Ok(())
}
