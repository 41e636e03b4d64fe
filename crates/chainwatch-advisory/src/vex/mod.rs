//! VEX documents (OpenVEX 0.0.1 and 0.2.0, CycloneDX VEX standalone or embedded in an SBOM,
//! CSAF 2.0) read into one statement model: which vulnerability, which product and which
//! of its components, what status, and why. Problems are reported with JSON pointers; a
//! statement that cannot be understood is left out, the rest kept.

mod csaf;
mod model;

use serde_json::Value;

pub use model::{Statement, VexDocument, VexError, VexFormat, VexProblem, VexStatus};

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Reads a VEX document: OpenVEX (JSON or YAML), CSAF 2.0 JSON, or CycloneDX (JSON or
/// XML, standalone VEX or an SBOM with `vulnerabilities`), told apart by content.
pub fn parse(bytes: &[u8]) -> Result<VexDocument, VexError> {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"<") {
        return cyclonedx(bytes);
    }
    let value: Value = if trimmed.starts_with(b"{") {
        serde_json::from_slice(bytes).map_err(|e| VexError::Json(e.to_string()))?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|e| VexError::Json(e.to_string()))?;
        serde_saphyr::from_str(text).map_err(|e| VexError::Json(e.to_string()))?
    };
    if value.get("bomFormat").is_some() {
        return cyclonedx(bytes);
    }
    if value.pointer("/document/csaf_version").is_some() {
        return Ok(csaf::read(&value));
    }
    if value.get("statements").is_some()
        || value
            .get("@context")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains("openvex"))
    {
        return Ok(openvex(&value));
    }
    Err(VexError::NotVex(
        "expected OpenVEX (`@context`, `statements`), CSAF (`document.csaf_version`) or CycloneDX (`bomFormat`)".into(),
    ))
}

/// An OpenVEX product or subcomponent: a string (0.0.1) or an object with `@id` or
/// identifiers (0.2.0).
fn openvex_ids(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.trim().to_owned()],
        Value::Object(o) => {
            let mut out: Vec<String> = o.get("@id").and_then(text).into_iter().collect();
            if let Some(ids) = o.get("identifiers").and_then(Value::as_object) {
                out.extend(ids.values().filter_map(text));
            }
            out
        }
        _ => Vec::new(),
    }
}

fn openvex(doc: &Value) -> VexDocument {
    let mut out = VexDocument {
        format: VexFormat::OpenVex,
        id: doc.get("@id").and_then(text),
        author: doc.get("author").and_then(text),
        timestamp: doc.get("timestamp").and_then(text),
        statements: Vec::new(),
        problems: Vec::new(),
    };
    let Some(list) = doc.get("statements").and_then(Value::as_array) else {
        out.problems.push(VexProblem {
            code: "vex-statement".into(),
            pointer: "/statements".into(),
            message: "expected an array of statements".into(),
        });
        return out;
    };
    for (i, s) in list.iter().enumerate() {
        let problem = |field: &str, message: String| VexProblem {
            code: "vex-statement".into(),
            pointer: format!("/statements/{i}{field}"),
            message,
        };
        let vuln = s.get("vulnerability");
        let (vulnerability, aliases) = match vuln {
            Some(Value::String(v)) => (Some(v.trim().to_owned()), Vec::new()),
            Some(Value::Object(o)) => (
                o.get("name")
                    .and_then(text)
                    .or_else(|| o.get("@id").and_then(text)),
                o.get("aliases")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(text).collect())
                    .unwrap_or_default(),
            ),
            _ => (None, Vec::new()),
        };
        let Some(vulnerability) = vulnerability.filter(|v| !v.is_empty()) else {
            out.problems.push(problem(
                "/vulnerability",
                "expected the vulnerability's name".into(),
            ));
            continue;
        };
        let status = match s.get("status").and_then(Value::as_str).map(str::parse) {
            Some(Ok(st)) => st,
            Some(Err(e)) => {
                out.problems.push(problem("/status", e));
                continue;
            }
            None => {
                out.problems
                    .push(problem("/status", "expected a status".into()));
                continue;
            }
        };
        let mut products = Vec::new();
        let mut components = Vec::new();
        for p in s
            .get("products")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            products.extend(openvex_ids(p));
            for c in p
                .get("subcomponents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                components.extend(openvex_ids(c));
            }
        }
        // 0.0.1 lists subcomponents beside the products.
        for c in s
            .get("subcomponents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            components.extend(openvex_ids(c));
        }
        if status == VexStatus::NotAffected
            && s.get("justification").is_none()
            && s.get("impact_statement").is_none()
        {
            out.problems.push(problem(
                "",
                "a `not_affected` statement needs a justification or an impact statement".into(),
            ));
        }
        out.statements.push(Statement {
            vulnerability,
            aliases,
            products,
            components,
            status,
            justification: s.get("justification").and_then(text),
            impact: s.get("impact_statement").and_then(text),
            action: s.get("action_statement").and_then(text),
            timestamp: s
                .get("timestamp")
                .and_then(text)
                .or_else(|| out.timestamp.clone()),
            analysis: None,
        });
    }
    out
}

/// CycloneDX analysis states a decision may set (triage, vulnerability policies).
pub const ANALYSIS_STATES: [&str; 6] = [
    "not_set",
    "in_triage",
    "exploitable",
    "false_positive",
    "not_affected",
    "resolved",
];

