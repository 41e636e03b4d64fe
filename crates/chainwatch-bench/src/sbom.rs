//! SBOM readers and validation: throughput per reader on the largest real SBOMs and on a
//! generated 250 MB CycloneDX JSON, the `chainwatch` binary end to end (wall time and
//! peak RSS from `/usr/bin/time -v`), and the Python reference implementations on the
//! same files in the same run.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chainwatch_sbom::{Format, read_text};

use crate::machine;

/// Components in the generated document (≈ 500 bytes each as CycloneDX JSON).
const GENERATED_COMPONENTS: usize = 500_000;

const LICENSES: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "BSD-3-Clause",
    "ISC",
    "MPL-2.0",
    "GPL-2.0-only",
];

/// Writes a CycloneDX 1.6 JSON document with `n` components and a dependency graph, the
/// way a large lockfile-derived SBOM looks: purls of several ecosystems, SHA-256 and
/// SHA-1 hashes, licenses, properties, three dependencies per component.
pub(crate) fn generate(path: &Path, n: usize) -> anyhow::Result<u64> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut hex = |len: usize| {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let _ = write!(s, "{x:016x}");
        }
        s.truncate(len);
        s
    };
    writeln!(
        out,
        "{{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n  \"serialNumber\": \"urn:uuid:0b7c3d2e-5f1a-4c8b-9e6d-2a4f8c1b3e5d\",\n  \"version\": 1,"
    )?;
    writeln!(
        out,
        "  \"metadata\": {{\"timestamp\": \"2026-11-26T00:00:00Z\", \"component\": {{\"type\": \"application\", \"bom-ref\": \"app\", \"name\": \"generated-app\", \"version\": \"1.0.0\", \"purl\": \"pkg:generic/generated-app@1.0.0\"}}}},"
    )?;
    writeln!(out, "  \"components\": [")?;
    for i in 0..n {
        let (eco, name) = match i % 5 {
            0 => ("npm", format!("%40scope{}/package-{i}", i % 97)),
            1 => ("pypi", format!("package-{i}")),
            2 => ("maven", format!("org.example.group{}/artifact-{i}", i % 89)),
            3 => ("cargo", format!("crate-{i}")),
            _ => ("golang", format!("github.com/example{}/module-{i}", i % 83)),
        };
        let version = format!("{}.{}.{}", i % 13, i % 31, i % 7);
        let comma = if i + 1 == n { "" } else { "," };
        writeln!(
            out,
            "    {{\"type\": \"library\", \"bom-ref\": \"c{i}\", \"name\": \"package-{i}\", \"version\": \"{version}\", \"purl\": \"pkg:{eco}/{name}@{version}\", \"hashes\": [{{\"alg\": \"SHA-256\", \"content\": \"{}\"}}, {{\"alg\": \"SHA-1\", \"content\": \"{}\"}}], \"licenses\": [{{\"license\": {{\"id\": \"{}\"}}}}], \"properties\": [{{\"name\": \"cdx:npm:package:path\", \"value\": \"node_modules/package-{i}\"}}]}}{comma}",
            hex(64),
            hex(40),
            LICENSES[i % LICENSES.len()],
        )?;
    }
    writeln!(out, "  ],\n  \"dependencies\": [")?;
    writeln!(
        out,
        "    {{\"ref\": \"app\", \"dependsOn\": [\"c0\", \"c1\", \"c2\"]}},"
    )?;
    for i in 0..n {
        let comma = if i + 1 == n { "" } else { "," };
        let deps: Vec<String> = [i * 7 + 1, i * 13 + 2, i + 3]
            .iter()
            .map(|d| format!("\"c{}\"", d % n))
            .collect();
        writeln!(
            out,
            "    {{\"ref\": \"c{i}\", \"dependsOn\": [{}]}}{comma}",
            deps.join(", ")
        )?;
    }
    writeln!(out, "  ]\n}}")?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

struct Input {
    label: String,
    path: PathBuf,
    /// The decoded text (decompressed), for in-process reader throughput.
    text: String,
    format: Format,
    components: usize,
}

