//! Alpine's apk (apk-tools 2, the version manager of the Alpine 3.x releases).
//!
//! `number{.number}...{letter}{_suffix{number}}...{-r#}`, compared token by token:
//! numbers numerically (a component with leading zeros, after the first, sorts before
//! one without: `1.01 < 1.1`), then a letter, then suffixes ranked
//! `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`, then the
//! revision `-rN`. When one version runs out first it is older, unless the other goes on
//! with a pre-release suffix. Versions apk considers invalid (`1.0bc`, `1-ruff`) are still
//! ordered the way apk-tools orders them: by the tokens read before the invalid part.

use std::cmp::Ordering;

use crate::num::Num;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    Invalid = -1,
    DigitOrZero = 0,
    Digit = 1,
    Letter = 2,
    Suffix = 3,
    SuffixNo = 4,
    RevisionNo = 5,
    End = 6,
}

/// A token value: small signed values (letters, suffix ranks, leading-zero counts) or
/// unbounded numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Int(i64),
    Num(Num),
}

impl Val {
    fn cmp(&self, other: &Val) -> Ordering {
        match (self, other) {
            (Val::Int(a), Val::Int(b)) => a.cmp(b),
            (Val::Num(a), Val::Num(b)) => a.cmp(b),
            (Val::Int(a), Val::Num(b)) => match u64::try_from(*a) {
                Ok(a) => Num::Small(a).cmp(b),
                Err(_) => Ordering::Less,
            },
            (Val::Num(_), Val::Int(_)) => other.cmp(self).reverse(),
        }
    }

    fn is_negative(&self) -> bool {
        matches!(self, Val::Int(v) if *v < 0)
    }
}

struct Blob<'a> {
    s: &'a [u8],
}

impl Blob<'_> {
    fn advance(&mut self, n: usize) {
        self.s = &self.s[n.min(self.s.len())..];
    }
}

fn next_token(ty: &mut Tok, blob: &mut Blob<'_>) {
    let mut n = Tok::Invalid;
    let first = blob.s.first().copied();
    match first {
        None | Some(0) => n = Tok::End,
        Some(c) if matches!(*ty, Tok::Digit | Tok::DigitOrZero) && c.is_ascii_lowercase() => {
            n = Tok::Letter;
        }
        Some(c) if *ty == Tok::Letter && c.is_ascii_digit() => n = Tok::Digit,
        Some(c) if *ty == Tok::Suffix && c.is_ascii_digit() => n = Tok::SuffixNo,
        Some(c) => {
            match c {
                b'.' => n = Tok::DigitOrZero,
                b'_' => n = Tok::Suffix,
                b'-' if blob.s.get(1) == Some(&b'r') => {
                    n = Tok::RevisionNo;
                    blob.advance(1);
                }
                _ => {}
            }
            blob.advance(1);
        }
    }
    if n < *ty
        && !((n == Tok::DigitOrZero && *ty == Tok::Digit)
            || (n == Tok::Suffix && *ty == Tok::SuffixNo)
            || (n == Tok::Digit && *ty == Tok::Letter))
    {
        n = Tok::Invalid;
    }
    *ty = n;
}

fn get_token(ty: &mut Tok, blob: &mut Blob<'_>) -> Val {
    const PRE: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
    const POST: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];
    if blob.s.is_empty() {
        *ty = Tok::End;
        return Val::Int(0);
    }
    let mut next = Tok::Invalid;
    let (v, i) = match *ty {
        Tok::DigitOrZero if blob.s[0] == b'0' => {
            let zeros = blob.s.iter().take_while(|&&b| b == b'0').count();
            next = Tok::Digit;
            (Val::Int(-i64::try_from(zeros).unwrap_or(i64::MAX)), zeros)
        }
        Tok::DigitOrZero | Tok::Digit | Tok::SuffixNo | Tok::RevisionNo => {
            let n = blob.s.iter().take_while(|b| b.is_ascii_digit()).count();
            let digits = std::str::from_utf8(&blob.s[..n]).unwrap_or("");
            (Val::Num(Num::from_digits(digits)), n)
        }
        Tok::Letter => (Val::Int(i64::from(blob.s[0])), 1),
        Tok::Suffix => {
            if let Some(k) = PRE.iter().position(|p| blob.s.starts_with(p)) {
                (Val::Int(i64::try_from(k).unwrap_or(0) - 4), PRE[k].len())
            } else if let Some(k) = POST.iter().position(|p| blob.s.starts_with(p)) {
                (Val::Int(i64::try_from(k).unwrap_or(0)), POST[k].len())
            } else {
                *ty = Tok::Invalid;
                return Val::Int(-1);
            }
        }
        Tok::Invalid | Tok::End => {
            *ty = Tok::Invalid;
            return Val::Int(-1);
        }
    };
    blob.advance(i);
    if blob.s.is_empty() {
        *ty = Tok::End;
    } else if next != Tok::Invalid {
        *ty = next;
    } else {
        next_token(ty, blob);
    }
    v
}

/// `apk_version_compare`.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (Blob { s: a.as_bytes() }, Blob { s: b.as_bytes() });
    let (mut at, mut bt) = (Tok::Digit, Tok::Digit);
    let (mut av, mut bv) = (Val::Int(0), Val::Int(0));
    while at == bt && at != Tok::End && at != Tok::Invalid && av == bv {
        av = get_token(&mut at, &mut a);
        bv = get_token(&mut bt, &mut b);
    }
    match av.cmp(&bv) {
        Ordering::Equal => {}
        o => return o,
    }
    if at == bt {
        return Ordering::Equal;
    }
    let mut tt = at;
    if at == Tok::Suffix && get_token(&mut tt, &mut a).is_negative() {
        return Ordering::Less;
    }
    let mut tt = bt;
    if bt == Tok::Suffix && get_token(&mut tt, &mut b).is_negative() {
        return Ordering::Greater;
    }
    bt.cmp(&at)
}
