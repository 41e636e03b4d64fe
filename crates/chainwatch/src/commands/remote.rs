//! `--server URL`: the store commands that CI jobs need, through a chainwatch server's
//! API, with the same JSON shapes as against a store. Commands that need no store run
//! locally; the others say they need one.

use std::io::{self, Write};

use serde_json::Value;

use crate::cli::{
    Advisories, Command, Format, IngestArgs, PolicyCommand, Query, ReportFormat, Vex,
};
use crate::output::{BOLD, DIM, ERROR, InputError, Status};

/// What `run` did with a command.
pub(crate) enum Outcome {
    Done(anyhow::Result<Status>),
    /// A command that needs no store: run it locally.
    Local(Box<Command>),
}

struct Remote {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Remote {
    fn new(server: &str, token: Option<&str>) -> anyhow::Result<Remote> {
        let base = server.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(InputError(format!("`--server {server}`: expected an http(s) URL")).into());
        }
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                InputError("`--server` needs a token: `--token` or `CHAINWATCH_TOKEN`".into())
            })?
            .to_owned();
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build(),
        );
        Ok(Remote { base, token, agent })
    }

    /// The JSON answer of a request; problems become errors (4xx: the caller's, exit 2).
    fn answer(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut r = response
            .map_err(|e| anyhow::anyhow!("cannot reach the server `{}`: {e}", self.base))?;
        let status = r.status().as_u16();
        let text = r.body_mut().with_config().limit(1 << 30).read_to_string()?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status >= 400 {
            let detail = value
                .get("detail")
                .and_then(Value::as_str)
                .map_or_else(|| value.to_string(), str::to_owned);
            let message = format!("the server answered {status}: {detail}");
            return Err(if status < 500 {
                InputError(message).into()
            } else {
                anyhow::anyhow!(message)
            });
        }
        Ok((status, value))
    }

    fn get(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<Value> {
        let mut req = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token));
        for (k, v) in query {
            req = req.query(*k, v);
        }
        Ok(self.answer(req.call())?.1)
    }

    /// Waits for the job a `202 Accepted` answer names to end: its result when done,
    /// its problem as an error when dead (a 4xx problem: the caller's input, exit 2).
    fn finished_job(&self, accepted: &Value) -> anyhow::Result<Value> {
        let url = accepted["url"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("the server accepted the upload without a job URL"))?;
        let started = std::time::Instant::now();
        let mut wait = std::time::Duration::from_millis(100);
        loop {
            let job = self.get(url, &[])?;
            match job["state"].as_str() {
                Some("done") => return Ok(job["result"].clone()),
                Some("dead") => {
                    let status = job["problem"]["status"].as_u64().unwrap_or(500);
                    let message = format!(
                        "the server's job `{}` failed: {}",
                        job["id"],
                        job["error"].as_str().unwrap_or("no reason given")
                    );
                    return Err(if status < 500 {
                        InputError(message).into()
                    } else {
                        anyhow::anyhow!(message)
                    });
                }
                _ if started.elapsed() > std::time::Duration::from_hours(1) => {
                    anyhow::bail!(
                        "the server's job `{}` did not end within an hour",
                        job["id"]
                    )
                }
                _ => {
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(std::time::Duration::from_secs(2));
                }
            }
        }
    }

    fn post(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &[u8],
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Content-Type", "application/octet-stream");
        for (k, v) in query {
            req = req.query(*k, v);
        }
        self.answer(req.send(body))
    }
}

