//! A pickle read opcode by opcode, never unpickled.
//!
//! [`scan`] walks the opcodes of one or more pickles in a stream and keeps what loading
//! them would import (`GLOBAL`, `STACK_GLOBAL`, `INST`) and call (`REDUCE`, `NEWOBJ`,
//! `NEWOBJ_EX`, `INST`, `OBJ`, `BUILD`), each with the byte offset of its opcode. A small
//! model of the stack and the memo resolves what `STACK_GLOBAL` names and what a call's
//! arguments are, so that `getattr(builtins, "eval")` and strings kept in the memo are seen
//! through. Values are bounded (strings cut, containers capped, a budget on copies), so a
//! hostile pickle costs at most its length in time and a fixed amount of memory.
//!
//! Joblib's format writes array bytes in the middle of the pickle, right after the
//! `NumpyArrayWrapper` object is built; [`scan`] skips them the way joblib reads them
//! (its shape, dtype and alignment padding), and reads an object array's nested pickle
//! like the rest.

use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

/// The longest string kept (longer ones are cut; the rest is skipped, not stored).
const MAX_STR: usize = 512;
/// The most items kept per container.
const MAX_ITEMS: usize = 1024;
/// The deepest stack and the largest memo.
const MAX_STACK: usize = 1 << 20;
const MAX_MEMO: usize = 1 << 20;
/// The most container items copied when a shared container is changed.
const COPY_BUDGET: u64 = 1 << 24;
/// The most distinct imports and called imports recorded.
pub const MAX_RECORDED: usize = 4096;
/// The longest text line of protocol 0 opcodes.
const MAX_LINE: usize = 1 << 16;

/// Something loading the pickle would import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub module: String,
    pub name: String,
    /// Byte offset of the opcode in the stream.
    pub offset: u64,
    pub opcode: &'static str,
}

/// Something loading the pickle would call: a callable (an import, or what an earlier
/// call returned) with its arguments, both rendered like Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The import called, when the callable is one (`os.system`).
    pub target: Option<(String, String)>,
    /// `os.system('echo pwned')`, shortened.
    pub rendered: String,
    pub offset: u64,
    pub opcode: &'static str,
}

/// What reading a stream of pickles found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub imports: Vec<Import>,
    pub calls: Vec<Call>,
    /// `STACK_GLOBAL` whose module or name is not a string the pickle holds: what it
    /// imports is computed while loading.
    pub dynamic: Vec<(u64, String)>,
    /// `EXT1`/`EXT2`/`EXT4`: imports through the copyreg extension registry.
    pub extensions: Vec<(u64, u32)>,
    /// How many pickles were read, and opcodes in all.
    pub pickles: usize,
    pub opcodes: u64,
    /// Where and why reading stopped early.
    pub error: Option<(u64, String)>,
    /// Bytes after the last pickle that are not another pickle.
    pub trailing: u64,
    /// The highest protocol seen.
    pub protocol: u8,
    /// The first pickle's value, when it is a plain integer (legacy PyTorch files start
    /// with a magic number).
    pub first_int: Option<i128>,
    /// The imports recorded so far.
    seen: std::collections::HashSet<(String, String)>,
    /// The imports whose call is recorded.
    called: std::collections::HashSet<(String, String)>,
}

/// The magic number legacy `torch.save` pickles first; four more pickles follow it
/// (protocol, system info, the object, storage keys), then raw storage bytes.
pub const TORCH_LEGACY_MAGIC: i128 = 0x1950_a86a_20f9_469c_fc6c;

#[derive(Debug, Clone)]
enum Value {
    None,
    Bool,
    Int(i128),
    Float,
    Str(Rc<str>),
    Bytes,
    Tuple(Rc<Node<Value>>),
    List(Rc<Node<Value>>),
    Dict(Rc<Node<(Value, Value)>>),
    Set,
    Global(Rc<(String, String)>),
    Object(Rc<Object>),
    Persistent,
    Unknown,
}

#[derive(Debug)]
struct Object {
    /// How deeply values nest below it (at most [`MAX_DEPTH`]).
    depth: u8,
    callable: Value,
    args: Value,
}

/// A container's items and how deeply values nest below it (at most [`MAX_DEPTH`]):
/// values deeper than that are kept as [`Value::Unknown`], so that neither rendering nor
/// dropping a value recurses without bound.
#[derive(Debug, Clone)]
struct Node<T> {
    depth: u8,
    items: Vec<T>,
}

/// The deepest nesting of values kept.
const MAX_DEPTH: u8 = 32;

impl Value {
    fn depth(&self) -> u8 {
        match self {
            Value::Tuple(n) | Value::List(n) => n.depth,
            Value::Dict(n) => n.depth,
            Value::Object(o) => o.depth,
            _ => 0,
        }
    }

    /// Itself when it may sit inside a container, else [`Value::Unknown`].
    fn nestable(self) -> Value {
        if self.depth() >= MAX_DEPTH {
            Value::Unknown
        } else {
            self
        }
    }
}

