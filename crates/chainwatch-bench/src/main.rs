//! `chainwatch-bench`: measures chainwatch and writes the results into
//! `docs/benchmarks.md`, between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`.
//!
//! ```text
//! cargo run --release -p chainwatch-bench -- purl          # print the table
//! cargo run --release -p chainwatch-bench -- purl --write  # and update docs/benchmarks.md
//! cargo run --release -p chainwatch-bench -- generate 500000 big.cdx.json  # test data
//! cargo run --release -p chainwatch-bench -- portfolio DIR   # 10,000 SBOMs × 500 components
//! cargo run --release -p chainwatch-bench -- monorepo DIR    # ≥ 50,000 lockfile entries
//! cargo run --release -p chainwatch-bench -- advisories --write  # 300,000 OSV records
//! cargo run --release -p chainwatch-bench -- attest --write      # DSSE and Sigstore bundles
//! cargo run --release -p chainwatch-bench -- load --write        # the server under load
//! cargo run --release -p chainwatch-bench -- policy --write      # what a policy adds to scan
//! cargo run --release -p chainwatch-bench -- audit --write       # package audits vs GuardDog
//! cargo run --release -p chainwatch-bench -- release --write     # release vs source: the xz drill
//! cargo run --release -p chainwatch-bench -- model --write       # model files vs picklescan, modelscan
//! ```
//!
//! Benchmarks run on one thread. Peak RSS is the process's `VmHWM`, the same number
//! `/usr/bin/time -v` reports as "Maximum resident set size".

#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

mod advisories;
mod attest;
mod audit;
mod console;
mod inventory;
mod load;
mod machine;
mod model;
mod policy;
mod purl;
mod queue;
mod release;
mod sbom;
mod store;
mod typosquat;
mod versions;

use anyhow::{Context as _, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `chainwatch-bench generate N PATH`: the generated CycloneDX document alone.
    if let [cmd, n, path] = &args[..]
        && cmd == "generate"
    {
        let n: usize = n.parse().context("N: a number of components")?;
        let size = sbom::generate(std::path::Path::new(path), n)?;
        println!("{path}: {n} components, {size} bytes");
        return Ok(());
    }
    // `chainwatch-bench portfolio DIR`: the generated portfolio alone.
    if let [cmd, dir] = &args[..]
        && cmd == "portfolio"
    {
        store::generate_portfolio(std::path::Path::new(dir))?;
        println!(
            "{dir}: {} SBOMs × {} components from a pool of {}",
            store::SBOMS,
            store::COMPONENTS,
            store::POOL
        );
        return Ok(());
    }
    // `chainwatch-bench monorepo DIR`: the generated monorepo alone.
    if let [cmd, dir] = &args[..]
        && cmd == "monorepo"
    {
        let n = inventory::generate_monorepo(std::path::Path::new(dir))?;
        println!("{dir}: {n} lockfile entries and a dpkg database");
        return Ok(());
    }
    // `chainwatch-bench store-queries`: the store's query table alone, on the stores
    // the last `store` run filled.
    if let [cmd] = &args[..]
        && cmd == "store-queries"
    {
        println!("{}", store::queries_only()?);
        return Ok(());
    }
    let write = args.iter().any(|a| a == "--write");
    let names: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    if names.is_empty() {
        bail!(
            "usage: chainwatch-bench <purl|versions|sbom|store|inventory|advisories|typosquat|attest|load|console|policy|audit|release|model|queue>... [--write]"
        );
    }
    for name in names {
        let section = match name {
            "purl" => purl::run()?,
            "versions" => versions::run()?,
            "sbom" => sbom::run()?,
            "store" => store::run()?,
            "inventory" => inventory::run()?,
            "advisories" => advisories::run()?,
            "typosquat" => typosquat::run()?,
            "attest" => attest::run()?,
            "load" => load::run()?,
            "console" => console::run()?,
            "policy" => policy::run()?,
            "audit" => audit::run()?,
            "release" => release::run()?,
            "model" => model::run()?,
            "queue" => queue::run()?,
            other => {
                bail!(
                    "unknown benchmark `{other}`: expected `purl`, `versions`, `sbom`, `store`, `inventory`, `advisories`, `typosquat`, `attest`, `load`, `console`, `policy`, `audit`, `release`, `model` or `queue`"
                )
            }
        };
        println!("{section}");
        if write {
            machine::write_section(name, &section).context("updating docs/benchmarks.md")?;
        }
    }
    Ok(())
}
