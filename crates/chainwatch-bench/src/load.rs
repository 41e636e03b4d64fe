//! The server under load: `chainwatch serve` (the release binary) on loopback, on SQLite
//! and on PostgreSQL, with 16 and 64 clients on kept-alive connections asking `who-has`
//! and listing products, and 16 clients uploading SBOMs. The clients are threads of this
//! process speaking HTTP/1.1 over plain sockets (no client library between them and the
//! server); they share the machine's cores with the server, as `wrk` would.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "percentiles and rates from floats"
)]

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::machine::{self, percentile};
use crate::store::{POOL, Rng, SBOMS, generate_portfolio};

/// Documents stored before the queries (of the portfolio's 10,000).
const STORED: usize = 2_000;
/// How long each scenario runs, after a warm-up of a second.
const RUN: Duration = Duration::from_secs(10);
const WARMUP: Duration = Duration::from_secs(1);

/// What the clients of one scenario saw.
struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
    elapsed: Duration,
}

/// One request: the line and headers up to the body, and the body.
struct Request {
    head: String,
    body: Arc<Vec<u8>>,
}

/// A kept-alive HTTP/1.1 connection.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_mins(1)))?;
        Ok(Client {
            reader: BufReader::with_capacity(64 << 10, stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends the request and reads the whole answer: its status and body length.
    fn send(&mut self, request: &Request) -> anyhow::Result<(u16, usize)> {
        self.writer.write_all(request.head.as_bytes())?;
        if !request.body.is_empty() {
            self.writer.write_all(&request.body)?;
        }
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("status line `{}`", line.trim_end()))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                bail!("the server closed the connection");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                }
            }
        }
        let mut read = 0;
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim_end(), 16)
                    .with_context(|| format!("chunk size `{}`", line.trim_end()))?;
                let mut crlf = [0; 2];
                if size == 0 {
                    self.reader.read_exact(&mut crlf)?;
                    break;
                }
                read += self.skip(size)?;
                self.reader.read_exact(&mut crlf)?;
            }
        } else if let Some(n) = length {
            read = self.skip(n)?;
        }
        Ok((status, read))
    }

    fn skip(&mut self, n: usize) -> anyhow::Result<usize> {
        let copied = std::io::copy(&mut (&mut self.reader).take(n as u64), &mut std::io::sink())?;
        if copied != n as u64 {
            bail!("the body ended after {copied} of {n} bytes");
        }
        Ok(n)
    }
}

/// What a client sends next (given its number and generator).
type Next = Arc<dyn Fn(usize, &mut Rng) -> Request + Send + Sync>;

/// `clients` threads, each on its own connection (client `c` to `addrs[c % n]`),
/// sending what `next` gives them for [`WARMUP`] and then [`RUN`]; latencies are kept
/// from after the warm-up.
fn drive(addrs: &[SocketAddr], clients: usize, next: &Next) -> anyhow::Result<Outcome> {
    let start = Instant::now() + Duration::from_millis(100);
    let measure_from = start + WARMUP;
    let end = measure_from + RUN;
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let next = Arc::clone(next);
            let addr = addrs[c % addrs.len()];
            std::thread::spawn(move || -> anyhow::Result<Outcome> {
                let mut client = Client::connect(addr)?;
                let mut rng = Rng(0x5151_0000 + c as u64 * 7919);
                let mut out = Outcome {
                    latencies: Vec::new(),
                    errors: 0,
                    first_error: None,
                    elapsed: RUN,
                };
                std::thread::sleep(start.saturating_duration_since(Instant::now()));
                loop {
                    let request = next(c, &mut rng);
                    let t = Instant::now();
                    if t >= end {
                        break;
                    }
                    let answer = client.send(&request);
                    let took = t.elapsed();
                    let ok = matches!(answer, Ok((200..=299, _)));
                    if t >= measure_from {
                        out.latencies.push(took);
                        if !ok {
                            out.errors += 1;
                        }
                    }
                    if !ok && out.first_error.is_none() {
                        out.first_error = Some(match &answer {
                            Ok((status, _)) => format!("status {status}"),
                            Err(e) => e.to_string(),
                        });
                    }
                    if answer.is_err() {
                        client = Client::connect(addr)?;
                    }
                }
                Ok(out)
            })
        })
        .collect();
    let mut total = Outcome {
        latencies: Vec::new(),
        errors: 0,
        first_error: None,
        elapsed: RUN,
    };
    for t in threads {
        let o = t
            .join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        total.latencies.extend(o.latencies);
        total.errors += o.errors;
        total.first_error = total.first_error.or(o.first_error);
    }
    total.latencies.sort();
    Ok(total)
}

