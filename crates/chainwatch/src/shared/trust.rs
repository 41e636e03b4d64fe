//! The trust policy attestations are verified against (`verify`, and `ingest` of
//! attestation files), from the arguments.

use std::path::Path;

use chainwatch_attest::{Matcher, Policy, PublicKey};

use crate::cli::TrustArgs;
use crate::output::InputError;
use crate::shared::files::read_input;

pub(crate) fn input(what: &Path, e: impl std::fmt::Display) -> anyhow::Error {
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
