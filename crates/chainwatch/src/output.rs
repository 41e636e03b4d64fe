//! Rendering and exit status shared by all commands.

use std::io::{self, IsTerminal as _, Write};
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};

use crate::cli::Cli;

/// What every command may consult: the printer and where the store is.
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) printer: Printer,
    /// The store URL (`--db`, `CHAINWATCH_DB`, or the default file).
    pub(crate) db: String,
}

impl Context {
    pub(crate) fn new(cli: &Cli) -> Context {
        Context {
            printer: Printer::new(cli),
            db: crate::cli::database_url(cli.db.as_deref()),
        }
    }
}

/// What is printed besides results, and how: `--quiet` leaves out summaries, notices and
/// progress; `-v` adds what took how long, `-vv` also every statement the store runs;
/// `--color` (and `NO_COLOR`) decide colour for everything written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    quiet: bool,
    verbose: u8,
}

impl Printer {
    pub(crate) fn new(cli: &Cli) -> Printer {
        cli.color.apply();
        Printer {
            quiet: cli.quiet,
            verbose: cli.verbose,
        }
    }

    /// Whether summaries and notices for people are shown (not with `--quiet`).
    pub(crate) fn summaries(self) -> bool {
        !self.quiet
    }

    /// Whether progress lines are drawn: not quiet, and standard error a terminal.
    pub(crate) fn progress(self) -> bool {
        !self.quiet && io::stderr().is_terminal()
    }

    /// Whether `-v` was given.
    pub(crate) fn verbose(self) -> bool {
        self.verbose > 0
    }

    /// A line of detail on standard error with `-v`.
    pub(crate) fn detail(self, line: std::fmt::Arguments<'_>) {
        if self.verbose > 0 {
            let _ = writeln!(anstream::stderr().lock(), "{DIM}{line}{DIM:#}");
        }
    }

    /// With `-vv`, what the store is told to report each statement through.
    pub(crate) fn trace(self) -> Option<chainwatch_store::Trace> {
        (self.verbose > 1).then(|| {
            std::sync::Arc::new(|sql: &str, took: std::time::Duration| {
                let sql: Vec<&str> = sql.split_whitespace().collect();
                let _ = writeln!(
                    anstream::stderr().lock(),
                    "{DIM}sql {:>8.3} ms  {}{DIM:#}",
                    took.as_secs_f64() * 1000.0,
                    sql.join(" ")
                );
            }) as chainwatch_store::Trace
        })
    }
}

/// Standard output for a command's result: styled text for people (its escapes
/// stripped where colour is off), a machine format (`people` false) written through as
/// it is: it holds no escapes, and looking for them would read every byte again
/// (megabytes of JSON for a policy's violations).
pub(crate) fn stdout(people: bool) -> anstream::AutoStream<io::StdoutLock<'static>> {
    let raw = io::stdout().lock();
    if people {
        anstream::AutoStream::auto(raw)
    } else {
        anstream::AutoStream::always_ansi(raw)
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
    /// The exit status of a failed command, decided here and nowhere else: errors the
    /// user's input caused (exit status 2) are [`InputError`]s and the library errors
    /// that say so of themselves; any other is chainwatch's own failure (3).
    pub(crate) fn from_error(error: &anyhow::Error) -> Status {
        let input = error.chain().find_map(|e| {
            if e.is::<InputError>() || e.is::<chainwatch_sbom::ReadError>() {
                Some(true)
            } else if let Some(e) = e.downcast_ref::<chainwatch_store::StoreError>() {
                Some(e.is_input())
            } else {
                e.downcast_ref::<chainwatch_store::UpdateError>()
                    .map(chainwatch_store::UpdateError::is_input)
            }
        });
        if input == Some(true) {
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
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub(crate) const DIM: Style = Style::new().dimmed();

/// Prints `error: …` with the causes, on stderr; a cause whose text the message already
/// holds (`SQLite: database is locked` and its cause) is not repeated.
pub(crate) fn report_error(error: &anyhow::Error) {
    let mut err = anstream::stderr().lock();
    let mut shown = error.to_string();
    let _ = write!(err, "{ERROR}error{ERROR:#}: {shown}");
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !shown.contains(&cause) {
            let _ = write!(err, ": {cause}");
            shown.push_str(&cause);
        }
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
