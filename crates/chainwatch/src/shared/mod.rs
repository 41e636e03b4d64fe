//! What several commands need, so that commands never import each other: opening the
//! store (`store.rs`), reading and writing files (`files.rs`), rendering (`render.rs`),
//! matching after a change (`findings.rs`), the typo-squatting corpus (`typosquat.rs`),
//! the trust policy of attestations (`trust.rs`), times (`time.rs`) and what a command's
//! TARGET names: a tree, a lockfile, an SBOM or a stored product version (`target.rs`),
//! a component's licence (`license.rs`), a policy file (`policy.rs`) and package content
//! audits (`audit.rs`).

pub(crate) mod audit;
pub(crate) mod files;
pub(crate) mod findings;
pub(crate) mod license;
pub(crate) mod policy;
pub(crate) mod render;
pub(crate) mod store;
pub(crate) mod target;
pub(crate) mod time;
pub(crate) mod trust;
pub(crate) mod typosquat;
