//! `chainwatch policy`: check a target against a policy file (`scan --policy`), run the
//! file's own examples, make it the store's active policy and list its violations.

use std::io::Write;

use chainwatch_store::{StoredViolation, ViolationQuery, ViolationState};

use crate::cli::{
    Format, OutputArgs, PolicyApplyArgs, PolicyCommand, PolicyTestArgs, ReportFormat,
    ViolationStateArg, ViolationsArgs,
};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status, WARNING};
use crate::shared::render::printable;

pub(crate) fn run(ctx: &Context, command: PolicyCommand) -> anyhow::Result<Status> {
    match command {
        PolicyCommand::Check(args) => {
            if args.policy.is_none() {
                return Err(InputError("`policy check` needs --policy FILE".to_owned()).into());
            }
            super::scan::scan(ctx, &args)
        }
        PolicyCommand::Test(args) => test(&args),
        PolicyCommand::Apply(args) => apply(ctx, &args),
        PolicyCommand::Show(args) => show(ctx, &args),
        PolicyCommand::Violations(args) => violations(ctx, &args),
    }
}

/// Reads a policy file for applying: usable, and its examples pass.
pub(crate) fn checked_text(path: &std::path::Path) -> anyhow::Result<String> {
    let policy = crate::shared::policy::load(path)?;
    if let Some(why) = policy.failing_examples() {
        return Err(InputError(format!("{}: {why}", crate::shared::files::display(path))).into());
    }
    let bytes = crate::shared::files::read_input(path)?;
    Ok(String::from_utf8(bytes)?)
}

fn apply(ctx: &Context, args: &PolicyApplyArgs) -> anyhow::Result<Status> {
    let text = match &args.file {
        Some(path) if !args.remove => checked_text(path)?,
        _ => String::new(),
    };
    let store = crate::shared::store::open(ctx)?;
    let set = store.set_policy(&text, Some("cli"))?;
    let human = args.output.format == Format::Human;
    let outcome = crate::shared::policy::evaluate(ctx, &store, None, false)?;
    let mut out = anstream::stdout().lock();
    let rules = match &set {
        Some(s) => chainwatch_policy::Policy::parse(&s.text)
            .map(|p| p.rules.len())
            .unwrap_or_default(),
        None => 0,
    };
    if human {
        match &set {
            Some(s) => writeln!(out, "applied a policy of {rules} rules ({})", s.digest)?,
            None => writeln!(out, "no active policy")?,
        }
        writeln!(
            out,
            "{DIM}{} product versions evaluated ({} components): {} violations hold, {} new, {} resolved{DIM:#}",
            outcome.versions,
            outcome.components,
            outcome.open,
            outcome.opened_count,
            outcome.resolved
        )?;
    } else {
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({
                "active": set.is_some(),
                "digest": set.as_ref().map(|s| s.digest.clone()),
                "rules": rules,
                "versions": outcome.versions,
                "components": outcome.components,
                "open": outcome.open,
                "new": outcome.opened_count,
                "resolved": outcome.resolved,
            }),
        )?;
        writeln!(out)?;
    }
    Ok(Status::Success)
}

fn show(ctx: &Context, args: &OutputArgs) -> anyhow::Result<Status> {
    let store = crate::shared::store::open(ctx)?;
    let set = store.policy()?;
    let mut out = anstream::stdout().lock();
    match (args.format, set) {
        (Format::Human, Some(s)) => write!(out, "{}", s.text)?,
        (Format::Human, None) => {
            writeln!(
                out,
                "{DIM}no active policy (`chainwatch policy apply FILE`){DIM:#}"
            )?;
        }
        (Format::Json, s) => {
            let value = s.map(|s| {
                serde_json::json!({
                    "text": s.text,
                    "digest": s.digest,
                    "applied": chainwatch_store::format_micros(s.applied_at),
                    "applied_by": s.applied_by,
                })
            });
            serde_json::to_writer(&mut out, &value)?;
            writeln!(out)?;
        }
    }
    Ok(Status::Success)
}

/// The store query `violations` arguments ask for.
pub(crate) fn query_of(args: &ViolationsArgs) -> ViolationQuery {
    ViolationQuery {
        product: args.product.as_ref().map(|p| p.name.clone()),
        version: args
            .product
            .as_ref()
            .and_then(|p| p.version().map(str::to_owned)),
        rule: args.rule.clone(),
        level: args.level.map(crate::cli::PolicyLevel::level),
        state: match args.state {
            ViolationStateArg::Open => ViolationState::Open,
            ViolationStateArg::Resolved => ViolationState::Resolved,
            ViolationStateArg::All => ViolationState::All,
        },
    }
}

