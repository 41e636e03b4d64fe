//! `chainwatch inspect …`: look inside identifiers.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use chainwatch_purl::{ParseMode, Purl};
use serde::Serialize;

use crate::cli::{Format, Inspect, PurlArgs};
use crate::output::{BOLD, Context, DIM, ERROR, Status};

pub(crate) fn run(ctx: &Context, command: Inspect) -> anyhow::Result<Status> {
    match command {
        Inspect::Purl(args) => purl(ctx, &args),
    }
}

/// One line of `inspect purl --format json`. The field order is part of the interface.
#[derive(Serialize)]
struct PurlJson<'a> {
    input: &'a str,
    canonical: String,
    #[serde(rename = "type")]
    ty: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    version: Option<&'a str>,
    qualifiers: BTreeMap<&'a str, &'a str>,
    subpath: Option<&'a str>,
    /// The OSV ecosystem (with release for distribution packages), if the type has one.
    ecosystem: Option<String>,
}

#[derive(Serialize)]
struct PurlErrorJson<'a> {
    input: &'a str,
    error: String,
}

fn purl(ctx: &Context, args: &PurlArgs) -> anyhow::Result<Status> {
    let mode = if args.strict {
        ParseMode::Strict
    } else {
        ParseMode::Lenient
    };
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    let mut seen = 0usize;
    let mut one = |input: &str, out: &mut dyn Write| -> io::Result<()> {
        seen += 1;
        let result = Purl::parse_with(input, mode);
        if result.is_err() {
            failed += 1;
        }
        match args.output.format {
            Format::Json => write_json(out, input, &result),
            Format::Human => write_human(out, ctx, input, &result),
        }
    };

    if args.purls.is_empty() {
        for line in io::stdin().lock().lines() {
            let line = line?;
            let input = line.trim();
            if !input.is_empty() {
                one(input, &mut out)?;
            }
        }
    } else {
        for input in &args.purls {
            one(input, &mut out)?;
        }
    }
    out.flush()?;
    drop(out);

    if args.output.format == Format::Human && !ctx.quiet && seen > 1 {
        let mut err = anstream::stderr().lock();
        writeln!(err, "{DIM}{seen} purls, {failed} invalid{DIM:#}")?;
    }
    Ok(if failed > 0 {
        Status::BadInput
    } else {
        Status::Success
    })
}

fn write_json(
    out: &mut dyn Write,
    input: &str,
    result: &Result<Purl, chainwatch_purl::PurlError>,
) -> io::Result<()> {
    match result {
        Ok(p) => {
            let line = PurlJson {
                input,
                canonical: p.to_string(),
                ty: p.ty(),
                namespace: p.namespace(),
                name: p.name(),
                version: p.version(),
                qualifiers: p.qualifiers().iter().collect(),
                subpath: p.subpath(),
                ecosystem: p.osv_ecosystem().map(|e| e.to_string()),
            };
            serde_json::to_writer(&mut *out, &line)?;
        }
        Err(e) => serde_json::to_writer(
            &mut *out,
            &PurlErrorJson {
                input,
                error: e.to_string(),
            },
        )?,
    }
    writeln!(out)
}

fn write_human(
    out: &mut dyn Write,
    ctx: &Context,
    input: &str,
    result: &Result<Purl, chainwatch_purl::PurlError>,
) -> io::Result<()> {
    let p = match result {
        Ok(p) => p,
        Err(e) => {
            // Errors go with the results, in order, so that a list can be read top-down.
            return writeln!(out, "{ERROR}error{ERROR:#}: `{input}`: {e}");
        }
    };
    writeln!(out, "{BOLD}{p}{BOLD:#}")?;
    if ctx.quiet {
        return Ok(());
    }
    let field = |out: &mut dyn Write, label: &str, value: &str| {
        writeln!(out, "  {DIM}{label:<10}{DIM:#} {value}")
    };
    field(out, "type", p.ty())?;
    if let Some(ns) = p.namespace() {
        field(out, "namespace", ns)?;
    }
    field(out, "name", p.name())?;
    if let Some(v) = p.version() {
        field(out, "version", v)?;
    }
    for (k, v) in p.qualifiers().iter() {
        field(out, "qualifier", &format!("{k}={v}"))?;
    }
    if let Some(s) = p.subpath() {
        field(out, "subpath", s)?;
    }
    field(out, "identity", &p.package_name().to_string())?;
    if let (Some(eco), Some(name)) = (p.osv_ecosystem(), p.osv_package_name()) {
        field(out, "ecosystem", &format!("{eco} `{name}`"))?;
    }
    Ok(())
}
