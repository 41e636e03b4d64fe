//! What changed between two SBOMs of the same product: components added, removed or at a
//! new version, what is said about a component present in both (supplier, licences,
//! hashes, external references…), and dependency edges added or removed. Components are matched by
//! identity (the package URL without its version, else type, group and name), never by
//! the document-local `bom-ref`/SPDXID, so documents from different tools compare.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chainwatch_purl::Purl;

use crate::model::{Component, Sbom};

/// A component on one side of a diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct DiffComponent {
    /// The identity both documents are matched on.
    pub identity: String,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
}

/// A component whose version changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct VersionChange {
    pub identity: String,
    pub name: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A field of a component in both documents (same identity and version) that differs:
/// `supplier`, `author`, `licenses`, `license_concluded`, `hashes`, `external_refs` (the
/// download location among them, as a `distribution` reference), `cpes`, `copyright`, `properties`. Lists are compared as sets, shown sorted
/// and joined with `, `.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct FieldChange {
    pub identity: String,
    pub name: String,
    pub field: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A dependency edge between identities.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Edge {
    pub from: String,
    pub kind: String,
    pub to: String,
}

/// The difference from `a` to `b`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SbomDiff {
    pub added: Vec<DiffComponent>,
    pub removed: Vec<DiffComponent>,
    pub changed: Vec<VersionChange>,
    pub edges_added: Vec<Edge>,
    pub edges_removed: Vec<Edge>,
    /// What is said about components in both documents, where it differs.
    pub modified: Vec<FieldChange>,
}

impl SbomDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.edges_added.is_empty()
            && self.edges_removed.is_empty()
            && self.modified.is_empty()
    }
}

/// The fields [`FieldChange`] compares, each as text (lists sorted and joined).
fn fields(c: &Component) -> [(&'static str, Option<String>); 10] {
    let list = |mut items: Vec<String>| {
        items.sort();
        items.dedup();
        (!items.is_empty()).then(|| items.join(", "))
    };
    [
        ("supplier", c.supplier.clone()),
        ("author", c.author.clone()),
        ("licenses", c.license_expression()),
        ("license_concluded", c.license_concluded.clone()),
        (
            "hashes",
            list(
                c.hashes
                    .iter()
                    .map(|h| {
                        format!(
                            "{}:{}",
                            h.alg.cyclonedx_name(),
                            h.value.to_ascii_lowercase()
                        )
                    })
                    .collect(),
            ),
        ),
        (
            "external_refs",
            list(
                // SPDX's `downloadLocation` is CycloneDX's `distribution` reference.
                c.external_refs
                    .iter()
                    .map(|r| format!("{} {}", r.kind, r.url))
                    .chain(
                        c.download_location
                            .iter()
                            .map(|url| format!("distribution {url}")),
                    )
                    .collect(),
            ),
        ),
        ("cpes", list(c.cpes.clone())),
        ("copyright", c.copyright.clone()),
        (
            "properties",
            list(
                c.properties
                    .iter()
                    .map(|p| format!("{}={}", p.name, p.value))
                    .collect(),
            ),
        ),
        // A model card as the JSON CycloneDX writes.
        (
            "model_card",
            c.model_card
                .as_deref()
                .map(|m| crate::cyclonedx::modelcard::to_json(m).to_string()),
        ),
    ]
}

/// The identity of a component across documents: its purl without version (qualifiers
/// such as `arch` kept), else `kind:group/name`.
pub fn identity(c: &Component) -> String {
    if let Some(p) = c.purl.as_deref()
        && let Ok(purl) = Purl::parse(p)
    {
        return purl.with_version(None).to_string();
    }
    match &c.group {
        Some(g) => format!("{}:{g}/{}", c.kind.as_str(), c.name),
        None => format!("{}:{}", c.kind.as_str(), c.name),
    }
}

/// Each component's identity, by component id.
fn identities(s: &Sbom) -> HashMap<&str, String> {
    s.components
        .iter()
        .map(|c| (c.id.as_str(), identity(c)))
        .collect()
}

/// Components by identity.
fn by_identity<'a>(
    s: &'a Sbom,
    ids: &'a HashMap<&str, String>,
) -> BTreeMap<&'a str, Vec<&'a Component>> {
    let mut out: BTreeMap<&str, Vec<&Component>> = BTreeMap::new();
    for c in &s.components {
        if let Some(key) = ids.get(c.id.as_str()) {
            out.entry(key.as_str()).or_default().push(c);
        }
    }
    out
}

/// Edges between identities, borrowed (a document has hundreds of thousands).
fn edges<'a>(s: &'a Sbom, ids: &'a HashMap<&str, String>) -> HashSet<(&'a str, &'a str, &'a str)> {
    s.relationships
        .iter()
        .filter_map(|r| {
            Some((
                ids.get(r.from.as_str())?.as_str(),
                r.kind.as_str(),
                ids.get(r.to.as_str())?.as_str(),
            ))
        })
        .collect()
}

