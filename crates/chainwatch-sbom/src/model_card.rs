//! What a machine-learning model's card says: the part of CycloneDX `modelCard` and of the
//! SPDX 3 AI profile (`ai_AIPackage`) that chainwatch keeps, in one shape both formats
//! read into and write from.

use crate::model::Property;

/// A model card: how a model was made and what it is for. Every field is optional; a
/// reader keeps what the document says and nothing more.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelCard {
    /// CycloneDX `modelCard.bom-ref`.
    pub bom_ref: Option<String>,
    /// The learning approach: `supervised`, `unsupervised`, `reinforcement-learning`,
    /// `semi-supervised`, `self-supervised`.
    pub approach: Option<String>,
    /// The task the model performs (`text-generation`, `image-classification`; the Hugging
    /// Face `pipeline_tag`).
    pub task: Option<String>,
    /// The architecture family (`llama`, `bert`; a Hugging Face config's `model_type`).
    pub architecture_family: Option<String>,
    /// The architecture (`LlamaForCausalLM`; a Hugging Face config's `architectures`).
    pub model_architecture: Option<String>,
    /// Data the model was trained or evaluated on.
    pub datasets: Vec<ModelDataset>,
    /// Input formats (`string`, `image`).
    pub inputs: Vec<String>,
    /// Output formats.
    pub outputs: Vec<String>,
    /// Measured performance.
    pub metrics: Vec<Metric>,
    /// Intended users.
    pub users: Vec<String>,
    /// Intended uses.
    pub use_cases: Vec<String>,
    /// Known technical limitations.
    pub limitations: Vec<String>,
    /// Known trade-offs of accuracy against performance.
    pub tradeoffs: Vec<String>,
    /// Ethical risks, each with how it is mitigated.
    pub ethical: Vec<Risk>,
    /// Fairness assessments.
    pub fairness: Vec<Fairness>,
    /// Name/value pairs the card carries besides (CycloneDX `modelCard.properties`, SPDX 3
    /// `ai_hyperparameter` entries as `hyperparameter:KEY`).
    pub properties: Vec<Property>,
}

/// A dataset a model card names: a reference to a component of the document (a `data`
/// component), or a dataset described in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelDataset {
    /// The `bom-ref` (or SPDX id) of a component of the document.
    Ref(String),
    Inline(InlineDataset),
}

/// A dataset described inside a model card (CycloneDX `componentData`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InlineDataset {
    pub bom_ref: Option<String>,
    /// `source-code`, `configuration`, `dataset`, `definition`, `other`.
    pub kind: Option<String>,
    pub name: Option<String>,
    /// Where the data is (`contents.url`).
    pub url: Option<String>,
    /// Its data classification (`public`, `confidential`…).
    pub classification: Option<String>,
    pub description: Option<String>,
}

/// A performance metric.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metric {
    /// What is measured (`accuracy`, `f1`).
    pub kind: Option<String>,
    /// The value, as written.
    pub value: Option<String>,
    /// The slice of data it was computed on.
    pub slice: Option<String>,
    pub lower_bound: Option<String>,
    pub upper_bound: Option<String>,
}

/// An ethical risk and its mitigation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Risk {
    pub name: Option<String>,
    pub mitigation: Option<String>,
}

/// A fairness assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fairness {
    pub group_at_risk: Option<String>,
    pub benefits: Option<String>,
    pub harms: Option<String>,
    pub mitigation: Option<String>,
}

impl ModelCard {
    /// Whether the card says nothing.
    pub fn is_empty(&self) -> bool {
        *self == ModelCard::default()
    }

    /// The component ids of the datasets the card references.
    pub fn dataset_refs(&self) -> impl Iterator<Item = &str> {
        self.datasets.iter().filter_map(|d| match d {
            ModelDataset::Ref(r) => Some(r.as_str()),
            ModelDataset::Inline(_) => None,
        })
    }
}
