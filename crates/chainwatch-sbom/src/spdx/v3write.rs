//! SPDX 3.0.1 JSON-LD: the model written as one `@graph` with the Core, Software,
//! `SimpleLicensing`, AI and Dataset profiles.
//!
//! Every element shares one `CreationInfo` (a blank node). Components are
//! `software_Package` (a purpose for the kind), `software_File`, `ai_AIPackage` (models,
//! with what their card says in the `ai_*` fields) and `dataset_DatasetPackage` (data);
//! licences are `simplelicensing_LicenseExpression` elements linked by
//! `hasDeclaredLicense`/`hasConcludedLicense`; a model's datasets are `trainedOn`
//! relationships. Identifiers are IRIs: a component's own when it is one, else
//! `NAMESPACE#SPDXRef-…`. What SPDX 3 has no field for (CycloneDX properties, groups,
//! kinds it has no purpose for, hashes it has no algorithm for, the whole model card) is
//! noted in the element's `comment` as the SPDX 2 writer notes it, for chainwatch's readers
//! to restore; other tools see the standard fields.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::model::{Component, ComponentKind, HashAlg, RelationshipKind, Sbom};
use crate::model_card::{ModelCard, ModelDataset};

/// The learning approaches CycloneDX names; in `ai_typeOfModel` they are told from the
/// architecture by these names.
pub(crate) const APPROACHES: &[&str] = &[
    "supervised",
    "unsupervised",
    "reinforcement-learning",
    "semi-supervised",
    "self-supervised",
];

const CREATION_INFO: &str = "_:creationinfo";

/// The SPDX 3 hash algorithm name.
fn algorithm(alg: &HashAlg) -> Option<&'static str> {
    Some(match alg {
        HashAlg::Md2 => "md2",
        HashAlg::Md4 => "md4",
        HashAlg::Md5 => "md5",
        HashAlg::Md6 => "md6",
        HashAlg::Sha1 => "sha1",
        HashAlg::Sha224 => "sha224",
        HashAlg::Sha256 => "sha256",
        HashAlg::Sha384 => "sha384",
        HashAlg::Sha512 => "sha512",
        HashAlg::Sha3_256 => "sha3_256",
        HashAlg::Sha3_384 => "sha3_384",
        HashAlg::Sha3_512 => "sha3_512",
        HashAlg::Blake2b256 => "blake2b256",
        HashAlg::Blake2b384 => "blake2b384",
        HashAlg::Blake2b512 => "blake2b512",
        HashAlg::Blake3 => "blake3",
        HashAlg::Adler32 => "adler32",
        HashAlg::Streebog256 | HashAlg::Streebog512 | HashAlg::Other(_) => return None,
    })
}

/// `software_primaryPurpose` of a package's kind.
fn purpose(kind: &ComponentKind) -> &'static str {
    match kind {
        ComponentKind::Application => "application",
        ComponentKind::Framework => "framework",
        ComponentKind::Library => "library",
        ComponentKind::Container => "container",
        ComponentKind::Platform => "platform",
        ComponentKind::OperatingSystem => "operatingSystem",
        ComponentKind::Device => "device",
        ComponentKind::DeviceDriver => "deviceDriver",
        ComponentKind::Firmware => "firmware",
        ComponentKind::File => "file",
        ComponentKind::MachineLearningModel => "model",
        ComponentKind::Data => "data",
        ComponentKind::Other(o) => match o.as_str() {
            "archive" => "archive",
            "install" => "install",
            "source" => "source",
            "executable" => "executable",
            "module" => "module",
            "documentation" => "documentation",
            "configuration" => "configuration",
            "manifest" => "manifest",
            _ => "other",
        },
        ComponentKind::CryptographicAsset | ComponentKind::Service | ComponentKind::Snippet => {
            "other"
        }
    }
}

