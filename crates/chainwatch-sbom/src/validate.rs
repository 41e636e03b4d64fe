//! Checks on the model that apply to every format: identifiers, references, purls,
//! licenses, hashes, dates, serial numbers. Format-specific structure is checked by the
//! schema modules.

use std::collections::{HashMap, HashSet};

use chainwatch_purl::Purl;

use crate::diag::{Code, Diagnostic, Location, Severity};
use crate::model::{Format, Sbom};

/// Whether `s` is `urn:uuid:` followed by an RFC 4122 UUID.
pub fn is_uuid_urn(s: &str) -> bool {
    let Some(u) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let b = u.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Whether `s` is an RFC 3339 / ISO 8601 date-time as the schemas require
/// (`2024-01-31T12:00:00Z`, with optional fraction and offset).
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 19
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let month = (b[5] - b'0') * 10 + (b[6] - b'0');
    let day = (b[8] - b'0') * 10 + (b[9] - b'0');
    let hour = (b[11] - b'0') * 10 + (b[12] - b'0');
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Whether `s` looks like a CPE 2.3 formatted string or a CPE 2.2 URI.
pub fn is_cpe(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("cpe:2.3:") {
        // 11 more components, `:` separated (escaped colons aside).
        let mut count = 1;
        let mut escaped = false;
        for c in rest.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                ':' if !escaped => count += 1,
                _ => escaped = false,
            }
        }
        return count == 11 && matches!(rest.chars().next(), Some('a' | 'o' | 'h' | '*' | '-'));
    }
    s.strip_prefix("cpe:/")
        .is_some_and(|rest| matches!(rest.chars().next(), Some('a' | 'o' | 'h')) || rest.is_empty())
}

/// Whether an SPDX license expression is valid (`LicenseRef-` and `DocumentRef-` allowed).
pub fn license_error(expr: &str) -> Option<String> {
    if matches!(expr, "NONE" | "NOASSERTION") {
        return None;
    }
    match spdx::Expression::parse_mode(expr, spdx::ParseMode::STRICT) {
        Ok(_) => None,
        Err(strict) => match spdx::Expression::parse_mode(expr, spdx::ParseMode::LAX) {
            Ok(_) => Some(format!(
                "not a canonical SPDX expression: {}",
                strict.reason
            )),
            Err(e) => Some(e.reason.to_string()),
        },
    }
}

/// A model-level diagnostic: an error in strict mode, a warning otherwise.
fn diag(strict: bool, code: Code, message: String, pointer: Option<String>) -> Diagnostic {
    let severity = if strict {
        Severity::Error
    } else {
        Severity::Warning
    };
    Diagnostic::new(
        code,
        severity,
        message,
        pointer.map(Location::pointer).unwrap_or_default(),
    )
}

/// The JSON pointer of a component, for formats whose model index maps onto one.
fn component_pointer(sbom: &Sbom, index: usize) -> Option<String> {
    // Packages come first in the model, in document order.
    let packages = sbom
        .components
        .iter()
        .take_while(|c| c.kind.is_package())
        .count();
    match sbom.format {
        Format::SpdxJson | Format::SpdxYaml | Format::SpdxXml if index < packages => {
            Some(format!("/packages/{index}"))
        }
        _ => None,
    }
}

