//! CycloneDX 1.6 writers (JSON and XML), one component at a time.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::properties::{
    CONCLUDED_PROPERTY, CPE_PROPERTY, HASH_PROPERTY, RELATIONSHIP_PROPERTY, SCOPE_PROPERTY,
    SWID_PROPERTY, TYPE_PROPERTY,
};
use crate::model::{Component, ComponentKind, License, RelationshipKind, Sbom, Scope};

/// The relationships of each component that only a property can carry, given which
/// containments nesting expresses.
fn relationship_properties<'a>(
    sbom: &'a Sbom,
    children: &HashMap<&str, Vec<usize>>,
) -> HashMap<&'a str, Vec<(String, String)>> {
    let nested: HashSet<(&str, &str)> = children
        .iter()
        .flat_map(|(p, kids)| {
            kids.iter()
                .map(move |&k| (*p, sbom.components[k].id.as_str()))
        })
        .collect();
    let mut out: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    for r in &sbom.relationships {
        let carried = match &r.kind {
            RelationshipKind::Describes | RelationshipKind::DependsOn => true,
            RelationshipKind::Contains => nested.contains(&(r.from.as_str(), r.to.as_str())),
            _ => false,
        };
        if !carried {
            out.entry(r.from.as_str()).or_default().push((
                format!("{RELATIONSHIP_PROPERTY}{}", r.kind.as_str()),
                r.to.clone(),
            ));
        }
    }
    out
}

fn component_type(kind: &ComponentKind) -> &'static str {
    match kind {
        ComponentKind::Application => "application",
        ComponentKind::Framework => "framework",
        ComponentKind::Container => "container",
        ComponentKind::Platform => "platform",
        ComponentKind::OperatingSystem => "operating-system",
        ComponentKind::Device => "device",
        ComponentKind::DeviceDriver => "device-driver",
        ComponentKind::Firmware => "firmware",
        ComponentKind::File | ComponentKind::Snippet => "file",
        ComponentKind::MachineLearningModel => "machine-learning-model",
        ComponentKind::Data => "data",
        ComponentKind::CryptographicAsset => "cryptographic-asset",
        ComponentKind::Library | ComponentKind::Service | ComponentKind::Other(_) => "library",
    }
}

/// The license entries: license objects, or exactly one expression (CycloneDX 1.6 allows
/// no mix). A concluded license that does not fit is kept in a property.
fn licenses(c: &Component, extra: &mut Vec<(String, String)>) -> Vec<Value> {
    let simple_id = |l: &License| match l {
        License::Id(id) if spdx::license_id(id).is_some() => Some(json!({"license": {"id": id}})),
        License::Expression(e) if !e.contains(' ') && spdx::license_id(e).is_some() => {
            Some(json!({"license": {"id": e}}))
        }
        License::Id(n) | License::Name(n) => Some(json!({"license": {"name": n}})),
        License::Expression(_) => None,
    };
    let objects: Option<Vec<Value>> = c.licenses.iter().map(simple_id).collect();
    let mut out = match objects {
        Some(objs) => objs,
        None => c
            .license_expression()
            .map(|e| vec![json!({"expression": e})])
            .unwrap_or_default(),
    };
    if let Some(concluded) = &c.license_concluded {
        let is_id = !concluded.contains(' ') && spdx::license_id(concluded).is_some();
        if out.is_empty() {
            out.push(json!({"expression": concluded, "acknowledgement": "concluded"}));
        } else if is_id && out.iter().all(|v| v.get("license").is_some()) {
            out.push(json!({"license": {"id": concluded, "acknowledgement": "concluded"}}));
        } else {
            extra.push((CONCLUDED_PROPERTY.to_owned(), concluded.clone()));
        }
    }
    out
}

/// What a component is written with: the nesting and the relationship properties.
struct Context<'a> {
    children: HashMap<&'a str, Vec<usize>>,
    relationships: HashMap<&'a str, Vec<(String, String)>>,
}

