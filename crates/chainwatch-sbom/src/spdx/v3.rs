//! SPDX 3.0 JSON-LD: the `@graph` of elements, read by type.
//!
//! Packages, files, snippets, AI packages (components of type machine-learning-model)
//! and dataset packages (data) become components; `Relationship` and
//! `LifecycleScopedRelationship` elements become relationships, except license
//! relationships, which attach `simplelicensing_LicenseExpression` elements to components
//! as declared or concluded licenses; `SpdxDocument` and `software_Sbom` give the subject
//! (their `rootElement`); `CreationInfo` and agents give creation time, authors and tools.

use std::collections::HashMap;

use serde::Deserialize;

use crate::lenient::{Count, Seq, Text};
use crate::model::{
    Component, ComponentKind, ExternalRef, Format, Hash, HashAlg, License, Relationship,
    RelationshipKind, Sbom,
};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Document {
    #[serde(rename = "@graph")]
    graph: Seq<Element>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Ident {
    #[serde(rename = "externalIdentifierType")]
    kind: Text,
    identifier: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IntegrityMethod {
    algorithm: Text,
    #[serde(rename = "hashValue")]
    value: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExtRef {
    #[serde(rename = "externalRefType")]
    kind: Text,
    locator: Seq<Text>,
    /// What an `other` reference is (chainwatch writes the CycloneDX type here).
    comment: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DictionaryEntry {
    key: Text,
    value: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(clippy::struct_field_names)] // the names mirror the JSON-LD keys
struct Element {
    #[serde(rename = "type", alias = "@type")]
    ty: Text,
    #[serde(rename = "spdxId", alias = "@id")]
    id: Text,
    name: Text,
    description: Text,
    summary: Text,
    #[serde(rename = "software_packageVersion")]
    version: Text,
    #[serde(rename = "software_packageUrl")]
    purl: Text,
    #[serde(rename = "software_downloadLocation")]
    download_location: Text,
    #[serde(rename = "software_homePage")]
    home_page: Text,
    #[serde(rename = "software_primaryPurpose")]
    purpose: Text,
    #[serde(rename = "software_copyrightText")]
    copyright: Text,
    #[serde(rename = "suppliedBy")]
    supplied_by: Text,
    #[serde(rename = "originatedBy")]
    originated_by: Seq<Text>,
    #[serde(rename = "externalIdentifier")]
    external_identifier: Seq<Ident>,
    #[serde(rename = "externalRef")]
    external_ref: Seq<ExtRef>,
    #[serde(rename = "verifiedUsing")]
    verified_using: Seq<IntegrityMethod>,
    // Relationships.
    from: Text,
    to: Seq<Text>,
    #[serde(rename = "relationshipType")]
    relationship_type: Text,
    scope: Text,
    // Documents and BOMs.
    #[serde(rename = "rootElement")]
    root_element: Seq<Text>,
    // CreationInfo (at the top level of the graph, or inline).
    #[serde(rename = "creationInfo")]
    creation_info: Option<serde_json::Value>,
    created: Text,
    #[serde(rename = "createdBy")]
    created_by: Seq<Text>,
    #[serde(rename = "createdUsing")]
    created_using: Seq<Text>,
    #[serde(rename = "specVersion")]
    spec_version: Text,
    // License expressions.
    #[serde(rename = "simplelicensing_licenseExpression")]
    license_expression: Text,
    // The AI profile.
    #[serde(rename = "ai_typeOfModel")]
    type_of_model: Seq<Text>,
    #[serde(rename = "ai_domain")]
    domain: Seq<Text>,
    #[serde(rename = "ai_metric")]
    metric: Seq<DictionaryEntry>,
    #[serde(rename = "ai_hyperparameter")]
    hyperparameter: Seq<DictionaryEntry>,
    #[serde(rename = "ai_limitation")]
    limitation: Text,
    #[serde(rename = "ai_informationAboutApplication")]
    about_application: Text,
    /// chainwatch's notes (what SPDX has no field for) and any other comment.
    comment: Text,
    // Read only to count what the model does not keep.
    #[serde(rename = "software_attributionText")]
    attribution_text: Count,
    #[serde(rename = "software_sourceInfo")]
    source_info: Count,
    #[serde(rename = "releaseTime")]
    release_time: Count,
    #[serde(rename = "builtTime")]
    built_time: Count,
    #[serde(rename = "validUntilTime")]
    valid_until_time: Count,
}

impl Element {
    /// Adds what the model has no place for in this element to the counts of what is not
    /// kept (named as the SPDX 2 readers name them, where SPDX 2 has the field).
    fn unkept(&self, into: &mut std::collections::BTreeMap<&'static str, usize>) {
        if self.comment.get().is_some_and(super::Notes::other_text) {
            *into.entry("comments").or_default() += 1;
        }
        for (field, n) in [
            ("attributionTexts", self.attribution_text),
            ("sourceInfo", self.source_info),
            ("releaseDate", self.release_time),
            ("builtDate", self.built_time),
            ("validUntilDate", self.valid_until_time),
        ] {
            n.add_to(into, field);
        }
    }
}

/// Element types the reader uses for something other than a component.
fn supporting(ty: &str) -> bool {
    matches!(
        ty,
        "Person" | "Organization" | "Agent" | "SoftwareAgent" | "Tool" | "CreationInfo"
    ) || ty.ends_with("LicenseExpression")
        || ty.ends_with("ListedLicense")
        || ty.ends_with("CustomLicense")
}

fn kind_of(ty: &str, purpose: Option<&str>) -> Option<ComponentKind> {
    let base = match ty {
        "software_Package" | "Package" => {
            purpose.map_or(ComponentKind::Library, ComponentKind::from_name)
        }
        "software_File" | "File" => ComponentKind::File,
        "software_Snippet" | "Snippet" => ComponentKind::Snippet,
        "ai_AIPackage" | "AIPackage" => ComponentKind::MachineLearningModel,
        "dataset_DatasetPackage" | "DatasetPackage" | "dataset_Dataset" => ComponentKind::Data,
        _ => return None,
    };
    Some(base)
}

/// `(created, createdBy, createdUsing, specVersion)` of one creation information.
type CreationInfo = (Option<String>, Vec<String>, Vec<String>, Option<String>);

pub(crate) fn read(text: &str) -> Result<Sbom, serde_json::Error> {
    let doc: Document = serde_json::from_str(text)?;
    let elements = doc.graph.0;
    let mut sbom = Sbom::new(Format::Spdx3JsonLd, String::new());
    let mut agents: HashMap<String, String> = HashMap::new();
    // Agents that are software: in `createdBy` they are tools, not authors.
    let mut software: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut expressions: HashMap<String, String> = HashMap::new();
    for e in &elements {
        let ty = e.ty.get().unwrap_or_default();
        if matches!(
            ty,
            "Person" | "Organization" | "Agent" | "SoftwareAgent" | "Tool"
        ) && let (Some(id), Some(name)) = (e.id.owned(), e.name.owned())
        {
            if matches!(ty, "SoftwareAgent" | "Tool") {
                software.insert(id.clone());
            }
            agents.insert(id, name);
        }
        if ty.ends_with("LicenseExpression")
            && let (Some(id), Some(expr)) = (e.id.owned(), e.license_expression.owned())
        {
            expressions.insert(id, expr);
        }
        if (ty.ends_with("ListedLicense") || ty.ends_with("CustomLicense"))
            && let (Some(id), Some(name)) = (e.id.owned(), e.name.owned())
        {
            expressions.insert(id, name);
        }
    }
    let agent_name = |id: &str| agents.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut roots: Vec<String> = Vec::new();
    let mut license_links: Vec<(String, String, bool)> = Vec::new();
    // `trainedOn`: (model, dataset), the datasets of a model's card.
    let mut dataset_links: Vec<(String, String)> = Vec::new();
    let mut generated = 0usize;
    for e in &elements {
        let ty = e.ty.get().unwrap_or_default();
        // Creation information: standalone, or inline in any element.
        let mut infos: Vec<CreationInfo> = Vec::new();
        if ty == "CreationInfo" {
            infos.push((
                e.created.owned(),
                e.created_by.iter().filter_map(Text::owned).collect(),
                e.created_using.iter().filter_map(Text::owned).collect(),
                e.spec_version.owned(),
            ));
        }
        if let Some(serde_json::Value::Object(o)) = &e.creation_info {
            let strs = |k: &str| -> Vec<String> {
                o.get(k)
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            infos.push((
                o.get("created").and_then(|v| v.as_str()).map(str::to_owned),
                strs("createdBy"),
                strs("createdUsing"),
                o.get("specVersion")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            ));
        }
        for (created, by, using, spec) in infos {
            if sbom.created.is_none() {
                sbom.created = created;
            }
            if sbom.spec_version.is_empty()
                && let Some(s) = spec
            {
                sbom.spec_version = s;
            }
            for a in by {
                let n = agent_name(&a);
                let list = if software.contains(&a) {
                    &mut sbom.tools
                } else {
                    &mut sbom.authors
                };
                if !list.contains(&n) {
                    list.push(n);
                }
            }
            for t in using {
                let n = agent_name(&t);
                if !sbom.tools.contains(&n) {
                    sbom.tools.push(n);
                }
            }
        }
        match ty {
            "SpdxDocument" => {
                sbom.serial = sbom.serial.take().or_else(|| e.id.owned());
                sbom.name = sbom.name.take().or_else(|| e.name.owned());
                roots.extend(e.root_element.iter().filter_map(Text::owned));
            }
            "software_Sbom" | "Bom" | "Bundle" => {
                roots.extend(e.root_element.iter().filter_map(Text::owned));
            }
            "Relationship" | "LifecycleScopedRelationship" => {
                let (Some(from), Some(kind)) = (e.from.owned(), e.relationship_type.get()) else {
                    continue;
                };
                for to in e.to.iter().filter_map(Text::owned) {
                    match kind {
                        "hasDeclaredLicense" => license_links.push((from.clone(), to, false)),
                        "hasConcludedLicense" => license_links.push((from.clone(), to, true)),
                        "trainedOn" => dataset_links.push((from.clone(), to)),
                        _ => sbom.relationships.push(relationship(
                            from.clone(),
                            kind,
                            e.scope.get(),
                            to,
                        )),
                    }
                }
            }
            _ => {
                let Some(kind) = kind_of(ty, e.purpose.get()) else {
                    if !supporting(ty) {
                        let field = match ty {
                            "Annotation" => "annotations",
                            t if t.starts_with("security_") => {
                                "security elements (vulnerabilities, assessments)"
                            }
                            "build_Build" => "builds",
                            _ => "other elements",
                        };
                        *sbom.not_kept.entry(field).or_default() += 1;
                    }
                    continue;
                };
                e.unkept(&mut sbom.not_kept);
                // An element without `spdxId` (a blank node) is still a component.
                let id = e.id.owned().unwrap_or_else(|| {
                    generated += 1;
                    format!("{}{generated}", crate::spdx::GENERATED_ID_PREFIX)
                });
                let mut c = Component::new(id, kind, e.name.owned().unwrap_or_default());
                c.version = e.version.owned();
                c.purl = e.purl.owned();
                c.description = e.description.owned().or_else(|| e.summary.owned());
                c.copyright = e.copyright.owned();
                c.download_location = e.download_location.owned();
                c.supplier = e.supplied_by.get().map(&agent_name);
                c.author = e
                    .originated_by
                    .iter()
                    .find_map(|a| a.get().map(&agent_name));
                for ident in e.external_identifier.iter() {
                    let (Some(k), Some(v)) = (ident.kind.get(), ident.identifier.owned()) else {
                        continue;
                    };
                    match k {
                        "packageUrl" | "purl" if c.purl.is_none() => c.purl = Some(v),
                        "cpe22" | "cpe23" => c.cpes.push(v),
                        other => c.external_refs.push(ExternalRef {
                            kind: other.to_owned(),
                            url: v,
                        }),
                    }
                }
                for r in e.external_ref.iter() {
                    let kind = match (r.kind.get(), r.comment.get()) {
                        // A CycloneDX reference type chainwatch noted.
                        (Some("other"), Some(c)) if crate::model::REFERENCE_TYPES.contains(&c) => {
                            c.to_owned()
                        }
                        (k, _) => k.unwrap_or_default().to_owned(),
                    };
                    for loc in r.locator.iter().filter_map(Text::owned) {
                        c.external_refs.push(ExternalRef {
                            kind: kind.clone(),
                            url: loc,
                        });
                    }
                }
                if c.kind == ComponentKind::MachineLearningModel {
                    c.model_card = model_card(e).map(Box::new);
                }
                // What chainwatch noted of a component SPDX has no field for.
                let notes = super::Notes::parse(e.comment.get().unwrap_or_default());
                if let Some(k) = notes.kind {
                    c.kind = k;
                }
                c.group = notes.group;
                c.properties = notes.properties;
                c.hashes.extend(notes.hashes);
                if notes.model_card.is_some() {
                    c.model_card = notes.model_card;
                }
                if let Some(home) = e.home_page.owned() {
                    c.external_refs.push(ExternalRef {
                        kind: "website".to_owned(),
                        url: home,
                    });
                }
                c.hashes = e
                    .verified_using
                    .iter()
                    .filter_map(|h| {
                        Some(Hash {
                            alg: HashAlg::from_name(h.algorithm.get()?),
                            value: h.value.owned()?,
                        })
                    })
                    .collect();
                sbom.components.push(c);
            }
        }
    }
    for (from, to, concluded) in license_links {
        let expr = expressions.get(&to).cloned().unwrap_or(to);
        // `NOASSERTION` and `NONE` say nothing of a licence.
        let Some(expr) = super::assertion(Some(expr)).filter(|e| !e.eq_ignore_ascii_case("NONE"))
        else {
            continue;
        };
        // A custom licence element named by its IRI: a `LicenseRef-` of its last segment.
        let expr = if expr.contains("://") || expr.starts_with("_:") {
            let tail = expr
                .rsplit(['/', '#', ':'])
                .find(|s| !s.is_empty())
                .unwrap_or("custom");
            crate::model::license_ref(tail)
        } else {
            expr
        };
        if let Some(c) = sbom.components.iter_mut().find(|c| c.id == from) {
            if concluded {
                c.license_concluded = Some(expr);
            } else {
                c.licenses.push(License::Expression(expr));
            }
        }
    }
    // A model's training data is part of its card; what else is trained on something (a
    // model file) keeps the relationship.
    for (model, dataset) in dataset_links {
        match sbom
            .components
            .iter_mut()
            .find(|c| c.id == model && c.kind == ComponentKind::MachineLearningModel)
        {
            Some(c) => {
                let card = c.model_card.get_or_insert_with(Box::default);
                let r = crate::model_card::ModelDataset::Ref(dataset);
                if !card.datasets.contains(&r) {
                    card.datasets.push(r);
                }
            }
            None => sbom.relationships.push(Relationship {
                from: model,
                to: dataset,
                kind: RelationshipKind::Other("trainedOn".to_owned()),
            }),
        }
    }
    // The subject: the first root that is a component, looking through BOM roots.
    sbom.subject = roots
        .iter()
        .find(|r| sbom.components.iter().any(|c| &c.id == *r))
        .cloned();
    if sbom.subject.is_none() {
        // A document whose root is an `software_Sbom`: its root is the subject.
        sbom.subject = sbom
            .relationships
            .iter()
            .find(|r| r.kind == RelationshipKind::Describes)
            .map(|r| r.to.clone());
    }
    Ok(sbom)
}

fn relationship(from: String, kind: &str, scope: Option<&str>, to: String) -> Relationship {
    use RelationshipKind as K;
    let (from, to, kind) = match kind {
        "describes" => (from, to, K::Describes),
        "contains" => (from, to, K::Contains),
        "dependsOn" | "hasStaticLink" | "hasDynamicLink" => {
            let k = match scope {
                Some("development") => K::DevDependsOn,
                Some("build") => K::BuildDependsOn,
                Some("test") => K::TestDependsOn,
                Some("runtime") => K::RuntimeDependsOn,
                _ => K::DependsOn,
            };
            (from, to, k)
        }
        "hasOptionalDependency" => (from, to, K::OptionalDependsOn),
        "hasProvidedDependency" => (from, to, K::ProvidedDependsOn),
        "generates" => (to, from, K::GeneratedFrom),
        "ancestorOf" => (to, from, K::DescendantOf),
        "descendantOf" => (from, to, K::DescendantOf),
        "variantOf" => (from, to, K::VariantOf),
        "hasVariant" => (to, from, K::VariantOf),
        other => (from, to, K::Other(other.to_owned())),
    };
    Relationship { from, to, kind }
}

/// What an `ai_AIPackage` says of the model (the fields chainwatch's writer fills, and
/// hyperparameters as `hyperparameter:KEY` properties); `None` when it says nothing.
fn model_card(e: &Element) -> Option<crate::ModelCard> {
    use crate::model_card::{Metric, ModelCard};
    let mut card = ModelCard::default();
    // The approach is told from the architecture by name; of the rest, the first of two
    // or more is the family (as chainwatch writes them).
    let mut rest: Vec<String> = Vec::new();
    for t in e.type_of_model.iter().filter_map(Text::owned) {
        let approach = super::v3write::APPROACHES
            .iter()
            .find(|a| a.eq_ignore_ascii_case(&t));
        match approach {
            Some(a) if card.approach.is_none() => card.approach = Some((*a).to_owned()),
            _ => rest.push(t),
        }
    }
    if rest.len() >= 2 {
        card.architecture_family = Some(rest.remove(0));
    }
    if !rest.is_empty() {
        card.model_architecture = Some(rest.join(", "));
    }
    let domains: Vec<String> = e.domain.iter().filter_map(Text::owned).collect();
    if !domains.is_empty() {
        card.task = Some(domains.join(", "));
    }
    for m in e.metric.iter() {
        let Some(key) = m.key.owned() else { continue };
        let (kind, slice) = match key.strip_suffix(']').and_then(|k| k.split_once(" [")) {
            Some((k, s)) => (k.to_owned(), Some(s.to_owned())),
            None => (key, None),
        };
        card.metrics.push(Metric {
            kind: Some(kind),
            value: m.value.owned(),
            slice,
            lower_bound: None,
            upper_bound: None,
        });
    }
    let lines = |t: &Text| -> Vec<String> {
        t.get()
            .map(|s| {
                s.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    card.limitations = lines(&e.limitation);
    card.use_cases = lines(&e.about_application);
    for h in e.hyperparameter.iter() {
        if let Some(k) = h.key.get() {
            card.properties.push(crate::model::Property {
                name: format!("hyperparameter:{k}"),
                value: h.value.owned().unwrap_or_default(),
            });
        }
    }
    (!card.is_empty()).then_some(card)
}