/// Checks that apply to every format.
pub(crate) fn check_model(sbom: &Sbom, strict: bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let cdx = matches!(sbom.format, Format::CycloneDxJson | Format::CycloneDxXml);
    // Spec version.
    let known = if cdx {
        matches!(
            sbom.spec_version.as_str(),
            "1.0" | "1.1" | "1.2" | "1.3" | "1.4" | "1.5" | "1.6" | "1.7"
        )
    } else if sbom.format == Format::Spdx3JsonLd {
        sbom.spec_version.starts_with("3.")
    } else {
        matches!(
            sbom.spec_version.as_str(),
            "SPDX-2.0" | "SPDX-2.1" | "SPDX-2.2" | "SPDX-2.3"
        )
    };
    if !known {
        out.push(diag(
            strict,
            Code::UnsupportedSpecVersion,
            format!(
                "unknown {} version `{}`",
                sbom.format.family(),
                sbom.spec_version
            ),
            None,
        ));
    }
    if cdx
        && let Some(serial) = &sbom.serial
        && !is_uuid_urn(serial)
    {
        out.push(diag(
            strict,
            Code::InvalidSerial,
            format!("serial number `{serial}` is not `urn:uuid:<uuid>`"),
            None,
        ));
    }
    if let Some(created) = &sbom.created
        && !is_date_time(created)
    {
        out.push(diag(
            strict,
            Code::InvalidDate,
            format!("timestamp `{created}` is not an RFC 3339 date-time"),
            None,
        ));
    }
    if strict && sbom.format == Format::Spdx3JsonLd {
        for c in &sbom.components {
            if c.id.starts_with(crate::spdx::GENERATED_ID_PREFIX) {
                let label = if c.name.is_empty() {
                    "an element"
                } else {
                    c.name.as_str()
                };
                out.push(diag(
                    true,
                    Code::MissingField,
                    format!("`{label}` has no `spdxId`"),
                    None,
                ));
            }
        }
    }
    // Identifiers.
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(sbom.components.len());
    for (i, c) in sbom.components.iter().enumerate() {
        if let Some(first) = seen.insert(c.id.as_str(), i) {
            out.push(diag(
                strict,
                Code::DuplicateId,
                format!("`{}` identifies components {} and {i}", c.id, first),
                component_pointer(sbom, i),
            ));
        }
        let label = if c.name.is_empty() {
            c.id.as_str()
        } else {
            c.name.as_str()
        };
        if let Some(p) = &c.purl
            && let Err(e) = Purl::parse(p)
        {
            out.push(diag(
                strict,
                Code::InvalidPurl,
                format!("`{label}`: purl `{p}`: {e}"),
                component_pointer(sbom, i),
            ));
        }
        for cpe in &c.cpes {
            if !is_cpe(cpe) {
                out.push(diag(
                    strict,
                    Code::InvalidCpe,
                    format!("`{label}`: `{cpe}` is not a CPE"),
                    component_pointer(sbom, i),
                ));
            }
        }
        for h in &c.hashes {
            let hex = h.value.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex || h.alg.hex_len().is_some_and(|n| n != h.value.len()) {
                out.push(diag(
                    strict,
                    Code::InvalidHash,
                    format!(
                        "`{label}`: {} hash `{}` is not {} hex digits",
                        h.alg.cyclonedx_name(),
                        h.value,
                        h.alg
                            .hex_len()
                            .map_or_else(|| "only".to_owned(), |n| n.to_string())
                    ),
                    component_pointer(sbom, i),
                ));
            }
        }
        let mut expressions: Vec<&str> = Vec::new();
        for l in &c.licenses {
            match l {
                crate::model::License::Expression(e) => expressions.push(e),
                crate::model::License::Id(id) => {
                    if spdx::license_id(id).is_none() && !id.starts_with("LicenseRef-") {
                        out.push(diag(
                            strict,
                            Code::InvalidLicense,
                            format!("`{label}`: `{id}` is not an SPDX license identifier"),
                            component_pointer(sbom, i),
                        ));
                    }
                }
                crate::model::License::Name(_) => {}
            }
        }
        expressions.extend(c.license_concluded.as_deref());
        for expr in expressions {
            // SPDX 3 names custom licenses by element IRI.
            if sbom.format == Format::Spdx3JsonLd
                && (expr.contains("://") || expr.starts_with("urn:"))
            {
                continue;
            }
            if let Some(reason) = license_error(expr) {
                // Deprecated identifiers and odd casing are what real tools write.
                let lax = reason.starts_with("not a canonical");
                out.push(diag(
                    strict && !lax,
                    Code::InvalidLicense,
                    format!("`{label}`: license `{expr}`: {reason}"),
                    component_pointer(sbom, i),
                ));
            }
        }
    }
    // References.
    let ids = &seen;
    let document_ids: HashSet<&str> = ["SPDXRef-DOCUMENT"]
        .into_iter()
        .chain(sbom.serial.as_deref())
        .collect();
    // Relationships come in runs from one element: remember the last one found.
    let last_known = std::cell::Cell::new("");
    let known = |id: &str| {
        if id == last_known.get() {
            return true;
        }
        let found = ids.contains_key(id)
            || document_ids.contains(id)
            || id.starts_with("DocumentRef-")
            || matches!(id, "NONE" | "NOASSERTION");
        if found && let Some(k) = ids.get_key_value(id) {
            last_known.set(k.0);
        }
        found
    };
    let mut reported = HashSet::new();
    // SPDX 3 relationships may name agents, annotations and elements of other documents
    // (by IRI), which the model does not keep as components.
    let dangling_is_error = strict && sbom.format != Format::Spdx3JsonLd;
    for r in &sbom.relationships {
        for end in [&r.from, &r.to] {
            if !known(end) && reported.insert(end.clone()) {
                out.push(diag(
                    dangling_is_error,
                    Code::DanglingRef,
                    format!(
                        "a `{}` relationship names `{end}`, which is not in the document",
                        r.kind.as_str()
                    ),
                    None,
                ));
            }
        }
        if r.from == r.to {
            out.push(Diagnostic::warning(
                Code::SelfRef,
                format!("`{}` {} itself", r.from, r.kind.as_str()),
                Location::default(),
            ));
        }
    }
    for v in &sbom.vulnerabilities {
        for a in &v.affects {
            if !known(a) && reported.insert(a.clone()) {
                out.push(diag(
                    strict,
                    Code::DanglingRef,
                    format!(
                        "vulnerability `{}` affects `{a}`, which is not in the document",
                        v.id
                    ),
                    None,
                ));
            }
        }
    }
    out
}

