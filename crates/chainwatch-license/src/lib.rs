//! Licences as SPDX license expressions.
//!
//! SBOMs and package metadata state licences in every way people write them: valid SPDX
//! expressions, deprecated ids (`GPL-2.0`), ids in the wrong case, `GPL-2.0+`, `MIT/Apache-2.0`,
//! names (`Apache License, Version 2.0`, `MIT License`), PyPI classifiers (`License :: OSI
//! Approved :: BSD License`). [`normalize`] turns each into one SPDX expression and says how
//! sure it is: a name is mapped only when it names one licence (`BSD License` and `GPL` do
//! not, and are kept as `LicenseRef-…`). The `spdx` crate parses and evaluates the result
//! (its own lax mode maps `gnu gpl v2` to GPL-3.0 and `apache` to Apache-2.0, so it is not
//! used for names).
//!
//! [`category`] sorts a licence into permissive, public-domain, weak-copyleft, copyleft,
//! network-copyleft, non-free or unknown; [`Licensing`] evaluates allow and deny lists
//! of ids and groups on an expression (`MIT OR GPL-3.0-only` passes an allow list holding
//! MIT, and is denied only if every choice needs a denied licence).

mod names;

use std::fmt;

use serde::Serialize;

/// How a stated licence became an SPDX expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "how")]
pub enum How {
    /// Already a valid SPDX expression.
    Spdx,
    /// SPDX ids fixed up: case, deprecated ids, `+` on GNU licences, `/` and lower-case
    /// operators.
    Corrected,
    /// A licence name mapped to the one licence it names.
    Named,
    /// Not recognized: kept as a `LicenseRef-`.
    Unknown,
    /// `NOASSERTION` or `NONE`: the document says it does not know, or there is none.
    NoAssertion,
}

impl How {
    pub fn as_str(&self) -> &'static str {
        match self {
            How::Spdx => "spdx",
            How::Corrected => "corrected",
            How::Named => "named",
            How::Unknown => "unknown",
            How::NoAssertion => "no-assertion",
        }
    }
}

/// A stated licence as an SPDX expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Normalized {
    /// The SPDX expression (`NOASSERTION` when none is known).
    pub expression: String,
    #[serde(flatten)]
    pub how: How,
    /// What was stated, when it differs from the expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stated: Option<String>,
}

/// Longest stated licence read: anything longer is kept as unknown without parsing.
const MAX_STATED: usize = 4096;

/// A stated licence (an expression, an id or a name) as an SPDX expression.
pub fn normalize(stated: &str) -> Normalized {
    let text = stated.trim();
    let made = |expression: String, how: How| Normalized {
        stated: (expression != stated).then(|| stated.to_owned()),
        expression,
        how,
    };
    if text.is_empty()
        || text.eq_ignore_ascii_case("NOASSERTION")
        || text.eq_ignore_ascii_case("NONE")
    {
        let e = if text.eq_ignore_ascii_case("NONE") {
            "NONE"
        } else {
            "NOASSERTION"
        };
        return made(e.to_owned(), How::NoAssertion);
    }
    if text.len() > MAX_STATED {
        return made(license_ref(text), How::Unknown);
    }
    if spdx::Expression::parse(text).is_ok() {
        // Valid as written; written again with upper-case operators (SPDX allows
        // lower-case ones) and single spaces.
        let expression = fix_up(text)
            .filter(|f| !f.unknown)
            .map(|f| f.expression)
            .filter(|e| spdx::Expression::parse(e).is_ok())
            .unwrap_or_else(|| text.to_owned());
        return made(expression, How::Spdx);
    }
    if let Some(id) = names::whole(text) {
        return made(id.to_owned(), How::Named);
    }
    if let Some(fixed) = fix_up(text)
        && parse(&fixed.expression).is_some()
    {
        let how = if fixed.unknown {
            How::Unknown
        } else if fixed.named {
            How::Named
        } else {
            How::Corrected
        };
        return made(fixed.expression, how);
    }
    made(license_ref(text), How::Unknown)
}

