use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::encode::{self, DecodeError};
use crate::error::{Component, PurlError};
use crate::types::{self, Presence, Special, TypeRules};

/// How strictly [`Purl::parse_with`] reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParseMode {
    /// Accept what real documents contain and normalize it: upper-case qualifier keys are
    /// lower-cased. This is what ingestion uses.
    #[default]
    Lenient,
    /// ECMA-427 conformance: a qualifier key that is not already lower case is an error.
    Strict,
}

/// A parsed, normalized Package URL.
///
/// Every `Purl` is valid and normalized: the type is lower case, each registered type's
/// case and naming rules are applied, qualifiers are sorted with unique keys and non-empty
/// values, and empty, `.` and `..` subpath segments are gone. Two purls are equal exactly
/// when their canonical strings ([`fmt::Display`]) are equal.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Qualifiers,
    subpath: Option<String>,
}

/// The qualifiers of a purl: sorted by key, keys unique, values never empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qualifiers(Vec<(String, String)>);

impl Qualifiers {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    /// `(key, value)` pairs in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts, drops empty values and rejects duplicate keys.
    fn from_pairs(mut pairs: Vec<(String, String)>) -> Result<Self, PurlError> {
        pairs.retain(|(_, v)| !v.is_empty());
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(PurlError::DuplicateQualifier {
                key: w[0].0.clone(),
            });
        }
        Ok(Qualifiers(pairs))
    }
}

impl Purl {
    /// Parses a purl leniently (see [`ParseMode::Lenient`]).
    pub fn parse(input: &str) -> Result<Purl, PurlError> {
        Self::parse_with(input, ParseMode::Lenient)
    }

    /// Parses a purl with ECMA-427 strictness (see [`ParseMode::Strict`]).
    pub fn parse_strict(input: &str) -> Result<Purl, PurlError> {
        Self::parse_with(input, ParseMode::Strict)
    }

    /// Parses a purl, right to left as the specification's parsing procedure describes.
    pub fn parse_with(input: &str, mode: ParseMode) -> Result<Purl, PurlError> {
        let offset = |sub: &str| Some(sub.as_ptr() as usize - input.as_ptr() as usize);

        // Scheme: `pkg`, in any case, then `:` and any number of slashes.
        let Some((scheme, rest)) = input.split_once(':') else {
            return Err(PurlError::MissingScheme);
        };
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(if scheme.contains(['/', '@', '?', '#']) {
                PurlError::MissingScheme
            } else {
                PurlError::WrongScheme {
                    scheme: scheme.to_owned(),
                }
            });
        }

        let (rest, subpath_raw) = match rest.rsplit_once('#') {
            Some((r, s)) => (r, Some(s)),
            None => (rest, None),
        };
        let (rest, qualifiers_raw) = match rest.rsplit_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let rest = rest.trim_start_matches('/');

        // Type.
        let Some((ty_raw, rest)) = rest.split_once('/') else {
            // `pkg:hackage` names a type but no package; `pkg:Foo@1.0` names neither.
            return Err(if check_type(rest).is_ok() {
                PurlError::MissingName
            } else {
                PurlError::MissingType
            });
        };
        check_type(ty_raw)?;
        let mut ty = ty_raw.to_owned();
        ty.make_ascii_lowercase();

        // Version: after the last `@` of the last path segment.
        let last_segment_start = rest.rfind('/').map_or(0, |i| i + 1);
        let (rest, version_raw) = match rest[last_segment_start..].rfind('@') {
            Some(at) => {
                let at = last_segment_start + at;
                (&rest[..at], Some(&rest[at + 1..]))
            }
            None => (rest, None),
        };
        let rest = if version_raw.is_some() {
            rest
        } else {
            rest.trim_end_matches('/')
        };

