//! CSAF 2.0: the product tree flattened to product ids (name, purl or CPE, and for
//! relationships the component and the product it belongs to), vulnerabilities' product
//! status turned into statements, and the specification's mandatory tests that concern
//! what VEX consumers rely on (section 6.1: 6.1.1–6.1.6 and the profile tests 6.1.27.x),
//! plus the fields the JSON schema requires of `document`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::model::{Statement, VexDocument, VexFormat, VexProblem, VexStatus};

/// What a product id stands for.
#[derive(Debug, Clone, Default)]
struct Product {
    /// purl, CPE or name (the most specific first).
    ids: Vec<String>,
    /// For a relationship: the component and the product it is part of.
    component_of: Option<(String, String)>,
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn full_product_name(v: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    if let Some(h) = v.get("product_identification_helper") {
        ids.extend(h.get("purl").and_then(text));
        ids.extend(h.get("cpe").and_then(text));
    }
    ids.extend(v.get("name").and_then(text));
    ids
}

struct Reader<'a> {
    products: BTreeMap<String, Product>,
    /// Where each product id is defined (JSON pointers), for 6.1.2.
    defined_at: BTreeMap<String, Vec<String>>,
    groups: BTreeMap<String, Vec<String>>,
    groups_at: BTreeMap<String, Vec<String>>,
    problems: &'a mut Vec<VexProblem>,
}

impl Reader<'_> {
    fn problem(&mut self, code: &str, pointer: String, message: String) {
        self.problems.push(VexProblem {
            code: code.to_owned(),
            pointer,
            message,
        });
    }

    fn define(&mut self, v: &Value, pointer: &str) {
        let Some(id) = v.get("product_id").and_then(text) else {
            return;
        };
        self.defined_at
            .entry(id.clone())
            .or_default()
            .push(pointer.to_owned());
        self.products.entry(id).or_default().ids = full_product_name(v);
    }

    fn branches(&mut self, list: &Value, pointer: &str) {
        for (i, b) in list.as_array().into_iter().flatten().enumerate() {
            let here = format!("{pointer}/{i}");
            if let Some(p) = b.get("product") {
                self.define(p, &format!("{here}/product"));
            }
            if let Some(sub) = b.get("branches") {
                self.branches(sub, &format!("{here}/branches"));
            }
        }
    }
}

/// Every id a subtree references under the member names `lists` (arrays of ids) and
/// `singles` (one id), with JSON pointers.
fn references(
    v: &Value,
    pointer: &str,
    lists: &[&str],
    singles: &[&str],
    out: &mut Vec<(String, String)>,
) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let here = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                if lists.contains(&k.as_str()) {
                    for (i, id) in x.as_array().into_iter().flatten().enumerate() {
                        if let Some(id) = text(id) {
                            out.push((id, format!("{here}/{i}")));
                        }
                    }
                } else if singles.contains(&k.as_str()) {
                    if let Some(id) = text(x) {
                        out.push((id, here));
                    }
                } else {
                    references(x, &here, lists, singles, out);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                references(x, &format!("{pointer}/{i}"), lists, singles, out);
            }
        }
        _ => {}
    }
}

/// The product ids referenced anywhere in a subtree, with pointers.
fn product_refs(v: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    references(
        v,
        pointer,
        &["product_ids", "product_status_ids"],
        &[
            "product_id",
            "product_reference",
            "relates_to_product_reference",
        ],
        out,
    );
}

/// The product group ids referenced anywhere in a subtree, with pointers.
fn group_ids(v: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    references(v, pointer, &["group_ids"], &[], out);
}

const STATUS_GROUPS: &[(&str, VexStatus)] = &[
    ("first_affected", VexStatus::Affected),
    ("known_affected", VexStatus::Affected),
    ("last_affected", VexStatus::Affected),
    ("known_not_affected", VexStatus::NotAffected),
    ("first_fixed", VexStatus::Fixed),
    ("fixed", VexStatus::Fixed),
    ("under_investigation", VexStatus::UnderInvestigation),
    // `recommended` says which version to use, not whether one is affected.
];

