//! Strict SPDX 2.2/2.3 validation: what the specification requires of the document,
//! its packages, files and relationships, whichever serialization they came in.

use std::collections::{HashMap, HashSet};

use chainwatch_purl::Purl;

use crate::diag::{Code, Diagnostic, Location};
use crate::model::Format;
use crate::spdx::{Doc, Element, SPDX2_RELATIONSHIPS};
use crate::validate::{is_date_time, license_error};

const CHECKSUM_ALGORITHMS: &[(&str, Option<usize>)] = &[
    ("SHA1", Some(40)),
    ("SHA224", Some(56)),
    ("SHA256", Some(64)),
    ("SHA384", Some(96)),
    ("SHA512", Some(128)),
    ("SHA3-256", Some(64)),
    ("SHA3-384", Some(96)),
    ("SHA3-512", Some(128)),
    ("BLAKE2b-256", Some(64)),
    ("BLAKE2b-384", Some(96)),
    ("BLAKE2b-512", Some(128)),
    ("BLAKE3", None),
    ("MD2", Some(32)),
    ("MD4", Some(32)),
    ("MD5", Some(32)),
    ("MD6", None),
    ("ADLER32", Some(8)),
];

const PURPOSES: &[&str] = &[
    "APPLICATION",
    "FRAMEWORK",
    "LIBRARY",
    "CONTAINER",
    "OPERATING-SYSTEM",
    "DEVICE",
    "FIRMWARE",
    "SOURCE",
    "ARCHIVE",
    "FILE",
    "INSTALL",
    "OTHER",
];

/// Whether `s` is an SPDX element identifier (`SPDXRef-` and letters, digits, `.`, `-`).
pub(crate) fn is_spdx_id(s: &str) -> bool {
    s.strip_prefix("SPDXRef-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && !rest.is_empty() && !s.chars().any(char::is_whitespace)
}

struct Checker<'d> {
    format: Format,
    doc: &'d Doc,
    out: Vec<Diagnostic>,
    v22: bool,
}

