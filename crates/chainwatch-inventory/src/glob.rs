//! `--exclude` patterns, gitignore-style: `*` and `?` within one path segment, `**` across
//! segments, `[abc]` classes. A pattern without `/` matches a file or directory name at any
//! depth; one with `/` matches the path from the inventoried root.

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
    anchored: bool,
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let trimmed = pattern.trim().trim_end_matches('/');
        if trimmed.is_empty() {
            return Err("the pattern is empty".to_owned());
        }
        let mut open = false;
        for c in trimmed.chars() {
            match c {
                '[' if !open => open = true,
                ']' if open => open = false,
                _ => {}
            }
        }
        if open {
            return Err("a `[` class is not closed".to_owned());
        }
        let anchored = trimmed.contains('/');
        Ok(Glob {
            pattern: trimmed
                .trim_start_matches("./")
                .trim_start_matches('/')
                .to_owned(),
            anchored,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the relative path (`/`-separated) is excluded.
    pub fn matches(&self, rel: &str) -> bool {
        if self.anchored {
            matches(self.pattern.as_bytes(), rel.as_bytes())
        } else {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            matches(self.pattern.as_bytes(), name.as_bytes())
        }
    }
}

/// Iterative glob matching with backtracking on the last `*` (and `**`).
fn matches(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    // Backtrack point: (pattern index after the star, string index, star crosses `/`).
    let mut star: Option<(usize, usize, bool)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    let double = p.get(pi + 1) == Some(&b'*');
                    let mut next = pi + if double { 2 } else { 1 };
                    // `**/` also matches zero segments.
                    if double && p.get(next) == Some(&b'/') {
                        next += 1;
                    }
                    star = Some((next, si, double));
                    pi = next;
                    continue;
                }
                b'?' if s[si] != b'/' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, end)) = class(&p[pi..], s[si])
                        && matched
                    {
                        pi += end;
                        si += 1;
                        continue;
                    }
                }
                c if c == s[si] => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((next, start, double)) if double || s[start] != b'/' => {
                star = Some((next, start + 1, double));
                pi = next;
                si = start + 1;
            }
            _ => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Matches one byte against a `[...]` class at the start of `p`: (matched, class length).
fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let end = p.iter().position(|&b| b == b']')?;
    let body = &p[1..end];
    let (negate, body) = match body.first() {
        Some(b'!' | b'^') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut found = false;
    let mut i = 0;
    while i < body.len() {
        if i + 2 < body.len() && body[i + 1] == b'-' {
            found |= (body[i]..=body[i + 2]).contains(&c);
            i += 3;
        } else {
            found |= body[i] == c;
            i += 1;
        }
    }
    Some((found != negate, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).unwrap().matches(s)
    }

    #[test]
    fn names_at_any_depth() {
        assert!(m("testdata", "a/b/testdata"));
        assert!(m("*.lock", "a/yarn.lock"));
        assert!(!m("*.lock", "a/yarn.lock.bak"));
        assert!(m("fixture?", "x/fixture1"));
    }

    #[test]
    fn anchored_paths() {
        assert!(m("examples/**", "examples/a/b/Cargo.lock"));
        assert!(m("**/vendor", "a/b/vendor"));
        assert!(m("**/vendor", "vendor"));
        assert!(!m("examples/*", "examples/a/b"));
        assert!(m("examples/*", "examples/a"));
        assert!(m("/build/", "build"));
        assert!(m("a/[bc]d/e", "a/cd/e"));
        assert!(!m("a/[!bc]d/e", "a/cd/e"));
    }

    #[test]
    fn bad_patterns() {
        assert!(Glob::new("").is_err());
        assert!(Glob::new("a[b").is_err());
    }
}
