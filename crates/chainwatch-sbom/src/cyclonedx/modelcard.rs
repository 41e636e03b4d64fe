//! CycloneDX `modelCard` (1.5–1.7): read from JSON and XML into [`ModelCard`], written as
//! the JSON form (which the XML writer renders).
//!
//! What the model does not keep of a card (performance graphics, environmental
//! considerations) is counted in `Sbom::not_kept`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::model::Property;
use crate::model_card::{Fairness, InlineDataset, Metric, ModelCard, ModelDataset, Risk};
use crate::xmltree::Node;

/// Values a card may hold in one list; more are dropped (a card is a summary, not data).
const MAX_ITEMS: usize = 1024;

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn items(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().take(MAX_ITEMS))
        .into_iter()
        .flatten()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    items(v).filter_map(|x| text(Some(x))).collect()
}

const GRAPHICS: &str = "component modelCard graphics";
const ENVIRONMENT: &str = "component modelCard environmentalConsiderations";

/// Counts what the model does not keep of a JSON `modelCard`.
pub(crate) fn unkept_json(v: &Value, into: &mut BTreeMap<&'static str, usize>) {
    if v.get("quantitativeAnalysis")
        .and_then(|q| q.get("graphics"))
        .is_some()
    {
        *into.entry(GRAPHICS).or_default() += 1;
    }
    if v.get("considerations")
        .and_then(|c| c.get("environmentalConsiderations"))
        .is_some()
    {
        *into.entry(ENVIRONMENT).or_default() += 1;
    }
}

/// Counts what the model does not keep of an XML `<modelCard>`.
pub(crate) fn unkept_xml(n: &Node, into: &mut BTreeMap<&'static str, usize>) {
    if n.child("quantitativeAnalysis")
        .and_then(|q| q.child("graphics"))
        .is_some()
    {
        *into.entry(GRAPHICS).or_default() += 1;
    }
    if n.child("considerations")
        .and_then(|c| c.child("environmentalConsiderations"))
        .is_some()
    {
        *into.entry(ENVIRONMENT).or_default() += 1;
    }
}

/// Reads a JSON `modelCard`; `None` when it is not an object or says nothing.
pub(crate) fn from_json(v: &Value) -> Option<ModelCard> {
    let o = v.as_object()?;
    let mut card = ModelCard {
        bom_ref: text(o.get("bom-ref")),
        ..ModelCard::default()
    };
    if let Some(p) = o.get("modelParameters").and_then(Value::as_object) {
        card.approach = text(p.get("approach").and_then(|a| a.get("type")));
        card.task = text(p.get("task"));
        card.architecture_family = text(p.get("architectureFamily"));
        card.model_architecture = text(p.get("modelArchitecture"));
        for d in items(p.get("datasets")) {
            if let Some(r) = text(d.get("ref")) {
                card.datasets.push(ModelDataset::Ref(r));
            } else if d.is_object() {
                card.datasets.push(ModelDataset::Inline(InlineDataset {
                    bom_ref: text(d.get("bom-ref")),
                    kind: text(d.get("type")),
                    name: text(d.get("name")),
                    url: text(d.get("contents").and_then(|c| c.get("url"))),
                    classification: text(d.get("classification")),
                    description: text(d.get("description")),
                }));
            }
        }
        card.inputs = items(p.get("inputs"))
            .filter_map(|x| text(x.get("format")))
            .collect();
        card.outputs = items(p.get("outputs"))
            .filter_map(|x| text(x.get("format")))
            .collect();
    }
    if let Some(q) = o.get("quantitativeAnalysis").and_then(Value::as_object) {
        for m in items(q.get("performanceMetrics")) {
            let ci = m.get("confidenceInterval");
            card.metrics.push(Metric {
                kind: text(m.get("type")),
                value: text(m.get("value")),
                slice: text(m.get("slice")),
                lower_bound: text(ci.and_then(|c| c.get("lowerBound"))),
                upper_bound: text(ci.and_then(|c| c.get("upperBound"))),
            });
        }
    }
    if let Some(c) = o.get("considerations").and_then(Value::as_object) {
        card.users = strings(c.get("users"));
        card.use_cases = strings(c.get("useCases"));
        card.limitations = strings(c.get("technicalLimitations"));
        card.tradeoffs = strings(c.get("performanceTradeoffs"));
        card.ethical = items(c.get("ethicalConsiderations"))
            .map(|e| Risk {
                name: text(e.get("name")),
                mitigation: text(e.get("mitigationStrategy")),
            })
            .collect();
        card.fairness = items(c.get("fairnessAssessments"))
            .map(|f| Fairness {
                group_at_risk: text(f.get("groupAtRisk")),
                benefits: text(f.get("benefits")),
                harms: text(f.get("harms")),
                mitigation: text(f.get("mitigationStrategy")),
            })
            .collect();
    }
    card.properties = items(o.get("properties"))
        .filter_map(|p| {
            Some(Property {
                name: text(p.get("name"))?,
                value: text(p.get("value")).unwrap_or_default(),
            })
        })
        .collect();
    (!card.is_empty()).then_some(card)
}

