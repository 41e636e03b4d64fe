use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::encode::{self, COMPONENT, DecodeError, SEGMENTS};
use crate::error::{Component, PurlError};
use crate::types::{self, Presence, Special, TypeRules};

/// The longest purl we accept (1 MiB): real ones are well under 4 KiB, and offsets are `u32`.
const MAX_LEN: usize = 1 << 20;

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

/// A byte range of [`Purl::buf`]; empty means absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A parsed, normalized Package URL.
///
/// Every `Purl` is valid and normalized: the type is lower case, each registered type's
/// case and naming rules are applied, qualifiers are sorted with unique keys and non-empty
/// values, and empty, `.` and `..` subpath segments are gone. Two purls are equal exactly
/// when their canonical strings are equal.
///
/// The decoded components and the canonical string live in one allocation.
#[derive(Clone)]
pub struct Purl {
    buf: Box<str>,
    ty: Span,
    namespace: Span,
    name: Span,
    version: Span,
    subpath: Span,
    qualifiers: Box<[(Span, Span)]>,
    canonical: Span,
}

/// The qualifiers of a purl: sorted by key, keys unique, values never empty.
#[derive(Clone, Copy)]
pub struct Qualifiers<'a> {
    buf: &'a str,
    pairs: &'a [(Span, Span)],
}

impl<'a> Qualifiers<'a> {
    fn at(&self, span: Span) -> &'a str {
        &self.buf[span.start as usize..span.end as usize]
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs
            .binary_search_by(|(k, _)| self.at(*k).cmp(key))
            .ok()
            .map(|i| self.at(self.pairs[i].1))
    }

    /// `(key, value)` pairs in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a {
        let this = *self;
        self.pairs
            .iter()
            .map(move |(k, v)| (this.at(*k), this.at(*v)))
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl fmt::Debug for Qualifiers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

type Str<'a> = Cow<'a, str>;

