//! SARIF 2.1.0 for advisory findings: the log of a chainwatch run, one rule per advisory,
//! and the level of a finding. Used by the CLI (`scan`, `findings`) and the server.

use serde_json::{Value, json};

use crate::Level;

/// A SARIF 2.1.0 log of one chainwatch run with these rules and results.
pub fn log(rules: &[Value], results: &[Value]) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "chainwatch",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// SARIF rules for advisories, one per advisory id, in order of first use.
#[derive(Debug, Default)]
pub struct AdvisoryRules {
    pub rules: Vec<Value>,
    index: std::collections::HashMap<String, usize>,
}

impl AdvisoryRules {
    /// The index of the advisory's rule, added on first use.
    pub fn index(
        &mut self,
        id: &str,
        summary: Option<&str>,
        aliases: &[String],
        score: Option<f64>,
    ) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        self.rules.push(json!({
            "id": id,
            "shortDescription": {"text": summary.unwrap_or(id)},
            "properties": {"aliases": aliases, "security-severity": score.map(|s| format!("{s:.1}"))},
        }));
        self.index.insert(id.to_owned(), self.rules.len() - 1);
        self.rules.len() - 1
    }
}

/// The SARIF level of an advisory finding: malicious and high or critical are errors,
/// medium and unknown warnings, the rest notes.
pub fn level(malicious: bool, level: Option<Level>) -> &'static str {
    if malicious || level >= Some(Level::High) {
        "error"
    } else if level >= Some(Level::Medium) || level.is_none() {
        "warning"
    } else {
        "note"
    }
}
