//! A tokenizer for the languages packages are written in: JavaScript (and TypeScript),
//! Python, Ruby, Rust and shell. It knows each language's comments and string syntax
//! (escapes decoded, so `"\x65\x76\x61\x6c"` reads `eval`), which is what the rules need
//! to tell code from text; it builds no syntax tree. Linear in the input, never fails:
//! an unterminated string or comment runs to the end of the file.

/// A source language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Js,
    Python,
    Ruby,
    Rust,
    Shell,
}

/// The language of a file, from its name or its `#!` line.
pub fn language(path: &str, data: &[u8]) -> Option<Lang> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let by_ext = match ext.as_deref() {
        Some("js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx") => {
            if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
                None
            } else {
                Some(Lang::Js)
            }
        }
        Some("py" | "pyw" | "pth") => Some(Lang::Python),
        Some("rb" | "gemspec" | "rake") => Some(Lang::Ruby),
        Some("rs") => Some(Lang::Rust),
        Some("sh" | "bash" | "zsh" | "ps1" | "bat" | "cmd") => Some(Lang::Shell),
        _ => None,
    };
    if by_ext.is_some() {
        return by_ext;
    }
    if matches!(name, "Rakefile" | "Gemfile") {
        return Some(Lang::Ruby);
    }
    let first = data.split(|&b| b == b'\n').next()?;
    let first = first.strip_prefix(b"#!")?;
    let line = String::from_utf8_lossy(first);
    if line.contains("node") {
        Some(Lang::Js)
    } else if line.contains("python") {
        Some(Lang::Python)
    } else if line.contains("ruby") {
        Some(Lang::Ruby)
    } else if line.contains("sh") {
        Some(Lang::Shell)
    } else {
        None
    }
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ident,
    /// A string literal; `text` holds its decoded value.
    Str,
    /// A command string (Ruby and shell backticks, Ruby `%x`): it runs in a shell.
    Command,
    Num,
    Punct(u8),
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// The identifier's name, the string's decoded value, or empty.
    pub text: String,
    /// Byte offsets into the source.
    pub start: u32,
    pub end: u32,
    pub line: u32,
    /// Escapes (`\x`, `\u`, octal) in a string literal.
    pub escapes: u32,
}

impl Token {
    pub fn is_punct(&self, c: u8) -> bool {
        self.kind == Kind::Punct(c)
    }

    pub fn is_ident(&self, name: &str) -> bool {
        self.kind == Kind::Ident && self.text == name
    }

    pub fn is_string(&self) -> bool {
        matches!(self.kind, Kind::Str | Kind::Command)
    }
}

/// Tokenizes `source` as `lang`.
pub fn tokenize(source: &str, lang: Lang) -> Vec<Token> {
    let mut lexer = Lexer {
        src: source.as_bytes(),
        text: source,
        lang,
        i: 0,
        line: 1,
        out: Vec::with_capacity(source.len() / 6),
        braces: 0,
        templates: Vec::new(),
    };
    lexer.run();
    lexer.out
}

struct Lexer<'a> {
    src: &'a [u8],
    text: &'a str,
    lang: Lang,
    i: usize,
    line: u32,
    out: Vec<Token>,
    /// Open `{` count, for JavaScript template interpolations.
    braces: u32,
    /// The brace count at each open `${`.
    templates: Vec<u32>,
}

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$' || b >= 0x80
}

