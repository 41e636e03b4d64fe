#!/usr/bin/env python3
"""Cross-check chainwatch's NTIA minimum-elements verdicts against ntia-conformance-checker.

Runs `chainwatch sbom validate --ntia --format json` and the checker's `sbomcheck -c ntia -r
json` on every SPDX 2 document of the corpus (JSON, YAML, tag-value: the formats both
read) and compares the seven elements one by one: supplier, name, version, unique
identifier (of every package), dependency relationships, author and timestamp (of the
document). A file counts when both read it.

Usage: scripts/crosscheck/ntia.py SBOMCHECK [CORPUS] > report.md
SBOMCHECK is the checker's `sbomcheck` (`pip install ntia-conformance-checker==6.0.0` in a
virtual environment); needs a built `target/release/chainwatch`. Prints a Markdown report:
agreement per element and every file where the verdicts differ.
"""
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SBOMCHECK = sys.argv[1]
CORPUS = Path(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("CHAINWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
CHAINWATCH = os.environ.get("CHAINWATCH_BIN", str(ROOT / "target" / "release" / "chainwatch"))

ELEMENTS = ["supplier", "name", "version", "identifier", "relationships", "author", "timestamp"]


def spdx2_files():
    out = []
    for p in sorted(CORPUS.rglob("*")):
        if not p.is_file() or "/invalid" in str(p):
            continue
        n = p.name.lower()
        if n.endswith((".spdx.json", ".spdx.yaml", ".spdx.yml", ".spdx")) or (n.endswith(".json") and "spdx" in n):
            try:
                head = p.read_bytes()[:4096]
            except OSError:
                continue
            if b"SPDX-2." in head or b"SPDXVersion" in head or b"spdxVersion" in head:
                out.append(p)
    return out


def chainwatch(files):
    """file -> set of missing elements, or None when chainwatch does not read it."""
    out = {}
    for i in range(0, len(files), 100):
        chunk = [str(f) for f in files[i:i + 100]]
        p = subprocess.run([CHAINWATCH, "sbom", "validate", "--ntia", "--format", "json", *chunk],
                           capture_output=True, text=True)
        for line in p.stdout.splitlines():
            r = json.loads(line)
            if r.get("ntia") is None:
                out[r["file"]] = None
                continue
            out[r["file"]] = {d["code"].removeprefix("ntia-missing-") for d in r["ntia"]["missing"]}
    return out


def checker(path):
    """The set of missing elements, or None when the checker does not read the file."""
    p = subprocess.run([SBOMCHECK, "-c", "ntia", "-r", "json", "-q", str(path)],
                       capture_output=True, text=True, timeout=300)
    try:
        r = json.loads(p.stdout)
    except json.JSONDecodeError:
        return None
    if r.get("parsingError"):
        return None
    missing = set()
    for element, key in [("supplier", "componentSuppliers"), ("name", "componentNames"),
                         ("version", "componentVersions"), ("identifier", "componentIdentifiers")]:
        if not r.get(key, {}).get("allProvided", False):
            missing.add(element)
    for element, key in [("relationships", "dependencyRelationshipsProvided"),
                         ("author", "authorNameProvided"), ("timestamp", "timestampProvided")]:
        if not r.get(key, False):
            missing.add(element)
    return missing


def main():
    files = spdx2_files()
    ours = chainwatch(files)
    agree = Counter()
    both = 0
    only_ours = only_theirs = neither = 0
    differences = []
    for f in files:
        a = ours.get(str(f))
        b = checker(f)
        if a is None and b is None:
            neither += 1
            continue
        if a is None:
            only_theirs += 1
            differences.append((f, "not read by chainwatch", ""))
            continue
        if b is None:
            only_ours += 1
            continue
        both += 1
        for e in ELEMENTS:
            if (e in a) == (e in b):
                agree[e] += 1
            else:
                differences.append((f, e, "chainwatch: missing" if e in a else "checker: missing"))
    print(f"SPDX 2 documents: {len(files)}; read by both: {both}; by chainwatch only: {only_ours}; "
          f"by the checker only: {only_theirs}; by neither: {neither}\n")
    print("| Element | Same verdict |")
    print("|---|---|")
    for e in ELEMENTS:
        print(f"| {e} | {agree[e]} / {both} |")
    if differences:
        print("\n| File | Element | Who says missing |")
        print("|---|---|---|")
        for f, e, who in differences:
            print(f"| `{f.relative_to(CORPUS)}` | {e} | {who} |")


if __name__ == "__main__":
    main()
