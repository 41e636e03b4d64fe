//! `chainwatch licenses`: every component's licence as an SPDX expression, the licences
//! with their categories and components, what could not be recognized, and the
//! components an allow or deny list refuses.

use std::collections::BTreeMap;
use std::io::Write;

use chainwatch_license::{Category, Entry, How, Licensing, Normalized, Term};
use serde::Serialize;

use crate::cli::{LicensesArgs, LicensesFormat};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status, WARNING};
use crate::shared::license::statements;
use crate::shared::render::printable;

/// Why a component's licence is refused.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "refused")]
enum Refusal {
    /// Every choice of the expression needs one of these denied licences.
    Denied { terms: Vec<Term> },
    /// No choice of the expression takes only allowed licences.
    NotAllowed,
}

#[derive(Debug, Serialize)]
struct Row<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(flatten)]
    license: Normalized,
    /// Whether the licence is the document's conclusion rather than the declared one.
    concluded: bool,
    terms: Vec<Term>,
    #[serde(skip_serializing_if = "Option::is_none")]
    violation: Option<Refusal>,
}

/// One licence of the target and how many components carry it.
#[derive(Debug, Serialize)]
struct Tally {
    license: String,
    category: Category,
    components: usize,
}

fn entries(list: &[String]) -> anyhow::Result<Vec<Entry>> {
    list.iter()
        .filter(|e| !e.trim().is_empty())
        .map(|e| Entry::parse(e).map_err(|err| InputError(err.to_string()).into()))
        .collect()
}

pub(crate) fn licenses(ctx: &Context, args: &LicensesArgs) -> anyhow::Result<Status> {
    let allow = entries(&args.allow)?;
    let deny = entries(&args.deny)?;
    let sbom = crate::shared::target::load(ctx, &args.target, &args.exclude)?;
    let subject = sbom.subject.as_deref();
    let mut rows: Vec<Row<'_>> = Vec::new();
    for c in sbom.packages().filter(|c| Some(c.id.as_str()) != subject) {
        let (stated, concluded) = statements(c);
        let refs: Vec<&str> = stated.iter().map(String::as_str).collect();
        let licensing = Licensing::of(chainwatch_license::normalize_all(&refs));
        let denied = licensing.denied_by(&deny);
        let violation = if !denied.is_empty() {
            Some(Refusal::Denied { terms: denied })
        } else if !allow.is_empty() && !licensing.allowed_by(&allow) {
            Some(Refusal::NotAllowed)
        } else {
            None
        };
        rows.push(Row {
            name: &c.name,
            version: c.version.as_deref(),
            purl: c.purl().map(|p| p.canonical().to_owned()),
            terms: licensing.terms(),
            license: licensing.normalized,
            concluded,
            violation,
        });
    }
    rows.sort_by(|a, b| (a.name, a.version, &a.purl).cmp(&(b.name, b.version, &b.purl)));
    let mut tallies: BTreeMap<(Category, String), usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.license.how != How::NoAssertion) {
        let mut seen: Vec<&Term> = Vec::new();
        for t in &r.terms {
            if !seen.contains(&t) {
                seen.push(t);
                *tallies.entry((t.category, t.license.clone())).or_default() += 1;
            }
        }
    }
    let tallies: Vec<Tally> = tallies
        .into_iter()
        .map(|((category, license), components)| Tally {
            license,
            category,
            components,
        })
        .collect();
    let violations = rows.iter().filter(|r| r.violation.is_some()).count();
    // The product's own licence, when the document (or the project's manifest) states it.
    let own = sbom.subject_component().and_then(|c| {
        let (stated, _) = statements(c);
        let refs: Vec<&str> = stated.iter().map(String::as_str).collect();
        let n = chainwatch_license::normalize_all(&refs);
        (n.how != How::NoAssertion).then_some(n)
    });
    let target = args.target.to_string_lossy();
    let mut out = anstream::stdout().lock();
    match args.format {
        LicensesFormat::Json => {
            let unknown = rows
                .iter()
                .filter(|r| r.license.how == How::Unknown)
                .count();
            let none = rows
                .iter()
                .filter(|r| r.license.how == How::NoAssertion)
                .count();
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({
                    "target": target,
                    "subject": own,
                    "components": rows,
                    "licenses": tallies,
                    "unknown": unknown,
                    "no_assertion": none,
                    "violations": violations,
                }),
            )?;
            writeln!(out)?;
        }
        LicensesFormat::Csv => csv(&mut out, &rows)?,
        LicensesFormat::Human => {
            human(&mut out, &target, own.as_ref(), &rows, &tallies, violations)?;
        }
    }
    Ok(if violations > 0 {
        Status::Findings
    } else {
        Status::Success
    })
}

