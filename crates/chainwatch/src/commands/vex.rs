//! `chainwatch vex import|export`: VEX documents into the store (applied to findings when
//! they are read), and a product version's current state out as OpenVEX or CycloneDX VEX.
//! Also `advisories enrich`: KEV and EPSS files.

use std::io::{self, Write};
use std::path::PathBuf;

use chainwatch_store::{FindingQuery, ProductFinding};
use serde_json::{Value, json};

use crate::cli::{Format, Vex, VexExportArgs, VexImportArgs, VexTarget};
use crate::output::{Context, DIM, InputError, Status};
use crate::shared::store::open;

pub(crate) fn run(ctx: &Context, command: Vex) -> anyhow::Result<Status> {
    match command {
        Vex::Import(args) => import(ctx, &args),
        Vex::Export(args) => export(ctx, &args),
    }
}

/// Files named, directories searched for `.json`, `.yaml`, `.yml` and `.xml` files.
fn files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    out.push(dir);
                    continue;
                };
                let mut entries: Vec<PathBuf> =
                    entries.filter_map(Result::ok).map(|e| e.path()).collect();
                entries.sort();
                for e in entries {
                    let Ok(meta) = std::fs::symlink_metadata(&e) else {
                        continue;
                    };
                    if meta.is_dir() {
                        stack.push(e);
                    } else if meta.is_file()
                        && matches!(
                            e.extension().and_then(|x| x.to_str()),
                            Some("json" | "yaml" | "yml" | "xml")
                        )
                    {
                        out.push(e);
                    }
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// VEX documents are small; refuse what is not.
const MAX_VEX: u64 = 256 << 20;

fn import(ctx: &Context, args: &VexImportArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let stdout = anstream::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    for path in files(&args.paths) {
        let shown = path.display().to_string();
        let bytes = match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_VEX => Err(format!("larger than {} MiB", MAX_VEX >> 20)),
            Ok(_) => std::fs::read(&path).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let result = bytes.and_then(|b| {
            chainwatch_advisory::vex::parse(&b)
                .map_err(|e| e.to_string())
                .map(|doc| (b, doc))
        });
        let (bytes, doc) = match result {
            Ok(x) => x,
            Err(message) => {
                failed += 1;
                match args.output.format {
                    Format::Json => {
                        serde_json::to_writer(&mut out, &json!({"path": shown, "error": message}))?;
                        writeln!(out)?;
                    }
                    Format::Human => writeln!(out, "{shown}: error: {message}")?,
                }
                continue;
            }
        };
        let imported = store.import_vex(&bytes, &doc)?;
        match args.output.format {
            Format::Json => {
                serde_json::to_writer(
                    &mut out,
                    &json!({"path": shown, "id": imported.id, "stored": imported.stored,
                            "format": imported.format, "statements": imported.statements,
                            "problems": doc.problems}),
                )?;
                writeln!(out)?;
            }
            Format::Human => {
                for p in &doc.problems {
                    writeln!(out, "{shown}: {} at {}: {}", p.code, p.pointer, p.message)?;
                }
                if imported.stored {
                    writeln!(
                        out,
                        "{shown}: stored {} statements ({}, document {})",
                        imported.statements, imported.format, imported.id
                    )?;
                } else {
                    writeln!(
                        out,
                        "{shown}: already stored (document {}), nothing to do",
                        imported.id
                    )?;
                }
            }
        }
    }
    out.flush()?;
    // Statements change which findings count: the policy's violations with them.
    crate::shared::policy::evaluate(ctx, &store, None, args.output.format == Format::Human)?;
    Ok(if failed > 0 {
        Status::BadInput
    } else {
        Status::Success
    })
}

/// A UUID (version 4 layout) derived from content, so the same state exports the same id.
fn uuid_of(content: &str) -> String {
    let h = chainwatch_store::digest_hex(content.as_bytes());
    let mut b: Vec<char> = h.chars().take(32).collect();
    b[12] = '4';
    b[16] = match b[16] {
        '0' | '4' | '8' | 'c' => '8',
        '1' | '5' | '9' | 'd' => '9',
        '2' | '6' | 'a' | 'e' => 'a',
        _ => 'b',
    };
    let s: String = b.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..]
    )
}

fn status_of(f: &ProductFinding) -> &'static str {
    f.vex.as_ref().map_or("affected", |v| v.status.as_str())
}

fn action_of(f: &ProductFinding) -> Option<String> {
    if let Some(a) = f.vex.as_ref().and_then(|v| v.action.clone()) {
        return Some(a);
    }
    (status_of(f) == "affected").then(|| {
        if f.fixed_in.is_empty() {
            "No fixed version is known".to_owned()
        } else {
            format!("Upgrade to {}", f.fixed_in.join(" or "))
        }
    })
}