fn component_json(
    c: &Component,
    ctx: &Context<'_>,
    sbom: &Sbom,
    written: &mut HashSet<usize>,
) -> Value {
    let children = &ctx.children;
    let mut o = Map::new();
    let service = c.kind == ComponentKind::Service;
    if !service {
        o.insert("type".into(), component_type(&c.kind).into());
    }
    o.insert("bom-ref".into(), c.id.clone().into());
    if let Some(s) = &c.supplier {
        o.insert(
            if service { "provider" } else { "supplier" }.into(),
            json!({"name": s}),
        );
    }
    if let (Some(a), false) = (&c.author, service) {
        o.insert("author".into(), a.clone().into());
    }
    if let Some(g) = &c.group {
        o.insert("group".into(), g.clone().into());
    }
    o.insert("name".into(), c.name.clone().into());
    if let Some(v) = &c.version {
        o.insert("version".into(), v.clone().into());
    }
    if let Some(d) = &c.description {
        o.insert("description".into(), d.clone().into());
    }
    let mut extra: Vec<(String, String)> = Vec::new();
    if matches!(c.kind, ComponentKind::Snippet | ComponentKind::Other(_)) {
        extra.push((TYPE_PROPERTY.to_owned(), c.kind.as_str().to_owned()));
    }
    if let (Some(scope), false) = (c.scope, service) {
        let cdx = match scope {
            Scope::Runtime => "required",
            Scope::Excluded => "excluded",
            _ => "optional",
        };
        o.insert("scope".into(), cdx.into());
        if matches!(scope, Scope::Dev | Scope::Build | Scope::Test) {
            extra.push((SCOPE_PROPERTY.to_owned(), scope.as_str().to_owned()));
        }
    }
    if !c.hashes.is_empty() && !service {
        let hashes: Vec<Value> = c
            .hashes
            .iter()
            .filter(|h| h.alg.in_cyclonedx())
            .map(|h| json!({"alg": h.alg.cyclonedx_name(), "content": h.value}))
            .collect();
        if !hashes.is_empty() {
            o.insert("hashes".into(), hashes.into());
        }
        for h in c.hashes.iter().filter(|h| !h.alg.in_cyclonedx()) {
            extra.push((
                format!("{HASH_PROPERTY}{}", h.alg.spdx_name()),
                h.value.clone(),
            ));
        }
    }
    let lic = licenses(c, &mut extra);
    if !lic.is_empty() {
        o.insert("licenses".into(), lic.into());
    }
    if let (Some(cr), false) = (&c.copyright, service) {
        o.insert("copyright".into(), cr.clone().into());
    }
    if !service {
        if let Some(cpe) = c.cpes.first() {
            o.insert("cpe".into(), cpe.clone().into());
        }
        for more in c.cpes.iter().skip(1) {
            extra.push((CPE_PROPERTY.to_owned(), more.clone()));
        }
        if let Some(p) = &c.purl {
            o.insert("purl".into(), p.clone().into());
        }
        if let Some(tag) = c.property(SWID_PROPERTY) {
            o.insert("swid".into(), json!({"tagId": tag, "name": c.name}));
        }
    }
    let mut refs: Vec<Value> = c
        .external_refs
        .iter()
        .map(|r| {
            let ty = if crate::model::REFERENCE_TYPES.contains(&r.kind.as_str()) {
                r.kind.as_str()
            } else {
                "other"
            };
            json!({"url": iri(&r.url), "type": ty})
        })
        .collect();
    if let Some(dl) = &c.download_location {
        refs.push(json!({"url": iri(dl), "type": "distribution"}));
    }
    if !refs.is_empty() {
        o.insert("externalReferences".into(), refs.into());
    }
    let props: Vec<Value> = c
        .properties
        .iter()
        .filter(|p| p.name != SWID_PROPERTY)
        .map(|p| (p.name.clone(), p.value.clone()))
        .chain(extra)
        .chain(
            ctx.relationships
                .get(c.id.as_str())
                .into_iter()
                .flatten()
                .cloned(),
        )
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    if !props.is_empty() {
        o.insert("properties".into(), props.into());
    }
    // Only models have cards in CycloneDX (a card on anything else stays unwritten).
    if let (Some(card), ComponentKind::MachineLearningModel) = (&c.model_card, &c.kind) {
        o.insert("modelCard".into(), super::modelcard::to_json(card));
    }
    if let Some(kids) = children.get(c.id.as_str()) {
        let mut nested: Vec<Value> = Vec::new();
        for &i in kids {
            if written.insert(i) {
                nested.push(component_json(&sbom.components[i], ctx, sbom, written));
            }
        }
        if !nested.is_empty() {
            o.insert(
                if service { "services" } else { "components" }.into(),
                nested.into(),
            );
        }
    }
    Value::Object(o)
}

