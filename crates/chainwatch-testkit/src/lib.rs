//! Test helpers shared by the chainwatch crates. Used only as a dev-dependency.
//!
//! The shared corpus (`../shared/corpus` next to the repository, or `CHAINWATCH_CORPUS`)
//! holds third-party test suites and real documents. Tests that need it call [`corpus`]:
//! when the corpus is missing they are skipped with a note, except under `CI=true`, where
//! a missing corpus fails the run.

use std::path::{Path, PathBuf};

pub mod webdriver;

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The corpus directory, or `None` (after saying so on stderr) when it is absent and we
/// are not in CI.
///
/// # Panics
/// When `CI=true` and the corpus cannot be found: CI must test against it.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("CHAINWATCH_CORPUS")
        .map_or_else(|| workspace_root().join("../shared/corpus"), PathBuf::from);
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !in_ci,
        "the shared corpus is missing at `{}` and CI=true: set CHAINWATCH_CORPUS",
        dir.display()
    );
    eprintln!(
        "skipped: no corpus at `{}` (set CHAINWATCH_CORPUS)",
        dir.display()
    );
    None
}

/// A path inside the corpus, if the corpus is present.
pub fn corpus_path(relative: &str) -> Option<PathBuf> {
    corpus().map(|c| c.join(relative))
}

/// The PostgreSQL server tests use: `CHAINWATCH_TEST_PG`, else the local one
/// (`postgres://postgres@127.0.0.1:5432/test`). `None` (after saying so on stderr) when
/// it does not answer and we are not in CI.
///
/// # Panics
/// When `CI=true` and the server cannot be reached: CI must test against it.
pub fn postgres_url() -> Option<String> {
    reachable(
        "CHAINWATCH_TEST_PG",
        "postgres://postgres@127.0.0.1:5432/test",
        "PostgreSQL",
    )
}

/// The same database through a transaction-pooling pooler (as `scripts/services.sh`
/// starts `PgBouncer`): `CHAINWATCH_TEST_PGBOUNCER`, else `postgres://postgres@127.0.0.1:6432/test`.
/// A store reaches it with `pooler=transaction` in the URL. `None` (after saying so on
/// stderr) when it does not answer and we are not in CI.
///
/// # Panics
/// When `CI=true` and the pooler cannot be reached.
pub fn pgbouncer_url() -> Option<String> {
    reachable(
        "CHAINWATCH_TEST_PGBOUNCER",
        "postgres://postgres@127.0.0.1:6432/test",
        "PgBouncer",
    )
}

/// The URL in `variable`, else `default`, when its host answers a TCP connection.
fn reachable(variable: &str, default: &str, what: &str) -> Option<String> {
    use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
    let url = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    // host:port of the URL, for a quick reachability probe.
    let authority = url
        .split_once("://")
        .map_or(url.as_str(), |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let answers = host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr: SocketAddr| {
            TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(3)).is_ok()
        });
    if answers {
        return Some(url);
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !in_ci,
        "{what} is not reachable at `{host_port}` and CI=true: start it (scripts/services.sh) or set {variable}"
    );
    eprintln!("skipped: {what} is not reachable at `{host_port}` (set {variable})");
    None
}

/// An independent validator the tests check chainwatch's outputs with (`scripts/services.sh`
/// installs them into `target/peers`; `CHAINWATCH_PEERS` names another such directory).
/// `None` when it is missing (the test skips).
///
/// # Panics
///
/// When it is missing and `CI=true`.
pub fn peer_tool(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("CHAINWATCH_PEERS")
        .map_or_else(|| workspace_root().join("target/peers"), PathBuf::from);
    let tool = dir.join("bin").join(name);
    if tool.is_file() {
        return Some(tool);
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !in_ci,
        "`{}` is missing and CI=true: run scripts/services.sh or set CHAINWATCH_PEERS",
        tool.display()
    );
    eprintln!("skipping: `{}` is missing", tool.display());
    None
}
