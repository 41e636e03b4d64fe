//! `chainwatch query …`: who has a package, why it is there, who depends on it, what an
//! advisory affects, the evidence about a product version, and diffs of versions.

use std::io::{self, Write};

use crate::cli::Query;
use crate::output::{BOLD, Context, DIM, Status};
use crate::shared::render::render;
use crate::shared::store::{as_of, open};

pub(crate) fn query(ctx: &Context, command: Query) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    // What an empty answer means, said on standard error (the exit status is 1).
    let mut none = String::new();
    let mut human = false;
    let found = match command {
        Query::WhoHas(args) => {
            human = args.output.format == crate::cli::Format::Human;
            none = format!("no current product version has `{}`", args.purl);
            let rows = store.who_has(&args.purl, args.range.as_deref(), as_of(&args.as_of)?)?;
            render(&mut out, args.output.format, &rows, |out| {
                for r in &rows {
                    writeln!(
                        out,
                        "{BOLD}{}@{}{BOLD:#}  {}",
                        r.product, r.version, r.package
                    )?;
                }
                Ok(())
            })?;
            !rows.is_empty()
        }
        Query::Affected(args) => {
            human = args.output.format == crate::cli::Format::Human;
            none = format!("no current product version is affected by `{}`", args.id);
            let rows = store.affected(&args.id, as_of(&args.as_of)?)?;
            render(&mut out, args.output.format, &rows, |out| {
                for r in &rows {
                    let fixed = if r.fixed_in.is_empty() {
                        "no fixed version".to_owned()
                    } else {
                        format!("fixed in {}", r.fixed_in.join(", "))
                    };
                    writeln!(
                        out,
                        "{BOLD}{}@{}{BOLD:#}  {}  {} {DIM}({}; {fixed}){DIM:#}",
                        r.product,
                        r.version,
                        r.package,
                        r.advisory,
                        r.severity.as_deref().unwrap_or("unknown severity")
                    )?;
                }
                Ok(())
            })?;
            !rows.is_empty()
        }
        Query::Why(args) => {
            human = args.output.format == crate::cli::Format::Human;
            none = format!(
                "no dependency path leads from `{}` to `{}`",
                args.product, args.purl
            );
            let paths = store.why(
                &args.product.name,
                args.product.version(),
                &args.purl,
                args.max_paths,
                as_of(&args.as_of)?,
            )?;
            render(&mut out, args.output.format, &paths, |out| {
                for p in &paths {
                    writeln!(
                        out,
                        "{BOLD}{}@{}{BOLD:#}: {}",
                        p.product,
                        p.version,
                        p.path.join(" -> ")
                    )?;
                }
                Ok(())
            })?;
            !paths.is_empty()
        }
        Query::Dependents(args) => {
            human = args.output.format == crate::cli::Format::Human;
            none = format!(
                "nothing in a current product version depends on `{}`",
                args.purl
            );
            let rows = store.dependents(&args.purl, args.range.as_deref(), as_of(&args.as_of)?)?;
            render(&mut out, args.output.format, &rows, |out| {
                for r in &rows {
                    writeln!(
                        out,
                        "{BOLD}{}@{}{BOLD:#}  {} -[{}]-> {}",
                        r.product, r.version, r.dependent, r.kind, r.package
                    )?;
                }
                Ok(())
            })?;
            !rows.is_empty()
        }
        Query::Provenance(args) => {
            let rows = store.provenance(
                &args.product.name,
                args.product.version(),
                as_of(&args.as_of)?,
            )?;
            render(&mut out, args.output.format, &rows, |out| {
                if rows.is_empty() {
                    writeln!(out, "no verified attestations about {}", args.product)?;
                }
                for e in &rows {
                    writeln!(
                        out,
                        "{BOLD}attestation {}{BOLD:#} ({}, {}) about {}",
                        e.attestation,
                        e.format,
                        e.predicate_type.as_deref().unwrap_or("signature"),
                        e.about
                    )?;
                    if let Some(b) = &e.builder {
                        writeln!(out, "  built by {b}")?;
                    }
                    if let Some(src) = &e.source {
                        writeln!(
                            out,
                            "  built from {src}{}",
                            e.revision
                                .as_deref()
                                .map(|r| format!(" at {r}"))
                                .unwrap_or_default()
                        )?;
                    }
                    if let Some(signer) = e.signer.as_ref().or(e.key.as_ref()) {
                        writeln!(
                            out,
                            "  signed by {signer}{}",
                            e.issuer
                                .as_deref()
                                .map(|i| format!(" (issuer {i})"))
                                .unwrap_or_default()
                        )?;
                    }
                    writeln!(
                        out,
                        "  {DIM}verified {} against {}{DIM:#}",
                        e.verified_at,
                        e.trust_root.as_deref().unwrap_or("the given keys")
                    )?;
                }
                Ok(())
            })?;
            !rows.is_empty()
        }
        Query::Diff(args) => {
            let d = store.diff(&args.product, &args.from, &args.to, as_of(&args.as_of)?)?;
            drop(out);
            return crate::shared::render::render_diff(&d, args.output.format);
        }
    };
    out.flush()?;
    if !found && human && !none.is_empty() && ctx.printer.summaries() {
        let mut err = anstream::stderr().lock();
        writeln!(err, "{DIM}{none}{DIM:#}")?;
    }
    Ok(if found {
        Status::Success
    } else {
        Status::Findings
    })
}