fn child_text(n: &Node, name: &str) -> Option<String> {
    n.child_text(name).filter(|s| !s.is_empty())
}

/// The texts of `list/item` elements.
fn xml_strings(n: Option<&Node>, item: &str) -> Vec<String> {
    n.map(|n| {
        n.children_named(item)
            .take(MAX_ITEMS)
            .filter_map(Node::trimmed)
            .collect()
    })
    .unwrap_or_default()
}

/// Reads an XML `<modelCard>`; `None` when it says nothing.
pub(crate) fn from_xml(n: &Node) -> Option<ModelCard> {
    let mut card = ModelCard {
        bom_ref: n.attr("bom-ref").map(str::to_owned),
        ..ModelCard::default()
    };
    if let Some(p) = n.child("modelParameters") {
        card.approach = p.child("approach").and_then(|a| child_text(a, "type"));
        card.task = child_text(p, "task");
        card.architecture_family = child_text(p, "architectureFamily");
        card.model_architecture = child_text(p, "modelArchitecture");
        if let Some(ds) = p.child("datasets") {
            for d in ds.children.iter().take(MAX_ITEMS) {
                match d.name.as_ref() {
                    "ref" => {
                        if let Some(r) = d.trimmed() {
                            card.datasets.push(ModelDataset::Ref(r));
                        }
                    }
                    "dataset" => card.datasets.push(ModelDataset::Inline(InlineDataset {
                        bom_ref: d.attr("bom-ref").map(str::to_owned),
                        kind: child_text(d, "type"),
                        name: child_text(d, "name"),
                        url: d.child("contents").and_then(|c| child_text(c, "url")),
                        classification: child_text(d, "classification"),
                        description: child_text(d, "description"),
                    })),
                    _ => {}
                }
            }
        }
        let formats = |list: &str, item: &str| -> Vec<String> {
            p.child(list)
                .map(|l| {
                    l.children_named(item)
                        .take(MAX_ITEMS)
                        .filter_map(|x| child_text(x, "format"))
                        .collect()
                })
                .unwrap_or_default()
        };
        card.inputs = formats("inputs", "input");
        card.outputs = formats("outputs", "output");
    }
    if let Some(ms) = n
        .child("quantitativeAnalysis")
        .and_then(|q| q.child("performanceMetrics"))
    {
        {
            for m in ms.children_named("performanceMetric").take(MAX_ITEMS) {
                let ci = m.child("confidenceInterval");
                card.metrics.push(Metric {
                    kind: child_text(m, "type"),
                    value: child_text(m, "value"),
                    slice: child_text(m, "slice"),
                    lower_bound: ci.and_then(|c| child_text(c, "lowerBound")),
                    upper_bound: ci.and_then(|c| child_text(c, "upperBound")),
                });
            }
        }
    }
    if let Some(c) = n.child("considerations") {
        card.users = xml_strings(c.child("users"), "user");
        card.use_cases = xml_strings(c.child("useCases"), "useCase");
        card.limitations = xml_strings(c.child("technicalLimitations"), "technicalLimitation");
        card.tradeoffs = xml_strings(c.child("performanceTradeoffs"), "performanceTradeoff");
        if let Some(es) = c.child("ethicalConsiderations") {
            card.ethical = es
                .children_named("ethicalConsideration")
                .take(MAX_ITEMS)
                .map(|e| Risk {
                    name: child_text(e, "name"),
                    mitigation: child_text(e, "mitigationStrategy"),
                })
                .collect();
        }
        if let Some(fs) = c.child("fairnessAssessments") {
            card.fairness = fs
                .children_named("fairnessAssessment")
                .take(MAX_ITEMS)
                .map(|f| Fairness {
                    group_at_risk: child_text(f, "groupAtRisk"),
                    benefits: child_text(f, "benefits"),
                    harms: child_text(f, "harms"),
                    mitigation: child_text(f, "mitigationStrategy"),
                })
                .collect();
        }
    }
    if let Some(ps) = n.child("properties") {
        card.properties = ps
            .children_named("property")
            .take(MAX_ITEMS)
            .filter_map(|p| {
                Some(Property {
                    name: p.attr("name")?.to_owned(),
                    value: p.text.trim().to_owned(),
                })
            })
            .collect();
    }
    (!card.is_empty()).then_some(card)
}

