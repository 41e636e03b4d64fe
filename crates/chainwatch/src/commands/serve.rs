//! `chainwatch serve` and `chainwatch token …`.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{ServeArgs, WorkArgs};
use crate::output::{Context, InputError, Status};
use crate::shared::store::open;

/// `chainwatch.toml`: defaults for `serve`'s and `worker`'s flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    workers: Option<usize>,
    job_lease: Option<u64>,
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
    let file = file_config(args.work.config.as_deref())?;
    let listen = args
        .listen
        .clone()
        .or(file.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let defaults = chainwatch_server::Config::default();
    let config = chainwatch_server::Config {
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
        ..defaults
    };
    let tls = match (
        args.tls_cert.clone().or(file.tls_cert.clone()),
        args.tls_key.clone().or(file.tls_key.clone()),
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
    let config = chainwatch_server::Config {
        secure_cookies: tls.is_some() || args.cookie_secure,
        ..config
    };
    let (store, config, log) = start_work(ctx, &args.work, file, config)?;
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

/// `chainwatch worker`: durable jobs only, until ctrl-c or SIGTERM.
pub(crate) fn worker(ctx: &Context, args: &WorkArgs) -> anyhow::Result<Status> {
    let file = file_config(args.config.as_deref())?;
    if args.workers.map(usize::from).or(file.workers) == Some(0) {
        return Err(InputError("`--workers 0`: a worker process needs at least one".into()).into());
    }
    let (store, config, log) = start_work(ctx, args, file, chainwatch_server::Config::default())?;
    log(&serde_json::json!({
        "event": "working",
        "workers": config.workers,
        "store": store.backend(),
    })
    .to_string());
    let workers = chainwatch_server::Workers::start(store.clone(), config, log.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(chainwatch_server::stopped());
    drop(runtime);
    let finished = workers.stop(Duration::from_secs(30));
    log(&serde_json::json!({"event": "stopped", "jobs_finished": finished}).to_string());
    drop(store);
    Ok(Status::Success)
}

/// The configuration file's settings (none without one).
fn file_config(path: Option<&std::path::Path>) -> anyhow::Result<FileConfig> {
    Ok(match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| InputError(format!("cannot read `{}`: {e}", path.display())))?;
            toml::from_str(&text).map_err(|e| InputError(format!("`{}`: {e}", path.display())))?
        }
        None => FileConfig::default(),
    })
}

/// What `serve` and `worker` share: the store (migrated), the settings of job workers,
/// webhooks and the scheduled update (started here when asked for), and the log.
fn start_work(
    ctx: &Context,
    args: &WorkArgs,
    file: FileConfig,
    config: chainwatch_server::Config,
) -> anyhow::Result<(
    Arc<chainwatch_store::Store>,
    chainwatch_server::Config,
    chainwatch_server::LogSink,
)> {
    if let Some(n) = file.workers
        && n > 256
    {
        return Err(InputError(format!("`workers = {n}`: expected 0 to 256 threads")).into());
    }
    if let Some(lease) = file.job_lease
        && !(3..=86_400).contains(&lease)
    {
        return Err(InputError(format!(
            "`job_lease = {lease}`: expected seconds from 3 to 86400"
        ))
        .into());
    }
    let config = chainwatch_server::Config {
        max_upload: args
            .max_upload
            .or(file.max_upload)
            .map_or(config.max_upload, |mib| mib.saturating_mul(1024 * 1024)),
        workers: args
            .workers
            .map(usize::from)
            .or(file.workers)
            .unwrap_or(config.workers),
        job_lease: args
            .job_lease
            .or(file.job_lease)
            .map_or(config.job_lease, Duration::from_secs),
        corpus: chainwatch_typosquat::CorpusSources {
            refreshed: Some(crate::shared::typosquat::refreshed_dir()),
            ..Default::default()
        },
        ..config
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
            },
            notifier,
            log.clone(),
        );
    }
    Ok((store, config, log))
}
