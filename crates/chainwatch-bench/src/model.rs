//! The model-file audit benchmark (issue 23): every file of `scripts/model-fixtures.sh`
//! (clean checkpoints and malicious variants made with the real libraries) read by
//! `chainwatch audit model`, picklescan and modelscan (from `target/model-peers`, PyPI) in
//! the same run, with each verdict and every disagreement; and the speed targets on files
//! of about 1 GB (safetensors, GGUF, a PyTorch zip).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::machine;
use crate::sbom::{best_of_3, chainwatch_binary, secs, time_v};

fn root() -> PathBuf {
    chainwatch_testkit::workspace_root()
}

/// What one tool said about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Flagged (with what).
    Flags(String),
    /// Read it and found nothing.
    Clean,
    /// Did not read it (unsupported format).
    Skipped,
    /// Failed on it.
    Error(String),
}

impl Verdict {
    fn flags(&self) -> bool {
        matches!(self, Verdict::Flags(_))
    }

    fn cell(&self) -> String {
        match self {
            Verdict::Flags(what) => format!("**flags** {what}"),
            Verdict::Clean => "clean".into(),
            Verdict::Skipped => "skipped".into(),
            Verdict::Error(why) => format!("error: {why}"),
        }
    }
}

fn chainwatch(binary: &Path, file: &Path) -> anyhow::Result<Verdict> {
    let out = Command::new(binary)
        .args(["audit", "model", "--quiet", "--format", "json"])
        .arg(file)
        .output()?;
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut rules: Vec<String> = rows
        .iter()
        .filter(|r| matches!(r["severity"].as_str(), Some("high" | "critical" | "medium")))
        .map(|r| {
            format!(
                "`{}` ({})",
                r["rule"].as_str().unwrap_or(""),
                r["severity"].as_str().unwrap_or("")
            )
        })
        .collect();
    rules.dedup();
    Ok(if out.status.code() == Some(1) || !rules.is_empty() {
        Verdict::Flags(rules.join(", "))
    } else if out.status.code() == Some(0) {
        Verdict::Clean
    } else {
        Verdict::Error(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    })
}

fn picklescan(peers: &Path, file: &Path) -> anyhow::Result<Verdict> {
    let out = Command::new(peers.join("bin/picklescan"))
        .arg("-p")
        .arg(file)
        .output()
        .context("picklescan (scripts/model-fixtures.sh installs it)")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let count = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    let dangerous = count("Dangerous globals:");
    let error = text
        .lines()
        .find(|l| l.contains("ERROR"))
        .map(|l| l.split(": ").last().unwrap_or(l).trim().to_owned());
    Ok(if dangerous > 0 {
        Verdict::Flags(format!("{dangerous} dangerous global(s)"))
    } else if text.contains("could not parse") {
        Verdict::Skipped
    } else if let Some(e) = error {
        Verdict::Error(e)
    } else if count("Scanned files:") == 0 {
        Verdict::Skipped
    } else {
        Verdict::Clean
    })
}

fn modelscan(peers: &Path, file: &Path) -> anyhow::Result<Verdict> {
    let out = Command::new(peers.join("bin/modelscan"))
        .arg("-p")
        .arg(file)
        .output()
        .context("modelscan (scripts/model-fixtures.sh installs it)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let issues = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Total Issues:"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    Ok(if issues > 0 {
        Verdict::Flags(format!("{issues} issue(s)"))
    } else if text.contains("Scanning ") {
        Verdict::Clean
    } else if text.contains("Total skipped:") {
        Verdict::Skipped
    } else {
        Verdict::Error(text.lines().last().unwrap_or("").trim().to_owned())
    })
}

/// What chainwatch, picklescan and modelscan say about `file`.
fn verdicts(binary: &Path, peers: &Path, file: &Path) -> anyhow::Result<[Verdict; 3]> {
    Ok([
        chainwatch(binary, file)?,
        picklescan(peers, file)?,
        modelscan(peers, file)?,
    ])
}

fn files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading `{}`", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}

/// The best wall time of `runs` runs of `program args`, timed here (`/usr/bin/time`
/// counts in hundredths of a second; these runs take a few milliseconds).
fn wall(program: &str, args: &[&str], runs: usize) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            let _ = Command::new(program).args(args).output();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn time_peer(program: &Path, args: &[&str], files: &[PathBuf]) -> Duration {
    let start = Instant::now();
    for f in files {
        let _ = Command::new(program).args(args).arg(f).output();
    }
    start.elapsed()
}

/// A Hugging Face hub cache of `n` models as `huggingface_hub` lays it out: per model a
/// config, a card with front matter, a 2 MB `tokenizer.json` (ordinary blobs, hashed by
/// the inventory) and 64 KiB of weights stored through LFS (its blob named by a digest).
fn hub_cache(root: &Path, n: usize) -> anyhow::Result<()> {
    if root.join("done").is_file() {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(root);
    let tokenizer: Vec<u8> = (0..2_000_000u32)
        .map(|i| b"abcdefghij"[(i % 10) as usize])
        .collect();
    for m in 0..n {
        let base = root.join(format!("models--org{}--model-{m}", m % 7));
        let rev = format!("{m:040x}");
        let snap = base.join("snapshots").join(&rev);
        std::fs::create_dir_all(&snap)?;
        std::fs::create_dir_all(base.join("blobs"))?;
        std::fs::create_dir_all(base.join("refs"))?;
        std::fs::write(base.join("refs/main"), &rev)?;
        let card = format!(
            "---\nlicense: apache-2.0\nbase_model: org0/model-{}\ndatasets: [org1/data-{m}]\npipeline_tag: text-generation\n---\n# model {m}\n",
            m / 2
        );
        let files: [(&str, Vec<u8>, String); 4] = [
            (
                "config.json",
                br#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}"#.to_vec(),
                format!("{:040x}", 4 * m + 1),
            ),
            (
                "README.md",
                card.into_bytes(),
                format!("{:040x}", 4 * m + 2),
            ),
            (
                "tokenizer.json",
                tokenizer.clone(),
                format!("{:040x}", 4 * m + 3),
            ),
            (
                "model.safetensors",
                vec![0u8; 64 << 10],
                format!("{:064x}", m + 1),
            ),
        ];
        for (name, bytes, blob) in files {
            std::fs::write(base.join("blobs").join(&blob), bytes)?;
            std::os::unix::fs::symlink(format!("../../blobs/{blob}"), snap.join(name))?;
        }
    }
    std::fs::write(root.join("done"), "")?;
    Ok(())
}

pub(crate) fn run() -> anyhow::Result<String> {
    let binary = chainwatch_binary()?;
    let bin = binary.to_str().context("binary path")?;
    let data = root().join("target/model-data");
    let status = Command::new("bash")
        .arg(root().join("scripts/model-fixtures.sh"))
        .arg(&data)
        .arg("--large")
        .status()
        .context("scripts/model-fixtures.sh")?;
    if !status.success() {
        bail!("scripts/model-fixtures.sh failed");
    }
    let peers = root().join("target/model-peers");
    let malicious = files(&data.join("malicious"))?;
    let clean = files(&data.join("clean"))?;

    let mut out = String::new();
    writeln!(out, "Machine: {}\n", machine::describe())?;
    writeln!(
        out,
        "`chainwatch audit model` (release build) against picklescan 1.0.5 and modelscan 0.8.8 (PyPI, `-p FILE`) on the files of `scripts/model-fixtures.sh`: {} malicious variants and {} clean files made with NumPy 2.4, safetensors 0.8, joblib 1.6, scikit-learn 1.9, gguf 0.19 and h5py 3.16 (PyTorch's two formats and Keras 3 archives written as `torch.save` and `model.save` write them: neither library installs here within limits), plus fickling's own injection into a clean scikit-learn pickle. A verdict is *flags* when the tool reports the file (chainwatch: a medium or worse finding), *clean* when it read the file and found nothing, *skipped* when it did not read it.\n",
        malicious.len(),
        clean.len()
    )?;
    writeln!(
        out,
        "| malicious file | chainwatch | picklescan | modelscan |"
    )?;
    writeln!(out, "|---|---|---|---|")?;
    let mut caught = [0usize; 3];
    let mut notes = Vec::new();
    for file in &malicious {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let v = verdicts(&binary, &peers, file)?;
        for (i, verdict) in v.iter().enumerate() {
            if verdict.flags() {
                caught[i] += 1;
            }
        }
        if !v[0].flags() && (v[1].flags() || v[2].flags()) {
            notes.push(format!("`{name}`: a peer flags it and chainwatch does not"));
        }
        writeln!(
            out,
            "| `{name}` | {} | {} | {} |",
            v[0].cell(),
            v[1].cell(),
            v[2].cell()
        )?;
    }
    writeln!(
        out,
        "| **caught** | **{}/{n}** | **{}/{n}** | **{}/{n}** |\n",
        caught[0],
        caught[1],
        caught[2],
        n = malicious.len()
    )?;
    let mut alarms = [0usize; 3];
    let mut alarm_files: Vec<String> = Vec::new();
    let mut skipped = [0usize; 3];
    for file in &clean {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let v = verdicts(&binary, &peers, file)?;
        for (i, verdict) in v.iter().enumerate() {
            if verdict.flags() {
                alarms[i] += 1;
                alarm_files.push(format!(
                    "`{name}` ({})",
                    ["chainwatch", "picklescan", "modelscan"][i]
                ));
            }
            if matches!(verdict, Verdict::Skipped | Verdict::Error(_)) {
                skipped[i] += 1;
            }
        }
    }
    writeln!(
        out,
        "Clean files ({}): false alarms chainwatch {}, picklescan {}, modelscan {}; not read (skipped or failed): chainwatch {}, picklescan {}, modelscan {}{}.\n",
        clean.len(),
        alarms[0],
        alarms[1],
        alarms[2],
        skipped[0],
        skipped[1],
        skipped[2],
        if alarm_files.is_empty() {
            String::new()
        } else {
            format!(" ({})", alarm_files.join(", "))
        }
    )?;
    if notes.is_empty() {
        writeln!(
            out,
            "No malicious file that picklescan or modelscan flags is missed by chainwatch.\n"
        )?;
    } else {
        writeln!(out, "Misses: {}.\n", notes.join("; "))?;
    }

    // Speed.
    let all: Vec<PathBuf> = malicious.iter().chain(&clean).cloned().collect();
    let long = Duration::from_mins(10);
    let mut every: Vec<&str> = vec!["audit", "model", "--quiet", "--format", "json"];
    let all_str: Vec<String> = all.iter().map(|p| p.display().to_string()).collect();
    every.extend(all_str.iter().map(String::as_str));
    let ours = best_of_3(bin, &every, long)?;
    let ours_wall = wall(bin, &every, 5);
    let ps = time_peer(&peers.join("bin/picklescan"), &["-p"], &all);
    let ms = time_peer(&peers.join("bin/modelscan"), &["-p"], &all);
    writeln!(
        out,
        "All {} files: chainwatch {} in one run ({:.0} MiB peak); picklescan {} and modelscan {} (one run per file, as each takes one path).\n",
        all.len(),
        millis(ours_wall),
        ours.rss_mib,
        secs(ps),
        secs(ms)
    )?;
    writeln!(
        out,
        "Files of about 1 GB (256 float32 tensors of 1024 × 1024; `scripts/model-fixtures.sh OUT --large`), the whole process timed, best of 5 (peers once, `/usr/bin/time`, to 10 ms):\n"
    )?;
    writeln!(
        out,
        "| large file | size | chainwatch | peak RSS | target | picklescan | modelscan |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|")?;
    for (name, target) in [
        ("large.safetensors", "≤ 100 ms"),
        ("large.gguf", "≤ 100 ms"),
        ("large.pt", "≤ 1 s"),
    ] {
        let file = data.join(name);
        let size = std::fs::metadata(&file)?.len();
        let path = file.to_str().context("path")?;
        let m = best_of_3(bin, &["audit", "model", "--quiet", path], long)?;
        let took = wall(bin, &["audit", "model", "--quiet", path], 5);
        let ps = time_v(
            &peers.join("bin/picklescan").display().to_string(),
            &["-p", path],
            long,
        )?;
        let ms = time_v(
            &peers.join("bin/modelscan").display().to_string(),
            &["-p", path],
            long,
        )?;
        #[allow(clippy::cast_precision_loss)]
        let gb = size as f64 / 1e9;
        writeln!(
            out,
            "| `{name}` | {gb:.2} GB | {} | {:.0} MiB | {target} | {} | {} |",
            millis(took),
            m.rss_mib,
            secs(ps.wall),
            secs(ms.wall)
        )?;
    }
    let hub = root().join("target/bench-data/hub");
    hub_cache(&hub, 100)?;
    let hub_arg = hub.to_str().context("path")?;
    let inventory = best_of_3(bin, &["sbom", "generate", hub_arg, "-o", "/dev/null"], long)?;
    let took = wall(bin, &["sbom", "generate", hub_arg, "-o", "/dev/null"], 5);
    writeln!(
        out,
        "\nThe inventory of a Hugging Face hub cache of 100 models (each a config, a card naming a base model and a dataset, a 2 MB `tokenizer.json` that is hashed, 64 KiB of LFS weights named by their digest; 250 components: the models and the 50 base models and 100 datasets their cards name): `chainwatch sbom generate` {} ({:.0} MiB peak); target ≤ 1 s.",
        millis(took),
        inventory.rss_mib
    )?;
    Ok(out)
}
