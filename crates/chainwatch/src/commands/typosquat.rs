//! `chainwatch typosquat check`: names against the popular packages of their ecosystem,
//! and against the known-malicious packages of the store.

use std::io::{self, BufRead as _, Write};

use chainwatch_purl::Purl;

use chainwatch_typosquat::{CorpusSources, Ecosystem, Popular, Verdict};
use serde::Serialize;

use crate::cli::{Format, Typosquat, TyposquatCheckArgs, TyposquatRefreshArgs};
use crate::output::{BOLD, Context, DIM, ERROR, InputError, Status};
use crate::shared::typosquat::{detector, refreshed_dir};

pub(crate) fn run(ctx: &Context, command: Typosquat) -> anyhow::Result<Status> {
    match command {
        Typosquat::Check(args) => check(ctx, &args),
        Typosquat::Refresh(args) => refresh(&args),
    }
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
    let store = crate::shared::store::open(ctx)?;
    let detector = detector(ecosystem, &args.corpus, Some(&store))?;
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
    let has_advisories = store.advisories_last_import()?.is_some();
    let mut rows = Vec::with_capacity(names.len());
    for name in &names {
        let verdict = detector.check(name);
        let mut malicious = Vec::new();
        if has_advisories && let Some(purl) = purl_of(ecosystem, name) {
            malicious = store.malicious_records(&purl)?;
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

/// Popularity lists are a few megabytes.
const MAX_LIST: u64 = 64 << 20;

#[derive(Serialize)]
struct Refreshed {
    ecosystem: &'static str,
    names: usize,
    sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn refresh(args: &TyposquatRefreshArgs) -> anyhow::Result<Status> {
    let ecosystems: Vec<Ecosystem> = if args.ecosystem.is_empty() {
        Ecosystem::ALL
            .iter()
            .copied()
            .filter(|e| !Popular::sources(*e).is_empty())
            .collect()
    } else {
        args.ecosystem
            .iter()
            .map(|e| e.parse().map_err(InputError))
            .collect::<Result<_, _>>()?
    };
    let mut reports = Vec::new();
    for eco in ecosystems {
        let sources = Popular::sources(eco);
        let mut report = Refreshed {
            ecosystem: eco.as_str(),
            names: 0,
            sources: sources.iter().map(|(u, _)| u.clone()).collect(),
            error: None,
        };
        if sources.is_empty() {
            report.error = Some(format!(
                "no public list of popular {eco} packages is known: give one with `--popular FILE`"
            ));
            reports.push(report);
            continue;
        }
        let mut list = Popular::new();
        let result = (|| -> anyhow::Result<()> {
            for (url, _) in &sources {
                let url = match &args.mirror {
                    Some(m) => format!(
                        "{}/{}",
                        m.trim_end_matches('/'),
                        url.split_once("://").map_or(url.as_str(), |(_, rest)| rest)
                    ),
                    None => url.clone(),
                };
                let bytes = chainwatch_advisory::feed::fetch(&url, MAX_LIST)?
                    .ok_or_else(|| anyhow::anyhow!("`{url}`: not found (404)"))?;
                let part = Popular::parse(&bytes).map_err(|e| anyhow::anyhow!("`{url}`: {e}"))?;
                list.merge(&part);
            }
            Ok(())
        })();
        match result {
            Ok(()) if !list.is_empty() => {
                CorpusSources::save_refreshed(
                    &refreshed_dir(),
                    eco,
                    &list,
                    &report.sources,
                    &chainwatch_store::format_micros(chainwatch_store::now_micros()),
                )?;
                report.names = list.len();
            }
            Ok(()) => report.error = Some("the sources listed no names".into()),
            Err(e) => report.error = Some(format!("{e:#}")),
        }
        reports.push(report);
    }
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for r in &reports {
        match args.output.format {
            Format::Json => {
                serde_json::to_writer(&mut out, r)?;
                writeln!(out)?;
            }
            Format::Human => match &r.error {
                Some(e) => writeln!(out, "{}: {ERROR}error{ERROR:#}: {e}", r.ecosystem)?,
                None => writeln!(out, "{}: {} popular names", r.ecosystem, r.names)?,
            },
        }
    }
    out.flush()?;
    // An ecosystem without a known source is not a failure; a failed download is.
    if reports
        .iter()
        .any(|r| r.error.is_some() && !r.sources.is_empty())
    {
        anyhow::bail!("a download failed (the other lists were kept)");
    }
    Ok(Status::Success)
}
