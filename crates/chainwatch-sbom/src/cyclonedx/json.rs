//! CycloneDX 1.0–1.7 JSON, read leniently into the model (typed serde, no DOM).

use serde::Deserialize;

use crate::cyclonedx::{Builder, RawComponent, RawLicense, RawVulnerability};
use crate::lenient::{Obj, Seq, Text};
use crate::model::{Format, Sbom};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Bom {
    spec_version: Text,
    serial_number: Text,
    version: Text,
    metadata: Obj<Metadata>,
    components: Seq<Component>,
    services: Seq<Service>,
    dependencies: Seq<Dependency>,
    vulnerabilities: Seq<Vulnerability>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    timestamp: Text,
    tools: Tools,
    authors: Seq<Contact>,
    component: Obj<Component>,
    supplier: Obj<Org>,
    manufacture: Obj<Org>,
    manufacturer: Obj<Org>,
}

/// 1.0–1.4: a list of tools; 1.5+: `{components, services}` (or still the legacy list).
#[derive(Default)]
struct Tools(Vec<String>);

impl<'de> Deserialize<'de> for Tools {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Tool {
            vendor: Text,
            name: Text,
            version: Text,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Object {
            components: Seq<Tool>,
            services: Seq<Tool>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            List(Seq<Tool>),
            Object(Object),
        }
        let name = |t: &Tool| {
            let name = t.name.get()?;
            Some(match t.version.get() {
                Some(v) => format!("{name} {v}"),
                None => name.to_owned(),
            })
        };
        Ok(match Either::deserialize(d)? {
            Either::List(list) => Tools(list.iter().filter_map(name).collect()),
            Either::Object(o) => Tools(
                o.components
                    .iter()
                    .chain(o.services.iter())
                    .filter_map(name)
                    .collect(),
            ),
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Contact {
    name: Text,
    email: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Org {
    name: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Hash {
    alg: Text,
    content: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LicenseObj {
    id: Text,
    name: Text,
    acknowledgement: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LicenseChoice {
    license: Obj<LicenseObj>,
    expression: Text,
    acknowledgement: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExtRef {
    url: Text,
    #[serde(rename = "type")]
    kind: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Property {
    name: Text,
    value: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Swid {
    #[serde(rename = "tagId")]
    tag_id: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Component {
    #[serde(rename = "type")]
    kind: Text,
    #[serde(rename = "bom-ref")]
    bom_ref: Text,
    supplier: Obj<Org>,
    author: Text,
    authors: Seq<Contact>,
    publisher: Text,
    group: Text,
    name: Text,
    version: Text,
    description: Text,
    scope: Text,
    hashes: Seq<Hash>,
    licenses: Seq<LicenseChoice>,
    copyright: Text,
    cpe: Text,
    purl: Text,
    swid: Obj<Swid>,
    #[serde(rename = "externalReferences")]
    external_references: Seq<ExtRef>,
    properties: Seq<Property>,
    components: Seq<Component>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Service {
    #[serde(rename = "bom-ref")]
    bom_ref: Text,
    provider: Obj<Org>,
    group: Text,
    name: Text,
    version: Text,
    description: Text,
    licenses: Seq<LicenseChoice>,
    #[serde(rename = "externalReferences")]
    external_references: Seq<ExtRef>,
    properties: Seq<Property>,
    services: Seq<Service>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Dependency {
    #[serde(rename = "ref")]
    reference: Text,
    #[serde(rename = "dependsOn")]
    depends_on: Seq<DepRef>,
}

/// A `dependsOn` entry: a ref string (or, in 1.1's extension, `{ref}`).
#[derive(Default)]
struct DepRef(Option<String>);

impl<'de> Deserialize<'de> for DepRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Obj {
            #[serde(rename = "ref")]
            reference: Text,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(Text),
            Obj(Obj),
        }
        Ok(match Either::deserialize(d)? {
            Either::Text(t) => DepRef(t.owned()),
            Either::Obj(o) => DepRef(o.reference.owned()),
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Source {
    name: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reference {
    id: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Rating {
    source: Obj<Source>,
    score: Option<f64>,
    severity: Text,
    method: Text,
    vector: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Affect {
    #[serde(rename = "ref")]
    reference: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Analysis {
    state: Text,
    justification: Text,
    response: Seq<Text>,
    detail: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vulnerability {
    id: Text,
    source: Obj<Source>,
    references: Seq<Reference>,
    ratings: Seq<Rating>,
    cwes: Seq<Text>,
    description: Text,
    recommendation: Text,
    affects: Seq<Affect>,
    analysis: Obj<Analysis>,
    published: Text,
    updated: Text,
}

fn licenses(list: &Seq<LicenseChoice>) -> Vec<RawLicense> {
    list.iter()
        .map(|l| {
            let license = l.license.0.as_ref();
            RawLicense {
                expression: l.expression.owned(),
                id: license.and_then(|x| x.id.owned()),
                name: license.and_then(|x| x.name.owned()),
                acknowledgement: l
                    .acknowledgement
                    .owned()
                    .or_else(|| license.and_then(|x| x.acknowledgement.owned())),
            }
        })
        .collect()
}

fn raw_component(c: &Component) -> RawComponent {
    RawComponent {
        kind: c.kind.owned(),
        bom_ref: c.bom_ref.owned(),
        supplier: c
            .supplier
            .0
            .as_ref()
            .and_then(|s| s.name.owned())
            .or_else(|| c.publisher.owned()),
        author: c.author.owned().or_else(|| {
            c.authors
                .iter()
                .find_map(|a| a.name.owned().or_else(|| a.email.owned()))
        }),
        group: c.group.owned(),
        name: c.name.owned(),
        version: c.version.owned(),
        description: c.description.owned(),
        scope: c.scope.owned(),
        hashes: c
            .hashes
            .iter()
            .filter_map(|h| Some((h.alg.owned()?, h.content.owned()?)))
            .collect(),
        licenses: licenses(&c.licenses),
        copyright: c.copyright.owned(),
        cpe: c.cpe.owned(),
        purl: c.purl.owned(),
        swid: c.swid.0.as_ref().and_then(|s| s.tag_id.owned()),
        external_refs: c
            .external_references
            .iter()
            .filter_map(|r| Some((r.kind.owned().unwrap_or_default(), r.url.owned()?)))
            .collect(),
        properties: c
            .properties
            .iter()
            .filter_map(|p| Some((p.name.owned()?, p.value.owned().unwrap_or_default())))
            .collect(),
        children: c.components.iter().map(raw_component).collect(),
        service: false,
    }
}

fn raw_service(s: &Service) -> RawComponent {
    RawComponent {
        kind: Some("service".to_owned()),
        bom_ref: s.bom_ref.owned(),
        supplier: s.provider.0.as_ref().and_then(|p| p.name.owned()),
        author: None,
        group: s.group.owned(),
        name: s.name.owned(),
        version: s.version.owned(),
        description: s.description.owned(),
        scope: None,
        hashes: Vec::new(),
        licenses: licenses(&s.licenses),
        copyright: None,
        cpe: None,
        purl: None,
        swid: None,
        external_refs: s
            .external_references
            .iter()
            .filter_map(|r| Some((r.kind.owned().unwrap_or_default(), r.url.owned()?)))
            .collect(),
        properties: s
            .properties
            .iter()
            .filter_map(|p| Some((p.name.owned()?, p.value.owned().unwrap_or_default())))
            .collect(),
        children: s.services.iter().map(raw_service).collect(),
        service: true,
    }
}

/// Reads a CycloneDX JSON document.
pub(crate) fn read(text: &str) -> Result<Sbom, serde_json::Error> {
    let bom: Bom = serde_json::from_str(text)?;
    let mut b = Builder::new(
        Format::CycloneDxJson,
        bom.spec_version.owned().unwrap_or_default(),
    );
    b.sbom.serial = bom.serial_number.owned();
    b.sbom.bom_version = bom.version.get().and_then(|v| v.parse().ok());
    if let Some(m) = &bom.metadata.0 {
        b.sbom.created = m.timestamp.owned();
        b.sbom.tools.clone_from(&m.tools.0);
        b.sbom.authors = m
            .authors
            .iter()
            .filter_map(|a| a.name.owned().or_else(|| a.email.owned()))
            .collect();
        let manufacturer = m
            .manufacturer
            .0
            .as_ref()
            .or(m.manufacture.0.as_ref())
            .and_then(|o| o.name.owned());
        let supplier = m.supplier.0.as_ref().and_then(|o| o.name.owned());
        if b.sbom.authors.is_empty()
            && let Some(org) = manufacturer.clone()
        {
            b.sbom.authors.push(org);
        }
        if let Some(subject) = &m.component.0 {
            let mut raw = raw_component(subject);
            if raw.supplier.is_none() {
                raw.supplier = supplier.or(manufacturer);
            }
            let id = b.add(raw, None);
            b.sbom.subject = Some(id);
        }
    }
    for c in bom.components.iter() {
        b.add(raw_component(c), None);
    }
    for s in bom.services.iter() {
        b.add(raw_service(s), None);
    }
    for d in bom.dependencies.iter() {
        let Some(from) = d.reference.owned() else {
            continue;
        };
        let to: Vec<String> = d.depends_on.iter().filter_map(|r| r.0.clone()).collect();
        b.depends_on(&from, to);
    }
    for v in bom.vulnerabilities.iter() {
        b.sbom.vulnerabilities.push(
            RawVulnerability {
                id: v.id.owned().unwrap_or_default(),
                source: v.source.0.as_ref().and_then(|s| s.name.owned()),
                aliases: v.references.iter().filter_map(|r| r.id.owned()).collect(),
                ratings: v
                    .ratings
                    .iter()
                    .map(|r| crate::model::Rating {
                        source: r.source.0.as_ref().and_then(|s| s.name.owned()),
                        score: r.score,
                        severity: r.severity.owned(),
                        method: r.method.owned(),
                        vector: r.vector.owned(),
                    })
                    .collect(),
                cwes: v
                    .cwes
                    .iter()
                    .filter_map(|c| c.get()?.parse().ok())
                    .collect(),
                description: v.description.owned(),
                recommendation: v.recommendation.owned(),
                affects: v
                    .affects
                    .iter()
                    .filter_map(|a| a.reference.owned())
                    .collect(),
                analysis: v.analysis.0.as_ref().map(|a| crate::model::Analysis {
                    state: a.state.owned(),
                    justification: a.justification.owned(),
                    responses: a.response.iter().filter_map(Text::owned).collect(),
                    detail: a.detail.owned(),
                }),
                published: v.published.owned(),
                updated: v.updated.owned(),
            }
            .into_model(),
        );
    }
    Ok(b.finish())
}