fn export(ctx: &Context, args: &VexExportArgs) -> anyhow::Result<Status> {
    let store = open(ctx)?;
    let product = &args.product.name;
    let (info, _) = store.export(product, args.product.version(), None)?;
    let version = info.version.clone();
    let rows = store.findings(&FindingQuery {
        product: Some(product.clone()),
        version: Some(version.clone()),
        include_suppressed: true,
        ..FindingQuery::default()
    })?;
    let product_id = format!("pkg:generic/{product}@{version}");
    let now = crate::shared::time::timestamp();
    let doc = match args.to {
        VexTarget::Openvex => openvex(&rows, &product_id, &now),
        VexTarget::Cyclonedx => cyclonedx(&rows, product, &version, &now),
    };
    let text = serde_json::to_string_pretty(&doc)?;
    if let Some(path) = &args.output {
        std::fs::write(path, format!("{text}\n"))
            .map_err(|e| InputError(format!("cannot write `{}`: {e}", path.display())))?;
    } else {
        let stdout = anstream::stdout();
        let mut out = stdout.lock();
        writeln!(out, "{text}")?;
    }
    if ctx.printer.summaries() {
        let suppressed = rows.iter().filter(|f| f.suppressed()).count();
        writeln!(
            anstream::stderr().lock(),
            "{DIM}{product}@{version}: {} statements ({suppressed} not affected or fixed){DIM:#}",
            rows.len()
        )?;
    }
    Ok(Status::Success)
}

fn openvex(rows: &[ProductFinding], product_id: &str, now: &str) -> Value {
    let statements: Vec<Value> = rows
        .iter()
        .map(|f| {
            let mut s = json!({
                "vulnerability": {"name": f.advisory, "aliases": f.aliases},
                "products": [{"@id": product_id, "subcomponents": [{"@id": f.package}]}],
                "status": status_of(f),
            });
            if let Some(v) = &f.vex {
                if let Some(j) = &v.justification {
                    s["justification"] = j.clone().into();
                }
                if let Some(i) = &v.impact {
                    s["impact_statement"] = i.clone().into();
                }
                if let Some(t) = &v.timestamp {
                    s["timestamp"] = t.clone().into();
                }
            }
            if let Some(a) = action_of(f) {
                s["action_statement"] = a.into();
            }
            s
        })
        .collect();
    let body = serde_json::to_string(&statements).unwrap_or_default();
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("urn:uuid:{}", uuid_of(&format!("{product_id}{body}"))),
        "author": "chainwatch",
        "timestamp": now,
        "version": 1,
        "tooling": format!("chainwatch {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    })
}

fn cyclonedx(rows: &[ProductFinding], product: &str, version: &str, now: &str) -> Value {
    let mut components: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in rows {
        if seen.insert(f.package.as_str()) {
            let (name, v) = chainwatch_purl::Purl::parse(&f.package).map_or_else(
                |_| (f.package.clone(), None),
                |p| (p.name().to_owned(), p.version().map(str::to_owned)),
            );
            let mut c =
                json!({"type": "library", "bom-ref": f.package, "name": name, "purl": f.package});
            if let Some(v) = v {
                c["version"] = v.into();
            }
            components.push(c);
        }
    }
    let vulnerabilities: Vec<Value> = rows
        .iter()
        .map(|f| {
            let state = match status_of(f) {
                "not_affected" => "not_affected",
                "fixed" => "resolved",
                "under_investigation" => "in_triage",
                _ => "exploitable",
            };
            let mut analysis = json!({"state": state});
            let mut detail = f.vex.as_ref().and_then(|v| v.impact.clone());
            if let Some(j) = f.vex.as_ref().and_then(|v| v.justification.as_deref()) {
                match chainwatch_advisory::vex::cyclonedx_justification(j) {
                    Some(c) => analysis["justification"] = c.into(),
                    None => {
                        detail = Some(match detail {
                            Some(d) => format!("{d} (justification: {j})"),
                            None => format!("justification: {j}"),
                        });
                    }
                }
            }
            if let Some(d) = detail {
                analysis["detail"] = d.into();
            }
            if state == "exploitable" {
                analysis["response"] = if f.fixed_in.is_empty() {
                    json!(["will_not_fix"])
                } else {
                    json!(["update"])
                };
            }
            let mut v = json!({
                "id": f.advisory,
                "references": f.aliases.iter().map(|a| json!({"id": a, "source": {"name": "alias"}})).collect::<Vec<_>>(),
                "affects": [{"ref": f.package}],
                "analysis": analysis,
            });
            if let Some(s) = &f.summary {
                v["description"] = s.clone().into();
            }
            if let Some(sev) = &f.severity {
                let mut rating = json!({"severity": sev});
                if let Some(score) = f.score {
                    rating["score"] = score.into();
                }
                v["ratings"] = json!([rating]);
            }
            if let Some(a) = action_of(f) {
                v["recommendation"] = a.into();
            }
            v
        })
        .collect();
    let body = serde_json::to_string(&vulnerabilities).unwrap_or_default();
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid_of(&format!("{product}@{version}{body}"))),
        "version": 1,
        "metadata": {
            "timestamp": now,
            "tools": {"components": [{"type": "application", "name": "chainwatch", "version": env!("CARGO_PKG_VERSION")}]},
            "component": {"type": "application", "bom-ref": format!("pkg:generic/{product}@{version}"), "name": product, "version": version},
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    })
}
