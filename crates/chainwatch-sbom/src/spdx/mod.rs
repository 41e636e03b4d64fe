//! SPDX 2.2/2.3 (JSON, YAML, tag-value) and SPDX 3.0 (JSON-LD) readers, and SPDX 2.3
//! writers.

pub(crate) mod json;
pub(crate) mod rdf;
pub(crate) mod strict;
pub(crate) mod tagvalue;
pub(crate) mod v3;
pub(crate) mod v3write;
pub(crate) mod write;
pub(crate) mod xml;

use crate::model::{
    Component, ComponentKind, ExternalRef, Format, Hash, HashAlg, License, Relationship,
    RelationshipKind, Sbom,
};

/// An SPDX 2 document, whichever serialization it came from.
#[derive(Debug, Default)]
pub(crate) struct Doc {
    pub(crate) spdx_version: Option<String>,
    pub(crate) data_license: Option<String>,
    pub(crate) spdx_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) created: Option<String>,
    pub(crate) creators: Vec<String>,
    pub(crate) describes: Vec<String>,
    pub(crate) packages: Vec<Element>,
    pub(crate) files: Vec<Element>,
    pub(crate) snippets: Vec<Element>,
    /// `(from, type, to)`; a part the document omits is empty.
    pub(crate) relationships: Vec<(String, String, String)>,
    /// Tag-value lines of `relationships` (empty for JSON and YAML).
    pub(crate) relationship_lines: Vec<u32>,
    /// Tag-value lines of document fields, by tag.
    pub(crate) lines: Vec<(&'static str, u32)>,
    /// External document references (`DocumentRef-…` identifiers).
    pub(crate) external_documents: Vec<String>,
    /// Extracted licensing info identifiers (`LicenseRef-…`).
    pub(crate) license_refs: Vec<String>,
    /// What the document holds that the model does not keep, by SPDX field, with counts.
    pub(crate) not_kept: std::collections::BTreeMap<&'static str, usize>,
}

/// A package, file or snippet.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) spdx_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) supplier: Option<String>,
    pub(crate) originator: Option<String>,
    pub(crate) download_location: Option<String>,
    pub(crate) homepage: Option<String>,
    pub(crate) checksums: Vec<(String, String)>,
    pub(crate) license_concluded: Option<String>,
    pub(crate) license_declared: Option<String>,
    pub(crate) copyright: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) purpose: Option<String>,
    /// (category, type, locator)
    pub(crate) external_refs: Vec<(String, String, String)>,
    /// The package comment (where chainwatch keeps what SPDX 2 has no field for).
    pub(crate) comment: Option<String>,
    /// `filesAnalyzed`, as written.
    pub(crate) files_analyzed: Option<String>,
    /// Whether the element came from `fileName` (a file).
    pub(crate) is_file: bool,
    /// Tag-value line where the element starts (0 for JSON and YAML).
    pub(crate) line: u32,
}

/// `NOASSERTION` (and empty) read as absent.
pub(crate) fn assertion(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("NOASSERTION"))
}

/// `Organization: Acme` → `Acme`.
fn party(value: Option<String>) -> Option<String> {
    assertion(value)
        .map(|v| match v.split_once(':') {
            Some((kind, rest)) if matches!(kind.trim(), "Organization" | "Person" | "Tool") => {
                rest.trim().to_owned()
            }
            _ => v,
        })
        .filter(|v| !v.is_empty())
}

/// An SPDX 2 relationship type as a model relationship (direction normalized).
pub(crate) fn relationship(from: String, kind: &str, to: String) -> Relationship {
    use RelationshipKind as K;
    let upper = kind.trim().to_ascii_uppercase().replace('-', "_");
    let (from, to, kind) = match upper.as_str() {
        "DESCRIBES" => (from, to, K::Describes),
        "DESCRIBED_BY" => (to, from, K::Describes),
        "CONTAINS" => (from, to, K::Contains),
        "CONTAINED_BY" => (to, from, K::Contains),
        "DEPENDS_ON" => (from, to, K::DependsOn),
        "DEPENDENCY_OF" => (to, from, K::DependsOn),
        "DEV_DEPENDENCY_OF" => (to, from, K::DevDependsOn),
        "OPTIONAL_DEPENDENCY_OF" => (to, from, K::OptionalDependsOn),
        "BUILD_DEPENDENCY_OF" => (to, from, K::BuildDependsOn),
        "TEST_DEPENDENCY_OF" => (to, from, K::TestDependsOn),
        "PROVIDED_DEPENDENCY_OF" => (to, from, K::ProvidedDependsOn),
        "RUNTIME_DEPENDENCY_OF" => (to, from, K::RuntimeDependsOn),
        "GENERATED_FROM" => (from, to, K::GeneratedFrom),
        "GENERATES" => (to, from, K::GeneratedFrom),
        "VARIANT_OF" => (from, to, K::VariantOf),
        "DESCENDANT_OF" => (from, to, K::DescendantOf),
        "ANCESTOR_OF" => (to, from, K::DescendantOf),
        _ => (from, to, K::Other(upper)),
    };
    Relationship { from, to, kind }
}

