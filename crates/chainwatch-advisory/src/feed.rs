//! OSV's published data over HTTP(S): per-ecosystem `all.zip` archives (downloaded
//! resumably: a partial file continues with a `Range` request, guarded by `If-Range` with
//! the entity tag, and the result is checked against the announced length and read
//! through as a zip before it is used), the `modified_id.csv` modification index, and
//! single records. Only URLs under the configured base are ever requested; proxies come
//! from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (either case) unless `NO_PROXY` names the
//! host.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// OSV's public bucket.
pub const DEFAULT_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// A record is small; an index or archive is not, but is bounded too.
const MAX_RECORD: u64 = 64 << 20;
const MAX_INDEX: u64 = 512 << 20;
const MAX_ARCHIVE: u64 = 16 << 30;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("`{url}`: {message}")]
    Http { url: String, message: String },
    #[error("`{url}`: the server answered {status}")]
    Status { url: String, status: u16 },
    #[error("`{path}`: {message}")]
    Io { path: PathBuf, message: String },
    #[error("`{url}`: {message}")]
    Invalid { url: String, message: String },
}

/// Progress of a download: bytes so far, and the total when known.
pub type Progress<'a> = &'a mut dyn FnMut(u64, Option<u64>);

/// A client for one OSV mirror.
#[derive(Debug, Clone)]
pub struct Feed {
    base: String,
    agent: ureq::Agent,
}

/// The proxy for `url` from the environment, unless `NO_PROXY` exempts its host.
pub fn proxy_for(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let var = |name: &str| {
        env(&name.to_ascii_lowercase())
            .or_else(|| env(&name.to_ascii_uppercase()))
            .filter(|v| !v.trim().is_empty())
    };
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or(host)
            .trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or(host)
    };
    if let Some(no) = var("no_proxy") {
        for entry in no.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                return None;
            }
            let entry = entry.split(':').next().unwrap_or(entry);
            let suffix = entry.trim_start_matches('.');
            if host.eq_ignore_ascii_case(suffix)
                || host
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", suffix.to_ascii_lowercase()))
            {
                return None;
            }
        }
    }
    let scheme_var = if url.starts_with("https://") {
        "https_proxy"
    } else {
        "http_proxy"
    };
    var(scheme_var).or_else(|| var("all_proxy"))
}

/// Downloads one URL (at most `cap` bytes) with the same client settings as [`Feed`]
/// (proxies from the environment, time-outs); `None` for 404.
pub fn fetch(url: &str, cap: u64) -> Result<Option<Vec<u8>>, FeedError> {
    let base = url
        .split_once("://")
        .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or("")))
        .unwrap_or_default();
    Feed::new(&base)?.small(url, cap)
}

