//! The normalized SBOM model every reader produces and every writer consumes.

use std::fmt;

use chainwatch_purl::Purl;

/// `name` with each byte mapped by `f` (or dropped when `f` says `None`), in `buf`, for
/// matching names without allocating; `None` when it does not fit or is not ASCII.
fn fold<'b>(name: &str, buf: &'b mut [u8; 48], f: impl Fn(u8) -> Option<u8>) -> Option<&'b str> {
    if name.len() > buf.len() || !name.is_ascii() {
        return None;
    }
    let mut n = 0;
    for b in name.bytes().filter_map(f) {
        buf[n] = b;
        n += 1;
    }
    std::str::from_utf8(&buf[..n]).ok()
}

/// The serialization an SBOM came in (or is written as).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    CycloneDxJson,
    CycloneDxXml,
    SpdxJson,
    SpdxYaml,
    /// SPDX 2 XML (the SPDX tools' `<Document>` layout).
    SpdxXml,
    /// SPDX 2 RDF/XML.
    SpdxRdfXml,
    SpdxTagValue,
    Spdx3JsonLd,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::CycloneDxJson => "cyclonedx-json",
            Format::CycloneDxXml => "cyclonedx-xml",
            Format::SpdxJson => "spdx-json",
            Format::SpdxYaml => "spdx-yaml",
            Format::SpdxXml => "spdx-xml",
            Format::SpdxRdfXml => "spdx-rdf",
            Format::SpdxTagValue => "spdx-tv",
            Format::Spdx3JsonLd => "spdx3-jsonld",
        }
    }

    /// The family: `CycloneDX` or `SPDX`.
    pub fn family(self) -> &'static str {
        match self {
            Format::CycloneDxJson | Format::CycloneDxXml => "CycloneDX",
            _ => "SPDX",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A software bill of materials, whatever its format.
#[derive(Debug, Clone, PartialEq)]
pub struct Sbom {
    pub format: Format,
    /// The specification version as written (`1.6`, `SPDX-2.3`, `3.0.1`).
    pub spec_version: String,
    /// CycloneDX `serialNumber`, SPDX 2 `documentNamespace`, SPDX 3 document `spdxId`.
    pub serial: Option<String>,
    /// CycloneDX BOM `version`.
    pub bom_version: Option<u64>,
    /// The document name (SPDX).
    pub name: Option<String>,
    /// Creation time as written (RFC 3339 in valid documents).
    pub created: Option<String>,
    /// People and organizations who made the document.
    pub authors: Vec<String>,
    /// The parties (creators, suppliers, originators) the document says are people, not
    /// organizations: SPDX writes them `Person:`, the rest `Organization:`.
    pub persons: std::collections::BTreeSet<String>,
    /// Tools that made it, as `name` or `name version`.
    pub tools: Vec<String>,
    /// SPDX `dataLicense`.
    pub data_license: Option<String>,
    /// The id of the component the document describes (CycloneDX `metadata.component`,
    /// SPDX `DESCRIBES` / `documentDescribes` / `rootElement`).
    pub subject: Option<String>,
    /// Every component, including the subject, files and services.
    pub components: Vec<Component>,
    pub relationships: Vec<Relationship>,
    /// Vulnerability and VEX data embedded in the document (CycloneDX `vulnerabilities`).
    pub vulnerabilities: Vec<Vulnerability>,
    /// What the document holds that the model does not keep (so no format chainwatch
    /// writes carries it), by field, with counts: SPDX annotations, `licenseInfoInFiles`,
    /// verification codes, snippet ranges, comments… A conversion reports each.
    pub not_kept: std::collections::BTreeMap<&'static str, usize>,
}

impl Sbom {
    pub fn new(format: Format, spec_version: impl Into<String>) -> Sbom {
        Sbom {
            format,
            spec_version: spec_version.into(),
            serial: None,
            bom_version: None,
            name: None,
            created: None,
            authors: Vec::new(),
            persons: std::collections::BTreeSet::new(),
            tools: Vec::new(),
            data_license: None,
            subject: None,
            components: Vec::new(),
            relationships: Vec::new(),
            vulnerabilities: Vec::new(),
            not_kept: std::collections::BTreeMap::new(),
        }
    }

    /// The subject component, if the document names one that exists.
    pub fn subject_component(&self) -> Option<&Component> {
        let id = self.subject.as_deref()?;
        self.components.iter().find(|c| c.id == id)
    }

    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }

    /// Components that are packages (not files, snippets or services).
    pub fn packages(&self) -> impl Iterator<Item = &Component> {
        self.components.iter().filter(|c| c.kind.is_package())
    }

    /// For every component the subject's dependency relationships reach, the shortest
    /// path of component ids from the subject to it (the subject first; a direct
    /// dependency's path has two ids). Empty without a subject.
    pub fn shortest_paths(&self) -> std::collections::HashMap<&str, Vec<&str>> {
        use std::collections::{HashMap, HashSet, VecDeque};
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for r in &self.relationships {
            if r.kind.is_dependency() {
                children
                    .entry(r.from.as_str())
                    .or_default()
                    .push(r.to.as_str());
            }
        }
        let mut out = HashMap::new();
        let Some(root) = self.subject.as_deref() else {
            return out;
        };
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut queue = VecDeque::from([root]);
        let mut seen = HashSet::from([root]);
        while let Some(id) = queue.pop_front() {
            for &c in children.get(id).into_iter().flatten() {
                if seen.insert(c) {
                    parent.insert(c, id);
                    queue.push_back(c);
                }
            }
        }
        for &id in &seen {
            let mut path = vec![id];
            let mut at = id;
            while let Some(&p) = parent.get(at) {
                path.push(p);
                at = p;
            }
            path.reverse();
            out.insert(id, path);
        }
        out
    }

    /// The components someone chose by name: those the subject, or one of the subject's
    /// own applications reached through it (workspace members), depends on directly.
    /// `paths` is [`Sbom::shortest_paths`].
    pub fn is_direct(&self, paths: &std::collections::HashMap<&str, Vec<&str>>, id: &str) -> bool {
        paths.get(id).is_some_and(|p| {
            p.len() == 2
                || (p.len() > 2
                    && self
                        .component(p[p.len() - 2])
                        .is_some_and(|parent| parent.kind == ComponentKind::Application))
        })
    }
}

