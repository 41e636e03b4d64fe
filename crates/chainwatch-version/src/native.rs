//! Native range syntaxes of the package managers, converted to vers.
//!
//! | scheme | syntax | examples |
//! |---|---|---|
//! | npm | node-semver ranges | `^1.2.3`, `~1.2`, `1.2.x`, `1.0.0 - 2.0.0`, `>=1 <2 \|\| 3.x` |
//! | pypi | PEP 440 specifiers | `~=1.4.5`, `==1.*`, `>=1.0,!=1.5,<2`, `===1.0` |
//! | cargo | Cargo requirements | `1.2.3` (caret), `~1.2`, `=1.2.3`, `>=1, <2`, `1.*` |
//! | gem | RubyGems requirements | `~> 2.0.8`, `>= 1.0, < 2` |
//! | maven, nuget | interval notation | `[1.0,2.0)`, `(,1.0]`, `[1.2]`, `[1.0,1.2),[1.3,)` |
//! | composer | Composer constraints | `^1.2`, `~1.2`, `1.2.*`, `>=1.0 <2.0 \|\| ^3`, `1.0 - 2.0` |
//! | conan | Conan ranges | `~2.5`, `^1.2`, `>1 <2.0 \|\| ^3.2`, `*` |
//! | nginx | nginx advisories | `0.8.40+`, `0.7.52-0.8.39`, `1.5.0+, 1.4.1+` |
//! | openssl | OpenSSL advisories | `3.0.0, 1.0.1b` |
//! | others | comparator lists | `>= 1.0, < 2.0`, `>= 1.0 << 2.0` (dpkg) |
//!
//! A vers range is a union of intervals; the result lists the constraints of every
//! alternative (`||`) sorted by version, which is how the vers specification's own test
//! suite writes them. Upper bounds are written without pre-release tags (`^1.2.3` is
//! `>=1.2.3|<2.0.0`); ecosystem rules that vers cannot express, such as npm excluding
//! pre-releases of other versions, are not part of the conversion.

use crate::num::is_digits;
use crate::vers::{Comparator, Constraint, Vers};
use crate::version::{Scheme, Version, VersionError};

/// Why a native range could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NativeRangeError {
    #[error("invalid {scheme} range `{range}`: {reason}")]
    Invalid {
        scheme: Scheme,
        range: String,
        reason: String,
    },
    #[error(transparent)]
    Version(#[from] VersionError),
}

type Parts = Vec<(Comparator, String)>;

/// Converts a native range of `scheme` to a vers range.
pub fn native_to_vers(scheme: Scheme, range: &str) -> Result<Vers, NativeRangeError> {
    let invalid = |reason: &str| NativeRangeError::Invalid {
        scheme,
        range: range.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = range.trim();
    let parts: Option<Parts> = match scheme {
        Scheme::Npm
        | Scheme::Semver
        | Scheme::Golang
        | Scheme::Hex
        | Scheme::Swift
        | Scheme::Pub => npm(trimmed).map_err(|r| invalid(&r))?,
        Scheme::Cargo => cargo(trimmed).map_err(|r| invalid(&r))?,
        Scheme::Pypi => Some(pypi(trimmed).map_err(|r| invalid(&r))?),
        Scheme::Gem => Some(gem(trimmed).map_err(|r| invalid(&r))?),
        Scheme::Maven | Scheme::Nuget => Some(intervals(trimmed, scheme).map_err(|r| invalid(&r))?),
        Scheme::Composer => composer(trimmed).map_err(|r| invalid(&r))?,
        Scheme::Conan => Some(conan(trimmed).map_err(|r| invalid(&r))?),
        Scheme::Nginx => Some(nginx(trimmed).map_err(|r| invalid(&r))?),
        Scheme::Openssl => Some(
            trimmed
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|v| (Comparator::Eq, v.to_owned()))
                .collect(),
        ),
        _ => Some(comparators(trimmed).map_err(|r| invalid(&r))?),
    };
    let Some(parts) = parts else {
        return Ok(Vers::any(scheme));
    };
    let mut constraints = Vec::with_capacity(parts.len());
    for (op, v) in parts {
        constraints.push(Constraint::new(op, Version::parse(scheme, &v)?));
    }
    Ok(Vers::from_constraints(scheme, constraints))
}