/// Decoded components before the type's rules are applied; empty strings mean absent.
struct Parts<'a> {
    ty: Str<'a>,
    namespace: Str<'a>,
    name: Str<'a>,
    version: Str<'a>,
    qualifiers: Vec<(Str<'a>, Str<'a>)>,
    subpath: Str<'a>,
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
        if input.len() > MAX_LEN {
            return Err(PurlError::TooLong { len: input.len() });
        }
        // Byte offset of a component within the input, for error messages.
        let offset = |sub: &str| {
            (sub.as_ptr() as usize)
                .checked_sub(input.as_ptr() as usize)
                .filter(|o| *o <= input.len())
        };

        // Scheme: `pkg`, in any case, then `:` and any number of slashes.
        let Some(colon) = find(input, b':') else {
            return Err(PurlError::MissingScheme);
        };
        let scheme = &input[..colon];
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(if scheme.contains(['/', '@', '?', '#']) {
                PurlError::MissingScheme
            } else {
                PurlError::WrongScheme {
                    scheme: scheme.to_owned(),
                }
            });
        }
        let rest = &input[colon + 1..];

        // Subpath after the last `#`, qualifiers after the last `?` before it: one
        // backward pass finds both.
        let (mut hash, mut question, mut question_before_hash) = (None, None, None);
        for (i, b) in rest.bytes().enumerate().rev() {
            match b {
                b'#' if hash.is_none() => hash = Some(i),
                b'?' if hash.is_some() && question_before_hash.is_none() => {
                    question_before_hash = Some(i);
                }
                b'?' if question.is_none() => question = Some(i),
                _ => {}
            }
        }
        let (rest, subpath_raw) = match hash {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (rest, qualifiers_raw) = match if hash.is_some() {
            question_before_hash
        } else {
            question
        } {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let rest = rest.trim_start_matches('/');

        // Type.
        let Some(slash) = find(rest, b'/') else {
            // `pkg:hackage` names a type but no package; `pkg:Foo@1.0` names neither.
            return Err(if check_type(rest).is_ok() {
                PurlError::MissingName
            } else {
                PurlError::MissingType
            });
        };
        let (ty_raw, rest) = (&rest[..slash], &rest[slash + 1..]);

        // Version: after the last `@` of the last path segment.
        let last_slash = rfind(rest, b'/');
        let last_segment_start = last_slash.map_or(0, |i| i + 1);
        let (rest, version_raw, last_slash) = match rfind(&rest[last_segment_start..], b'@') {
            Some(at) => {
                let at = last_segment_start + at;
                (&rest[..at], Some(&rest[at + 1..]), last_slash)
            }
            None if rest.ends_with('/') => {
                let trimmed = rest.trim_end_matches('/');
                (trimmed, None, rfind(trimmed, b'/'))
            }
            None => (rest, None, last_slash),
        };

        // Name and namespace.
        let (namespace_raw, name_raw) = match last_slash {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (&rest[..0], rest),
        };
        if name_raw.is_empty() {
            return Err(PurlError::MissingName);
        }
        let parts = Parts {
            ty: normalize_type(ty_raw)?,
            namespace: decode_segments(namespace_raw, Component::Namespace, &offset, false)?,
            name: decode(name_raw, Component::Name, offset(name_raw))?,
            version: match version_raw {
                Some(v) => decode(v, Component::Version, offset(v))?,
                None => Cow::Borrowed(""),
            },
            qualifiers: match qualifiers_raw {
                Some(q) => parse_qualifiers(q, mode, &offset)?,
                None => Vec::new(),
            },
            subpath: match subpath_raw {
                Some(sp) => decode_segments(sp, Component::Subpath, &offset, true)?,
                None => Cow::Borrowed(""),
            },
        };
        finish(parts)
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

    fn at(&self, span: Span) -> &str {
        &self.buf[span.start as usize..span.end as usize]
    }

    fn opt(&self, span: Span) -> Option<&str> {
        (!span.is_empty()).then(|| self.at(span))
    }

    /// The package type, lower case (`npm`, `pypi`, `deb`, …).
    pub fn ty(&self) -> &str {
        self.at(self.ty)
    }

    /// The namespace, its segments joined by `/`, decoded.
    pub fn namespace(&self) -> Option<&str> {
        self.opt(self.namespace)
    }

    /// The name, decoded.
    pub fn name(&self) -> &str {
        self.at(self.name)
    }

    /// The version, decoded.
    pub fn version(&self) -> Option<&str> {
        self.opt(self.version)
    }

    pub fn qualifiers(&self) -> Qualifiers<'_> {
        Qualifiers {
            buf: &self.buf,
            pairs: &self.qualifiers,
        }
    }

    /// The value of one qualifier.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers().get(key)
    }

    /// The subpath, its segments joined by `/`, decoded.
    pub fn subpath(&self) -> Option<&str> {
        self.opt(self.subpath)
    }

    /// The canonical string: `pkg:type/namespace/name@version?qualifiers#subpath`.
    pub fn canonical(&self) -> &str {
        self.at(self.canonical)
    }

    /// The same package at another version (or at none).
    #[must_use]
    pub fn with_version(&self, version: Option<&str>) -> Purl {
        let parts = Parts {
            ty: Cow::Borrowed(self.ty()),
            namespace: Cow::Borrowed(self.namespace().unwrap_or("")),
            name: Cow::Borrowed(self.name()),
            version: Cow::Borrowed(version.unwrap_or("")),
            qualifiers: self
                .qualifiers()
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
                .collect(),
            subpath: Cow::Borrowed(self.subpath().unwrap_or("")),
        };
        let rules = types::rules_for(self.ty());
        let mut parts = parts;
        if rules.lowercase_version {
            parts.version = lowercase(parts.version);
        }
        // Every other component is already normalized and valid.
        assemble(parts)
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

    #[allow(clippy::type_complexity)]
    fn sort_key(&self) -> (&str, Option<&str>, &str, Option<&str>, &str) {
        (
            self.ty(),
            self.namespace(),
            self.name(),
            self.version(),
            self.canonical(),
        )
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical())
    }
}

impl fmt::Debug for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Purl({})", self.canonical())
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purl::parse(s)
    }
}

/// Equal canonical strings, equal purls: the canonical form is unambiguous.
impl PartialEq for Purl {
    fn eq(&self, other: &Self) -> bool {
        self.canonical() == other.canonical()
    }
}

impl Eq for Purl {}

