//! The properties chainwatch writes into CycloneDX and reads back: what the model has and
//! CycloneDX has no field for, so that a round trip through CycloneDX keeps it.

pub(crate) const SCOPE_PROPERTY: &str = "chainwatch:scope";
pub(crate) const CONCLUDED_PROPERTY: &str = "chainwatch:license:concluded";
pub(crate) const CPE_PROPERTY: &str = "chainwatch:cpe";
/// `chainwatch:hash:<algorithm>` = digest, for algorithms CycloneDX lacks (MD2, ADLER32).
pub(crate) const HASH_PROPERTY: &str = "chainwatch:hash:";
/// The kind of a component CycloneDX has no type for (an SPDX snippet, say).
pub(crate) const TYPE_PROPERTY: &str = "chainwatch:type";
/// `chainwatch:relationship:<kind>` = target `bom-ref`: relationships CycloneDX cannot
/// express (variant-of, generated-from, containment that is not a tree, dependency
/// scopes), on the component they start from.
pub(crate) const RELATIONSHIP_PROPERTY: &str = "chainwatch:relationship:";

/// The property that records a SWID tag id (CycloneDX has a `swid` object; the model
/// keeps its `tagId`).
pub(crate) const SWID_PROPERTY: &str = "cdx:swid:tagId";