/// A document time as UTC to the second, `YYYY-MM-DDThh:mm:ssZ` (what SPDX 2 requires
/// and a valid CycloneDX `date-time`): from RFC 3339 with any offset or fraction, a date
/// and time without offset (taken as UTC), or a date (midnight UTC). `None` when it is
/// none of those.
pub fn utc_seconds(text: &str) -> Option<String> {
    let text = text.trim();
    let format = "%Y-%m-%dT%H:%M:%SZ";
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(t.strftime(format).to_string());
    }
    if let Ok(t) = text.parse::<jiff::civil::DateTime>() {
        return t
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.strftime(format).to_string());
    }
    let d = text.parse::<jiff::civil::Date>().ok()?;
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.strftime(format).to_string())
}

/// What a component is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    Application,
    Framework,
    Library,
    Container,
    Platform,
    OperatingSystem,
    Device,
    DeviceDriver,
    Firmware,
    File,
    MachineLearningModel,
    Data,
    CryptographicAsset,
    Service,
    Snippet,
    /// Anything else, as written.
    Other(String),
}

impl ComponentKind {
    /// CycloneDX `type` names (and SPDX purposes, lower-cased).
    pub fn from_name(name: &str) -> ComponentKind {
        let mut buf = [0u8; 48];
        let folded = fold(name, &mut buf, |b| {
            Some(if b == b'_' {
                b'-'
            } else {
                b.to_ascii_lowercase()
            })
        });
        match folded.unwrap_or("") {
            "application" | "executable" | "install" => ComponentKind::Application,
            "framework" => ComponentKind::Framework,
            "library" | "module" | "source" | "archive" | "package" => ComponentKind::Library,
            "container" => ComponentKind::Container,
            "platform" => ComponentKind::Platform,
            "operating-system" | "operatingsystem" => ComponentKind::OperatingSystem,
            "device" => ComponentKind::Device,
            "device-driver" | "devicedriver" => ComponentKind::DeviceDriver,
            "firmware" => ComponentKind::Firmware,
            "file" => ComponentKind::File,
            "machine-learning-model" | "model" | "ai-package" | "aipackage" => {
                ComponentKind::MachineLearningModel
            }
            "data" | "dataset" | "dataset-package" => ComponentKind::Data,
            "cryptographic-asset" => ComponentKind::CryptographicAsset,
            "service" => ComponentKind::Service,
            "snippet" => ComponentKind::Snippet,
            _ => ComponentKind::Other(name.to_ascii_lowercase().replace('_', "-")),
        }
    }