        // Name and namespace.
        let (namespace_raw, name_raw) = match rest.rsplit_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, rest),
        };
        if name_raw.is_empty() {
            return Err(PurlError::MissingName);
        }
        let name = decode(name_raw, Component::Name, offset(name_raw))?.into_owned();
        let mut namespace = String::new();
        if let Some(ns) = namespace_raw {
            for segment in ns.split('/').filter(|s| !s.is_empty()) {
                let decoded = decode(segment, Component::Namespace, offset(segment))?;
                if decoded.contains('/') {
                    return Err(PurlError::InvalidSegment {
                        component: Component::Namespace,
                        segment: decoded.into_owned(),
                        reason: "a segment may not contain `/`",
                    });
                }
                push_segment(&mut namespace, &decoded);
            }
        }
        let version = match version_raw {
            Some(v) => Some(decode(v, Component::Version, offset(v))?.into_owned()),
            None => None,
        };

        let qualifiers = match qualifiers_raw {
            Some(q) => parse_qualifiers(q, mode, &offset)?,
            None => Qualifiers::default(),
        };
        let subpath = match subpath_raw {
            Some(sp) => parse_subpath(sp, &offset)?,
            None => String::new(),
        };
        finish(Parts {
            ty,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// Starts building a purl from decoded components.
    pub fn builder(ty: impl Into<String>, name: impl Into<String>) -> PurlBuilder {
        PurlBuilder {
            ty: ty.into(),
            namespace: None,
            name: name.into(),
            version: None,
            qualifiers: Vec::new(),
            subpath: None,
        }
    }

    /// The package type, lower case (`npm`, `pypi`, `deb`, …).
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The namespace, its segments joined by `/`, decoded.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The name, decoded.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version, decoded.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    pub fn qualifiers(&self) -> &Qualifiers {
        &self.qualifiers
    }

    /// The value of one qualifier.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key)
    }

    /// The subpath, its segments joined by `/`, decoded.
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// The same package at another version (or at none).
    #[must_use]
    pub fn with_version(&self, version: Option<&str>) -> Purl {
        let mut purl = self.clone();
        purl.version = version.filter(|v| !v.is_empty()).map(|v| {
            let mut v = v.to_owned();
            if types::rules_for(&purl.ty).lowercase_version {
                lowercase_in_place(&mut v);
            }
            v
        });
        purl
    }

    /// For distribution packages, the source package named by the `upstream` qualifier
    /// (as syft and trivy write it: `name` or `name@version`), e.g. `xz-utils` for the
    /// binary package `liblzma5`.
    pub fn upstream(&self) -> Option<(&str, Option<&str>)> {
        let up = self.qualifier("upstream")?;
        Some(match up.split_once('@') {
            Some((name, version)) if !name.is_empty() => {
                (name, Some(version).filter(|v| !v.is_empty()))
            }
            _ => (up, None),
        })
    }

    /// Writes the canonical form: `pkg:type/namespace/name@version?qualifiers#subpath`.
    fn write_canonical(&self, out: &mut String) {
        write_name_part(out, &self.ty, self.namespace.as_deref(), &self.name);
        if let Some(version) = &self.version {
            out.push('@');
            encode::encode_into(out, version);
        }
        for (i, (key, value)) in self.qualifiers.0.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(key);
            out.push('=');
            encode::encode_into(out, value);
        }
        if let Some(subpath) = &self.subpath {
            out.push('#');
            write_segments(out, subpath);
        }
    }

    /// The canonical string (the same as `to_string()`).
    pub fn canonical(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + 32);
        self.write_canonical(&mut out);
        out
    }
}

/// `pkg:type/namespace/name`, shared by [`Purl`] and [`crate::PackageName`].
pub(crate) fn write_name_part(out: &mut String, ty: &str, namespace: Option<&str>, name: &str) {
    out.push_str("pkg:");
    out.push_str(ty);
    out.push('/');
    if let Some(ns) = namespace {
        write_segments(out, ns);
        out.push('/');
    }
    if ty == "git" {
        // The git name is a repository path: its slashes are separators.
        write_segments(out, name);
    } else {
        encode::encode_into(out, name);
    }
}

fn write_segments(out: &mut String, segments: &str) {
    for (i, segment) in segments.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode::encode_into(out, segment);
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl fmt::Debug for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Purl({self})")
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purl::parse(s)
    }
}

impl PartialOrd for Purl {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Orders by type, namespace, name, then the version *string*, qualifiers and subpath.
/// This is a storage order, not a version order: comparing versions needs the ecosystem's
/// own rules.
impl Ord for Purl {
    fn cmp(&self, other: &Self) -> Ordering {
        (
            &self.ty,
            &self.namespace,
            &self.name,
            &self.version,
            &self.qualifiers,
            &self.subpath,
        )
            .cmp(&(
                &other.ty,
                &other.namespace,
                &other.name,
                &other.version,
                &other.qualifiers,
                &other.subpath,
            ))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Purl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Purl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Purl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Builds a [`Purl`] from decoded components, as the specification's building procedure
/// describes. Obtained from [`Purl::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct PurlBuilder {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
    subpath: Option<String>,
}

impl PurlBuilder {
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    pub fn qualifier(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.qualifiers.push((key.into(), value.into()));
        self
    }

    pub fn subpath(mut self, subpath: impl Into<String>) -> Self {
        self.subpath = Some(subpath.into());
        self
    }

