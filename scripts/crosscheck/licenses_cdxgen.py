#!/usr/bin/env python3
"""Cross-check the licences `chainwatch sbom generate` finds against cdxgen's.

Runs both on every inventory fixture (`crates/chainwatch-inventory/tests/fixtures/*`,
except `broken`), offline: cdxgen with `FETCH_LICENSE=false` and `--no-install-deps`, so
that each states only what the tree says, as chainwatch does. Compares, per package URL
(without qualifiers), whether each tool gives a licence and which.

Usage: scripts/crosscheck/licenses_cdxgen.py CDXGEN > report.md
CDXGEN is the `cdxgen` executable (`npm install @cyclonedx/cdxgen` in a scratch
directory); needs a built `target/release/chainwatch`. Prints a Markdown report: per
fixture, the packages each tool reads, how many have a licence, and every package where
the licences differ.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates/chainwatch-inventory/tests/fixtures"
CHAINWATCH = ROOT / "target/release/chainwatch"


def key(purl):
    """A package URL without qualifiers and subpath, `%40` as `@`, for matching."""
    purl = purl.split("#", 1)[0].split("?", 1)[0]
    return purl.replace("%40", "@").lower()


def licence_of(component):
    """A CycloneDX component's licence as one expression (several entries: all apply)."""
    parts = []
    for entry in component.get("licenses") or []:
        if "expression" in entry:
            parts.append(entry["expression"])
        else:
            lic = entry.get("license") or {}
            parts.append(lic.get("id") or lic.get("name") or "")
    parts = [p for p in parts if p]
    if not parts:
        return None
    return " AND ".join(f"({p})" if " " in p and len(parts) > 1 else p for p in parts)


def components(doc):
    out = {}
    stack = list(doc.get("components") or [])
    while stack:
        c = stack.pop()
        stack.extend(c.get("components") or [])
        if c.get("purl"):
            out[key(c["purl"])] = licence_of(c)
    return out


def chainwatch(fixture, out):
    subprocess.run(
        [CHAINWATCH, "sbom", "generate", fixture, "--to", "cyclonedx-json", "-o", out],
        check=False,
        capture_output=True,
    )
    return json.loads(Path(out).read_text())


def cdxgen(exe, fixture, out):
    env = dict(os.environ, FETCH_LICENSE="false", CDXGEN_DEBUG_MODE="")
    subprocess.run(
        [exe, "-r", "--no-install-deps", "-o", out, str(fixture)],
        check=False,
        capture_output=True,
        env=env,
        timeout=600,
    )
    try:
        return json.loads(Path(out).read_text())
    except (OSError, ValueError):
        return {}


def main():
    exe = sys.argv[1]
    print("| fixture | chainwatch: packages | with a licence | cdxgen: packages | with a licence |")
    print("|---|---:|---:|---:|---:|")
    differences = []
    with tempfile.TemporaryDirectory() as tmp:
        for fixture in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "broken"):
            ours = components(chainwatch(fixture, f"{tmp}/{fixture.name}.cw.json"))
            theirs = components(cdxgen(exe, fixture, f"{tmp}/{fixture.name}.cdxgen.json"))
            print(
                f"| {fixture.name} | {len(ours)} | {sum(1 for v in ours.values() if v)} "
                f"| {len(theirs)} | {sum(1 for v in theirs.values() if v)} |"
            )
            for purl in sorted(set(ours) | set(theirs)):
                a, b = ours.get(purl), theirs.get(purl)
                if (a or b) and a != b:
                    differences.append((fixture.name, purl, a, b, purl in ours, purl in theirs))
    print()
    print("Differences (a package missing from one tool is marked `not read`):")
    print()
    print("| fixture | package | chainwatch | cdxgen |")
    print("|---|---|---|---|")
    for name, purl, a, b, in_ours, in_theirs in differences:
        a = a if a else ("—" if in_ours else "not read")
        b = b if b else ("—" if in_theirs else "not read")
        print(f"| {name} | `{purl}` | {a} | {b} |")


if __name__ == "__main__":
    main()
