//! CycloneDX 1.0–1.7 JSON, read leniently into the model (typed serde, no DOM).

use serde::Deserialize;

use crate::cyclonedx::{Builder, RawComponent, RawLicense, RawVulnerability};
use serde::de::{IgnoredAny, MapAccess, Visitor};

use crate::lenient::{Count, Each, Obj, Seq, Text};
use crate::model::{Format, HashAlg, Sbom};

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
    // Read only to count what the model does not keep.
    lifecycles: Count,
    licenses: Count,
    properties: Count,
}

/// 1.0–1.4: a list of tools; 1.5+: `{components, services}` (or still the legacy list).
#[derive(Default)]
struct Tools(Vec<String>);

impl<'de> Deserialize<'de> for Tools {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// A legacy tool, or the 1.5+ object of tool components and services (a lenient
        /// list reads one object as a list of one).
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Tool {
            name: Text,
            version: Text,
            components: Seq<Tool>,
            services: Seq<Tool>,
        }
        let name = |t: &Tool| {
            let name = t.name.get()?;
            Some(match t.version.get() {
                Some(v) => format!("{name} {v}"),
                None => name.to_owned(),
            })
        };
        let list = Seq::<Tool>::deserialize(d)?;
        Ok(Tools(
            list.iter()
                .flat_map(|t| {
                    std::iter::once(t)
                        .chain(t.components.iter())
                        .chain(t.services.iter())
                })
                .filter_map(name)
                .collect(),
        ))
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
    alg: Alg,
    content: Text,
}

/// A hash algorithm name, read without allocating.
#[derive(Default)]
struct Alg(Option<HashAlg>);

