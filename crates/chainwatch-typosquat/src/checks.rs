//! The harness: typomania's own checks that are cheap per name (bit flips precomputed from
//! the corpus; repeated and swapped characters and swapped words, which try O(length)
//! variants), and chainwatch's checks written as typomania checks over indexes built once
//! from the corpus. Each chainwatch check reports `Squat::Custom` with the technique's
//! label as message.

use std::collections::HashMap;
use std::sync::Arc;

use typomania::checks::{Check, Squat};
use typomania::{Harness, Package};

use crate::names::{
    STRONG, adjacent_keys, bitflip, core, core_affixes, distance, is_confusable, is_separator,
    skeleton, without_separators,
};
use crate::{Corpus, Ecosystem, Shared, Technique};

/// Characters registry names are made of, for typomania's bit-flip check.
const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789-_.";
/// Shortest names the one-edit checks look at (shorter ones collide by chance).
const MIN_EDIT: usize = 4;
/// Shortest candidate an omitted character is reported for.
const MIN_OMITTED: usize = 5;
/// Shortest popular name an inserted character is reported for.
const MIN_INSERTED: usize = 6;
/// Shortest names a keyboard-neighbour substitution is reported for.
const MIN_KEYBOARD: usize = 5;
/// Shortest names a one-bit substitution is reported for.
const MIN_BITFLIP: usize = 10;
/// Shortest names a substitution by an arbitrary character is reported for.
const MIN_SUBSTITUTION: usize = 8;
/// Shortest names the distance-2 check looks at.
const MIN_DISTANCE2: usize = 10;

pub(crate) fn harness(ecosystem: Ecosystem, corpus: &Arc<Corpus>) -> Harness<Shared> {
    let names: Vec<&str> = corpus.names.keys().map(String::as_str).collect();
    // Typomania's own bit-flip check reports every one-bit neighbour; the edit index
    // below classifies substitutions (bit flips only for longer names) instead.
    let _ = (ALPHABET, &names);
    // Typomania's repeated- and swapped-character checks build a string per variant and
    // probe the corpus with each; the edit index finds both with the keys it computes
    // anyway (see `Edits`).
    let mut builder = Harness::empty_builder()
        .with_check(typomania::checks::SwappedWords::new("-_."))
        .with_check(Edits::new(corpus))
        .with_check(Skeletons::new(corpus))
        .with_check(Affixes::new(corpus));
    if ecosystem == Ecosystem::Npm {
        builder = builder.with_check(Scopes::new(corpus));
    }
    if ecosystem == Ecosystem::Go {
        builder = builder.with_check(GoPaths::new(corpus));
    }
    builder.build(Shared(Arc::clone(corpus)))
}

fn custom(technique: Technique, target: &str) -> Squat {
    Squat::custom(technique.as_str(), target)
}

/// Keeps, per key, the most popular name.
fn keep_best(map: &mut HashMap<String, (String, usize)>, key: String, name: &str, rank: usize) {
    match map.get(&key) {
        Some((_, r)) if *r <= rank => {}
        _ => {
            map.insert(key, (name.to_owned(), rank));
        }
    }
}

/// Polynomial hashes of every prefix of a name, so that the key of the name with one or
/// two characters deleted is computed in constant time, never built as a string.
struct Rolling {
    prefix: Vec<u64>,
    power: Vec<u64>,
}

const BASE: u64 = 0x9e37_79b9_7f4a_7c15;

impl Rolling {
    fn new(chars: &[char]) -> Rolling {
        let mut prefix = Vec::with_capacity(chars.len() + 1);
        let mut power = Vec::with_capacity(chars.len() + 1);
        prefix.push(0u64);
        power.push(1u64);
        for (k, c) in chars.iter().enumerate() {
            prefix.push(prefix[k].wrapping_mul(BASE).wrapping_add(u64::from(*c) + 1));
            power.push(power[k].wrapping_mul(BASE));
        }
        Rolling { prefix, power }
    }

