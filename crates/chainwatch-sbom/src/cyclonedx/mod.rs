//! CycloneDX 1.0–1.7: JSON and XML readers, and writers of 1.6.

pub(crate) mod json;
pub(crate) mod modelcard;
pub(crate) mod properties;
pub(crate) mod strict;
pub(crate) mod write;
pub(crate) mod xml;

use std::collections::HashSet;

use properties::{
    CONCLUDED_PROPERTY, CPE_PROPERTY, HASH_PROPERTY, RELATIONSHIP_PROPERTY, SCOPE_PROPERTY,
    SWID_PROPERTY, TYPE_PROPERTY,
};

use crate::model::{
    Component, ComponentKind, ExternalRef, Format, Hash, HashAlg, License, Property, Relationship,
    RelationshipKind, Sbom, Scope, Vulnerability,
};

/// A license entry as both serializations write it.
#[derive(Debug, Default)]
pub(crate) struct RawLicense {
    pub(crate) expression: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) acknowledgement: Option<String>,
}

/// A component (or service) as both serializations write it.
#[derive(Debug, Default)]
pub(crate) struct RawComponent {
    pub(crate) kind: Option<String>,
    pub(crate) bom_ref: Option<String>,
    pub(crate) supplier: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) hashes: Vec<(HashAlg, String)>,
    pub(crate) licenses: Vec<RawLicense>,
    pub(crate) copyright: Option<String>,
    pub(crate) cpe: Option<String>,
    pub(crate) purl: Option<String>,
    pub(crate) swid: Option<String>,
    pub(crate) external_refs: Vec<(String, String)>,
    pub(crate) properties: Vec<(String, String)>,
    pub(crate) children: Vec<RawComponent>,
    pub(crate) service: bool,
    pub(crate) model_card: Option<crate::ModelCard>,
}

pub(crate) struct RawVulnerability {
    pub(crate) id: String,
    pub(crate) source: Option<String>,
    pub(crate) aliases: Vec<String>,
    pub(crate) ratings: Vec<crate::model::Rating>,
    pub(crate) cwes: Vec<u32>,
    pub(crate) description: Option<String>,
    pub(crate) recommendation: Option<String>,
    pub(crate) affects: Vec<String>,
    pub(crate) analysis: Option<crate::model::Analysis>,
    pub(crate) published: Option<String>,
    pub(crate) updated: Option<String>,
}

impl RawVulnerability {
    pub(crate) fn into_model(self) -> Vulnerability {
        Vulnerability {
            id: self.id,
            source: self.source,
            aliases: self.aliases,
            ratings: self.ratings,
            cwes: self.cwes,
            description: self.description,
            recommendation: self.recommendation,
            affects: self.affects,
            analysis: self.analysis,
            published: self.published,
            updated: self.updated,
        }
    }
}

/// Builds the model from raw components, assigning ids and nesting relationships.
pub(crate) struct Builder {
    pub(crate) sbom: Sbom,
    generated: usize,
    /// Relationships restored from `chainwatch:relationship:*` properties.
    restored: Vec<Relationship>,
}

impl Builder {
    pub(crate) fn new(format: Format, spec_version: String) -> Builder {
        Builder {
            sbom: Sbom::new(format, spec_version),
            generated: 0,
            restored: Vec::new(),
        }
    }