    /// The CycloneDX `type` name.
    pub fn as_str(&self) -> &str {
        match self {
            ComponentKind::Application => "application",
            ComponentKind::Framework => "framework",
            ComponentKind::Library => "library",
            ComponentKind::Container => "container",
            ComponentKind::Platform => "platform",
            ComponentKind::OperatingSystem => "operating-system",
            ComponentKind::Device => "device",
            ComponentKind::DeviceDriver => "device-driver",
            ComponentKind::Firmware => "firmware",
            ComponentKind::File => "file",
            ComponentKind::MachineLearningModel => "machine-learning-model",
            ComponentKind::Data => "data",
            ComponentKind::CryptographicAsset => "cryptographic-asset",
            ComponentKind::Service => "service",
            ComponentKind::Snippet => "snippet",
            ComponentKind::Other(s) => s,
        }
    }

    /// Whether this is a package-like component (what vulnerability matching cares about).
    pub fn is_package(&self) -> bool {
        !matches!(
            self,
            ComponentKind::File | ComponentKind::Snippet | ComponentKind::Service
        )
    }
}

/// How a component is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Needed at run time (CycloneDX `required`).
    Runtime,
    Optional,
    Dev,
    Build,
    Test,
    /// Not part of the delivered software (CycloneDX `excluded`).
    Excluded,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Runtime => "runtime",
            Scope::Optional => "optional",
            Scope::Dev => "dev",
            Scope::Build => "build",
            Scope::Test => "test",
            Scope::Excluded => "excluded",
        }
    }

    pub fn from_name(name: &str) -> Option<Scope> {
        let mut buf = [0u8; 48];
        Some(
            match fold(name, &mut buf, |b| Some(b.to_ascii_lowercase()))? {
                "runtime" | "required" => Scope::Runtime,
                "optional" => Scope::Optional,
                "dev" | "development" => Scope::Dev,
                "build" => Scope::Build,
                "test" => Scope::Test,
                "excluded" => Scope::Excluded,
                _ => return None,
            },
        )
    }
}

/// A hash algorithm, by its CycloneDX name (SPDX names map onto them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlg {
    Md2,
    Md4,
    Md5,
    Md6,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Blake2b256,
    Blake2b384,
    Blake2b512,
    Blake3,
    Adler32,
    Streebog256,
    Streebog512,
    Other(String),
}

impl HashAlg {
    /// Reads CycloneDX (`SHA-256`, `SHA3-256`, `BLAKE2b-256`) and SPDX (`SHA256`,
    /// `SHA3_256`, `BLAKE2b-256`) spellings.
    pub fn from_name(name: &str) -> HashAlg {
        let mut buf = [0u8; 48];
        let folded = fold(name, &mut buf, |b| {
            (b != b'-' && b != b'_').then(|| b.to_ascii_uppercase())
        });
        match folded.unwrap_or("") {
            "MD2" => HashAlg::Md2,
            "MD4" => HashAlg::Md4,
            "MD5" => HashAlg::Md5,
            "MD6" => HashAlg::Md6,
            "SHA1" => HashAlg::Sha1,
            "SHA224" => HashAlg::Sha224,
            "SHA256" => HashAlg::Sha256,
            "SHA384" => HashAlg::Sha384,
            "SHA512" => HashAlg::Sha512,
            "SHA3256" => HashAlg::Sha3_256,
            "SHA3384" => HashAlg::Sha3_384,
            "SHA3512" => HashAlg::Sha3_512,
            "BLAKE2B256" => HashAlg::Blake2b256,
            "BLAKE2B384" => HashAlg::Blake2b384,
            "BLAKE2B512" => HashAlg::Blake2b512,
            "BLAKE3" => HashAlg::Blake3,
            "ADLER32" => HashAlg::Adler32,
            "STREEBOG256" => HashAlg::Streebog256,
            "STREEBOG512" => HashAlg::Streebog512,
            _ => HashAlg::Other(name.to_owned()),
        }
    }