impl Hash for Purl {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl PartialOrd for Purl {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Orders by type, namespace, name, then the version *string*, then the rest. This is a
/// storage order, not a version order: comparing versions needs the ecosystem's own rules.
impl Ord for Purl {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Purl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.canonical())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Purl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str>>::deserialize(d)?;
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
        // The limit parsing applies, on the parts before they are encoded: a name of
        // tens of megabytes from a hostile manifest is refused before it is copied.
        let len = self.ty.len()
            + self.namespace.as_ref().map_or(0, String::len)
            + self.name.len()
            + self.version.as_ref().map_or(0, String::len)
            + self
                .qualifiers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
            + self.subpath.as_ref().map_or(0, String::len);
        if len > MAX_LEN {
            return Err(PurlError::TooLong { len });
        }
        let ty = normalize_type(&self.ty)?;
        let mut qualifiers = Vec::with_capacity(self.qualifiers.len());
        for (key, value) in &self.qualifiers {
            let key = normalize_qualifier_key(key, ParseMode::Lenient)?;
            qualifiers.push((key, Cow::Borrowed(value.as_str())));
        }
        let parts = Parts {
            ty,
            namespace: join_segments(self.namespace.as_deref(), false),
            name: Cow::Borrowed(self.name.trim_matches('/')),
            version: Cow::Borrowed(self.version.as_deref().unwrap_or("")),
            qualifiers,
            subpath: join_segments(self.subpath.as_deref(), true),
        };
        if parts.name.is_empty() {
            return Err(PurlError::MissingName);
        }
        finish(parts)
    }
}

/// Joins the non-empty segments of a builder's namespace or subpath (without `.` and `..`
/// for the subpath). Borrowed when nothing changes.
fn join_segments(s: Option<&str>, skip_dots: bool) -> Str<'_> {
    let s = s.unwrap_or("");
    if s.is_empty() {
        return Cow::Borrowed(s);
    }
    let keep = |seg: &&str| !(seg.is_empty() || skip_dots && matches!(*seg, "." | ".."));
    if s.split('/').all(|seg| keep(&seg)) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.split('/').filter(keep).collect::<Vec<_>>().join("/"))
    }
}

/// Applies the type's rules, checks what the type requires, and assembles the purl.
fn finish(mut parts: Parts<'_>) -> Result<Purl, PurlError> {
    let rules = types::rules_for(&parts.ty);
    parts.qualifiers.retain(|(_, v)| !v.is_empty());
    parts.qualifiers.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = parts.qualifiers.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(PurlError::DuplicateQualifier {
            key: w[0].0.clone().into_owned(),
        });
    }

    normalize_name_part(rules, &mut parts);
    if rules.lowercase_version {
        parts.version = lowercase(std::mem::take(&mut parts.version));
    }

    let ty = || parts.ty.clone().into_owned();
    match rules.namespace {
        Presence::Required if parts.namespace.is_empty() => {
            // A Go module path with a single element (`go.starlark.net`) has no namespace,
            // nor do the pseudo-modules `stdlib` and `toolchain`.
            let go_single_element = rules.special == Special::Golang
                && (parts.name.contains('.') || matches!(&*parts.name, "stdlib" | "toolchain"));
            if !go_single_element {
                return Err(PurlError::NamespaceRequired { ty: ty() });
            }
        }
        Presence::Prohibited if !parts.namespace.is_empty() => {
            return Err(PurlError::NamespaceProhibited {
                ty: ty(),
                namespace: parts.namespace.into_owned(),
            });
        }
        _ => {}
    }
    for key in rules.required_qualifiers {
        if !parts.qualifiers.iter().any(|(k, _)| k == key) {
            return Err(PurlError::MissingQualifier { ty: ty(), key });
        }
    }
    check_name_and_version(rules, &parts)?;
    Ok(assemble(parts))
}

