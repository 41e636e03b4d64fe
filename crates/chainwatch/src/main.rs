//! The `chainwatch` command-line program: wires the library crates to commands and renders
//! their results for people (`--format human`) and programs (`--format json`).

mod cli;
mod commands;
mod output;
mod report;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::output::Status;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    cli.color.apply();
    let ctx = output::Context::new(&cli);
    let command = match cli.server.as_deref() {
        Some(server) => match commands::remote::run(server, cli.token.as_deref(), cli.command) {
            commands::remote::Outcome::Done(result) => return finish(result),
            commands::remote::Outcome::Local(command) => *command,
        },
        None => cli.command,
    };
    finish(dispatch(&ctx, command))
}

/// Runs a command against the store (or with none).
fn dispatch(ctx: &output::Context, command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Inspect(args) => commands::inspect::run(ctx, args),
        Command::Sbom(args) => commands::sbom::run(ctx, args),
        Command::Scan(args) => commands::scan::scan(ctx, &args),
        Command::Ingest(args) => commands::store::ingest(ctx, &args),
        Command::Products(args) => commands::store::products(ctx, &args),
        Command::Query(args) => commands::store::query(ctx, args),
        Command::Db(args) => commands::store::db(ctx, &args),
        Command::Advisories(args) => commands::advisories::run(ctx, args),
        Command::Findings(args) => commands::findings::findings(ctx, &args),
        Command::Vex(args) => commands::vex::run(ctx, args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Serve(args) => commands::serve::serve(ctx, &args),
        Command::Token(command) => commands::serve::token(ctx, &command),
        Command::Typosquat(args) => commands::typosquat::run(ctx, args),
        Command::Completions(args) => commands::completions::run(&args),
    }
}

fn finish(result: anyhow::Result<Status>) -> ExitCode {
    match result {
        Ok(status) => status.into(),
        Err(error) => {
            if output::is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            output::report_error(&error);
            Status::from_error(&error).into()
        }
    }
}
