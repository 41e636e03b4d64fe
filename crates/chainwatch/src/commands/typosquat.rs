//! `chainwatch typosquat check`: names against the popular packages of their ecosystem,
//! and against the known-malicious packages of the store.

use std::io::{self, BufRead as _, Write};
use std::path::Path;

use chainwatch_purl::Purl;
use chainwatch_typosquat::{Detector, Ecosystem, Popular, Verdict};
use serde::Serialize;

use crate::cli::{Format, Typosquat, TyposquatCheckArgs, TyposquatCorpusArgs};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status};

pub(crate) fn run(ctx: &Context, command: Typosquat) -> anyhow::Result<Status> {
    match command {
        Typosquat::Check(args) => check(ctx, &args),
    }
}

/// The detector for an ecosystem: the built-in list, then `--popular` files, with the
/// allowlist.
pub(crate) fn detector(
    ecosystem: Ecosystem,
    args: &TyposquatCorpusArgs,
) -> anyhow::Result<Detector> {
    let mut popular = Popular::builtin(ecosystem);
    for path in &args.popular {
        let bytes = std::fs::read(path)
            .map_err(|e| InputError(format!("cannot read `{}`: {e}", path.display())))?;
        let list =
            Popular::parse(&bytes).map_err(|e| InputError(format!("`{}`: {e}", path.display())))?;
        popular.merge(&list);
    }
    let mut detector = Detector::new(ecosystem, &popular);
    if let Some(path) = &args.allowlist {
        for (name, reason) in allowlist(path)? {
            detector.allow(&name, &reason);
        }
    }
    Ok(detector)
}

/// `NAME reason…` per line; `#` starts a comment.
fn allowlist(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read `{}`: {e}", path.display())))?;
    Ok(text
        .lines()
        .map(|l| l.split_once('#').map_or(l, |(code, _)| code).trim())
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((name, reason)) => (name.to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), "allowlisted".to_owned()),
        })
        .collect())
}

/// The purl of a name in an ecosystem (no version), for advisory lookups.
pub(crate) fn purl_of(ecosystem: Ecosystem, name: &str) -> Option<Purl> {
    let (ty, namespace, name) = match ecosystem {
        Ecosystem::Npm => match name.rsplit_once('/') {
            Some((scope, n)) if scope.starts_with('@') => ("npm", Some(scope), n),
            _ => ("npm", None, name),
        },
        Ecosystem::PyPi => ("pypi", None, name),
        Ecosystem::CratesIo => ("cargo", None, name),
        Ecosystem::Go => match name.rsplit_once('/') {
            Some((ns, n)) => ("golang", Some(ns), n),
            None => ("golang", None, name),
        },
        Ecosystem::Maven => {
            let (g, a) = name.split_once(':')?;
            ("maven", Some(g), a)
        }
        Ecosystem::RubyGems => ("gem", None, name),
        Ecosystem::NuGet => ("nuget", None, name),
        Ecosystem::Packagist => {
            let (v, n) = name.split_once('/')?;
            ("composer", Some(v), n)
        }
    };
    let mut b = Purl::builder(ty, name);
    if let Some(ns) = namespace {
        b = b.namespace(ns);
    }
    b.build().ok()
}

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    verdict: Verdict,
    /// Known-malicious: the OSV `MAL-` records naming the package (any version).
    malicious: Vec<String>,
}

fn check(ctx: &Context, args: &TyposquatCheckArgs) -> anyhow::Result<Status> {
    let ecosystem: Ecosystem = args.ecosystem.parse().map_err(InputError)?;
    let detector = detector(ecosystem, &args.corpus)?;
    let mut names = args.names.clone();
    if names.is_empty() {
        for line in io::stdin().lock().lines() {
            let line = line?;
            let line = line.trim();
            if !line.is_empty() {
                names.push(line.to_owned());
            }
        }
    }
    // Known-malicious packages from the store, when it has advisories.
    let store = crate::commands::store::open(ctx)?;
    let has_advisories = store
        .advisories_last_import()
        .map_err(crate::commands::store::store_error)?
        .is_some();
    let mut rows = Vec::with_capacity(names.len());
    for name in &names {
        let verdict = detector.check(name);
        let mut malicious = Vec::new();
        if has_advisories && let Some(purl) = purl_of(ecosystem, name) {
            malicious = store
                .malicious_records(&purl)
                .map_err(crate::commands::store::store_error)?;
        }
        rows.push(Row { verdict, malicious });
    }
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.output.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Human => {
            for r in &rows {
                let v = &r.verdict;
                if !r.malicious.is_empty() {
                    writeln!(
                        out,
                        "{ERROR}MALICIOUS{ERROR:#}  {BOLD}{}{BOLD:#}: known-malicious releases ({})",
                        v.name,
                        r.malicious.join(", ")
                    )?;
                }
                match (&v.imitates, v.technique) {
                    (Some(target), Some(t)) if v.suspect => writeln!(
                        out,
                        "{ERROR}SUSPECT{ERROR:#}    {BOLD}{}{BOLD:#} imitates {target} ({}, score {:.2})",
                        v.name,
                        t.as_str(),
                        v.score
                    )?,
                    (Some(target), Some(t)) => writeln!(
                        out,
                        "ok         {} {DIM}(looks like {target}, {}, score {:.2}{}){DIM:#}",
                        v.name,
                        t.as_str(),
                        v.score,
                        v.cleared
                            .as_deref()
                            .map(|c| format!("; allowed: {c}"))
                            .unwrap_or_default()
                    )?,
                    _ if r.malicious.is_empty() => writeln!(
                        out,
                        "ok         {}{}",
                        v.name,
                        if v.cleared.as_deref() == Some("popular") {
                            format!(" {DIM}(popular){DIM:#}")
                        } else {
                            String::new()
                        }
                    )?,
                    _ => {}
                }
            }
        }
    }
    out.flush()?;
    Ok(
        if rows
            .iter()
            .any(|r| r.verdict.suspect || !r.malicious.is_empty())
        {
            Status::Findings
        } else {
            Status::Success
        },
    )
}