fn seq(items: Vec<Value>) -> Node<Value> {
    let items: Vec<Value> = items
        .into_iter()
        .take(MAX_ITEMS)
        .map(Value::nestable)
        .collect();
    let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
    Node { depth, items }
}

fn map(pairs: Vec<(Value, Value)>) -> Node<(Value, Value)> {
    let items: Vec<(Value, Value)> = pairs
        .into_iter()
        .take(MAX_ITEMS)
        .map(|(k, v)| (k.nestable(), v.nestable()))
        .collect();
    let depth = 1 + items
        .iter()
        .map(|(k, v)| k.depth().max(v.depth()))
        .max()
        .unwrap_or(0);
    Node { depth, items }
}

struct Source<R> {
    inner: BufReader<R>,
    pos: u64,
}

#[derive(Debug)]
enum Stop {
    /// The end of the stream where a pickle may end.
    Eof,
    Bad(String),
}

type Step<T> = Result<T, Stop>;

fn bad<T>(why: impl Into<String>) -> Step<T> {
    Err(Stop::Bad(why.into()))
}

impl<R: Read> Source<R> {
    fn byte(&mut self) -> Step<u8> {
        let mut b = [0u8; 1];
        match self.inner.read_exact(&mut b) {
            Ok(()) => {
                self.pos += 1;
                Ok(b[0])
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(Stop::Eof),
            Err(e) => bad(format!("read failed: {e}")),
        }
    }

    fn peek(&mut self) -> Step<Option<u8>> {
        match self.inner.fill_buf() {
            Ok(buf) => Ok(buf.first().copied()),
            Err(e) => bad(format!("read failed: {e}")),
        }
    }

    fn exact<const N: usize>(&mut self) -> Step<[u8; N]> {
        let mut b = [0u8; N];
        match self.inner.read_exact(&mut b) {
            Ok(()) => {
                self.pos += N as u64;
                Ok(b)
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                bad("the stream ends inside an opcode's argument")
            }
            Err(e) => bad(format!("read failed: {e}")),
        }
    }

    /// Reads `n` bytes, keeping at most `keep` of them.
    fn take(&mut self, n: u64, keep: usize) -> Step<Vec<u8>> {
        let kept = usize::try_from(n).unwrap_or(usize::MAX).min(keep);
        let mut out = vec![0u8; kept];
        if let Err(e) = self.inner.read_exact(&mut out) {
            return if e.kind() == std::io::ErrorKind::UnexpectedEof {
                bad(format!("the stream ends inside a {n}-byte argument"))
            } else {
                bad(format!("read failed: {e}"))
            };
        }
        self.pos += kept as u64;
        self.skip(n - kept as u64)?;
        Ok(out)
    }

    fn skip(&mut self, n: u64) -> Step<()> {
        if n == 0 {
            return Ok(());
        }
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(|e| Stop::Bad(format!("read failed: {e}")))?;
        self.pos += copied;
        if copied < n {
            return bad(format!("the stream ends inside a {n}-byte argument"));
        }
        Ok(())
    }

    /// A `\n`-terminated line (without it), at most [`MAX_LINE`] bytes.
    fn line(&mut self) -> Step<Vec<u8>> {
        let mut out = Vec::new();
        let n = (&mut self.inner)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut out)
            .map_err(|e| Stop::Bad(format!("read failed: {e}")))?;
        self.pos += n as u64;
        if out.last() != Some(&b'\n') {
            return if n > MAX_LINE {
                bad("a text argument longer than 64 KiB")
            } else {
                bad("the stream ends inside a text argument")
            };
        }
        out.pop();
        Ok(out)
    }
}

fn short_str(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    let cut: String = text.chars().take(MAX_STR).collect();
    Value::Str(Rc::from(cut))
}

/// A little-endian two's-complement integer of at most 16 bytes (`LONG1`/`LONG4`).
fn le_int(b: &[u8]) -> Option<i128> {
    if b.is_empty() {
        return Some(0);
    }
    if b.len() > 16 {
        return None;
    }
    let fill = if b[b.len() - 1] & 0x80 != 0 { 0xff } else { 0 };
    let mut a = [fill; 16];
    a[..b.len()].copy_from_slice(b);
    Some(i128::from_le_bytes(a))
}