    /// Adds a component and its nested children; returns its index in the model.
    pub(crate) fn add(&mut self, mut raw: RawComponent, parent: Option<&str>) -> usize {
        let id = if let Some(r) = raw.bom_ref.take().filter(|r| !r.is_empty()) {
            r
        } else {
            self.generated += 1;
            format!("chainwatch:ref:{}", self.generated)
        };
        let kind = if raw.service {
            ComponentKind::Service
        } else {
            raw.kind
                .as_deref()
                .map_or(ComponentKind::Library, ComponentKind::from_name)
        };
        let mut c = Component::new(id, kind, raw.name.take().unwrap_or_default());
        c.group = raw.group;
        c.version = raw.version;
        c.purl = raw.purl;
        c.cpes = raw.cpe.into_iter().collect();
        c.supplier = raw.supplier;
        c.author = raw.author;
        c.description = raw.description;
        c.copyright = raw.copyright;
        c.model_card = raw.model_card.map(Box::new);
        c.scope = raw.scope.as_deref().and_then(Scope::from_name);
        c.hashes = raw
            .hashes
            .into_iter()
            .map(|(alg, value)| Hash { alg, value })
            .collect();
        for l in raw.licenses {
            let concluded = l
                .acknowledgement
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("concluded"));
            let license = if let Some(e) = l.expression {
                License::Expression(e)
            } else if let Some(id) = l.id {
                License::Id(id)
            } else if let Some(name) = l.name {
                License::Name(name)
            } else {
                continue;
            };
            if concluded && c.license_concluded.is_none() {
                c.license_concluded = Some(license.to_expression());
            } else {
                c.licenses.push(license);
            }
        }
        c.external_refs = raw
            .external_refs
            .into_iter()
            .map(|(kind, url)| ExternalRef { kind, url })
            .collect();
        c.properties = raw
            .properties
            .into_iter()
            .map(|(name, value)| Property { name, value })
            .collect();
        // Properties chainwatch writes for what CycloneDX has no field for.
        let mut kept = Vec::with_capacity(c.properties.len());
        for p in std::mem::take(&mut c.properties) {
            match p.name.as_str() {
                SCOPE_PROPERTY => c.scope = Scope::from_name(&p.value).or(c.scope),
                CONCLUDED_PROPERTY => c.license_concluded = Some(p.value),
                CPE_PROPERTY => c.cpes.push(p.value),
                TYPE_PROPERTY => c.kind = ComponentKind::from_name(&p.value),
                name if name.starts_with(HASH_PROPERTY) => {
                    c.hashes.push(Hash {
                        alg: HashAlg::from_name(&name[HASH_PROPERTY.len()..]),
                        value: p.value,
                    });
                }
                name if name.starts_with(RELATIONSHIP_PROPERTY) => {
                    let kind = RelationshipKind::from_name(&name[RELATIONSHIP_PROPERTY.len()..]);
                    self.restored.push(Relationship {
                        from: c.id.clone(),
                        to: p.value,
                        kind,
                    });
                }
                _ => kept.push(p),
            }
        }
        c.properties = kept;
        if let Some(tag) = raw.swid {
            c.properties.push(Property {
                name: SWID_PROPERTY.to_owned(),
                value: tag,
            });
        }
        if c.scope.is_none()
            && c.properties
                .iter()
                .any(|p| p.name.ends_with(":development") && p.value.eq_ignore_ascii_case("true"))
        {
            c.scope = Some(Scope::Dev);
        }
        // Lists built by `collect` keep room for four; at half a million components the
        // slack is a sixth of the model.
        c.hashes.shrink_to_fit();
        c.licenses.shrink_to_fit();
        c.properties.shrink_to_fit();
        c.external_refs.shrink_to_fit();
        c.cpes.shrink_to_fit();
        if let Some(p) = parent {
            self.sbom.relationships.push(Relationship {
                from: p.to_owned(),
                to: c.id.clone(),
                kind: RelationshipKind::Contains,
            });
        }
        let index = self.sbom.components.len();
        let id = (!raw.children.is_empty()).then(|| c.id.clone());
        self.sbom.components.push(c);
        if let Some(id) = id {
            for child in raw.children {
                self.add(child, Some(&id));
            }
        }
        index
    }

    pub(crate) fn depends_on(&mut self, from: String, to: Vec<String>) {
        let n = to.len();
        let mut from = Some(from);
        for (i, t) in to.into_iter().enumerate() {
            // The last edge takes the string; the others copy it.
            let from = if i + 1 == n {
                from.take().unwrap_or_default()
            } else {
                from.clone().unwrap_or_default()
            };
            self.sbom.relationships.push(Relationship {
                from,
                to: t,
                kind: RelationshipKind::DependsOn,
            });
        }
    }

    pub(crate) fn finish(mut self) -> Sbom {
        // A scoped dependency restored from a property replaces the plain `dependsOn`
        // edge written beside it for other readers.
        let scoped: HashSet<(String, String)> = self
            .restored
            .iter()
            .filter(|r| r.kind.is_dependency())
            .map(|r| (r.from.clone(), r.to.clone()))
            .collect();
        if !scoped.is_empty() {
            self.sbom.relationships.retain(|r| {
                r.kind != RelationshipKind::DependsOn
                    || !scoped.contains(&(r.from.clone(), r.to.clone()))
            });
        }
        self.sbom.relationships.append(&mut self.restored);
        self.sbom
    }
}
/// A BOM's top-level field the model has no place for, as named in `Sbom::not_kept` (the
/// JSON and XML readers count it so that a conversion can say what it leaves out).
pub(crate) fn unkept_top_level(name: &str) -> Option<&'static str> {
    Some(match name {
        "compositions" => "compositions",
        "annotations" => "annotations",
        "formulation" => "formulation",
        "definitions" => "definitions",
        "declarations" => "declarations",
        "externalReferences" => "BOM externalReferences",
        "properties" => "BOM properties",
        "signature" => "signature",
        _ => return None,
    })
}
