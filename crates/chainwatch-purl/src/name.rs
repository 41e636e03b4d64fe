use std::fmt;
use std::str::FromStr;

use crate::error::PurlError;
use crate::purl::{self, Purl};
use crate::types::{self, Special};

/// The identity of a package regardless of version: type, namespace and name.
///
/// It is what deduplicates packages across SBOMs and what advisories are indexed by. It
/// applies the purl normalization of the type and, where the registry itself treats
/// different spellings as one package, that registry's rule as well:
/// PyPI names are compared as PEP 503 normalizes them (`Zope.Interface`, `zope_interface`
/// and `zope-interface` are one project).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageName {
    ty: String,
    namespace: Option<String>,
    name: String,
}

impl PackageName {
    /// A name identity from raw components, normalized as a purl of that type would be.
    pub fn new(ty: &str, namespace: Option<&str>, name: &str) -> Result<PackageName, PurlError> {
        let mut builder = Purl::builder(ty, name);
        if let Some(ns) = namespace {
            builder = builder.namespace(ns);
        }
        // Required qualifiers (julia's `uuid`, swid's `tag_id`) identify an artifact, not a
        // name, so they are not asked for here.
        let rules = types::rules_for(&ty.to_ascii_lowercase());
        for key in rules.required_qualifiers {
            builder = builder.qualifier(*key, "-");
        }
        Ok(builder.build()?.package_name())
    }

    /// Parses a purl and keeps its name identity (any version, qualifiers or subpath in the
    /// input are ignored).
    pub fn parse(input: &str) -> Result<PackageName, PurlError> {
        Ok(Purl::parse(input)?.package_name())
    }

    pub fn ty(&self) -> &str {
        &self.ty
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The canonical string, `pkg:type/namespace/name`.
    pub fn canonical(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + 24);
        purl::write_name_part(&mut out, &self.ty, self.namespace.as_deref(), &self.name);
        out
    }
}

impl Purl {
    /// The name identity of this package (see [`PackageName`]).
    pub fn package_name(&self) -> PackageName {
        let rules = types::rules_for(self.ty());
        let mut name = self.name().to_owned();
        if rules.special == Special::Pypi {
            name = pep503_normalize(&name);
        }
        PackageName {
            ty: self.ty().to_owned(),
            namespace: self.namespace().map(str::to_owned),
            name,
        }
    }
}

/// PEP 503: lower case, and every run of `-`, `_` and `.` becomes a single `-`.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl fmt::Debug for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PackageName({self})")
    }
}

impl FromStr for PackageName {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PackageName::parse(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for PackageName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for PackageName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PackageName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(PackageName::parse(input).unwrap().to_string(), expected);
    }

    #[test]
    fn identity_drops_version_qualifiers_and_subpath() {
        check(
            "pkg:npm/%40angular/core@17.0.0?foo=bar#x",
            "pkg:npm/%40angular/core",
        );
        check(
            "pkg:deb/debian/liblzma5@5.4.1-0.2?arch=amd64&distro=debian-12&upstream=xz-utils",
            "pkg:deb/debian/liblzma5",
        );
    }

    #[test]
    fn pypi_identity_is_pep_503() {
        check("pkg:pypi/Zope.Interface@5", "pkg:pypi/zope-interface");
        check("pkg:pypi/zope_interface", "pkg:pypi/zope-interface");
        check("pkg:pypi/a__b..c", "pkg:pypi/a-b-c");
    }

    #[test]
    fn identity_of_types_with_required_qualifiers() {
        let n = PackageName::new("julia", None, "Dates").unwrap();
        assert_eq!(n.to_string(), "pkg:julia/Dates");
    }
}