    /// The hash of `chars[l..r]`.
    fn seg(&self, l: usize, r: usize) -> u64 {
        self.prefix[r].wrapping_sub(self.prefix[l].wrapping_mul(self.power[r - l]))
    }

    /// The key of the name without the positions in `skip` (ascending; `usize::MAX` for
    /// none).
    fn key(&self, skip: [usize; 2]) -> u64 {
        let n = self.prefix.len() - 1;
        let cut = |h: u64, l: usize, r: usize| {
            if l >= r {
                h
            } else {
                h.wrapping_mul(self.power[r - l])
                    .wrapping_add(self.seg(l, r))
            }
        };
        let (i, j) = (skip[0].min(n), skip[1].min(n));
        let h = self.seg(0, i);
        let h = cut(h, (i + 1).min(n), j);
        let h = cut(h, (j + 1).min(n), n);
        // Mix in the length, so that prefixes of each other do not collide.
        let len = n - usize::from(skip[0] < n) - usize::from(skip[1] < n);
        h ^ (len as u64).wrapping_mul(0xff51_afd7_ed55_8ccd)
    }
}

/// Keys are already hashes: the map uses them as they are.
#[derive(Default, Clone, Copy)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Keys with the names they come from: collected, sorted, then each key's run of name
/// indexes located through a hash map (one probe per lookup, two allocations in all).
/// Most probes miss (a name two edits away from nothing popular still tries every pair of
/// deletions), so a bit per key in a small filter answers them from the processor's
/// cache before the map, which outgrows it, is touched.
#[derive(Default)]
struct KeyIndex {
    entries: Vec<(u64, u32)>,
    runs: HashMap<u64, (u32, u32), std::hash::BuildHasherDefault<Prehashed>>,
    ids: Vec<u32>,
    filter: Vec<u64>,
    /// How far a key is shifted to give its bit's position in `filter`.
    shift: u32,
}

impl KeyIndex {
    fn push(&mut self, key: u64, idx: u32) {
        self.entries.push((key, idx));
    }

    fn finish(&mut self) {
        let mut entries = std::mem::take(&mut self.entries);
        entries.sort_unstable();
        entries.dedup();
        self.ids = Vec::with_capacity(entries.len());
        self.runs.reserve(entries.len());
        // About 16 bits per key (a false positive in 16 on a full filter), at least 8 KiB.
        let bits = (entries.len() * 16).next_power_of_two().max(1 << 16);
        self.shift = 64 - bits.trailing_zeros();
        self.filter = vec![0; bits / 64];
        let mut start = 0;
        while start < entries.len() {
            let key = entries[start].0;
            let end = start
                + entries[start..]
                    .iter()
                    .take_while(|(k, _)| *k == key)
                    .count();
            let from = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
            self.ids.extend(entries[start..end].iter().map(|(_, i)| *i));
            let len = u32::try_from(end - start).unwrap_or(u32::MAX);
            self.runs.insert(key, (from, len));
            let bit = self.bit(key);
            self.filter[bit / 64] |= 1 << (bit % 64);
            start = end;
        }
    }

    /// The position of `key`'s bit in the filter: its top bits after one more mixing
    /// step (the map uses the low bits and the top seven).
    fn bit(&self, key: u64) -> usize {
        usize::try_from(key.wrapping_mul(0x9fb2_1c65_1e98_df25) >> self.shift).unwrap_or(0)
    }

    fn get(&self, key: u64) -> impl Iterator<Item = u32> + '_ {
        let bit = self.bit(key);
        let maybe = self
            .filter
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0);
        let (from, len) = if maybe {
            self.runs.get(&key).copied().unwrap_or((0, 0))
        } else {
            (0, 0)
        };
        self.ids[from as usize..(from + len) as usize]
            .iter()
            .copied()
    }
}

