//! `chainwatch serve` and `chainwatch token …`.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use chainwatch_store::Role;
use serde::{Deserialize, Serialize};

use crate::cli::{Format, ServeArgs, TokenCommand, TokenCreateArgs};
use crate::commands::store::{open, store_error};
use crate::output::{BOLD, Context, DIM, InputError, Status};

/// `chainwatch.toml`: defaults for `serve`'s flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    max_upload: Option<usize>,
    timeout: Option<u64>,
    rate_limit: Option<u32>,
    update_every: Option<String>,
    mirror: Option<String>,
    #[serde(default)]
    ecosystems: Vec<String>,
    #[serde(default)]
    webhooks: Vec<String>,
    #[serde(default)]
    slack_webhooks: Vec<String>,
    tls_cert: Option<std::path::PathBuf>,
    tls_key: Option<std::path::PathBuf>,
}

/// `6h`, `30m`, `45s`, `2d`.
fn interval(text: &str) -> Option<Duration> {
    let (n, unit) = text.split_at(text.len().saturating_sub(1));
    let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
    let per = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return None,
    };
    n.checked_mul(per).map(Duration::from_secs)
}

pub(crate) fn serve(ctx: &Context, args: &ServeArgs) -> anyhow::Result<Status> {
    let file: FileConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| InputError(format!("cannot read `{}`: {e}", path.display())))?;
            toml::from_str(&text).map_err(|e| InputError(format!("`{}`: {e}", path.display())))?
        }
        None => FileConfig::default(),
    };
    let listen = args
        .listen
        .clone()
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let defaults = chainwatch_server::Config::default();
    let config = chainwatch_server::Config {
        max_upload: args
            .max_upload
            .or(file.max_upload)
            .map_or(defaults.max_upload, |mib| mib.saturating_mul(1024 * 1024)),
        request_timeout: args
            .timeout
            .or(file.timeout)
            .map_or(defaults.request_timeout, Duration::from_secs),
        rate_limit: args
            .rate_limit
            .or(file.rate_limit)
            .unwrap_or(defaults.rate_limit),
        notifier: None,
        corpus: chainwatch_typosquat::CorpusSources {
            refreshed: Some(crate::commands::typosquat::refreshed_dir()),
            ..Default::default()
        },
    };
    let update_every = args
        .update_every
        .clone()
        .or(file.update_every)
        .map(|t| {
            interval(&t).ok_or_else(|| {
                InputError(format!(
                    "invalid `--update-every` `{t}`: expected `6h`, `30m`, `2d` or `45s`"
                ))
            })
        })
        .transpose()?;
    let secret = args.webhook_secret.as_ref().map(|s| s.as_bytes().to_vec());
    let mut hooks = Vec::new();
    for (url, slack) in args
        .webhook
        .iter()
        .chain(&file.webhooks)
        .map(|u| (u, false))
        .chain(
            args.slack_webhook
                .iter()
                .chain(&file.slack_webhooks)
                .map(|u| (u, true)),
        )
    {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(InputError(format!("webhook `{url}`: expected an http(s) URL")).into());
        }
        hooks.push(chainwatch_server::notify::Webhook {
            url: url.clone(),
            secret: secret.clone(),
            slack,
        });
    }
    let tls = match (
        args.tls_cert.clone().or(file.tls_cert),
        args.tls_key.clone().or(file.tls_key),
    ) {
        (Some(cert), Some(key)) => {
            let read = |p: &std::path::Path| {
                std::fs::read(p)
                    .map_err(|e| InputError(format!("cannot read `{}`: {e}", p.display())))
            };
            Some(chainwatch_server::tls::config(&read(&cert)?, &read(&key)?).map_err(InputError)?)
        }
        (None, None) => None,
        _ => {
            return Err(InputError("TLS needs both a certificate and a key".into()).into());
        }
    };
    let store = Arc::new(open(ctx)?);
    store.migrate().map_err(store_error)?;
    let log: chainwatch_server::LogSink = Arc::new(|line: &str| {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{line}");
    });
    let notifier = (!hooks.is_empty()).then(|| {
        Arc::new(chainwatch_server::notify::Notifier::start(
            store.clone(),
            hooks,
            log.clone(),
        ))
    });
    let config = chainwatch_server::Config {
        notifier: notifier.clone(),
        ..config
    };
    if let Some(every) = update_every {
        let mirror = args
            .mirror
            .clone()
            .or(file.mirror)
            .unwrap_or_else(|| chainwatch_advisory::feed::DEFAULT_BASE.to_owned());
        let ecosystems = if args.ecosystem.is_empty() {
            file.ecosystems
        } else {
            args.ecosystem.clone()
        };
        chainwatch_server::notify::monitor(
            store.clone(),
            every,
            chainwatch_server::notify::MonitorJob {
                mirror,
                ecosystems,
                cache: crate::commands::update::cache_dir(None),
            },
            notifier,
            log.clone(),
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // The store's last reference is dropped here, outside the runtime: the synchronous
    // PostgreSQL client cannot close its connections inside one.
    let keep = store.clone();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| InputError(format!("cannot listen on `{listen}`: {e}")))?;
        let address = listener.local_addr()?;
        {
            let mut err = io::stderr().lock();
            let _ = writeln!(
                err,
                "{{\"event\":\"listening\",\"address\":\"{address}\",\"tls\":{},\"store\":\"{}\"}}",
                tls.is_some(),
                store.backend()
            );
        }
        let app = chainwatch_server::app(store, config, log);
        match tls {
            Some(tls) => chainwatch_server::serve_tls(listener, tls, app).await?,
            None => chainwatch_server::serve(listener, app).await?,
        }
        Ok::<(), anyhow::Error>(())
    })?;
    drop(runtime);
    drop(keep);
    Ok(Status::Success)
}

/// `90d`, `12h`, `30m`, `45s` from now, or an RFC 3339 time or date.
fn expiry(text: &str) -> Option<i64> {
    let now = chainwatch_store::now_micros();
    let (n, unit) = text.split_at(text.len().saturating_sub(1));
    let seconds: Option<i64> = n.parse::<i64>().ok().and_then(|n| {
        let per = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            "s" => 1,
            _ => return None,
        };
        n.checked_mul(per).filter(|s| *s > 0)
    });
    match seconds {
        Some(s) => s.checked_mul(1_000_000).and_then(|us| now.checked_add(us)),
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
            let revoked = store.revoke_token(&args.name).map_err(store_error)?;
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
            let tokens = store.tokens().map_err(store_error)?;
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
    let token = store
        .create_token(&args.name, role, args.products.as_deref(), &hash, expires)
        .map_err(store_error)?;
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
