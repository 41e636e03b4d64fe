//! One module per top-level command.

pub(crate) mod advisories;
pub(crate) mod completions;
pub(crate) mod findings;
pub(crate) mod generate;
pub(crate) mod inspect;
pub(crate) mod remote;
pub(crate) mod sbom;
pub(crate) mod scan;
pub(crate) mod serve;
pub(crate) mod store;
pub(crate) mod typosquat;
pub(crate) mod update;
pub(crate) mod verify;
pub(crate) mod vex;