/// No position skipped.
const NONE: [usize; 2] = [usize::MAX, usize::MAX];

/// Omitted, inserted and substituted characters through a one-deletion index (the key of
/// every corpus name with one character deleted → the names), and distance 2 for long
/// names through a two-deletion index; keys are hashes of the variants (never built as
/// strings), candidates are verified against the names themselves.
struct Edits {
    /// Name key → name index.
    exact: KeyIndex,
    /// Keys of every name with one character deleted and, for long names, two: one
    /// index, so that each probe is one lookup (matches are verified by length and
    /// content).
    deletes: KeyIndex,
    names: Vec<Vec<char>>,
    text: Vec<String>,
    /// The names long enough for distance 2, by length: each one's index and
    /// [`char_mask`].
    long: Vec<Vec<(u32, u64)>>,
    /// [`SCAN_LIMIT`] (the tests set it to compare both ways).
    scan_limit: usize,
}

/// Names of the lengths a candidate can be two edits from, above which the two-deletion
/// index is probed instead of comparing masks with each.
const SCAN_LIMIT: usize = 512;

/// Which of 64 classes of characters a name holds. One edit changes the classes a name
/// holds by at most two (a character replaced: one gone, one new), so names two edits
/// apart differ in at most four.
fn char_mask(chars: &[char]) -> u64 {
    chars.iter().fold(0u64, |m, c| {
        m | 1 << (u32::from(*c).wrapping_mul(0x9e37_79b1) >> 26)
    })
}

impl Edits {
    fn new(corpus: &Arc<Corpus>) -> Edits {
        let mut names: Vec<(&String, usize)> =
            corpus.names.iter().map(|(n, (_, r))| (n, *r)).collect();
        names.sort_by_key(|(_, r)| *r);
        let text: Vec<String> = names.into_iter().map(|(n, _)| n.clone()).collect();
        let names: Vec<Vec<char>> = text.iter().map(|n| n.chars().collect()).collect();
        let mut exact = KeyIndex::default();
        let mut deletes = KeyIndex::default();
        for (idx, chars) in names.iter().enumerate() {
            let idx = u32::try_from(idx).unwrap_or(u32::MAX);
            let h = Rolling::new(chars);
            exact.push(h.key(NONE), idx);
            if chars.len() < MIN_EDIT || chars.len() > 64 {
                continue;
            }
            for i in 0..chars.len() {
                deletes.push(h.key([i, usize::MAX]), idx);
            }
            if chars.len() >= MIN_DISTANCE2 {
                for i in 0..chars.len() {
                    for j in i + 1..chars.len() {
                        deletes.push(h.key([i, j]), idx);
                    }
                }
            }
        }
        exact.finish();
        deletes.finish();
        let mut long = vec![Vec::new(); 65];
        for (idx, chars) in names.iter().enumerate() {
            if let Some(bucket) = long.get_mut(chars.len())
                && chars.len() >= MIN_DISTANCE2
            {
                bucket.push((u32::try_from(idx).unwrap_or(u32::MAX), char_mask(chars)));
            }
        }
        Edits {
            exact,
            deletes,
            names,
            text,
            long,
            scan_limit: SCAN_LIMIT,
        }
    }

    /// The corpus name equal to `chars` without the positions in `skip`.
    fn exact_match(&self, chars: &[char], h: &Rolling, skip: [usize; 2]) -> Option<usize> {
        let kept = || {
            chars
                .iter()
                .enumerate()
                .filter(move |(k, _)| *k != skip[0] && *k != skip[1])
                .map(|(_, c)| *c)
        };
        self.exact
            .get(h.key(skip))
            .map(|i| i as usize)
            .find(|&i| self.names[i].iter().copied().eq(kept()))
    }
}