/// The SPDX 2 name and direction of a model relationship: `(from, type, to)`.
pub(crate) fn relationship_type(r: &Relationship) -> (&str, String, &str) {
    use RelationshipKind as K;
    match &r.kind {
        K::Describes => (&r.from, "DESCRIBES".into(), &r.to),
        K::Contains => (&r.from, "CONTAINS".into(), &r.to),
        K::DependsOn => (&r.from, "DEPENDS_ON".into(), &r.to),
        K::DevDependsOn => (&r.to, "DEV_DEPENDENCY_OF".into(), &r.from),
        K::OptionalDependsOn => (&r.to, "OPTIONAL_DEPENDENCY_OF".into(), &r.from),
        K::BuildDependsOn => (&r.to, "BUILD_DEPENDENCY_OF".into(), &r.from),
        K::TestDependsOn => (&r.to, "TEST_DEPENDENCY_OF".into(), &r.from),
        K::ProvidedDependsOn => (&r.to, "PROVIDED_DEPENDENCY_OF".into(), &r.from),
        K::RuntimeDependsOn => (&r.to, "RUNTIME_DEPENDENCY_OF".into(), &r.from),
        K::GeneratedFrom => (&r.from, "GENERATED_FROM".into(), &r.to),
        K::VariantOf => (&r.from, "VARIANT_OF".into(), &r.to),
        K::DescendantOf => (&r.from, "DESCENDANT_OF".into(), &r.to),
        K::Other(name) => {
            let upper = name.to_ascii_uppercase().replace('-', "_");
            if SPDX2_RELATIONSHIPS.contains(&upper.as_str()) {
                return (&r.from, upper, &r.to);
            }
            // An SPDX 3 type (read from an SPDX 3 document) as its SPDX 2.3
            // counterpart, else `OTHER`: SPDX 2.3 knows no other names.
            let (reverse, name) = match upper.replace('_', "").as_str() {
                "HASTESTCASE" => (true, "TEST_CASE_OF"),
                "USESTOOL" => (true, "BUILD_TOOL_OF"),
                "HASDISTRIBUTIONARTIFACT" => (false, "DISTRIBUTION_ARTIFACT"),
                "HASDATAFILE" => (true, "DATA_FILE_OF"),
                "HASDOCUMENTATION" => (true, "DOCUMENTATION_OF"),
                "HASOPTIONALCOMPONENT" => (true, "OPTIONAL_COMPONENT_OF"),
                "HASPREREQUISITE" => (false, "HAS_PREREQUISITE"),
                "HASSTATICLINK" => (false, "STATIC_LINK"),
                "HASDYNAMICLINK" => (false, "DYNAMIC_LINK"),
                "HASDEPENDENCYMANIFEST" => (true, "DEPENDENCY_MANIFEST_OF"),
                "HASEXAMPLE" => (true, "EXAMPLE_OF"),
                "HASVARIANT" => (true, "VARIANT_OF"),
                "HASADDEDFILE" => (true, "FILE_ADDED"),
                "HASDELETEDFILE" => (true, "FILE_DELETED"),
                "MODIFIEDBY" => (true, "FILE_MODIFIED"),
                "EXPANDSTO" => (true, "EXPANDED_FROM_ARCHIVE"),
                "PATCHEDBY" => (true, "PATCH_FOR"),
                "COPIEDTO" => (true, "COPY_OF"),
                "AMENDEDBY" => (true, "AMENDS"),
                "HASSPECIFICATION" => (true, "SPECIFICATION_FOR"),
                "HASREQUIREMENT" => (true, "REQUIREMENT_DESCRIPTION_FOR"),
                "DEPENDSON" => (false, "DEPENDS_ON"),
                "HASPROVIDEDDEPENDENCY" => (true, "PROVIDED_DEPENDENCY_OF"),
                "HASOPTIONALDEPENDENCY" => (true, "OPTIONAL_DEPENDENCY_OF"),
                "DESCENDANTOF" => (false, "DESCENDANT_OF"),
                "ANCESTOROF" => (false, "ANCESTOR_OF"),
                "GENERATES" => (false, "GENERATES"),
                _ => (false, "OTHER"),
            };
            if reverse {
                (&r.to, name.to_owned(), &r.from)
            } else {
                (&r.from, name.to_owned(), &r.to)
            }
        }
    }
}

