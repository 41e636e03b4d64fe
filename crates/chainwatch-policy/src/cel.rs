//! CEL conditions (`when.cel = "…"`): anything the other conditions cannot say, written in
//! the Common Expression Language as Dependency-Track v5 does, over the component, its
//! findings and its dependency path.
//!
//! CEL has no loops of its own, but an expression can still be made costly (nested
//! comprehensions over long lists, deep nesting, regular expressions built from data), so
//! every expression is checked before it is used: at most [`MAX_CEL_BYTES`], nesting at
//! most [`MAX_PARSE_DEPTH`] deep when parsed and [`MAX_TREE_DEPTH`] once built, at most
//! [`MAX_NODES`] nodes once macros are expanded, list literals of at most
//! [`MAX_LIST_LITERAL`] elements, comprehensions nested at most [`MAX_COMPREHENSIONS`]
//! deep (so at most 4,096 × 4,096 steps per component), only the variables and
//! functions listed here, and `matches` only with a literal pattern. A component with
//! more findings or a longer path than an expression may read makes it fail (which
//! counts as holding) rather than show it a part. It is then run once on a sample component, so that a
//! misspelled field or a result that is not a boolean is refused with the policy.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use cel::{Context, Env, Value};

use crate::{Component, Finding};

/// The longest expression.
pub const MAX_CEL_BYTES: usize = 4096;
/// The deepest nesting the parser accepts.
pub const MAX_PARSE_DEPTH: u16 = 32;
/// The most nodes an expression may have, macros expanded.
pub const MAX_NODES: usize = 1024;
/// The deepest nesting of comprehensions (`all`, `exists`, `map`, `filter`).
pub const MAX_COMPREHENSIONS: usize = 2;
/// The deepest tree an expression may be once parsed (chains such as `a + a + …` are
/// parsed in a loop, so the parser's own limit does not hold them): evaluation recurses
/// once per level.
pub const MAX_TREE_DEPTH: usize = 64;
/// The most elements of a list literal.
pub const MAX_LIST_LITERAL: usize = 256;
/// The most findings an expression reads of a component (more: the expression fails,
/// which counts as holding, rather than see a part).
const MAX_FINDINGS: usize = 4096;
/// The most steps of a dependency path it reads (likewise).
const MAX_PATH: usize = 256;
/// The most licence terms and other list fields it reads.
const MAX_LIST: usize = 256;

/// The variables an expression may read.
const VARIABLES: [&str; 3] = ["component", "findings", "path"];

/// The functions an expression may call, besides operators.
const FUNCTIONS: [&str; 12] = [
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "type",
    "dyn",
];

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

/// Which variables an expression reads.
#[derive(Debug, Clone, Copy, Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent facts, each read or not"
)]
pub(crate) struct Reads {
    pub(crate) component: bool,
    /// `component.direct` (or the whole component).
    pub(crate) direct: bool,
    /// `component.typosquat` (or the whole component).
    pub(crate) typosquat: bool,
    /// `component.licenses` or `component.license_categories` (or the whole component):
    /// the licence's terms, worked out only then.
    pub(crate) terms: bool,
    /// The fields of `component` it reads (bits of [`COMPONENT_FIELDS`]).
    fields: u16,
    pub(crate) findings: bool,
    /// The findings' weaknesses (`cwes`): costly to gather across a portfolio, so only
    /// when the expression names them.
    pub(crate) cwes: bool,
    pub(crate) path: bool,
}

/// The fields of `component`.
const COMPONENT_FIELDS: [&str; 11] = [
    "name",
    "version",
    "purl",
    "type",
    "namespace",
    "license",
    "licenses",
    "license_categories",
    "direct",
    "typosquat",
    "unpinned",
];

/// How many results an expression remembers before it forgets them all.
const MAX_REMEMBERED: usize = 1 << 16;

/// Results by what the expression reads of its input (see [`Cel::key`]).
type Remembered = HashMap<String, Result<bool, String>>;

/// A checked CEL expression.
#[derive(Clone)]
pub(crate) struct Cel {
    pub(crate) source: String,
    expr: Arc<IdedExpr>,
    pub(crate) reads: Reads,
    /// Across a portfolio most components look the same to an expression (the same type,
    /// licence and findings): it runs once for each.
    remembered: Arc<Mutex<Remembered>>,
}