/// Python-like text of a value, for evidence.
fn render(v: &Value, out: &mut String, depth: usize) {
    if out.len() > 200 {
        return;
    }
    match v {
        Value::None => out.push_str("None"),
        Value::Bool => out.push_str("bool"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float => out.push_str("float"),
        Value::Str(s) => {
            out.push('\'');
            out.push_str(s);
            out.push('\'');
        }
        Value::Bytes => out.push_str("b'…'"),
        Value::Tuple(node) | Value::List(node) => {
            let items = &node.items;
            let (open, close) = if matches!(v, Value::Tuple(_)) {
                ('(', ')')
            } else {
                ('[', ']')
            };
            out.push(open);
            if depth > 3 {
                out.push('…');
            } else {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    render(item, out, depth + 1);
                }
            }
            out.push(close);
        }
        Value::Dict(node) => out.push_str(if node.items.is_empty() { "{}" } else { "{…}" }),
        Value::Set => out.push_str("{…}"),
        Value::Global(g) => {
            out.push_str(&g.0);
            out.push('.');
            out.push_str(&g.1);
        }
        Value::Object(_) if depth > 6 => out.push('…'),
        Value::Object(o) => {
            render(&o.callable, out, depth + 1);
            if depth > 3 {
                out.push_str("(…)");
            } else {
                render_args(&o.args, out, depth + 1);
            }
        }
        Value::Persistent => out.push_str("<persistent>"),
        Value::Unknown => out.push('?'),
    }
}

fn render_args(args: &Value, out: &mut String, depth: usize) {
    match args {
        Value::Tuple(node) => {
            out.push('(');
            for (i, item) in node.items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out, depth);
            }
            out.push(')');
        }
        other => {
            out.push_str("(*");
            render(other, out, depth);
            out.push(')');
        }
    }
}

/// The import a callable stands for.
fn target(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Global(g) => Some((g.0.clone(), g.1.clone())),
        _ => None,
    }
}

struct Machine<'a> {
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: std::collections::HashMap<u64, Value>,
    copies: u64,
    /// How many joblib object arrays deep (each is a pickle of its own).
    depth: usize,
    scan: &'a mut Scan,
}

impl Machine<'_> {
    fn push(&mut self, v: Value) -> Step<()> {
        if self.stack.len() >= MAX_STACK {
            return bad("a stack deeper than 1,048,576 values");
        }
        self.stack.push(v);
        Ok(())
    }

    fn pop(&mut self) -> Step<Value> {
        match self.stack.pop() {
            Some(v) => Ok(v),
            None => bad("an opcode pops from an empty stack"),
        }
    }

    fn top(&mut self) -> Step<&mut Value> {
        match self.stack.last_mut() {
            Some(v) => Ok(v),
            None => bad("an opcode reads an empty stack"),
        }
    }

    fn pop_mark(&mut self) -> Step<Vec<Value>> {
        let Some(at) = self.marks.pop() else {
            return bad("an opcode needs a MARK and there is none");
        };
        if at > self.stack.len() {
            return bad("a MARK below the stack");
        }
        Ok(self.stack.split_off(at))
    }

    fn memo_put(&mut self, key: u64) -> Step<()> {
        let v = match self.stack.last() {
            Some(v) => v.clone(),
            None => return bad("PUT with an empty stack"),
        };
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&key) {
            return bad("a memo of more than 1,048,576 values");
        }
        self.memo.insert(key, v);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Step<()> {
        match self.memo.get(&key) {
            Some(v) => {
                let v = v.clone();
                self.push(v)
            }
            None => bad(format!("GET of memo key {key}, which was never PUT")),
        }
    }

    /// A container copied out of a shared one, within the budget (else `None`).
    fn copy_of<T: Clone>(&mut self, node: &Rc<Node<T>>) -> Option<Node<T>> {
        self.copies += node.items.len() as u64;
        (self.copies <= COPY_BUDGET).then(|| node.as_ref().clone())
    }

    fn owned<T: Clone>(&mut self, node: Rc<Node<T>>) -> Option<Node<T>> {
        match Rc::try_unwrap(node) {
            Ok(n) => Some(n),
            Err(shared) => self.copy_of(&shared),
        }
    }

    fn extend_list(&mut self, new: Vec<Value>) -> Step<()> {
        let top = std::mem::replace(self.top()?, Value::Unknown);
        let replaced = match top {
            Value::List(node) => match self.owned(node) {
                Some(mut n) => {
                    for item in new
                        .into_iter()
                        .take(MAX_ITEMS.saturating_sub(n.items.len()))
                    {
                        let item = item.nestable();
                        n.depth = n.depth.max(1 + item.depth());
                        n.items.push(item);
                    }
                    Value::List(Rc::new(n))
                }
                None => Value::Unknown,
            },
            other => other,
        };
        *self.top()? = replaced;
        Ok(())
    }

    fn set_items(&mut self, pairs: Vec<(Value, Value)>) -> Step<()> {
        let top = std::mem::replace(self.top()?, Value::Unknown);
        let replaced = match top {
            Value::Dict(node) => match self.owned(node) {
                Some(mut n) => {
                    for (k, v) in pairs
                        .into_iter()
                        .take(MAX_ITEMS.saturating_sub(n.items.len()))
                    {
                        let (k, v) = (k.nestable(), v.nestable());
                        n.depth = n.depth.max(1 + k.depth().max(v.depth()));
                        n.items.push((k, v));
                    }
                    Value::Dict(Rc::new(n))
                }
                None => Value::Unknown,
            },
            other => other,
        };
        *self.top()? = replaced;
        Ok(())
    }

    /// Records an import the first time it is seen (at most [`MAX_RECORDED`]).
    fn import(&mut self, module: String, name: String, offset: u64, opcode: &'static str) {
        if self.scan.imports.len() >= MAX_RECORDED
            || !self.scan.seen.insert((module.clone(), name.clone()))
        {
            return;
        }
        self.scan.imports.push(Import {
            module,
            name,
            offset,
            opcode,
        });
    }

    /// Records the first call of each import (at most [`MAX_RECORDED`]) and returns what
    /// the call makes.
    fn call(&mut self, callable: Value, args: Value, offset: u64, opcode: &'static str) -> Value {
        if let Some(t) = target(&callable)
            && self.scan.calls.len() < MAX_RECORDED
            && self.scan.called.insert(t.clone())
        {
            let mut rendered = String::new();
            render(&callable, &mut rendered, 0);
            render_args(&args, &mut rendered, 1);
            self.scan.calls.push(Call {
                target: Some(t),
                rendered: crate::shorten(&rendered, 160),
                offset,
                opcode,
            });
        }
        let (callable, args) = (callable.nestable(), args.nestable());
        let depth = 1 + callable.depth().max(args.depth());
        Value::Object(Rc::new(Object {
            depth,
            callable,
            args,
        }))
    }
}