impl<'de> Deserialize<'de> for Alg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Alg;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a hash algorithm")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Alg, E> {
                let v = v.trim();
                Ok(Alg((!v.is_empty()).then(|| HashAlg::from_name(v))))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Alg, E> {
                Ok(Alg(None))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Alg, E> {
                Ok(Alg(None))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Alg, E> {
                Ok(Alg(None))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Alg, E> {
                Ok(Alg(None))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Alg, E> {
                Ok(Alg(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Alg, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Alg(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Alg, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Alg(None))
            }
        }
        d.deserialize_any(V)
    }
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
    // Read only to count what the model does not keep.
    evidence: Count,
    pedigree: Count,
    #[serde(rename = "releaseNotes")]
    release_notes: Count,
    #[serde(rename = "modelCard")]
    model_card: Option<serde_json::Value>,
    data: Count,
    #[serde(rename = "cryptoProperties")]
    crypto_properties: Count,
    #[serde(rename = "omniborId")]
    omnibor_id: Count,
    swhid: Count,
    tags: Count,
}

impl Component {
    /// Adds what the model has no place for, in this component and the ones it nests, to
    /// the counts of what is not kept.
    fn unkept(&self, into: &mut std::collections::BTreeMap<&'static str, usize>) {
        // Nesting is bounded by the reader (serde_json's recursion limit).
        for (field, n) in [
            ("component evidence", self.evidence),
            ("component pedigree", self.pedigree),
            ("component releaseNotes", self.release_notes),
            ("component data", self.data),
            ("component cryptoProperties", self.crypto_properties),
            ("component omniborId", self.omnibor_id),
            ("component swhid", self.swhid),
            ("component tags", self.tags),
        ] {
            n.add_to(into, field);
        }
        if let Some(card) = &self.model_card {
            super::modelcard::unkept_json(card, into);
        }
        for c in self.components.iter() {
            c.unkept(into);
        }
    }
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

fn licenses(list: Seq<LicenseChoice>) -> Vec<RawLicense> {
    list.into_iter()
        .map(|l| {
            let (id, name, ack) = match l.license.0 {
                Some(x) => (x.id.take(), x.name.take(), x.acknowledgement.take()),
                None => (None, None, None),
            };
            RawLicense {
                expression: l.expression.take(),
                id,
                name,
                acknowledgement: l.acknowledgement.take().or(ack),
            }
        })
        .collect()
}

fn external_refs(list: Seq<ExtRef>) -> Vec<(String, String)> {
    list.into_iter()
        .filter_map(|r| {
            let url = r.url.take()?;
            Some((r.kind.take().unwrap_or_default(), url))
        })
        .collect()
}

fn properties(list: Seq<Property>) -> Vec<(String, String)> {
    list.into_iter()
        .filter_map(|p| {
            let name = p.name.take()?;
            Some((name, p.value.take().unwrap_or_default()))
        })
        .collect()
}

/// Converts by value: every string is moved, not copied, into the model.
fn raw_component(c: Component) -> RawComponent {
    let model_card = c.model_card.as_ref().and_then(super::modelcard::from_json);
    let supplier = c
        .supplier
        .0
        .and_then(|s| s.name.take())
        .or_else(|| c.publisher.take());
    let author = c.author.take().or_else(|| {
        c.authors
            .into_iter()
            .find_map(|a| a.name.take().or_else(|| a.email.take()))
    });
    RawComponent {
        kind: c.kind.take(),
        bom_ref: c.bom_ref.take(),
        supplier,
        author,
        group: c.group.take(),
        name: c.name.take(),
        version: c.version.take(),
        description: c.description.take(),
        scope: c.scope.take(),
        hashes: c
            .hashes
            .into_iter()
            .filter_map(|h| {
                let alg = h.alg.0?;
                Some((alg, h.content.take()?))
            })
            .collect(),
        licenses: licenses(c.licenses),
        copyright: c.copyright.take(),
        cpe: c.cpe.take(),
        purl: c.purl.take(),
        swid: c.swid.0.and_then(|s| s.tag_id.take()),
        external_refs: external_refs(c.external_references),
        properties: properties(c.properties),
        children: c.components.into_iter().map(raw_component).collect(),
        service: false,
        model_card,
    }
}

fn raw_service(s: Service) -> RawComponent {
    RawComponent {
        kind: Some("service".to_owned()),
        bom_ref: s.bom_ref.take(),
        supplier: s.provider.0.and_then(|p| p.name.take()),
        author: None,
        group: s.group.take(),
        name: s.name.take(),
        version: s.version.take(),
        description: s.description.take(),
        scope: None,
        hashes: Vec::new(),
        licenses: licenses(s.licenses),
        copyright: None,
        cpe: None,
        purl: None,
        swid: None,
        external_refs: external_refs(s.external_references),
        properties: properties(s.properties),
        children: s.services.into_iter().map(raw_service).collect(),
        service: true,
        model_card: None,
    }
}

fn vulnerability(v: Vulnerability) -> crate::model::Vulnerability {
    RawVulnerability {
        id: v.id.take().unwrap_or_default(),
        source: v.source.0.and_then(|s| s.name.take()),
        aliases: v
            .references
            .into_iter()
            .filter_map(|r| r.id.take())
            .collect(),
        ratings: v
            .ratings
            .into_iter()
            .map(|r| crate::model::Rating {
                source: r.source.0.and_then(|s| s.name.take()),
                score: r.score,
                severity: r.severity.take(),
                method: r.method.take(),
                vector: r.vector.take(),
            })
            .collect(),
        cwes: v
            .cwes
            .iter()
            .filter_map(|c| c.get()?.parse().ok())
            .collect(),
        description: v.description.take(),
        recommendation: v.recommendation.take(),
        affects: v
            .affects
            .into_iter()
            .filter_map(|a| a.reference.take())
            .collect(),
        analysis: v.analysis.0.map(|a| crate::model::Analysis {
            state: a.state.take(),
            justification: a.justification.take(),
            responses: a.response.into_iter().filter_map(Text::take).collect(),
            detail: a.detail.take(),
        }),
        published: v.published.take(),
        updated: v.updated.take(),
    }
    .into_model()
}

fn metadata(b: &mut Builder, m: Metadata) {
    for (field, n) in [
        ("metadata lifecycles", m.lifecycles),
        ("metadata licenses", m.licenses),
        ("metadata properties", m.properties),
    ] {
        n.add_to(&mut b.sbom.not_kept, field);
    }
    b.sbom.created = m.timestamp.take();
    b.sbom.tools = m.tools.0;
    b.sbom.authors = m
        .authors
        .into_iter()
        .filter_map(|a| a.name.take().or_else(|| a.email.take()))
        .collect();
    // Metadata authors are contacts: people.
    b.sbom.persons.extend(b.sbom.authors.iter().cloned());
    let manufacturer = m
        .manufacturer
        .0
        .or(m.manufacture.0)
        .and_then(|o| o.name.take());
    let supplier = m.supplier.0.and_then(|o| o.name.take());
    // The organization that made the BOM (1.6): a creator that is not a person.
    if let Some(org) = manufacturer.clone()
        && !b.sbom.authors.contains(&org)
    {
        b.sbom.authors.push(org);
    }
    if let Some(subject) = m.component.0 {
        subject.unkept(&mut b.sbom.not_kept);
        let mut raw = raw_component(subject);
        if raw.supplier.is_none() {
            raw.supplier = supplier.or(manufacturer);
        }
        let index = b.add(raw, None);
        b.sbom.subject = Some(b.sbom.components[index].id.clone());
    }
}

/// The document, streamed: each component, service, dependency and vulnerability goes
/// into the model as soon as it is read.
struct Root<'b> {
    b: &'b mut Builder,
    spec_version: Option<String>,
}

impl<'de> Visitor<'de> for &mut Root<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a CycloneDX JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let b = &mut *self.b;
            match key.as_str() {
                "specVersion" => self.spec_version = map.next_value::<Text>()?.take(),
                "serialNumber" => b.sbom.serial = map.next_value::<Text>()?.take(),
                "version" => {
                    b.sbom.bom_version =
                        map.next_value::<Text>()?.get().and_then(|v| v.parse().ok());
                }
                "metadata" => {
                    if let Some(m) = map.next_value::<Obj<Metadata>>()?.0 {
                        metadata(b, m);
                    }
                }
                "components" => map.next_value_seed(Each::new(|c: Component| {
                    c.unkept(&mut b.sbom.not_kept);
                    b.add(raw_component(c), None);
                }))?,
                "services" => map.next_value_seed(Each::new(|s: Service| {
                    b.add(raw_service(s), None);
                }))?,
                "dependencies" => map.next_value_seed(Each::new(|d: Dependency| {
                    if let Some(from) = d.reference.take() {
                        let to: Vec<String> =
                            d.depends_on.into_iter().filter_map(|r| r.0).collect();
                        b.depends_on(from, to);
                    }
                }))?,
                "vulnerabilities" => map.next_value_seed(Each::new(|v: Vulnerability| {
                    b.sbom.vulnerabilities.push(vulnerability(v));
                }))?,
                other => {
                    // What the model has no place for, counted so that a conversion can
                    // say what it leaves out.
                    let Some(field) = super::unkept_top_level(other) else {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    map.next_value::<Count>()?
                        .add_to(&mut b.sbom.not_kept, field);
                }
            }
        }
        Ok(())
    }
}

/// Reads a CycloneDX JSON document.
pub(crate) fn read(text: &str) -> Result<Sbom, serde_json::Error> {
    read_with(serde_json::Deserializer::from_str(text))
}

fn read_with<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> Result<Sbom, serde_json::Error> {
    let mut b = Builder::new(Format::CycloneDxJson, String::new());
    let mut root = Root {
        b: &mut b,
        spec_version: None,
    };
    serde::Deserializer::deserialize_map(&mut de, &mut root)?;
    de.end()?;
    let spec_version = root.spec_version.take().unwrap_or_default();
    b.sbom.spec_version = spec_version;
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn tools_in_every_shape_are_read() {
        for (tools, want) in [
            // 1.5+: an object of tool components and services.
            (
                r#"{"components": [{"type": "application", "name": "syft", "version": "1.0"}],
                    "services": [{"name": "scanner"}]}"#,
                vec!["syft 1.0", "scanner"],
            ),
            // 1.0–1.4: a list of tools.
            (
                r#"[{"vendor": "anchore", "name": "syft", "version": "0.9"}, {"name": "x"}]"#,
                vec!["syft 0.9", "x"],
            ),
            // One legacy tool where a list belongs.
            (r#"{"name": "hand"}"#, vec!["hand"]),
        ] {
            let doc = format!(
                r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {{"tools": {tools}}}}}"#
            );
            assert_eq!(read(&doc).expect("read").tools, want, "{tools}");
        }
    }

    #[test]
    fn a_manufacturer_is_a_creator_that_is_not_a_person() {
        let doc = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {
            "authors": [{"name": "Jane Doe"}], "manufacturer": {"name": "Acme Corp"}}}"#;
        let sbom = read(doc).expect("read");
        assert_eq!(sbom.authors, ["Jane Doe", "Acme Corp"]);
        assert!(sbom.persons.contains("Jane Doe"));
        assert!(!sbom.persons.contains("Acme Corp"));
    }
}