    /// Normalizes and validates the components.
    pub fn build(self) -> Result<Purl, PurlError> {
        check_type(&self.ty)?;
        let mut ty = self.ty;
        ty.make_ascii_lowercase();

        let mut namespace = String::new();
        if let Some(ns) = &self.namespace {
            for segment in ns.split('/').filter(|s| !s.is_empty()) {
                push_segment(&mut namespace, segment);
            }
        }
        let name = self.name.trim_matches('/').to_owned();
        if name.is_empty() {
            return Err(PurlError::MissingName);
        }

        let mut qualifiers = Vec::with_capacity(self.qualifiers.len());
        for (key, value) in self.qualifiers {
            let key = key.to_ascii_lowercase();
            check_qualifier_key(&key)?;
            qualifiers.push((key, value));
        }

        let mut subpath = String::new();
        if let Some(sp) = &self.subpath {
            for segment in sp.split('/').filter(|s| !matches!(*s, "" | "." | "..")) {
                push_segment(&mut subpath, segment);
            }
        }

        finish(Parts {
            ty,
            namespace,
            name,
            version: self.version,
            qualifiers: Qualifiers::from_pairs(qualifiers)?,
            subpath,
        })
    }
}

/// Decoded components before type rules are applied. Empty strings mean absent.
struct Parts {
    ty: String,
    namespace: String,
    name: String,
    version: Option<String>,
    qualifiers: Qualifiers,
    subpath: String,
}

/// Applies the type's rules and checks what the type requires.
fn finish(parts: Parts) -> Result<Purl, PurlError> {
    let Parts {
        ty,
        mut namespace,
        mut name,
        version,
        qualifiers,
        subpath,
    } = parts;
    let rules = types::rules_for(&ty);
    let mut version = version.filter(|v| !v.is_empty());

    normalize_name_part(rules, &mut namespace, &mut name, Some(&qualifiers));
    if let Some(v) = &mut version
        && rules.lowercase_version
    {
        lowercase_in_place(v);
    }

    match rules.namespace {
        Presence::Required if namespace.is_empty() => {
            // A Go module path with a single element (`go.starlark.net`) has no namespace,
            // nor do the pseudo-modules `stdlib` and `toolchain`.
            let go_single_element = rules.special == Special::Golang
                && (name.contains('.') || matches!(name.as_str(), "stdlib" | "toolchain"));
            if !go_single_element {
                return Err(PurlError::NamespaceRequired { ty });
            }
        }
        Presence::Prohibited if !namespace.is_empty() => {
            return Err(PurlError::NamespaceProhibited { ty, namespace });
        }
        _ => {}
    }
    for key in rules.required_qualifiers {
        if qualifiers.get(key).is_none() {
            return Err(PurlError::MissingQualifier { ty, key });
        }
    }
    check_name_and_version(rules, &ty, &name, version.as_deref())?;

    Ok(Purl {
        ty,
        namespace: Some(namespace).filter(|s| !s.is_empty()),
        name,
        version,
        qualifiers,
        subpath: Some(subpath).filter(|s| !s.is_empty()),
    })
}

/// The case and naming rules of a type, applied to namespace and name. `qualifiers` is
/// `None` for name identities, which have none.
pub(crate) fn normalize_name_part(
    rules: &TypeRules,
    namespace: &mut String,
    name: &mut String,
    qualifiers: Option<&Qualifiers>,
) {
    match rules.special {
        Special::Git => {
            // The namespace is the host; the rest of the path belongs to the name.
            if let Some((host, path)) = namespace.split_once('/') {
                *name = format!("{path}/{name}");
                namespace.truncate(host.len());
            }
            if types::is_case_insensitive_git_host(&namespace.to_ascii_lowercase()) {
                lowercase_in_place(namespace);
                lowercase_in_place(name);
            }
        }
        Special::Mlflow => {
            let databricks = qualifiers
                .and_then(|q| q.get("repository_url"))
                .is_some_and(|url| url.to_ascii_lowercase().contains("databricks"));
            if databricks {
                lowercase_in_place(name);
            }
        }
        Special::Cpan => {
            // The namespace, when present, is a CPAN author id: upper case.
            if !namespace.is_ascii() || namespace.bytes().any(|b| b.is_ascii_lowercase()) {
                *namespace = namespace.to_uppercase();
            }
        }
        Special::None | Special::Pypi | Special::Golang | Special::ChromeExtension => {}
    }
    if rules.lowercase_namespace {
        lowercase_in_place(namespace);
    }
    if rules.lowercase_name {
        lowercase_in_place(name);
    }
    if rules.special == Special::Pypi && name.contains('_') {
        *name = name.replace('_', "-");
    }
}

fn check_name_and_version(
    rules: &TypeRules,
    ty: &str,
    name: &str,
    version: Option<&str>,
) -> Result<(), PurlError> {
    let bad_name = |reason| PurlError::InvalidName {
        ty: ty.to_owned(),
        name: name.to_owned(),
        reason,
    };
    match rules.special {
        Special::Cpan if name.contains("::") => {
            return Err(bad_name(
                "a CPAN purl names a distribution (`URI-PackageURL`), not a module (`URI::PackageURL`)",
            ));
        }
        Special::ChromeExtension => {
            if name.len() != 32 || !name.bytes().all(|b| (b'a'..=b'p').contains(&b)) {
                return Err(bad_name("an extension id is 32 letters from `a` to `p`"));
            }
            if let Some(v) = version {
                let parts: Vec<&str> = v.split('.').collect();
                let numeric = parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
                if parts.len() > 4 || !numeric {
                    return Err(PurlError::InvalidVersion {
                        ty: ty.to_owned(),
                        version: v.to_owned(),
                        reason: "an extension version is one to four dot-separated numbers",
                    });
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A type is ASCII letters, digits, `.` and `-`, starting with a letter.
fn check_type(ty: &str) -> Result<(), PurlError> {
    let invalid = |reason| PurlError::InvalidType {
        ty: ty.to_owned(),
        reason,
    };
    match ty.bytes().next() {
        None => Err(PurlError::MissingType),
        Some(b) if !b.is_ascii_alphabetic() => Err(invalid("a type starts with a letter")),
        _ if !ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') =>
        {
            Err(invalid(
                "a type has only ASCII letters, digits, `.` and `-`",
            ))
        }
        _ => Ok(()),
    }
}

/// A key is lower-case ASCII letters, digits, `.`, `-` and `_`, starting with a letter.
fn check_qualifier_key(key: &str) -> Result<(), PurlError> {
    let invalid = |reason| PurlError::InvalidQualifierKey {
        key: key.to_owned(),
        reason,
    };
    match key.bytes().next() {
        None => Err(invalid("a key may not be empty")),
        Some(b) if !b.is_ascii_alphabetic() => Err(invalid("a key starts with a letter")),
        _ if key.bytes().any(|b| b.is_ascii_uppercase()) => Err(invalid("a key is lower case")),
        _ if !key.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        }) =>
        {
            Err(invalid(
                "a key has only ASCII letters, digits, `.`, `-` and `_`",
            ))
        }
        _ => Ok(()),
    }
}

fn parse_qualifiers(
    raw: &str,
    mode: ParseMode,
    offset: &dyn Fn(&str) -> Option<usize>,
) -> Result<Qualifiers, PurlError> {
    let mut qualifiers = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(PurlError::QualifierWithoutEquals {
                pair: pair.to_owned(),
            });
        };
        let key = match mode {
            ParseMode::Strict => key.to_owned(),
            ParseMode::Lenient => key.to_ascii_lowercase(),
        };
        check_qualifier_key(&key)?;
        let value = decode(value, Component::Qualifier, offset(value))?;
        qualifiers.push((key, value.into_owned()));
    }
    Qualifiers::from_pairs(qualifiers)
}

/// Decoded subpath segments joined by `/`, without empty, `.` and `..` segments.
fn parse_subpath(raw: &str, offset: &dyn Fn(&str) -> Option<usize>) -> Result<String, PurlError> {
    let mut subpath = String::new();
    for segment in raw.split('/') {
        let decoded = decode(segment, Component::Subpath, offset(segment))?;
        if matches!(&*decoded, "" | "." | "..") {
            continue;
        }
        if decoded.contains('/') {
            return Err(PurlError::InvalidSegment {
                component: Component::Subpath,
                segment: decoded.into_owned(),
                reason: "a segment may not contain `/`",
            });
        }
        push_segment(&mut subpath, &decoded);
    }
    Ok(subpath)
}

fn decode(
    s: &str,
    component: Component,
    offset: Option<usize>,
) -> Result<std::borrow::Cow<'_, str>, PurlError> {
    encode::decode(s).map_err(|e| match e {
        DecodeError::BadTriplet(at) => PurlError::InvalidPercentEncoding {
            component,
            offset: offset.map(|o| o + at),
        },
        DecodeError::NotUtf8 => PurlError::NotUtf8 { component, offset },
    })
}

fn push_segment(out: &mut String, segment: &str) {
    if !out.is_empty() {
        out.push('/');
    }
    out.push_str(segment);
}

pub(crate) fn lowercase_in_place(s: &mut String) {
    if s.is_ascii() {
        s.make_ascii_lowercase();
    } else {
        *s = s.to_lowercase();
    }
}