/// Splits `>=`, `<=`, `>`, `<`, `=`, `==`, `!=`, `<<`, `>>`, `~>`, `~=`, `^`, `~` off.
fn split_op(s: &str) -> (&str, &str) {
    for op in [
        "===", "~>", "~=", ">=", "<=", "==", "!=", "<<", ">>", ">", "<", "=", "^", "~",
    ] {
        if let Some(rest) = s.strip_prefix(op) {
            return (op, rest.trim_start());
        }
    }
    ("", s)
}

fn comparator(op: &str) -> Option<Comparator> {
    Some(match op {
        "" | "=" | "==" | "===" => Comparator::Eq,
        "!=" => Comparator::Ne,
        "<" | "<<" => Comparator::Lt,
        "<=" => Comparator::Le,
        ">" | ">>" => Comparator::Gt,
        ">=" => Comparator::Ge,
        _ => return None,
    })
}

/// Joins an operator written apart from its version (`>= 1.0`) back to it.
fn tokens(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in s.split_whitespace() {
        let op_only = !t.is_empty()
            && t.bytes()
                .all(|b| matches!(b, b'<' | b'>' | b'=' | b'!' | b'~' | b'^'));
        match out.last_mut() {
            Some(last)
                if last
                    .bytes()
                    .all(|b| matches!(b, b'<' | b'>' | b'=' | b'!' | b'~' | b'^')) =>
            {
                last.push_str(t);
            }
            _ => out.push(t.to_owned()),
        }
        let _ = op_only;
    }
    out
}

/// A dotted version with possible wildcards: numbers, and `None` for `x`/`*`/missing.
struct Partial {
    numbers: Vec<Option<u64>>,
    /// Pre-release and build, when the version is complete.
    tail: String,
}

