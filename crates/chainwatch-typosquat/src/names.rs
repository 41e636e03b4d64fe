//! Ecosystems, name normalization, and the character tables the checks use (keyboard
//! neighbours, confusables, separators, affixes).

use std::fmt;
use std::str::FromStr;

/// The ecosystems with a popular-package corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Ecosystem {
    #[serde(rename = "npm")]
    Npm,
    #[serde(rename = "PyPI")]
    PyPi,
    #[serde(rename = "crates.io")]
    CratesIo,
    #[serde(rename = "Go")]
    Go,
    #[serde(rename = "Maven")]
    Maven,
    #[serde(rename = "RubyGems")]
    RubyGems,
    #[serde(rename = "NuGet")]
    NuGet,
    #[serde(rename = "Packagist")]
    Packagist,
}

impl Ecosystem {
    pub const ALL: &'static [Ecosystem] = &[
        Ecosystem::Npm,
        Ecosystem::PyPi,
        Ecosystem::CratesIo,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::RubyGems,
        Ecosystem::NuGet,
        Ecosystem::Packagist,
    ];

    /// The OSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPi => "PyPI",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Packagist => "Packagist",
        }
    }

    /// The purl type of the ecosystem's packages.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPi => "pypi",
            Ecosystem::CratesIo => "cargo",
            Ecosystem::Go => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::RubyGems => "gem",
            Ecosystem::NuGet => "nuget",
            Ecosystem::Packagist => "composer",
        }
    }

    /// The ecosystem of a purl type.
    pub fn from_purl_type(ty: &str) -> Option<Ecosystem> {
        Some(match ty {
            "npm" => Ecosystem::Npm,
            "pypi" => Ecosystem::PyPi,
            "cargo" => Ecosystem::CratesIo,
            "golang" => Ecosystem::Go,
            "maven" => Ecosystem::Maven,
            "gem" => Ecosystem::RubyGems,
            "nuget" => Ecosystem::NuGet,
            "composer" => Ecosystem::Packagist,
            _ => return None,
        })
    }

    /// The package's name as the ecosystem compares names, from a purl.
    pub fn name_of(self, purl: &chainwatch_purl::Purl) -> String {
        let name = match (self, purl.namespace()) {
            (Ecosystem::Maven, Some(ns)) => format!("{ns}:{}", purl.name()),
            (Ecosystem::Npm | Ecosystem::Go | Ecosystem::Packagist, Some(ns)) => {
                format!("{ns}/{}", purl.name())
            }
            _ => purl.name().to_owned(),
        };
        normalize(self, &name)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Ecosystem {
    type Err = String;
    fn from_str(s: &str) -> Result<Ecosystem, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "npm" | "node" | "javascript" => Ecosystem::Npm,
            "pypi" | "python" | "pip" => Ecosystem::PyPi,
            "crates.io" | "cargo" | "crates" | "rust" => Ecosystem::CratesIo,
            "go" | "golang" => Ecosystem::Go,
            "maven" | "java" => Ecosystem::Maven,
            "rubygems" | "gem" | "ruby" => Ecosystem::RubyGems,
            "nuget" | ".net" | "dotnet" => Ecosystem::NuGet,
            "packagist" | "composer" | "php" => Ecosystem::Packagist,
            other => {
                return Err(format!(
                    "unknown ecosystem `{other}`: expected npm, PyPI, crates.io, Go, Maven, RubyGems, NuGet or Packagist"
                ));
            }
        })
    }
}

/// A name as its registry compares names: PEP 503 for PyPI (runs of `-_.` are one `-`,
/// lower case), crates.io's `-`/`_` equivalence, lower case where the registry ignores
/// case (npm, PyPI, crates.io, NuGet, Packagist, Go module paths, Maven coordinates;
/// RubyGems names are compared in lower case too, since look-alikes differing only in case
/// are themselves squats). Characters that are not ASCII are kept: they are what the
/// confusable check looks at.
pub fn normalize(ecosystem: Ecosystem, name: &str) -> String {
    let lower = name.trim().to_lowercase();
    match ecosystem {
        Ecosystem::PyPi => {
            let mut out = String::with_capacity(lower.len());
            let mut sep = false;
            for c in lower.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c);
                }
            }
            out
        }
        Ecosystem::CratesIo => lower.replace('_', "-"),
        _ => lower,
    }
}

