//! OSV range evaluation, exactly as the OSV schema describes it.
//!
//! An `affected` entry lists ranges (`ECOSYSTEM`, `SEMVER` or `GIT`) of events and an
//! explicit `versions` list. A version is affected when it is in the list or in one of the
//! ranges. Within a range, the events are sorted by version (`introduced: "0"` first) and
//! walked in order: an `introduced` at or below the version switches "affected" on, a
//! `fixed` at or below it switches it off, a `last_affected` below it switches it off. A
//! range may hold several introduced/fixed pairs. A `limit` (meant for git ranges) caps
//! the range: versions at or above every limit are not affected.

use std::cmp::Ordering;

use crate::vers::{Comparator, Constraint, Vers};
use crate::version::{Scheme, Version, VersionError};

/// One event of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
}

/// A range whose versions are parsed once, for fast evaluation.
#[derive(Debug, Clone)]
pub struct OsvRange {
    /// Sorted events; `None` is the `introduced: "0"` origin, below every version.
    events: Vec<(Kind, Option<Version>)>,
    limits: Vec<Version>,
}

impl OsvRange {
    /// Compiles the events of an `ECOSYSTEM` range (in the ecosystem's `scheme`) or a
    /// `SEMVER` range (pass [`Scheme::Semver`]).
    pub fn new(scheme: Scheme, events: &[Event]) -> Result<OsvRange, VersionError> {
        let mut compiled = Vec::with_capacity(events.len());
        let mut limits = Vec::new();
        for event in events {
            let parse = |v: &str| Version::parse(scheme, v);
            match event {
                Event::Introduced(v) if v.trim() == "0" => compiled.push((Kind::Introduced, None)),
                Event::Introduced(v) => compiled.push((Kind::Introduced, Some(parse(v)?))),
                Event::Fixed(v) => compiled.push((Kind::Fixed, Some(parse(v)?))),
                Event::LastAffected(v) => compiled.push((Kind::LastAffected, Some(parse(v)?))),
                Event::Limit(v) if v.trim() == "*" => {}
                Event::Limit(v) => limits.push(parse(v)?),
            }
        }
        compiled.sort_by(|a, b| match (&a.1, &b.1) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y),
        });
        Ok(OsvRange {
            events: compiled,
            limits,
        })
    }

    /// Whether `version` is in the range.
    pub fn contains(&self, version: &Version) -> bool {
        if !self.limits.is_empty() && self.limits.iter().all(|l| version.tool_cmp(l).is_ge()) {
            return false;
        }
        let mut affected = false;
        for (kind, at) in &self.events {
            match (kind, at) {
                (Kind::Introduced, None) => affected = true,
                (Kind::Introduced, Some(v)) if version.tool_cmp(v).is_ge() => affected = true,
                (Kind::Fixed, Some(v)) if version.tool_cmp(v).is_ge() => affected = false,
                (Kind::LastAffected, Some(v)) if version.tool_cmp(v).is_gt() => affected = false,
                _ => {}
            }
        }
        affected
    }

    /// The same range as vers constraints: `>=introduced|<fixed|<=last_affected`.
    pub fn to_vers(&self, scheme: Scheme) -> Vers {
        let mut constraints = Vec::new();
        let mut open = false;
        for (kind, at) in &self.events {
            match (kind, at) {
                (Kind::Introduced, None) => open = true,
                (Kind::Introduced, Some(v)) => {
                    if !open {
                        constraints.push(Constraint::new(Comparator::Ge, v.clone()));
                    }
                    open = true;
                }
                (Kind::Fixed, Some(v)) if open => {
                    constraints.push(Constraint::new(Comparator::Lt, v.clone()));
                    open = false;
                }
                (Kind::LastAffected, Some(v)) if open => {
                    constraints.push(Constraint::new(Comparator::Le, v.clone()));
                    open = false;
                }
                _ => {}
            }
        }
        if open && constraints.is_empty() {
            return Vers::any(scheme);
        }
        if open && let Some(limit) = self.limits.iter().min() {
            constraints.push(Constraint::new(Comparator::Lt, limit.clone()));
        }
        Vers::from_constraints(scheme, constraints)
    }
}

/// An OSV `affected` entry: ranges plus explicit versions.
#[derive(Debug, Clone, Default)]
pub struct OsvAffected {
    pub ranges: Vec<OsvRange>,
    pub versions: Vec<Version>,
}

impl OsvAffected {
    pub fn contains(&self, version: &Version) -> bool {
        self.versions.iter().any(|v| v == version)
            || self.ranges.iter().any(|r| r.contains(version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(scheme: Scheme, events: &[Event]) -> OsvRange {
        OsvRange::new(scheme, events).unwrap()
    }

    #[track_caller]
    fn check(r: &OsvRange, scheme: Scheme, version: &str, want: bool) {
        assert_eq!(
            r.contains(&Version::parse(scheme, version).unwrap()),
            want,
            "{version}"
        );
    }

    #[test]
    fn introduced_fixed_pairs_and_last_affected() {
        use Event::{Fixed, Introduced, LastAffected};
        let r = range(
            Scheme::Pypi,
            &[
                Introduced("0".into()),
                Fixed("1.2".into()),
                Introduced("2.0".into()),
                LastAffected("2.3".into()),
            ],
        );
        for (v, want) in [
            ("0.1", true),
            ("1.1.9", true),
            ("1.2", false),
            ("1.5", false),
            ("2.0", true),
            ("2.3", true),
            ("2.3.1", false),
        ] {
            check(&r, Scheme::Pypi, v, want);
        }
        assert_eq!(
            r.to_vers(Scheme::Pypi).to_string(),
            "vers:pypi/<1.2|>=2.0|<=2.3"
        );
    }

    #[test]
    fn events_are_sorted_before_walking() {
        use Event::{Fixed, Introduced};
        let r = range(
            Scheme::Npm,
            &[Fixed("2.0.0".into()), Introduced("1.0.0".into())],
        );
        check(&r, Scheme::Npm, "1.5.0", true);
        check(&r, Scheme::Npm, "2.0.0", false);
        check(&r, Scheme::Npm, "0.9.0", false);
    }

    #[test]
    fn xz_backdoor_with_debian_versions() {
        use Event::{Fixed, Introduced};
        // Debian's CVE-2024-3094 entry: fixed in 5.6.1+really5.4.5-1.
        let r = range(
            Scheme::Deb,
            &[
                Introduced("5.6.0-0.1".into()),
                Fixed("5.6.1+really5.4.5-1".into()),
            ],
        );
        check(&r, Scheme::Deb, "5.6.1-1", true);
        check(&r, Scheme::Deb, "5.6.1+really5.4.5-1", false);
        check(&r, Scheme::Deb, "5.4.1-0.2", false);
    }

    #[test]
    fn limits_cap_a_range() {
        use Event::{Introduced, Limit};
        let r = range(
            Scheme::Semver,
            &[Introduced("0".into()), Limit("2.0.0".into())],
        );
        check(&r, Scheme::Semver, "1.9.9", true);
        check(&r, Scheme::Semver, "2.0.0", false);
    }
}