    /// The CycloneDX name.
    pub fn cyclonedx_name(&self) -> &str {
        match self {
            HashAlg::Md2 => "MD2",
            HashAlg::Md4 => "MD4",
            HashAlg::Md5 => "MD5",
            HashAlg::Md6 => "MD6",
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha224 => "SHA-224",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
            HashAlg::Sha3_256 => "SHA3-256",
            HashAlg::Sha3_384 => "SHA3-384",
            HashAlg::Sha3_512 => "SHA3-512",
            HashAlg::Blake2b256 => "BLAKE2b-256",
            HashAlg::Blake2b384 => "BLAKE2b-384",
            HashAlg::Blake2b512 => "BLAKE2b-512",
            HashAlg::Blake3 => "BLAKE3",
            HashAlg::Adler32 => "ADLER32",
            HashAlg::Streebog256 => "Streebog-256",
            HashAlg::Streebog512 => "Streebog-512",
            HashAlg::Other(s) => s,
        }
    }

    /// The SPDX 2 name.
    pub fn spdx_name(&self) -> &str {
        match self {
            HashAlg::Sha1 => "SHA1",
            HashAlg::Sha224 => "SHA224",
            HashAlg::Sha256 => "SHA256",
            HashAlg::Sha384 => "SHA384",
            HashAlg::Sha512 => "SHA512",
            HashAlg::Sha3_256 => "SHA3-256",
            HashAlg::Sha3_384 => "SHA3-384",
            HashAlg::Sha3_512 => "SHA3-512",
            other => other.cyclonedx_name(),
        }
    }

    /// Whether CycloneDX 1.6 (what chainwatch writes) has the algorithm (Streebog came
    /// with 1.7).
    pub fn in_cyclonedx(&self) -> bool {
        !matches!(
            self,
            HashAlg::Md2
                | HashAlg::Md4
                | HashAlg::Md6
                | HashAlg::Sha224
                | HashAlg::Adler32
                | HashAlg::Streebog256
                | HashAlg::Streebog512
                | HashAlg::Other(_)
        )
    }

    /// Whether SPDX 2.3 has the algorithm.
    pub fn in_spdx(&self) -> bool {
        !matches!(
            self,
            HashAlg::Streebog256 | HashAlg::Streebog512 | HashAlg::Other(_)
        )
    }