/// Which components nest under which (from `Contains` edges between components of the
/// same family: services in services, components in components).
fn nesting(sbom: &Sbom) -> (HashMap<&str, Vec<usize>>, HashSet<usize>) {
    let index: HashMap<&str, usize> = sbom
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut nested = HashSet::new();
    for r in &sbom.relationships {
        if r.kind != RelationshipKind::Contains || r.from == r.to {
            continue;
        }
        let (Some(&p), Some(&k)) = (index.get(r.from.as_str()), index.get(r.to.as_str())) else {
            continue;
        };
        let same_family = (sbom.components[p].kind == ComponentKind::Service)
            == (sbom.components[k].kind == ComponentKind::Service);
        if same_family && !nested.contains(&k) && Some(r.to.as_str()) != sbom.subject.as_deref() {
            children.entry(r.from.as_str()).or_default().push(k);
            nested.insert(k);
        }
    }
    // Break cycles: a component that (transitively) contains itself stays top-level.
    let mut cyclic = HashSet::new();
    for &k in &nested {
        let mut seen = HashSet::new();
        let mut stack = vec![k];
        while let Some(x) = stack.pop() {
            if !seen.insert(x) {
                continue;
            }
            for &y in children
                .get(sbom.components[x].id.as_str())
                .into_iter()
                .flatten()
            {
                if y == k {
                    cyclic.insert(k);
                }
                stack.push(y);
            }
        }
    }
    for k in &cyclic {
        nested.remove(k);
        for list in children.values_mut() {
            list.retain(|x| x != k);
        }
    }
    (children, nested)
}

/// The dependency graph: every ref with its `dependsOn` list, in document order.
fn dependencies(sbom: &Sbom) -> Vec<(String, Vec<String>)> {
    let mut order: Vec<String> = Vec::new();
    let mut map: HashMap<&str, Vec<String>> = HashMap::new();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for r in &sbom.relationships {
        if !r.kind.is_dependency() || !seen.insert((r.from.as_str(), r.to.as_str())) {
            continue;
        }
        map.entry(r.from.as_str())
            .or_insert_with(|| {
                order.push(r.from.clone());
                Vec::new()
            })
            .push(r.to.clone());
    }
    order
        .into_iter()
        .map(|k| {
            let v = map.remove(k.as_str()).unwrap_or_default();
            (k, v)
        })
        .collect()
}