pub(crate) fn read(doc: &Value) -> VexDocument {
    let mut problems = Vec::new();
    required(doc, &mut problems);
    let category = doc
        .pointer("/document/category")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut reader = Reader {
        products: BTreeMap::new(),
        defined_at: BTreeMap::new(),
        groups: BTreeMap::new(),
        groups_at: BTreeMap::new(),
        problems: &mut problems,
    };
    let tree = doc.get("product_tree");
    if let Some(tree) = tree {
        if let Some(b) = tree.get("branches") {
            reader.branches(b, "/product_tree/branches");
        }
        for (i, p) in tree
            .get("full_product_names")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            reader.define(p, &format!("/product_tree/full_product_names/{i}"));
        }
        for (i, r) in tree
            .get("relationships")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let here = format!("/product_tree/relationships/{i}");
            let Some(fpn) = r.get("full_product_name") else {
                continue;
            };
            reader.define(fpn, &format!("{here}/full_product_name"));
            if let (Some(id), Some(component), Some(product)) = (
                fpn.get("product_id").and_then(text),
                r.get("product_reference").and_then(text),
                r.get("relates_to_product_reference").and_then(text),
            ) {
                reader.products.entry(id).or_default().component_of = Some((component, product));
            }
        }
        for (i, g) in tree
            .get("product_groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(id) = g.get("group_id").and_then(text) else {
                continue;
            };
            reader
                .groups_at
                .entry(id.clone())
                .or_default()
                .push(format!("/product_tree/product_groups/{i}"));
            reader.groups.insert(
                id,
                g.get("product_ids")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(text)
                    .collect(),
            );
        }
    }
    // 6.1.2 Multiple definition of product id; 6.1.5 of product group id.
    let dup: Vec<(String, String)> = reader
        .defined_at
        .iter()
        .filter(|(_, at)| at.len() > 1)
        .map(|(id, at)| (id.clone(), at[1].clone()))
        .collect();
    for (id, at) in dup {
        reader.problem(
            "csaf-6.1.2",
            format!("{at}/product_id"),
            format!("product id `{id}` is defined more than once"),
        );
    }
    let dup: Vec<(String, String)> = reader
        .groups_at
        .iter()
        .filter(|(_, at)| at.len() > 1)
        .map(|(id, at)| (id.clone(), at[1].clone()))
        .collect();
    for (id, at) in dup {
        reader.problem(
            "csaf-6.1.5",
            format!("{at}/group_id"),
            format!("product group id `{id}` is defined more than once"),
        );
    }
    // 6.1.1 Missing definition of product id (references in the tree and vulnerabilities).
    let mut refs = Vec::new();
    if let Some(tree) = tree {
        for (i, g) in tree
            .get("product_groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            product_refs(g, &format!("/product_tree/product_groups/{i}"), &mut refs);
        }
        for (i, r) in tree
            .get("relationships")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for k in ["product_reference", "relates_to_product_reference"] {
                if let Some(id) = r.get(k).and_then(text) {
                    refs.push((id, format!("/product_tree/relationships/{i}/{k}")));
                }
            }
        }
    }
    if let Some(vulns) = doc.get("vulnerabilities") {
        product_refs(vulns, "/vulnerabilities", &mut refs);
    }
    for (id, at) in refs {
        if !reader.defined_at.contains_key(&id) {
            reader.problem(
                "csaf-6.1.1",
                at,
                format!("product id `{id}` is not defined in the product tree"),
            );
        }
    }
    // 6.1.3 Circular definition of product id.
    let edges: Vec<(String, String, usize)> = tree
        .and_then(|t| t.get("relationships"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, r)| {
            let id = r.pointer("/full_product_name/product_id").and_then(text)?;
            let a = r.get("product_reference").and_then(text);
            let b = r.get("relates_to_product_reference").and_then(text);
            Some(
                [a, b]
                    .into_iter()
                    .flatten()
                    .map(move |t| (id.clone(), t, i))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    for (id, target, i) in &edges {
        if reaches(&edges, target, id) {
            reader.problem(
                "csaf-6.1.3",
                format!("/product_tree/relationships/{i}/full_product_name/product_id"),
                format!("product id `{id}` is defined through itself"),
            );
        }
    }
    // 6.1.4 Missing definition of product group id.
    if let Some(vulns) = doc.get("vulnerabilities") {
        let mut group_refs = Vec::new();
        group_ids(vulns, "/vulnerabilities", &mut group_refs);
        for (id, at) in group_refs {
            if !reader.groups.contains_key(&id) {
                reader.problem(
                    "csaf-6.1.4",
                    at,
                    format!("product group id `{id}` is not defined in the product tree"),
                );
            }
        }
    }
    let products = std::mem::take(&mut reader.products);
    let groups = std::mem::take(&mut reader.groups);
    drop(reader);
    let mut statements = Vec::new();
    let vex = category == "csaf_vex";
    let advisory = category == "csaf_security_advisory";
    let vulns: &[Value] = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    // 6.1.27.3: informational advisories have no vulnerabilities; 6.1.27.11: security
    // advisories and VEX documents do.
    if category == "csaf_informational_advisory" && doc.get("vulnerabilities").is_some() {
        problems.push(problem(
            "csaf-6.1.27.3",
            "/vulnerabilities",
            "an informational advisory must not have vulnerabilities",
        ));
    }
    if (vex || advisory) && vulns.is_empty() {
        problems.push(problem(
            "csaf-6.1.27.11",
            "/vulnerabilities",
            "a security advisory or VEX document needs vulnerabilities",
        ));
    }
    // 6.1.27.4: the product tree.
    if (vex || advisory) && tree.is_none() {
        problems.push(problem(
            "csaf-6.1.27.4",
            "/product_tree",
            "a security advisory or VEX document needs a product tree",
        ));
    }
    if category == "csaf_informational_advisory" || category == "csaf_security_incident_response" {
        // 6.1.27.1 and 6.1.27.2: notes and references that say what it is about.
        let notes_ok = doc
            .pointer("/document/notes")
            .and_then(Value::as_array)
            .is_some_and(|n| {
                n.iter().any(|x| {
                    matches!(
                        x.get("category").and_then(Value::as_str),
                        Some("description" | "details" | "general" | "summary")
                    )
                })
            });
        if !notes_ok {
            problems.push(problem(
                "csaf-6.1.27.1",
                "/document/notes",
                "an informational advisory or incident response needs a note of category description, details, general or summary",
            ));
        }
        let refs_ok = doc
            .pointer("/document/references")
            .and_then(Value::as_array)
            .is_some_and(|r| {
                r.iter()
                    .any(|x| x.get("category").and_then(Value::as_str) == Some("external"))
            });
        if !refs_ok {
            problems.push(problem(
                "csaf-6.1.27.2",
                "/document/references",
                "an informational advisory or incident response needs an external reference",
            ));
        }
    }
    for (vi, v) in vulns.iter().enumerate() {
        let at = format!("/vulnerabilities/{vi}");
        let cve = v.get("cve").and_then(text);
        let ids: Vec<String> = v
            .get("ids")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| i.get("text").and_then(text))
            .collect();
        if (vex || advisory)
            && v.get("notes")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        {
            problems.push(problem(
                "csaf-6.1.27.5",
                &format!("{at}/notes"),
                "each vulnerability of a security advisory or VEX document needs notes",
            ));
        }
        let status = v.get("product_status");
        if advisory && status.is_none() {
            problems.push(problem(
                "csaf-6.1.27.6",
                &format!("{at}/product_status"),
                "each vulnerability of a security advisory needs a product status",
            ));
        }
        if vex {
            let has_vex_status = status.is_some_and(|s| {
                [
                    "fixed",
                    "known_affected",
                    "known_not_affected",
                    "under_investigation",
                ]
                .iter()
                .any(|k| {
                    s.get(*k)
                        .and_then(Value::as_array)
                        .is_some_and(|a| !a.is_empty())
                })
            });
            if !has_vex_status {
                problems.push(problem(
                    "csaf-6.1.27.7",
                    &format!("{at}/product_status"),
                    "each vulnerability of a VEX document needs fixed, known_affected, known_not_affected or under_investigation products",
                ));
            }
            if cve.is_none() && ids.is_empty() {
                problems.push(problem(
                    "csaf-6.1.27.8",
                    &at,
                    "each vulnerability of a VEX document needs a `cve` or `ids`",
                ));
            }
        }
        // Without an identifier the statuses are still checked, but assert nothing.
        let vulnerability = cve.clone().or_else(|| ids.first().cloned());
        let aliases: Vec<String> = ids
            .iter()
            .filter(|i| Some(*i) != vulnerability.as_ref())
            .cloned()
            .collect();
        // Per product: the flags (justifications), threats of category impact, and
        // remediations that name it directly or through a group.
        let expand = |x: &Value| -> BTreeSet<String> {
            let mut set: BTreeSet<String> = x
                .get("product_ids")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(text)
                .collect();
            for g in x
                .get("group_ids")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(text)
            {
                set.extend(groups.get(&g).into_iter().flatten().cloned());
            }
            set
        };
        let mut justification: HashMap<String, String> = HashMap::new();
        for f in v
            .get("flags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(label) = f.get("label").and_then(text) {
                for p in expand(f) {
                    justification.insert(p, label.clone());
                }
            }
        }
        let mut impact: HashMap<String, String> = HashMap::new();
        for t in v
            .get("threats")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if t.get("category").and_then(Value::as_str) == Some("impact")
                && let Some(d) = t.get("details").and_then(text)
            {
                for p in expand(t) {
                    impact.insert(p, d.clone());
                }
            }
        }
        let mut action: HashMap<String, String> = HashMap::new();
        for r in v
            .get("remediations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(d) = r.get("details").and_then(text) {
                for p in expand(r) {
                    action.insert(p, d.clone());
                }
            }
        }
        let mut seen: HashMap<String, (VexStatus, &str)> = HashMap::new();
        for (key, st) in STATUS_GROUPS {
            for (i, id) in status
                .and_then(|s| s.get(*key))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some(id) = text(id) else { continue };
                let pointer = format!("{at}/product_status/{key}/{i}");
                // 6.1.6 Contradicting product status.
                if let Some((other, other_key)) = seen.get(&id)
                    && *other != *st
                {
                    problems.push(problem(
                        "csaf-6.1.6",
                        &pointer,
                        &format!("product `{id}` is both in `{other_key}` and in `{key}`"),
                    ));
                    continue;
                }
                seen.insert(id.clone(), (*st, key));
                if vex
                    && *st == VexStatus::NotAffected
                    && !justification.contains_key(&id)
                    && !impact.contains_key(&id)
                {
                    problems.push(problem(
                        "csaf-6.1.27.9",
                        &pointer,
                        &format!("not-affected product `{id}` has no impact statement (a flag or a threat of category impact)"),
                    ));
                }
                if vex && *st == VexStatus::Affected && !action.contains_key(&id) {
                    problems.push(problem(
                        "csaf-6.1.27.10",
                        &pointer,
                        &format!("affected product `{id}` has no action statement (a remediation)"),
                    ));
                }
                let (products_of, components_of) = match products.get(&id) {
                    Some(Product {
                        component_of: Some((component, product)),
                        ..
                    }) => (
                        products
                            .get(product)
                            .map(|p| p.ids.clone())
                            .unwrap_or_default(),
                        products
                            .get(component)
                            .map(|p| p.ids.clone())
                            .unwrap_or_default(),
                    ),
                    Some(p) => (p.ids.clone(), Vec::new()),
                    None => continue,
                };
                let Some(vulnerability) = &vulnerability else {
                    continue;
                };
                if products_of.is_empty() && components_of.is_empty() {
                    continue;
                }
                statements.push(Statement {
                    vulnerability: vulnerability.clone(),
                    aliases: aliases.clone(),
                    products: products_of,
                    components: components_of,
                    status: *st,
                    justification: justification.get(&id).cloned(),
                    impact: impact.get(&id).cloned(),
                    action: action.get(&id).cloned(),
                    timestamp: doc
                        .pointer("/document/tracking/current_release_date")
                        .and_then(text),
                    analysis: None,
                });
            }
        }
    }
    VexDocument {
        format: VexFormat::Csaf,
        id: doc.pointer("/document/tracking/id").and_then(text),
        author: doc.pointer("/document/publisher/name").and_then(text),
        timestamp: doc
            .pointer("/document/tracking/current_release_date")
            .and_then(text),
        statements,
        problems,
    }
}