/// The relationship types of SPDX 2.3 (§11.1).
pub(crate) const SPDX2_RELATIONSHIPS: &[&str] = &[
    "DESCRIBES",
    "DESCRIBED_BY",
    "CONTAINS",
    "CONTAINED_BY",
    "DEPENDS_ON",
    "DEPENDENCY_OF",
    "DEPENDENCY_MANIFEST_OF",
    "BUILD_DEPENDENCY_OF",
    "DEV_DEPENDENCY_OF",
    "OPTIONAL_DEPENDENCY_OF",
    "PROVIDED_DEPENDENCY_OF",
    "TEST_DEPENDENCY_OF",
    "RUNTIME_DEPENDENCY_OF",
    "EXAMPLE_OF",
    "GENERATES",
    "GENERATED_FROM",
    "ANCESTOR_OF",
    "DESCENDANT_OF",
    "VARIANT_OF",
    "DISTRIBUTION_ARTIFACT",
    "PATCH_FOR",
    "PATCH_APPLIED",
    "COPY_OF",
    "FILE_ADDED",
    "FILE_DELETED",
    "FILE_MODIFIED",
    "EXPANDED_FROM_ARCHIVE",
    "DYNAMIC_LINK",
    "STATIC_LINK",
    "DATA_FILE_OF",
    "TEST_CASE_OF",
    "BUILD_TOOL_OF",
    "DEV_TOOL_OF",
    "TEST_OF",
    "TEST_TOOL_OF",
    "DOCUMENTATION_OF",
    "OPTIONAL_COMPONENT_OF",
    "METAFILE_OF",
    "PACKAGE_OF",
    "AMENDS",
    "PREREQUISITE_FOR",
    "HAS_PREREQUISITE",
    "REQUIREMENT_DESCRIPTION_FOR",
    "SPECIFICATION_FOR",
    "OTHER",
];

/// The prefix of identifiers chainwatch gives elements that have no `SPDXID`.
pub(crate) const GENERATED_ID_PREFIX: &str = "SPDXRef-chainwatch-";

/// What chainwatch's notes in an element's comment (`CycloneDX type: …`, see
/// [`write::NOTES`]) restore: what SPDX has no field for.
#[derive(Default)]
pub(crate) struct Notes {
    pub(crate) kind: Option<ComponentKind>,
    pub(crate) group: Option<String>,
    pub(crate) hashes: Vec<Hash>,
    pub(crate) properties: Vec<crate::model::Property>,
    pub(crate) model_card: Option<Box<crate::ModelCard>>,
}

impl Notes {
    pub(crate) fn parse(comment: &str) -> Notes {
        let mut notes = Notes::default();
        for line in comment.lines() {
            if let Some(t) = line.strip_prefix(write::TYPE_NOTE) {
                notes.kind = Some(ComponentKind::from_name(t.trim()));
            } else if let Some(g) = line.strip_prefix(write::GROUP_NOTE) {
                notes.group = Some(g.trim().to_owned());
            } else if let Some((alg, value)) = line
                .strip_prefix(write::HASH_NOTE)
                .and_then(|h| h.split_once(' '))
            {
                notes.hashes.push(Hash {
                    alg: HashAlg::from_name(alg),
                    value: value.trim().to_owned(),
                });
            } else if let Some(Ok((name, value))) = line
                .strip_prefix(write::PROPERTY_NOTE)
                .map(serde_json::from_str::<(String, String)>)
            {
                notes
                    .properties
                    .push(crate::model::Property { name, value });
            } else if let Some(Ok(card)) = line
                .strip_prefix(write::MODEL_CARD_NOTE)
                .map(serde_json::from_str::<serde_json::Value>)
            {
                notes.model_card = crate::cyclonedx::modelcard::from_json(&card).map(Box::new);
            }
        }
        notes
    }

    /// Whether a comment holds more than chainwatch's notes.
    pub(crate) fn other_text(comment: &str) -> bool {
        comment
            .lines()
            .any(|l| !write::NOTES.iter().any(|n| l.starts_with(n)))
    }
}