fn metadata_json(sbom: &Sbom, subject: Option<Value>) -> Value {
    let mut m = Map::new();
    if let Some(t) = sbom.created.as_deref().and_then(crate::model::utc_seconds) {
        m.insert("timestamp".into(), t.into());
    }
    let mut tools: Vec<Value> = sbom
        .tools
        .iter()
        .map(|t| match t.rsplit_once(' ') {
            Some((n, v)) => json!({"type": "application", "name": n, "version": v}),
            None => json!({"type": "application", "name": t}),
        })
        .collect();
    let this =
        json!({"type": "application", "name": "chainwatch", "version": env!("CARGO_PKG_VERSION")});
    if !tools.contains(&this) {
        tools.push(this);
    }
    m.insert("tools".into(), json!({"components": tools}));
    // People are the BOM's authors (contacts); the first organization that made it is its
    // manufacturer (1.6). Further organizations have no place but among the authors.
    let manufacturer = sbom.authors.iter().find(|a| !sbom.persons.contains(*a));
    let authors: Vec<Value> = sbom
        .authors
        .iter()
        .filter(|a| Some(*a) != manufacturer)
        .map(|a| json!({"name": a}))
        .collect();
    if !authors.is_empty() {
        m.insert("authors".into(), authors.into());
    }
    if let Some(s) = subject {
        m.insert("component".into(), s);
    }
    if let Some(org) = manufacturer {
        m.insert("manufacturer".into(), json!({"name": org}));
    }
    Value::Object(m)
}

fn vulnerability_json(v: &crate::model::Vulnerability) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), v.id.clone().into());
    if let Some(s) = &v.source {
        o.insert("source".into(), json!({"name": s}));
    }
    if !v.aliases.is_empty() {
        o.insert(
            "references".into(),
            v.aliases
                .iter()
                .map(|a| json!({"id": a, "source": {"name": "alias"}}))
                .collect(),
        );
    }
    if !v.ratings.is_empty() {
        o.insert(
            "ratings".into(),
            v.ratings
                .iter()
                .map(|r| {
                    let mut x = Map::new();
                    if let Some(s) = &r.source {
                        x.insert("source".into(), json!({"name": s}));
                    }
                    if let Some(s) = r.score {
                        x.insert("score".into(), json!(s));
                    }
                    if let Some(s) = &r.severity {
                        x.insert("severity".into(), s.clone().into());
                    }
                    if let Some(s) = &r.method {
                        x.insert("method".into(), s.clone().into());
                    }
                    if let Some(s) = &r.vector {
                        x.insert("vector".into(), s.clone().into());
                    }
                    Value::Object(x)
                })
                .collect(),
        );
    }
    if !v.cwes.is_empty() {
        o.insert("cwes".into(), v.cwes.clone().into());
    }
    if let Some(d) = &v.description {
        o.insert("description".into(), d.clone().into());
    }
    if let Some(r) = &v.recommendation {
        o.insert("recommendation".into(), r.clone().into());
    }
    if let Some(p) = &v.published {
        o.insert("published".into(), p.clone().into());
    }
    if let Some(u) = &v.updated {
        o.insert("updated".into(), u.clone().into());
    }
    if let Some(a) = &v.analysis {
        let mut x = Map::new();
        if let Some(s) = &a.state {
            x.insert("state".into(), s.clone().into());
        }
        if let Some(s) = &a.justification {
            x.insert("justification".into(), s.clone().into());
        }
        if !a.responses.is_empty() {
            x.insert("response".into(), a.responses.clone().into());
        }
        if let Some(s) = &a.detail {
            x.insert("detail".into(), s.clone().into());
        }
        o.insert("analysis".into(), Value::Object(x));
    }
    if !v.affects.is_empty() {
        o.insert(
            "affects".into(),
            v.affects.iter().map(|r| json!({"ref": r})).collect(),
        );
    }
    Value::Object(o)
}

