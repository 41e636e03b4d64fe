//! Ruby: `Gemfile.lock` / `gems.locked` (Bundler): `GEM`, `GIT` and `PATH` sources,
//! platform-specific gems, `DEPENDENCIES` (direct) and `CHECKSUMS`.

use std::collections::HashMap;

use chainwatch_sbom::Location;

use crate::context::{Context, Resolver, purl};
use crate::text::{lines_with_offsets, prefixed_hex};

/// `name (1.2.3-x86_64-linux)` → (name, version, platform).
fn spec(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let s = s.trim();
    let Some((name, rest)) = s.split_once(" (") else {
        return Some((s.trim_end_matches('!'), None, None));
    };
    let inner = rest.strip_suffix(')')?;
    // Gem versions have no `-`: what follows one is the platform.
    let (version, platform) = match inner.split_once('-') {
        Some((v, p)) => (v, Some(p)),
        None => (inner, None),
    };
    Some((name, Some(version), platform))
}

pub(crate) fn extract(cx: &mut Context<'_>) {
    let Some(text) = cx.text() else { return };
    let mut section = "";
    let mut remote: Option<String> = None;
    let mut revision: Option<String> = None;
    let mut names = Resolver::default();
    let mut current: Option<usize> = None;
    let mut deps: Vec<(usize, String, u32)> = Vec::new();
    let mut direct: Vec<String> = Vec::new();
    let mut checksums: HashMap<String, String> = HashMap::new();
    for (offset, line) in lines_with_offsets(text) {
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let content = line.trim();
        let line_no = cx.line_of(offset);
        if indent == 0 {
            section = content;
            remote = None;
            revision = None;
            current = None;
            continue;
        }
        match section {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                if indent == 2 {
                    if let Some(r) = content.strip_prefix("remote:") {
                        remote = Some(r.trim().to_owned());
                    } else if let Some(r) = content.strip_prefix("revision:") {
                        revision = Some(r.trim().to_owned());
                    }
                } else if indent == 4 {
                    let Some((name, Some(version), platform)) = spec(content) else {
                        cx.entry(
                            format!("expected `NAME (VERSION)`, found `{content}`"),
                            Location::line(line_no, 5),
                        );
                        current = None;
                        continue;
                    };
                    let mut b = purl("gem", None, name, Some(version));
                    if let Some(p) = platform {
                        b = b.qualifier("platform", p);
                    }
                    current = cx.package(b, || Location::line(line_no, 5));
                    if let Some(i) = current {
                        let p = cx.get(i);
                        p.line = Some(line_no);
                        match section {
                            "GIT" => {
                                p.source = remote.as_ref().map(|r| match &revision {
                                    Some(rev) => format!("{r}#{rev}"),
                                    None => r.clone(),
                                });
                            }
                            "PATH" => {
                                p.member = true;
                                p.source.clone_from(&remote);
                            }
                            _ => {}
                        }
                        names.insert(name, i);
                    }
                } else if indent == 6
                    && let Some(from) = current
                    && let Some((dep, _, _)) = spec(content)
                {
                    deps.push((from, dep.to_owned(), line_no));
                }
            }
            "DEPENDENCIES" if indent == 2 => {
                if let Some((name, _, _)) = spec(content) {
                    direct.push(name.trim_end_matches('!').to_owned());
                }
            }
            "CHECKSUMS" if indent == 2 => {
                if let Some((head, sum)) = content.rsplit_once(' ')
                    && let Some(h) = prefixed_hex(sum)
                {
                    checksums.insert(head.to_owned(), h.value);
                }
            }
            _ => {}
        }
    }
    for (from, dep, _) in deps {
        // Platform variants share a name: depend on each.
        for &to in &names.all(&dep).to_vec() {
            cx.edge(from, to);
        }
    }
    for name in direct {
        for &i in &names.all(&name).to_vec() {
            if !cx.packages()[i].member {
                cx.get(i).direct = true;
            }
        }
    }
    if !checksums.is_empty() {
        for i in 0..cx.packages().len() {
            let p = &cx.packages()[i];
            let mut head = format!("{} ({}", p.purl.name(), p.purl.version().unwrap_or(""));
            if let Some(pl) = p.purl.qualifier("platform") {
                head.push('-');
                head.push_str(pl);
            }
            head.push(')');
            if let Some(v) = checksums.get(&head).cloned() {
                cx.get(i).hashes.push(chainwatch_sbom::Hash {
                    alg: chainwatch_sbom::HashAlg::Sha256,
                    value: v,
                });
            }
        }
    }
}