fn ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn offset(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.src.get(self.i + k).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Kind, text: String, start: usize, line: u32, escapes: u32) {
        self.out.push(Token {
            kind,
            text,
            start: offset(start),
            end: offset(self.i),
            line,
            escapes,
        });
    }

    fn prev_allows_regex(&self) -> bool {
        match self.out.last() {
            None => true,
            Some(t) => match t.kind {
                Kind::Ident => matches!(
                    t.text.as_str(),
                    "return"
                        | "typeof"
                        | "case"
                        | "do"
                        | "else"
                        | "in"
                        | "of"
                        | "new"
                        | "delete"
                        | "void"
                        | "throw"
                        | "yield"
                        | "await"
                ),
                Kind::Num | Kind::Str | Kind::Command => false,
                Kind::Punct(c) => !matches!(c, b')' | b']' | b'}'),
            },
        }
    }

    fn skip_line(&mut self) {
        while self.i < self.src.len() && self.src[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        self.i += 2;
        while self.i < self.src.len() {
            if self.src[self.i] == b'*' && self.peek(1) == b'/' {
                self.i += 2;
                return;
            }
            if self.src[self.i] == b'\n' {
                self.line += 1;
            }
            self.i += 1;
        }
    }

    fn run(&mut self) {
        while self.i < self.src.len() {
            let b = self.src[self.i];
            match b {
                b'\n' => {
                    self.line += 1;
                    self.i += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.i += 1,
                b'/' if matches!(self.lang, Lang::Js | Lang::Rust) && self.peek(1) == b'/' => {
                    self.skip_line();
                }
                b'/' if matches!(self.lang, Lang::Js | Lang::Rust) && self.peek(1) == b'*' => {
                    self.skip_block_comment();
                }
                b'#' if matches!(self.lang, Lang::Python | Lang::Ruby | Lang::Shell) => {
                    if self.lang == Lang::Ruby && self.peek(1) == b'{' {
                        self.punct(b);
                    } else {
                        self.skip_line();
                    }
                }
                b'=' if self.lang == Lang::Ruby
                    && (self.i == 0 || self.src[self.i - 1] == b'\n')
                    && self.src[self.i..].starts_with(b"=begin") =>
                {
                    while self.i < self.src.len() {
                        if self.src[self.i] == b'\n' {
                            self.line += 1;
                            if self.src[self.i + 1..].starts_with(b"=end") {
                                self.i += 1;
                                self.skip_line();
                                break;
                            }
                        }
                        self.i += 1;
                    }
                }
                b'"' | b'\'' => self.string(b, false),
                b'`' => match self.lang {
                    Lang::Js => {
                        self.i += 1;
                        self.template();
                    }
                    Lang::Ruby | Lang::Shell => self.quoted(b'`', Kind::Command, true),
                    _ => self.punct(b),
                },
                b'/' if self.lang == Lang::Js && self.prev_allows_regex() => self.regex(),
                b'{' => {
                    self.braces += 1;
                    self.punct(b);
                }
                b'}' => {
                    self.braces = self.braces.saturating_sub(1);
                    if self.lang == Lang::Js && self.templates.last() == Some(&self.braces) {
                        self.templates.pop();
                        self.i += 1;
                        self.template();
                    } else {
                        self.punct(b);
                    }
                }
                b'%' if self.lang == Lang::Ruby && self.ruby_percent() => {}
                _ if b.is_ascii_digit() => {
                    let start = self.i;
                    while self.i < self.src.len()
                        && (ident_char(self.src[self.i]) || self.src[self.i] == b'.')
                    {
                        self.i += 1;
                    }
                    let text = self.text.get(start..self.i).unwrap_or_default().to_owned();
                    self.push(Kind::Num, text, start, self.line, 0);
                }
                _ if ident_start(b) => self.ident(),
                _ => self.punct(b),
            }
        }
    }

    fn punct(&mut self, b: u8) {
        let start = self.i;
        self.i += 1;
        self.push(Kind::Punct(b), String::new(), start, self.line, 0);
    }

    fn ident(&mut self) {
        let start = self.i;
        while self.i < self.src.len() && ident_char(self.src[self.i]) {
            self.i += 1;
        }
        // Keep to character boundaries: `ident_char` takes whole UTF-8 sequences.
        while !self.text.is_char_boundary(self.i) {
            self.i += 1;
        }
        let name = &self.text[start..self.i];
        // Python string prefixes (`b"…"`, `rb'…'`, `f"…"`) and Rust raw/byte strings.
        let next = self.peek(0);
        if next == b'"' || next == b'\'' {
            let lower = name.to_ascii_lowercase();
            let python = self.lang == Lang::Python
                && matches!(
                    lower.as_str(),
                    "r" | "b" | "u" | "f" | "rb" | "br" | "fr" | "rf"
                );
            let rust = self.lang == Lang::Rust
                && matches!(name, "b" | "r" | "br" | "c" | "cr")
                && next == b'"';
            // Escapes in byte strings are data, not disguised text.
            let bytes = lower.contains('b');
            if python {
                self.string(next, lower.contains('r'));
                if let Some(t) = self.out.last_mut() {
                    t.start = offset(start);
                    if bytes {
                        t.escapes = 0;
                    }
                }
                return;
            }
            if rust {
                self.string(next, name.contains('r'));
                if bytes && let Some(t) = self.out.last_mut() {
                    t.escapes = 0;
                }
                return;
            }
        }
        if self.lang == Lang::Rust && (name == "r" || name == "br") && next == b'#' {
            self.rust_raw(start);
            return;
        }
        // Ruby's `@x`, `$x` and `x?`/`x!` names.
        if self.lang == Lang::Ruby && matches!(self.peek(0), b'?' | b'!') && self.peek(1) != b'=' {
            self.i += 1;
        }
        let text = self.text[start..self.i].to_owned();
        self.push(Kind::Ident, text, start, self.line, 0);
    }

    fn rust_raw(&mut self, start: usize) {
        let mut hashes = 0;
        while self.peek(0) == b'#' {
            hashes += 1;
            self.i += 1;
        }
        if self.peek(0) != b'"' {
            self.push(Kind::Ident, String::from("r"), start, self.line, 0);
            return;
        }
        self.i += 1;
        let line = self.line;
        let body = self.i;
        let mut end = self.src.len();
        while self.i < self.src.len() {
            if self.src[self.i] == b'\n' {
                self.line += 1;
            }
            if self.src[self.i] == b'"'
                && self.src[self.i + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&c| c == b'#')
                    .count()
                    == hashes
            {
                end = self.i;
                self.i += 1 + hashes;
                break;
            }
            self.i += 1;
        }
        self.i = self.i.min(self.src.len());
        let text = String::from_utf8_lossy(&self.src[body..end.min(self.src.len())]).into_owned();
        self.push(Kind::Str, text, start, line, 0);
    }

    /// A quoted string from the quote at `self.i`.
    fn string(&mut self, quote: u8, raw: bool) {
        // Rust lifetimes and char literals: `'a` is not a string.
        if self.lang == Lang::Rust && quote == b'\'' {
            let close = if self.peek(1) == b'\\' {
                self.src[self.i + 2..]
                    .iter()
                    .take(10)
                    .position(|&c| c == b'\'')
            } else {
                // A char is one UTF-8 sequence then the quote.
                let width = self.text[self.i + 1..]
                    .chars()
                    .next()
                    .map_or(1, char::len_utf8);
                (self.peek(1 + width) == b'\'').then_some(width.saturating_sub(2))
            };
            if close.is_none() {
                self.punct(quote);
                return;
            }
        }
        if self.lang == Lang::Python && self.src[self.i..].starts_with(&[quote, quote, quote]) {
            let start = self.i;
            let line = self.line;
            self.i += 3;
            let (text, escapes) = self.body(
                |lx| lx.src[lx.i..].starts_with(&[quote, quote, quote]),
                raw,
                true,
            );
            self.i = (self.i + 3).min(self.src.len());
            self.push(Kind::Str, text, start, line, escapes);
            return;
        }
        let multiline = matches!(self.lang, Lang::Ruby | Lang::Shell | Lang::Rust);
        let raw = raw || (quote == b'\'' && matches!(self.lang, Lang::Shell));
        self.quoted(
            quote,
            Kind::Str,
            multiline || raw && self.lang == Lang::Rust,
        );
        if raw && let Some(t) = self.out.last_mut() {
            let start = t.start as usize + 1;
            let end = (t.end as usize).saturating_sub(1).max(start);
            if let Some(s) = self.text.get(start..end) {
                s.clone_into(&mut t.text);
                t.escapes = 0;
            }
        }
    }

    fn quoted(&mut self, quote: u8, kind: Kind, multiline: bool) {
        let start = self.i;
        let line = self.line;
        self.i += 1;
        let (text, escapes) = self.body(|lx| lx.src[lx.i] == quote, false, multiline);
        if self.i < self.src.len() && self.src[self.i] == quote {
            self.i += 1;
        }
        self.push(kind, text, start, line, escapes);
    }

    /// Reads a string body up to `end`, decoding escapes unless `raw`.
    fn body(&mut self, end: impl Fn(&Self) -> bool, raw: bool, multiline: bool) -> (String, u32) {
        let mut out: Vec<u8> = Vec::new();
        let mut escapes = 0;
        while self.i < self.src.len() {
            if end(self) {
                break;
            }
            let b = self.src[self.i];
            if b == b'\n' {
                if !multiline {
                    break;
                }
                self.line += 1;
            }
            if b == b'\\' && !raw && self.i + 1 < self.src.len() {
                let (decoded, used, counted) = self.escape();
                out.extend_from_slice(&decoded);
                escapes += u32::from(counted);
                self.i += used;
                continue;
            }
            out.push(b);
            self.i += 1;
        }
        (String::from_utf8_lossy(&out).into_owned(), escapes)
    }

    /// Decodes the escape at `self.i`: its bytes, how many source bytes it used, and
    /// whether it was a numeric escape.
    fn escape(&mut self) -> (Vec<u8>, usize, bool) {
        let next = self.peek(1);
        let hex = |s: &[u8]| -> Option<u32> {
            u32::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok()
        };
        let char_bytes = |c: u32| -> Vec<u8> {
            char::from_u32(c)
                .unwrap_or('\u{FFFD}')
                .to_string()
                .into_bytes()
        };
        match next {
            b'n' => (vec![b'\n'], 2, false),
            b't' => (vec![b'\t'], 2, false),
            b'r' => (vec![b'\r'], 2, false),
            b'\n' => {
                self.line += 1;
                (Vec::new(), 2, false)
            }
            b'x' => {
                let digits = self.src.get(self.i + 2..self.i + 4).and_then(hex);
                match digits {
                    Some(v) => (char_bytes(v), 4, true),
                    None => (vec![b'x'], 2, false),
                }
            }
            b'u' if self.peek(2) == b'{' => {
                let close = self.src[self.i + 3..]
                    .iter()
                    .take(8)
                    .position(|&c| c == b'}');
                match close.and_then(|n| hex(&self.src[self.i + 3..self.i + 3 + n]).map(|v| (v, n)))
                {
                    Some((v, n)) => (char_bytes(v), 4 + n, true),
                    None => (vec![b'u'], 2, false),
                }
            }
            b'u' => match self.src.get(self.i + 2..self.i + 6).and_then(hex) {
                Some(v) => (char_bytes(v), 6, true),
                None => (vec![b'u'], 2, false),
            },
            b'0'..=b'7' if self.lang != Lang::Rust => {
                let digits: Vec<u8> = self.src[self.i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|c| (b'0'..=b'7').contains(c))
                    .copied()
                    .collect();
                let v = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                (char_bytes(v), 1 + digits.len(), digits.len() > 1 || v != 0)
            }
            _ => {
                // Any other escaped character stands for itself (whole UTF-8 sequence).
                let width = self
                    .text
                    .get(self.i + 1..)
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                (
                    self.src[self.i + 1..self.i + 1 + width].to_vec(),
                    1 + width,
                    false,
                )
            }
        }
    }

    /// A JavaScript template literal from after its `` ` `` or a `}` closing `${`.
    fn template(&mut self) {
        let start = self.i;
        let line = self.line;
        let mut out = Vec::new();
        let mut escapes = 0;
        while self.i < self.src.len() {
            let b = self.src[self.i];
            if b == b'`' {
                self.i += 1;
                self.push(
                    Kind::Str,
                    String::from_utf8_lossy(&out).into_owned(),
                    start,
                    line,
                    escapes,
                );
                return;
            }
            if b == b'$' && self.peek(1) == b'{' {
                self.push(
                    Kind::Str,
                    String::from_utf8_lossy(&out).into_owned(),
                    start,
                    line,
                    escapes,
                );
                self.i += 2;
                self.templates.push(self.braces);
                self.braces += 1;
                return;
            }
            if b == b'\\' && self.i + 1 < self.src.len() {
                let (decoded, used, counted) = self.escape();
                out.extend_from_slice(&decoded);
                escapes += u32::from(counted);
                self.i += used;
                continue;
            }
            if b == b'\n' {
                self.line += 1;
            }
            out.push(b);
            self.i += 1;
        }
        self.push(
            Kind::Str,
            String::from_utf8_lossy(&out).into_owned(),
            start,
            line,
            escapes,
        );
    }

    fn regex(&mut self) {
        let start = self.i;
        self.i += 1;
        let mut class = false;
        while self.i < self.src.len() {
            match self.src[self.i] {
                b'\\' => self.i += 1,
                b'[' => class = true,
                b']' => class = false,
                b'/' if !class => {
                    self.i += 1;
                    break;
                }
                b'\n' => break,
                _ => {}
            }
            self.i += 1;
        }
        self.i = self.i.min(self.src.len());
        while self.i < self.src.len() && self.src[self.i].is_ascii_alphabetic() {
            self.i += 1;
        }
        let text = self.text.get(start..self.i).unwrap_or_default().to_owned();
        // A regular expression is data, like a string (it may hold an address pattern).
        self.push(Kind::Str, text, start, self.line, 0);
    }

    /// Ruby's `%q(…)`, `%Q{…}`, `%w[…]`, `%(…)` strings and `%x(…)` commands.
    fn ruby_percent(&mut self) -> bool {
        let (kind, skip) = match self.peek(1) {
            b'q' | b'Q' | b'w' | b'W' | b'i' | b'I' => (Kind::Str, 2),
            b'x' => (Kind::Command, 2),
            b'(' | b'{' | b'[' | b'<' | b'|' | b'!' => (Kind::Str, 1),
            _ => return false,
        };
        let open = self.peek(skip);
        let close = match open {
            b'(' => b')',
            b'{' => b'}',
            b'[' => b']',
            b'<' => b'>',
            b'|' | b'!' | b'/' => open,
            _ => return false,
        };
        let start = self.i;
        let line = self.line;
        self.i += skip + 1;
        let (text, escapes) = self.body(|lx| lx.src[lx.i] == close, false, true);
        if self.i < self.src.len() {
            self.i += 1;
        }
        self.push(kind, text, start, line, escapes);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(src: &str, lang: Lang) -> Vec<String> {
        tokenize(src, lang)
            .into_iter()
            .filter(Token::is_string)
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn javascript_strings_comments_templates_and_regexes() {
        let src = "// eval('no')\nconst a = \"\\x65\\x76\\x61\\x6c\"; /* x */ b = `t${ {c:1}.c }u`; r = /'[/]'/g;";
        let toks = tokenize(src, Lang::Js);
        assert!(!toks.iter().any(|t| t.text == "no"));
        assert_eq!(strings(src, Lang::Js), vec!["eval", "t", "u", "/'[/]'/g"]);
        let s = toks.iter().find(|t| t.text == "eval").unwrap();
        assert_eq!((s.line, s.escapes), (2, 4));
    }

    #[test]
    fn python_prefixes_and_triple_quotes() {
        let src = "x = rb'\\x41'\ny = '''a\nb'''  # c\nz = f\"{x}\"";
        assert_eq!(strings(src, Lang::Python), vec!["\\x41", "a\nb", "{x}"]);
        let toks = tokenize(src, Lang::Python);
        assert_eq!(toks.iter().find(|t| t.is_ident("z")).unwrap().line, 4);
    }

    #[test]
    fn ruby_commands_and_percent_strings() {
        let src = "x = `curl a`\ny = %x(id)\nz = %q{b}\n=begin\neval('c')\n=end\n";
        let toks = tokenize(src, Lang::Ruby);
        let cmds: Vec<_> = toks
            .iter()
            .filter(|t| t.kind == Kind::Command)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(cmds, vec!["curl a", "id"]);
        assert!(!toks.iter().any(|t| t.text == "c"));
    }

    #[test]
    fn rust_lifetimes_chars_and_raw_strings() {
        let src = "fn f<'a>(x: &'a str) -> char { let s = r#\"a\"b\"#; 'x' }";
        assert_eq!(strings(src, Lang::Rust), vec!["a\"b", "x"]);
    }

    #[test]
    fn never_panics_on_truncated_input() {
        for src in [
            "\"\\", "'\\u{", "`${", "r#\"", "%q(", "'''", "\\x", "/[", "\"\\u12", "é'\\", "'\\é",
        ] {
            for lang in [Lang::Js, Lang::Python, Lang::Ruby, Lang::Rust, Lang::Shell] {
                let _ = tokenize(src, lang);
            }
        }
    }
}