fn tuple(items: Vec<Value>) -> Value {
    Value::Tuple(Rc::new(seq(items)))
}

/// Python 2 module names that protocols 0–2 write and Python 3 maps on load.
fn fix_module(module: &str) -> &str {
    match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        "cPickle" => "pickle",
        "commands" => "subprocess",
        "urllib2" => "urllib.request",
        "httplib" => "http.client",
        other => other,
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

/// Reads the pickles of `reader`: pickles one after another while the next byte starts
/// one (`PROTO`); anything else after them is trailing data, except after the five
/// pickles of a legacy `torch.save` file, whose storage bytes follow.
pub fn scan<R: Read>(reader: R) -> Scan {
    let mut scan = Scan::default();
    let mut src = Source {
        inner: BufReader::with_capacity(64 * 1024, reader),
        pos: 0,
    };
    loop {
        let start = src.pos;
        let mut machine = Machine {
            stack: Vec::new(),
            marks: Vec::new(),
            memo: std::collections::HashMap::new(),
            copies: 0,
            depth: 0,
            scan: &mut scan,
        };
        let result = run(&mut src, &mut machine);
        match result {
            Ok(value) => {
                scan.pickles += 1;
                if scan.pickles == 1
                    && let Value::Int(i) = value
                {
                    scan.first_int = Some(i);
                }
            }
            Err(Stop::Eof) if src.pos == start && scan.pickles > 0 => return scan,
            Err(Stop::Eof) => {
                scan.error = Some((src.pos, "the stream ends before the pickle's STOP".into()));
                return scan;
            }
            Err(Stop::Bad(why)) => {
                scan.error = Some((src.pos, why));
                return scan;
            }
        }
        let legacy = scan.first_int == Some(TORCH_LEGACY_MAGIC);
        if legacy && scan.pickles >= 5 {
            return scan;
        }
        let next = match src.peek() {
            Ok(next) => next,
            Err(Stop::Bad(why)) => {
                scan.error = Some((src.pos, why));
                return scan;
            }
            Err(Stop::Eof) => None,
        };
        match next {
            None => return scan,
            Some(0x80) => {}
            Some(_) if legacy => {}
            Some(_) => {
                let rest = std::io::copy(&mut src.inner, &mut std::io::sink()).unwrap_or(0);
                scan.trailing = rest;
                return scan;
            }
        }
    }
}

/// Runs one pickle to its STOP; returns the value it leaves.
fn run<R: Read>(src: &mut Source<R>, m: &mut Machine<'_>) -> Step<Value> {
    loop {
        let offset = src.pos;
        let op = src.byte()?;
        m.scan.opcodes += 1;
        match op {
            b'(' => {
                m.marks.push(m.stack.len());
                if m.marks.len() > MAX_STACK {
                    return bad("more than 1,048,576 open MARKs");
                }
            }
            b'.' => {
                return Ok(m.stack.pop().unwrap_or(Value::Unknown));
            }
            b'0' => {
                if m.marks.last() == Some(&m.stack.len()) {
                    m.marks.pop();
                } else {
                    m.pop()?;
                }
            }
            b'1' => {
                m.pop_mark()?;
            }
            b'2' => {
                let v = m.top()?.clone();
                m.push(v)?;
            }
            b'F' => {
                src.line()?;
                m.push(Value::Float)?;
            }
            b'I' => {
                let line = text(&src.line()?);
                let v = match line.as_str() {
                    "00" | "01" => Value::Bool,
                    other => other.parse::<i128>().map_or(Value::Unknown, Value::Int),
                };
                m.push(v)?;
            }
            b'J' => {
                let b = src.exact::<4>()?;
                m.push(Value::Int(i128::from(i32::from_le_bytes(b))))?;
            }
            b'K' => {
                let b = src
                    .byte()
                    .or_else(|_| bad("the stream ends inside BININT1"))?;
                m.push(Value::Int(i128::from(b)))?;
            }
            b'M' => {
                let b = src.exact::<2>()?;
                m.push(Value::Int(i128::from(u16::from_le_bytes(b))))?;
            }
            b'L' => {
                let line = text(&src.line()?);
                let v = line
                    .trim_end_matches('L')
                    .parse::<i128>()
                    .map_or(Value::Unknown, Value::Int);
                m.push(v)?;
            }
            0x8a => {
                let n = src
                    .byte()
                    .or_else(|_| bad("the stream ends inside LONG1"))?;
                let b = src.take(u64::from(n), 32)?;
                m.push(le_int(&b).map_or(Value::Unknown, Value::Int))?;
            }
            0x8b => {
                let n = i32::from_le_bytes(src.exact::<4>()?);
                let Ok(n) = u64::try_from(n) else {
                    return bad("LONG4 with a negative length");
                };
                let b = src.take(n, 32)?;
                m.push(if n <= 16 {
                    le_int(&b).map_or(Value::Unknown, Value::Int)
                } else {
                    Value::Unknown
                })?;
            }
            b'N' => m.push(Value::None)?,
            0x88 | 0x89 => m.push(Value::Bool)?,
            b'G' => {
                src.exact::<8>()?;
                m.push(Value::Float)?;
            }
            b'S' => {
                let line = src.line()?;
                let t = text(&line);
                let inner = t
                    .strip_prefix('\'')
                    .and_then(|t| t.strip_suffix('\''))
                    .or_else(|| t.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
                    .unwrap_or(&t);
                m.push(short_str(inner.as_bytes()))?;
            }
            b'V' => {
                let line = src.line()?;
                m.push(short_str(&line))?;
            }
            b'T' => {
                let n = i32::from_le_bytes(src.exact::<4>()?);
                let Ok(n) = u64::try_from(n) else {
                    return bad("BINSTRING with a negative length");
                };
                let b = src.take(n, MAX_STR * 4)?;
                m.push(short_str(&b))?;
            }
            b'U' => {
                let n = src
                    .byte()
                    .or_else(|_| bad("the stream ends inside SHORT_BINSTRING"))?;
                let b = src.take(u64::from(n), 256)?;
                m.push(short_str(&b))?;
            }
            b'X' => {
                let n = u64::from(u32::from_le_bytes(src.exact::<4>()?));
                let b = src.take(n, MAX_STR * 4)?;
                m.push(short_str(&b))?;
            }
            0x8c => {
                let n = src
                    .byte()
                    .or_else(|_| bad("the stream ends inside SHORT_BINUNICODE"))?;
                let b = src.take(u64::from(n), 256)?;
                m.push(short_str(&b))?;
            }
            0x8d => {
                let n = u64::from_le_bytes(src.exact::<8>()?);
                let b = src.take(n, MAX_STR * 4)?;
                m.push(short_str(&b))?;
            }
            b'B' => {
                let n = u64::from(u32::from_le_bytes(src.exact::<4>()?));
                src.skip(n)?;
                m.push(Value::Bytes)?;
            }
            b'C' => {
                let n = src
                    .byte()
                    .or_else(|_| bad("the stream ends inside SHORT_BINBYTES"))?;
                src.skip(u64::from(n))?;
                m.push(Value::Bytes)?;
            }
            0x8e | 0x96 => {
                let n = u64::from_le_bytes(src.exact::<8>()?);
                src.skip(n)?;
                m.push(Value::Bytes)?;
            }
            0x97 => m.push(Value::Bytes)?,
            0x98 => {
                m.top()?;
            }
            b')' => m.push(tuple(Vec::new()))?,
            b't' => {
                let items = m.pop_mark()?;
                m.push(tuple(items))?;
            }
            0x85 => {
                let a = m.pop()?;
                m.push(tuple(vec![a]))?;
            }
            0x86 => {
                let b = m.pop()?;
                let a = m.pop()?;
                m.push(tuple(vec![a, b]))?;
            }
            0x87 => {
                let c = m.pop()?;
                let b = m.pop()?;
                let a = m.pop()?;
                m.push(tuple(vec![a, b, c]))?;
            }
            b']' => m.push(Value::List(Rc::new(seq(Vec::new()))))?,
            b'l' => {
                let items = m.pop_mark()?;
                m.push(Value::List(Rc::new(seq(items))))?;
            }
            b'a' => {
                let v = m.pop()?;
                m.extend_list(vec![v])?;
            }
            b'e' => {
                let items = m.pop_mark()?;
                m.extend_list(items)?;
            }
            b'}' => m.push(Value::Dict(Rc::new(map(Vec::new()))))?,
            b'd' => {
                let items = m.pop_mark()?;
                let pairs = pairs(items)?;
                m.push(Value::Dict(Rc::new(map(pairs))))?;
            }
            b's' => {
                let v = m.pop()?;
                let k = m.pop()?;
                m.set_items(vec![(k, v)])?;
            }
            b'u' => {
                let items = m.pop_mark()?;
                let pairs = pairs(items)?;
                m.set_items(pairs)?;
            }
            0x8f => m.push(Value::Set)?,
            0x90 => {
                m.pop_mark()?;
                m.top()?;
            }
            0x91 => {
                m.pop_mark()?;
                m.push(Value::Set)?;
            }
            b'p' => {
                let line = text(&src.line()?);
                let Ok(key) = line.parse::<u64>() else {
                    return bad(format!(
                        "PUT of `{}`, not a memo key",
                        crate::shorten(&line, 40)
                    ));
                };
                m.memo_put(key)?;
            }
            b'q' => {
                let key = src
                    .byte()
                    .or_else(|_| bad("the stream ends inside BINPUT"))?;
                m.memo_put(u64::from(key))?;
            }
            b'r' => {
                let key = u32::from_le_bytes(src.exact::<4>()?);
                m.memo_put(u64::from(key))?;
            }
            0x94 => {
                let key = m.memo.len() as u64;
                m.memo_put(key)?;
            }
            b'g' => {
                let line = text(&src.line()?);
                let Ok(key) = line.parse::<u64>() else {
                    return bad(format!(
                        "GET of `{}`, not a memo key",
                        crate::shorten(&line, 40)
                    ));
                };
                m.memo_get(key)?;
            }
            b'h' => {
                let key = src
                    .byte()
                    .or_else(|_| bad("the stream ends inside BINGET"))?;
                m.memo_get(u64::from(key))?;
            }
            b'j' => {
                let key = u32::from_le_bytes(src.exact::<4>()?);
                m.memo_get(u64::from(key))?;
            }
            b'c' => {
                let module = text(&src.line()?);
                let name = text(&src.line()?);
                let module = fix_module(&module).to_owned();
                m.import(module.clone(), name.clone(), offset, "GLOBAL");
                m.push(Value::Global(Rc::new((module, name))))?;
            }
            0x93 => {
                let name = m.pop()?;
                let module = m.pop()?;
                if let (Value::Str(module), Value::Str(name)) = (&module, &name) {
                    let module = fix_module(module).to_owned();
                    let name = name.to_string();
                    m.import(module.clone(), name.clone(), offset, "STACK_GLOBAL");
                    m.push(Value::Global(Rc::new((module, name))))?;
                } else {
                    let mut what = String::new();
                    render(&module, &mut what, 0);
                    what.push_str(", ");
                    render(&name, &mut what, 0);
                    m.scan.dynamic.push((offset, crate::shorten(&what, 160)));
                    m.push(Value::Unknown)?;
                }
            }
            b'i' => {
                let module = fix_module(&text(&src.line()?)).to_owned();
                let name = text(&src.line()?);
                m.import(module.clone(), name.clone(), offset, "INST");
                let args = m.pop_mark()?;
                let callable = Value::Global(Rc::new((module, name)));
                let v = m.call(callable, tuple(args), offset, "INST");
                m.push(v)?;
            }
            b'o' => {
                let mut items = m.pop_mark()?;
                if items.is_empty() {
                    return bad("OBJ without a class");
                }
                let callable = items.remove(0);
                let v = m.call(callable, tuple(items), offset, "OBJ");
                m.push(v)?;
            }
            b'R' => {
                let args = m.pop()?;
                let callable = m.pop()?;
                let v = m.call(callable, args, offset, "REDUCE");
                m.push(v)?;
            }
            0x81 => {
                let args = m.pop()?;
                let class = m.pop()?;
                let v = m.call(class, args, offset, "NEWOBJ");
                m.push(v)?;
            }
            0x92 => {
                let _kwargs = m.pop()?;
                let args = m.pop()?;
                let class = m.pop()?;
                let v = m.call(class, args, offset, "NEWOBJ_EX");
                m.push(v)?;
            }
            b'b' => {
                let state = m.pop()?;
                let object = m.top()?.clone();
                // Setting the state calls `__setstate__` of what the class made; the class
                // itself is already an import. Joblib's array wrapper is followed by the
                // array's bytes.
                if let Value::Object(o) = &object
                    && let Some((module, name)) = target(&o.callable)
                    && module == "joblib.numpy_pickle"
                    && name == "NumpyArrayWrapper"
                {
                    skip_joblib_array(src, m, &state)?;
                }
            }
            b'P' => {
                src.line()?;
                m.push(Value::Persistent)?;
            }
            b'Q' => {
                m.pop()?;
                m.push(Value::Persistent)?;
            }
            0x82 => {
                let code = src.byte().or_else(|_| bad("the stream ends inside EXT1"))?;
                m.scan.extensions.push((offset, u32::from(code)));
                m.push(Value::Unknown)?;
            }
            0x83 => {
                let code = u16::from_le_bytes(src.exact::<2>()?);
                m.scan.extensions.push((offset, u32::from(code)));
                m.push(Value::Unknown)?;
            }
            0x84 => {
                let code = u32::from_le_bytes(src.exact::<4>()?);
                m.scan.extensions.push((offset, code));
                m.push(Value::Unknown)?;
            }
            0x80 => {
                let proto = src
                    .byte()
                    .or_else(|_| bad("the stream ends inside PROTO"))?;
                if proto > 5 {
                    return bad(format!("protocol {proto}, above the highest (5)"));
                }
                m.scan.protocol = m.scan.protocol.max(proto);
            }
            0x95 => {
                src.exact::<8>()?;
            }
            other => {
                return bad(format!("byte 0x{other:02x} is not a pickle opcode"));
            }
        }
    }
}

fn pairs(items: Vec<Value>) -> Step<Vec<(Value, Value)>> {
    if !items.len().is_multiple_of(2) {
        return bad("a dictionary with an odd number of keys and values");
    }
    let mut out = Vec::with_capacity((items.len() / 2).min(MAX_ITEMS));
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        if out.len() < MAX_ITEMS {
            out.push((k, v));
        }
    }
    Ok(out)
}

fn lookup<'v>(dict: &'v [(Value, Value)], key: &str) -> Option<&'v Value> {
    dict.iter()
        .find(|(k, _)| matches!(k, Value::Str(s) if &**s == key))
        .map(|(_, v)| v)
}