/// Runs `command` against the server at `server`, or hands it back to run locally.
pub(crate) fn run(server: &str, token: Option<&str>, command: Command) -> Outcome {
    let remote = match &command {
        Command::Sbom(crate::cli::Sbom::Export(_)) => match Remote::new(server, token) {
            Ok(r) => r,
            Err(e) => return Outcome::Done(Err(e)),
        },
        Command::Inspect(_)
        | Command::Verify(_)
        | Command::Completions(_)
        | Command::Sbom(_)
        | Command::Policy(PolicyCommand::Test(_)) => {
            return Outcome::Local(Box::new(command));
        }
        _ => match Remote::new(server, token) {
            Ok(r) => r,
            Err(e) => return Outcome::Done(Err(e)),
        },
    };
    Outcome::Done(match command {
        Command::Ingest(args) => ingest(&remote, &args),
        Command::Products(args) if args.product.is_none() => products(&remote, args.output.format),
        Command::Query(Query::WhoHas(args)) => {
            let mut q = vec![("purl", args.purl)];
            q.extend(args.range.map(|r| ("range", r)));
            rows(
                &remote,
                "/api/v1/query/who-has",
                &q,
                args.output.format,
                |r| {
                    format!(
                        "{BOLD}{}@{}{BOLD:#}  {}",
                        s(r, "product"),
                        s(r, "version"),
                        s(r, "package")
                    )
                },
            )
        }
        Command::Query(Query::Why(args)) => {
            let q = vec![
                ("product", args.product.to_string()),
                ("purl", args.purl),
                ("max_paths", args.max_paths.to_string()),
            ];
            rows(&remote, "/api/v1/query/why", &q, args.output.format, |r| {
                let path: Vec<&str> = r["path"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                format!(
                    "{BOLD}{}@{}{BOLD:#}: {}",
                    s(r, "product"),
                    s(r, "version"),
                    path.join(" -> ")
                )
            })
        }
        Command::Query(Query::Affected(args)) => rows(
            &remote,
            &format!("/api/v1/query/affected/{}", args.id),
            &[],
            args.output.format,
            |r| {
                format!(
                    "{BOLD}{}@{}{BOLD:#}  {}  {}",
                    s(r, "product"),
                    s(r, "version"),
                    s(r, "package"),
                    s(r, "advisory")
                )
            },
        ),
        Command::Findings(args) => {
            let mut q = Vec::new();
            if let Some(spec) = &args.product {
                q.push(("product", spec.name.clone()));
                q.extend(spec.version.clone().map(|v| ("version", v)));
            }
            if let Some(m) = args.min_severity {
                q.push(("min_severity", format!("{m:?}").to_ascii_lowercase()));
            }
            if args.all {
                q.push(("all", "true".to_owned()));
            }
            if args.format == ReportFormat::Sarif {
                q.push(("format", "sarif".to_owned()));
                return Outcome::Done(sarif(&remote, &q));
            }
            let format = if args.format == ReportFormat::Json {
                Format::Json
            } else {
                Format::Human
            };
            rows(&remote, "/api/v1/findings", &q, format, |r| {
                format!(
                    "{BOLD}{}@{}{BOLD:#}  {}  {} {DIM}({}){DIM:#}",
                    s(r, "product"),
                    s(r, "version"),
                    s(r, "package"),
                    s(r, "advisory"),
                    r["severity"].as_str().unwrap_or("unknown severity")
                )
            })
        }
        Command::Sbom(crate::cli::Sbom::Export(args)) => export(&remote, &args),
        Command::Policy(PolicyCommand::Apply(args)) => policy_apply(&remote, &args),
        Command::Policy(PolicyCommand::Show(args)) => policy_show(&remote, args.format),
        Command::Policy(PolicyCommand::Violations(args)) => violations(&remote, &args),
        Command::Vex(Vex::Import(args)) => {
            uploads(&remote, "/api/v1/vex", &args.paths, args.output.format)
        }
        Command::Advisories(Advisories::Import(args)) => uploads(
            &remote,
            "/api/v1/advisories",
            &args.paths,
            args.output.format,
        ),
        other => Err(InputError(format!(
            "`{}` does not work with --server yet: run it where the store is",
            name_of(&other)
        ))
        .into()),
    })
}

fn name_of(command: &Command) -> &'static str {
    match command {
        Command::Scan(_) => "scan",
        Command::Products(_) => "products PRODUCT",
        Command::Query(_) => "query",
        Command::Db(_) => "db",
        Command::Advisories(_) => "advisories",
        Command::Vex(_) => "vex",
        Command::Serve(_) => "serve",
        Command::Worker(_) => "worker",
        Command::Token(_) => "token",
        Command::Typosquat(_) => "typosquat",
        Command::Policy(_) => "policy check",
        _ => "this command",
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Every item of a list endpoint: pages followed to the end (a bare array is one page).
fn all_items(remote: &Remote, path: &str, query: &[(&str, String)]) -> anyhow::Result<Vec<Value>> {
    let mut list = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = query.to_vec();
        q.push(("limit", "500".to_owned()));
        q.extend(cursor.take().map(|c| ("cursor", c)));
        match remote.get(path, &q)? {
            Value::Array(items) => {
                list.extend(items);
                return Ok(list);
            }
            page => {
                list.extend(page["items"].as_array().cloned().unwrap_or_default());
                match page["next"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => return Ok(list),
                }
            }
        }
    }
}

/// A list printed as a JSON array, or a line each.
fn print_list(list: &[Value], format: Format, line: impl Fn(&Value) -> String) -> io::Result<()> {
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        Format::Json => {
            serde_json::to_writer(&mut out, list)?;
            writeln!(out)?;
        }
        Format::Human => {
            for r in list {
                writeln!(out, "{}", line(r))?;
            }
        }
    }
    out.flush()
}

