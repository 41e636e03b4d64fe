//! Diagnostics rendered for people (human), programs (JSON lines) and code-scanning
//! dashboards (SARIF 2.1.0). Every command that reports document problems uses these.

use std::io::{self, Write};

use chainwatch_sbom::{Code, Diagnostic, Severity};
use serde::Serialize;
use serde_json::json;

use crate::output::{BOLD, DIM, ERROR};

const WARNING: anstyle::Style = anstyle::AnsiColor::Yellow.on_default().bold();

/// The diagnostics of one file.
#[derive(Debug)]
pub(crate) struct FileReport {
    pub(crate) file: String,
    /// `cyclonedx-json 1.6, 42 components`, when the file could be read.
    pub(crate) summary: Option<Summary>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) ntia: Option<Vec<Diagnostic>>,
}

#[derive(Debug)]
pub(crate) struct Summary {
    pub(crate) format: String,
    pub(crate) spec_version: String,
    pub(crate) components: usize,
}

impl FileReport {
    pub(crate) fn valid(&self) -> bool {
        self.summary.is_some()
            && !self
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error)
    }

    pub(crate) fn ntia_ok(&self) -> bool {
        self.ntia.as_ref().is_none_or(Vec::is_empty)
    }
}

fn severity_style(s: Severity) -> anstyle::Style {
    match s {
        Severity::Error => ERROR,
        Severity::Warning => WARNING,
        Severity::Info => DIM,
    }
}

pub(crate) fn human_line(out: &mut dyn Write, d: &Diagnostic) -> io::Result<()> {
    let style = severity_style(d.severity);
    let at = if d.location.is_empty() {
        String::new()
    } else {
        format!(" {DIM}{}{DIM:#}", d.location)
    };
    writeln!(
        out,
        "  {style}{}[{}]{style:#}{at}: {}",
        d.severity,
        d.code.as_str(),
        d.message
    )
}

pub(crate) fn human(out: &mut dyn Write, r: &FileReport) -> io::Result<()> {
    let verdict = match (&r.summary, r.valid()) {
        (None, _) => format!("{ERROR}unreadable{ERROR:#}"),
        (Some(_), true) => "valid".to_owned(),
        (Some(_), false) => format!("{ERROR}invalid{ERROR:#}"),
    };
    let what = r
        .summary
        .as_ref()
        .map(|s| {
            let plural = if s.components == 1 { "" } else { "s" };
            format!(
                " {DIM}({} {}, {} component{plural}){DIM:#}",
                s.format, s.spec_version, s.components
            )
        })
        .unwrap_or_default();
    writeln!(out, "{BOLD}{}{BOLD:#}: {verdict}{what}", r.file)?;
    for d in &r.diagnostics {
        human_line(out, d)?;
    }
    if let Some(ntia) = &r.ntia {
        if ntia.is_empty() {
            writeln!(out, "  NTIA minimum elements: all present")?;
        } else {
            writeln!(
                out,
                "  NTIA minimum elements: {ERROR}{} missing{ERROR:#}",
                ntia.len()
            )?;
            for d in ntia {
                human_line(out, d)?;
            }
        }
    }
    Ok(())
}

/// A diagnostic in JSON output. The field order is part of the interface.
#[derive(Serialize)]
pub(crate) struct DiagnosticJson<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    pointer: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
}

impl<'a> From<&'a Diagnostic> for DiagnosticJson<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        DiagnosticJson {
            code: d.code.as_str(),
            severity: d.severity.as_str(),
            message: &d.message,
            pointer: d.location.pointer.as_deref(),
            line: d.location.line,
            column: d.location.column,
        }
    }
}

#[derive(Serialize)]
struct FileJson<'a> {
    file: &'a str,
    valid: bool,
    format: Option<&'a str>,
    spec_version: Option<&'a str>,
    components: Option<usize>,
    diagnostics: Vec<DiagnosticJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ntia: Option<NtiaJson<'a>>,
}

#[derive(Serialize)]
struct NtiaJson<'a> {
    conformant: bool,
    missing: Vec<DiagnosticJson<'a>>,
}

/// One JSON object per file, on one line.
pub(crate) fn json_line(out: &mut dyn Write, r: &FileReport) -> io::Result<()> {
    let value = FileJson {
        file: &r.file,
        valid: r.valid(),
        format: r.summary.as_ref().map(|s| s.format.as_str()),
        spec_version: r.summary.as_ref().map(|s| s.spec_version.as_str()),
        components: r.summary.as_ref().map(|s| s.components),
        diagnostics: r.diagnostics.iter().map(DiagnosticJson::from).collect(),
        ntia: r.ntia.as_ref().map(|n| NtiaJson {
            conformant: n.is_empty(),
            missing: n.iter().map(DiagnosticJson::from).collect(),
        }),
    };
    serde_json::to_writer(&mut *out, &value)?;
    writeln!(out)
}

/// A SARIF 2.1.0 log of all files.
pub(crate) fn sarif(out: &mut dyn Write, reports: &[FileReport]) -> io::Result<()> {
    let rules: Vec<serde_json::Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": { "text": c.summary() },
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in reports {
        for d in r.diagnostics.iter().chain(r.ntia.iter().flatten()) {
            let mut location =
                json!({ "physicalLocation": { "artifactLocation": { "uri": uri(&r.file) } } });
            if let (Some(line), Some(column)) = (d.location.line, d.location.column) {
                location["physicalLocation"]["region"] =
                    json!({ "startLine": line, "startColumn": column });
            }
            if let Some(p) = &d.location.pointer {
                location["logicalLocations"] =
                    json!([{ "fullyQualifiedName": p, "kind": "element" }]);
            }
            results.push(json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == d.code),
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning", Severity::Info => "note" },
                "message": { "text": d.message },
                "locations": [location],
            }));
        }
    }
    write_sarif_log(out, &rules, &results)
}

/// A SARIF 2.1.0 log of one chainwatch run with these rules and results.
pub(crate) fn write_sarif_log(
    out: &mut dyn Write,
    rules: &[serde_json::Value],
    results: &[serde_json::Value],
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &chainwatch_advisory::sarif::log(rules, results))?;
    writeln!(out)
}

pub(crate) use chainwatch_advisory::sarif::{AdvisoryRules, level as advisory_level};

/// A relative path as a SARIF URI reference (`/` separators, percent-encoded spaces).
fn uri(path: &str) -> String {
    path.replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20")
}