/// The item size of a NumPy dtype string (`<f8`, `float32`, `int64`, `b1`, `c16`, `U5`).
pub(crate) fn itemsize(descr: &str) -> Option<u64> {
    let d = descr.trim_start_matches(['<', '>', '=', '|']);
    let named = match d {
        "bool" | "b" | "?" | "int8" | "uint8" | "i1" | "u1" | "b1" => Some(1),
        "int16" | "uint16" | "float16" | "half" => Some(2),
        "int32" | "uint32" | "float32" | "single" => Some(4),
        "int64" | "uint64" | "float64" | "double" | "complex64" | "int" | "float" => Some(8),
        "complex128" | "complex" | "longdouble" | "float128" => Some(16),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    if d.starts_with("M8") || d.starts_with("m8") || d.starts_with("datetime64") {
        return Some(8);
    }
    let kind = d.chars().next()?;
    let n: u64 = d[kind.len_utf8()..].parse().ok()?;
    match kind {
        'i' | 'u' | 'f' | 'c' | 'b' | 'S' | 'a' | 'V' => Some(n),
        'U' => n.checked_mul(4),
        _ => None,
    }
}

/// Joblib wrote the array's bytes right after its wrapper: skip them as joblib reads
/// them (or read an object array's nested pickle like the rest).
fn skip_joblib_array<R: Read>(src: &mut Source<R>, m: &mut Machine<'_>, state: &Value) -> Step<()> {
    let Value::Dict(state) = state else {
        return bad("a joblib array wrapper whose state is not a dictionary");
    };
    let dtype = lookup(&state.items, "dtype");
    let descr = match dtype {
        Some(Value::Object(o)) => match &o.args {
            Value::Tuple(args) => match args.items.first() {
                Some(Value::Str(s)) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    let Some(descr) = descr else {
        return bad("a joblib array wrapper without a readable dtype");
    };
    if descr.starts_with('O') || descr.starts_with("|O") || descr == "object" {
        // Object arrays are a nested pickle in the same stream.
        if m.depth >= 4 {
            return bad("joblib object arrays nested more than 4 deep");
        }
        let mut nested = Machine {
            stack: Vec::new(),
            marks: Vec::new(),
            memo: std::collections::HashMap::new(),
            copies: 0,
            depth: m.depth + 1,
            scan: &mut *m.scan,
        };
        return match run(src, &mut nested) {
            Ok(_) => Ok(()),
            Err(Stop::Eof) => bad("the stream ends inside a joblib object array"),
            Err(e) => Err(e),
        };
    }
    let Some(size) = itemsize(&descr) else {
        return bad(format!(
            "a joblib array of dtype `{descr}`, whose size is unknown"
        ));
    };
    let mut count: u64 = 1;
    match lookup(&state.items, "shape") {
        Some(Value::Tuple(dims)) => {
            for d in &dims.items {
                let Value::Int(d) = d else {
                    return bad("a joblib array whose shape is not integers");
                };
                let d = u64::try_from(*d).map_err(|_| Stop::Bad("a negative dimension".into()))?;
                count = count
                    .checked_mul(d)
                    .ok_or_else(|| Stop::Bad("an array larger than 2^64 items".into()))?;
            }
        }
        _ => return bad("a joblib array wrapper without a shape"),
    }
    if matches!(
        lookup(&state.items, "numpy_array_alignment_bytes"),
        Some(Value::Int(_))
    ) {
        let padding = src
            .byte()
            .or_else(|_| bad("the stream ends inside joblib's padding"))?;
        src.skip(u64::from(padding))?;
    }
    let bytes = count
        .checked_mul(size)
        .ok_or_else(|| Stop::Bad("an array larger than 2^64 bytes".into()))?;
    src.skip(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(bytes: &[u8]) -> Vec<String> {
        scan(bytes)
            .imports
            .iter()
            .map(|i| format!("{}.{}", i.module, i.name))
            .collect()
    }

    #[test]
    fn protocol_0_global_and_reduce() {
        // pickle.dumps of a __reduce__ returning (os.system, ('id',)), protocol 0.
        let p = b"cposix\nsystem\np0\n(Vid\np1\ntp2\nRp3\n.";
        let s = scan(&p[..]);
        assert_eq!(imports(p), ["posix.system"]);
        assert_eq!(s.calls.len(), 1);
        assert_eq!(s.calls[0].rendered, "posix.system('id')");
        assert_eq!(s.calls[0].offset, 29);
        assert!(s.error.is_none());
    }

    #[test]
    fn stack_global_through_the_memo() {
        // protocol 4: SHORT_BINUNICODE 'builtins', MEMOIZE, SHORT_BINUNICODE 'exec',
        // MEMOIZE, STACK_GLOBAL, then exec('print(1)').
        let mut p = vec![0x80, 4, 0x8c, 8];
        p.extend_from_slice(b"builtins");
        p.extend_from_slice(&[0x94, 0x8c, 4]);
        p.extend_from_slice(b"exec");
        p.extend_from_slice(&[0x94, 0x93, 0x94, 0x8c, 8]);
        p.extend_from_slice(b"print(1)");
        p.extend_from_slice(&[0x94, 0x85, 0x94, b'R', 0x94, b'.']);
        let s = scan(&p[..]);
        assert_eq!(imports(&p), ["builtins.exec"]);
        assert_eq!(s.calls[0].rendered, "builtins.exec('print(1)')");
        assert_eq!(s.protocol, 4);
    }

    #[test]
    fn a_computed_stack_global_is_reported() {
        // STACK_GLOBAL over two values that are not strings.
        let p = [0x80, 4, b'K', 1, b'K', 2, 0x93, b'.'];
        let s = scan(&p[..]);
        assert!(s.imports.is_empty());
        assert_eq!(s.dynamic.len(), 1);
    }

    #[test]
    fn truncated_and_garbage_stop_cleanly() {
        let s = scan(&b"cos\nsys"[..]);
        assert!(s.error.is_some());
        let s = scan(&[0x80, 2, 0xff][..]);
        assert_eq!(s.error.as_ref().map(|e| e.0), Some(3));
        let s = scan(&[0x80, 9][..]);
        assert!(s.error.unwrap().1.contains("protocol 9"));
    }

    #[test]
    fn pickles_in_a_row_and_trailing_bytes() {
        let mut p = b"\x80\x02K\x01.".to_vec();
        p.extend_from_slice(b"\x80\x02cos\nsystem\n.");
        p.extend_from_slice(b"junk");
        let s = scan(&p[..]);
        assert_eq!(s.pickles, 2);
        assert_eq!(s.trailing, 4);
        assert_eq!(s.first_int, Some(1));
        assert_eq!(imports(&p), ["os.system"]);
    }

    #[test]
    fn deep_nesting_is_cut_not_recursed() {
        // Two million nested one-tuples, and a million calls of a call's result.
        let mut p = b"\x80\x02K\x01".to_vec();
        p.extend(std::iter::repeat_n(0x85u8, 2_000_000));
        p.push(b'.');
        let s = scan(&p[..]);
        assert!(s.error.is_none(), "{:?}", s.error);
        let mut p = b"\x80\x02cos\nsystem\n".to_vec();
        for _ in 0..1_000_000 {
            p.extend_from_slice(b")R");
        }
        p.push(b'.');
        let s = scan(&p[..]);
        assert_eq!(s.calls.len(), 1, "the first call of `os.system` only");
        // Lists appended into each other.
        let mut p = b"\x80\x02".to_vec();
        p.extend(std::iter::repeat_n(b']', 100_000));
        p.extend(std::iter::repeat_n(b'a', 99_999));
        p.push(b'.');
        assert!(scan(&p[..]).error.is_none());
    }

    #[test]
    fn itemsizes() {
        assert_eq!(itemsize("<f8"), Some(8));
        assert_eq!(itemsize("|b1"), Some(1));
        assert_eq!(itemsize("<U3"), Some(12));
        assert_eq!(itemsize("float32"), Some(4));
        assert_eq!(itemsize("<M8[ns]"), Some(8));
        assert_eq!(itemsize("<x9"), None);
    }
}