impl Partial {
    fn parse(s: &str) -> Option<Partial> {
        let s = s.trim().trim_start_matches(['v', 'V', '=']);
        let (core, tail) = match s.find(['-', '+']) {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let mut numbers = Vec::new();
        for p in core.split('.') {
            numbers.push(match p {
                "x" | "X" | "*" => None,
                p if is_digits(p) => Some(p.parse().ok()?),
                _ => return None,
            });
        }
        if numbers.is_empty() || numbers.len() > 3 && !numbers.iter().all(Option::is_some) {
            return None;
        }
        // Once a wildcard appears, everything after it is a wildcard.
        if let Some(i) = numbers.iter().position(Option::is_none) {
            numbers.truncate(i);
        }
        Some(Partial {
            numbers,
            tail: tail.to_owned(),
        })
    }

    fn is_complete(&self) -> bool {
        self.numbers.len() >= 3
    }

    /// The lowest version it stands for, with `width` numbers.
    fn lower(&self, width: usize) -> String {
        let mut parts: Vec<String> = self
            .numbers
            .iter()
            .map(|n| n.unwrap_or(0).to_string())
            .collect();
        while parts.len() < width {
            parts.push("0".to_owned());
        }
        let mut s = parts.join(".");
        if self.is_complete() {
            s.push_str(&self.tail);
        }
        s
    }

    /// The version with component `index` incremented and the rest zero.
    fn bump(&self, index: usize, width: usize) -> String {
        let mut parts: Vec<u64> = self.numbers.iter().map(|n| n.unwrap_or(0)).collect();
        while parts.len() <= index {
            parts.push(0);
        }
        parts[index] += 1;
        parts.truncate(index + 1);
        while parts.len() < width {
            parts.push(0);
        }
        parts
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(".")
    }

    fn len(&self) -> usize {
        self.numbers.len()
    }

    fn get(&self, i: usize) -> u64 {
        self.numbers.get(i).copied().flatten().unwrap_or(0)
    }
}

/// The caret range: up to the next change of the left-most non-zero component.
fn caret(p: &Partial, width: usize) -> Parts {
    let index = if p.len() <= 1 || p.get(0) > 0 {
        0
    } else if p.len() == 2 || p.get(1) > 0 {
        1
    } else {
        2
    };
    let index = index.min(p.len().saturating_sub(1));
    let upper = p.bump(index, width);
    vec![(Comparator::Ge, p.lower(width)), (Comparator::Lt, upper)]
}

/// The tilde range: patch changes when the minor is given, minor changes otherwise.
fn tilde(p: &Partial, width: usize) -> Parts {
    let index = usize::from(p.len() >= 2);
    vec![
        (Comparator::Ge, p.lower(width)),
        (Comparator::Lt, p.bump(index, width)),
    ]
}

/// node-semver ranges. `None`: every version.
fn npm(s: &str) -> Result<Option<Parts>, String> {
    let mut out = Parts::new();
    for clause in s.split("||") {
        let clause = clause.trim();
        if clause.is_empty() || matches!(clause, "*" | "x" | "X") {
            return Ok(None);
        }
        if let Some((a, b)) = clause.split_once(" - ") {
            let lo = Partial::parse(a).ok_or("bad hyphen range")?;
            let hi = Partial::parse(b).ok_or("bad hyphen range")?;
            out.push((Comparator::Ge, lo.lower(3)));
            if hi.is_complete() {
                out.push((Comparator::Le, hi.lower(3)));
            } else if hi.len() > 0 {
                out.push((Comparator::Lt, hi.bump(hi.len() - 1, 3)));
            }
            continue;
        }
        for token in tokens(clause) {
            let (op, rest) = split_op(&token);
            if matches!(rest, "*" | "x" | "X" | "") && matches!(op, "" | ">=" | "=") {
                continue;
            }
            let p = Partial::parse(rest).ok_or_else(|| format!("`{token}` is not a version"))?;
            match op {
                "^" => out.extend(caret(&p, 3)),
                "~" | "~>" => out.extend(tilde(&p, 3)),
                _ if !p.is_complete() => {
                    // A partial version is an x-range: `1.2` is `1.2.x`.
                    let upper = p.bump(p.len().saturating_sub(1), 3);
                    match op {
                        "" | "=" => {
                            out.push((Comparator::Ge, p.lower(3)));
                            out.push((Comparator::Lt, upper));
                        }
                        ">=" => out.push((Comparator::Ge, p.lower(3))),
                        ">" => out.push((Comparator::Ge, upper)),
                        "<" => out.push((Comparator::Lt, p.lower(3))),
                        "<=" => out.push((Comparator::Lt, upper)),
                        _ => return Err(format!("unknown operator `{op}`")),
                    }
                }
                _ => {
                    let c = comparator(op).ok_or_else(|| format!("unknown operator `{op}`"))?;
                    out.push((c, p.lower(3)));
                }
            }
        }
    }
    Ok(Some(out))
}

/// Cargo requirements: comma-separated, a bare version is a caret requirement.
fn cargo(s: &str) -> Result<Option<Parts>, String> {
    if matches!(s, "" | "*") {
        return Ok(None);
    }
    let mut out = Parts::new();
    for req in s.split(',') {
        let (op, rest) = split_op(req.trim());
        if rest == "*" {
            continue;
        }
        let p = Partial::parse(rest).ok_or_else(|| format!("`{req}` is not a requirement"))?;
        match op {
            "" | "^" => out.extend(caret(&p, 3)),
            "~" => out.extend(tilde(&p, 3)),
            "=" if !p.is_complete() => {
                out.push((Comparator::Ge, p.lower(3)));
                out.push((Comparator::Lt, p.bump(p.len() - 1, 3)));
            }
            _ => out.push((comparator(op).ok_or("unknown operator")?, p.lower(3))),
        }
    }
    Ok(Some(out))
}

/// PEP 440 specifiers, comma-separated.
fn pypi(s: &str) -> Result<Parts, String> {
    let mut out = Parts::new();
    for spec in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (op, v) = split_op(spec);
        let v = v.trim();
        match op {
            "~=" => {
                let parts: Vec<&str> = v.split('.').collect();
                if parts.len() < 2 {
                    return Err("`~=` needs at least two release numbers".to_owned());
                }
                let release: Vec<&str> = parts[..parts.len() - 1]
                    .iter()
                    .map(|p| p.trim_end_matches(|c: char| !c.is_ascii_digit()))
                    .collect();
                let mut upper: Vec<u64> = release.iter().map(|p| p.parse().unwrap_or(0)).collect();
                if let Some(last) = upper.last_mut() {
                    *last += 1;
                }
                out.push((Comparator::Ge, v.to_owned()));
                out.push((
                    Comparator::Lt,
                    upper
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join("."),
                ));
            }
            "==" | "!=" if v.ends_with(".*") => {
                let prefix = &v[..v.len() - 2];
                let mut upper: Vec<u64> =
                    prefix.split('.').map(|p| p.parse().unwrap_or(0)).collect();
                if let Some(last) = upper.last_mut() {
                    *last += 1;
                }
                let upper = upper
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(".");
                if op == "==" {
                    out.push((Comparator::Ge, format!("{prefix}.dev0")));
                    out.push((Comparator::Lt, format!("{upper}.dev0")));
                } else {
                    return Err("`!=` with a wildcard cannot be written as vers".to_owned());
                }
            }
            _ => out.push((
                comparator(op).ok_or_else(|| format!("unknown operator `{op}`"))?,
                v.to_owned(),
            )),
        }
    }
    Ok(out)
}

