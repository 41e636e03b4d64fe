//! SLSA provenance v0.2 and v1 (the predicates of in-toto statements): who built the
//! artifact, how, and from which source, checked against what the caller expects.

use serde_json::Value;

use crate::intoto::{Digests, Statement};

pub const PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

/// A resolved dependency or material.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Material {
    pub uri: String,
    pub digest: Digests,
}

/// The facts of a SLSA provenance predicate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// `v0.2` or `v1`.
    pub slsa_version: &'static str,
    pub builder_id: Option<String>,
    pub build_type: Option<String>,
    /// The source repository (as the provenance names it) and revision.
    pub source: Option<String>,
    pub revision: Option<String>,
    pub materials: Vec<Material>,
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn materials(v: Option<&Value>) -> Vec<Material> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| {
                    Some(Material {
                        uri: m.get("uri").and_then(Value::as_str)?.to_owned(),
                        digest: m
                            .get("digest")
                            .and_then(Value::as_object)
                            .map(|d| {
                                d.iter()
                                    .filter_map(|(k, v)| {
                                        // Kubernetes' provenance quotes its commit ids.
                                        let v = v.as_str()?.trim_matches(['\'', '"']);
                                        Some((k.clone(), v.to_ascii_lowercase()))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The source revision in a digest: a git commit.
fn revision(d: &Digests) -> Option<String> {
    ["gitCommit", "sha1"]
        .iter()
        .find_map(|k| d.get(*k).cloned())
}

impl Provenance {
    /// The provenance of a statement, when its predicate is SLSA provenance.
    pub fn of(statement: &Statement) -> Option<Provenance> {
        let p = &statement.predicate;
        match statement.predicate_type.as_str() {
            PROVENANCE_V02 => {
                let materials = materials(p.get("materials"));
                // The config source names the repository and commit the build ran from;
                // without one, the first material with a commit.
                let config = p.pointer("/invocation/configSource");
                let (source, revision) = match config {
                    Some(c) if c.get("uri").is_some() => (
                        text(c, "/uri"),
                        c.get("digest")
                            .and_then(Value::as_object)
                            .and_then(|d| {
                                d.iter()
                                    .find(|(k, _)| *k == "sha1" || *k == "gitCommit")
                                    .and_then(|(_, v)| v.as_str())
                            })
                            .map(str::to_ascii_lowercase),
                    ),
                    _ => materials
                        .iter()
                        .find_map(|m| revision(&m.digest).map(|r| (Some(m.uri.clone()), Some(r))))
                        .unwrap_or((None, None)),
                };
                Some(Provenance {
                    slsa_version: "v0.2",
                    builder_id: text(p, "/builder/id"),
                    build_type: text(p, "/buildType"),
                    source,
                    revision,
                    materials,
                })
            }
            PROVENANCE_V1 => {
                let materials = materials(p.pointer("/buildDefinition/resolvedDependencies"));
                let (source, revision) = materials
                    .iter()
                    .find_map(|m| revision(&m.digest).map(|r| (Some(m.uri.clone()), Some(r))))
                    .or_else(|| {
                        text(p, "/buildDefinition/externalParameters/workflow/repository")
                            .map(|r| (Some(r), None))
                    })
                    .unwrap_or((None, None));
                Some(Provenance {
                    slsa_version: "v1",
                    builder_id: text(p, "/runDetails/builder/id"),
                    build_type: text(p, "/buildDefinition/buildType"),
                    source,
                    revision,
                    materials,
                })
            }
            _ => None,
        }
    }
}

/// A repository reference without scheme, `git+`, `.git`, `@ref` or trailing `/`, in
/// lower case: `git+https://github.com/Org/Repo.git@refs/tags/v1` is
/// `github.com/org/repo`.
pub fn normalize_repository(uri: &str) -> String {
    let mut s = uri.trim();
    s = s.strip_prefix("git+").unwrap_or(s);
    if let Some((_, rest)) = s.split_once("://") {
        s = rest;
    }
    // `@` after the host (a ref), not in a user-info part.
    if let Some(slash) = s.find('/')
        && let Some(at) = s[slash..].find('@')
    {
        s = &s[..slash + at];
    }
    let s = s.trim_end_matches('/');
    let s = s.strip_suffix(".git").unwrap_or(s);
    s.to_ascii_lowercase()
}

/// Glob matching for builder ids: `*` matches any run of characters (also `/`), `?` one.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    // The first character at byte `i` of `s` and where the next one starts. Positions
    // are byte offsets on character boundaries: nothing is allocated (policies match
    // every component against their globs).
    fn at(s: &str, i: usize) -> Option<(char, usize)> {
        s.get(i..)?.chars().next().map(|c| (c, i + c.len_utf8()))
    }
    let (mut pi, mut ti) = (0, 0);
    // The last `*` seen (its position) and the text position it was tried up to.
    let mut star: Option<(usize, usize)> = None;
    while let Some((tc, tn)) = at(text, ti) {
        // A `*` of the pattern is a wildcard even where the text has a `*`.
        match at(pattern, pi) {
            Some(('*', pn)) => {
                star = Some((pi, ti));
                pi = pn;
                continue;
            }
            Some((pc, pn)) if pc == '?' || pc == tc => {
                pi = pn;
                ti = tn;
                continue;
            }
            _ => {}
        }
        // Back to the last `*`, which takes one more character.
        let Some((sp, st)) = star else {
            return false;
        };
        let Some((_, stn)) = at(text, st) else {
            return false;
        };
        pi = sp + 1;
        ti = stn;
        star = Some((sp, stn));
    }
    pattern[pi..].bytes().all(|b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_compare_without_decoration() {
        for uri in [
            "git+https://github.com/Org/Repo.git@refs/tags/v1",
            "https://github.com/org/repo",
            "github.com/org/repo/",
            "git+https://github.com/org/repo",
        ] {
            assert_eq!(normalize_repository(uri), "github.com/org/repo", "{uri}");
        }
    }

    #[test]
    fn globs() {
        let id = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v1.2.0";
        assert!(glob_matches(id, id));
        assert!(glob_matches(
            "https://github.com/slsa-framework/slsa-github-generator/*@refs/tags/v1.*",
            id
        ));
        assert!(!glob_matches("https://github.com/evil/*", id));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("a?c", "ac"));
        // `?` is one character, not one byte.
        assert!(glob_matches("p?x", "päx"));
        assert!(!glob_matches("?", "ää"));
    }

    /// What a glob means, said the slow way: every way of splitting the text tried.
    fn reference(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|k| reference(rest, &t[k..])),
            Some((&c, rest)) => {
                t.first().is_some_and(|&x| c == '?' || c == x) && reference(rest, &t[1..])
            }
        }
    }

    #[test]
    fn globs_agree_with_the_definition_on_every_short_pattern_and_text() {
        // Every string up to 4 characters over these alphabets (a multi-byte letter
        // among them): 341 patterns × 121 texts.
        fn all(alphabet: &[char]) -> Vec<String> {
            let mut out = vec![String::new()];
            let mut last = vec![String::new()];
            for _ in 0..4 {
                last = last
                    .iter()
                    .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                    .collect();
                out.extend(last.iter().cloned());
            }
            out
        }
        let texts = all(&['a', 'ä', '*']);
        for p in all(&['a', 'ä', '*', '?']) {
            let pc: Vec<char> = p.chars().collect();
            for t in &texts {
                let tc: Vec<char> = t.chars().collect();
                assert_eq!(glob_matches(&p, t), reference(&pc, &tc), "`{p}` on `{t}`");
            }
        }
    }
}