/// A serial number: the document's own if it is a `urn:uuid:`, else one derived from its
/// content (stable for the same input).
fn serial(sbom: &Sbom) -> String {
    if let Some(s) = &sbom.serial
        && crate::validate::is_uuid_urn(s)
    {
        return s.clone();
    }
    // FNV-1a over identifying content, shaped as a version-4-like UUID.
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    let mut feed = |s: &str| {
        for b in s.bytes() {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
        }
    };
    feed(sbom.serial.as_deref().unwrap_or_default());
    feed(sbom.name.as_deref().unwrap_or_default());
    for c in &sbom.components {
        feed(&c.id);
        feed(c.purl.as_deref().unwrap_or_default());
    }
    let b = h.to_be_bytes();
    let hex: String = b.iter().fold(String::with_capacity(32), |mut s, x| {
        use std::fmt::Write as _;
        let _ = write!(s, "{x:02x}");
        s
    });
    format!(
        "urn:uuid:{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

pub(crate) fn to_json(sbom: &Sbom) -> String {
    use std::io::Write as _;
    let (children, nested) = nesting(sbom);
    let relationships = relationship_properties(sbom, &children);
    let ctx = Context {
        children,
        relationships,
    };
    let mut written: HashSet<usize> = HashSet::new();
    let subject_index = sbom
        .subject
        .as_deref()
        .and_then(|s| sbom.components.iter().position(|c| c.id == s));
    // The subject is written in the metadata, with what it contains nested in it.
    let subject = subject_index.map(|i| {
        written.insert(i);
        component_json(&sbom.components[i], &ctx, sbom, &mut written)
    });
    let mut out: Vec<u8> = Vec::with_capacity(sbom.components.len() * 512 + 1024);
    out.extend_from_slice(b"{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n");
    let _ = writeln!(out, "  \"serialNumber\": {},", Value::from(serial(sbom)));
    let _ = writeln!(out, "  \"version\": {},", sbom.bom_version.unwrap_or(1));
    let _ = writeln!(out, "  \"metadata\": {},", metadata_json(sbom, subject));
    let write_list =
        |out: &mut Vec<u8>, key: &str, services: bool, written: &mut HashSet<usize>| {
            let _ = write!(out, "  \"{key}\": [");
            let mut first = true;
            for (i, c) in sbom.components.iter().enumerate() {
                if (c.kind == ComponentKind::Service) != services
                    || nested.contains(&i)
                    || Some(i) == subject_index
                {
                    continue;
                }
                if !written.insert(i) {
                    continue;
                }
                out.extend_from_slice(if first { b"\n    " } else { b",\n    " });
                first = false;
                let _ = serde_json::to_writer(&mut *out, &component_json(c, &ctx, sbom, written));
            }
            out.extend_from_slice(if first { b"]" } else { b"\n  ]" });
        };
    write_list(&mut out, "components", false, &mut written);
    out.extend_from_slice(b",\n");
    if sbom
        .components
        .iter()
        .any(|c| c.kind == ComponentKind::Service)
    {
        write_list(&mut out, "services", true, &mut written);
        out.extend_from_slice(b",\n");
    }
    let deps = dependencies(sbom);
    out.extend_from_slice(b"  \"dependencies\": [");
    for (i, (from, to)) in deps.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        out.extend_from_slice(b"{\"ref\":");
        let _ = serde_json::to_writer(&mut out, from);
        out.extend_from_slice(b",\"dependsOn\":");
        let _ = serde_json::to_writer(&mut out, to);
        out.push(b'}');
    }
    out.extend_from_slice(if deps.is_empty() { b"]" } else { b"\n  ]" });
    if !sbom.vulnerabilities.is_empty() {
        out.extend_from_slice(b",\n  \"vulnerabilities\": [");
        for (i, v) in sbom.vulnerabilities.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
            let _ = serde_json::to_writer(&mut out, &vulnerability_json(v));
        }
        out.extend_from_slice(b"\n  ]");
    }
    out.extend_from_slice(b"\n}\n");
    // Only JSON text and UTF-8 strings went in.
    String::from_utf8(out).unwrap_or_default()
}