/// The technique of a one-character substitution `a` (in the candidate) for `b`.
fn substitution(a: char, b: char, len: usize, word: usize) -> Option<Technique> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        // `elasticsearch7` and `elasticsearch8`: versions, not look-alikes.
        None
    } else if is_confusable(a, b) {
        Some(Technique::Homoglyph)
    } else if adjacent_keys(a, b) && len >= MIN_KEYBOARD {
        Some(Technique::Keyboard)
    } else if bitflip(a, b) && len >= MIN_BITFLIP {
        Some(Technique::Bitflip)
    } else if len >= MIN_SUBSTITUTION && word >= 6 {
        Some(Technique::Substitution)
    } else {
        None
    }
}

/// The length of the word (between separators) holding position `i`: edits inside short
/// words of longer names (`pytest-csv`, `pytest-cov`) are how families of packages are
/// named, not typos.
fn word_len(chars: &[char], i: usize) -> usize {
    let boundary = |c: &char| is_separator(*c) || matches!(c, '/' | '@' | ':');
    let i = i.min(chars.len().saturating_sub(1));
    let start = chars[..i].iter().rposition(boundary).map_or(0, |p| p + 1);
    let end = chars[i..]
        .iter()
        .position(boundary)
        .map_or(chars.len(), |p| i + p);
    end.saturating_sub(start)
}

/// A plural `s` at the end of a word (`websocket`, `websockets`): how related packages
/// are named.
fn plural(chars: &[char], i: usize) -> bool {
    chars.get(i) == Some(&'s')
        && chars
            .get(i + 1)
            .is_none_or(|c| is_separator(*c) || matches!(c, '/' | ':'))
}

/// A trailing version digit added or removed (`types-boto3`, `smmap2`): how real
/// packages are named, not a squat.
fn version_digit(longer: &[char], shorter: &[char]) -> bool {
    longer.len() == shorter.len() + 1
        && longer.last().is_some_and(char::is_ascii_digit)
        && longer[..shorter.len()] == *shorter
}

