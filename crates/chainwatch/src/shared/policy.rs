//! Reading a policy file (`scan --policy`, `policy check`, `policy test`).

use chainwatch_policy::Policy;

use crate::output::InputError;

/// Reads and compiles a policy file; its problems are unusable input, located by line.
pub(crate) fn load(path: &std::path::Path) -> anyhow::Result<Policy> {
    let shown = crate::shared::files::display(path);
    if std::fs::metadata(path).is_ok_and(|m| m.len() > chainwatch_policy::MAX_POLICY_BYTES as u64) {
        return Err(InputError(format!(
            "{shown}: the policy is larger than {} bytes",
            chainwatch_policy::MAX_POLICY_BYTES
        ))
        .into());
    }
    let bytes = crate::shared::files::read_input(path)?;
    let text =
        String::from_utf8(bytes).map_err(|e| InputError(format!("{shown}: not UTF-8 ({e})")))?;
    Policy::parse(&text).map_err(|e| InputError(format!("{shown}: {e}")).into())
}