/// XML escaping for text and double-quoted attribute values (`'` needs none).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes a JSON value produced by [`component_json`] as CycloneDX XML.
fn xml_component(out: &mut String, v: &Value, indent: usize) {
    let pad = "  ".repeat(indent);
    let o = v.as_object().cloned().unwrap_or_default();
    let service = !o.contains_key("type");
    let tag = if service { "service" } else { "component" };
    let _ = write!(out, "{pad}<{tag}");
    if let Some(t) = o.get("type").and_then(Value::as_str) {
        let _ = write!(out, " type=\"{}\"", esc(t));
    }
    if let Some(r) = o.get("bom-ref").and_then(Value::as_str) {
        let _ = write!(out, " bom-ref=\"{}\"", esc(r));
    }
    out.push_str(">\n");
    let text = |out: &mut String, name: &str, value: Option<&Value>| {
        if let Some(s) = value.and_then(Value::as_str) {
            let _ = writeln!(out, "{pad}  <{name}>{}</{name}>", esc(s));
        }
    };
    for key in ["supplier", "provider"] {
        if let Some(n) = o
            .get(key)
            .and_then(|s| s.get("name"))
            .and_then(Value::as_str)
        {
            let _ = writeln!(out, "{pad}  <{key}><name>{}</name></{key}>", esc(n));
        }
    }
    text(out, "author", o.get("author"));
    text(out, "group", o.get("group"));
    text(out, "name", o.get("name"));
    text(out, "version", o.get("version"));
    text(out, "description", o.get("description"));
    text(out, "scope", o.get("scope"));
    if let Some(hashes) = o.get("hashes").and_then(Value::as_array) {
        let _ = writeln!(out, "{pad}  <hashes>");
        for h in hashes {
            let _ = writeln!(
                out,
                "{pad}    <hash alg=\"{}\">{}</hash>",
                esc(h["alg"].as_str().unwrap_or_default()),
                esc(h["content"].as_str().unwrap_or_default())
            );
        }
        let _ = writeln!(out, "{pad}  </hashes>");
    }
    if let Some(lics) = o.get("licenses").and_then(Value::as_array) {
        let _ = writeln!(out, "{pad}  <licenses>");
        for l in lics {
            let ack = l
                .get("acknowledgement")
                .or_else(|| l.get("license").and_then(|x| x.get("acknowledgement")))
                .and_then(Value::as_str)
                .map(|a| format!(" acknowledgement=\"{}\"", esc(a)))
                .unwrap_or_default();
            if let Some(e) = l.get("expression").and_then(Value::as_str) {
                let _ = writeln!(out, "{pad}    <expression{ack}>{}</expression>", esc(e));
            } else if let Some(lic) = l.get("license") {
                let _ = write!(out, "{pad}    <license{ack}>");
                if let Some(id) = lic.get("id").and_then(Value::as_str) {
                    let _ = write!(out, "<id>{}</id>", esc(id));
                } else if let Some(n) = lic.get("name").and_then(Value::as_str) {
                    let _ = write!(out, "<name>{}</name>", esc(n));
                }
                out.push_str("</license>\n");
            }
        }
        let _ = writeln!(out, "{pad}  </licenses>");
    }
    text(out, "copyright", o.get("copyright"));
    text(out, "cpe", o.get("cpe"));
    text(out, "purl", o.get("purl"));
    if let Some(swid) = o.get("swid") {
        let _ = writeln!(
            out,
            "{pad}  <swid tagId=\"{}\" name=\"{}\"/>",
            esc(swid["tagId"].as_str().unwrap_or_default()),
            esc(swid["name"].as_str().unwrap_or_default())
        );
    }
    if let Some(refs) = o.get("externalReferences").and_then(Value::as_array) {
        let _ = writeln!(out, "{pad}  <externalReferences>");
        for r in refs {
            let _ = writeln!(
                out,
                "{pad}    <reference type=\"{}\"><url>{}</url></reference>",
                esc(r["type"].as_str().unwrap_or("other")),
                esc(r["url"].as_str().unwrap_or_default())
            );
        }
        let _ = writeln!(out, "{pad}  </externalReferences>");
    }
    if let Some(props) = o.get("properties").and_then(Value::as_array) {
        let _ = writeln!(out, "{pad}  <properties>");
        for p in props {
            let _ = writeln!(
                out,
                "{pad}    <property name=\"{}\">{}</property>",
                esc(p["name"].as_str().unwrap_or_default()),
                esc(p["value"].as_str().unwrap_or_default())
            );
        }
        let _ = writeln!(out, "{pad}  </properties>");
    }
    for (key, child_tag) in [("components", "components"), ("services", "services")] {
        if let Some(kids) = o.get(key).and_then(Value::as_array) {
            let _ = writeln!(out, "{pad}  <{child_tag}>");
            for k in kids {
                xml_component(out, k, indent + 2);
            }
            let _ = writeln!(out, "{pad}  </{child_tag}>");
        }
    }
    if let Some(card) = o.get("modelCard") {
        super::modelcard::write_xml(out, card, &format!("{pad}  "), esc);
    }
    let _ = writeln!(out, "{pad}</{tag}>");
}