fn load(label: &str, path: &Path) -> anyhow::Result<Input> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text =
        chainwatch_sbom::text_of(&bytes, &chainwatch_sbom::ReadOptions::default())?.into_owned();
    let format = chainwatch_sbom::detect_format(&text)?;
    let components = read_text(&text, format)?.sbom.components.len();
    Ok(Input {
        label: label.to_owned(),
        path: path.to_owned(),
        text,
        format,
        components,
    })
}

/// Writes `sbom` as `format` into the data directory, for readers no real file exercises.
fn derived(dir: &Path, from: &Input, format: Format, name: &str) -> anyhow::Result<Input> {
    let sbom = read_text(&from.text, from.format)?.sbom;
    let text = chainwatch_sbom::write(&sbom, format).context("writable format")?;
    let path = dir.join(name);
    std::fs::write(&path, &text)?;
    load(&format!("{} as {format}", from.label), &path)
}

/// Wall time and peak RSS (MiB) of a command, from `/usr/bin/time -v`.
pub(crate) struct Measured {
    pub(crate) wall: Duration,
    pub(crate) rss_mib: f64,
    pub(crate) ok: bool,
}

impl Input {
    fn without_text(self) -> Input {
        Input {
            text: String::new(),
            ..self
        }
    }
}

/// The fastest of three runs of a chainwatch command (the machine is shared and noisy).
pub(crate) fn best_of_3(
    program: &str,
    args: &[&str],
    timeout: Duration,
) -> anyhow::Result<Measured> {
    let mut best = time_v(program, args, timeout)?;
    for _ in 0..2 {
        let m = time_v(program, args, timeout)?;
        if m.wall < best.wall {
            best = m;
        }
    }
    Ok(best)
}

pub(crate) fn time_v(program: &str, args: &[&str], timeout: Duration) -> anyhow::Result<Measured> {
    let mut child = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running /usr/bin/time (install the `time` package)")?;
    // Read its report while it runs: `time -v` repeats the whole command line, which
    // alone can fill a pipe (and block it forever) for a command with many paths.
    let mut stderr = child.stderr.take().context("stderr of /usr/bin/time")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
        buf
    });
    let start = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Measured {
                wall: start.elapsed(),
                rss_mib: f64::NAN,
                ok: false,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait()?;
    let report = reader.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&report);
    let field = |key: &str| {
        err.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(|v| v.trim().to_owned())
    };
    let rss_kb: f64 = field("Maximum resident set size (kbytes):")
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):").map_or(start.elapsed(), |v| {
        parse_clock(&v).unwrap_or(start.elapsed())
    });
    let exit_ok = field("Exit status:").is_some_and(|s| s == "0" || s == "1");
    Ok(Measured {
        wall,
        rss_mib: rss_kb / 1024.0,
        ok: exit_ok,
    })
}

fn parse_clock(s: &str) -> Option<Duration> {
    let parts: Vec<&str> = s.split(':').collect();
    let secs: f64 = match parts[..] {
        [m, s] => m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?,
        [h, m, s] => {
            h.parse::<f64>().ok()? * 3600.0
                + m.parse::<f64>().ok()? * 60.0
                + s.parse::<f64>().ok()?
        }
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

pub(crate) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

pub(crate) fn chainwatch_binary() -> anyhow::Result<PathBuf> {
    let root = chainwatch_testkit::workspace_root();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "chainwatch"])
        .current_dir(&root)
        .status()
        .context("building the chainwatch binary")?;
    if !status.success() {
        bail!("cargo build --release -p chainwatch failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release/chainwatch"))
}

/// The Python with spdx-tools and cyclonedx-python-lib, if installed.
fn peer_python() -> Option<PathBuf> {
    let candidate = std::env::var_os("CHAINWATCH_PEER_PYTHON").map_or_else(
        || PathBuf::from("/opt/oracles/sbompy/bin/python"),
        PathBuf::from,
    );
    candidate.exists().then_some(candidate)
}