/// A list from the server, printed; exit 1 when it is empty.
fn rows(
    remote: &Remote,
    path: &str,
    query: &[(&str, String)],
    format: Format,
    line: impl Fn(&Value) -> String,
) -> anyhow::Result<Status> {
    let list = all_items(remote, path, query)?;
    print_list(&list, format, line)?;
    Ok(if list.is_empty() {
        Status::Findings
    } else {
        Status::Success
    })
}

/// The server's SARIF log, as is.
fn sarif(remote: &Remote, query: &[(&str, String)]) -> anyhow::Result<Status> {
    let log = remote.get("/api/v1/findings", query)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    serde_json::to_writer_pretty(&mut out, &log)?;
    writeln!(out)?;
    out.flush()?;
    Ok(Status::Success)
}

/// The most recently updated version of a product on the server.
fn newest_version(remote: &Remote, product: &str) -> anyhow::Result<String> {
    all_items(remote, "/api/v1/products", &[])?
        .iter()
        .filter(|p| s(p, "name") == product)
        .max_by(|a, b| s(a, "updated").cmp(s(b, "updated")))
        .map(|p| s(p, "version").to_owned())
        .ok_or_else(|| InputError(format!("no product `{product}` on the server")).into())
}

/// `sbom export PRODUCT[@VERSION] --to FORMAT` through the server: the version's current
/// document, converted by the server.
fn export(remote: &Remote, args: &crate::cli::ExportArgs) -> anyhow::Result<Status> {
    let product = &args.product.name;
    let version = match args.product.version.clone() {
        Some(v) => v,
        None => newest_version(remote, product)?,
    };
    let detail = remote.get(
        &format!(
            "/api/v1/products/{}/versions/{}",
            percent(product),
            percent(&version)
        ),
        &[],
    )?;
    let id = detail["history"]
        .as_array()
        .and_then(|h| h.last())
        .and_then(|d| d["id"].as_i64())
        .ok_or_else(|| InputError(format!("no document for `{product}@{version}`")))?;
    let format = match args.to.format() {
        chainwatch_sbom::Format::CycloneDxJson => "cyclonedx-json",
        chainwatch_sbom::Format::CycloneDxXml => "cyclonedx-xml",
        chainwatch_sbom::Format::SpdxJson => "spdx-json",
        chainwatch_sbom::Format::Spdx3JsonLd => "spdx3-jsonld",
        _ => "spdx-tv",
    };
    let mut r = remote
        .agent
        .get(format!("{}/api/v1/sboms/{id}", remote.base))
        .header("Authorization", &format!("Bearer {}", remote.token))
        .query("format", format)
        .call()
        .map_err(|e| anyhow::anyhow!("cannot reach the server `{}`: {e}", remote.base))?;
    let status = r.status().as_u16();
    let text = r.body_mut().with_config().limit(1 << 31).read_to_string()?;
    if status >= 400 {
        return Err(InputError(format!("the server answered {status}: {text}")).into());
    }
    match &args.output {
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => crate::shared::files::write_atomically(path, text.as_bytes())?,
    }
    Ok(Status::Success)
}