pub(crate) fn to_xml(sbom: &Sbom) -> String {
    // The JSON form is the single source of truth for what is written; XML renders it.
    let json: Value = serde_json::from_str(&to_json(sbom)).unwrap_or_default();
    let mut out = String::with_capacity(sbom.components.len() * 700 + 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" serialNumber=\"{}\" version=\"{}\">",
        esc(json["serialNumber"].as_str().unwrap_or_default()),
        json["version"].as_u64().unwrap_or(1)
    );
    let m = &json["metadata"];
    out.push_str("  <metadata>\n");
    if let Some(t) = m["timestamp"].as_str() {
        let _ = writeln!(out, "    <timestamp>{}</timestamp>", esc(t));
    }
    out.push_str("    <tools>\n      <components>\n");
    for t in m["tools"]["components"].as_array().into_iter().flatten() {
        let _ = write!(
            out,
            "        <component type=\"application\"><name>{}</name>",
            esc(t["name"].as_str().unwrap_or_default())
        );
        if let Some(v) = t["version"].as_str() {
            let _ = write!(out, "<version>{}</version>", esc(v));
        }
        out.push_str("</component>\n");
    }
    out.push_str("      </components>\n    </tools>\n");
    if let Some(authors) = m["authors"].as_array() {
        out.push_str("    <authors>\n");
        for a in authors {
            let _ = writeln!(
                out,
                "      <author><name>{}</name></author>",
                esc(a["name"].as_str().unwrap_or_default())
            );
        }
        out.push_str("    </authors>\n");
    }
    if m.get("component").is_some() {
        xml_component(&mut out, &m["component"], 2);
    }
    if let Some(org) = m["manufacturer"]["name"].as_str() {
        let _ = writeln!(
            out,
            "    <manufacturer><name>{}</name></manufacturer>",
            esc(org)
        );
    }
    out.push_str("  </metadata>\n  <components>\n");
    for c in json["components"].as_array().into_iter().flatten() {
        xml_component(&mut out, c, 2);
    }
    out.push_str("  </components>\n");
    if let Some(services) = json["services"].as_array() {
        out.push_str("  <services>\n");
        for s in services {
            xml_component(&mut out, s, 2);
        }
        out.push_str("  </services>\n");
    }
    out.push_str("  <dependencies>\n");
    for d in json["dependencies"].as_array().into_iter().flatten() {
        let from = esc(d["ref"].as_str().unwrap_or_default());
        let to = d["dependsOn"].as_array().cloned().unwrap_or_default();
        if to.is_empty() {
            let _ = writeln!(out, "    <dependency ref=\"{from}\"/>");
        } else {
            let _ = writeln!(out, "    <dependency ref=\"{from}\">");
            for t in to {
                let _ = writeln!(
                    out,
                    "      <dependency ref=\"{}\"/>",
                    esc(t.as_str().unwrap_or_default())
                );
            }
            out.push_str("    </dependency>\n");
        }
    }
    out.push_str("  </dependencies>\n");
    if let Some(vulns) = json["vulnerabilities"].as_array() {
        out.push_str("  <vulnerabilities>\n");
        for v in vulns {
            out.push_str("    <vulnerability>\n");
            if let Some(id) = v["id"].as_str() {
                let _ = writeln!(out, "      <id>{}</id>", esc(id));
            }
            if let Some(s) = v["source"]["name"].as_str() {
                let _ = writeln!(out, "      <source><name>{}</name></source>", esc(s));
            }
            if let Some(refs) = v["references"].as_array() {
                out.push_str("      <references>\n");
                for r in refs {
                    let _ = writeln!(
                        out,
                        "        <reference><id>{}</id><source><name>alias</name></source></reference>",
                        esc(r["id"].as_str().unwrap_or_default())
                    );
                }
                out.push_str("      </references>\n");
            }
            if let Some(ratings) = v["ratings"].as_array() {
                out.push_str("      <ratings>\n");
                for r in ratings {
                    out.push_str("        <rating>");
                    if let Some(s) = r["source"]["name"].as_str() {
                        let _ = write!(out, "<source><name>{}</name></source>", esc(s));
                    }
                    if let Some(s) = r["score"].as_f64() {
                        let _ = write!(out, "<score>{s}</score>");
                    }
                    for k in ["severity", "method", "vector"] {
                        if let Some(s) = r[k].as_str() {
                            let _ = write!(out, "<{k}>{}</{k}>", esc(s));
                        }
                    }
                    out.push_str("</rating>\n");
                }
                out.push_str("      </ratings>\n");
            }
            if let Some(cwes) = v["cwes"].as_array() {
                out.push_str("      <cwes>");
                for c in cwes {
                    let _ = write!(out, "<cwe>{}</cwe>", c.as_u64().unwrap_or_default());
                }
                out.push_str("</cwes>\n");
            }
            for k in ["description", "recommendation", "published", "updated"] {
                if let Some(s) = v[k].as_str() {
                    let _ = writeln!(out, "      <{k}>{}</{k}>", esc(s));
                }
            }
            if let Some(a) = v["analysis"].as_object() {
                out.push_str("      <analysis>");
                for k in ["state", "justification"] {
                    if let Some(s) = a.get(k).and_then(Value::as_str) {
                        let _ = write!(out, "<{k}>{}</{k}>", esc(s));
                    }
                }
                if let Some(rs) = a.get("response").and_then(Value::as_array) {
                    out.push_str("<responses>");
                    for r in rs {
                        let _ = write!(
                            out,
                            "<response>{}</response>",
                            esc(r.as_str().unwrap_or_default())
                        );
                    }
                    out.push_str("</responses>");
                }
                if let Some(s) = a.get("detail").and_then(Value::as_str) {
                    let _ = write!(out, "<detail>{}</detail>", esc(s));
                }
                out.push_str("</analysis>\n");
            }
            if let Some(affects) = v["affects"].as_array() {
                out.push_str("      <affects>\n");
                for a in affects {
                    let _ = writeln!(
                        out,
                        "        <target><ref>{}</ref></target>",
                        esc(a["ref"].as_str().unwrap_or_default())
                    );
                }
                out.push_str("      </affects>\n");
            }
            out.push_str("    </vulnerability>\n");
        }
        out.push_str("  </vulnerabilities>\n");
    }
    out.push_str("</bom>\n");
    out
}

/// A reference URL as an IRI reference, as CycloneDX requires: the characters an IRI
/// cannot hold (spaces, braces of unexpanded `${…}` placeholders…) percent-encoded.
fn iri(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for ch in url.chars() {
        match ch {
            ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' => {
                let _ = write!(out, "%{:02X}", u32::from(ch));
            }
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
            c => out.push(c),
        }
    }
    out
}