/// CycloneDX analysis justifications.
pub const JUSTIFICATIONS: [&str; 9] = [
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];

/// CycloneDX analysis responses.
pub const RESPONSES: [&str; 5] = [
    "can_not_fix",
    "will_not_fix",
    "update",
    "rollback",
    "workaround_available",
];

/// A CycloneDX analysis state as a VEX status (`None`: not a state CycloneDX defines).
pub fn analysis_status(state: &str) -> Option<VexStatus> {
    cdx_status(state)
}

/// CycloneDX analysis states as VEX statuses.
fn cdx_status(state: &str) -> Option<VexStatus> {
    Some(match state {
        "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
        "exploitable" => VexStatus::Affected,
        // `not_set` is no decision (a reset): its status is never used,
        // `Statement::is_reset` is.
        "in_triage" | "not_set" => VexStatus::UnderInvestigation,
        "false_positive" | "not_affected" => VexStatus::NotAffected,
        _ => return None,
    })
}

fn cyclonedx(bytes: &[u8]) -> Result<VexDocument, VexError> {
    let sbom = chainwatch_sbom::parse(bytes, &chainwatch_sbom::ReadOptions::default())
        .map_err(|e| VexError::NotVex(e.to_string()))?;
    let subject = sbom.subject.as_deref().and_then(|s| sbom.component(s));
    // The product is the subject: by purl, and by name (`name@version` when it has a
    // version, so that a statement about one release does not cover every release).
    let product: Vec<String> = subject
        .map(|c| {
            let name = match &c.version {
                Some(v) if !v.is_empty() => format!("{}@{v}", c.name),
                _ => c.name.clone(),
            };
            c.purl()
                .map(|p| p.canonical().to_owned())
                .into_iter()
                .chain(std::iter::once(name))
                .collect()
        })
        .unwrap_or_default();
    let mut out = VexDocument {
        format: VexFormat::CycloneDx,
        id: sbom.serial.clone(),
        author: sbom.authors.first().cloned(),
        timestamp: sbom.created.clone(),
        statements: Vec::new(),
        problems: Vec::new(),
    };
    for (i, v) in sbom.vulnerabilities.iter().enumerate() {
        let Some(analysis) = &v.analysis else {
            // A vulnerability without analysis reports, it does not assert.
            continue;
        };
        let Some(status) = analysis.state.as_deref().and_then(cdx_status) else {
            out.problems.push(VexProblem {
                code: "vex-statement".into(),
                pointer: format!("/vulnerabilities/{i}/analysis/state"),
                message: format!(
                    "unknown analysis state `{}`",
                    analysis.state.as_deref().unwrap_or("")
                ),
            });
            continue;
        };
        let mut components = Vec::new();
        let mut about_product = false;
        for r in &v.affects {
            // A BOM-Link (`urn:cdx:serial/version#ref`) names a component of a BOM by ref.
            let local = r.rsplit_once('#').map_or(r.as_str(), |(_, f)| f);
            if Some(local) == sbom.subject.as_deref() {
                about_product = true;
            } else if let Some(c) = sbom.component(local) {
                components.push(
                    c.purl()
                        .map_or_else(|| c.name.clone(), |p| p.canonical().to_owned()),
                );
            } else if local.starts_with("pkg:") {
                components.push(local.to_owned());
            } else {
                out.problems.push(VexProblem {
                    code: "vex-statement".into(),
                    pointer: format!("/vulnerabilities/{i}/affects"),
                    message: format!("`{r}` names no component of this document"),
                });
            }
        }
        if components.is_empty() && !about_product {
            continue;
        }
        let justification = analysis.justification.clone().or_else(|| {
            (analysis.state.as_deref() == Some("false_positive")).then(|| "false_positive".into())
        });
        let statement = |products: Vec<String>, components: Vec<String>| Statement {
            vulnerability: v.id.clone(),
            aliases: v.aliases.clone(),
            products,
            components,
            status,
            justification: justification.clone(),
            impact: analysis.detail.clone(),
            action: (!analysis.responses.is_empty()).then(|| analysis.responses.join(", ")),
            timestamp: v.updated.clone().or_else(|| sbom.created.clone()),
            analysis: analysis.state.clone(),
        };
        if about_product {
            out.statements.push(statement(product.clone(), Vec::new()));
        }
        if !components.is_empty() {
            out.statements.push(statement(product.clone(), components));
        }
    }
    if sbom.vulnerabilities.is_empty() {
        return Err(VexError::NotVex(
            "the CycloneDX document has no `vulnerabilities`".into(),
        ));
    }
    Ok(out)
}

/// An OpenVEX (or CSAF) justification in CycloneDX's vocabulary (`analysis.justification`);
/// `None` for one CycloneDX has no counterpart for.
pub fn cyclonedx_justification(justification: &str) -> Option<&'static str> {
    Some(match justification {
        "component_not_present" | "requires_dependency" => "requires_dependency",
        "vulnerable_code_not_present" | "code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" | "code_not_reachable" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary"
        | "inline_mitigations_already_exist"
        | "protected_by_mitigating_control" => "protected_by_mitigating_control",
        "requires_configuration" => "requires_configuration",
        "requires_environment" => "requires_environment",
        "protected_by_compiler" => "protected_by_compiler",
        "protected_at_runtime" => "protected_at_runtime",
        "protected_at_perimeter" => "protected_at_perimeter",
        _ => return None,
    })
}
