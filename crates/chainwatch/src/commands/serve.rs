//! `chainwatch serve` and `chainwatch token …`.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::cli::ServeArgs;
use crate::output::{Context, InputError, Status};
use crate::shared::store::open;

/// `chainwatch.toml`: defaults for `serve`'s flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    max_upload: Option<usize>,
    async_upload_above: Option<usize>,
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
        async_upload_above: args
            .async_upload_above
            .or(file.async_upload_above)
            .map_or(defaults.async_upload_above, |mib| {
                mib.saturating_mul(1024 * 1024)
            }),
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
            refreshed: Some(crate::shared::typosquat::refreshed_dir()),
            ..Default::default()
        },
        secure_cookies: false,
    };
    let update_every = args
        .update_every
        .clone()
        .or(file.update_every)
        .map(|t| {
            crate::shared::time::interval(&t).ok_or_else(|| {
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
    store.migrate()?;
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
        secure_cookies: tls.is_some() || args.cookie_secure,
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
                cache: crate::shared::files::osv_cache_dir(None),
                corpus: config.corpus.clone(),
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