fn get(path: &str, token: &str) -> Request {
    Request {
        head: format!(
            "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
        body: Arc::new(Vec::new()),
    }
}

/// `%`-escapes what a query value may not hold as it is.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A running `chainwatch serve`, stopped when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts the server; its log goes to `log`.
    fn start(bin: &str, db: &str, log: &Path) -> anyhow::Result<Server> {
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = Command::new(bin)
            .args(["--db", db, "serve", "--listen", &addr.to_string()])
            // The rate limit would be the bottleneck, not the server.
            .args(["--rate-limit", "4000000000"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("starting chainwatch serve")?;
        let server = Server { child, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut c) = Client::connect(addr)
                && matches!(
                    c.send(&Request {
                        head: "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n".into(),
                        body: Arc::new(Vec::new()),
                    }),
                    Ok((200, _))
                )
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("the server did not answer /healthz within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's peak resident memory so far, in MiB.
    fn peak_rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            })
            .map_or(0.0, |kib| kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// An admin token's secret, created in the store `db`.
fn token(bin: &str, db: &str) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .args(["--db", db, "--quiet", "token", "create", "--name"])
        .arg(format!("bench-{}", std::process::id()))
        .args(["--role", "admin", "--format", "json"])
        .output()
        .context("chainwatch token create")?;
    if !out.status.success() {
        bail!(
            "chainwatch token create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    v["token"]
        .as_str()
        .map(str::to_owned)
        .context("no `token` in the answer of token create")
}

/// The first [`STORED`] documents of the portfolio, linked into a directory of their own.
fn stored_documents(portfolio: &Path, dir: &Path) -> anyhow::Result<()> {
    if dir.join(".complete").exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    for doc in 0..STORED {
        let name = format!("{doc:05}.cdx.json");
        let to = dir.join(&name);
        if !to.exists() {
            std::fs::hard_link(portfolio.join(&name), &to)
                .or_else(|_| std::fs::copy(portfolio.join(&name), &to).map(|_| ()))?;
        }
    }
    std::fs::write(dir.join(".complete"), b"")?;
    Ok(())
}

fn ingest(bin: &str, db: &str, dir: &Path) -> anyhow::Result<()> {
    let status = Command::new(bin)
        .args(["--db", db, "--quiet", "ingest", "--no-typosquat"])
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .context("chainwatch ingest")?;
    if !status.success() {
        bail!("chainwatch ingest {} failed", dir.display());
    }
    Ok(())
}

/// One upload sent alone to a server just started: the first one builds its typo-squat
/// check while every other waits.
fn prime(server: &Server, next: &Next) -> anyhow::Result<()> {
    let (status, _) = Client::connect(server.addr)?.send(&next(0, &mut Rng(1)))?;
    anyhow::ensure!(
        (200..300).contains(&status),
        "priming upload: status {status}"
    );
    Ok(())
}

/// The table row of one scenario's outcome: its rate and p99.
fn row(s: &mut String, what: &str, label: &str, clients: usize, o: &Outcome) -> (f64, Duration) {
    let rate = o.latencies.len() as f64 / o.elapsed.as_secs_f64();
    let p99 = percentile(&o.latencies, 0.99);
    let _ = writeln!(
        s,
        "| {what} | {label} | {clients} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
        machine::thousands(rate),
        percentile(&o.latencies, 0.5).as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        percentile(&o.latencies, 1.0).as_secs_f64() * 1000.0,
        match (o.errors, &o.first_error) {
            (0, _) => "0".to_owned(),
            (n, Some(e)) => format!("{n} ({e})"),
            (n, None) => n.to_string(),
        }
    );
    eprintln!("{label}: {what} × {clients}: {rate:.0}/s, p99 {p99:?}");
    (rate, p99)
}

/// Documents to upload, and how many were sent (each at most once per store).
#[derive(Clone)]
struct Uploads {
    documents: Arc<Vec<Arc<Vec<u8>>>>,
    sent: Arc<std::sync::atomic::AtomicUsize>,
}

/// The next document the store does not have yet, as an upload.
fn upload(uploads: &Uploads, token: &Arc<str>) -> Next {
    let (uploads, token) = (uploads.clone(), Arc::clone(token));
    Arc::new(move |_, _: &mut Rng| {
        let i = uploads
            .sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let body = Arc::clone(&uploads.documents[i % uploads.documents.len()]);
        Request {
            head: format!(
                "POST /api/v1/sboms HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/vnd.cyclonedx+json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            body,
        }
    })
}

/// Uploads by 16 clients spread over three replicas of the server on one PostgreSQL
/// database (the first replica is `first`; two more are started, and each primed with
/// one upload as [`scenarios`] primes the first): its rate and p99.
fn replicas(
    s: &mut String,
    bin: &str,
    db: &str,
    data: &Path,
    first: &Server,
    token: &str,
    uploads: &Uploads,
) -> anyhow::Result<(f64, Duration)> {
    let token: Arc<str> = Arc::from(token);
    let next = upload(uploads, &token);
    let mut more = Vec::new();
    for r in 2..=3 {
        let log = data.join(format!("load-server-postgresql-{r}.log"));
        let server = Server::start(bin, db, &log)?;
        prime(&server, &next)?;
        more.push(server);
    }
    let addrs: Vec<SocketAddr> = std::iter::once(first.addr)
        .chain(more.iter().map(|m| m.addr))
        .collect();
    let o = drive(&addrs, 16, &next)?;
    Ok(row(s, "upload", "PostgreSQL, 3 replicas", 16, &o))
}

/// One table row per scenario, for one backend.
fn scenarios(
    s: &mut String,
    label: &str,
    server: &Server,
    token: &str,
    pool: &Arc<Vec<String>>,
    uploads: &Uploads,
) -> anyhow::Result<Vec<(String, f64, Duration)>> {
    let mut results = Vec::new();
    let mut first_upload = None;
    let token: Arc<str> = Arc::from(token);
    // `CHAINWATCH_LOAD_ONLY=upload` (scenario names, comma-separated) for working on one.
    let only = std::env::var("CHAINWATCH_LOAD_ONLY").ok();
    for (what, clients) in [
        ("who-has", 16),
        ("who-has", 64),
        ("products", 16),
        ("products", 64),
        ("upload", 16),
    ] {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|w| w == what))
        {
            continue;
        }
        let next: Next = match what {
            "who-has" => {
                let (pool, token) = (Arc::clone(pool), Arc::clone(&token));
                Arc::new(move |_, rng: &mut Rng| {
                    let purl = &pool[rng.popular(POOL)];
                    let name = purl.split('@').next().unwrap_or(purl);
                    get(
                        &format!("/api/v1/query/who-has?purl={}&limit=100", escape(name)),
                        &token,
                    )
                })
            }
            "products" => {
                let token = Arc::clone(&token);
                Arc::new(move |_, _: &mut Rng| get("/api/v1/products?limit=100", &token))
            }
            _ => upload(uploads, &token),
        };
        if what == "upload" {
            // The first upload after a start counts the portfolio's names for the
            // typo-squat check while every other upload waits for it: reported on its
            // own, so the table shows uploads as they go on afterwards.
            let t = Instant::now();
            prime(server, &next)?;
            first_upload = Some(t.elapsed());
        }
        let o = drive(&[server.addr], clients, &next)?;
        let (rate, p99) = row(s, what, label, clients, &o);
        results.push((format!("{what} × {clients}"), rate, p99));
    }
    let _ = writeln!(
        s,
        "| | {label}: server peak RSS {:.0} MiB{} | | | | | | |",
        server.peak_rss_mib(),
        first_upload.map_or(String::new(), |t| format!(
            "; the first upload after the start (it counts the portfolio's names) {:.2} s",
            t.as_secs_f64()
        ))
    );
    Ok(results)
}

pub(crate) fn run() -> anyhow::Result<String> {
    let data = chainwatch_testkit::workspace_root().join("target/bench-data");
    let portfolio = data.join("portfolio");
    let pool = Arc::new(generate_portfolio(&portfolio)?);
    let stored = data.join("load-portfolio");
    stored_documents(&portfolio, &stored)?;
    // Uploads: documents the stores do not have yet, each at most once per backend.
    let documents: Arc<Vec<Arc<Vec<u8>>>> = Arc::new(
        (STORED..SBOMS)
            .map(|doc| std::fs::read(portfolio.join(format!("{doc:05}.cdx.json"))).map(Arc::new))
            .collect::<Result<_, _>>()?,
    );
    let bin: PathBuf = crate::sbom::chainwatch_binary()?;
    let bin = bin.to_str().context("UTF-8 path")?;

    let sqlite = data.join("load.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite.display()));
    }
    let sqlite = sqlite.display().to_string();
    let pg = crate::store::pg_url("bench_load")?;

    let mut s = String::new();
    let _ = writeln!(
        s,
        "Machine: {}.\n",
        machine::describe().replace(", one thread", "")
    );
    let _ = writeln!(
        s,
        "`chainwatch serve` (release build, default settings but the rate limit) on loopback, \
         on a store holding {STORED} of the portfolio's SBOMs ({} components). Clients are \
         threads of the benchmark on kept-alive HTTP/1.1 connections, on the same 2 cores as \
         the server; each scenario runs {} s after a warm-up of {} s. `who-has` asks for a \
         package drawn like the store benchmark's questions (popular ones more often, first \
         page of 100); `products` lists the first 100 product versions; `upload` posts \
         portfolio SBOMs of 500 components that the store does not have yet, after one \
         upload sent alone (timed on its own) that builds the typo-squat check.\n",
        machine::thousands((STORED * 501) as f64),
        RUN.as_secs(),
        WARMUP.as_secs()
    );
    let _ = writeln!(
        s,
        "| scenario | store | clients | requests/s | p50 | p99 | max | errors |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|");
    let mut all = Vec::new();
    let mut scaled = None;
    let backends = std::env::var("CHAINWATCH_LOAD_BACKENDS").unwrap_or_default();
    for (label, db) in [("SQLite", sqlite.as_str()), ("PostgreSQL", pg.as_str())] {
        if !backends.is_empty() && !backends.split(',').any(|b| b.eq_ignore_ascii_case(label)) {
            continue;
        }
        ingest(bin, db, &stored)?;
        let token = token(bin, db)?;
        let log = data.join(format!("load-server-{}.log", label.to_lowercase()));
        let server = Server::start(bin, db, &log)?;
        let uploads = Uploads {
            documents: Arc::clone(&documents),
            sent: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        };
        let results = scenarios(&mut s, label, &server, &token, &pool, &uploads)?;
        let one = results
            .iter()
            .find(|(what, _, _)| what == "upload × 16")
            .map(|(_, rate, _)| *rate);
        if label == "PostgreSQL"
            && let Some(one) = one
        {
            let (three, _) = replicas(&mut s, bin, db, &data, &server, &token, &uploads)?;
            scaled = Some((one, three));
        }
        all.push(results);
    }
    if let Some((one, three)) = scaled {
        let _ = writeln!(
            s,
            "\nUploads on PostgreSQL, three replicas against one: {:.2}× ({} vs {} uploads/s; \
             all replicas, the clients and PostgreSQL share the same 2 cores).",
            three / one,
            machine::thousands(three),
            machine::thousands(one)
        );
    }
    if let [lite, pg] = &all[..] {
        let _ = writeln!(
            s,
            "\nPostgreSQL against SQLite (requests/s, and p99): {}.",
            lite.iter()
                .zip(pg)
                .map(|((what, a, ap), (_, b, bp))| format!(
                    "{what} {:.2}× ({:.1} vs {:.1} ms)",
                    b / a,
                    bp.as_secs_f64() * 1000.0,
                    ap.as_secs_f64() * 1000.0
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(s)
}
