//! `chainwatch policy`: check a target against a policy file (`scan --policy`), or run
//! the file's own examples.

use std::io::Write;

use crate::cli::{Format, PolicyCommand, PolicyTestArgs};
use crate::output::{BOLD, Context, ERROR, InputError, Status};
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
    }
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
                    serde_json::json!({
                        "example": r.name,
                        "passed": r.passed(),
                        "expected": r.expected,
                        "violated": r.violated,
                    })
                })
                .collect();
            serde_json::to_writer(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Human => {
            for r in &results {
                if r.passed() {
                    writeln!(out, "ok      {}", printable(&r.name))?;
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
                "{BOLD}{} examples, {failed} failed{BOLD:#} ({} rules)",
                results.len(),
                policy.rules.len()
            )?;
        }
    }
    Ok(if failed > 0 {
        Status::Findings
    } else {
        Status::Success
    })
}