fn put(o: &mut Map<String, Value>, key: &str, v: Option<&String>) {
    if let Some(v) = v {
        o.insert(key.into(), v.clone().into());
    }
}

/// The JSON `modelCard` of a card (what CycloneDX 1.6 allows).
pub(crate) fn to_json(card: &ModelCard) -> Value {
    let mut o = Map::new();
    put(&mut o, "bom-ref", card.bom_ref.as_ref());
    let mut p = Map::new();
    if let Some(a) = &card.approach {
        p.insert("approach".into(), json!({ "type": a }));
    }
    put(&mut p, "task", card.task.as_ref());
    put(
        &mut p,
        "architectureFamily",
        card.architecture_family.as_ref(),
    );
    put(
        &mut p,
        "modelArchitecture",
        card.model_architecture.as_ref(),
    );
    if !card.datasets.is_empty() {
        let datasets: Vec<Value> = card
            .datasets
            .iter()
            .map(|d| match d {
                ModelDataset::Ref(r) => json!({ "ref": r }),
                ModelDataset::Inline(d) => {
                    let mut x = Map::new();
                    put(&mut x, "bom-ref", d.bom_ref.as_ref());
                    x.insert(
                        "type".into(),
                        d.kind.clone().unwrap_or_else(|| "dataset".into()).into(),
                    );
                    put(&mut x, "name", d.name.as_ref());
                    if let Some(u) = &d.url {
                        x.insert("contents".into(), json!({ "url": u }));
                    }
                    put(&mut x, "classification", d.classification.as_ref());
                    put(&mut x, "description", d.description.as_ref());
                    Value::Object(x)
                }
            })
            .collect();
        p.insert("datasets".into(), datasets.into());
    }
    for (key, list) in [("inputs", &card.inputs), ("outputs", &card.outputs)] {
        if !list.is_empty() {
            let v: Vec<Value> = list.iter().map(|f| json!({ "format": f })).collect();
            p.insert(key.into(), v.into());
        }
    }
    if !p.is_empty() {
        o.insert("modelParameters".into(), p.into());
    }
    if !card.metrics.is_empty() {
        let metrics: Vec<Value> = card
            .metrics
            .iter()
            .map(|m| {
                let mut x = Map::new();
                put(&mut x, "type", m.kind.as_ref());
                put(&mut x, "value", m.value.as_ref());
                put(&mut x, "slice", m.slice.as_ref());
                if m.lower_bound.is_some() || m.upper_bound.is_some() {
                    let mut ci = Map::new();
                    put(&mut ci, "lowerBound", m.lower_bound.as_ref());
                    put(&mut ci, "upperBound", m.upper_bound.as_ref());
                    x.insert("confidenceInterval".into(), ci.into());
                }
                Value::Object(x)
            })
            .collect();
        o.insert(
            "quantitativeAnalysis".into(),
            json!({ "performanceMetrics": metrics }),
        );
    }
    let mut c = Map::new();
    for (key, list) in [
        ("users", &card.users),
        ("useCases", &card.use_cases),
        ("technicalLimitations", &card.limitations),
        ("performanceTradeoffs", &card.tradeoffs),
    ] {
        if !list.is_empty() {
            c.insert(key.into(), list.clone().into());
        }
    }
    if !card.ethical.is_empty() {
        let v: Vec<Value> = card
            .ethical
            .iter()
            .map(|e| {
                let mut x = Map::new();
                put(&mut x, "name", e.name.as_ref());
                put(&mut x, "mitigationStrategy", e.mitigation.as_ref());
                Value::Object(x)
            })
            .collect();
        c.insert("ethicalConsiderations".into(), v.into());
    }
    if !card.fairness.is_empty() {
        let v: Vec<Value> = card
            .fairness
            .iter()
            .map(|f| {
                let mut x = Map::new();
                put(&mut x, "groupAtRisk", f.group_at_risk.as_ref());
                put(&mut x, "benefits", f.benefits.as_ref());
                put(&mut x, "harms", f.harms.as_ref());
                put(&mut x, "mitigationStrategy", f.mitigation.as_ref());
                Value::Object(x)
            })
            .collect();
        c.insert("fairnessAssessments".into(), v.into());
    }
    if !c.is_empty() {
        o.insert("considerations".into(), c.into());
    }
    if !card.properties.is_empty() {
        let v: Vec<Value> = card
            .properties
            .iter()
            .map(|p| json!({ "name": p.name, "value": p.value }))
            .collect();
        o.insert("properties".into(), v.into());
    }
    Value::Object(o)
}