/// The case and naming rules of a type, applied to namespace and name.
fn normalize_name_part(rules: &TypeRules, parts: &mut Parts<'_>) {
    match rules.special {
        Special::Git => {
            // The namespace is the host; the rest of the path belongs to the name.
            if let Some((host, path)) = parts.namespace.split_once('/') {
                let name = format!("{path}/{}", parts.name);
                let host = host.to_owned();
                parts.name = Cow::Owned(name);
                parts.namespace = Cow::Owned(host);
            }
            if types::is_case_insensitive_git_host(&parts.namespace.to_ascii_lowercase()) {
                parts.namespace = lowercase(std::mem::take(&mut parts.namespace));
                parts.name = lowercase(std::mem::take(&mut parts.name));
            }
        }
        Special::Mlflow => {
            let databricks = parts.qualifiers.iter().any(|(k, v)| {
                k == "repository_url" && v.to_ascii_lowercase().contains("databricks")
            });
            if databricks {
                parts.name = lowercase(std::mem::take(&mut parts.name));
            }
        }
        Special::Cpan => {
            // The namespace, when present, is a CPAN author id: upper case.
            if parts.namespace.chars().any(char::is_lowercase) {
                parts.namespace = Cow::Owned(parts.namespace.to_uppercase());
            }
        }
        Special::None | Special::Pypi | Special::Golang | Special::ChromeExtension => {}
    }
    if rules.lowercase_namespace {
        parts.namespace = lowercase(std::mem::take(&mut parts.namespace));
    }
    if rules.lowercase_name {
        parts.name = lowercase(std::mem::take(&mut parts.name));
    }
    if rules.special == Special::Pypi && parts.name.contains('_') {
        parts.name = Cow::Owned(parts.name.replace('_', "-"));
    }
}

fn check_name_and_version(rules: &TypeRules, parts: &Parts<'_>) -> Result<(), PurlError> {
    let (name, version) = (&*parts.name, &*parts.version);
    let bad_name = |reason| PurlError::InvalidName {
        ty: parts.ty.clone().into_owned(),
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
            let segments = version.split('.').count();
            let numeric = version
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            if !version.is_empty() && (segments > 4 || !numeric) {
                return Err(PurlError::InvalidVersion {
                    ty: parts.ty.clone().into_owned(),
                    version: version.to_owned(),
                    reason: "an extension version is one to four dot-separated numbers",
                });
            }
        }
        _ => {}
    }
    Ok(())
}

/// Lays the canonical string and the normalized components out in one buffer.
///
/// The canonical string comes first. A component that needs no percent-encoding reads
/// the same decoded as encoded, so its span points into the canonical string; only the
/// others are stored again, decoded, after it.
fn assemble(parts: Parts<'_>) -> Purl {
    let Parts {
        ty,
        namespace,
        name,
        version,
        qualifiers,
        subpath,
    } = parts;
    let name_table = if ty == "git" { &SEGMENTS } else { &COMPONENT };

    // Exact size: the canonical string plus decoded copies of escaped components. An
    // escaped component takes `len + 2 * escapes` in the canonical string, `len` again as
    // its copy.
    let size = |s: &str, table: &[bool; 256]| match encode::escapes(s, table) {
        0 => s.len(),
        e => 2 * s.len() + 2 * e,
    };
    let mut capacity = "pkg:".len() + ty.len() + 1 + size(&name, name_table);
    if !namespace.is_empty() {
        capacity += size(&namespace, &SEGMENTS) + 1;
    }
    if !version.is_empty() {
        capacity += 1 + size(&version, &COMPONENT);
    }
    for (k, v) in &qualifiers {
        capacity += 2 + k.len() + size(v, &COMPONENT);
    }
    if !subpath.is_empty() {
        capacity += 1 + size(&subpath, &SEGMENTS);
    }

    let mut buf = String::with_capacity(capacity);
    // Appends a component to the canonical string; its span, unless it had to be escaped.
    let write = |buf: &mut String, s: &str, table: &[bool; 256]| {
        let start = buf.len();
        let escaped = encode::encode_into(buf, s, table);
        if escaped {
            COPY
        } else {
            span(start, buf.len())
        }
    };
    buf.push_str("pkg:");
    let ty_span = span(buf.len(), buf.len() + ty.len());
    buf.push_str(&ty);
    buf.push('/');
    let mut namespace_span = Span::default();
    if !namespace.is_empty() {
        namespace_span = write(&mut buf, &namespace, &SEGMENTS);
        buf.push('/');
    }
    let mut name_span = write(&mut buf, &name, name_table);
    let mut version_span = Span::default();
    if !version.is_empty() {
        buf.push('@');
        version_span = write(&mut buf, &version, &COMPONENT);
    }
    let mut qualifier_spans = Vec::with_capacity(qualifiers.len());
    for (i, (key, value)) in qualifiers.iter().enumerate() {
        buf.push(if i == 0 { '?' } else { '&' });
        let key_span = span(buf.len(), buf.len() + key.len());
        buf.push_str(key);
        buf.push('=');
        qualifier_spans.push((key_span, write(&mut buf, value, &COMPONENT)));
    }
    let mut subpath_span = Span::default();
    if !subpath.is_empty() {
        buf.push('#');
        subpath_span = write(&mut buf, &subpath, &SEGMENTS);
    }
    let canonical = span(0, buf.len());

    // Decoded copies of the components that were escaped.
    let copy = |buf: &mut String, target: &mut Span, s: &str| {
        if *target == COPY {
            let start = buf.len();
            buf.push_str(s);
            *target = span(start, buf.len());
        }
    };
    copy(&mut buf, &mut namespace_span, &namespace);
    copy(&mut buf, &mut name_span, &name);
    copy(&mut buf, &mut version_span, &version);
    copy(&mut buf, &mut subpath_span, &subpath);
    for ((_, value_span), (_, value)) in qualifier_spans.iter_mut().zip(&qualifiers) {
        copy(&mut buf, value_span, value);
    }
    debug_assert_eq!(buf.len(), capacity, "the size computation is exact");

    Purl {
        buf: buf.into_boxed_str(),
        ty: ty_span,
        namespace: namespace_span,
        name: name_span,
        version: version_span,
        subpath: subpath_span,
        qualifiers: qualifier_spans.into_boxed_slice(),
        canonical,
    }
}

