//! `chainwatch inspect …`: look inside identifiers.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use chainwatch_purl::{ParseMode, Purl};
use chainwatch_version::{Scheme, Vers, native_to_vers};
use serde::Serialize;

use crate::cli::{Format, Inspect, PurlArgs, VersContainsArgs, VersFromNativeArgs, VersionCmpArgs};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status};

pub(crate) fn run(ctx: &Context, command: Inspect) -> anyhow::Result<Status> {
    match command {
        Inspect::Purl(args) => purl(ctx, &args),
        Inspect::VersionCmp(args) => version_cmp(ctx, &args),
        Inspect::VersContains(args) => vers_contains(&args),
        Inspect::VersFromNative(args) => vers_from_native(&args),
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

    if args.output.format == Format::Human && ctx.printer.summaries() && seen > 1 {
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
    if !ctx.printer.summaries() {
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

/// Reads `TAB`-separated lines from standard input, or takes the arguments as one line.
fn lines_or_args(args: &[String], arity: usize, what: &str) -> anyhow::Result<Vec<Vec<String>>> {
    if args.len() == arity {
        return Ok(vec![args.to_vec()]);
    }
    if !args.is_empty() {
        return Err(InputError(format!(
            "expected {what}, or none to read lines from standard input"
        ))
        .into());
    }
    let mut out = Vec::new();
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(line.split('\t').map(str::to_owned).collect());
    }
    Ok(out)
}

fn scheme_named(name: &str) -> Result<Scheme, String> {
    Scheme::from_name(name).ok_or_else(|| format!("unknown ecosystem or version scheme `{name}`"))
}

fn version_cmp(ctx: &Context, args: &VersionCmpArgs) -> anyhow::Result<Status> {
    let rows = lines_or_args(&args.args, 3, "ECOSYSTEM A B")?;
    let mut out = io::BufWriter::new(anstream::stdout().lock());
    let mut failed = false;
    for row in rows {
        let result = match &row[..] {
            [eco, a, b] => scheme_named(eco.trim())
                .and_then(|s| s.compare(a.trim(), b.trim()).map_err(|e| e.to_string())),
            _ => Err(format!(
                "expected `ECOSYSTEM<TAB>A<TAB>B`, got {} fields",
                row.len()
            )),
        };
        failed |= result.is_err();
        let symbol = |o: Ordering| match o {
            Ordering::Less => "<",
            Ordering::Equal => "=",
            Ordering::Greater => ">",
        };
        match (args.output.format, result) {
            (Format::Human, Ok(o)) => writeln!(out, "{}", symbol(o))?,
            (Format::Human, Err(e)) => writeln!(out, "error: {e}")?,
            (Format::Json, r) => {
                let mut obj =
                    serde_json::json!({"ecosystem": row.first(), "a": row.get(1), "b": row.get(2)});
                match r {
                    Ok(o) => obj["result"] = symbol(o).into(),
                    Err(e) => obj["error"] = e.into(),
                }
                serde_json::to_writer(&mut out, &obj)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    let _ = ctx;
    Ok(if failed {
        Status::BadInput
    } else {
        Status::Success
    })
}

fn vers_contains(args: &VersContainsArgs) -> anyhow::Result<Status> {
    let rows = lines_or_args(&args.args, 2, "VERS VERSION")?;
    let mut out = io::BufWriter::new(anstream::stdout().lock());
    let mut failed = false;
    for row in rows {
        let result = match &row[..] {
            [vers, version] => Vers::parse(vers.trim())
                .map_err(|e| e.to_string())
                .and_then(|v| v.contains_str(version.trim()).map_err(|e| e.to_string())),
            _ => Err(format!(
                "expected `VERS<TAB>VERSION`, got {} fields",
                row.len()
            )),
        };
        failed |= result.is_err();
        match (args.output.format, result) {
            (Format::Human, Ok(b)) => writeln!(out, "{b}")?,
            (Format::Human, Err(e)) => writeln!(out, "error: {e}")?,
            (Format::Json, r) => {
                let mut obj = serde_json::json!({"vers": row.first(), "version": row.get(1)});
                match r {
                    Ok(b) => obj["contains"] = b.into(),
                    Err(e) => obj["error"] = e.into(),
                }
                serde_json::to_writer(&mut out, &obj)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        Status::BadInput
    } else {
        Status::Success
    })
}

fn vers_from_native(args: &VersFromNativeArgs) -> anyhow::Result<Status> {
    let scheme = scheme_named(&args.scheme).map_err(InputError)?;
    let vers = native_to_vers(scheme, &args.range).map_err(|e| InputError(e.to_string()))?;
    let mut out = anstream::stdout().lock();
    match args.output.format {
        Format::Human => writeln!(out, "{vers}")?,
        Format::Json => {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({"native": args.range, "vers": vers.to_string()}),
            )?;
            writeln!(out)?;
        }
    }
    Ok(Status::Success)
}