/// `externalRefType` of a CycloneDX reference type or an SPDX 2 reference type.
fn ref_type(kind: &str) -> &'static str {
    match kind {
        "vcs" => "vcs",
        "issue-tracker" | "issueTracker" => "issueTracker",
        "website" | "altWebPage" => "altWebPage",
        "advisories" | "securityAdvisory" => "securityAdvisory",
        "mailing-list" | "mailingList" => "mailingList",
        "social" | "socialMedia" => "socialMedia",
        "chat" => "chat",
        "documentation" => "documentation",
        "support" => "support",
        "source-distribution" | "sourceArtifact" => "sourceArtifact",
        "distribution" | "altDownloadLocation" => "altDownloadLocation",
        "license" => "license",
        "build-meta" | "buildMeta" => "buildMeta",
        "build-system" | "buildSystem" => "buildSystem",
        "release-notes" | "releaseNotes" => "releaseNotes",
        "security-contact" | "securityOther" => "securityOther",
        "vulnerability-assertion" | "exploitability-statement" => {
            "vulnerabilityExploitabilityAssessment"
        }
        "pentest-report" => "securityPenTestReport",
        "static-analysis-report" => "staticAnalysisReport",
        "dynamic-analysis-report" => "dynamicAnalysisReport",
        "runtime-analysis-report" => "runtimeAnalysisReport",
        "component-analysis-report" => "componentAnalysisReport",
        "threat-model" => "securityThreatModel",
        "adversary-model" => "securityAdversaryModel",
        "risk-assessment" => "riskAssessment",
        "quality-metrics" => "qualityAssessmentReport",
        "certification-report" => "certificationReport",
        "eol" => "eolNotice",
        "bom" => "productMetadata",
        _ => "other",
    }
}

/// The `relationshipType` (and lifecycle scope) of a model relationship, and whether it
/// runs the other way.
fn relationship_type(kind: &RelationshipKind) -> Option<(&str, Option<&'static str>, bool)> {
    use RelationshipKind as K;
    Some(match kind {
        K::DependsOn => ("dependsOn", None, false),
        K::DevDependsOn => ("dependsOn", Some("development"), false),
        K::BuildDependsOn => ("dependsOn", Some("build"), false),
        K::TestDependsOn => ("dependsOn", Some("test"), false),
        K::RuntimeDependsOn => ("dependsOn", Some("runtime"), false),
        K::OptionalDependsOn => ("hasOptionalDependency", None, false),
        K::ProvidedDependsOn => ("hasProvidedDependency", None, false),
        K::Contains => ("contains", None, false),
        // The document's roots say what it describes.
        K::Describes => return None,
        K::GeneratedFrom => ("generates", None, true),
        K::VariantOf => ("hasVariant", None, true),
        K::DescendantOf => ("descendantOf", None, false),
        K::Other(name) => (
            if RELATIONSHIP_TYPES.contains(&name.as_str()) {
                name.as_str()
            } else {
                "other"
            },
            None,
            false,
        ),
    })
}

/// SPDX 3.0.1 relationship types a model relationship named otherwise may carry as is.
const RELATIONSHIP_TYPES: &[&str] = &[
    "affects",
    "amendedBy",
    "ancestorOf",
    "availableFrom",
    "configures",
    "coordinatedBy",
    "copiedTo",
    "delegatedTo",
    "expandsTo",
    "hasAddedFile",
    "hasAssociatedVulnerability",
    "hasDataFile",
    "hasDeletedFile",
    "hasDependencyManifest",
    "hasDistributionArtifact",
    "hasDocumentation",
    "hasDynamicLink",
    "hasEvidence",
    "hasExample",
    "hasHost",
    "hasInput",
    "hasMetadata",
    "hasOptionalComponent",
    "hasOutput",
    "hasPrerequisite",
    "hasRequirement",
    "hasSpecification",
    "hasStaticLink",
    "hasTest",
    "hasTestCase",
    "invokedBy",
    "modifiedBy",
    "packagedBy",
    "patchedBy",
    "publishedBy",
    "reportedBy",
    "republishedBy",
    "serializedInArtifact",
    "testedOn",
    "trainedOn",
    "usesTool",
];

