//! Maven's `ComparableVersion` (maven-artifact 3.x).
//!
//! The version is split, case-insensitively, into items at `.` and `-` and at every
//! transition between digits and letters; a `-` (and a transition) opens a sub-list.
//! Numbers compare numerically, without size limit. Qualifiers compare by the list
//! `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`, and
//! unknown qualifiers after all of them, alphabetically; `a1`, `b1`, `m1` (a letter
//! directly followed by a digit) mean alpha-1, beta-1, milestone-1, and a qualifier after
//! a `.` opens a sub-list like a `-` does (`1.0.0.X1 < 1.0.0-X2`). Trailing "null"
//! items (`0`, `""`, an empty list) are dropped from each list, so `1 = 1.0 = 1-0 = 1.ga`.
//! A number is above a qualifier and above a sub-list: `1.1 > 1-1 > 1-sp > 1`.

use std::cmp::Ordering;

use crate::num::Num;

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// Index of the release qualifier `""` in [`QUALIFIERS`].
const RELEASE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Int(Num),
    /// A qualifier: its rank in [`QUALIFIERS`] (7 for unknown ones) and, for unknown
    /// ones, the name.
    Str(usize, Box<str>),
    List(Vec<Item>),
}

impl Item {
    fn qualifier(value: &str, followed_by_digit: bool) -> Item {
        let value = match (value, followed_by_digit) {
            ("a", true) => "alpha",
            ("b", true) => "beta",
            ("m", true) => "milestone",
            ("ga" | "final" | "release", _) => "",
            ("cr", _) => "rc",
            (v, _) => v,
        };
        match QUALIFIERS.iter().position(|q| *q == value) {
            Some(rank) => Item::Str(rank, "".into()),
            None => Item::Str(QUALIFIERS.len(), value.into()),
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_zero(),
            Item::Str(rank, _) => *rank == RELEASE,
            Item::List(items) => items.is_empty(),
        }
    }

    /// Compares with an absent item (the other version is shorter).
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Int(n) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(rank, _) => rank.cmp(&RELEASE),
            // The whole list against nothing, not just its first item (MNG-6964).
            Item::List(items) => items
                .iter()
                .map(Item::cmp_null)
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
        }
    }

    /// Maven's comparison (`total == false`), or its total refinement: Maven orders a
    /// sub-list above a qualifier whatever their values, which together with padding
    /// (`1-rc < 1 < 1.foo.2`) is not transitive (`1.foo.2 < 1-rc` in Maven). Between a
    /// sub-list and a qualifier, the refinement first compares how each relates to
    /// "nothing", then applies Maven's rule; everywhere else it is Maven's comparison.
    fn compare(&self, other: &Item, total: bool) -> Ordering {
        let list_and_qualifier = matches!(
            (self, other),
            (Item::Str(..), Item::List(_)) | (Item::List(_), Item::Str(..))
        );
        if total && list_and_qualifier {
            let by_null = self.cmp_null().cmp(&other.cmp_null());
            if by_null != Ordering::Equal {
                return by_null;
            }
        }
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => a.cmp(b),
            (Item::Int(_), _) | (Item::List(_), Item::Str(..)) => Ordering::Greater,
            (Item::Str(..) | Item::List(_), Item::Int(_)) | (Item::Str(..), Item::List(_)) => {
                Ordering::Less
            }
            (Item::Str(ra, na), Item::Str(rb, nb)) => ra.cmp(rb).then_with(|| na.cmp(nb)),
            (Item::List(a), Item::List(b)) => cmp_lists(a, b, total),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item], total: bool) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let r = match (a.get(i), b.get(i)) {
            (Some(l), Some(r)) => l.compare(r, total),
            (Some(l), None) => l.cmp_null(),
            (None, Some(r)) => r.cmp_null().reverse(),
            (None, None) => Ordering::Equal,
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

/// Removes trailing null items, looking through trailing sub-lists.
fn normalize(items: &mut Vec<Item>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if items[i].is_null() {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MavenVersion {
    items: Vec<Item>,
}

impl MavenVersion {
    /// Maven's own answer, which is not always transitive (see [`Item::compare`]).
    pub(crate) fn tool_cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items, false)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items, true)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A list under construction: items, and whether it is the root.
struct Builder {
    /// The stack of open lists; each is closed into its parent at the end.
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn push(&mut self, item: Item) {
        if let Some(top) = self.stack.last_mut() {
            top.push(item);
        }
    }

    fn current_is_empty(&self) -> bool {
        self.stack.last().is_none_or(Vec::is_empty)
    }

    fn open_list(&mut self) {
        self.stack.push(Vec::new());
    }

    fn finish(mut self) -> Vec<Item> {
        while self.stack.len() > 1 {
            let mut list = self.stack.pop().unwrap_or_default();
            normalize(&mut list);
            self.push(Item::List(list));
        }
        let mut root = self.stack.pop().unwrap_or_default();
        normalize(&mut root);
        root
    }
}

impl MavenVersion {
    pub(crate) fn parse(input: &str) -> Result<MavenVersion, &'static str> {
        let version = input.trim().to_lowercase();
        if version.is_empty() {
            return Err("empty version");
        }
        if version.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("a Maven version has no spaces or control characters");
        }
        let mut b = Builder {
            stack: vec![Vec::new()],
        };
        let parse_item = |digit: bool, s: &str| {
            if digit {
                Item::Int(Num::from_digits(s))
            } else {
                Item::qualifier(s, false)
            }
        };
        let chars: Vec<(usize, char)> = version.char_indices().collect();
        let mut is_digit = false;
        let mut start = 0;
        for &(i, c) in &chars {
            if c == '.' {
                b.push(if i == start {
                    Item::Int(Num::ZERO)
                } else {
                    parse_item(is_digit, &version[start..i])
                });
                start = i + 1;
            } else if c == '-' {
                b.push(if i == start {
                    Item::Int(Num::ZERO)
                } else {
                    parse_item(is_digit, &version[start..i])
                });
                start = i + 1;
                b.open_list();
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    // `1.0.0.X1 < 1.0.0-X2`: `.X` is read as `-X`.
                    if !b.current_is_empty() {
                        b.open_list();
                    }
                    b.push(Item::qualifier(&version[start..i], true));
                    start = i;
                    b.open_list();
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    b.push(parse_item(true, &version[start..i]));
                    start = i;
                    b.open_list();
                }
                is_digit = false;
            }
        }
        if version.len() > start {
            if !is_digit && !b.current_is_empty() {
                b.open_list();
            }
            b.push(parse_item(is_digit, &version[start..]));
        }
        Ok(MavenVersion { items: b.finish() })
    }
}
