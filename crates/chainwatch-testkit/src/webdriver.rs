//! A small blocking W3C `WebDriver` client for the console's browser tests: Debian's
//! Chromium driven headless through `chromedriver` on loopback. Only what the tests use
//! (navigate, find, click, type, run a script, take a screenshot); written here rather
//! than taken from a crate because the `WebDriver` crates bring a second HTTP stack and
//! dozens of crates for a few JSON requests.

#![allow(clippy::print_stderr, reason = "a test helper says why it skips")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// The key W3C `WebDriver` gives element references under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What went wrong talking to the driver.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn find_program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium and its driver (`CHAINWATCH_CHROMIUM`, `CHAINWATCH_CHROMEDRIVER`, else
/// `chromium` and `chromedriver` on `PATH`), or `None` (after saying so) when they are
/// missing and we are not in CI.
///
/// # Panics
/// When `CI=true` and either is missing: CI must run the browser tests
/// (`scripts/services.sh` installs Debian's `chromium` and `chromium-driver`).
pub fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_program("CHAINWATCH_CHROMIUM", &["chromium", "chromium-browser"]);
    let driver = find_program("CHAINWATCH_CHROMEDRIVER", &["chromedriver"]);
    if let (Some(c), Some(d)) = (&chromium, &driver) {
        return Some((c.clone(), d.clone()));
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !in_ci,
        "chromium and chromedriver are needed for the browser tests and CI=true: run scripts/services.sh"
    );
    eprintln!("skipped: no chromium/chromedriver (scripts/services.sh installs them)");
    None
}

/// A running `chromedriver`, stopped when dropped.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| Error(format!("no free port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error(e.to_string()))
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port and waits until it is ready.
    pub fn start(driver: &Path) -> Result<Driver> {
        let port = free_port()?;
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error(format!("cannot start `{}`: {e}", driver.display())))?;
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let start = Instant::now();
        loop {
            if let Ok(v) = call(&d.base, "GET", "/status", None)
                && v["ready"].as_bool() == Some(true)
            {
                return Ok(d);
            }
            if start.elapsed() > Duration::from_secs(20) {
                return Err(Error("chromedriver did not become ready in 20 s".into()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A new headless browser session with a window of `width`×`height`.
    pub fn session(&self, chromium: &Path, width: u32, height: u32) -> Result<Session> {
        let profile = std::env::temp_dir().join(format!(
            "chainwatch-chromium-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-extensions", "--disable-quic", "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }}});
        let v = call(&self.base, "POST", "/session", Some(&caps))?;
        let id = v["sessionId"]
            .as_str()
            .ok_or_else(|| Error(format!("no session id in {v}")))?
            .to_owned();
        Ok(Session {
            base: self.base.clone(),
            id,
            profile,
        })
    }
}

/// One browser session, closed when dropped.
#[derive(Debug)]
pub struct Session {
    base: String,
    id: String,
    profile: PathBuf,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = call(&self.base, "DELETE", &format!("/session/{}", self.id), None);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A reference to an element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

fn call(base: &str, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_mins(1)))
        .build()
        .into();
    let url = format!("{base}{path}");
    let response = match method {
        "GET" => agent.get(&url).call(),
        "DELETE" => agent.delete(&url).call(),
        _ => agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.map_or_else(|| "{}".to_owned(), Value::to_string)),
    };
    let mut response = response.map_err(|e| Error(format!("{method} {path}: {e}")))?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| Error(format!("{method} {path}: {e}")))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| Error(format!("{method} {path}: not JSON ({e}): {text}")))?;
    if !status.is_success() {
        return Err(Error(format!(
            "{method} {path}: {status}: {} {}",
            v["value"]["error"].as_str().unwrap_or_default(),
            v["value"]["message"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
        )));
    }
    Ok(v.get("value").cloned().unwrap_or(Value::Null))
}

impl Session {
    fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        call(
            &self.base,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )
    }

    /// Opens a URL and waits for the page to load.
    pub fn goto(&self, url: &str) -> Result<()> {
        self.cmd("POST", "/url", Some(&json!({ "url": url })))
            .map(drop)
    }

    pub fn url(&self) -> Result<String> {
        Ok(self
            .cmd("GET", "/url", None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    pub fn title(&self) -> Result<String> {
        Ok(self
            .cmd("GET", "/title", None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, css: &str) -> Result<Element> {
        let v = self.cmd(
            "POST",
            "/element",
            Some(&json!({"using": "css selector", "value": css})),
        )?;
        v[ELEMENT]
            .as_str()
            .map(|id| Element(id.to_owned()))
            .ok_or_else(|| Error(format!("no element `{css}`")))
    }

    /// The first element matching a CSS selector once it exists (after a navigation that
    /// a click started, say), waiting at most 10 s.
    pub fn wait_for(&self, css: &str) -> Result<Element> {
        let start = Instant::now();
        loop {
            match self.find(css) {
                Ok(e) => return Ok(e),
                Err(e) if start.elapsed() > Duration::from_secs(10) => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let v = self.cmd(
            "POST",
            "/elements",
            Some(&json!({"using": "css selector", "value": css})),
        )?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_owned())))
            .collect())
    }

    /// An element's rendered text.
    pub fn text(&self, e: &Element) -> Result<String> {
        Ok(self
            .cmd("GET", &format!("/element/{}/text", e.0), None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// The text of the first element matching `css`.
    pub fn text_of(&self, css: &str) -> Result<String> {
        let e = self.find(css)?;
        self.text(&e)
    }

    pub fn click(&self, e: &Element) -> Result<()> {
        self.cmd("POST", &format!("/element/{}/click", e.0), Some(&json!({})))
            .map(drop)
    }

    /// Clicks a link or button that loads a new page and waits (at most 10 s) until the
    /// new page has loaded: a mark left on the old page is gone and the document is
    /// complete.
    pub fn click_to_navigate(&self, e: &Element) -> Result<()> {
        self.execute("window.__webdriverOldPage = true;", &[])?;
        self.click(e)?;
        let start = Instant::now();
        loop {
            // A page between documents can make the script fail; that is not loaded yet.
            let loaded = self
                .execute(
                    "return window.__webdriverOldPage === undefined && document.readyState === 'complete';",
                    &[],
                )
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if loaded {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(10) {
                return Err(Error("no new page loaded within 10 s of the click".into()));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Types into an element.
    pub fn send_keys(&self, e: &Element, text: &str) -> Result<()> {
        self.cmd(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(&json!({ "text": text })),
        )
        .map(drop)
    }

    /// Runs a script in the page (`return …` gives its value).
    pub fn execute(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Resizes the window.
    pub fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.cmd(
            "POST",
            "/window/rect",
            Some(&json!({ "width": width, "height": height })),
        )
        .map(drop)
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let v = self.cmd("GET", "/screenshot", None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| Error(format!("screenshot: {e}")))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error(e.to_string()))?;
        }
        std::fs::write(path, png).map_err(|e| Error(format!("{}: {e}", path.display())))
    }
}