/// Expressions joined with `AND` (all apply) or `OR` (a choice), each compound one in
/// parentheses, each once.
pub fn join<S: AsRef<str>>(expressions: &[S], all: bool) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(expressions.len());
    // Linear in the parts, however many a hostile manifest lists.
    let mut seen = std::collections::HashSet::with_capacity(expressions.len());
    for e in expressions {
        let e = e.as_ref().trim();
        let part = if e.contains(' ') && expressions.len() > 1 {
            format!("({e})")
        } else {
            e.to_owned()
        };
        if !part.is_empty() && seen.insert(part.clone()) {
            parts.push(part);
        }
    }
    parts.join(if all { " AND " } else { " OR " })
}

/// Several statements about one component (CycloneDX lists several `licenses`): all
/// apply, as one expression joined with `AND`; `how` is the least sure of them.
pub fn normalize_all(statements: &[&str]) -> Normalized {
    let parts: Vec<Normalized> = statements
        .iter()
        .map(|s| normalize(s))
        .filter(|n| n.how != How::NoAssertion || statements.len() == 1)
        .collect();
    match parts.as_slice() {
        [] => normalize(""),
        [one] => one.clone(),
        many => {
            let rank = |h: &How| match h {
                How::Spdx => 0,
                How::Corrected => 1,
                How::Named => 2,
                How::Unknown => 3,
                How::NoAssertion => 4,
            };
            let how = many
                .iter()
                .map(|n| n.how.clone())
                .max_by_key(rank)
                .unwrap_or(How::Spdx);
            let expressions: Vec<&str> = many.iter().map(|n| n.expression.as_str()).collect();
            let expression = join(&expressions, true);
            Normalized {
                stated: Some(statements.join("; ")),
                expression,
                how,
            }
        }
    }
}

/// `LicenseRef-` and the text with every character an SPDX id cannot hold replaced.
pub fn license_ref(text: &str) -> String {
    if let Some(rest) = text.strip_prefix("LicenseRef-")
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return text.to_owned();
    }
    let mut id = String::with_capacity(text.len());
    for c in text.trim().chars().take(200) {
        if c.is_ascii_alphanumeric() || c == '.' {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_matches('-');
    format!("LicenseRef-{}", if id.is_empty() { "unknown" } else { id })
}

/// Tokens of an expression: words, parentheses and `/`.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || matches!(c, '(' | ')' | '/') {
            if let Some(s) = start.take() {
                out.push(&text[s..i]);
            }
            if !c.is_whitespace() {
                out.push(&text[i..i + c.len_utf8()]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// An expression with its terms made SPDX ids.
struct Fixed {
    expression: String,
    /// A name was mapped to an id.
    named: bool,
    /// A term was not recognized and became a `LicenseRef-` (`GPL-2+ or Artistic`:
    /// `GPL-2.0-or-later OR LicenseRef-Artistic`).
    unknown: bool,
}

/// The expression with every term made an SPDX id, or a `LicenseRef-` for a term that is
/// none; `None` when an exception is not one.
fn fix_up(text: &str) -> Option<Fixed> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut named = false;
    let mut unknown = false;
    let mut after_with = false;
    for token in tokens(text) {
        let piece = match token {
            "(" | ")" => token.to_owned(),
            "/" => "OR".to_owned(),
            t if t.eq_ignore_ascii_case("or") => "OR".to_owned(),
            t if t.eq_ignore_ascii_case("and") => "AND".to_owned(),
            t if t.eq_ignore_ascii_case("with") => {
                after_with = true;
                out.push_str(" WITH");
                continue;
            }
            t if after_with => {
                after_with = false;
                exception(t)?.to_owned()
            }
            t => {
                if let Some(id) = license_term(t) {
                    id
                } else if let Some(id) = names::whole(t) {
                    named = true;
                    id.to_owned()
                } else {
                    unknown = true;
                    license_ref(t)
                }
            }
        };
        if !(out.is_empty() || out.ends_with('(') || piece == ")") {
            out.push(' ');
        }
        out.push_str(&piece);
    }
    Some(Fixed {
        expression: out,
        named,
        unknown,
    })
}

/// An SPDX exception id, whatever its case.
fn exception(text: &str) -> Option<&'static str> {
    if let Some(e) = spdx::exception_id(text) {
        return Some(e.name);
    }
    spdx::identifiers::EXCEPTIONS
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(text))
        .map(|e| e.name)
}

