//! A component's licence as the commands read it: the concluded licence when the document
//! gives one, else every declared statement as written (names too, so that they can be
//! recognized), normalized to one SPDX expression.

use chainwatch_license::{Licensing, normalize_all};
use chainwatch_sbom::{Component, License};

/// What a component states, and whether it is the document's conclusion.
pub(crate) fn statements(c: &Component) -> (Vec<String>, bool) {
    if let Some(concluded) = c
        .license_concluded
        .as_deref()
        .filter(|l| !l.trim().is_empty() && !l.trim().eq_ignore_ascii_case("NOASSERTION"))
    {
        return (vec![concluded.to_owned()], true);
    }
    let declared = c
        .licenses
        .iter()
        .map(|l| match l {
            License::Expression(e) | License::Id(e) => e.clone(),
            License::Name(n) => n.clone(),
        })
        .collect();
    (declared, false)
}

/// A component's licence, normalized and parsed.
pub(crate) fn licensing(c: &Component) -> Licensing {
    let (stated, _) = statements(c);
    let refs: Vec<&str> = stated.iter().map(String::as_str).collect();
    Licensing::of(normalize_all(&refs))
}