/// The edges of `a` that `b` lacks, sorted.
fn missing(a: &HashSet<(&str, &str, &str)>, b: &HashSet<(&str, &str, &str)>) -> Vec<Edge> {
    let mut out: Vec<Edge> = a
        .difference(b)
        .map(|(from, kind, to)| Edge {
            from: (*from).to_owned(),
            kind: (*kind).to_owned(),
            to: (*to).to_owned(),
        })
        .collect();
    out.sort();
    out
}

fn entry(identity: &str, c: &Component) -> DiffComponent {
    DiffComponent {
        identity: identity.to_owned(),
        name: c.name.clone(),
        version: c.version.clone(),
        purl: c.purl.clone(),
    }
}

/// Compares two documents.
pub fn diff(a: &Sbom, b: &Sbom) -> SbomDiff {
    let (ia, ib) = (identities(a), identities(b));
    let (ca, cb) = (by_identity(a, &ia), by_identity(b, &ib));
    let mut out = SbomDiff::default();
    let keys: BTreeSet<&str> = ca.keys().chain(cb.keys()).copied().collect();
    for key in keys {
        let left = ca.get(key).map(Vec::as_slice).unwrap_or_default();
        let right = cb.get(key).map(Vec::as_slice).unwrap_or_default();
        let versions = |cs: &[&Component]| -> BTreeSet<Option<String>> {
            cs.iter().map(|c| c.version.clone()).collect()
        };
        let (va, vb) = (versions(left), versions(right));
        if va == vb {
            // The same component on both sides: what each says about it.
            if let ([l], [r]) = (left, right) {
                for ((field, from), (_, to)) in fields(l).into_iter().zip(fields(r)) {
                    // One licence expression written in another order is the same.
                    let same = from == to
                        || (matches!(field, "licenses" | "license_concluded")
                            && from.as_deref().map(crate::model::canonical_license)
                                == to.as_deref().map(crate::model::canonical_license));
                    if !same {
                        out.modified.push(FieldChange {
                            identity: key.to_owned(),
                            name: r.name.clone(),
                            field,
                            from,
                            to,
                        });
                    }
                }
            }
            continue;
        }
        // One version on each side: an upgrade or downgrade.
        if let (1, 1, Some(l), Some(r)) = (va.len(), vb.len(), left.first(), right.first()) {
            out.changed.push(VersionChange {
                identity: key.to_owned(),
                name: r.name.clone(),
                from: l.version.clone(),
                to: r.version.clone(),
            });
            continue;
        }
        for c in right.iter().filter(|c| !va.contains(&c.version)) {
            out.added.push(entry(key, c));
        }
        for c in left.iter().filter(|c| !vb.contains(&c.version)) {
            out.removed.push(entry(key, c));
        }
    }
    out.added.sort();
    out.added.dedup();
    out.removed.sort();
    out.removed.dedup();
    let (ea, eb) = (edges(a, &ia), edges(b, &ib));
    out.edges_added = missing(&eb, &ea);
    out.edges_removed = missing(&ea, &eb);
    out
}