impl Check for Edits {
    fn check(
        &self,
        _corpus: &dyn typomania::Corpus,
        name: &str,
        _package: &dyn Package,
    ) -> typomania::Result<Vec<Squat>> {
        let mut out = Vec::new();
        let chars: Vec<char> = name.chars().collect();
        let n = chars.len();
        if !(MIN_EDIT..=64).contains(&n) {
            return Ok(out);
        }
        let h = Rolling::new(&chars);
        // The candidate is a popular name with a character left out.
        if n >= MIN_OMITTED {
            for idx in self.deletes.get(h.key(NONE)) {
                let pc = &self.names[idx as usize];
                if pc.len() != n + 1 {
                    continue;
                }
                // Where the popular name has the extra character.
                let at = (0..n).find(|&k| pc[k] != chars[k]).unwrap_or(n);
                let same = pc[..at] == chars[..at] && pc[at + 1..] == chars[at..];
                if same
                    && at > 0
                    && !pc[at].is_ascii_digit()
                    && !version_digit(pc, &chars)
                    && word_len(pc, at) >= MIN_OMITTED
                {
                    let t = if is_separator(pc[at]) {
                        Technique::Separator
                    } else if plural(pc, at) {
                        Technique::Plural
                    } else {
                        Technique::Omitted
                    };
                    out.push(custom(t, &self.text[idx as usize]));
                }
            }
        }
        for i in 0..n {
            // A doubled character (not the first: `cchardet` is a naming habit).
            if n >= 5
                && i > 1
                && chars[i - 1] == chars[i]
                && let Some(p) = self.exact_match(&chars, &h, [i, usize::MAX])
            {
                out.push(custom(Technique::Repeated, &self.text[p]));
            }
            // A character added (doubled ones are the check above).
            if n > MIN_INSERTED
                && !(i > 0 && chars[i].is_ascii_digit())
                && word_len(&chars, i) > MIN_OMITTED
                && !(i > 0 && chars[i - 1] == chars[i])
                && !(i + 1 < n && chars[i + 1] == chars[i])
                && let Some(p) = self.exact_match(&chars, &h, [i, usize::MAX])
            {
                let t = if is_separator(chars[i]) {
                    Technique::Separator
                } else if plural(&chars, i) {
                    Technique::Plural
                } else {
                    Technique::Inserted
                };
                out.push(custom(t, &self.text[p]));
            }
            // A character replaced: the same deletion on both sides. Two neighbours
            // swapped share a deletion key too (`lodahs` without `h` is `lodash` without
            // its `h`), at neighbouring positions.
            for idx in self.deletes.get(h.key([i, usize::MAX])) {
                let pc = &self.names[idx as usize];
                if pc.len() != n {
                    continue;
                }
                if pc[i] != chars[i]
                    && (0..n).all(|k| k == i || pc[k] == chars[k])
                    && word_len(&chars, i) >= MIN_KEYBOARD
                    && let Some(t) = substitution(chars[i], pc[i], n, word_len(&chars, i))
                {
                    out.push(custom(t, &self.text[idx as usize]));
                } else if n >= 5
                    && i + 1 < n
                    && chars[i] != chars[i + 1]
                    && pc[i] == chars[i + 1]
                    && pc[i + 1] == chars[i]
                    && (0..n).all(|k| k == i || k == i + 1 || pc[k] == chars[k])
                {
                    out.push(custom(Technique::Swapped, &self.text[idx as usize]));
                }
            }
        }
        // Two edits away, for long names: any pair of deletions on the candidate's side
        // against the corpus's one- and two-deletion keys.
        if n >= MIN_DISTANCE2 {
            let mut seen: Vec<u32> = Vec::new();
            // The deletions on both sides find names one shorter to two longer (the keys
            // of a name two shorter are not indexed): when they are few, comparing the
            // classes of characters with each is cheaper than the n²/2 probes.
            let window = self.long.get(n - 1..=(n + 2).min(64)).unwrap_or_default();
            if window.iter().map(Vec::len).sum::<usize>() <= self.scan_limit {
                let mine = char_mask(&chars);
                seen.extend(
                    window
                        .iter()
                        .flatten()
                        .filter(|(_, m)| (m ^ mine).count_ones() <= 4)
                        .map(|(idx, _)| *idx),
                );
            } else {
                let mut probe = |k: u64| seen.extend(self.deletes.get(k));
                probe(h.key(NONE));
                for i in 0..n {
                    probe(h.key([i, usize::MAX]));
                    for j in i + 1..n {
                        probe(h.key([i, j]));
                    }
                }
            }
            seen.sort_unstable();
            seen.dedup();
            for idx in seen {
                let p = &self.text[idx as usize];
                if self.names[idx as usize].len() >= MIN_DISTANCE2
                    && distance(name, p, 2) == Some(2)
                    && distance(&without_separators(name), &without_separators(p), 2) == Some(2)
                {
                    out.push(custom(Technique::Distance2, p));
                }
            }
        }
        Ok(out)
    }
}

/// Homoglyph and separator look-alikes: names with the same skeleton (confusables folded,
/// separators dropped).
struct Skeletons {
    map: HashMap<String, (String, usize)>,
}

impl Skeletons {
    fn new(corpus: &Arc<Corpus>) -> Skeletons {
        let mut map = HashMap::with_capacity(corpus.names.len());
        for (name, (_, rank)) in &corpus.names {
            keep_best(&mut map, skeleton(name), name, *rank);
        }
        Skeletons { map }
    }
}

impl Check for Skeletons {
    fn check(
        &self,
        _corpus: &dyn typomania::Corpus,
        name: &str,
        _package: &dyn Package,
    ) -> typomania::Result<Vec<Squat>> {
        let mut out = Vec::new();
        if let Some((p, _)) = self.map.get(&skeleton(name))
            && p != name
        {
            let t = if without_separators(p) == without_separators(name) {
                Technique::Separator
            } else {
                Technique::Homoglyph
            };
            out.push(custom(t, p));
        }
        Ok(out)
    }
}

