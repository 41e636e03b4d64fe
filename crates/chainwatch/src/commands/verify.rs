//! `chainwatch verify`: an attestation checked offline against keys, a trusted root, an
//! artifact and the expected builder and source.

use std::io::{self, Write};
use std::path::Path;

use chainwatch_attest::{Artifact, Matcher, Policy, PublicKey, Verification};

use crate::cli::{Format, TrustArgs, VerifyArgs};
use crate::commands::sbom::read_input;
use crate::output::{BOLD, DIM, ERROR, InputError, Status};

fn input(what: &Path, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(InputError(format!("`{}`: {e}", what.display())))
}

/// The policy the arguments describe (the artifact is set by the caller).
pub(crate) fn policy(args: &TrustArgs) -> anyhow::Result<Policy> {
    let mut keys = Vec::new();
    for path in &args.key {
        let pem = read_input(path)?;
        keys.extend(PublicKey::from_pem(&pem).map_err(|e| input(path, e))?);
    }
    if let Some(path) = &args.layout {
        // The layout must verify with the given keys before its keys are trusted.
        let bytes = read_input(path)?;
        let owner = Policy {
            keys: keys.clone(),
            threshold: 1,
            ..Policy::default()
        };
        let checked = chainwatch_attest::verify(&bytes, &owner).map_err(|e| input(path, e))?;
        if let Some(v) = checked.iter().find(|v| !v.verified) {
            let why = v.failure().map(|c| c.detail.clone()).unwrap_or_default();
            return Err(input(path, format!("the layout does not verify: {why}")));
        }
        keys.extend(chainwatch_attest::intoto::layout_keys(&bytes).map_err(|e| input(path, e))?);
    }
    let trusted_root = match &args.trusted_root {
        Some(path) => {
            let text =
                String::from_utf8(read_input(path)?).map_err(|_| input(path, "not UTF-8 text"))?;
            chainwatch_attest::bundle::trusted_root(Some(&text)).map_err(|e| input(path, e))?;
            Some(text)
        }
        None => None,
    };
    let matcher =
        |exact: &Option<String>, re: &Option<String>| -> anyhow::Result<Option<Matcher>> {
            Ok(match (exact, re) {
                (Some(s), _) => Some(Matcher::Exact(s.clone())),
                (None, Some(r)) => Some(
                    Matcher::regex(r).map_err(|e| anyhow::Error::new(InputError(e.to_string())))?,
                ),
                (None, None) => None,
            })
        };
    Ok(Policy {
        keys,
        threshold: args.threshold.unwrap_or(1).max(1),
        trusted_root,
        identity: matcher(&args.identity, &args.identity_regexp)?,
        issuer: matcher(&args.issuer, &args.issuer_regexp)?,
        builders: args.builder.clone(),
        source: args.source.clone(),
        artifact: None,
    })
}

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
