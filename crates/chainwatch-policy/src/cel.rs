//! CEL conditions (`when.cel = "…"`): anything the other conditions cannot say, written in
//! the Common Expression Language as Dependency-Track v5 does, over the component, its
//! findings and its dependency path.
//!
//! CEL has no loops of its own, but an expression can still be made costly (nested
//! comprehensions over long lists, deep nesting, regular expressions built from data), so
//! every expression is checked before it is used: at most [`MAX_CEL_BYTES`], nesting at
//! most [`MAX_PARSE_DEPTH`] deep when parsed, at most [`MAX_NODES`] nodes once macros
//! are expanded, comprehensions nested at most [`MAX_COMPREHENSIONS`] deep, only the
//! variables and functions listed here, and `matches` only with a literal pattern. The
//! lists it reads are capped. It is then run once on a sample component, so that a
//! misspelled field or a result that is not a boolean is refused with the policy.

use std::fmt;
use std::sync::{Arc, LazyLock};

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
/// The most findings and path steps an expression sees of a component.
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
pub(crate) struct Reads {
    pub(crate) component: bool,
    pub(crate) findings: bool,
    pub(crate) path: bool,
}

/// A checked CEL expression.
#[derive(Clone)]
pub(crate) struct Cel {
    pub(crate) source: String,
    expr: Arc<IdedExpr>,
    pub(crate) reads: Reads,
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
        let reads = check(&expr)?;
        let cel = Cel {
            source: source.to_owned(),
            expr: Arc::new(expr),
            reads,
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
        // Only the variables it reads are built (the check saw every name it uses).
        let mut context = Context::with_env(Arc::clone(&ENV));
        if self.reads.component {
            context.add_variable_from_value("component", component_value(component));
        }
        if self.reads.findings {
            context.add_variable_from_value(
                "findings",
                Value::List(Arc::new(
                    findings.iter().take(MAX_LIST).map(finding_value).collect(),
                )),
            );
        }
        if self.reads.path {
            context.add_variable_from_value(
                "path",
                Value::List(Arc::new(
                    component
                        .path
                        .iter()
                        .take(MAX_LIST)
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
fn component_value(c: &Component) -> Value {
    let terms = c.license.as_ref().map(chainwatch_license::Licensing::terms);
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
    // (node, comprehension nesting, variables bound by comprehensions around it)
    let mut stack: Vec<(&IdedExpr, usize, Vec<&str>)> = vec![(root, 0, Vec::new())];
    while let Some((e, nesting, bound)) = stack.pop() {
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(format!("the expression has more than {MAX_NODES} parts"));
        }
        match &e.expr {
            Expr::Ident(name) => {
                if !bound.contains(&name.as_str()) && !VARIABLES.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown variable `{name}`: expected {}",
                        VARIABLES.join(", ")
                    ));
                }
                if !bound.contains(&name.as_str()) {
                    reads.component |= name == "component";
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
                    stack.push((a, nesting, bound.clone()));
                }
            }
            Expr::Comprehension(c) => {
                if nesting >= MAX_COMPREHENSIONS {
                    return Err(format!(
                        "comprehensions (`all`, `exists`, `map`, `filter`) nest deeper than {MAX_COMPREHENSIONS}"
                    ));
                }
                stack.push((&c.iter_range, nesting, bound.clone()));
                stack.push((&c.accu_init, nesting, bound.clone()));
                let mut inner = bound.clone();
                inner.push(c.iter_var.as_str());
                if let Some(v) = &c.iter_var2 {
                    inner.push(v.as_str());
                }
                inner.push(c.accu_var.as_str());
                for part in [&c.loop_cond, &c.loop_step, &c.result] {
                    stack.push((part, nesting + 1, inner.clone()));
                }
            }
            Expr::List(l) => {
                for x in &l.elements {
                    stack.push((x, nesting, bound.clone()));
                }
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        stack.push((&me.key, nesting, bound.clone()));
                        stack.push((&me.value, nesting, bound.clone()));
                    }
                }
            }
            Expr::Select(s) => stack.push((&s.operand, nesting, bound)),
            Expr::Literal(_) => {}
            Expr::Struct(_) | Expr::Unspecified => {
                return Err("message literals are not supported".into());
            }
        }
    }
    Ok(reads)
}