/// RubyGems requirements, comma-separated; `~> 2.0.8` is `>= 2.0.8, < 2.1`.
fn gem(s: &str) -> Result<Parts, String> {
    let mut out = Parts::new();
    for req in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (op, v) = split_op(req);
        let v = v.trim();
        if op == "~>" {
            let segments: Vec<&str> = v.split('.').take_while(|p| is_digits(p)).collect();
            let mut bumped: Vec<u64> = segments.iter().map(|p| p.parse().unwrap_or(0)).collect();
            if bumped.len() > 1 {
                bumped.pop();
            }
            if let Some(last) = bumped.last_mut() {
                *last += 1;
            }
            out.push((Comparator::Ge, v.to_owned()));
            out.push((
                Comparator::Lt,
                bumped
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join("."),
            ));
        } else {
            out.push((
                comparator(op).ok_or_else(|| format!("unknown operator `{op}`"))?,
                v.to_owned(),
            ));
        }
    }
    Ok(out)
}

/// Maven and NuGet interval notation; several intervals separated by commas.
fn intervals(s: &str, scheme: Scheme) -> Result<Parts, String> {
    let mut out = Parts::new();
    let mut rest = s.trim();
    if !rest.starts_with(['[', '(']) {
        // A bare version: NuGet's minimum version, Maven's exact (soft) version.
        let v = rest.to_owned();
        out.push((
            if scheme == Scheme::Nuget {
                Comparator::Ge
            } else {
                Comparator::Eq
            },
            v,
        ));
        return Ok(out);
    }
    while !rest.is_empty() {
        let open = rest.as_bytes()[0];
        let close = rest.find([']', ')']).ok_or("an interval is not closed")?;
        let inside = &rest[1..close];
        let closing = rest.as_bytes()[close];
        match inside.split_once(',') {
            None => {
                if open != b'[' || closing != b']' {
                    return Err("an exact version is written `[1.0]`".to_owned());
                }
                out.push((Comparator::Eq, inside.trim().to_owned()));
            }
            Some((lo, hi)) => {
                let (lo, hi) = (lo.trim(), hi.trim());
                if !lo.is_empty() {
                    out.push((
                        if open == b'[' {
                            Comparator::Ge
                        } else {
                            Comparator::Gt
                        },
                        lo.to_owned(),
                    ));
                }
                if !hi.is_empty() {
                    out.push((
                        if closing == b']' {
                            Comparator::Le
                        } else {
                            Comparator::Lt
                        },
                        hi.to_owned(),
                    ));
                }
            }
        }
        rest = rest[close + 1..]
            .trim_start()
            .trim_start_matches(',')
            .trim_start();
        if !rest.is_empty() && !rest.starts_with(['[', '(']) {
            return Err("expected `[` or `(`".to_owned());
        }
    }
    Ok(out)
}