fn problem(code: &str, pointer: &str, message: &str) -> VexProblem {
    VexProblem {
        code: code.to_owned(),
        pointer: pointer.to_owned(),
        message: message.to_owned(),
    }
}

fn reaches(edges: &[(String, String, usize)], from: &str, to: &str) -> bool {
    let mut stack = vec![from.to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if !seen.insert(n.clone()) {
            continue;
        }
        stack.extend(
            edges
                .iter()
                .filter(|(a, _, _)| *a == n)
                .map(|(_, b, _)| b.clone()),
        );
    }
    false
}

/// The fields the CSAF 2.0 schema requires of `document`.
fn required(doc: &Value, problems: &mut Vec<VexProblem>) {
    let Some(d) = doc.get("document") else {
        problems.push(problem(
            "csaf-schema",
            "/document",
            "`document` is required",
        ));
        return;
    };
    if d.get("csaf_version").and_then(Value::as_str) != Some("2.0") {
        problems.push(problem(
            "csaf-schema",
            "/document/csaf_version",
            "expected `csaf_version` \"2.0\"",
        ));
    }
    for field in ["category", "title"] {
        if d.get(field).and_then(text).is_none() {
            problems.push(problem(
                "csaf-schema",
                &format!("/document/{field}"),
                &format!("`{field}` is required"),
            ));
        }
    }
    for field in ["category", "name", "namespace"] {
        if d.pointer(&format!("/publisher/{field}"))
            .and_then(text)
            .is_none()
        {
            problems.push(problem(
                "csaf-schema",
                &format!("/document/publisher/{field}"),
                &format!("`publisher.{field}` is required"),
            ));
        }
    }
    for field in [
        "id",
        "status",
        "version",
        "initial_release_date",
        "current_release_date",
    ] {
        if d.pointer(&format!("/tracking/{field}"))
            .and_then(text)
            .is_none()
        {
            problems.push(problem(
                "csaf-schema",
                &format!("/document/tracking/{field}"),
                &format!("`tracking.{field}` is required"),
            ));
        }
    }
    if d.pointer("/tracking/revision_history")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        problems.push(problem(
            "csaf-schema",
            "/document/tracking/revision_history",
            "`tracking.revision_history` needs at least one revision",
        ));
    }
}