/// Separators that registries allow inside names.
pub(crate) fn is_separator(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

/// The name without separators.
pub(crate) fn without_separators(name: &str) -> String {
    name.chars().filter(|c| !is_separator(*c)).collect()
}

/// Characters that pass for others: (look-alike, the Latin letter it passes for). Latin
/// digits and letters (`1`/`i`/`|` as `l`, `0` as `o`), Cyrillic and Greek.
const CONFUSABLES: &[(char, char)] = &[
    ('1', 'l'),
    ('i', 'l'),
    ('|', 'l'),
    ('ı', 'l'),
    ('ł', 'l'),
    ('ǀ', 'l'),
    ('0', 'o'),
    // Cyrillic.
    ('а', 'a'),
    ('в', 'b'),
    ('с', 'c'),
    ('ԁ', 'd'),
    ('е', 'e'),
    ('ё', 'e'),
    ('һ', 'h'),
    ('і', 'l'),
    ('ӏ', 'l'),
    ('ј', 'j'),
    ('к', 'k'),
    ('м', 'm'),
    ('о', 'o'),
    ('р', 'p'),
    ('ԛ', 'q'),
    ('ѕ', 's'),
    ('т', 't'),
    ('у', 'y'),
    ('х', 'x'),
    ('ԝ', 'w'),
    ('п', 'n'),
    // Greek.
    ('α', 'a'),
    ('β', 'b'),
    ('ε', 'e'),
    ('η', 'n'),
    ('ι', 'l'),
    ('κ', 'k'),
    ('ν', 'v'),
    ('ο', 'o'),
    ('ρ', 'p'),
    ('τ', 't'),
    ('υ', 'u'),
    ('χ', 'x'),
    ('γ', 'y'),
    ('ω', 'w'),
];

/// What a character looks like (see [`CONFUSABLES`]); multi-letter look-alikes (`rn` as
/// `m`, `vv` as `w`) are folded by [`skeleton`].
fn looks_like(c: char) -> char {
    if c.is_ascii_lowercase() && c != 'i' {
        return c;
    }
    CONFUSABLES
        .iter()
        .find(|(from, _)| *from == c)
        .map_or(c, |(_, to)| *to)
}

/// The name as it looks: confusable characters folded, `rn` → `m`, `vv` → `w`,
/// separators dropped. Two different names with the same skeleton look alike.
pub(crate) fn skeleton(name: &str) -> String {
    let folded: String = name
        .chars()
        .filter(|c| !is_separator(*c))
        .map(looks_like)
        .collect();
    folded.replace("rn", "m").replace("vv", "w")
}

/// Whether a character is one of the confusables folded by [`looks_like`] (not a plain
/// lower-case ASCII letter that stands for itself).
pub(crate) fn is_confusable(a: char, b: char) -> bool {
    a != b && looks_like(a) == looks_like(b)
}

/// QWERTY rows, for keyboard neighbours.
const ROWS: [&str; 4] = ["1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// Whether two characters are neighbours on a QWERTY keyboard.
pub(crate) fn adjacent_keys(a: char, b: char) -> bool {
    let pos = |c: char| {
        ROWS.iter()
            .enumerate()
            .find_map(|(r, row)| row.find(c).map(|col| (r, col)))
    };
    let (Some((ra, ca)), Some((rb, cb))) = (pos(a), pos(b)) else {
        return false;
    };
    let (ra, ca, rb, cb) = (
        ra.cast_signed(),
        ca.cast_signed(),
        rb.cast_signed(),
        cb.cast_signed(),
    );
    // Rows are staggered: the key below-left of `w` is `a`, below-right is `s`.
    match ra - rb {
        0 => (ca - cb).abs() == 1,
        1 => cb == ca || cb == ca + 1,
        -1 => ca == cb || ca == cb + 1,
        _ => false,
    }
}

/// Whether two ASCII characters differ in exactly one bit.
pub(crate) fn bitflip(a: char, b: char) -> bool {
    a.is_ascii() && b.is_ascii() && ((a as u8) ^ (b as u8)).is_power_of_two()
}

/// Prefixes and suffixes squatters add to or swap on a popular name.
pub(crate) const PREFIXES: &[&str] = &[
    "node-",
    "nodejs-",
    "node",
    "js-",
    "python-",
    "python3-",
    "py-",
    "py3-",
    "pypi-",
    "php-",
    "go-",
    "golang-",
    "rust-",
    "ruby-",
    "the-",
    "real-",
    "official-",
    "npm-",
];
/// Suffixes, only those squatters use: extension words of legitimate plugins (`-core`,
/// `-utils`, `-cli`, `-api`) and version digits are left alone (they are how real
/// packages are named).
pub(crate) const SUFFIXES: &[&str] = &[
    "-js",
    ".js",
    "js",
    "-node",
    "-nodejs",
    "-python",
    "-py3",
    "-npm",
    "-official",
    "-lib",
    "lib",
    "-dev",
];

/// Affixes that mark a squat when a name adds them to (or swaps them on) a popular name;
/// the others (`python-`, `py-`, `-dev`, `-lib`) are also how many legitimate packages are
/// named, so they only count when swapped for a strong one.
pub(crate) const STRONG: &[&str] = &[
    "node-",
    "nodejs-",
    "node",
    "js-",
    "python3-",
    "py3-",
    "pypi-",
    "the-",
    "real-",
    "official-",
    "npm-",
    "-js",
    ".js",
    "js",
    "-node",
    "-nodejs",
    "-py3",
    "-npm",
    "-official",
];

/// The name with known prefixes and suffixes taken off (repeatedly), keeping at least
/// three characters; with the affixes taken off.
pub(crate) fn core_affixes(name: &str) -> (String, Vec<&'static str>) {
    let mut s = name;
    let mut taken = Vec::new();
    // The path part only (npm scopes, Go and Packagist vendors stay out of this check).
    if s.contains('/') || s.contains(':') {
        return (s.to_owned(), taken);
    }
    loop {
        let before = s;
        for p in PREFIXES {
            if let Some(rest) = s.strip_prefix(p)
                && rest.chars().count() >= 3
            {
                s = rest;
                taken.push(*p);
                break;
            }
        }
        for x in SUFFIXES {
            if let Some(rest) = s.strip_suffix(x)
                && rest.chars().count() >= 3
            {
                s = rest;
                taken.push(*x);
                break;
            }
        }
        if s == before {
            return (s.trim_matches(is_separator).to_owned(), taken);
        }
    }
}

/// The name without its known affixes.
pub(crate) fn core(name: &str) -> String {
    core_affixes(name).0
}

/// Damerau–Levenshtein distance (optimal string alignment) between two strings, with an
/// early exit above `max`. ASCII names (nearly all) are compared as bytes.
pub(crate) fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max.saturating_mul(4) {
        // More bytes apart than `max` characters can be.
        return None;
    }
    if a.is_ascii() && b.is_ascii() {
        return banded(a.as_bytes(), b.as_bytes(), max);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    banded(&a, &b, max)
}

/// [`distance`] on sequences: only the cells within `max` of the diagonal are computed
/// (an alignment of cost at most `max` never leaves them), in three rolling rows; a cell
/// beyond `max` holds `max + 1`.
fn banded<T: PartialEq>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let far = max + 1;
    let w = b.len() + 1;
    let mut rows = vec![far; 3 * w];
    for (j, cell) in rows.iter_mut().enumerate().take(w.min(far)) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = ((i % 3) * w, ((i + 2) % 3) * w, ((i + 1) % 3) * w);
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(b.len());
        rows[cur] = if i <= max { i } else { far };
        if lo > 1 {
            rows[cur + lo - 1] = far;
        }
        let mut row_min = rows[cur];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev + j] + 1)
                .min(rows[cur + j - 1] + 1)
                .min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[prev2 + j - 2] + 1);
            }
            let v = v.min(far);
            rows[cur + j] = v;
            row_min = row_min.min(v);
        }
        if hi < b.len() {
            rows[cur + hi + 1] = far;
        }
        if row_min > max {
            return None;
        }
    }
    let v = rows[(a.len() % 3) * w + b.len()];
    (v <= max).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert_eq!(
            normalize(Ecosystem::PyPi, "Zope.Interface__x"),
            "zope-interface-x"
        );
        assert_eq!(normalize(Ecosystem::CratesIo, "Serde_JSON"), "serde-json");
        assert_eq!(
            skeleton("jeIlyfish".to_lowercase().as_str()),
            skeleton("jellyfish")
        );
        assert_eq!(skeleton("rnoment"), skeleton("moment"));
        assert_eq!(skeleton("ехpress"), skeleton("express")); // Cyrillic е, х
        assert!(adjacent_keys('q', 'w') && adjacent_keys('s', 'w') && adjacent_keys('x', 'd'));
        assert!(!adjacent_keys('q', 'p'));
        assert!(bitflip('a', 'c') && !bitflip('a', 'd'));
        assert_eq!(core("python3-dateutil"), "dateutil");
        assert_eq!(core("twilio-npm"), "twilio");
        assert_eq!(core("jquery.js"), "jquery");
        assert_eq!(distance("lodash", "lodahs", 2), Some(1));
        assert_eq!(distance("requests", "reqeusts", 2), Some(1));
        assert_eq!(distance("abcdef", "uvwxyz", 2), None);
    }

    /// The distance as defined: the whole matrix, no band, no early exit.
    fn full(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let w = b.len() + 1;
        let mut d = vec![0usize; (a.len() + 1) * w];
        for i in 0..=a.len() {
            d[i * w] = i;
        }
        for (j, cell) in d.iter_mut().enumerate().take(w) {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1)
                    .min(d[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[(i - 2) * w + j - 2] + 1);
                }
                d[i * w + j] = v;
            }
        }
        d[a.len() * w + b.len()]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2048,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0d15_7a9c),
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// The banded distance is the defined one wherever it is within `max`, and
        /// `None` exactly where it is not: over short strings of few letters (so that
        /// they are often close), a multi-byte one among them.
        #[test]
        fn the_band_gives_the_defined_distance(
            a in "[abcé-]{0,12}",
            b in "[abcé-]{0,12}",
            max in 0usize..4,
        ) {
            let want = full(&a, &b);
            proptest::prop_assert_eq!(distance(&a, &b, max), (want <= max).then_some(want));
        }
    }
}