/// A CSV field: quoted when it holds a separator, a quote or a line break; a leading
/// `=`, `+`, `-`, `@` or tab is escaped with `'` so that a spreadsheet does not run a
/// hostile component name as a formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn csv(out: &mut dyn Write, rows: &[Row<'_>]) -> anyhow::Result<()> {
    writeln!(
        out,
        "name,version,purl,expression,how,stated,categories,violation"
    )?;
    for r in rows {
        let mut categories: Vec<&str> = r.terms.iter().map(|t| t.category.as_str()).collect();
        categories.sort_unstable();
        categories.dedup();
        let violation = match &r.violation {
            None => String::new(),
            Some(Refusal::NotAllowed) => "not allowed".to_owned(),
            Some(Refusal::Denied { terms }) => format!(
                "denied: {}",
                terms
                    .iter()
                    .map(|t| t.license.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        };
        let cells = [
            r.name,
            r.version.unwrap_or(""),
            r.purl.as_deref().unwrap_or(""),
            &r.license.expression,
            r.license.how.as_str(),
            r.license.stated.as_deref().unwrap_or(""),
            &categories.join(" "),
            &violation,
        ];
        let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

fn label(r: &Row<'_>) -> String {
    let name = printable(r.name);
    match r.version {
        Some(v) => format!("{name}@{}", printable(v)),
        None => name.into_owned(),
    }
}

fn human(
    out: &mut dyn Write,
    target: &str,
    own: Option<&Normalized>,
    rows: &[Row<'_>],
    tallies: &[Tally],
    violations: usize,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{BOLD}Licences of {}{BOLD:#}: {} components, {} licences",
        printable(target),
        rows.len(),
        tallies.len()
    )?;
    if let Some(n) = own {
        writeln!(out, "Its own licence: {}", n.expression)?;
    }
    if !tallies.is_empty() {
        let width = tallies
            .iter()
            .map(|t| t.license.len())
            .max()
            .unwrap_or(7)
            .clamp(7, 40);
        writeln!(
            out,
            "\n  {DIM}{:<width$}  {:<16}  COMPONENTS{DIM:#}",
            "LICENCE", "CATEGORY"
        )?;
        for t in tallies {
            writeln!(
                out,
                "  {:<width$}  {:<16}  {}",
                t.license,
                t.category.as_str(),
                t.components
            )?;
        }
    }
    // Each distinct (component, statement) once: an image lists a package per file.
    let mut unknown: Vec<(String, &str)> = rows
        .iter()
        .filter(|r| r.license.how == How::Unknown)
        .map(|r| {
            (
                label(r),
                r.license.stated.as_deref().unwrap_or(&r.license.expression),
            )
        })
        .collect();
    unknown.dedup();
    if !unknown.is_empty() {
        writeln!(
            out,
            "\n{WARNING}Not recognized{WARNING:#} ({} components, kept as LicenseRef-…):",
            unknown.len()
        )?;
        for (component, stated) in &unknown {
            writeln!(out, "  {component}: `{}`", printable(stated))?;
        }
    }
    let mut none: Vec<String> = rows
        .iter()
        .filter(|r| r.license.how == How::NoAssertion)
        .map(label)
        .collect();
    none.dedup();
    if !none.is_empty() {
        writeln!(
            out,
            "\n{WARNING}No licence stated{WARNING:#} ({} components):",
            none.len()
        )?;
        for chunk in none.chunks(6) {
            writeln!(out, "  {}", chunk.join(", "))?;
        }
    }
    let mut mapped: Vec<(String, &str, &str)> = rows
        .iter()
        .filter(|r| matches!(r.license.how, How::Corrected | How::Named))
        .map(|r| {
            (
                label(r),
                r.license.stated.as_deref().unwrap_or(""),
                r.license.expression.as_str(),
            )
        })
        .collect();
    mapped.dedup();
    if !mapped.is_empty() {
        writeln!(
            out,
            "\n{DIM}Corrected or recognized by name ({}):{DIM:#}",
            mapped.len()
        )?;
        for (component, stated, expression) in &mapped {
            writeln!(out, "  {component}: `{}` → {expression}", printable(stated))?;
        }
    }
    if violations > 0 {
        writeln!(out, "\n{ERROR}Refused{ERROR:#} ({violations} components):")?;
        for r in rows {
            match &r.violation {
                None => {}
                Some(Refusal::NotAllowed) => writeln!(
                    out,
                    "  {}: `{}`: not allowed",
                    label(r),
                    r.license.expression
                )?,
                Some(Refusal::Denied { terms }) => writeln!(
                    out,
                    "  {}: `{}`: denied {}",
                    label(r),
                    r.license.expression,
                    terms
                        .iter()
                        .map(|t| format!("{} ({})", t.license, t.category.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )?,
            }
        }
    }
    Ok(())
}