/// A path segment, percent-encoded.
fn percent(segment: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn products(remote: &Remote, format: Format) -> anyhow::Result<Status> {
    let all = all_items(remote, "/api/v1/products", &[])?;
    print_list(&all, format, |p| {
        format!(
            "{BOLD}{}@{}{BOLD:#}  {} components, {} documents {DIM}(updated {}){DIM:#}",
            s(p, "name"),
            s(p, "version"),
            p["components"],
            p["documents"],
            s(p, "updated")
        )
    })?;
    Ok(Status::Success)
}

/// Uploads each file; one JSON line (or human line) per file; exit 2 if any failed.
fn uploads(
    remote: &Remote,
    path: &str,
    files: &[std::path::PathBuf],
    format: Format,
) -> anyhow::Result<Status> {
    let mut failed = 0;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for file in crate::shared::files::collect_files(files) {
        let (shown, result) = match file {
            Err((p, message)) => (p.display().to_string(), Err(anyhow::anyhow!(message))),
            Ok(p) => {
                let shown = p.display().to_string();
                let result = crate::shared::files::read_path(&p)
                    .map_err(|m| anyhow::anyhow!(m))
                    .and_then(|bytes| remote.post(path, &[], &bytes).map(|(_, v)| v));
                (shown, result)
            }
        };
        let value = match result {
            Ok(Value::Object(mut m)) => {
                m.insert("path".into(), Value::String(shown.clone()));
                Value::Object(m)
            }
            Ok(other) => serde_json::json!({"path": shown, "result": other}),
            Err(e) => {
                if e.downcast_ref::<InputError>().is_none()
                    && e.to_string().starts_with("cannot reach")
                {
                    return Err(e);
                }
                failed += 1;
                serde_json::json!({"path": shown, "status": "error", "error": e.to_string()})
            }
        };
        match format {
            Format::Json => {
                serde_json::to_writer(&mut out, &value)?;
                writeln!(out)?;
            }
            Format::Human => match value.get("error").and_then(Value::as_str) {
                Some(e) => writeln!(out, "{shown}: {ERROR}error{ERROR:#}: {e}")?,
                None => writeln!(
                    out,
                    "{shown}: {}",
                    Value::Object(value.as_object().cloned().unwrap_or_default())
                )?,
            },
        }
    }
    out.flush()?;
    Ok(if failed > 0 {
        Status::BadInput
    } else {
        Status::Success
    })
}

fn ingest(remote: &Remote, args: &IngestArgs) -> anyhow::Result<Status> {
    let mut query = Vec::new();
    query.extend(args.product.clone().map(|p| ("product", p)));
    query.extend(args.product_version.clone().map(|v| ("version", v)));
    if !args.tag.is_empty() {
        query.push(("tags", args.tag.join(",")));
    }
    let mut failed = 0;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for file in crate::shared::files::collect_files(&args.paths) {
        let (shown, result) = match file {
            Err((p, message)) => (p.display().to_string(), Err(anyhow::anyhow!(message))),
            Ok(p) => {
                let shown = if p.as_os_str() == "-" {
                    "<stdin>".to_owned()
                } else {
                    p.display().to_string()
                };
                let result = crate::shared::files::read_path(&p)
                    .map_err(|m| anyhow::anyhow!(m))
                    .and_then(|bytes| {
                        if chainwatch_attest::sniff(&bytes) {
                            return Err(InputError("attestations are not uploaded through --server yet: ingest them where the store is".into()).into());
                        }
                        match remote.post("/api/v1/sboms", &query, &bytes)? {
                            // Large: a job of the server stores it.
                            (202, accepted) => remote.finished_job(&accepted),
                            (_, v) => Ok(v),
                        }
                    });
                (shown, result)
            }
        };
        // The same shape as `ingest --format json` against a store.
        let line = match result {
            Ok(v) => serde_json::json!({
                "path": shown,
                "status": if v["stored"] == true { "stored" } else { "unchanged" },
                "stored": v["stored"],
                "document": v["document"],
                "product": v["product"],
                "version": v["version"],
                "format": v["format"],
                "digest": v["digest"],
                "components": v["components"],
                "edges": v["edges"],
            }),
            Err(e) => {
                if e.downcast_ref::<InputError>().is_none()
                    && e.to_string().starts_with("cannot reach")
                {
                    return Err(e);
                }
                failed += 1;
                serde_json::json!({"path": shown, "status": "error", "error": e.to_string()})
            }
        };
        match args.format {
            Format::Json => {
                serde_json::to_writer(&mut out, &line)?;
                writeln!(out)?;
            }
            Format::Human => match line.get("error").and_then(Value::as_str) {
                Some(e) => writeln!(out, "{shown}: {ERROR}error{ERROR:#}: {e}")?,
                None => writeln!(
                    out,
                    "{shown}: {} {BOLD}{}@{}{BOLD:#} (document {}, {} components)",
                    if line["stored"] == true {
                        "stored as"
                    } else {
                        "already stored as"
                    },
                    s(&line, "product"),
                    s(&line, "version"),
                    line["document"],
                    line["components"]
                )?,
            },
        }
    }
    out.flush()?;
    Ok(if failed > 0 {
        Status::BadInput
    } else {
        Status::Success
    })
}

/// `policy apply FILE --server`: checked here (errors located, examples run), then made
/// the server's active policy (an admin token), which evaluates it.
fn policy_apply(remote: &Remote, args: &crate::cli::PolicyApplyArgs) -> anyhow::Result<Status> {
    let text = match &args.file {
        Some(path) if !args.remove => super::policy::checked_text(path)?,
        _ => String::new(),
    };
    let req = remote
        .agent
        .put(format!("{}/api/v1/policy", remote.base))
        .header("Authorization", &format!("Bearer {}", remote.token))
        .header("Content-Type", "application/toml");
    let (_, v) = remote.answer(req.send(text.as_bytes()))?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.output.format {
        Format::Json => {
            serde_json::to_writer(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Human => {
            if v["active"] == true {
                writeln!(
                    out,
                    "applied a policy of {} rules ({})",
                    v["rules"],
                    s(&v, "digest")
                )?;
            } else {
                writeln!(out, "no active policy")?;
            }
            writeln!(
                out,
                "{DIM}{} product versions evaluated: {} violations hold, {} new, {} resolved{DIM:#}",
                v["versions"], v["open"], v["new"], v["resolved"]
            )?;
        }
    }
    out.flush()?;
    Ok(Status::Success)
}

/// `policy show --server`.
fn policy_show(remote: &Remote, format: Format) -> anyhow::Result<Status> {
    let v = remote.get("/api/v1/policy", &[])?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        Format::Json => {
            serde_json::to_writer(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Human => match v["text"].as_str() {
            Some(text) => write!(out, "{text}")?,
            None => writeln!(out, "{DIM}no active policy{DIM:#}")?,
        },
    }
    out.flush()?;
    Ok(Status::Success)
}

/// `policy violations --server`: every page, printed as against a store.
fn violations(remote: &Remote, args: &crate::cli::ViolationsArgs) -> anyhow::Result<Status> {
    let query = super::policy::query_of(args);
    let mut q: Vec<(&str, String)> = Vec::new();
    q.extend(query.product.map(|p| ("product", p)));
    q.extend(query.version.map(|v| ("version", v)));
    q.extend(query.rule.map(|r| ("rule", r)));
    q.extend(query.level.map(|l| ("level", l.as_str().to_owned())));
    q.push((
        "state",
        match query.state {
            chainwatch_store::ViolationState::Open => "open",
            chainwatch_store::ViolationState::Resolved => "resolved",
            chainwatch_store::ViolationState::All => "all",
        }
        .to_owned(),
    ));
    let rows = all_items(remote, "/api/v1/violations", &q)?;
    super::policy::print_violations(&rows, args.format)
}