/// Whether an identifier is already an IRI SPDX 3 can use as an `spdxId`.
fn is_iri(id: &str) -> bool {
    (id.contains("://") || id.starts_with("urn:"))
        && !id.contains(|c: char| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

struct Ids {
    base: String,
    by_component: HashMap<String, String>,
}

impl Ids {
    fn new(sbom: &Sbom) -> Ids {
        // The document's own namespace when it has one (an SPDX 2 namespace, an SPDX 3
        // document IRI: its part before `#`).
        let base = sbom
            .serial
            .as_deref()
            .filter(|s| is_iri(s) && s.contains("://"))
            .and_then(|s| s.split('#').next())
            .filter(|s| !s.is_empty())
            .map_or_else(
                || {
                    let tail = sbom
                        .serial
                        .as_deref()
                        .map(|s| s.trim_start_matches("urn:uuid:"))
                        .filter(|s| {
                            !s.is_empty()
                                && s.bytes()
                                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                        })
                        .unwrap_or("document");
                    format!("https://spdx.org/spdxdocs/chainwatch-{tail}")
                },
                str::to_owned,
            );
        let spdx2 = super::write::spdx_ids(sbom);
        // Components whose identifiers are IRIs keep them; the others are named in the
        // namespace, never as one of those (every `spdxId` is unique).
        let mut used: std::collections::HashSet<String> = sbom
            .components
            .iter()
            .filter(|c| is_iri(&c.id))
            .map(|c| c.id.clone())
            .collect();
        let mut by_component = HashMap::with_capacity(sbom.components.len());
        for c in &sbom.components {
            if by_component.contains_key(&c.id) {
                continue;
            }
            let iri = if is_iri(&c.id) {
                c.id.clone()
            } else {
                let local = spdx2.get(&c.id).map_or("SPDXRef-x", String::as_str);
                let mut iri = format!("{base}#{local}");
                let mut n = 1;
                while !used.insert(iri.clone()) {
                    n += 1;
                    iri = format!("{base}#{local}-{n}");
                }
                iri
            };
            by_component.insert(c.id.clone(), iri);
        }
        Ids { base, by_component }
    }

    /// The IRI of a component of the document; `None` for an id it does not hold (SPDX 3
    /// reaches other documents' elements through imports, which the model does not keep:
    /// a reference to one would name nothing).
    fn of(&self, id: &str) -> Option<String> {
        self.by_component.get(id).cloned()
    }

    fn local(&self, name: &str) -> String {
        format!("{}#{name}", self.base)
    }
}

/// Agents (suppliers, originators, authors) written once each.
struct Agents<'a> {
    ids: &'a Ids,
    by_name: BTreeMap<(String, &'static str), String>,
}

impl Agents<'_> {
    fn get(&mut self, name: &str, kind: &'static str) -> String {
        let n = self.by_name.len() + 1;
        let ids = self.ids;
        self.by_name
            .entry((name.to_owned(), kind))
            .or_insert_with(|| ids.local(&format!("SPDXRef-Agent-{n}")))
            .clone()
    }

    fn elements(&self) -> Vec<Value> {
        self.by_name
            .iter()
            .map(|((name, kind), id)| {
                json!({"type": kind, "spdxId": id, "creationInfo": CREATION_INFO, "name": name})
            })
            .collect()
    }
}

fn put(o: &mut Map<String, Value>, key: &str, v: Option<&str>) {
    if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) {
        o.insert(key.into(), v.into());
    }
}

fn not_assertion(v: Option<&String>) -> Option<&str> {
    v.map(String::as_str)
        .filter(|v| !v.eq_ignore_ascii_case("NOASSERTION") && !v.eq_ignore_ascii_case("NONE"))
}

/// The `ai_*` fields of a model card.
fn ai_fields(o: &mut Map<String, Value>, card: &ModelCard) {
    let types: Vec<&String> = card
        .approach
        .iter()
        .chain(&card.architecture_family)
        .chain(&card.model_architecture)
        .collect();
    if !types.is_empty() {
        o.insert("ai_typeOfModel".into(), json!(types));
    }
    if let Some(t) = &card.task {
        o.insert("ai_domain".into(), json!([t]));
    }
    if !card.metrics.is_empty() {
        let metrics: Vec<Value> = card
            .metrics
            .iter()
            .filter_map(|m| {
                let kind = m.kind.as_deref()?;
                let key = match &m.slice {
                    Some(s) => format!("{kind} [{s}]"),
                    None => kind.to_owned(),
                };
                let mut e = json!({"type": "DictionaryEntry", "key": key});
                if let Some(v) = &m.value {
                    e["value"] = v.clone().into();
                }
                Some(e)
            })
            .collect();
        o.insert("ai_metric".into(), metrics.into());
    }
    let hyper: Vec<Value> = card
        .properties
        .iter()
        .filter_map(|p| {
            let key = p.name.strip_prefix("hyperparameter:")?;
            Some(json!({"type": "DictionaryEntry", "key": key, "value": p.value}))
        })
        .collect();
    if !hyper.is_empty() {
        o.insert("ai_hyperparameter".into(), hyper.into());
    }
    if !card.limitations.is_empty() {
        o.insert("ai_limitation".into(), card.limitations.join("\n").into());
    }
    if !card.use_cases.is_empty() {
        o.insert(
            "ai_informationAboutApplication".into(),
            card.use_cases.join("\n").into(),
        );
    }
}

