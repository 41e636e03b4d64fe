//! A component's licence as the commands read it: the concluded licence when the document
//! gives one, else every declared statement as written (names too, so that they can be
//! recognized), normalized to one SPDX expression.

use chainwatch_license::{Licensing, normalize_all};
use chainwatch_sbom::Component;

/// What a component states, and whether it is the document's conclusion.
pub(crate) fn statements(c: &Component) -> (Vec<String>, bool) {
    c.license_statements()
}

/// A component's licence, normalized and parsed.
pub(crate) fn licensing(c: &Component) -> Licensing {
    let (stated, _) = statements(c);
    let refs: Vec<&str> = stated.iter().map(String::as_str).collect();
    Licensing::of(normalize_all(&refs))
}
