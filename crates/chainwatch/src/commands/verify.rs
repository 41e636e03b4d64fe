//! `chainwatch verify`: an attestation checked offline against keys, a trusted root, an
//! artifact and the expected builder and source.

use std::io::{self, Write};

use chainwatch_attest::{Artifact, Verification};

use crate::cli::{Format, VerifyArgs};
use crate::output::{BOLD, DIM, ERROR, InputError, Status};
use crate::shared::files::read_input;
use crate::shared::trust::{input, policy};

pub(crate) fn run(args: &VerifyArgs) -> anyhow::Result<Status> {
    let mut policy = policy(&args.trust)?;
    policy.artifact = match (&args.artifact, &args.digest) {
        (Some(path), _) => Some(Artifact::from_bytes(read_input(path)?)),
        (None, Some(d)) => Some(
            Artifact::from_digest(d).map_err(|e| anyhow::Error::new(InputError(e.to_string())))?,
        ),
        (None, None) => None,
    };
    let document = read_input(&args.attestation)?;
    let results =
        chainwatch_attest::verify(&document, &policy).map_err(|e| input(&args.attestation, e))?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.output.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &results)?;
            writeln!(out)?;
        }
        Format::Human => {
            for (i, v) in results.iter().enumerate() {
                human(&mut out, v, results.len(), i)?;
            }
        }
    }
    out.flush()?;
    Ok(if results.iter().all(|v| v.verified) {
        Status::Success
    } else {
        Status::Findings
    })
}

fn human(out: &mut impl Write, v: &Verification, n: usize, i: usize) -> io::Result<()> {
    let which = if n > 1 {
        format!(" (attestation {} of {n})", i + 1)
    } else {
        String::new()
    };
    if v.verified {
        writeln!(out, "{BOLD}verified{BOLD:#}: {}{which}", v.format)?;
    } else {
        writeln!(out, "{ERROR}NOT VERIFIED{ERROR:#}: {}{which}", v.format)?;
    }
    for c in &v.checks {
        let mark = if c.ok {
            format!("{DIM}ok{DIM:#}  ")
        } else {
            format!("{ERROR}FAIL{ERROR:#}")
        };
        writeln!(out, "  {mark} {:<16} {}", c.check, c.detail)?;
    }
    for s in &v.signers {
        if let Some(id) = &s.identity {
            writeln!(
                out,
                "  signed by {id}{}",
                s.issuer
                    .as_deref()
                    .map(|i| format!(" (issuer {i})"))
                    .unwrap_or_default()
            )?;
        }
    }
    if let Some(t) = &v.signed_at {
        writeln!(out, "  signed at {t}")?;
    }
    if let Some(st) = &v.statement {
        writeln!(out, "  statement: {}", st.predicate_type)?;
        for s in st.subjects.iter().take(5) {
            let digest = s
                .digest
                .iter()
                .next()
                .map(|(a, h)| format!("{a}:{h}"))
                .unwrap_or_default();
            writeln!(out, "    subject {} {DIM}{digest}{DIM:#}", s.name)?;
        }
        if st.subjects.len() > 5 {
            writeln!(out, "    … {} more subjects", st.subjects.len() - 5)?;
        }
    }
    if let Some(p) = &v.provenance {
        writeln!(
            out,
            "  provenance (SLSA {}): builder {}",
            p.slsa_version,
            p.builder_id.as_deref().unwrap_or("(none)")
        )?;
        if let Some(src) = &p.source {
            writeln!(
                out,
                "    source {src}{}",
                p.revision
                    .as_deref()
                    .map(|r| format!(" at {r}"))
                    .unwrap_or_default()
            )?;
        }
    }
    if let Some(m) = &v.metadata {
        writeln!(
            out,
            "  in-toto {}{}: {} material(s), {} product(s)",
            match m.kind {
                chainwatch_attest::intoto::MetadataKind::Link => "link",
                chainwatch_attest::intoto::MetadataKind::Layout => "layout",
            },
            m.name
                .as_deref()
                .map(|n| format!(" `{n}`"))
                .unwrap_or_default(),
            m.materials.len(),
            m.products.len()
        )?;
    }
    Ok(())
}