/// GNU licences whose deprecated ids mean `-only`, and `+` `-or-later`.
const GNU: [&str; 11] = [
    "GPL-1.0", "GPL-2.0", "GPL-3.0", "LGPL-2.0", "LGPL-2.1", "LGPL-3.0", "AGPL-1.0", "AGPL-3.0",
    "GFDL-1.1", "GFDL-1.2", "GFDL-1.3",
];

/// Parses an expression that may hold ids the SPDX list deprecated (still valid ids:
/// `wxWindows`, `eCos-2.0`), as a corrected one may.
fn parse(expression: &str) -> Option<spdx::Expression> {
    let mode = spdx::ParseMode {
        allow_deprecated: true,
        ..spdx::ParseMode::STRICT
    };
    spdx::Expression::parse_mode(expression, mode).ok()
}

/// One term as an SPDX id (`LicenseRef-` kept): the right case, GNU ids with `-only` or
/// `-or-later`, other deprecated ids as they are (still valid).
fn license_term(text: &str) -> Option<String> {
    if text.starts_with("LicenseRef-") || text.starts_with("DocumentRef-") {
        return Some(text.to_owned());
    }
    let (base, plus) = match text.strip_suffix('+') {
        Some(b) => (b, true),
        None => (text, false),
    };
    let id = spdx::license_id(base).or_else(|| {
        spdx::identifiers::LICENSES
            .iter()
            .position(|l| l.name.eq_ignore_ascii_case(base))
            .and_then(|i| spdx::license_id(spdx::identifiers::LICENSES[i].name))
    })?;
    let name = id.name;
    if let Some(gnu) = GNU.iter().find(|g| g.eq_ignore_ascii_case(name)) {
        return Some(format!("{gnu}-{}", if plus { "or-later" } else { "only" }));
    }
    if plus
        && let Some(stem) = name.strip_suffix("-only")
        && GNU.contains(&stem)
    {
        return Some(format!("{stem}-or-later"));
    }
    Some(if plus {
        format!("{name}+")
    } else {
        name.to_owned()
    })
}

