use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::output::Status;

pub(crate) fn run(args: &CompletionsArgs) -> anyhow::Result<Status> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "chainwatch", &mut out);
    std::io::stdout().lock().write_all(&out)?;
    Ok(Status::Success)
}
