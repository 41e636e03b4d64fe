//! Conditions on a product version rather than on one of its components: whether its SBOM
//! holds the NTIA minimum elements, and whether a verified provenance attestation says
//! which builder made it. A rule using them is a product rule: it is evaluated once per
//! product version, and its violations name the product version itself.

use serde::{Deserialize, Serialize};

/// The NTIA minimum elements a condition may name (the `ntia-missing-…` diagnostics of
/// `chainwatch sbom validate --ntia`).
pub const NTIA_ELEMENTS: [&str; 7] = [
    "supplier",
    "name",
    "version",
    "identifier",
    "relationships",
    "author",
    "timestamp",
];

/// `ntia = true` (every element) or `ntia = ["supplier", …]`.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum NtiaSpec {
    All(bool),
    Elements(Vec<String>),
}

/// What product rules see of a product version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Release {
    pub product: String,
    pub version: Option<String>,
    /// The NTIA minimum elements its SBOM misses, with how many times (components
    /// without a supplier, …; 1 for a document-level element).
    pub ntia_missing: Vec<(String, usize)>,
    /// The builders (`builder.id`) of the verified provenance attestations about it.
    pub builders: Vec<String>,
}

impl Release {
    /// How violations name it: `product@version`.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{v}", self.product),
            None => self.product.clone(),
        }
    }

    /// The NTIA element of a diagnostic code (`ntia-missing-supplier` → `supplier`).
    pub fn element_of(code: &str) -> Option<&'static str> {
        let element = code.strip_prefix("ntia-missing-")?;
        NTIA_ELEMENTS.iter().copied().find(|e| *e == element)
    }
}

/// The product conditions of one `when` table.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProductCondition {
    /// The NTIA elements that must be present (empty: no NTIA condition).
    pub(crate) ntia: Vec<&'static str>,
    /// Whether verified provenance is required.
    pub(crate) provenance: bool,
    /// Builder globs, one of which must have made it (empty: any builder).
    pub(crate) builders: Vec<String>,
}

impl ProductCondition {
    pub(crate) fn is_empty(&self) -> bool {
        self.ntia.is_empty() && !self.provenance && self.builders.is_empty()
    }

    /// Whether it holds for `release` (something is missing), and why.
    pub(crate) fn holds(&self, release: &Release) -> Option<Vec<String>> {
        let mut reasons = Vec::new();
        if !self.ntia.is_empty() {
            let missing: Vec<String> = release
                .ntia_missing
                .iter()
                .filter(|(e, n)| *n > 0 && self.ntia.contains(&e.as_str()))
                .map(|(e, n)| match e.as_str() {
                    "supplier" | "name" | "version" | "identifier" => {
                        format!("{e} ({n} components)")
                    }
                    _ => e.clone(),
                })
                .collect();
            if missing.is_empty() {
                return None;
            }
            reasons.push(format!(
                "NTIA minimum elements missing: {}",
                missing.join(", ")
            ));
        }
        if self.provenance || !self.builders.is_empty() {
            let good = release.builders.iter().any(|b| {
                self.builders.is_empty()
                    || self
                        .builders
                        .iter()
                        .any(|g| chainwatch_attest::slsa::glob_matches(g, b))
            });
            if good {
                return None;
            }
            reasons.push(if release.builders.is_empty() {
                "no verified provenance attestation".to_owned()
            } else {
                format!(
                    "built by {}, not by {}",
                    release.builders.join(", "),
                    self.builders.join(" or ")
                )
            });
        }
        Some(reasons)
    }
}
