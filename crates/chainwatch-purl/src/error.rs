use std::fmt;

/// The part of a purl that an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Component {
    Scheme,
    Type,
    Namespace,
    Name,
    Version,
    Qualifier,
    Subpath,
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Component::Scheme => "scheme",
            Component::Type => "type",
            Component::Namespace => "namespace",
            Component::Name => "name",
            Component::Version => "version",
            Component::Qualifier => "qualifier",
            Component::Subpath => "subpath",
        })
    }
}

/// Why a string is not a valid Package URL, or why components do not make one.
///
/// Offsets are byte offsets into the parsed string (0-based); they are absent when the
/// purl was built from components.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PurlError {
    #[error("a purl of {len} bytes is too long: the limit is 1 MiB")]
    TooLong { len: usize },
    #[error("missing scheme: a purl starts with `pkg:`")]
    MissingScheme,
    #[error("unknown scheme `{scheme}`: a purl starts with `pkg:`")]
    WrongScheme { scheme: String },
    #[error("missing type: expected `pkg:<type>/<name>`")]
    MissingType,
    #[error("invalid type `{ty}`: {reason}")]
    InvalidType { ty: String, reason: &'static str },
    #[error("missing name")]
    MissingName,
    #[error(
        "invalid percent-encoding in the {component}{}: `%` must be followed by two hex digits",
        at(*offset)
    )]
    InvalidPercentEncoding {
        component: Component,
        offset: Option<usize>,
    },
    #[error("the {component}{} is not UTF-8 once percent-decoded", at(*offset))]
    NotUtf8 {
        component: Component,
        offset: Option<usize>,
    },
    #[error("invalid {component} segment `{segment}`: {reason}")]
    InvalidSegment {
        component: Component,
        segment: String,
        reason: &'static str,
    },
    #[error("invalid qualifier key `{key}`: {reason}")]
    InvalidQualifierKey { key: String, reason: &'static str },
    #[error("qualifier `{pair}` has no `=`: expected `key=value`")]
    QualifierWithoutEquals { pair: String },
    #[error("qualifier key `{key}` appears more than once")]
    DuplicateQualifier { key: String },
    #[error("type `{ty}` requires a namespace")]
    NamespaceRequired { ty: String },
    #[error("type `{ty}` does not allow a namespace, found `{namespace}`")]
    NamespaceProhibited { ty: String, namespace: String },
    #[error("type `{ty}` requires the qualifier `{key}`")]
    MissingQualifier { ty: String, key: &'static str },
    #[error("invalid {ty} name `{name}`: {reason}")]
    InvalidName {
        ty: String,
        name: String,
        reason: &'static str,
    },
    #[error("invalid {ty} version `{version}`: {reason}")]
    InvalidVersion {
        ty: String,
        version: String,
        reason: &'static str,
    },
    #[error("unknown OSV ecosystem `{ecosystem}`")]
    UnknownEcosystem { ecosystem: String },
}

fn at(offset: Option<usize>) -> String {
    offset.map_or_else(String::new, |o| format!(" at byte {o}"))
}
