//! Rendering shared by commands: one value as JSON or for people, and SBOM differences.

use std::io::{self, Write};

use crate::cli::Format;
use crate::output::{DIM, ERROR, Status};
use serde::Serialize;

/// Writes `value` as one line of JSON, or has `human` write it for people.
pub(crate) fn render<W: Write, T: Serialize + ?Sized>(
    out: &mut W,
    format: Format,
    value: &T,
    human: impl FnOnce(&mut W) -> io::Result<()>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, value)?;
            writeln!(out)?;
        }
        Format::Human => human(out)?,
    }
    Ok(())
}

fn version(v: Option<&String>) -> &str {
    v.map_or("(none)", String::as_str)
}

/// Prints a diff; exit status 1 when something differs.
pub(crate) fn render_diff(d: &chainwatch_sbom::SbomDiff, format: Format) -> anyhow::Result<Status> {
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        Format::Json => {
            serde_json::to_writer(&mut out, d)?;
            writeln!(out)?;
        }
        Format::Human => {
            const ADDED: anstyle::Style = anstyle::AnsiColor::Green.on_default();
            const CHANGED: anstyle::Style = anstyle::AnsiColor::Yellow.on_default();
            for c in &d.added {
                writeln!(
                    out,
                    "{ADDED}+ {} {}{ADDED:#}",
                    c.identity,
                    version(c.version.as_ref())
                )?;
            }
            for c in &d.removed {
                writeln!(
                    out,
                    "{ERROR}- {} {}{ERROR:#}",
                    c.identity,
                    version(c.version.as_ref())
                )?;
            }
            for c in &d.changed {
                writeln!(
                    out,
                    "{CHANGED}~ {} {} -> {}{CHANGED:#}",
                    c.identity,
                    version(c.from.as_ref()),
                    version(c.to.as_ref())
                )?;
            }
            for m in &d.modified {
                writeln!(
                    out,
                    "{CHANGED}~ {} {}: {} -> {}{CHANGED:#}",
                    m.identity,
                    m.field,
                    m.from.as_deref().unwrap_or("(none)"),
                    m.to.as_deref().unwrap_or("(none)")
                )?;
            }
            for e in &d.edges_added {
                writeln!(out, "{ADDED}+ {} -[{}]-> {}{ADDED:#}", e.from, e.kind, e.to)?;
            }
            for e in &d.edges_removed {
                writeln!(out, "{ERROR}- {} -[{}]-> {}{ERROR:#}", e.from, e.kind, e.to)?;
            }
            writeln!(
                out,
                "{DIM}components: {} added, {} removed, {} changed, {} fields differ; edges: {} added, {} removed{DIM:#}",
                d.added.len(),
                d.removed.len(),
                d.changed.len(),
                d.modified.len(),
                d.edges_added.len(),
                d.edges_removed.len()
            )?;
        }
    }
    out.flush()?;
    Ok(if d.is_empty() {
        Status::Success
    } else {
        Status::Findings
    })
}

/// Text from a document as a terminal may show it: control characters (an escape
/// sequence in a component name could rewrite the screen) written as `\u{…}` escapes.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}