/// Renders the JSON `modelCard` written by [`to_json`] as CycloneDX XML (elements in the
/// order the XSD's sequences require).
pub(crate) fn write_xml(out: &mut String, v: &Value, pad: &str, esc: fn(&str) -> String) {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(esc);
    let arr = |v: &Value, k: &str| v.get(k).and_then(Value::as_array).cloned();
    let line = |out: &mut String, depth: usize, tag: &str, text: Option<String>| {
        if let Some(t) = text {
            let _ = writeln!(out, "{pad}{}<{tag}>{t}</{tag}>", "  ".repeat(depth));
        }
    };
    let open = |out: &mut String, depth: usize, tag: &str| {
        let _ = writeln!(out, "{pad}{}<{tag}>", "  ".repeat(depth));
    };
    let close = |out: &mut String, depth: usize, tag: &str| {
        let _ = writeln!(out, "{pad}{}</{tag}>", "  ".repeat(depth));
    };
    match s(v, "bom-ref") {
        Some(r) => {
            let _ = writeln!(out, "{pad}<modelCard bom-ref=\"{r}\">");
        }
        None => {
            let _ = writeln!(out, "{pad}<modelCard>");
        }
    }
    if let Some(p) = v.get("modelParameters") {
        open(out, 1, "modelParameters");
        if let Some(a) = p.get("approach").and_then(|a| a.get("type")) {
            open(out, 2, "approach");
            line(out, 3, "type", a.as_str().map(esc));
            close(out, 2, "approach");
        }
        line(out, 2, "task", s(p, "task"));
        line(out, 2, "architectureFamily", s(p, "architectureFamily"));
        line(out, 2, "modelArchitecture", s(p, "modelArchitecture"));
        if let Some(ds) = arr(p, "datasets") {
            open(out, 2, "datasets");
            for d in &ds {
                if let Some(r) = s(d, "ref") {
                    line(out, 3, "ref", Some(r));
                    continue;
                }
                match s(d, "bom-ref") {
                    Some(r) => {
                        let _ = writeln!(out, "{pad}      <dataset bom-ref=\"{r}\">");
                    }
                    None => open(out, 3, "dataset"),
                }
                line(out, 4, "type", s(d, "type"));
                line(out, 4, "name", s(d, "name"));
                if let Some(u) = d.get("contents").and_then(|c| c.get("url")) {
                    open(out, 4, "contents");
                    line(out, 5, "url", u.as_str().map(esc));
                    close(out, 4, "contents");
                }
                line(out, 4, "classification", s(d, "classification"));
                line(out, 4, "description", s(d, "description"));
                close(out, 3, "dataset");
            }
            close(out, 2, "datasets");
        }
        for (list, item) in [("inputs", "input"), ("outputs", "output")] {
            if let Some(xs) = arr(p, list) {
                open(out, 2, list);
                for x in &xs {
                    open(out, 3, item);
                    line(out, 4, "format", s(x, "format"));
                    close(out, 3, item);
                }
                close(out, 2, list);
            }
        }
        close(out, 1, "modelParameters");
    }
    if let Some(ms) = v
        .get("quantitativeAnalysis")
        .and_then(|q| q.get("performanceMetrics"))
        .and_then(Value::as_array)
    {
        open(out, 1, "quantitativeAnalysis");
        open(out, 2, "performanceMetrics");
        for m in ms {
            open(out, 3, "performanceMetric");
            line(out, 4, "type", s(m, "type"));
            line(out, 4, "value", s(m, "value"));
            line(out, 4, "slice", s(m, "slice"));
            if let Some(ci) = m.get("confidenceInterval") {
                open(out, 4, "confidenceInterval");
                line(out, 5, "lowerBound", s(ci, "lowerBound"));
                line(out, 5, "upperBound", s(ci, "upperBound"));
                close(out, 4, "confidenceInterval");
            }
            close(out, 3, "performanceMetric");
        }
        close(out, 2, "performanceMetrics");
        close(out, 1, "quantitativeAnalysis");
    }
    if let Some(c) = v.get("considerations") {
        open(out, 1, "considerations");
        for (list, item) in [
            ("users", "user"),
            ("useCases", "useCase"),
            ("technicalLimitations", "technicalLimitation"),
            ("performanceTradeoffs", "performanceTradeoff"),
        ] {
            if let Some(xs) = arr(c, list) {
                open(out, 2, list);
                for x in &xs {
                    line(out, 3, item, x.as_str().map(esc));
                }
                close(out, 2, list);
            }
        }
        if let Some(es) = arr(c, "ethicalConsiderations") {
            open(out, 2, "ethicalConsiderations");
            for e in &es {
                open(out, 3, "ethicalConsideration");
                line(out, 4, "name", s(e, "name"));
                line(out, 4, "mitigationStrategy", s(e, "mitigationStrategy"));
                close(out, 3, "ethicalConsideration");
            }
            close(out, 2, "ethicalConsiderations");
        }
        if let Some(fs) = arr(c, "fairnessAssessments") {
            open(out, 2, "fairnessAssessments");
            for f in &fs {
                open(out, 3, "fairnessAssessment");
                line(out, 4, "groupAtRisk", s(f, "groupAtRisk"));
                line(out, 4, "benefits", s(f, "benefits"));
                line(out, 4, "harms", s(f, "harms"));
                line(out, 4, "mitigationStrategy", s(f, "mitigationStrategy"));
                close(out, 3, "fairnessAssessment");
            }
            close(out, 2, "fairnessAssessments");
        }
        close(out, 1, "considerations");
    }
    if let Some(ps) = arr(v, "properties") {
        open(out, 1, "properties");
        for p in &ps {
            let _ = writeln!(
                out,
                "{pad}    <property name=\"{}\">{}</property>",
                s(p, "name").unwrap_or_default(),
                s(p, "value").unwrap_or_default()
            );
        }
        close(out, 1, "properties");
    }
    let _ = writeln!(out, "{pad}</modelCard>");
}
