//! CycloneDX 1.0–1.7 XML, read leniently into the model, one component at a time.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::cyclonedx::{Builder, RawComponent, RawLicense, RawVulnerability};
use crate::model::{Analysis, Format, HashAlg, Rating, Sbom};
use crate::xmltree::{Node, XmlError, err, read_subtree, start_node};

/// What the root element said, for validation.
#[derive(Debug, Default, Clone)]
pub(crate) struct Root {
    pub(crate) namespace: Option<String>,
}

fn licenses(node: Option<&Node>) -> Vec<RawLicense> {
    let Some(node) = node else { return Vec::new() };
    node.children
        .iter()
        .filter_map(|l| match l.name.as_ref() {
            "license" => Some(RawLicense {
                expression: None,
                id: l.child_text("id"),
                name: l.child_text("name"),
                acknowledgement: l.attr("acknowledgement").map(str::to_owned),
            }),
            "expression" => Some(RawLicense {
                expression: l.trimmed(),
                id: None,
                name: None,
                acknowledgement: l.attr("acknowledgement").map(str::to_owned),
            }),
            _ => None,
        })
        .collect()
}

fn refs(node: Option<&Node>) -> Vec<(String, String)> {
    node.map(|n| {
        n.children_named("reference")
            .filter_map(|r| {
                Some((
                    r.attr("type").unwrap_or_default().to_owned(),
                    r.child_text("url")?,
                ))
            })
            .collect()
    })
    .unwrap_or_default()
}

fn properties(node: Option<&Node>) -> Vec<(String, String)> {
    node.map(|n| {
        n.children_named("property")
            .filter_map(|p| Some((p.attr("name")?.to_owned(), p.text.trim().to_owned())))
            .collect()
    })
    .unwrap_or_default()
}

pub(crate) fn raw_component(n: &Node) -> RawComponent {
    let service = n.name == "service";
    RawComponent {
        kind: if service {
            Some("service".to_owned())
        } else {
            n.attr("type").map(str::to_owned)
        },
        bom_ref: n.attr("bom-ref").map(str::to_owned),
        supplier: n
            .child("supplier")
            .or_else(|| n.child("provider"))
            .and_then(|s| s.child_text("name"))
            .or_else(|| n.child_text("publisher")),
        author: n.child_text("author").or_else(|| {
            n.child("authors")
                .and_then(|a| a.child("author"))
                .and_then(|a| a.child_text("name"))
        }),
        group: n.child_text("group"),
        name: n.child_text("name"),
        version: n.child_text("version"),
        description: n.child_text("description"),
        scope: n.child_text("scope"),
        hashes: n
            .child("hashes")
            .map(|h| {
                h.children_named("hash")
                    .filter_map(|x| Some((HashAlg::from_name(x.attr("alg")?), x.trimmed()?)))
                    .collect()
            })
            .unwrap_or_default(),
        licenses: licenses(n.child("licenses")),
        copyright: n.child_text("copyright"),
        cpe: n.child_text("cpe"),
        purl: n.child_text("purl"),
        swid: n
            .child("swid")
            .and_then(|s| s.attr("tagId"))
            .map(str::to_owned),
        external_refs: refs(n.child("externalReferences")),
        properties: properties(n.child("properties")),
        children: n
            .child(if service { "services" } else { "components" })
            .map(|c| {
                c.children
                    .iter()
                    .filter(|x| x.name == "component" || x.name == "service")
                    .map(raw_component)
                    .collect()
            })
            .unwrap_or_default(),
        service,
        model_card: n.child("modelCard").and_then(super::modelcard::from_xml),
    }
}