    /// The length in hex digits of a digest, where fixed.
    pub fn hex_len(&self) -> Option<usize> {
        Some(match self {
            HashAlg::Md2 | HashAlg::Md4 | HashAlg::Md5 => 32,
            HashAlg::Sha1 => 40,
            HashAlg::Sha224 => 56,
            HashAlg::Sha256 | HashAlg::Sha3_256 | HashAlg::Blake2b256 | HashAlg::Streebog256 => 64,
            HashAlg::Sha384 | HashAlg::Sha3_384 | HashAlg::Blake2b384 => 96,
            HashAlg::Sha512 | HashAlg::Sha3_512 | HashAlg::Blake2b512 | HashAlg::Streebog512 => 128,
            HashAlg::Adler32 => 8,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash {
    pub alg: HashAlg,
    /// Hex digest as written.
    pub value: String,
}

/// A license statement: an SPDX expression, a single SPDX id, or a name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum License {
    Expression(String),
    Id(String),
    Name(String),
}

impl License {
    /// As an SPDX expression term; a free-text name becomes a `LicenseRef-`.
    pub fn to_expression(&self) -> String {
        match self {
            License::Expression(e) | License::Id(e) => e.clone(),
            License::Name(n) => license_ref(n),
        }
    }
}

/// Licence ids the SPDX licence list deprecated, as their replacements.
const DEPRECATED_LICENSES: &[(&str, &str)] = &[
    ("AGPL-1.0", "AGPL-1.0-only"),
    ("AGPL-3.0", "AGPL-3.0-only"),
    ("GFDL-1.1", "GFDL-1.1-only"),
    ("GFDL-1.2", "GFDL-1.2-only"),
    ("GFDL-1.3", "GFDL-1.3-only"),
    ("GPL-1.0", "GPL-1.0-only"),
    ("GPL-1.0+", "GPL-1.0-or-later"),
    ("GPL-2.0", "GPL-2.0-only"),
    ("GPL-2.0+", "GPL-2.0-or-later"),
    (
        "GPL-2.0-with-autoconf-exception",
        "GPL-2.0-only WITH Autoconf-exception-2.0",
    ),
    (
        "GPL-2.0-with-bison-exception",
        "GPL-2.0-or-later WITH Bison-exception-2.2",
    ),
    (
        "GPL-2.0-with-classpath-exception",
        "GPL-2.0-only WITH Classpath-exception-2.0",
    ),
    (
        "GPL-2.0-with-font-exception",
        "GPL-2.0-only WITH Font-exception-2.0",
    ),
    (
        "GPL-2.0-with-GCC-exception",
        "GPL-2.0-only WITH GCC-exception-2.0",
    ),
    ("GPL-3.0", "GPL-3.0-only"),
    ("GPL-3.0+", "GPL-3.0-or-later"),
    (
        "GPL-3.0-with-autoconf-exception",
        "GPL-3.0-only WITH Autoconf-exception-3.0",
    ),
    (
        "GPL-3.0-with-GCC-exception",
        "GPL-3.0-only WITH GCC-exception-3.1",
    ),
    ("LGPL-2.0", "LGPL-2.0-only"),
    ("LGPL-2.0+", "LGPL-2.0-or-later"),
    ("LGPL-2.1", "LGPL-2.1-only"),
    ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ("LGPL-3.0", "LGPL-3.0-only"),
    ("LGPL-3.0+", "LGPL-3.0-or-later"),
    ("eCos-2.0", "GPL-2.0-or-later WITH eCos-exception-2.0"),
    (
        "wxWindows",
        "LGPL-2.0-or-later WITH WxWindows-exception-3.1",
    ),
    ("StandardML-NJ", "SMLNJ"),
    ("BSD-2-Clause-FreeBSD", "BSD-2-Clause"),
    ("BSD-2-Clause-NetBSD", "BSD-2-Clause"),
    ("bzip2-1.0.5", "bzip2-1.0.6"),
    ("Nunit", "zlib-acknowledgement"),
];

/// A licence expression in a canonical form, for comparing two writings of one
/// expression: operators upper-cased, operands of `AND` and `OR` flattened, sorted and
/// deduplicated (`(b OR a) OR a` is `a OR b`), compound operands parenthesized. An
/// expression that does not parse is returned trimmed, as written.
pub fn canonical_license(expr: &str) -> String {
    let tokens = license_tokens(expr);
    let mut pos = 0;
    match parse_license_or(&tokens, &mut pos, 0) {
        Some(tree) if pos == tokens.len() => tree.render(false),
        _ => expr.trim().to_owned(),
    }
}

#[derive(Debug)]
enum LicenseTree {
    Leaf(String),
    /// `AND` (true) or `OR` (false) of the operands.
    Op(bool, Vec<LicenseTree>),
}

impl LicenseTree {
    fn render(&self, nested: bool) -> String {
        match self {
            LicenseTree::Leaf(s) => s.clone(),
            LicenseTree::Op(and, items) => {
                let mut parts: Vec<String> = items.iter().map(|i| i.render(true)).collect();
                parts.sort();
                parts.dedup();
                if parts.len() == 1 {
                    return parts.swap_remove(0);
                }
                let joined = parts.join(if *and { " AND " } else { " OR " });
                if nested {
                    format!("({joined})")
                } else {
                    joined
                }
            }
        }
    }

    fn join(and: bool, left: LicenseTree, right: LicenseTree) -> LicenseTree {
        let mut items = Vec::new();
        for side in [left, right] {
            match side {
                LicenseTree::Op(a, inner) if a == and => items.extend(inner),
                other => items.push(other),
            }
        }
        LicenseTree::Op(and, items)
    }
}

fn license_tokens(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = String::new();
    for ch in expr.chars() {
        if ch.is_whitespace() || ch == '(' || ch == ')' {
            if !token.is_empty() {
                out.push(std::mem::take(&mut token));
            }
            if !ch.is_whitespace() {
                out.push(ch.to_string());
            }
        } else {
            token.push(ch);
        }
    }
    if !token.is_empty() {
        out.push(token);
    }
    out
}

/// How deeply parentheses may nest in an expression that is compared.
const MAX_LICENSE_DEPTH: usize = 64;

fn parse_license_or(t: &[String], pos: &mut usize, depth: usize) -> Option<LicenseTree> {
    let mut left = parse_license_and(t, pos, depth)?;
    while t.get(*pos).is_some_and(|x| x.eq_ignore_ascii_case("OR")) {
        *pos += 1;
        let right = parse_license_and(t, pos, depth)?;
        left = LicenseTree::join(false, left, right);
    }
    Some(left)
}

fn parse_license_and(t: &[String], pos: &mut usize, depth: usize) -> Option<LicenseTree> {
    let mut left = parse_license_atom(t, pos, depth)?;
    while t.get(*pos).is_some_and(|x| x.eq_ignore_ascii_case("AND")) {
        *pos += 1;
        let right = parse_license_atom(t, pos, depth)?;
        left = LicenseTree::join(true, left, right);
    }
    Some(left)
}

fn parse_license_atom(t: &[String], pos: &mut usize, depth: usize) -> Option<LicenseTree> {
    let token = t.get(*pos)?;
    *pos += 1;
    if token == "(" {
        if depth >= MAX_LICENSE_DEPTH {
            return None;
        }
        let inner = parse_license_or(t, pos, depth + 1)?;
        (t.get(*pos)? == ")").then_some(())?;
        *pos += 1;
        return Some(inner);
    }
    if token == ")"
        || ["AND", "OR", "WITH"]
            .iter()
            .any(|op| token.eq_ignore_ascii_case(op))
    {
        return None;
    }
    let mut leaf = token.clone();
    if t.get(*pos).is_some_and(|x| x.eq_ignore_ascii_case("WITH")) {
        let exception = t.get(*pos + 1)?;
        if exception == "(" || exception == ")" {
            return None;
        }
        leaf = format!("{leaf} WITH {exception}");
        *pos += 2;
    }
    Some(LicenseTree::Leaf(leaf))
}

/// A licence expression with the ids the SPDX licence list deprecated replaced (a replacement that carries an
/// exception is parenthesized, so the expression's meaning stays).
pub fn current_license_ids(expr: &str) -> String {
    if !DEPRECATED_LICENSES
        .iter()
        .any(|(old, _)| expr.contains(old))
    {
        return expr.to_owned();
    }
    let mut out = String::with_capacity(expr.len() + 16);
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if token.is_empty() {
            return;
        }
        match DEPRECATED_LICENSES
            .iter()
            .find(|(old, _)| old.eq_ignore_ascii_case(token))
        {
            Some((_, new)) if new.contains(' ') => {
                out.push('(');
                out.push_str(new);
                out.push(')');
            }
            Some((_, new)) => out.push_str(new),
            None => out.push_str(token),
        }
        token.clear();
    };
    for ch in expr.chars() {
        if ch.is_whitespace() || ch == '(' || ch == ')' {
            flush(&mut token, &mut out);
            out.push(ch);
        } else {
            token.push(ch);
        }
    }
    flush(&mut token, &mut out);
    out
}

/// `LicenseRef-` plus the name with every character SPDX ids do not allow replaced.
pub fn license_ref(name: &str) -> String {
    if name.starts_with("LicenseRef-") {
        return name.to_owned();
    }
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("LicenseRef-{id}")
}

/// Joins license statements into one expression (`A AND B`).
pub fn join_licenses(licenses: &[License]) -> Option<String> {
    match licenses {
        [] => None,
        [one] => Some(one.to_expression()),
        many => Some(
            many.iter()
                .map(|l| {
                    let e = l.to_expression();
                    if e.contains(' ') { format!("({e})") } else { e }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Property {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalRef {
    /// CycloneDX reference type or SPDX category/type (`website`, `vcs`, `distribution`…).
    pub kind: String,
    pub url: String,
}

/// A component: package, file, service, model, dataset…
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// `bom-ref`, `SPDXID` or `spdxId`; generated when the document has none.
    pub id: String,
    pub kind: ComponentKind,
    pub name: String,
    /// CycloneDX `group` (Maven group id, npm scope…).
    pub group: Option<String>,
    pub version: Option<String>,
    /// The purl as written; [`Component::purl`] parses it.
    pub purl: Option<String>,
    pub cpes: Vec<String>,
    pub supplier: Option<String>,
    /// Author or originator.
    pub author: Option<String>,
    pub description: Option<String>,
    pub hashes: Vec<Hash>,
    /// Declared licenses (CycloneDX `licenses`, SPDX `licenseDeclared`).
    pub licenses: Vec<License>,
    /// SPDX `licenseConcluded` (and CycloneDX licenses acknowledged as concluded).
    pub license_concluded: Option<String>,
    pub copyright: Option<String>,
    pub scope: Option<Scope>,
    pub properties: Vec<Property>,
    pub external_refs: Vec<ExternalRef>,
    /// SPDX `downloadLocation`.
    pub download_location: Option<String>,
    /// What a model's card says (CycloneDX `modelCard`, the SPDX 3 AI profile); boxed,
    /// since few components are models.
    pub model_card: Option<Box<crate::ModelCard>>,
}

impl Component {
    pub fn new(id: impl Into<String>, kind: ComponentKind, name: impl Into<String>) -> Component {
        Component {
            id: id.into(),
            kind,
            name: name.into(),
            group: None,
            version: None,
            purl: None,
            cpes: Vec::new(),
            supplier: None,
            author: None,
            description: None,
            hashes: Vec::new(),
            licenses: Vec::new(),
            license_concluded: None,
            copyright: None,
            scope: None,
            properties: Vec::new(),
            external_refs: Vec::new(),
            download_location: None,
            model_card: None,
        }
    }

    /// The parsed purl, if present and valid.
    pub fn purl(&self) -> Option<Purl> {
        self.purl.as_deref().and_then(|p| Purl::parse(p).ok())
    }

    /// The declared license as one SPDX expression.
    pub fn license_expression(&self) -> Option<String> {
        join_licenses(&self.licenses)
    }

    /// What the component states of its licence, and whether it is the document's
    /// conclusion: the concluded licence when the document gives one (not
    /// `NOASSERTION`), else every declared statement as written (names too, so that they
    /// can be recognized).
    pub fn license_statements(&self) -> (Vec<String>, bool) {
        if let Some(concluded) = self
            .license_concluded
            .as_deref()
            .filter(|l| !l.trim().is_empty() && !l.trim().eq_ignore_ascii_case("NOASSERTION"))
        {
            return (vec![concluded.to_owned()], true);
        }
        let declared = self
            .licenses
            .iter()
            .map(|l| match l {
                License::Expression(e) | License::Id(e) => e.clone(),
                License::Name(n) => n.clone(),
            })
            .collect();
        (declared, false)
    }

    /// The license that applies: concluded if known, else declared.
    pub fn effective_license(&self) -> Option<String> {
        self.license_concluded
            .clone()
            .or_else(|| self.license_expression())
    }

    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }
}

/// A relationship kind, normalized to the direction "from → to".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RelationshipKind {
    /// `from` depends on `to`.
    DependsOn,
    DevDependsOn,
    OptionalDependsOn,
    BuildDependsOn,
    TestDependsOn,
    ProvidedDependsOn,
    RuntimeDependsOn,
    /// `from` contains `to`.
    Contains,
    /// `from` (the document or a component) describes `to`.
    Describes,
    /// `from` was generated from `to`.
    GeneratedFrom,
    /// `from` is a variant of `to`.
    VariantOf,
    /// `from` descends from `to` (a patched or derived version).
    DescendantOf,
    /// Anything else, by its SPDX name.
    Other(String),
}

impl RelationshipKind {
    /// The inverse of [`RelationshipKind::as_str`].
    pub fn from_name(name: &str) -> RelationshipKind {
        match name {
            "depends-on" => RelationshipKind::DependsOn,
            "dev-depends-on" => RelationshipKind::DevDependsOn,
            "optional-depends-on" => RelationshipKind::OptionalDependsOn,
            "build-depends-on" => RelationshipKind::BuildDependsOn,
            "test-depends-on" => RelationshipKind::TestDependsOn,
            "provided-depends-on" => RelationshipKind::ProvidedDependsOn,
            "runtime-depends-on" => RelationshipKind::RuntimeDependsOn,
            "contains" => RelationshipKind::Contains,
            "describes" => RelationshipKind::Describes,
            "generated-from" => RelationshipKind::GeneratedFrom,
            "variant-of" => RelationshipKind::VariantOf,
            "descendant-of" => RelationshipKind::DescendantOf,
            other => RelationshipKind::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RelationshipKind::DependsOn => "depends-on",
            RelationshipKind::DevDependsOn => "dev-depends-on",
            RelationshipKind::OptionalDependsOn => "optional-depends-on",
            RelationshipKind::BuildDependsOn => "build-depends-on",
            RelationshipKind::TestDependsOn => "test-depends-on",
            RelationshipKind::ProvidedDependsOn => "provided-depends-on",
            RelationshipKind::RuntimeDependsOn => "runtime-depends-on",
            RelationshipKind::Contains => "contains",
            RelationshipKind::Describes => "describes",
            RelationshipKind::GeneratedFrom => "generated-from",
            RelationshipKind::VariantOf => "variant-of",
            RelationshipKind::DescendantOf => "descendant-of",
            RelationshipKind::Other(s) => s,
        }
    }

    /// Whether this is a dependency edge of any kind.
    pub fn is_dependency(&self) -> bool {
        matches!(
            self,
            RelationshipKind::DependsOn
                | RelationshipKind::DevDependsOn
                | RelationshipKind::OptionalDependsOn
                | RelationshipKind::BuildDependsOn
                | RelationshipKind::TestDependsOn
                | RelationshipKind::ProvidedDependsOn
                | RelationshipKind::RuntimeDependsOn
        )
    }
}

/// A directed relationship between two ids (component ids, or the document's own id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Relationship {
    pub from: String,
    pub to: String,
    pub kind: RelationshipKind,
}

/// A vulnerability or VEX statement embedded in the document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vulnerability {
    pub id: String,
    pub source: Option<String>,
    /// Other identifiers of the same vulnerability (CycloneDX `references`).
    pub aliases: Vec<String>,
    pub ratings: Vec<Rating>,
    pub cwes: Vec<u32>,
    pub description: Option<String>,
    pub recommendation: Option<String>,
    /// Ids of the affected components.
    pub affects: Vec<String>,
    pub analysis: Option<Analysis>,
    pub published: Option<String>,
    pub updated: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rating {
    pub source: Option<String>,
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub method: Option<String>,
    pub vector: Option<String>,
}

/// CycloneDX VEX analysis.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    /// `resolved`, `exploitable`, `in_triage`, `false_positive`, `not_affected`, …
    pub state: Option<String>,
    pub justification: Option<String>,
    pub responses: Vec<String>,
    pub detail: Option<String>,
}

/// The external reference types CycloneDX defines (its `externalReferences` `type`).
pub(crate) const REFERENCE_TYPES: &[&str] = &[
    "vcs",
    "issue-tracker",
    "website",
    "advisories",
    "bom",
    "mailing-list",
    "social",
    "chat",
    "documentation",
    "support",
    "source-distribution",
    "distribution",
    "distribution-intake",
    "license",
    "build-meta",
    "build-system",
    "release-notes",
    "security-contact",
    "model-card",
    "log",
    "configuration",
    "evidence",
    "formulation",
    "attestation",
    "threat-model",
    "adversary-model",
    "risk-assessment",
    "vulnerability-assertion",
    "exploitability-statement",
    "pentest-report",
    "static-analysis-report",
    "dynamic-analysis-report",
    "runtime-analysis-report",
    "component-analysis-report",
    "maturity-report",
    "certification-report",
    "codified-infrastructure",
    "quality-metrics",
    "poam",
    "electronic-signature",
    "digital-signature",
    "rfc-9116",
    "other",
];

#[cfg(test)]
mod tests {
    use super::canonical_license;

    #[test]
    fn one_expression_written_two_ways_is_one_canonical_form() {
        for (a, b) in [
            ("MIT OR Apache-2.0", "Apache-2.0 or MIT"),
            (
                "(LGPL-2.0-only OR LicenseRef-2)",
                "LicenseRef-2 OR LGPL-2.0-only",
            ),
            (
                "MIT AND (GPL-2.0-only WITH Classpath-exception-2.0 OR BSD-3-Clause)",
                "(BSD-3-Clause OR GPL-2.0-only with Classpath-exception-2.0) AND MIT",
            ),
            ("a AND (b AND c)", "(c AND a) AND b AND a"),
        ] {
            assert_eq!(canonical_license(a), canonical_license(b), "{a} vs {b}");
        }
        assert_ne!(
            canonical_license("a AND b OR c"),
            canonical_license("a AND (b OR c)")
        );
        assert_eq!(canonical_license("a AND (b OR c)"), "(b OR c) AND a");
        // Unparseable text stays as written.
        assert_eq!(canonical_license(" MIT AND "), "MIT AND");
        let deep = format!("{}MIT{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(canonical_license(&deep), deep);
    }
}