/// Composer constraints. `None`: every version.
fn composer(s: &str) -> Result<Option<Parts>, String> {
    let mut out = Parts::new();
    let normalized = s.replace("||", "|");
    for clause in normalized.split('|').map(str::trim) {
        if matches!(clause, "" | "*") {
            return Ok(None);
        }
        if let Some((a, b)) = clause.split_once(" - ") {
            let lo = Partial::parse(strip_stability(a)).ok_or("bad hyphen range")?;
            let hi = Partial::parse(strip_stability(b)).ok_or("bad hyphen range")?;
            out.push((Comparator::Ge, lo.lower(lo.len().max(1))));
            if hi.is_complete() {
                out.push((Comparator::Le, hi.lower(3)));
            } else {
                out.push((
                    Comparator::Lt,
                    hi.bump(hi.len().saturating_sub(1), hi.len()),
                ));
            }
            continue;
        }
        for token in tokens(&clause.replace(',', " ")) {
            let (op, rest) = split_op(&token);
            let rest = strip_stability(rest);
            if rest == "*" {
                continue;
            }
            let p = Partial::parse(rest).ok_or_else(|| format!("`{token}` is not a constraint"))?;
            let width = p.len().max(1);
            match op {
                "^" => out.extend(caret(&p, width)),
                "~" => {
                    // Composer's tilde: the last given component may change.
                    let index = p.len().saturating_sub(2);
                    out.push((Comparator::Ge, p.lower(width)));
                    out.push((Comparator::Lt, p.bump(index, width)));
                }
                _ if rest.contains('*') || rest.split('.').any(|p| p.eq_ignore_ascii_case("x")) => {
                    out.push((Comparator::Ge, p.lower(width)));
                    out.push((Comparator::Lt, p.bump(p.len().saturating_sub(1), width)));
                }
                _ => out.push((
                    comparator(op).ok_or("unknown operator")?,
                    rest.trim_start_matches(['v', 'V']).to_owned(),
                )),
            }
        }
    }
    Ok(Some(out))
}

fn strip_stability(s: &str) -> &str {
    s.split_once('@').map_or(s, |(v, _)| v).trim()
}

/// Conan ranges: `||` alternatives of space-separated conditions; `~`, `^` and `*`; a
/// trailing `-` (include pre-releases) and options after a comma are dropped.
fn conan(s: &str) -> Result<Parts, String> {
    let mut out = Parts::new();
    let s = s.split(',').next().unwrap_or("");
    for clause in s.split("||").map(str::trim) {
        for token in tokens(clause) {
            let (op, rest) = split_op(&token);
            let rest = rest.trim_end_matches('-');
            if rest == "*" || rest.is_empty() {
                out.push((Comparator::Ge, "0.0.0".to_owned()));
                continue;
            }
            match op {
                "~" | "^" => {
                    let items: Vec<&str> = rest.split('.').collect();
                    let index = if op == "~" {
                        usize::from(items.len() > 1)
                    } else {
                        items
                            .iter()
                            .position(|i| {
                                i.parse::<u64>().is_ok_and(|n| n != 0) || i.parse::<u64>().is_err()
                            })
                            .unwrap_or(items.len() - 1)
                    };
                    let mut upper: Vec<String> = items[..=index.min(items.len() - 1)]
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect();
                    if let Some(last) = upper.last_mut() {
                        *last = last
                            .parse::<u64>()
                            .map_or_else(|_| format!("{last}1"), |n| (n + 1).to_string());
                    }
                    out.push((Comparator::Ge, rest.to_owned()));
                    out.push((Comparator::Lt, format!("{}-", upper.join("."))));
                }
                _ => out.push((comparator(op).ok_or("unknown operator")?, rest.to_owned())),
            }
        }
    }
    Ok(out)
}

/// nginx advisory notation: `X.Y.Z+` is `>=X.Y.Z` within the `X.Y` branch (all later
/// versions when it opens a branch, `Z = 0`), `A-B` is `>=A|<=B`.
fn nginx(s: &str) -> Result<Parts, String> {
    let mut out = Parts::new();
    for item in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(v) = item.strip_suffix('+') {
            let p = Partial::parse(v).ok_or("not a version")?;
            out.push((Comparator::Ge, v.to_owned()));
            if p.get(2) != 0 {
                out.push((Comparator::Lt, p.bump(1, 3)));
            }
        } else if let Some((a, b)) = item.split_once('-') {
            out.push((Comparator::Ge, a.trim().to_owned()));
            out.push((Comparator::Le, b.trim().to_owned()));
        } else {
            out.push((Comparator::Eq, item.to_owned()));
        }
    }
    Ok(out)
}

/// Comparator lists for the other schemes: `>= 1.0, < 2.0`, `>= 1.0 << 2.0`.
fn comparators(s: &str) -> Result<Parts, String> {
    let mut out = Parts::new();
    for token in tokens(&s.replace(',', " ")) {
        let (op, v) = split_op(&token);
        out.push((
            comparator(op).ok_or_else(|| format!("unknown operator `{op}`"))?,
            v.to_owned(),
        ));
    }
    Ok(out)
}