/// Marks a component whose decoded form must be copied after the canonical string.
const COPY: Span = Span {
    start: u32::MAX,
    end: u32::MAX,
};

#[expect(
    clippy::cast_possible_truncation,
    reason = "inputs are at most MAX_LEN bytes"
)]
fn span(start: usize, end: usize) -> Span {
    Span {
        start: start as u32,
        end: end as u32,
    }
}

/// `pkg:type/namespace/name`, shared by [`Purl`] and [`crate::PackageName`].
pub(crate) fn write_name_part(out: &mut String, ty: &str, namespace: Option<&str>, name: &str) {
    out.push_str("pkg:");
    out.push_str(ty);
    out.push('/');
    if let Some(ns) = namespace {
        encode::encode_into(out, ns, &SEGMENTS);
        out.push('/');
    }
    // The git name is a repository path: its slashes are separators.
    let name_table = if ty == "git" { &SEGMENTS } else { &COMPONENT };
    encode::encode_into(out, name, name_table);
}

/// The position of the first `b` in `s`. (A plain loop: faster than the general searchers
/// on strings as short as purl components.)
#[inline]
fn find(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// The position of the last `b` in `s`.
#[inline]
fn rfind(s: &str, b: u8) -> Option<usize> {
    s.bytes().rposition(|c| c == b)
}

/// Checks a type and lower-cases it: ASCII letters, digits, `.` and `-`, starting with a
/// letter. A registered type already in lower case costs one string match.
fn normalize_type(ty: &str) -> Result<Str<'_>, PurlError> {
    if types::is_registered_type_fast(ty) {
        return Ok(Cow::Borrowed(ty));
    }
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
        _ => Ok(lowercase(Cow::Borrowed(ty))),
    }
}

fn check_type(ty: &str) -> Result<(), PurlError> {
    normalize_type(ty).map(|_| ())
}