fn vulnerability(v: &Node) -> RawVulnerability {
    RawVulnerability {
        id: v.child_text("id").unwrap_or_default(),
        source: v.child("source").and_then(|s| s.child_text("name")),
        aliases: v
            .child("references")
            .map(|r| {
                r.children_named("reference")
                    .filter_map(|x| x.child_text("id"))
                    .collect()
            })
            .unwrap_or_default(),
        ratings: v
            .child("ratings")
            .map(|r| {
                r.children_named("rating")
                    .map(|x| Rating {
                        source: x.child("source").and_then(|s| s.child_text("name")),
                        score: x.child_text("score").and_then(|s| s.parse().ok()),
                        severity: x.child_text("severity"),
                        method: x.child_text("method"),
                        vector: x.child_text("vector"),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        cwes: v
            .child("cwes")
            .map(|c| {
                c.children_named("cwe")
                    .filter_map(|x| x.trimmed()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default(),
        description: v.child_text("description"),
        recommendation: v.child_text("recommendation"),
        affects: v
            .child("affects")
            .map(|a| {
                a.children_named("target")
                    .filter_map(|t| t.child_text("ref"))
                    .collect()
            })
            .unwrap_or_default(),
        analysis: v.child("analysis").map(|a| Analysis {
            state: a.child_text("state"),
            justification: a.child_text("justification"),
            responses: a
                .child("responses")
                .map(|r| {
                    r.children_named("response")
                        .filter_map(Node::trimmed)
                        .collect()
                })
                .unwrap_or_default(),
            detail: a.child_text("detail"),
        }),
        published: v.child_text("published"),
        updated: v.child_text("updated"),
    }
}

/// The namespace of the root element: the default one, or the one its prefix names.
pub(crate) fn namespace(root: &Node) -> Option<&str> {
    root.attr("xmlns").or_else(|| {
        root.attrs
            .iter()
            .find(|(k, v)| {
                k.starts_with("xmlns:") && v.starts_with("http://cyclonedx.org/schema/bom/")
            })
            .map(|(_, v)| v.as_str())
    })
}

/// Calls `each` for every child element of the element just opened, without keeping the
/// parent's whole subtree.
fn for_each_child(reader: &mut Reader<&[u8]>, mut each: impl FnMut(Node)) -> Result<(), XmlError> {
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(0);
        match reader
            .read_event()
            .map_err(|e| err(reader, e.to_string()))?
        {
            Event::Start(ref e) => {
                let node = start_node(reader, e, pos)?;
                each(read_subtree(reader, node)?);
            }
            Event::Empty(ref e) => each(start_node(reader, e, pos)?),
            Event::End(_) => return Ok(()),
            Event::Eof => return Err(err(reader, "the document ends inside a list")),
            _ => {}
        }
    }
}

/// Reads a CycloneDX XML document; `visit` sees every top-level subtree (for validation).
pub(crate) fn read(text: &str, visit: &mut dyn FnMut(&Node)) -> Result<(Sbom, Root), XmlError> {
    let mut reader = Reader::from_str(text);
    let mut root_info = Root::default();
    // The root element.
    let root = loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(0);
        match reader
            .read_event()
            .map_err(|e| err(&reader, e.to_string()))?
        {
            Event::Start(ref e) | Event::Empty(ref e) => break start_node(&reader, e, pos)?,
            Event::Eof => return Err(err(&reader, "no root element")),
            _ => {}
        }
    };
    if root.name != "bom" {
        return Err(XmlError {
            offset: root.pos,
            message: format!("the root element is `<{}>`, expected `<bom>`", root.name),
        });
    }
    root_info.namespace = namespace(&root).map(str::to_owned);
    let spec = root_info
        .namespace
        .as_deref()
        .and_then(|ns| ns.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    let mut b = Builder::new(Format::CycloneDxXml, spec);
    b.sbom.serial = root.attr("serialNumber").map(str::to_owned);
    b.sbom.bom_version = root.attr("version").and_then(|v| v.parse().ok());
    visit(&root);

    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader
            .read_event()
            .map_err(|e| err(&reader, e.to_string()))?;
        let start = match event {
            Event::Start(ref e) => start_node(&reader, e, pos)?,
            Event::Empty(_)
            | Event::Text(_)
            | Event::Comment(_)
            | Event::PI(_)
            | Event::Decl(_)
            | Event::DocType(_)
            | Event::CData(_)
            | Event::GeneralRef(_) => continue,
            Event::End(_) | Event::Eof => break,
        };
        match start.name.as_ref() {
            "components" | "services" => {
                visit(&start);
                for_each_child(&mut reader, |n| {
                    visit(&n);
                    if n.name == "component" || n.name == "service" {
                        unkept(&n, &mut b.sbom.not_kept, 0);
                        b.add(raw_component(&n), None);
                    }
                })?;
            }
            "dependencies" => {
                for_each_child(&mut reader, |d| {
                    visit(&d);
                    dependency(&mut b, &d);
                })?;
            }
            _ => {
                let node = read_subtree(&mut reader, start)?;
                visit(&node);
                match node.name.as_ref() {
                    "metadata" => metadata(&mut b, &node),
                    "vulnerabilities" => {
                        for v in node.children_named("vulnerability") {
                            b.sbom.vulnerabilities.push(vulnerability(v).into_model());
                        }
                    }
                    // What the model has no place for, counted so that a conversion can
                    // say what it leaves out.
                    other => {
                        let Some(field) = super::unkept_top_level(other) else {
                            continue;
                        };
                        *b.sbom.not_kept.entry(field).or_default() += node.children.len().max(1);
                    }
                }
            }
        }
    }
    Ok((b.finish(), root_info))
}

fn dependency(b: &mut Builder, d: &Node) {
    let Some(from) = d.attr("ref") else { return };
    let to: Vec<String> = d
        .children_named("dependency")
        .filter_map(|x| x.attr("ref").map(str::to_owned))
        .collect();
    b.depends_on(from.to_owned(), to);
    // Nested dependency elements may carry their own dependsOn lists (1.1 extension).
    for child in d.children_named("dependency") {
        if child.children.iter().any(|c| c.name == "dependency") {
            dependency(b, child);
        }
    }
}

/// Adds what the model has no place for, in a component and the ones it nests, to the
/// counts of what is not kept (the names are JSON's, which XML shares).
fn unkept(n: &Node, into: &mut std::collections::BTreeMap<&'static str, usize>, depth: usize) {
    for child in &n.children {
        let field = match child.name.as_ref() {
            "evidence" => "component evidence",
            "pedigree" => "component pedigree",
            "releaseNotes" => "component releaseNotes",
            "modelCard" => {
                super::modelcard::unkept_xml(child, into);
                continue;
            }
            "data" => "component data",
            "cryptoProperties" => "component cryptoProperties",
            "omniborId" => "component omniborId",
            "swhid" => "component swhid",
            "tags" => "component tags",
            // The tree is bounded by `xmltree::MAX_DEPTH`.
            "components" if depth < crate::xmltree::MAX_DEPTH => {
                for c in child.children_named("component") {
                    unkept(c, into, depth + 1);
                }
                continue;
            }
            _ => continue,
        };
        *into.entry(field).or_default() += 1;
    }
}

fn metadata(b: &mut Builder, m: &Node) {
    for (name, field) in [
        ("lifecycles", "metadata lifecycles"),
        ("licenses", "metadata licenses"),
        ("properties", "metadata properties"),
    ] {
        if let Some(n) = m.child(name).map(|c| c.children.len()).filter(|&n| n > 0) {
            *b.sbom.not_kept.entry(field).or_default() += n;
        }
    }
    if let Some(c) = m.child("component") {
        unkept(c, &mut b.sbom.not_kept, 0);
    }
    b.sbom.created = m.child_text("timestamp");
    if let Some(tools) = m.child("tools") {
        let mut names = Vec::new();
        let mut add = |t: &Node| {
            if let Some(name) = t.child_text("name") {
                names.push(match t.child_text("version") {
                    Some(v) => format!("{name} {v}"),
                    None => name,
                });
            }
        };
        for t in tools.children_named("tool") {
            add(t);
        }
        for group in ["components", "services"] {
            if let Some(g) = tools.child(group) {
                for t in &g.children {
                    add(t);
                }
            }
        }
        b.sbom.tools = names;
    }
    if let Some(authors) = m.child("authors") {
        b.sbom.authors = authors
            .children_named("author")
            .filter_map(|a| a.child_text("name").or_else(|| a.child_text("email")))
            .collect();
        // Metadata authors are contacts: people.
        b.sbom.persons.extend(b.sbom.authors.iter().cloned());
    }
    let manufacturer = m
        .child("manufacturer")
        .or_else(|| m.child("manufacture"))
        .and_then(|o| o.child_text("name"));
    let supplier = m.child("supplier").and_then(|o| o.child_text("name"));
    // The organization that made the BOM (1.6): a creator that is not a person.
    if let Some(org) = manufacturer.clone()
        && !b.sbom.authors.contains(&org)
    {
        b.sbom.authors.push(org);
    }
    if let Some(c) = m.child("component") {
        let mut raw = raw_component(c);
        if raw.supplier.is_none() {
            raw.supplier = supplier.or(manufacturer);
        }
        let index = b.add(raw, None);
        b.sbom.subject = Some(b.sbom.components[index].id.clone());
    }
}