impl Feed {
    /// A client for the mirror at `base` (`https://…` or, for local mirrors, `http://…`).
    pub fn new(base: &str) -> Result<Feed, FeedError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(FeedError::Invalid {
                url: base,
                message: "expected an http:// or https:// URL".into(),
            });
        }
        let proxy = match proxy_for(&base, &|k| std::env::var(k).ok()) {
            Some(p) => Some(ureq::Proxy::new(&p).map_err(|e| FeedError::Invalid {
                url: p.clone(),
                message: format!("not a usable proxy: {e}"),
            })?),
            None => None,
        };
        let config = ureq::Agent::config_builder()
            .proxy(proxy)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_body(Some(Duration::from_mins(30)))
            .timeout_recv_response(Some(Duration::from_mins(2)))
            .http_status_as_error(false)
            .user_agent(format!("chainwatch/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Feed {
            base,
            agent: config.into(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, ecosystem: &str, file: &str) -> String {
        // Ecosystem names are path segments (`Debian:12`, `crates.io`); escape what a
        // segment cannot hold.
        let segment: String = ecosystem
            .chars()
            .map(|c| match c {
                '/' | '?' | '#' | '%' | ' ' => format!("%{:02X}", c as u32),
                c => c.to_string(),
            })
            .collect();
        format!("{}/{segment}/{file}", self.base)
    }

    fn get(
        &self,
        url: &str,
        headers: &[(&str, String)],
    ) -> Result<ureq::http::Response<ureq::Body>, FeedError> {
        let mut req = self.agent.get(url);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.call().map_err(|e| FeedError::Http {
            url: url.to_owned(),
            message: e.to_string(),
        })
    }

    fn small(&self, url: &str, cap: u64) -> Result<Option<Vec<u8>>, FeedError> {
        let mut resp = self.get(url, &[])?;
        match resp.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            status => {
                return Err(FeedError::Status {
                    url: url.to_owned(),
                    status,
                });
            }
        }
        let mut out = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(cap + 1)
            .read_to_end(&mut out)
            .map_err(|e| FeedError::Http {
                url: url.to_owned(),
                message: e.to_string(),
            })?;
        if out.len() as u64 > cap {
            return Err(FeedError::Invalid {
                url: url.to_owned(),
                message: format!("larger than {cap} bytes"),
            });
        }
        Ok(Some(out))
    }

    /// The modification index of an ecosystem: (modified, id), newest first, only those
    /// modified after `since` (RFC 3339; the index is sorted, so reading stops there).
    /// `None` when the mirror has no index for it.
    pub fn modified_since(
        &self,
        ecosystem: &str,
        since: Option<&str>,
    ) -> Result<Option<Vec<(String, String)>>, FeedError> {
        let url = self.url(ecosystem, "modified_id.csv");
        let Some(bytes) = self.small(&url, MAX_INDEX)? else {
            return Ok(None);
        };
        let text = String::from_utf8(bytes).map_err(|e| FeedError::Invalid {
            url: url.clone(),
            message: format!("not UTF-8: {e}"),
        })?;
        let instant = |s: &str| {
            chainwatch_version::Version::parse(chainwatch_version::Scheme::Datetime, s).ok()
        };
        let since = since.and_then(instant);
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((modified, id)) = line.split_once(',') else {
                return Err(FeedError::Invalid {
                    url,
                    message: format!("line {}: expected `modified,id`", n + 1),
                });
            };
            let Some(at) = instant(modified) else {
                return Err(FeedError::Invalid {
                    url,
                    message: format!("line {}: `{modified}` is not an RFC 3339 time", n + 1),
                });
            };
            if since.as_ref().is_some_and(|s| at <= *s) {
                break;
            }
            out.push((modified.trim().to_owned(), id.trim().to_owned()));
        }
        Ok(Some(out))
    }

    /// One record's bytes (`None` when the mirror does not have it).
    pub fn record(&self, ecosystem: &str, id: &str) -> Result<Option<Vec<u8>>, FeedError> {
        if id.contains(['/', '\\']) || id.starts_with('.') {
            return Err(FeedError::Invalid {
                url: self.url(ecosystem, id),
                message: format!("`{id}` is not a record id"),
            });
        }
        self.small(&self.url(ecosystem, &format!("{id}.json")), MAX_RECORD)
    }

    /// Downloads an ecosystem's `all.zip` into `dir` (as `all.zip`), continuing a partial
    /// download left there (`all.zip.part`, with its entity tag in `all.zip.etag`). The
    /// finished file has the announced length and reads as a zip archive whose every
    /// entry passes its CRC check; only then is it renamed into place.
    pub fn archive(
        &self,
        ecosystem: &str,
        dir: &Path,
        progress: Progress<'_>,
    ) -> Result<PathBuf, FeedError> {
        let url = self.url(ecosystem, "all.zip");
        let io = |path: &Path, e: std::io::Error| FeedError::Io {
            path: path.to_owned(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let part = dir.join("all.zip.part");
        let etag_file = dir.join("all.zip.etag");
        let have = std::fs::metadata(&part).map_or(0, |m| m.len());
        let etag = std::fs::read_to_string(&etag_file).ok();
        let mut headers = Vec::new();
        if have > 0
            && let Some(tag) = &etag
        {
            headers.push(("Range", format!("bytes={have}-")));
            headers.push(("If-Range", tag.trim().to_owned()));
        }
        let mut resp = self.get(&url, &headers)?;
        let status = resp.status().as_u16();
        let append = match status {
            206 => true,
            200 => false,
            // The partial file is complete already, or the server lost track of it.
            416 => {
                let _ = std::fs::remove_file(&part);
                return self.archive(ecosystem, dir, progress);
            }
            status => return Err(FeedError::Status { url, status }),
        };
        let length: Option<u64> = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        if let Some(tag) = resp.headers().get("etag").and_then(|v| v.to_str().ok()) {
            std::fs::write(&etag_file, tag).map_err(|e| io(&etag_file, e))?;
        } else {
            let _ = std::fs::remove_file(&etag_file);
        }
        let start = if append { have } else { 0 };
        let total = length.map(|l| l + start);
        if total.is_some_and(|t| t > MAX_ARCHIVE) {
            return Err(FeedError::Invalid {
                url,
                message: format!("larger than {MAX_ARCHIVE} bytes"),
            });
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&part)
            .map_err(|e| io(&part, e))?;
        let mut reader = resp.body_mut().with_config().limit(MAX_ARCHIVE).reader();
        let mut done = start;
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = reader.read(&mut buf).map_err(|e| FeedError::Http {
                url: url.clone(),
                message: format!(
                    "the download broke off after {done} bytes ({e}); run again to continue it"
                ),
            })?;
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n]).map_err(|e| io(&part, e))?;
            done += n as u64;
            progress(done, total);
        }
        file.flush().map_err(|e| io(&part, e))?;
        drop(file);
        if let Some(t) = total
            && done != t
        {
            return Err(FeedError::Http {
                url,
                message: format!("got {done} of {t} bytes; run again to continue"),
            });
        }
        verify_zip(&part).map_err(|message| {
            // A corrupt file cannot be continued: start over next time.
            let _ = std::fs::remove_file(&part);
            let _ = std::fs::remove_file(&etag_file);
            FeedError::Invalid {
                url: url.clone(),
                message,
            }
        })?;
        let dest = dir.join("all.zip");
        std::fs::rename(&part, &dest).map_err(|e| io(&dest, e))?;
        let _ = std::fs::remove_file(&etag_file);
        Ok(dest)
    }
}

