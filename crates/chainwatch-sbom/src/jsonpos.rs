//! JSON pointer → byte offset, for putting line:column on diagnostics that were found on a
//! parsed value. One pass over the text finds every wanted pointer.

use std::collections::{HashMap, HashSet};

use crate::diag::pointer_token;

/// Byte offsets of the values at `wanted` pointers (those that exist) in `text`.
pub(crate) fn locate(text: &str, wanted: &HashSet<&str>) -> HashMap<String, usize> {
    let mut scanner = Scanner {
        b: text.as_bytes(),
        i: 0,
        path: String::new(),
        wanted,
        found: HashMap::new(),
        depth: 0,
    };
    scanner.ws();
    scanner.value();
    scanner.found
}

struct Scanner<'a, 'w> {
    b: &'a [u8],
    i: usize,
    path: String,
    wanted: &'w HashSet<&'w str>,
    found: HashMap<String, usize>,
    depth: usize,
}

impl Scanner<'_, '_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn value(&mut self) {
        if self.wanted.contains(self.path.as_str()) {
            self.found.entry(self.path.clone()).or_insert(self.i);
            if self.found.len() == self.wanted.len() {
                self.i = self.b.len();
                return;
            }
        }
        // Deeply nested input was refused by the parser; do not recurse without bound.
        if self.depth > 256 {
            self.i = self.b.len();
            return;
        }
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                self.depth += 1;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b'}') | None => break,
                        Some(b'"') => {
                            let key = self.string();
                            self.ws();
                            if self.b.get(self.i) == Some(&b':') {
                                self.i += 1;
                            }
                            self.ws();
                            let len = self.path.len();
                            self.path.push('/');
                            self.path.push_str(&pointer_token(&key));
                            self.value();
                            self.path.truncate(len);
                        }
                        Some(_) => self.i += 1,
                    }
                }
                self.i += 1;
                self.depth -= 1;
            }
            Some(b'[') => {
                self.i += 1;
                self.depth += 1;
                let mut index = 0usize;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b']') | None => break,
                        Some(b',') => self.i += 1,
                        Some(_) => {
                            let len = self.path.len();
                            self.path.push('/');
                            self.path.push_str(&index.to_string());
                            let before = self.i;
                            self.value();
                            self.path.truncate(len);
                            index += 1;
                            if self.i == before {
                                self.i += 1;
                            }
                        }
                    }
                }
                self.i += 1;
                self.depth -= 1;
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while self.i < self.b.len()
                    && !matches!(
                        self.b[self.i],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
            }
            None => {}
        }
    }

    /// Reads a string starting at the opening quote; returns its decoded value.
    fn string(&mut self) -> String {
        let mut out = Vec::new();
        self.i += 1;
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else { break };
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = |s: &Self, at: usize| {
                                s.b.get(at..at + 4)
                                    .and_then(|h| std::str::from_utf8(h).ok())
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                            };
                            let Some(mut code) = hex(self, self.i) else {
                                continue;
                            };
                            self.i += 4;
                            if (0xD800..0xDC00).contains(&code)
                                && self.b.get(self.i..self.i + 2) == Some(b"\\u")
                                && let Some(low) = hex(self, self.i + 2)
                                && (0xDC00..0xE000).contains(&low)
                            {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                self.i += 6;
                            }
                            let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_pointers() {
        let text = "{\n \"a\": [1, {\"b/c\": \"x\\\"y\"}],\n \"d\": {\"\\u00e9\": true}}";
        let wanted: HashSet<&str> = ["/a/1/b~1c", "/d/é", "", "/missing"].into_iter().collect();
        let found = locate(text, &wanted);
        assert_eq!(found[""], 0);
        assert_eq!(&text[found["/a/1/b~1c"]..found["/a/1/b~1c"] + 3], "\"x\\");
        assert_eq!(&text[found["/d/é"]..found["/d/é"] + 4], "true");
        assert!(!found.contains_key("/missing"));
    }

    #[test]
    fn garbage_does_not_panic() {
        let wanted: HashSet<&str> = ["/x"].into_iter().collect();
        for text in [
            "",
            "{",
            "[",
            "{\"x",
            "{\"x\":",
            "\"\\u12",
            "[[[[",
            "{]}",
            "{\"a\" 1 \"x\": 2}",
        ] {
            let _ = locate(text, &wanted);
        }
    }
}
