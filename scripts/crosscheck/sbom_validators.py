#!/usr/bin/env python3
"""Cross-check chainwatch's strict SBOM verdicts against the reference validators.

CycloneDX JSON and XML: cyclonedx-python-lib[validation] (the schemas of each version).
SPDX 2.2/2.3: spdx-tools (parse + validate_full_spdx_document). SPDX 3: spdx-python-model.
CycloneDX and SPDX 2 are validated by `scripts/validate_sboms.py`, as the conformance test
validates chainwatch's outputs.

Usage: scripts/crosscheck/sbom_validators.py [CORPUS] > report.md
Needs a Python with those packages (`pip install spdx-tools 'cyclonedx-python-lib[validation]'
spdx-python-model`) and a built `target/release/chainwatch`. Prints a Markdown report of
counts and of every file where the verdicts differ.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import validate_sboms  # noqa: E402 - the validators, as the conformance test runs them
CORPUS = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CHAINWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
CHAINWATCH = ROOT / "target" / "release" / "chainwatch"


def chainwatch_verdicts(files):
    """file -> (valid, first error) from one `sbom validate --strict --format json` run."""
    out = {}
    for i in range(0, len(files), 200):
        chunk = [str(f) for f in files[i:i + 200]]
        p = subprocess.run([str(CHAINWATCH), "sbom", "validate", "--strict", "--format", "json", *chunk],
                           capture_output=True, text=True)
        for line in p.stdout.splitlines():
            r = json.loads(line)
            first = next((d for d in r["diagnostics"] if d["severity"] == "error"), None)
            out[r["file"]] = (r["valid"], f'{first["code"]}: {first["message"]}' if first else "")
    return out


def verdict(result):
    """(valid, first message) from a `validate_sboms` verdict; valid is None when the
    validators have nothing to say (a version they lack)."""
    name, messages = result
    first = messages[0].splitlines()[0][:160] if messages else ""
    return {"valid": True, "unsupported": None}.get(name, False), first


def cyclonedx_verdict(path):
    return verdict(validate_sboms.cyclonedx(
        "cyclonedx-json" if path.suffix == ".json" else "cyclonedx-xml", str(path)))


def spdx2_verdict(path):
    return verdict(validate_sboms.spdx(str(path)))


def spdx3_verdict(path):
    from spdx_python_model import v3_0_1 as model
    objset = model.SHACLObjectSet()
    try:
        with path.open("r") as f:
            model.JSONLDDeserializer().read(f, objset)
    except Exception as e:  # noqa: BLE001
        return False, f"load error: {str(e).splitlines()[0][:160]}"
    return True, ""


def main():
    cdx = sorted(p for p in (CORPUS / "cyclonedx-spec" / "test-resources").rglob("*")
                 if p.suffix in (".json", ".xml"))
    spdx_dirs = [CORPUS / "spdx" / d for d in ("spdx-spec", "tools-python", "spdx-examples", "ntia-conformance-checker")]
    spdx = sorted(p for d in spdx_dirs for p in d.rglob("*")
                  if p.is_file() and p.suffix in (".json", ".spdx", ".yaml", ".yml") and "schema" not in p.name
                  and "jsonld" not in p.name)
    files = cdx + spdx
    ours = chainwatch_verdicts(files)
    rows, counts = [], {}
    for f in files:
        rel = f.relative_to(CORPUS)
        text = f.read_text(encoding="utf-8", errors="replace")
        if f in cdx:
            tool = "cyclonedx-python-lib"
            theirs = cyclonedx_verdict(f)
        elif '"@context"' in text[:2000] or '"@graph"' in text[:4000]:
            tool = "spdx-python-model"
            theirs = spdx3_verdict(f)
        else:
            tool = "spdx-tools"
            theirs = spdx2_verdict(f)
        mine = ours.get(str(f), (False, "not run"))
        key = (tool, "same" if theirs[0] == mine[0] else "differs" if theirs[0] is not None else "n/a")
        counts[key] = counts.get(key, 0) + 1
        if theirs[0] is not None and theirs[0] != mine[0]:
            rows.append(f"| `{rel}` | {'valid' if mine[0] else 'invalid'}: {mine[1]} | {tool}: {'valid' if theirs[0] else 'invalid'}: {theirs[1]} |")
    print("| reference validator | same verdict | different | not comparable |")
    print("|---|---:|---:|---:|")
    for tool in ("cyclonedx-python-lib", "spdx-tools", "spdx-python-model"):
        print(f"| {tool} | {counts.get((tool, 'same'), 0)} | {counts.get((tool, 'differs'), 0)} | {counts.get((tool, 'n/a'), 0)} |")
    print()
    print("| file | chainwatch (strict) | reference |")
    print("|---|---|---|")
    for r in rows:
        print(r.replace("\n", " "))


if __name__ == "__main__":
    main()