/// Reads every entry of the archive to its end, which checks each entry's CRC-32.
fn verify_zip(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| format!("not a zip archive: {e}"))?;
    let mut sink = std::io::sink();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
        let name = entry.name().to_owned();
        std::io::copy(&mut (&mut entry).take(1 << 30), &mut sink)
            .map_err(|e| format!("entry `{name}` is corrupt: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::proxy_for;

    #[test]
    fn proxies_from_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let e = env(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("no_proxy", "localhost,.internal"),
        ]);
        assert_eq!(
            proxy_for("https://osv.example/x", &e).as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(proxy_for("https://mirror.internal/x", &e), None);
        assert_eq!(proxy_for("http://localhost:8080/x", &e), None);
        assert_eq!(proxy_for("http://osv.example/x", &e), None);
        let e = env(&[
            ("all_proxy", "socks5://s:1080"),
            ("http_proxy", "http://p:80"),
        ]);
        assert_eq!(
            proxy_for("http://osv.example/", &e).as_deref(),
            Some("http://p:80")
        );
        assert_eq!(
            proxy_for("https://osv.example/", &e).as_deref(),
            Some("socks5://s:1080")
        );
        let e = env(&[("HTTP_PROXY", "http://p:80"), ("NO_PROXY", "*")]);
        assert_eq!(proxy_for("http://osv.example/", &e), None);
    }
}