/// A popular name with a prefix or suffix added or swapped (`twilio-npm`, `jquery.js`,
/// `python3-dateutil` for `python-dateutil`).
struct Affixes {
    corpus: Arc<Corpus>,
    cores: HashMap<String, (String, usize)>,
}

impl Affixes {
    fn new(corpus: &Arc<Corpus>) -> Affixes {
        let mut cores = HashMap::with_capacity(corpus.names.len());
        for (name, (_, rank)) in &corpus.names {
            let c = core(name);
            if c != *name {
                keep_best(&mut cores, c, name, *rank);
            }
        }
        Affixes {
            corpus: Arc::clone(corpus),
            cores,
        }
    }
}

impl Check for Affixes {
    fn check(
        &self,
        _corpus: &dyn typomania::Corpus,
        name: &str,
        _package: &dyn Package,
    ) -> typomania::Result<Vec<Squat>> {
        let mut out = Vec::new();
        let (c, taken) = core_affixes(name);
        if !taken.iter().any(|a| STRONG.contains(a)) {
            return Ok(out);
        }
        if c != name && self.corpus.names.contains_key(&c) {
            // The name is a popular one with an affix added: that one it imitates.
            out.push(custom(Technique::Affix, &c));
        } else if let Some((p, _)) = self.cores.get(&c)
            && p != name
        {
            // The name swaps a popular one's affix (`python3-dateutil`).
            out.push(custom(Technique::Affix, p));
        }
        Ok(out)
    }
}

/// npm scopes: `@types/x` vs `types-x`, `@scope/x` vs a look-alike scope.
struct Scopes {
    corpus: Arc<Corpus>,
    /// Unscoped part of scoped names → the scoped names.
    by_rest: HashMap<String, Vec<String>>,
}

impl Scopes {
    fn new(corpus: &Arc<Corpus>) -> Scopes {
        let mut by_rest: HashMap<String, Vec<String>> = HashMap::new();
        for name in corpus.names.keys() {
            if let Some((_, rest)) = name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                by_rest
                    .entry(rest.to_owned())
                    .or_default()
                    .push(name.clone());
            }
        }
        Scopes {
            corpus: Arc::clone(corpus),
            by_rest,
        }
    }
}

impl Check for Scopes {
    fn check(
        &self,
        _corpus: &dyn typomania::Corpus,
        name: &str,
        _package: &dyn Package,
    ) -> typomania::Result<Vec<Squat>> {
        let mut out = Vec::new();
        if let Some((scope, rest)) = name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            let flat = format!("{scope}-{rest}");
            if scope == "types" && self.corpus.names.contains_key(&flat) {
                out.push(custom(Technique::Scope, &flat));
            }
            for other in self.by_rest.get(rest).into_iter().flatten() {
                let other_scope = other[1..].split('/').next().unwrap_or("");
                // A look-alike scope (one edit, or the same skeleton): `@typescript_eslint`.
                let similar = other_scope != scope
                    && (skeleton(scope) == skeleton(other_scope)
                        || (scope.len() >= 4 && distance(scope, other_scope, 1).is_some()));
                if similar {
                    out.push(custom(Technique::Scope, other));
                }
            }
        } else if let Some(rest) = name.strip_prefix("types-") {
            // Unscoped names for scoped ones are common and legitimate (Babel 6's
            // `babel-plugin-*`), except for type definitions.
            let scoped = format!("@types/{rest}");
            if self.corpus.names.contains_key(&scoped) {
                out.push(custom(Technique::Scope, &scoped));
            }
        }
        Ok(out)
    }
}

/// Go module paths: the same repository name under a look-alike owner
/// (`github.com/boltdb-go/bolt` for `github.com/boltdb/bolt`).
struct GoPaths {
    /// (host, repository) → (owner, module path).
    by_repo: HashMap<(String, String), Vec<(String, String)>>,
}

