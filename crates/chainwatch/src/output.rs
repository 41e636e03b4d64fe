//! Rendering and exit status shared by all commands.

use std::io::{self, Write};
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};

use crate::cli::Cli;

/// What every command may consult: verbosity and where the store is.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) quiet: bool,
    #[expect(dead_code, reason = "read by commands that log progress")]
    pub(crate) verbose: u8,
    /// The store URL (`--db`, `CHAINWATCH_DB`, or the default file).
    pub(crate) db: String,
}

impl Context {
    pub(crate) fn new(cli: &Cli) -> Context {
        Context {
            quiet: cli.quiet,
            verbose: cli.verbose,
            db: crate::cli::database_url(cli.db.as_deref()),
        }
    }
}

/// The exit status of a command that ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 0: nothing at or above the failure threshold.
    Success,
    /// 1: findings at or above the failure threshold (invalid documents, differences).
    Findings,
    /// 2: some input was unusable (the rest was still processed).
    BadInput,
    /// 3: chainwatch itself failed.
    Internal,
}

impl Status {
    /// Errors marked as [`InputError`] are the user's (2); any other is ours (3).
    pub(crate) fn from_error(error: &anyhow::Error) -> Status {
        if error
            .chain()
            .any(|e| e.downcast_ref::<InputError>().is_some())
        {
            Status::BadInput
        } else {
            Status::Internal
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(match status {
            Status::Success => 0,
            Status::Findings => 1,
            Status::BadInput => 2,
            Status::Internal => 3,
        })
    }
}

/// Marks an error as caused by the user's input (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct InputError(pub(crate) String);

pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
pub(crate) const BOLD: Style = Style::new().bold();
pub(crate) const DIM: Style = Style::new().dimmed();

/// Prints `error: …` with the causes, on stderr.
pub(crate) fn report_error(error: &anyhow::Error) {
    let mut err = anstream::stderr().lock();
    let _ = write!(err, "{ERROR}error{ERROR:#}: {error}");
    for cause in error.chain().skip(1) {
        let _ = write!(err, ": {cause}");
    }
    let _ = writeln!(err);
}

/// Whether the error is a closed pipe on stdout (`chainwatch … | head`): not a failure.
pub(crate) fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