struct Writer<'a> {
    sbom: &'a Sbom,
    ids: &'a Ids,
    graph: Vec<Value>,
    licenses: BTreeMap<String, String>,
    relationships: usize,
}

impl Writer<'_> {
    fn license(&mut self, expr: &str) -> String {
        let expr = crate::model::current_license_ids(expr);
        let n = self.licenses.len() + 1;
        let ids = self.ids;
        self.licenses
            .entry(expr)
            .or_insert_with(|| ids.local(&format!("SPDXRef-License-{n}")))
            .clone()
    }

    fn relationship(&mut self, from: &str, kind: &str, scope: Option<&str>, to: &[String]) {
        self.relationships += 1;
        let mut r = json!({
            "type": if scope.is_some() { "LifecycleScopedRelationship" } else { "Relationship" },
            "spdxId": self.ids.local(&format!("SPDXRef-Relationship-{}", self.relationships)),
            "creationInfo": CREATION_INFO,
            "from": from,
            "relationshipType": kind,
            "to": to,
        });
        if let Some(s) = scope {
            r["scope"] = s.into();
        }
        self.graph.push(r);
    }

    fn component(&mut self, c: &Component, agents: &mut Agents<'_>) {
        let mut o = Map::new();
        let ty = match c.kind {
            ComponentKind::File => "software_File",
            ComponentKind::MachineLearningModel => "ai_AIPackage",
            ComponentKind::Data => "dataset_DatasetPackage",
            _ => "software_Package",
        };
        let id = self.ids.of(&c.id).unwrap_or_default();
        o.insert("type".into(), ty.into());
        o.insert("spdxId".into(), id.clone().into());
        o.insert("creationInfo".into(), CREATION_INFO.into());
        o.insert("name".into(), c.name.clone().into());
        put(&mut o, "description", c.description.as_deref());
        // What SPDX has no field for, as the SPDX 2 writer notes it (the readers of both
        // restore it).
        if let Some(notes) = super::write::notes(c) {
            o.insert("comment".into(), notes.into());
        }
        if let Some(s) = not_assertion(c.supplier.as_ref()) {
            o.insert("suppliedBy".into(), agents.get(s, "Organization").into());
        }
        if let Some(a) = not_assertion(c.author.as_ref()) {
            let kind = if self.sbom.persons.contains(a) {
                "Person"
            } else {
                "Organization"
            };
            o.insert("originatedBy".into(), json!([agents.get(a, kind)]));
        }
        let hashes: Vec<Value> = c
            .hashes
            .iter()
            .filter_map(|h| {
                Some(json!({"type": "Hash", "algorithm": algorithm(&h.alg)?, "hashValue": h.value}))
            })
            .collect();
        if !hashes.is_empty() {
            o.insert("verifiedUsing".into(), hashes.into());
        }
        let mut idents: Vec<Value> = Vec::new();
        for cpe in &c.cpes {
            let kind = if cpe.starts_with("cpe:2.3:") {
                "cpe23"
            } else {
                "cpe22"
            };
            idents.push(json!({"type": "ExternalIdentifier", "externalIdentifierType": kind, "identifier": cpe}));
        }
        let mut refs: Vec<Value> = Vec::new();
        let mut home = None;
        for r in &c.external_refs {
            if matches!(r.kind.as_str(), "website" | "altWebPage") && home.is_none() {
                home = Some(r.url.clone());
                continue;
            }
            let ty = ref_type(&r.kind);
            let mut x = json!({"type": "ExternalRef", "externalRefType": ty, "locator": [r.url]});
            if ty == "other" && !r.kind.is_empty() && r.kind != "other" {
                x["comment"] = r.kind.clone().into();
            }
            refs.push(x);
        }
        if !refs.is_empty() {
            o.insert("externalRef".into(), refs.into());
        }
        if ty == "software_File" {
            o.insert("software_fileKind".into(), "file".into());
        } else {
            put(&mut o, "software_packageVersion", c.version.as_deref());
            if let Some(p) = &c.purl {
                o.insert("software_packageUrl".into(), p.clone().into());
            }
            put(
                &mut o,
                "software_downloadLocation",
                not_assertion(c.download_location.as_ref()),
            );
            put(&mut o, "software_homePage", home.as_deref());
            o.insert("software_primaryPurpose".into(), purpose(&c.kind).into());
        }
        if !idents.is_empty() {
            o.insert("externalIdentifier".into(), idents.into());
        }
        put(
            &mut o,
            "software_copyrightText",
            not_assertion(c.copyright.as_ref()),
        );
        if ty == "dataset_DatasetPackage" {
            o.insert("dataset_datasetType".into(), json!(["noAssertion"]));
        }
        let mut trained_on = Vec::new();
        if let (Some(card), "ai_AIPackage") = (&c.model_card, ty) {
            ai_fields(&mut o, card);
            trained_on = card
                .datasets
                .iter()
                .filter_map(|d| match d {
                    ModelDataset::Ref(r) => self.ids.of(r),
                    ModelDataset::Inline(_) => None,
                })
                .collect();
        }
        self.graph.push(Value::Object(o));
        if let Some(e) = c.license_expression().filter(|e| !e.trim().is_empty()) {
            let l = self.license(&e);
            self.relationship(&id, "hasDeclaredLicense", None, &[l]);
        }
        if let Some(e) = not_assertion(c.license_concluded.as_ref()) {
            let l = self.license(e);
            self.relationship(&id, "hasConcludedLicense", None, &[l]);
        }
        if !trained_on.is_empty() {
            self.relationship(&id, "trainedOn", None, &trained_on);
        }
    }
}