/// What a conversion loses: `written` (the model written in `format`) is read back and
/// compared with `sbom`, the model it was written from. One diagnostic
/// ([`crate::Code::ConversionLoss`], a warning) per kind of loss, with its count: a
/// component field, components, versions, relationships of a type, the creators.
pub fn conversion_losses(
    sbom: &Sbom,
    format: crate::Format,
    written: &str,
) -> Vec<crate::Diagnostic> {
    use crate::{Code, Diagnostic, Location};
    let warn =
        |message: String| Diagnostic::warning(Code::ConversionLoss, message, Location::default());
    let again = match crate::read_text(written, format) {
        Ok(p) => p.sbom,
        Err(e) => {
            return vec![warn(format!(
                "the {format} written cannot be read back ({e}): nothing could be checked"
            ))];
        }
    };
    let d = diff(sbom, &again);
    let mut out = Vec::new();
    // What the reader saw and the model has no place for: lost in every format.
    for (field, n) in &sbom.not_kept {
        out.push(warn(format!(
            "`{field}` ({n}) is not carried in {format}: chainwatch does not keep it"
        )));
    }
    if !d.removed.is_empty() {
        out.push(warn(format!(
            "{} components are not in the {format} written",
            d.removed.len()
        )));
    }
    if !d.changed.is_empty() {
        out.push(warn(format!(
            "{} components have another version in the {format} written",
            d.changed.len()
        )));
    }
    let mut fields: BTreeMap<&str, usize> = BTreeMap::new();
    // A deprecated licence id written as its current one (`GPL-2.0` as `GPL-2.0-only`,
    // which validators require) is the same licence.
    let same_licence = |m: &FieldChange| {
        matches!(m.field, "licenses" | "license_concluded")
            && m.from
                .as_deref()
                .map(|l| crate::model::canonical_license(&crate::model::current_license_ids(l)))
                == m.to
                    .as_deref()
                    .map(|l| crate::model::canonical_license(&crate::model::current_license_ids(l)))
    };
    // A field the target gained (the subject's supplier taken from the manufacturer of
    // a CycloneDX BOM) is not a loss.
    for m in d
        .modified
        .iter()
        .filter(|m| m.from.is_some() && !same_licence(m))
    {
        *fields.entry(m.field).or_default() += 1;
    }
    for (field, n) in fields {
        out.push(warn(format!(
            "`{field}` of {n} components is not carried (or not the same) in {format}"
        )));
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &d.edges_removed {
        *kinds.entry(e.kind.as_str()).or_default() += 1;
    }
    for (kind, n) in kinds {
        out.push(warn(format!(
            "{n} `{kind}` relationships are not carried in {format}"
        )));
    }
    let creators = |s: &Sbom| -> BTreeSet<(String, bool)> {
        s.authors
            .iter()
            .map(|a| (a.clone(), s.persons.contains(a)))
            .collect()
    };
    let lost = creators(sbom).difference(&creators(&again)).count();
    if lost > 0 {
        out.push(warn(format!(
            "{lost} of the document's creators are not carried (or not as person or organization) in {format}"
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ComponentKind, Format, Relationship, RelationshipKind};

    fn sbom(components: &[(&str, &str, &str)], edges: &[(&str, &str)]) -> Sbom {
        let mut s = Sbom::new(Format::CycloneDxJson, "1.6".to_owned());
        for (id, purl, version) in components {
            let mut c = Component::new(
                *id,
                ComponentKind::Library,
                purl.rsplit('/').next().unwrap_or_default(),
            );
            c.purl = Some(format!("{purl}@{version}"));
            c.version = Some((*version).to_owned());
            s.components.push(c);
        }
        for (from, to) in edges {
            s.relationships.push(Relationship {
                from: (*from).to_owned(),
                to: (*to).to_owned(),
                kind: RelationshipKind::DependsOn,
            });
        }
        s
    }

    #[test]
    fn added_removed_changed_and_edges() {
        let a = sbom(
            &[
                ("1", "pkg:npm/app", "1.0.0"),
                ("2", "pkg:npm/left-pad", "1.0.0"),
                ("3", "pkg:npm/gone", "2.0.0"),
            ],
            &[("1", "2"), ("1", "3")],
        );
        // Different local ids on purpose: matching is by identity.
        let b = sbom(
            &[
                ("x", "pkg:npm/app", "1.0.0"),
                ("y", "pkg:npm/left-pad", "1.3.0"),
                ("z", "pkg:npm/new", "0.1.0"),
            ],
            &[("x", "y"), ("x", "z")],
        );
        let d = diff(&a, &b);
        assert_eq!(
            d.added
                .iter()
                .map(|c| c.identity.as_str())
                .collect::<Vec<_>>(),
            ["pkg:npm/new"]
        );
        assert_eq!(
            d.removed
                .iter()
                .map(|c| c.identity.as_str())
                .collect::<Vec<_>>(),
            ["pkg:npm/gone"]
        );
        assert_eq!(d.changed.len(), 1);
        assert_eq!(
            (d.changed[0].from.as_deref(), d.changed[0].to.as_deref()),
            (Some("1.0.0"), Some("1.3.0"))
        );
        assert_eq!(
            d.edges_added,
            [Edge {
                from: "pkg:npm/app".into(),
                kind: "depends-on".into(),
                to: "pkg:npm/new".into()
            }]
        );
        assert_eq!(d.edges_removed.len(), 1);
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn several_versions_of_one_package() {
        let a = sbom(
            &[
                ("1", "pkg:npm/lodash", "3.0.0"),
                ("2", "pkg:npm/lodash", "4.0.0"),
            ],
            &[],
        );
        let b = sbom(
            &[
                ("1", "pkg:npm/lodash", "4.0.0"),
                ("2", "pkg:npm/lodash", "4.17.21"),
            ],
            &[],
        );
        let d = diff(&a, &b);
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.removed.len(), 1);
        assert_eq!(d.added[0].version.as_deref(), Some("4.17.21"));
        assert_eq!(d.removed[0].version.as_deref(), Some("3.0.0"));
    }

    #[test]
    fn fields_of_the_same_component_are_compared() {
        let a = sbom(&[("1", "pkg:npm/app", "1.0.0")], &[]);
        let mut b = sbom(&[("x", "pkg:npm/app", "1.0.0")], &[]);
        let mut a = a;
        a.components[0].supplier = Some("Acme".into());
        a.components[0].download_location = Some("https://example.com/app.tgz".into());
        // The download location is a distribution reference in CycloneDX: the same thing.
        b.components[0]
            .external_refs
            .push(crate::model::ExternalRef {
                kind: "distribution".into(),
                url: "https://example.com/app.tgz".into(),
            });
        let d = diff(&a, &b);
        assert_eq!(
            d.modified
                .iter()
                .map(|m| (m.field, m.from.as_deref(), m.to.as_deref()))
                .collect::<Vec<_>>(),
            [("supplier", Some("Acme"), None)]
        );
        assert!(!d.is_empty());
    }
}