/// (host, owner, repository) of a module path, without a `/vN` suffix.
fn go_parts(path: &str) -> Option<(&str, &str, &str)> {
    let mut it = path.split('/');
    let host = it.next()?;
    let owner = it.next()?;
    let repo = it.next()?;
    Some((host, owner, repo))
}

impl GoPaths {
    fn new(corpus: &Arc<Corpus>) -> GoPaths {
        let mut by_repo: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
        for name in corpus.names.keys() {
            if let Some((host, owner, repo)) = go_parts(name) {
                by_repo
                    .entry((host.to_owned(), repo.to_owned()))
                    .or_default()
                    .push((owner.to_owned(), name.clone()));
            }
        }
        GoPaths { by_repo }
    }
}

impl Check for GoPaths {
    fn check(
        &self,
        _corpus: &dyn typomania::Corpus,
        name: &str,
        _package: &dyn Package,
    ) -> typomania::Result<Vec<Squat>> {
        let mut out = Vec::new();
        let Some((host, owner, repo)) = go_parts(name) else {
            return Ok(out);
        };
        for (other, path) in self
            .by_repo
            .get(&(host.to_owned(), repo.to_owned()))
            .into_iter()
            .flatten()
        {
            let similar = other != owner
                && (owner.contains(other.as_str())
                    || other.contains(owner)
                    || distance(owner, other, 2).is_some()
                    || skeleton(owner) == skeleton(other));
            // Only the module root: a subpackage of the real module is not a squat.
            if similar && !name.starts_with(&format!("{path}/")) {
                out.push(custom(Technique::GoPath, path));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn corpus(names: &[String]) -> Arc<Corpus> {
        let mut corpus = Corpus {
            names: crate::FnvMap::default(),
        };
        for (rank, n) in names.iter().enumerate() {
            corpus.names.entry(n.clone()).or_insert((n.clone(), rank));
        }
        Arc::new(corpus)
    }

    /// A name of `len` characters from a small alphabet (so that names come close to
    /// each other), with a separator now and then.
    fn name(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![8 => proptest::char::range('a', 'e'), 1 => Just('-'), 1 => Just('7')],
            len,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    /// A variant of `base`: up to three characters deleted, inserted or replaced.
    fn variant(base: String) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            (
                0usize..3,
                any::<prop::sample::Index>(),
                proptest::char::range('a', 'f'),
            ),
            0..=3,
        )
        .prop_map(move |edits| {
            let mut chars: Vec<char> = base.chars().collect();
            for (op, at, c) in edits {
                let i = at.index(chars.len() + 1);
                match op {
                    0 if i < chars.len() => {
                        chars.remove(i);
                    }
                    1 => chars.insert(i, c),
                    _ if i < chars.len() => chars[i] = c,
                    _ => {}
                }
            }
            chars.into_iter().collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_2026),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Comparing classes of characters finds exactly what the two-deletion probes
        /// find: the same squats, in the same order.
        #[test]
        fn the_mask_scan_and_the_probes_agree(
            (names, candidates) in proptest::collection::vec(name(8..16), 1..40)
                .prop_flat_map(|names| {
                    let picks = proptest::collection::vec(
                        proptest::sample::select(names.clone()).prop_flat_map(variant),
                        1..20,
                    );
                    (Just(names), picks)
                })
        ) {
            let corpus = corpus(&names);
            let scan = Edits { scan_limit: usize::MAX, ..Edits::new(&corpus) };
            let probe = Edits { scan_limit: 0, ..Edits::new(&corpus) };
            let shared = Shared(Arc::clone(&corpus));
            for candidate in &candidates {
                let a = scan.check(&shared, candidate, &crate::Anonymous).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let b = probe.check(&shared, candidate, &crate::Anonymous).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(format!("{a:?}"), format!("{b:?}"), "{}", candidate);
            }
        }
    }
}