/// What a licence lets its users do, roughly: what compliance teams sort licences by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Dedicated to the public domain or equivalent (CC0, Unlicense).
    PublicDomain,
    /// Use, change and ship with notice (MIT, BSD, Apache-2.0).
    Permissive,
    /// Changes to the licensed files are shared; the rest is not bound (LGPL, MPL, EPL,
    /// GPL with a linking exception).
    WeakCopyleft,
    /// A work that includes it is shared under the same licence when distributed (GPL).
    Copyleft,
    /// Also when only offered over a network (AGPL, SSPL, OSL).
    NetworkCopyleft,
    /// Neither OSI-approved nor free by the FSF (non-commercial, source-available).
    NonFree,
    /// Not known: a `LicenseRef-`, `NOASSERTION`, an expression that does not parse.
    Unknown,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::PublicDomain,
        Category::Permissive,
        Category::WeakCopyleft,
        Category::Copyleft,
        Category::NetworkCopyleft,
        Category::NonFree,
        Category::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::PublicDomain => "public-domain",
            Category::Permissive => "permissive",
            Category::WeakCopyleft => "weak-copyleft",
            Category::Copyleft => "copyleft",
            Category::NetworkCopyleft => "network-copyleft",
            Category::NonFree => "non-free",
            Category::Unknown => "unknown",
        }
    }

    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether a licence of this category belongs to the group named like `group`
    /// (`copyleft` holds network-copyleft licences too).
    pub fn in_group(self, group: Category) -> bool {
        self == group || (group == Category::Copyleft && self == Category::NetworkCopyleft)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Licence families by id prefix, most specific first.
const FAMILIES: &[(&str, Category)] = &[
    ("AGPL-", Category::NetworkCopyleft),
    ("SSPL-", Category::NetworkCopyleft),
    ("OSL-", Category::NetworkCopyleft),
    ("RPL-", Category::NetworkCopyleft),
    ("CPAL-", Category::NetworkCopyleft),
    ("Parity-", Category::NetworkCopyleft),
    ("LGPL", Category::WeakCopyleft),
    ("GPL-", Category::Copyleft),
    ("EUPL-", Category::Copyleft),
    ("CC-BY-SA-", Category::Copyleft),
    ("CECILL-C", Category::WeakCopyleft),
    ("CECILL-B", Category::Permissive),
    ("CECILL-", Category::Copyleft),
    ("Sleepycat", Category::Copyleft),
    ("GFDL-", Category::Copyleft),
    ("MPL-", Category::WeakCopyleft),
    ("EPL-", Category::WeakCopyleft),
    ("CDDL-", Category::WeakCopyleft),
    ("CPL-", Category::WeakCopyleft),
    ("Ms-RL", Category::WeakCopyleft),
    ("APSL-", Category::WeakCopyleft),
    ("OFL-", Category::WeakCopyleft),
    ("CC0-", Category::PublicDomain),
    ("Unlicense", Category::PublicDomain),
    ("PDDL-", Category::PublicDomain),
    ("CC-PDDC", Category::PublicDomain),
    ("WTFPL", Category::Permissive),
    ("CC-BY-NC", Category::NonFree),
    ("CC-BY-ND", Category::NonFree),
    ("BUSL-", Category::NonFree),
    ("Elastic-", Category::NonFree),
];

/// Exceptions that let a copyleft licence be linked with anything.
const LINKING_EXCEPTIONS: &[&str] = &[
    "Classpath-exception-2.0",
    "GCC-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
    "Linux-syscall-note",
    "LGPL-3.0-linking-exception",
    "Autoconf-exception-2.0",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Libtool-exception",
    "Font-exception-2.0",
    "GPL-3.0-linking-exception",
    "GPL-3.0-linking-source-exception",
    "Qt-GPL-exception-1.0",
    "Qt-LGPL-exception-1.1",
    "OpenJDK-assembly-exception-1.0",
    "Universal-FOSS-exception-1.0",
    "WxWindows-exception-3.1",
    "u-boot-exception-2.0",
];

/// The category of one licence (an SPDX id, a `LicenseRef-`), with an exception if any.
pub fn category(id: &str, exception: Option<&str>) -> Category {
    let Some(license) = spdx::license_id(id) else {
        return Category::Unknown;
    };
    let family = FAMILIES
        .iter()
        .find(|(prefix, _)| license.name.starts_with(prefix))
        .map(|(_, c)| *c);
    let base = match family {
        Some(c) => c,
        None if license.is_copyleft() => Category::Copyleft,
        None if license.is_osi_approved() || license.is_fsf_free_libre() => Category::Permissive,
        None => Category::NonFree,
    };
    match (base, exception) {
        (Category::Copyleft | Category::WeakCopyleft, Some(e))
            if LINKING_EXCEPTIONS.contains(&e) =>
        {
            Category::WeakCopyleft
        }
        (c, _) => c,
    }
}

/// One licence term of an expression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Term {
    /// The id as written in the expression (`GPL-2.0-or-later`, `LicenseRef-x`), with its
    /// exception (`Apache-2.0 WITH LLVM-exception`).
    pub license: String,
    pub category: Category,
}

/// A component's licence: its expression parsed, its terms categorized.
#[derive(Debug, Clone)]
pub struct Licensing {
    pub normalized: Normalized,
    expression: Option<spdx::Expression>,
}

/// A licence or a group of them, as allow and deny lists name them.
#[derive(Debug, Clone)]
pub enum Entry {
    /// An SPDX id (an `-or-later` licence is satisfied by later versions) or
    /// `LicenseRef-`.
    License(String, Option<spdx::Licensee>),
    /// Every licence of a category (`copyleft` holds network-copyleft ones too).
    Group(Category),
}

/// An allow or deny list entry that is neither a licence nor a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub entry: String,
    pub reason: String,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a licence or a group: {}",
            self.entry, self.reason
        )
    }
}

impl std::error::Error for EntryError {}

impl Entry {
    /// An entry: a group name (`copyleft`, `unknown`, …), else a licence (normalized as a
    /// component's would be).
    pub fn parse(text: &str) -> Result<Entry, EntryError> {
        if let Some(c) = Category::from_name(text.trim()) {
            return Ok(Entry::Group(c));
        }
        let n = normalize(text);
        match n.how {
            How::Spdx | How::Corrected | How::Named => {
                let licensee = spdx::Licensee::parse(&n.expression).map_err(|e| EntryError {
                    entry: text.to_owned(),
                    reason: format!("not one licence ({})", e.reason),
                })?;
                Ok(Entry::License(n.expression, Some(licensee)))
            }
            How::Unknown if text.trim().starts_with("LicenseRef-") => {
                Ok(Entry::License(text.trim().to_owned(), None))
            }
            _ => Err(EntryError {
                entry: text.to_owned(),
                reason: format!(
                    "groups are {}",
                    Category::ALL.map(Category::as_str).join(", ")
                ),
            }),
        }
    }

