//! The `chainwatch` command-line program: wires the library crates to commands and renders
//! their results for people (`--format human`) and programs (`--format json`).

mod cli;
mod commands;
mod output;
mod report;
mod shared;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
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
    let ctx = output::Context::new(&cli);
    let command = match cli.server.as_deref() {
        Some(server) => match commands::remote::run(server, cli.token.as_deref(), cli.command) {
            commands::remote::Outcome::Done(result) => return finish(result),
            commands::remote::Outcome::Local(command) => *command,
        },
        None => cli.command,
    };
    finish(commands::run(&ctx, command))
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
