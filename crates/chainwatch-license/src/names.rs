//! Licence names as package metadata writes them, mapped to SPDX ids only where the name
//! says which licence (and which version) it means. `BSD License`, `GPL`, `Apache
//! Software License` and `LGPLv2` name several licences and stay unknown.

/// A name's key: lower case, `licence` spelt `license`, a PyPI classifier's prefix, a
/// leading `the`, commas and quotes dropped, spaces collapsed, a trailing `license`
/// dropped.
fn key(text: &str) -> String {
    let lower = text
        .trim()
        .to_ascii_lowercase()
        .replace("licence", "license");
    let mut t = lower.as_str();
    for prefix in ["license :: osi approved :: ", "license :: "] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest;
            break;
        }
    }
    let t = t.strip_prefix("the ").unwrap_or(t);
    let cleaned: String = t
        .chars()
        .filter(|c| !matches!(c, ',' | '"' | '\''))
        .collect();
    let mut out = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(stem) = out.strip_suffix(" license") {
        out = stem.to_owned();
    }
    out
}

/// Names (as keys) and the licence each names.
const NAMES: &[(&str, &str)] = &[
    // MIT
    ("mit", "MIT"),
    ("expat", "MIT"),
    ("mit/expat", "MIT"),
    // Apache
    ("apache 2", "Apache-2.0"),
    ("apache 2.0", "Apache-2.0"),
    ("apache2", "Apache-2.0"),
    ("apache2.0", "Apache-2.0"),
    ("apache-2", "Apache-2.0"),
    ("apache v2", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license v2", "Apache-2.0"),
    ("apache license v2.0", "Apache-2.0"),
    ("apache license version 2", "Apache-2.0"),
    ("apache license version 2.0", "Apache-2.0"),
    ("apache license (2.0)", "Apache-2.0"),
    ("apache software license 2.0", "Apache-2.0"),
    ("apache software license version 2.0", "Apache-2.0"),
    ("asl 2.0", "Apache-2.0"),
    ("asl-2.0", "Apache-2.0"),
    ("asl2", "Apache-2.0"),
    ("asl 2", "Apache-2.0"),
    ("apache license 1.1", "Apache-1.1"),
    ("apache software license 1.1", "Apache-1.1"),
    // BSD
    ("new bsd", "BSD-3-Clause"),
    ("bsd new", "BSD-3-Clause"),
    ("modified bsd", "BSD-3-Clause"),
    ("revised bsd", "BSD-3-Clause"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("bsd 3 clause", "BSD-3-Clause"),
    ("bsd-3", "BSD-3-Clause"),
    ("bsd 3", "BSD-3-Clause"),
    ("bsd3", "BSD-3-Clause"),
    ("3-clause bsd", "BSD-3-Clause"),
    ("eclipse distribution license - v 1.0", "BSD-3-Clause"),
    ("eclipse distribution license v1.0", "BSD-3-Clause"),
    ("simplified bsd", "BSD-2-Clause"),
    ("freebsd", "BSD-2-Clause"),
    ("bsd 2-clause", "BSD-2-Clause"),
    ("bsd 2 clause", "BSD-2-Clause"),
    ("bsd-2", "BSD-2-Clause"),
    ("bsd2", "BSD-2-Clause"),
    ("2-clause bsd", "BSD-2-Clause"),
    ("isc", "ISC"),
    ("iscl", "ISC"),
    ("isc license (iscl)", "ISC"),
    // GPL
    ("gplv2", "GPL-2.0-only"),
    ("gpl v2", "GPL-2.0-only"),
    ("gpl-2", "GPL-2.0-only"),
    ("gpl2", "GPL-2.0-only"),
    ("gpl version 2", "GPL-2.0-only"),
    ("gnu gpl v2", "GPL-2.0-only"),
    ("gnu gplv2", "GPL-2.0-only"),
    ("gnu general public license v2", "GPL-2.0-only"),
    ("gnu general public license version 2", "GPL-2.0-only"),
    ("gnu general public license v2 (gplv2)", "GPL-2.0-only"),
    ("gnu general public license v2.0", "GPL-2.0-only"),
    ("gplv2+", "GPL-2.0-or-later"),
    ("gpl v2+", "GPL-2.0-or-later"),
    ("gpl-2+", "GPL-2.0-or-later"),
    ("gpl2+", "GPL-2.0-or-later"),
    ("gplv2 or later", "GPL-2.0-or-later"),
    ("gpl version 2 or later", "GPL-2.0-or-later"),
    ("gnu gpl v2 or later", "GPL-2.0-or-later"),
    ("gnu general public license v2 or later", "GPL-2.0-or-later"),
    (
        "gnu general public license v2 or later (gplv2+)",
        "GPL-2.0-or-later",
    ),
    ("gplv3", "GPL-3.0-only"),
    ("gpl v3", "GPL-3.0-only"),
    ("gpl-3", "GPL-3.0-only"),
    ("gpl3", "GPL-3.0-only"),
    ("gpl version 3", "GPL-3.0-only"),
    ("gnu gpl v3", "GPL-3.0-only"),
    ("gnu gplv3", "GPL-3.0-only"),
    ("gnu general public license v3", "GPL-3.0-only"),
    ("gnu general public license version 3", "GPL-3.0-only"),
    ("gnu general public license v3 (gplv3)", "GPL-3.0-only"),
    ("gnu general public license v3.0", "GPL-3.0-only"),
    ("gplv3+", "GPL-3.0-or-later"),
    ("gpl v3+", "GPL-3.0-or-later"),
    ("gpl-3+", "GPL-3.0-or-later"),
    ("gpl3+", "GPL-3.0-or-later"),
    ("gplv3 or later", "GPL-3.0-or-later"),
    ("gpl version 3 or later", "GPL-3.0-or-later"),
    ("gnu gpl v3 or later", "GPL-3.0-or-later"),
    ("gnu general public license v3 or later", "GPL-3.0-or-later"),
    (
        "gnu general public license v3 or later (gplv3+)",
        "GPL-3.0-or-later",
    ),
    ("gpl2 w/ cpe", "GPL-2.0-only WITH Classpath-exception-2.0"),
    (
        "gnu general public license version 2 with the classpath exception",
        "GPL-2.0-only WITH Classpath-exception-2.0",
    ),
    // LGPL
    ("lgpl-2", "LGPL-2.0-only"),
    ("lgpl-2+", "LGPL-2.0-or-later"),
    ("lgplv2+", "LGPL-2.0-or-later"),
    ("gpl-1", "GPL-1.0-only"),
    ("gpl-1+", "GPL-1.0-or-later"),
    ("lgplv2.1", "LGPL-2.1-only"),
    ("lgpl v2.1", "LGPL-2.1-only"),
    ("lgpl2.1", "LGPL-2.1-only"),
    ("lgpl version 2.1", "LGPL-2.1-only"),
    ("gnu lesser general public license v2.1", "LGPL-2.1-only"),
    (
        "gnu lesser general public license version 2.1",
        "LGPL-2.1-only",
    ),
    ("lgplv2.1+", "LGPL-2.1-or-later"),
    ("lgpl v2.1+", "LGPL-2.1-or-later"),
    ("lgpl2.1+", "LGPL-2.1-or-later"),
    ("lgplv3", "LGPL-3.0-only"),
    ("lgpl v3", "LGPL-3.0-only"),
    ("lgpl-3", "LGPL-3.0-only"),
    ("lgpl3", "LGPL-3.0-only"),
    ("lgpl version 3", "LGPL-3.0-only"),
    ("gnu lesser general public license v3", "LGPL-3.0-only"),
    (
        "gnu lesser general public license v3 (lgplv3)",
        "LGPL-3.0-only",
    ),
    (
        "gnu lesser general public license version 3",
        "LGPL-3.0-only",
    ),
    ("lgplv3+", "LGPL-3.0-or-later"),
    ("lgpl v3+", "LGPL-3.0-or-later"),
    ("lgpl-3+", "LGPL-3.0-or-later"),
    ("lgpl3+", "LGPL-3.0-or-later"),
    (
        "gnu lesser general public license v3 or later (lgplv3+)",
        "LGPL-3.0-or-later",
    ),
    // AGPL
    ("agplv3", "AGPL-3.0-only"),
    ("agpl v3", "AGPL-3.0-only"),
    ("agpl-3", "AGPL-3.0-only"),
    ("agpl3", "AGPL-3.0-only"),
    ("gnu affero general public license v3", "AGPL-3.0-only"),
    (
        "gnu affero general public license version 3",
        "AGPL-3.0-only",
    ),
    ("agplv3+", "AGPL-3.0-or-later"),
    ("agpl v3+", "AGPL-3.0-or-later"),
    ("agpl-3+", "AGPL-3.0-or-later"),
    ("agpl3+", "AGPL-3.0-or-later"),
    (
        "gnu affero general public license v3 or later (agplv3+)",
        "AGPL-3.0-or-later",
    ),
    // Mozilla, Eclipse, CDDL, EUPL
    ("mpl 2.0", "MPL-2.0"),
    ("mpl-2", "MPL-2.0"),
    ("mpl2", "MPL-2.0"),
    ("mpl v2", "MPL-2.0"),
    ("mozilla public license 2.0", "MPL-2.0"),
    ("mozilla public license version 2.0", "MPL-2.0"),
    ("mozilla public license 2.0 (mpl 2.0)", "MPL-2.0"),
    ("mpl 1.1", "MPL-1.1"),
    ("mozilla public license 1.1", "MPL-1.1"),
    ("mozilla public license 1.1 (mpl 1.1)", "MPL-1.1"),
    ("epl 1.0", "EPL-1.0"),
    ("eclipse public license 1.0", "EPL-1.0"),
    ("eclipse public license - v 1.0", "EPL-1.0"),
    ("eclipse public license v1.0", "EPL-1.0"),
    ("epl 2.0", "EPL-2.0"),
    ("epl-2", "EPL-2.0"),
    ("eclipse public license 2.0", "EPL-2.0"),
    ("eclipse public license - v 2.0", "EPL-2.0"),
    ("eclipse public license v2.0", "EPL-2.0"),
    ("cddl 1.0", "CDDL-1.0"),
    (
        "common development and distribution license 1.0",
        "CDDL-1.0",
    ),
    ("cddl 1.1", "CDDL-1.1"),
    (
        "common development and distribution license 1.1",
        "CDDL-1.1",
    ),
    ("eupl 1.2", "EUPL-1.2"),
    ("eupl v1.2", "EUPL-1.2"),
    ("european union public license 1.2", "EUPL-1.2"),
    ("european union public license v1.2", "EUPL-1.2"),
    ("eupl 1.1", "EUPL-1.1"),
    ("european union public license 1.1", "EUPL-1.1"),
    // Public domain and others
    ("cc0", "CC0-1.0"),
    ("cc0 1.0", "CC0-1.0"),
    ("cc0 1.0 universal", "CC0-1.0"),
    (
        "cc0 1.0 universal (cc0 1.0) public domain dedication",
        "CC0-1.0",
    ),
    ("creative commons zero v1.0 universal", "CC0-1.0"),
    ("unlicense", "Unlicense"),
    ("unlicense (unlicense)", "Unlicense"),
    ("psf", "PSF-2.0"),
    ("psfl", "PSF-2.0"),
    ("python software foundation", "PSF-2.0"),
    ("zlib", "Zlib"),
    ("zlib/libpng", "Zlib"),
    ("boost", "BSL-1.0"),
    ("boost software license 1.0", "BSL-1.0"),
    ("boost software license - version 1.0", "BSL-1.0"),
    ("boost software license version 1.0", "BSL-1.0"),
    ("artistic 2.0", "Artistic-2.0"),
    ("artistic license 2.0", "Artistic-2.0"),
    ("artistic-2", "Artistic-2.0"),
    ("wtfpl", "WTFPL"),
    ("universal permissive license (upl)", "UPL-1.0"),
    ("universal permissive license 1.0", "UPL-1.0"),
];

/// The SPDX expression a whole name means, if it names one licence: a name of the table,
/// or an SPDX id followed by `license` (`Apache-2.0 License`).
pub(crate) fn whole(text: &str) -> Option<&'static str> {
    let k = key(text);
    if let Some((_, id)) = NAMES.iter().find(|(name, _)| *name == k) {
        return Some(id);
    }
    let lowered = k.trim_end_matches('+');
    // A single word is an id, perhaps in another case: the caller corrects those.
    if lowered.contains(' ') || lowered.is_empty() || !text.trim().contains(char::is_whitespace) {
        return None;
    }
    // A bare id in another case (deprecated GNU ids are left to the caller: their `+`
    // and `-only` need the term's own spelling).
    let l = spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(lowered))?;
    if k.ends_with('+') || crate::GNU.iter().any(|g| g.eq_ignore_ascii_case(l.name)) {
        return None;
    }
    Some(l.name)
}