pub(crate) fn run() -> anyhow::Result<String> {
    let corpus = chainwatch_testkit::corpus().context("the shared corpus (CHAINWATCH_CORPUS)")?;
    let large = corpus.join("real-sboms/trustify/large");
    let data = chainwatch_testkit::workspace_root().join("target/bench-data");
    std::fs::create_dir_all(&data)?;

    let ocp = load(
        "OCP-TOOLS-4.11-RHEL-8.json",
        &large.join("OCP-TOOLS-4.11-RHEL-8.json"),
    )?;
    let ocs = load(
        "openshift-container-storage-4.8.z.json.xz",
        &large.join("openshift-container-storage-4.8.z.json.xz"),
    )?;
    let quarkus = load(
        "quarkus-camel-bom-sbom.json",
        &large.join("quarkus-camel-bom-sbom.json"),
    )?;
    let quarkus_xml = derived(&data, &quarkus, Format::CycloneDxXml, "quarkus.cdx.xml")?;
    let ocp_tv = derived(&data, &ocp, Format::SpdxTagValue, "ocp.spdx")?;
    let generated_path = data.join("generated-500k.cdx.json");
    let generated_size = generate(&generated_path, GENERATED_COMPONENTS)?;
    let generated = load("generated (500,000 components)", &generated_path)?;
    let generated_xml = derived(
        &data,
        &generated,
        Format::CycloneDxXml,
        "generated-500k.cdx.xml",
    )?;
    let storage_tv = derived(&data, &ocs, Format::SpdxTagValue, "ocs.spdx")?;

    let mut s = String::new();
    let _ = writeln!(s, "Machine: {}.\n", machine::describe());
    let _ = writeln!(
        s,
        "Readers, in process (text already decompressed and decoded; best of 3; the model is fully built):\n"
    );
    let _ = writeln!(
        s,
        "| input | format | size | components | time | MB/s | components/s |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|");
    for input in [
        &quarkus,
        &quarkus_xml,
        &ocp,
        &ocp_tv,
        &ocs,
        &storage_tv,
        &generated,
        &generated_xml,
    ] {
        let runs = if input.text.len() > 50 << 20 { 1 } else { 3 };
        let t = machine::best_of(runs, || {
            let parsed = read_text(&input.text, input.format).expect("readable");
            std::hint::black_box(parsed.sbom.components.len());
        });
        let mb = input.text.len() as f64 / 1e6;
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} MB | {} | {} | {:.0} | {} |",
            input.label,
            input.format,
            mb,
            machine::thousands(input.components as f64),
            secs(t),
            mb / t.as_secs_f64(),
            machine::thousands(input.components as f64 / t.as_secs_f64()),
        );
    }

    // The measured processes get the machine's memory and caches to themselves.
    let (generated, quarkus, ocp) = (
        generated.without_text(),
        quarkus.without_text(),
        ocp.without_text(),
    );
    drop((quarkus_xml, ocp_tv, ocs, storage_tv, generated_xml));
    let bin = chainwatch_binary()?;
    let bin = bin.to_str().context("UTF-8 path")?;
    let _ = writeln!(
        s,
        "\nWhole process, `/usr/bin/time -v` (wall time, maximum resident set size; chainwatch best of 3), chainwatch and the Python reference implementations in the same run; speed-ups are against `chainwatch sbom validate` (the default mode: reads everything, checks what ingestion needs):\n"
    );
    let _ = writeln!(s, "| task | tool | wall | peak RSS | speed-up |");
    let _ = writeln!(s, "|---|---|---:|---:|---:|");
    let minute = Duration::from_mins(1);
    let path = |i: &Input| i.path.to_string_lossy().into_owned();
    let generated_stats = best_of_3(
        bin,
        &["sbom", "stats", "--format", "json", &path(&generated)],
        minute,
    )?;
    let _ = writeln!(
        s,
        "| read the generated {:.0} MB CycloneDX JSON | `chainwatch sbom stats` | {} | {:.0} MiB | |",
        generated_size as f64 / 1e6,
        secs(generated_stats.wall),
        generated_stats.rss_mib
    );
    let generated_validate = best_of_3(
        bin,
        &["sbom", "validate", "--strict", &path(&generated)],
        minute,
    )?;
    let _ = writeln!(
        s,
        "| strictly validate the generated CycloneDX JSON | `chainwatch sbom validate --strict` | {} | {:.0} MiB | |",
        secs(generated_validate.wall),
        generated_validate.rss_mib
    );
    let ocp_ours = best_of_3(bin, &["sbom", "validate", &path(&ocp)], minute)?;
    let ocp_strict = best_of_3(bin, &["sbom", "validate", "--strict", &path(&ocp)], minute)?;
    let quarkus_ours = best_of_3(bin, &["sbom", "validate", &path(&quarkus)], minute)?;
    let quarkus_strict = best_of_3(
        bin,
        &["sbom", "validate", "--strict", &path(&quarkus)],
        minute,
    )?;
    let python = peer_python();
    let peer =
        |script: &str, file: &Input, timeout: Duration| -> anyhow::Result<Option<Measured>> {
            let Some(py) = &python else { return Ok(None) };
            let py = py.to_str().context("UTF-8 path")?;
            Ok(Some(time_v(py, &["-c", script, &path(file)], timeout)?))
        };
    let pyspdx = peer(
        "import sys\nfrom spdx_tools.spdx.parser.parse_anything import parse_file\nfrom spdx_tools.spdx.validation.document_validator import validate_full_spdx_document\nd = parse_file(sys.argv[1])\nprint(len(validate_full_spdx_document(d)))",
        &ocp,
        Duration::from_mins(10),
    )?;
    let cdx_load = peer(
        "import sys, json\nfrom cyclonedx.model.bom import Bom\nb = Bom.from_json(json.load(open(sys.argv[1])))\nprint(len(b.components))",
        &quarkus,
        Duration::from_mins(10),
    )?;
    let cdx_validate = peer(
        "import sys\nfrom cyclonedx.schema import SchemaVersion\nfrom cyclonedx.validation.json import JsonStrictValidator\nprint(JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read()))",
        &quarkus,
        Duration::from_mins(15),
    )?;
    let row = |s: &mut String, task: &str, tool: &str, m: &Measured, ours: Option<&Measured>| {
        let speedup = ours
            .map(|o| format!("{:.0}×", m.wall.as_secs_f64() / o.wall.as_secs_f64()))
            .unwrap_or_default();
        let wall = if m.ok {
            secs(m.wall)
        } else {
            format!("> {} (stopped)", secs(m.wall))
        };
        let _ = writeln!(
            s,
            "| {task} | {tool} | {wall} | {:.0} MiB | {speedup} |",
            m.rss_mib
        );
    };
    row(
        &mut s,
        "parse and validate `OCP-TOOLS-4.11-RHEL-8.json` (3.8 MB SPDX 2.3)",
        "`chainwatch sbom validate`",
        &ocp_ours,
        None,
    );
    row(
        &mut s,
        "",
        "`chainwatch sbom validate --strict`",
        &ocp_strict,
        None,
    );
    match &pyspdx {
        Some(m) => row(
            &mut s,
            "",
            "`pyspdxtools` (spdx-tools 0.8, parse + validate)",
            m,
            Some(&ocp_ours),
        ),
        None => s.push_str("| | spdx-tools: not installed (see docs/benchmarks.md) | | | |\n"),
    }
    row(
        &mut s,
        "read and validate `quarkus-camel-bom-sbom.json` (3.1 MB CycloneDX 1.6)",
        "`chainwatch sbom validate`",
        &quarkus_ours,
        None,
    );
    row(
        &mut s,
        "",
        "`chainwatch sbom validate --strict`",
        &quarkus_strict,
        None,
    );
    match (&cdx_load, &cdx_validate) {
        (Some(load), Some(validate)) => {
            row(
                &mut s,
                "",
                "cyclonedx-python-lib 11: deserialize",
                load,
                Some(&quarkus_ours),
            );
            row(
                &mut s,
                "",
                "cyclonedx-python-lib 11: JSON schema validation",
                validate,
                Some(&quarkus_ours),
            );
        }
        _ => s.push_str("| | cyclonedx-python-lib: not installed | | | |\n"),
    }
    Ok(s)
}