/// A relationship element's source, type and lifecycle scope.
type Key<'k> = (String, &'k str, Option<&'static str>);

/// The document as SPDX 3.0.1 JSON-LD.
pub(crate) fn to_json(sbom: &Sbom) -> String {
    let ids = Ids::new(sbom);
    let mut agents = Agents {
        ids: &ids,
        by_name: BTreeMap::new(),
    };
    let mut w = Writer {
        sbom,
        ids: &ids,
        graph: Vec::with_capacity(sbom.components.len() * 2 + 8),
        licenses: BTreeMap::new(),
        relationships: 0,
    };
    for c in &sbom.components {
        w.component(c, &mut agents);
    }
    // Relationships: one element per source, type and scope, in the model's order.
    let mut grouped: Vec<(Key<'_>, Vec<String>)> = Vec::new();
    let mut index: HashMap<Key<'_>, usize> = HashMap::new();
    for r in &sbom.relationships {
        let Some((kind, scope, reverse)) = relationship_type(&r.kind) else {
            continue;
        };
        let (from, to) = if reverse {
            (&r.to, &r.from)
        } else {
            (&r.from, &r.to)
        };
        // Edges between components only (see `Ids::of`).
        let (Some(from), Some(to)) = (ids.of(from), ids.of(to)) else {
            continue;
        };
        let key = (from, kind, scope);
        if let Some(&i) = index.get(&key) {
            if !grouped[i].1.contains(&to) {
                grouped[i].1.push(to);
            }
        } else {
            index.insert(key.clone(), grouped.len());
            grouped.push((key, vec![to]));
        }
    }
    for ((from, kind, scope), to) in grouped {
        w.relationship(&from, kind, scope, &to);
    }
    let created = sbom
        .created
        .as_deref()
        .and_then(crate::model::utc_seconds)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned());
    // Who made the document: its authors, else chainwatch, the software that wrote it.
    let this = format!("chainwatch-{}", env!("CARGO_PKG_VERSION"));
    let mut created_by: Vec<String> = sbom
        .authors
        .iter()
        .map(|a| {
            let kind = if sbom.persons.contains(a) {
                "Person"
            } else {
                "Organization"
            };
            agents.get(a, kind)
        })
        .collect();
    if created_by.is_empty() {
        created_by.push(agents.get(&this, "SoftwareAgent"));
    }
    let mut tools: Vec<Value> = Vec::new();
    let mut tool_ids: Vec<String> = Vec::new();
    let mut names: Vec<&str> = sbom.tools.iter().map(String::as_str).collect();
    if !names.contains(&this.as_str()) {
        names.push(&this);
    }
    for (i, name) in names.iter().enumerate() {
        let id = ids.local(&format!("SPDXRef-Tool-{}", i + 1));
        tools.push(
            json!({"type": "Tool", "spdxId": id, "creationInfo": CREATION_INFO, "name": name}),
        );
        tool_ids.push(id);
    }
    let mut profiles = vec!["core", "software", "simpleLicensing"];
    if sbom
        .components
        .iter()
        .any(|c| c.kind == ComponentKind::MachineLearningModel)
    {
        profiles.push("ai");
    }
    if sbom
        .components
        .iter()
        .any(|c| c.kind == ComponentKind::Data)
    {
        profiles.push("dataset");
    }
    // The document keeps its own IRI when it had one in this namespace.
    let doc_id = match sbom.serial.as_deref() {
        Some(s)
            if (s == ids.base || s.starts_with(&format!("{}#", ids.base)))
                && !ids.by_component.values().any(|c| c == s) =>
        {
            s.to_owned()
        }
        _ => ids.local("SPDXRef-DOCUMENT"),
    };
    let bom_id = ids.local("SPDXRef-Sbom");
    let name = sbom
        .name
        .clone()
        .or_else(|| sbom.subject_component().map(|c| c.name.clone()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "SBOM".to_owned());
    let mut head: Vec<Value> = vec![json!({
        "type": "CreationInfo",
        "@id": CREATION_INFO,
        "specVersion": "3.0.1",
        "created": created,
        "createdBy": created_by,
        "createdUsing": tool_ids,
    })];
    head.extend(agents.elements());
    head.extend(tools);
    let mut document = json!({
        "type": "SpdxDocument",
        "spdxId": doc_id,
        "creationInfo": CREATION_INFO,
        "name": name,
        "profileConformance": profiles,
        "rootElement": [bom_id],
    });
    if let Some(dl) = sbom
        .data_license
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        document["dataLicense"] = w.license(dl).into();
    }
    head.push(document);
    let mut bom = json!({
        "type": "software_Sbom",
        "spdxId": bom_id,
        "creationInfo": CREATION_INFO,
    });
    if let Some(subject) = sbom.subject_component().and_then(|c| ids.of(&c.id)) {
        bom["rootElement"] = json!([subject]);
    }
    head.push(bom);
    for (expr, id) in &w.licenses {
        head.push(json!({
            "type": "simplelicensing_LicenseExpression",
            "spdxId": id,
            "creationInfo": CREATION_INFO,
            "simplelicensing_licenseExpression": expr,
        }));
    }
    // One element per line: large documents stay readable and diffable.
    let mut out = String::with_capacity(sbom.components.len() * 600 + 1024);
    out.push_str(
        "{\n  \"@context\": \"https://spdx.org/rdf/3.0.1/spdx-context.jsonld\",\n  \"@graph\": [\n",
    );
    let total = head.len() + w.graph.len();
    for (i, e) in head.iter().chain(&w.graph).enumerate() {
        let _ = write!(out, "    {e}");
        out.push_str(if i + 1 < total { ",\n" } else { "\n" });
    }
    out.push_str("  ]\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Component, Format};

    #[test]
    fn identifiers_are_unique() {
        let mut sbom = Sbom::new(Format::CycloneDxJson, "1.6");
        sbom.serial = Some("https://example.org/doc".into());
        for (id, name) in [("https://example.org/doc#SPDXRef-a", "one"), ("a", "two")] {
            sbom.components
                .push(Component::new(id, ComponentKind::Library, name));
        }
        let doc: Value = serde_json::from_str(&to_json(&sbom)).unwrap_or_default();
        let ids: std::collections::HashSet<&str> = doc["@graph"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["type"] == "software_Package")
            .filter_map(|e| e["spdxId"].as_str())
            .collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
    }
}