    fn holds(&self, req: &spdx::LicenseReq) -> bool {
        match self {
            Entry::Group(g) => term_category(req).in_group(*g),
            Entry::License(id, Some(licensee)) => {
                licensee.satisfies(req) || later_version_of(id, req)
            }
            Entry::License(id, None) => req.to_string() == *id,
        }
    }
}

/// A GNU id's family and version (`GPL-2.0-or-later`: `GPL`, `2.0`, or later).
fn gnu_parts(name: &str) -> Option<(&str, &str, bool)> {
    let (stem, later) = match name.strip_suffix("-or-later") {
        Some(s) => (s, true),
        None => (name.strip_suffix("-only")?, false),
    };
    let (family, version) = stem.rsplit_once('-')?;
    GNU.contains(&stem).then_some((family, version, later))
}

/// Whether an allowed GNU licence (`GPL-3.0-only`) is a version an `-or-later`
/// requirement (`GPL-2.0-or-later`) lets one choose.
fn later_version_of(allowed: &str, req: &spdx::LicenseReq) -> bool {
    let spdx::LicenseItem::Spdx { id, .. } = &req.license else {
        return false;
    };
    let (Some((want, from, true)), Some((have, version, _))) =
        (gnu_parts(id.name), gnu_parts(allowed))
    else {
        return false;
    };
    want == have && version >= from && req.addition.is_none()
}

fn term_category(req: &spdx::LicenseReq) -> Category {
    let exception = req.addition.as_ref().map(|a| match a {
        spdx::AdditionItem::Spdx(e) => e.name.to_owned(),
        spdx::AdditionItem::Other(r) => r.to_string(),
    });
    match &req.license {
        spdx::LicenseItem::Spdx { id, .. } => category(id.name, exception.as_deref()),
        spdx::LicenseItem::Other(_) => Category::Unknown,
    }
}

impl Licensing {
    /// A stated licence, normalized and parsed.
    pub fn new(stated: &str) -> Licensing {
        Licensing::of(normalize(stated))
    }

    /// A licence normalized already ([`normalize_all`]), parsed.
    pub fn of(normalized: Normalized) -> Licensing {
        let expression = match normalized.how {
            How::NoAssertion => None,
            _ => parse(&normalized.expression),
        };
        Licensing {
            normalized,
            expression,
        }
    }

    /// Every licence term, in the order written.
    pub fn terms(&self) -> Vec<Term> {
        let Some(e) = &self.expression else {
            return vec![Term {
                license: self.normalized.expression.clone(),
                category: Category::Unknown,
            }];
        };
        e.requirements()
            .map(|r| Term {
                license: r.req.to_string(),
                category: term_category(&r.req),
            })
            .collect()
    }

    /// Whether the licence can be used under the entries alone (some choice of an `OR`
    /// takes only allowed licences). An unknown licence is allowed only by the `unknown`
    /// group.
    pub fn allowed_by(&self, allow: &[Entry]) -> bool {
        match &self.expression {
            Some(e) => e.evaluate(|req| allow.iter().any(|a| a.holds(req))),
            None => allow
                .iter()
                .any(|a| matches!(a, Entry::Group(Category::Unknown))),
        }
    }

    /// The denied terms when every choice needs one of them (`MIT OR GPL-3.0-only` is
    /// not denied by `copyleft`: MIT can be chosen); empty when the licence can be used.
    pub fn denied_by(&self, deny: &[Entry]) -> Vec<Term> {
        match &self.expression {
            Some(e) => {
                if e.evaluate(|req| !deny.iter().any(|d| d.holds(req))) {
                    return Vec::new();
                }
                e.requirements()
                    .filter(|r| deny.iter().any(|d| d.holds(&r.req)))
                    .map(|r| Term {
                        license: r.req.to_string(),
                        category: term_category(&r.req),
                    })
                    .collect()
            }
            None if deny
                .iter()
                .any(|d| matches!(d, Entry::Group(Category::Unknown))) =>
            {
                self.terms()
            }
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