/// The NTIA minimum elements `sbom` misses, each with how many times (components
/// without it; 1 for a document-level element), in the order of [`ntia`]'s codes:
/// `supplier`, `name`, `version`, `identifier`, `relationships`, `author`, `timestamp`.
pub fn ntia_missing(sbom: &Sbom) -> Vec<(&'static str, usize)> {
    let mut out: Vec<(&'static str, usize)> = Vec::new();
    for d in ntia(sbom) {
        let Some(element) = d.code.as_str().strip_prefix("ntia-missing-") else {
            continue;
        };
        match out.iter_mut().find(|(e, _)| *e == element) {
            Some((_, n)) => *n += 1,
            None => out.push((element, 1)),
        }
    }
    out
}

/// The NTIA minimum elements (supplier, name, version, unique identifier for every
/// package; dependency relationships, author and timestamp for the document), as
/// diagnostics: one per missing element per component, errors.
pub fn ntia(sbom: &Sbom) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let spdx = !matches!(sbom.format, Format::CycloneDxJson | Format::CycloneDxXml);
    for (i, c) in sbom.components.iter().enumerate() {
        let generated_id = c.id.starts_with(crate::spdx::GENERATED_ID_PREFIX);
        if !c.kind.is_package() {
            if spdx && generated_id {
                let label = if c.name.is_empty() {
                    c.id.as_str()
                } else {
                    c.name.as_str()
                };
                out.push(Diagnostic::error(
                    Code::NtiaMissingIdentifier,
                    format!("element `{label}` has no SPDXID"),
                    Location::default(),
                ));
            }
            continue;
        }
        let label = if c.name.is_empty() {
            c.id.as_str()
        } else {
            c.name.as_str()
        };
        let at = component_pointer(sbom, i)
            .map(Location::pointer)
            .unwrap_or_default();
        let mut missing = |code: Code, what: &str| {
            out.push(Diagnostic::error(
                code,
                format!("component `{label}` has no {what}"),
                at.clone(),
            ));
        };
        // The supplier only: an SPDX 2 originator (who made it) is not who supplies it,
        // and ntia-conformance-checker 6 does not count it either.
        if c.supplier.is_none() {
            missing(Code::NtiaMissingSupplier, "supplier");
        }
        if c.name.is_empty() {
            missing(Code::NtiaMissingName, "name");
        }
        if c.version.is_none() {
            missing(Code::NtiaMissingVersion, "version");
        }
        // SPDX: the SPDXID is the identifier; CycloneDX: purl, CPE or SWID tag.
        let identified = if spdx {
            !generated_id
        } else {
            c.purl.is_some()
                || !c.cpes.is_empty()
                || c.properties
                    .iter()
                    .any(|p| p.name == crate::cyclonedx::properties::SWID_PROPERTY)
        };
        if !identified {
            missing(
                Code::NtiaMissingIdentifier,
                if spdx {
                    "SPDXID"
                } else {
                    "purl, CPE or SWID tag id"
                },
            );
        }
    }
    let spdx2 = matches!(
        sbom.format,
        Format::SpdxJson
            | Format::SpdxYaml
            | Format::SpdxXml
            | Format::SpdxRdfXml
            | Format::SpdxTagValue
    );
    if sbom.relationships.is_empty() {
        out.push(Diagnostic::error(
            Code::NtiaMissingRelationships,
            "the document states no relationships between its elements",
            Location::default(),
        ));
    } else if spdx2
        && !sbom.relationships.iter().any(|r| {
            r.kind == crate::model::RelationshipKind::Describes
                && sbom
                    .components
                    .iter()
                    .any(|c| c.id == r.to && c.kind.is_package())
        })
    {
        // What the document is about is where its dependency relationships start.
        out.push(Diagnostic::error(
            Code::NtiaMissingRelationships,
            "the document describes no package (no `DESCRIBES` relationship to one)",
            Location::default(),
        ));
    }
    if sbom.authors.is_empty() && sbom.tools.is_empty() {
        out.push(Diagnostic::error(
            Code::NtiaMissingAuthor,
            "the document names no author",
            Location::default(),
        ));
    }
    if sbom.created.is_none() {
        out.push(Diagnostic::error(
            Code::NtiaMissingTimestamp,
            "the document has no timestamp",
            Location::default(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_urns_dates_and_cpes() {
        assert!(is_uuid_urn("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"));
        assert!(!is_uuid_urn("urn:uuid:3e671687395b41f5a30fa58921a69b79"));
        assert!(is_date_time("2024-03-06T00:00:00Z"));
        assert!(is_date_time("2020-04-13T20:20:39.123+01:00"));
        assert!(!is_date_time("2020-04-13"));
        assert!(!is_date_time("2020-13-13T00:00:00Z"));
        assert!(is_cpe("cpe:2.3:a:apache:tomcat:9.0.14:*:*:*:*:*:*:*"));
        assert!(is_cpe("cpe:/a:apache:tomcat:9.0.14"));
        assert!(!is_cpe("tomcat"));
    }

    #[test]
    fn license_expressions() {
        assert!(license_error("MIT OR Apache-2.0").is_none());
        assert!(license_error("LicenseRef-foo AND MIT").is_none());
        assert!(
            license_error("GPL-2.0 WITH Classpath-exception-2.0")
                .is_none_or(|e| e.contains("canonical"))
        );
        assert!(license_error("Apache 2").is_some());
    }
}