fn violations(ctx: &Context, args: &ViolationsArgs) -> anyhow::Result<Status> {
    let store = crate::shared::store::open(ctx)?;
    let rows = store.violations(&query_of(args))?;
    let values: Vec<serde_json::Value> = rows.iter().map(StoredViolation::json).collect();
    print_violations(&values, args.format)
}

/// Violations (as the store's and the server's JSON rows) in a format; exit 1 when one
/// that holds is at level `fail`.
pub(crate) fn print_violations(
    rows: &[serde_json::Value],
    format: ReportFormat,
) -> anyhow::Result<Status> {
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut out = std::io::BufWriter::new(crate::output::stdout(format == ReportFormat::Human));
    match format {
        ReportFormat::Json => {
            serde_json::to_writer(&mut out, rows)?;
            writeln!(out)?;
        }
        ReportFormat::Sarif => {
            let stored: Vec<StoredViolation> = rows
                .iter()
                .map(|v| StoredViolation {
                    id: v["id"].as_i64().unwrap_or_default(),
                    product: s(v, "product"),
                    version: s(v, "version"),
                    rule: s(v, "rule"),
                    level: s(v, "level"),
                    component: s(v, "component"),
                    advisory: v["advisory"].as_str().map(str::to_owned),
                    reason: s(v, "reason"),
                    first_seen: chainwatch_store::parse_instant(&s(v, "first_seen"))
                        .unwrap_or_default(),
                    last_seen: chainwatch_store::parse_instant(&s(v, "last_seen"))
                        .unwrap_or_default(),
                    resolved_at: v["resolved"]
                        .as_str()
                        .and_then(chainwatch_store::parse_instant),
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &chainwatch_store::violations_sarif(&stored))?;
            writeln!(out)?;
        }
        ReportFormat::Human => {
            if rows.is_empty() {
                writeln!(out, "{DIM}no violations{DIM:#}")?;
            }
            for v in rows {
                let level = match v["level"].as_str() {
                    Some("fail") => format!("{ERROR}FAIL{ERROR:#}"),
                    Some("warn") => format!("{WARNING}WARN{WARNING:#}"),
                    _ => "INFO".to_owned(),
                };
                writeln!(
                    out,
                    "{level}  {BOLD}{}@{}{BOLD:#}  {}  {}: {}{}",
                    printable(&s(v, "product")),
                    printable(&s(v, "version")),
                    s(v, "rule"),
                    printable(&s(v, "component")),
                    printable(&s(v, "reason")),
                    match v["resolved"].as_str() {
                        Some(at) => format!(" {DIM}(resolved {at}){DIM:#}"),
                        None => format!(" {DIM}(since {}){DIM:#}", s(v, "first_seen")),
                    }
                )?;
            }
        }
    }
    out.flush()?;
    let failing = rows
        .iter()
        .any(|v| v["level"] == "fail" && v.get("resolved").is_none());
    Ok(if failing {
        Status::Findings
    } else {
        Status::Success
    })
}

fn test(args: &PolicyTestArgs) -> anyhow::Result<Status> {
    let policy = crate::shared::policy::load(&args.file)?;
    let results = policy.test();
    let failed = results.iter().filter(|r| !r.passed()).count();
    let mut out = anstream::stdout().lock();
    match args.output.format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = results
                .iter()
                .map(|r| {
                    let mut row = serde_json::json!({
                        "example": r.name,
                        "passed": r.passed(),
                        "expected": r.expected,
                        "violated": r.violated,
                    });
                    if !r.expected_analyses.is_empty() || !r.analyzed.is_empty() {
                        row["expected_analyses"] = r.expected_analyses.clone().into();
                        row["analyzed"] = r.analyzed.clone().into();
                    }
                    row
                })
                .collect();
            serde_json::to_writer(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Human => {
            for r in &results {
                if r.passed() {
                    writeln!(out, "ok      {}", printable(&r.name))?;
                } else if r.expected == r.violated {
                    writeln!(
                        out,
                        "{ERROR}FAILED{ERROR:#}  {}: expected analyses [{}], decided by [{}]",
                        printable(&r.name),
                        r.expected_analyses.join(", "),
                        r.analyzed.join(", ")
                    )?;
                } else {
                    writeln!(
                        out,
                        "{ERROR}FAILED{ERROR:#}  {}: expected [{}], violated [{}]",
                        printable(&r.name),
                        r.expected.join(", "),
                        r.violated.join(", ")
                    )?;
                }
            }
            writeln!(
                out,
                "{BOLD}{} examples, {failed} failed{BOLD:#} ({} rules{})",
                results.len(),
                policy.rules.len(),
                match policy.analyses.len() {
                    0 => String::new(),
                    n => format!(", {n} analyses"),
                }
            )?;
        }
    }
    Ok(if failed > 0 {
        Status::Findings
    } else {
        Status::Success
    })
}