fn component(e: Element, default_kind: ComponentKind, n: &mut usize) -> Component {
    let id = e.spdx_id.clone().unwrap_or_else(|| {
        *n += 1;
        format!("{GENERATED_ID_PREFIX}{n}")
    });
    let mut kind = e
        .purpose
        .as_deref()
        .map_or(default_kind, ComponentKind::from_name);
    let notes = Notes::parse(e.comment.as_deref().unwrap_or_default());
    if let Some(k) = notes.kind {
        kind = k;
    }
    let mut c = Component::new(id, kind, e.name.unwrap_or_default());
    c.group = notes.group;
    c.model_card = notes.model_card;
    c.properties = notes.properties;
    c.version = assertion(e.version);
    c.supplier = party(e.supplier);
    c.author = party(e.originator);
    c.download_location = assertion(e.download_location);
    c.description = e.description;
    c.copyright = assertion(e.copyright);
    c.hashes = e
        .checksums
        .into_iter()
        .map(|(alg, value)| Hash {
            alg: HashAlg::from_name(&alg),
            value,
        })
        .chain(notes.hashes)
        .collect();
    c.hashes.shrink_to_fit();
    c.license_concluded = assertion(e.license_concluded);
    if let Some(declared) = assertion(e.license_declared) {
        c.licenses.push(License::Expression(declared));
    }
    if let Some(home) = assertion(e.homepage) {
        c.external_refs.push(ExternalRef {
            kind: "website".to_owned(),
            url: home,
        });
    }
    for (category, ty, locator) in e.external_refs {
        let ty_lower = ty.to_ascii_lowercase();
        if ty_lower == "purl" && c.purl.is_none() {
            c.purl = Some(locator);
        } else if ty_lower == "unparsed-purl" && c.purl.is_none() {
            // What chainwatch writes for a purl that does not parse (white space encoded).
            c.purl = Some(locator.replace("%20", " "));
        } else if ty_lower.starts_with("cpe") {
            c.cpes.push(locator);
        } else if category.eq_ignore_ascii_case("other")
            && crate::model::REFERENCE_TYPES.contains(&ty_lower.as_str())
        {
            // `OTHER vcs …`: a CycloneDX reference type (as chainwatch writes them).
            c.external_refs.push(ExternalRef {
                kind: ty_lower,
                url: locator,
            });
        } else {
            c.external_refs.push(ExternalRef {
                kind: format!("{}/{ty}", category.to_ascii_lowercase().replace('_', "-")),
                url: locator,
            });
        }
    }
    c
}

impl Doc {
    pub(crate) fn into_sbom(self, format: Format) -> Sbom {
        let mut sbom = Sbom::new(format, self.spdx_version.unwrap_or_default());
        sbom.not_kept = self.not_kept;
        sbom.name = self.name;
        sbom.serial = self.namespace;
        sbom.data_license = self.data_license;
        sbom.created = self.created;
        for creator in &self.creators {
            match creator.split_once(':') {
                Some(("Tool", t)) => sbom.tools.push(t.trim().to_owned()),
                Some((kind, who)) => {
                    if kind.trim() == "Person" {
                        sbom.persons.insert(who.trim().to_owned());
                    }
                    sbom.authors.push(who.trim().to_owned());
                }
                None => sbom.authors.push(creator.clone()),
            }
        }
        // Suppliers and originators that are people (the model keeps the name only).
        for e in self.packages.iter().chain(&self.files) {
            for party in [&e.supplier, &e.originator].into_iter().flatten() {
                if let Some((kind, who)) = party.split_once(':')
                    && kind.trim() == "Person"
                    && !who.trim().is_empty()
                {
                    sbom.persons.insert(who.trim().to_owned());
                }
            }
        }
        let doc_id = self
            .spdx_id
            .unwrap_or_else(|| "SPDXRef-DOCUMENT".to_owned());
        let mut generated = 0;
        for p in self.packages {
            sbom.components
                .push(component(p, ComponentKind::Library, &mut generated));
        }
        for f in self.files {
            sbom.components
                .push(component(f, ComponentKind::File, &mut generated));
        }
        for s in self.snippets {
            sbom.components
                .push(component(s, ComponentKind::Snippet, &mut generated));
        }
        let mut described: Vec<String> = self.describes;
        for (from, kind, to) in self.relationships {
            if from.is_empty() || kind.is_empty() || to.is_empty() {
                continue;
            }
            let r = relationship(from, &kind, to);
            if r.kind == RelationshipKind::Describes
                && r.from == doc_id
                && !described.contains(&r.to)
            {
                described.push(r.to.clone());
            }
            sbom.relationships.push(r);
        }
        for d in &described {
            let exists = sbom
                .relationships
                .iter()
                .any(|r| r.kind == RelationshipKind::Describes && r.to == *d);
            if !exists {
                sbom.relationships.push(Relationship {
                    from: doc_id.clone(),
                    to: d.clone(),
                    kind: RelationshipKind::Describes,
                });
            }
        }
        // The subject: the first described package (files are described too, sometimes).
        sbom.subject = described
            .iter()
            .find(|d| {
                sbom.components
                    .iter()
                    .any(|c| &c.id == *d && c.kind.is_package())
            })
            .or(described.first())
            .cloned();
        sbom
    }
}