/// Checks a qualifier key, in one pass: lower-case ASCII letters, digits, `.`, `-` and
/// `_`, starting with a letter. Lenient mode lower-cases upper-case letters first.
fn normalize_qualifier_key(key: &str, mode: ParseMode) -> Result<Str<'_>, PurlError> {
    let invalid = |reason| PurlError::InvalidQualifierKey {
        key: key.to_owned(),
        reason,
    };
    let Some(first) = key.bytes().next() else {
        return Err(invalid("a key may not be empty"));
    };
    if !first.is_ascii_alphabetic() {
        return Err(invalid("a key starts with a letter"));
    }
    let mut upper = false;
    for b in key.bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {}
            b'A'..=b'Z' => upper = true,
            _ => {
                return Err(invalid(
                    "a key has only ASCII letters, digits, `.`, `-` and `_`",
                ));
            }
        }
    }
    match (upper, mode) {
        (false, _) => Ok(Cow::Borrowed(key)),
        (true, ParseMode::Lenient) => Ok(Cow::Owned(key.to_ascii_lowercase())),
        (true, ParseMode::Strict) => Err(invalid("a key is lower case")),
    }
}

fn parse_qualifiers<'a>(
    raw: &'a str,
    mode: ParseMode,
    offset: &dyn Fn(&str) -> Option<usize>,
) -> Result<Vec<(Str<'a>, Str<'a>)>, PurlError> {
    let mut qualifiers = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let Some(eq) = find(pair, b'=') else {
            return Err(PurlError::QualifierWithoutEquals {
                pair: pair.to_owned(),
            });
        };
        let (key, value) = (&pair[..eq], &pair[eq + 1..]);
        let key = normalize_qualifier_key(key, mode)?;
        let value = decode(value, Component::Qualifier, offset(value))?;
        qualifiers.push((key, value));
    }
    Ok(qualifiers)
}

/// Decodes `/`-separated segments and joins them again with `/`, without empty segments
/// (and, for the subpath, without `.` and `..`). Borrowed when nothing changes.
fn decode_segments<'a>(
    raw: &'a str,
    component: Component,
    offset: &dyn Fn(&str) -> Option<usize>,
    skip_dots: bool,
) -> Result<Str<'a>, PurlError> {
    let skip = |s: &str| s.is_empty() || skip_dots && matches!(s, "." | "..");
    // Fast path, one pass: no `%`, no empty segment, no `.` segment.
    let bytes = raw.as_bytes();
    let plain = !raw.is_empty()
        && bytes[0] != b'/'
        && bytes[bytes.len() - 1] != b'/'
        && bytes.iter().enumerate().all(|(i, &b)| match b {
            b'%' => false,
            b'/' => bytes[i - 1] != b'/',
            b'.' if skip_dots => {
                let start = i == 0 || bytes[i - 1] == b'/';
                let end = |j: usize| j == bytes.len() || bytes[j] == b'/';
                !(start && (end(i + 1) || bytes[i + 1] == b'.' && end(i + 2)))
            }
            _ => true,
        });
    if plain || raw.is_empty() {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    for segment in raw.split('/') {
        let decoded = decode(segment, component, offset(segment))?;
        if skip(&decoded) {
            continue;
        }
        if decoded.contains('/') {
            return Err(PurlError::InvalidSegment {
                component,
                segment: decoded.into_owned(),
                reason: "a segment may not contain `/`",
            });
        }
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&decoded);
    }
    Ok(Cow::Owned(out))
}

fn decode(s: &str, component: Component, offset: Option<usize>) -> Result<Str<'_>, PurlError> {
    encode::decode(s).map_err(|e| match e {
        DecodeError::BadTriplet(at) => PurlError::InvalidPercentEncoding {
            component,
            offset: offset.map(|o| o + at),
        },
        DecodeError::NotUtf8 => PurlError::NotUtf8 { component, offset },
    })
}

/// Lower-cases, allocating only when something changes.
pub(crate) fn lowercase(s: Str<'_>) -> Str<'_> {
    let mut upper = false;
    for b in s.bytes() {
        if b >= 0x80 {
            return if s.chars().any(|c| c.to_lowercase().ne(std::iter::once(c))) {
                Cow::Owned(s.to_lowercase())
            } else {
                s
            };
        }
        upper |= b.is_ascii_uppercase();
    }
    if upper {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_builder_refuses_what_parsing_would() {
        let long = "a".repeat(MAX_LEN + 1);
        assert!(matches!(
            Purl::builder("npm", long.as_str()).build(),
            Err(PurlError::TooLong { .. })
        ));
        assert!(Purl::builder("npm", "a".repeat(1000)).build().is_ok());
    }
}