impl fmt::Debug for Cel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cel").field(&self.source).finish()
    }
}

impl Cel {
    /// Parses and checks an expression; the error says where in it and why.
    pub(crate) fn parse(source: &str) -> Result<Cel, String> {
        if source.len() > MAX_CEL_BYTES {
            return Err(format!(
                "the expression is longer than {MAX_CEL_BYTES} bytes"
            ));
        }
        if source.trim().is_empty() {
            return Err("the expression is empty".into());
        }
        let expr = ENV
            .parser()
            .max_recursion_depth(MAX_PARSE_DEPTH)
            .parse(source)
            .map_err(|errors| {
                errors
                    .errors
                    .iter()
                    .take(3)
                    .map(|e| format!("{}:{}: {}", e.pos.0, e.pos.1 + 1, e.msg))
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        let mut reads = check(&expr)?;
        // Any way of reading a finding's weaknesses spells `cwes` (`f.cwes`, `f["cwes"]`).
        reads.cwes = reads.findings && source.contains("cwes");
        let cel = Cel {
            source: source.to_owned(),
            expr: Arc::new(expr),
            reads,
            remembered: Arc::default(),
        };
        // A dry run on a sample: misspelled fields, wrong types and results that are not
        // booleans show now, not on the first component.
        let sample = Component {
            name: "sample".into(),
            version: Some("1.0.0".into()),
            purl: chainwatch_purl::Purl::parse("pkg:npm/sample@1.0.0").ok(),
            license: Some(chainwatch_license::Licensing::new("MIT")),
            findings: vec![Finding {
                advisory: "GHSA-0000-0000-0000".into(),
                aliases: vec!["CVE-0000-0000".into()],
                severity: Some(chainwatch_advisory::Level::High),
                score: Some(7.5),
                epss: Some(0.5),
                cwes: vec!["CWE-79".into()],
                ..Finding::default()
            }],
            path: vec!["pkg:npm/parent@1.0.0".into()],
            ..Component::default()
        };
        cel.evaluate(&sample, &sample.findings)?;
        Ok(cel)
    }

    /// Whether the expression holds for `component` with these findings; an error says
    /// why it could not be evaluated.
    pub(crate) fn evaluate(
        &self,
        component: &Component,
        findings: &[Finding],
    ) -> Result<bool, String> {
        let key = self.key(component, findings);
        let lock = || {
            self.remembered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(known) = lock().get(&key) {
            return known.clone();
        }
        let result = self.run(component, findings);
        let mut remembered = lock();
        if remembered.len() >= MAX_REMEMBERED {
            remembered.clear();
        }
        remembered.insert(key, result.clone());
        result
    }

    /// Everything of the input the expression reads in one string, each value preceded
    /// by its length (and lists by theirs), so that equal keys mean equal inputs: one
    /// allocation per component, not one per value.
    fn key(&self, c: &Component, findings: &[Finding]) -> String {
        use std::fmt::Write as _;
        fn push(key: &mut String, value: &str) {
            let _ = write!(key, "{}:{value}", value.len());
        }
        let mut key = String::with_capacity(128);
        for (i, field) in COMPONENT_FIELDS.iter().enumerate() {
            if self.reads.fields & (1 << i) == 0 {
                continue;
            }
            match *field {
                "name" => push(&mut key, &c.name),
                "version" | "unpinned" => match &c.version {
                    Some(v) => push(&mut key, v),
                    None => key.push('-'),
                },
                "purl" => push(&mut key, c.purl.as_ref().map_or("", |p| p.canonical())),
                "type" => push(&mut key, c.purl.as_ref().map_or("", |p| p.ty())),
                "namespace" => push(
                    &mut key,
                    c.purl.as_ref().and_then(|p| p.namespace()).unwrap_or(""),
                ),
                "license" | "licenses" | "license_categories" => push(
                    &mut key,
                    c.license
                        .as_ref()
                        .map_or("NOASSERTION", |l| l.normalized.expression.as_str()),
                ),
                "direct" => key.push(if c.direct { 'y' } else { 'n' }),
                _ => key.push(if c.typosquat { 'y' } else { 'n' }),
            }
        }
        if self.reads.findings {
            let _ = write!(key, "[{}", findings.len());
            for f in findings {
                push(&mut key, &f.advisory);
                let _ = write!(key, "[{}", f.aliases.len());
                for a in &f.aliases {
                    push(&mut key, a);
                }
                let _ = write!(
                    key,
                    "{:?} {:?} {:?} {} {}",
                    f.severity, f.score, f.epss, f.known_exploited, f.malicious
                );
                let _ = write!(key, "[{}", f.cwes.len());
                for w in &f.cwes {
                    push(&mut key, w);
                }
            }
        }
        if self.reads.path {
            let _ = write!(key, "[{}", c.path.len());
            for p in &c.path {
                push(&mut key, p);
            }
        }
        key
    }

    /// Runs the expression.
    fn run(&self, component: &Component, findings: &[Finding]) -> Result<bool, String> {
        // Only the variables it reads are built (the check saw every name it uses).
        let mut context = Context::with_env(Arc::clone(&ENV));
        if self.reads.component {
            context
                .add_variable_from_value("component", component_value(component, self.reads.terms));
        }
        if self.reads.findings && findings.len() > MAX_FINDINGS {
            return Err(format!(
                "the component has more than {MAX_FINDINGS} findings"
            ));
        }
        if self.reads.path && component.path.len() > MAX_PATH {
            return Err(format!("the dependency path is longer than {MAX_PATH}"));
        }
        if self.reads.findings {
            context.add_variable_from_value(
                "findings",
                Value::List(Arc::new(findings.iter().map(finding_value).collect())),
            );
        }
        if self.reads.path {
            context.add_variable_from_value(
                "path",
                Value::List(Arc::new(
                    component
                        .path
                        .iter()
                        .map(|s| Value::String(Arc::new(s.clone())))
                        .collect(),
                )),
            );
        }
        match Value::resolve(&self.expr, &context) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!(
                "the expression gives {}, not a boolean",
                other.type_of()
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn string(s: &str) -> Value {
    Value::String(Arc::new(s.to_owned()))
}

fn strings<'a>(list: impl Iterator<Item = &'a str>) -> Value {
    Value::List(Arc::new(list.take(MAX_LIST).map(string).collect()))
}

fn map(entries: Vec<(&'static str, Value)>) -> Value {
    let entries: std::collections::HashMap<String, Value> = entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    Value::Map(entries.into())
}

/// `component`: what the rules see of it.
fn component_value(c: &Component, with_terms: bool) -> Value {
    let terms = c
        .license
        .as_ref()
        .filter(|_| with_terms)
        .map(chainwatch_license::Licensing::terms);
    let license = c
        .license
        .as_ref()
        .map_or("NOASSERTION", |l| l.normalized.expression.as_str());
    let (ty, namespace, purl) = match &c.purl {
        Some(p) => (p.ty(), p.namespace().unwrap_or(""), p.canonical()),
        None => ("", "", ""),
    };
    map(vec![
        ("name", string(&c.name)),
        ("version", string(c.version.as_deref().unwrap_or(""))),
        ("purl", string(purl)),
        ("type", string(ty)),
        ("namespace", string(namespace)),
        ("license", string(license)),
        (
            "licenses",
            strings(terms.iter().flatten().map(|t| t.license.as_str())),
        ),
        (
            "license_categories",
            strings(terms.iter().flatten().map(|t| t.category.as_str())),
        ),
        ("direct", Value::Bool(c.direct)),
        ("typosquat", Value::Bool(c.typosquat)),
        ("unpinned", Value::Bool(c.version.is_none())),
    ])
}

/// One of `findings`.
fn finding_value(f: &Finding) -> Value {
    map(vec![
        ("id", string(&f.advisory)),
        ("aliases", strings(f.aliases.iter().map(String::as_str))),
        (
            "severity",
            string(
                f.severity
                    .map_or("unknown", chainwatch_advisory::Level::as_str),
            ),
        ),
        ("cvss", f.score.map_or(Value::Null, Value::Float)),
        ("epss", f.epss.map_or(Value::Null, Value::Float)),
        ("known_exploited", Value::Bool(f.known_exploited)),
        ("malicious", Value::Bool(f.malicious)),
        ("cwes", strings(f.cwes.iter().map(String::as_str))),
    ])
}

/// Checks an expression's shape (see the module's documentation) without recursion;
/// which variables it reads.
fn check(root: &IdedExpr) -> Result<Reads, String> {
    let mut nodes = 0usize;
    let mut reads = Reads::default();
    // (node, its depth, comprehension nesting, variables bound by comprehensions
    // around it)
    let mut stack: Vec<(&IdedExpr, usize, usize, Vec<&str>)> = vec![(root, 1, 0, Vec::new())];
    while let Some((e, depth, nesting, bound)) = stack.pop() {
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(format!("the expression has more than {MAX_NODES} parts"));
        }
        if depth > MAX_TREE_DEPTH {
            return Err(format!(
                "the expression nests deeper than {MAX_TREE_DEPTH} levels"
            ));
        }
        let below = depth + 1;
        match &e.expr {
            Expr::Ident(name) => {
                if !bound.contains(&name.as_str()) && !VARIABLES.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown variable `{name}`: expected {}",
                        VARIABLES.join(", ")
                    ));
                }
                if !bound.contains(&name.as_str()) {
                    // The whole component (its fields are read through `Select` below).
                    if name == "component" {
                        reads.component = true;
                        reads.direct = true;
                        reads.typosquat = true;
                        reads.terms = true;
                        reads.fields = u16::MAX;
                    }
                    reads.findings |= name == "findings";
                    reads.path |= name == "path";
                }
            }
            Expr::Call(call) => {
                let operator = call
                    .func_name
                    .starts_with(|c: char| !c.is_ascii_alphabetic());
                if !operator && !FUNCTIONS.contains(&call.func_name.as_str()) {
                    return Err(format!("function `{}` is not allowed", call.func_name));
                }
                if call.func_name == "matches" {
                    let pattern = if call.target.is_some() {
                        call.args.first()
                    } else {
                        call.args.get(1)
                    };
                    if !pattern
                        .is_some_and(|p| matches!(p.expr, Expr::Literal(LiteralValue::String(_))))
                    {
                        return Err("`matches` takes a literal pattern".into());
                    }
                }
                for a in call.target.iter().map(AsRef::as_ref).chain(&call.args) {
                    stack.push((a, below, nesting, bound.clone()));
                }
            }
            Expr::Comprehension(c) => {
                if nesting >= MAX_COMPREHENSIONS {
                    return Err(format!(
                        "comprehensions (`all`, `exists`, `map`, `filter`) nest deeper than {MAX_COMPREHENSIONS}"
                    ));
                }
                stack.push((&c.iter_range, below, nesting, bound.clone()));
                stack.push((&c.accu_init, below, nesting, bound.clone()));
                let mut inner = bound.clone();
                inner.push(c.iter_var.as_str());
                if let Some(v) = &c.iter_var2 {
                    inner.push(v.as_str());
                }
                inner.push(c.accu_var.as_str());
                for part in [&c.loop_cond, &c.loop_step, &c.result] {
                    stack.push((part, below, nesting + 1, inner.clone()));
                }
            }
            Expr::List(l) => {
                if l.elements.len() > MAX_LIST_LITERAL {
                    return Err(format!(
                        "a list literal has more than {MAX_LIST_LITERAL} elements"
                    ));
                }
                for x in &l.elements {
                    stack.push((x, below, nesting, bound.clone()));
                }
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        stack.push((&me.key, below, nesting, bound.clone()));
                        stack.push((&me.value, below, nesting, bound.clone()));
                    }
                }
            }
            Expr::Select(s) => match &s.operand.expr {
                // `component.FIELD`: which fields decide what must be known.
                Expr::Ident(name) if name == "component" && !bound.contains(&"component") => {
                    nodes += 1;
                    reads.component = true;
                    reads.direct |= s.field == "direct";
                    reads.typosquat |= s.field == "typosquat";
                    reads.terms |= s.field == "licenses" || s.field == "license_categories";
                    if let Some(i) = COMPONENT_FIELDS.iter().position(|f| *f == s.field) {
                        reads.fields |= 1 << i;
                    }
                }
                _ => stack.push((&s.operand, below, nesting, bound)),
            },
            Expr::Literal(_) => {}
            Expr::Struct(_) | Expr::Unspecified => {
                return Err("message literals are not supported".into());
            }
        }
    }
    Ok(reads)
}
