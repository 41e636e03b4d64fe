//! `chainwatch token …`: API tokens of the server (secrets shown once, hashes kept).

use std::io::{self, Write};

use chainwatch_store::Role;
use serde::Serialize;

use crate::cli::{Format, TokenCommand, TokenCreateArgs};
use crate::output::{BOLD, Context, DIM, InputError, Status};
use crate::shared::store::open;

/// `90d`, `12h`, `30m`, `45s` from now, or an RFC 3339 time or date.
fn expiry(text: &str) -> Option<i64> {
    match crate::shared::time::interval(text) {
        Some(d) => i64::try_from(d.as_micros())
            .ok()
            .and_then(|us| chainwatch_store::now_micros().checked_add(us)),
        None => chainwatch_store::parse_instant(text),
    }
}

#[derive(Serialize)]
struct Created<'a> {
    name: &'a str,
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    products: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    token: &'a str,
}

pub(crate) fn token(ctx: &Context, command: &TokenCommand) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match command {
        TokenCommand::Create(args) => create(&store, args, &mut out)?,
        TokenCommand::Revoke(args) => {
            let revoked = store.revoke_token(&args.name)?;
            if !revoked {
                return Err(InputError(format!("no active token named `{}`", args.name)).into());
            }
            match args.output.format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    serde_json::json!({"name": args.name, "revoked": true})
                )?,
                Format::Human => writeln!(out, "revoked `{}`", args.name)?,
            }
        }
        TokenCommand::List(o) => {
            let tokens = store.tokens()?;
            match o.format {
                Format::Json => {
                    serde_json::to_writer(&mut out, &tokens)?;
                    writeln!(out)?;
                }
                Format::Human => {
                    let now = chainwatch_store::now_micros();
                    for t in &tokens {
                        let state = if t.revoked_at.is_some() {
                            "revoked"
                        } else if t.is_active(now) {
                            "active"
                        } else {
                            "expired"
                        };
                        writeln!(
                            out,
                            "{BOLD}{}{BOLD:#}  {}  {state}{}{}",
                            t.name,
                            t.role.as_str(),
                            t.products
                                .as_deref()
                                .map(|p| format!("  products {p}"))
                                .unwrap_or_default(),
                            t.expires_at
                                .map(|e| format!(
                                    "  {DIM}expires {}{DIM:#}",
                                    chainwatch_store::format_micros(e)
                                ))
                                .unwrap_or_default()
                        )?;
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(Status::Success)
}

fn create(
    store: &chainwatch_store::Store,
    args: &TokenCreateArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let role = Role::parse(&args.role).ok_or_else(|| {
        InputError(format!(
            "unknown role `{}`: expected `read`, `ingest` or `admin`",
            args.role
        ))
    })?;
    let expires = args
        .expires
        .as_deref()
        .map(|e| {
            expiry(e).ok_or_else(|| {
                InputError(format!(
                    "invalid `--expires` `{e}`: expected `90d`, `12h`, `30m` or an RFC 3339 time"
                ))
            })
        })
        .transpose()?;
    let (secret, hash) =
        chainwatch_server::new_token().map_err(|p| anyhow::anyhow!("{}", p.detail))?;
    let token = store.create_token(&args.name, role, args.products.as_deref(), &hash, expires)?;
    let created = Created {
        name: &token.name,
        role: role.as_str(),
        products: token.products.as_deref(),
        expires: token.expires_at.map(chainwatch_store::format_micros),
        token: &secret,
    };
    match args.output.format {
        Format::Json => {
            serde_json::to_writer(&mut *out, &created)?;
            writeln!(out)?;
        }
        Format::Human => {
            writeln!(out, "{secret}")?;
            let mut err = io::stderr().lock();
            let _ = writeln!(
                err,
                "{DIM}token `{}` ({}): shown once, only its hash is stored{DIM:#}",
                token.name,
                role.as_str()
            );
        }
    }
    Ok(())
}