impl Checker<'_> {
    fn doc_loc(&self, field_json: &str, tag: &str) -> Location {
        if self.format == Format::SpdxTagValue {
            self.doc
                .lines
                .iter()
                .find(|(t, _)| *t == tag)
                .map(|(_, l)| Location::line(*l, 1))
                .unwrap_or_default()
        } else {
            Location::pointer(field_json)
        }
    }

    fn err(&mut self, code: Code, message: String, location: Location) {
        self.out.push(Diagnostic::error(code, message, location));
    }

    fn document(&mut self) {
        let d = self.doc;
        match d.spdx_version.as_deref() {
            None => self.err(
                Code::MissingField,
                "the document has no `spdxVersion`".to_owned(),
                Location::pointer(""),
            ),
            Some("SPDX-2.2" | "SPDX-2.3") => {}
            Some(v) => self.err(
                Code::UnsupportedSpecVersion,
                format!("`spdxVersion` `{v}` is not `SPDX-2.2` or `SPDX-2.3`"),
                self.doc_loc("/spdxVersion", "SPDXVersion"),
            ),
        }
        match d.data_license.as_deref() {
            Some("CC0-1.0") => {}
            None => self.err(
                Code::MissingField,
                "the document has no `dataLicense`".to_owned(),
                Location::pointer(""),
            ),
            Some(l) => self.err(
                Code::InvalidValue,
                format!("`dataLicense` is `{l}`, the specification requires `CC0-1.0`"),
                self.doc_loc("/dataLicense", "DataLicense"),
            ),
        }
        match d.spdx_id.as_deref() {
            Some("SPDXRef-DOCUMENT") => {}
            None => self.err(
                Code::MissingField,
                "the document has no `SPDXID`".to_owned(),
                Location::pointer(""),
            ),
            Some(id) => self.err(
                Code::InvalidValue,
                format!("the document `SPDXID` is `{id}`, expected `SPDXRef-DOCUMENT`"),
                self.doc_loc("/SPDXID", "SPDXID"),
            ),
        }
        if d.name.is_none() {
            self.err(
                Code::MissingField,
                "the document has no `name`".to_owned(),
                Location::pointer(""),
            );
        }
        match d.namespace.as_deref() {
            None => self.err(
                Code::MissingField,
                "the document has no `documentNamespace`".to_owned(),
                Location::pointer(""),
            ),
            Some(ns) if !is_uri(ns) || ns.contains('#') => self.err(
                Code::InvalidValue,
                format!("`documentNamespace` `{ns}` is not a URI without `#`"),
                self.doc_loc("/documentNamespace", "DocumentNamespace"),
            ),
            Some(_) => {}
        }
        match d.created.as_deref() {
            None => self.err(
                Code::MissingField,
                "the document has no creation time (`created`)".to_owned(),
                Location::pointer(""),
            ),
            Some(t) if !is_date_time(t) => self.err(
                Code::InvalidDate,
                format!("`created` `{t}` is not `YYYY-MM-DDThh:mm:ssZ`"),
                self.doc_loc("/creationInfo/created", "Created"),
            ),
            Some(_) => {}
        }
        if d.creators.is_empty() {
            self.err(
                Code::MissingField,
                "the document has no `creators`".to_owned(),
                Location::pointer(""),
            );
        }
        for (i, c) in d.creators.iter().enumerate() {
            let ok = c.split_once(':').is_some_and(|(kind, who)| {
                matches!(kind.trim(), "Person" | "Organization" | "Tool") && !who.trim().is_empty()
            });
            if !ok {
                self.err(
                    Code::InvalidValue,
                    format!("creator `{c}` is not `Person: …`, `Organization: …` or `Tool: …`"),
                    self.doc_loc(&format!("/creationInfo/creators/{i}"), "Creator"),
                );
            }
        }
    }

    fn element_loc(&self, kind: &str, index: usize, e: &Element) -> Location {
        if self.format == Format::SpdxTagValue {
            Location::line(e.line, 1)
        } else {
            Location::pointer(format!("/{kind}/{index}"))
        }
    }

    fn license(&mut self, field: &str, value: Option<&str>, label: &str, loc: &Location) {
        let Some(v) = value else { return };
        if let Some(reason) = license_error(v) {
            // Deprecated or differently-cased identifiers are what real tools write; only
            // what no reading makes sense of is an error.
            if !reason.starts_with("not a canonical") {
                self.err(
                    Code::InvalidLicense,
                    format!("`{label}`: {field} `{v}`: {reason}"),
                    loc.clone(),
                );
                return;
            }
        }
        // LicenseRef- must be defined in the document (or in an external one).
        for token in v.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            if let Some(local) = token.strip_prefix("LicenseRef-")
                && !self.doc.license_refs.iter().any(|r| r == token)
                && !local.is_empty()
            {
                self.err(
                    Code::DanglingRef,
                    format!(
                        "`{label}`: {field} names `{token}`, which the document does not define"
                    ),
                    loc.clone(),
                );
            }
        }
    }

    fn element(
        &mut self,
        kind: &str,
        index: usize,
        e: &Element,
        ids: &mut HashMap<String, Location>,
    ) {
        let loc = self.element_loc(kind, index, e);
        let label = e
            .name
            .clone()
            .or_else(|| e.spdx_id.clone())
            .unwrap_or_else(|| format!("{kind}[{index}]"));
        let what = match kind {
            "packages" => "a package",
            "files" => "a file",
            _ => "a snippet",
        };
        match &e.spdx_id {
            None => self.err(Code::MissingField, format!("{what} (`{label}`) has no `SPDXID`"), loc.clone()),
            Some(id) if !is_spdx_id(id) => self.err(
                Code::InvalidValue,
                format!("`{id}` is not an SPDX identifier (`SPDXRef-` followed by letters, digits, `.` or `-`)"),
                loc.clone(),
            ),
            Some(id) => {
                if ids.contains_key(id) {
                    self.err(Code::DuplicateId, format!("`{id}` identifies more than one element"), loc.clone());
                } else {
                    ids.insert(id.clone(), loc.clone());
                }
            }
        }
        if e.name.is_none() && kind != "snippets" {
            let field = if kind == "files" { "fileName" } else { "name" };
            self.err(
                Code::MissingField,
                format!("{what} has no `{field}`"),
                loc.clone(),
            );
        }
        if kind == "packages" {
            if e.download_location.is_none() {
                self.err(
                    Code::MissingField,
                    format!("package `{label}` has no `downloadLocation`"),
                    loc.clone(),
                );
            }
            if let Some(fa) = &e.files_analyzed
                && !matches!(fa.as_str(), "true" | "false")
            {
                self.err(
                    Code::InvalidValue,
                    format!("package `{label}`: `filesAnalyzed` is `{fa}`, not `true` or `false`"),
                    loc.clone(),
                );
            }
            for (field, value) in [("supplier", &e.supplier), ("originator", &e.originator)] {
                if let Some(v) = value
                    && v != "NOASSERTION"
                    && !v.split_once(':').is_some_and(|(k, who)| {
                        matches!(k.trim(), "Person" | "Organization") && !who.trim().is_empty()
                    })
                {
                    self.err(
                        Code::InvalidValue,
                        format!("package `{label}`: {field} `{v}` is not `Person: …`, `Organization: …` or `NOASSERTION`"),
                        loc.clone(),
                    );
                }
            }
            if let Some(p) = &e.purpose
                && !PURPOSES.contains(&p.replace('_', "-").as_str())
            {
                self.err(
                    Code::InvalidValue,
                    format!(
                        "package `{label}`: `primaryPackagePurpose` `{p}` is not an SPDX purpose"
                    ),
                    loc.clone(),
                );
            }
            if self.v22 {
                for (field, value) in [
                    ("licenseConcluded", &e.license_concluded),
                    ("licenseDeclared", &e.license_declared),
                    ("copyrightText", &e.copyright),
                ] {
                    if value.is_none() {
                        self.err(
                            Code::MissingField,
                            format!("package `{label}` has no `{field}` (required in SPDX 2.2)"),
                            loc.clone(),
                        );
                    }
                }
            }
        }
        if kind == "files" && !e.checksums.iter().any(|(a, _)| a == "SHA1") {
            self.err(
                Code::MissingField,
                format!("file `{label}` has no SHA1 checksum"),
                loc.clone(),
            );
        }
        for (alg, value) in &e.checksums {
            match CHECKSUM_ALGORITHMS.iter().find(|(a, _)| a == alg) {
                None => self.err(
                    Code::InvalidValue,
                    format!("`{label}`: checksum algorithm `{alg}` is not an SPDX algorithm"),
                    loc.clone(),
                ),
                Some((_, len)) => {
                    let hex = !value.is_empty() && value.bytes().all(|b| b.is_ascii_hexdigit());
                    if !hex || len.is_some_and(|n| n != value.len()) {
                        self.err(
                            Code::InvalidHash,
                            format!(
                                "`{label}`: {alg} checksum `{value}` is not {} hex digits",
                                len.map_or_else(|| "only".to_owned(), |n| n.to_string())
                            ),
                            loc.clone(),
                        );
                    }
                }
            }
        }
        self.license(
            "licenseConcluded",
            e.license_concluded.as_deref(),
            &label,
            &loc,
        );
        self.license(
            "licenseDeclared",
            e.license_declared.as_deref(),
            &label,
            &loc,
        );
        for (category, ty, locator) in &e.external_refs {
            if ty.is_empty() || locator.is_empty() {
                self.err(
                    Code::MissingField,
                    format!("`{label}`: an external reference needs `referenceType` and `referenceLocator`"),
                    loc.clone(),
                );
                continue;
            }
            let cat = category.replace('_', "-");
            if !matches!(
                cat.as_str(),
                "SECURITY" | "PACKAGE-MANAGER" | "PERSISTENT-ID" | "OTHER"
            ) {
                self.err(
                    Code::InvalidValue,
                    format!("`{label}`: reference category `{category}` is not SECURITY, PACKAGE-MANAGER, PERSISTENT-ID or OTHER"),
                    loc.clone(),
                );
            }
            match ty.as_str() {
                "purl" => {
                    if let Err(e) = Purl::parse(locator) {
                        self.err(
                            Code::InvalidPurl,
                            format!("`{label}`: purl `{locator}`: {e}"),
                            loc.clone(),
                        );
                    }
                }
                "cpe22Type" | "cpe23Type" if !crate::validate::is_cpe(locator) => {
                    self.err(
                        Code::InvalidCpe,
                        format!("`{label}`: `{locator}` is not a CPE"),
                        loc.clone(),
                    );
                }
                _ => {}
            }
        }
    }

    fn relationships(&mut self, ids: &HashMap<String, Location>) {
        let doc_id = self
            .doc
            .spdx_id
            .clone()
            .unwrap_or_else(|| "SPDXRef-DOCUMENT".to_owned());
        let known = |id: &str| {
            ids.contains_key(id)
                || id == doc_id
                || matches!(id, "NONE" | "NOASSERTION")
                || id
                    .split_once(':')
                    .is_some_and(|(d, _)| self.doc.external_documents.iter().any(|x| x == d))
        };
        let mut reported = HashSet::new();
        let mut found = Vec::new();
        for (i, (from, kind, to)) in self.doc.relationships.iter().enumerate() {
            let loc = match self.doc.relationship_lines.get(i) {
                Some(l) if self.format == Format::SpdxTagValue => Location::line(*l, 1),
                _ => Location::pointer(format!("/relationships/{i}")),
            };
            if from.is_empty() || kind.is_empty() || to.is_empty() {
                found.push((Code::MissingField, "a relationship needs `spdxElementId`, `relationshipType` and `relatedSpdxElement`".to_owned(), loc));
                continue;
            }
            if !SPDX2_RELATIONSHIPS.contains(&kind.as_str()) {
                found.push((
                    Code::InvalidValue,
                    format!("`{kind}` is not an SPDX relationship type"),
                    loc.clone(),
                ));
            }
            for end in [from, to] {
                if !known(end) && reported.insert(end.clone()) {
                    found.push((
                        Code::DanglingRef,
                        format!(
                            "a `{kind}` relationship names `{end}`, which is not in the document"
                        ),
                        loc.clone(),
                    ));
                }
            }
        }
        for (i, d) in self.doc.describes.iter().enumerate() {
            if !known(d) && reported.insert(d.clone()) {
                found.push((
                    Code::DanglingRef,
                    format!("`documentDescribes` names `{d}`, which is not in the document"),
                    Location::pointer(format!("/documentDescribes/{i}")),
                ));
            }
        }
        // The specification asks the document to say what it describes (a lone package
        // is described implicitly).
        let describes = !self.doc.describes.is_empty()
            || self.doc.relationships.iter().any(|(f, k, t)| {
                (k == "DESCRIBES" && *f == doc_id) || (k == "DESCRIBED_BY" && *t == doc_id)
            });
        if !describes && self.doc.packages.len() + self.doc.files.len() > 1 {
            found.push((
                Code::MissingField,
                "the document has no `DESCRIBES` relationship (or `documentDescribes`): it does not say which element it describes".to_owned(),
                Location::pointer(""),
            ));
        }
        for (code, message, loc) in found {
            self.err(code, message, loc);
        }
    }
}

/// Strict checks of an SPDX 2 document.
pub(crate) fn check(doc: &Doc, format: Format) -> Vec<Diagnostic> {
    let mut c = Checker {
        format,
        doc,
        out: Vec::new(),
        v22: doc.spdx_version.as_deref() == Some("SPDX-2.2"),
    };
    c.document();
    let mut ids = HashMap::new();
    let (mut p, mut f, mut s) = (0, 0, 0);
    for e in &doc.packages {
        c.element("packages", p, e, &mut ids);
        p += 1;
    }
    for e in &doc.files {
        c.element("files", f, e, &mut ids);
        f += 1;
    }
    for e in &doc.snippets {
        c.element("snippets", s, e, &mut ids);
        s += 1;
    }
    c.relationships(&ids);
    c.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_uris() {
        assert!(is_spdx_id("SPDXRef-Package-1.0"));
        assert!(!is_spdx_id("SPDXRef-"));
        assert!(!is_spdx_id("SPDXRef-a_b"));
        assert!(is_uri("https://example.com/spdx/doc-1"));
        assert!(!is_uri("not a uri"));
    }
}
