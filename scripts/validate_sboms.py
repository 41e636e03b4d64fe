#!/usr/bin/env python3
"""Validates SBOM files with validators chainwatch did not write.

Reads lines `KIND<TAB>PATH` on standard input, KIND one of `spdx` (SPDX 2.2/2.3 in any
encoding, parsed and validated by spdx-tools), `spdx3` (SPDX 3.0.1 JSON-LD, read by
spdx-python-model, the SPDX project's bindings generated from its SHACL model: types,
enumerations, IRIs, required and repeated properties, references to elements the
document lacks), `cyclonedx-json`, `cyclonedx-xml` (schema validation by
cyclonedx-python-lib, strict for JSON, at the version the document names).
Writes one JSON line per input, in input order:
  {"path": PATH, "verdict": "valid" | "invalid" | "unreadable" | "unsupported",
   "messages": [first messages]}
Runs in target/peers (scripts/services.sh installs the validators there).
"""

import functools
import io
import json
import multiprocessing
import re
import sys

MESSAGES = 5


def spdx(path):
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    try:
        doc = parse_file(path)
    except SPDXParsingError as e:
        return "unreadable", [str(m) for m in e.get_messages()]
    except Exception as e:  # JSON, YAML, XML errors, unsupported encodings
        return "unreadable", [f"{type(e).__name__}: {e}"]
    version = doc.creation_info.spdx_version
    if version not in ("SPDX-2.2", "SPDX-2.3"):
        return "unsupported", [f"spdx-tools validates SPDX-2.2 and SPDX-2.3, not {version}"]
    try:
        found = validate_full_spdx_document(doc, version)
    except Exception as e:
        return "unreadable", [f"validator failed: {type(e).__name__}: {e}"]
    return ("invalid" if found else "valid"), [m.validation_message for m in found]


@functools.lru_cache(maxsize=None)
def cdx_validator(kind, version):
    from cyclonedx.schema import SchemaVersion

    sv = getattr(SchemaVersion, "V" + version.replace(".", "_"), None)
    if sv is None:
        return None
    if kind == "cyclonedx-json":
        from cyclonedx.validation.json import JsonStrictValidator

        return JsonStrictValidator(sv)
    from cyclonedx.validation.xml import XmlValidator

    return XmlValidator(sv)


def cyclonedx(kind, path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", errors="replace")
    if kind == "cyclonedx-json":
        try:
            version = str(json.loads(text).get("specVersion", ""))
        except Exception as e:
            return "unreadable", [f"{type(e).__name__}: {e}"]
    else:
        m = re.search(r"http://cyclonedx\.org/schema/bom/([0-9.]+)", text[:4096])
        version = m.group(1) if m else ""
    validator = cdx_validator(kind, version)
    if validator is None:
        return "unsupported", [f"no schema for CycloneDX `{version}`"]
    try:
        errors = validator.validate_str(text, all_errors=True)
    except Exception as e:
        return "unreadable", [f"{type(e).__name__}: {e}"]
    if errors is None:
        return "valid", []
    messages = []
    for e in errors:
        d = e.data
        where = getattr(d, "absolute_path", None)
        if where is not None:
            messages.append(f"{d.message} at /{'/'.join(str(x) for x in where)}")
        else:
            messages.append(f"{getattr(d, 'message', d)} at line {getattr(d, 'line', '?')}")
        if len(messages) >= MESSAGES:
            break
    return "invalid", messages


def spdx3(path):
    try:
        from spdx_python_model import v3_0_1 as model
    except ImportError:
        return "unsupported", ["spdx-python-model is not installed"]
    with open(path, "rb") as f:
        head = f.read(8192)
    if b"spdx.org/rdf/3.0.1/" not in head:
        return "unsupported", ["spdx-python-model reads SPDX 3.0.1"]
    objset = model.SHACLObjectSet()
    try:
        with open(path, encoding="utf-8") as f:
            model.JSONLDDeserializer().read(f, objset)
    except Exception as e:
        return "unreadable", [f"{type(e).__name__}: {e}"]
    messages = []
    missing = sorted(i for i in (objset.link() or ()) if not i.startswith("_:"))
    if missing:
        messages.append(f"references to elements the document lacks: {', '.join(missing[:5])}")
    try:
        # Writing checks what reading does not: required and repeated properties.
        model.JSONLDSerializer().write(objset, io.BytesIO())
    except Exception as e:
        messages.append(f"{type(e).__name__}: {e}")
    return ("invalid" if messages else "valid"), messages


def check(line):
    kind, path = line.rstrip("\n").split("\t", 1)
    if kind == "spdx":
        verdict, messages = spdx(path)
    elif kind == "spdx3":
        verdict, messages = spdx3(path)
    else:
        verdict, messages = cyclonedx(kind, path)
    return {"path": path, "verdict": verdict, "messages": messages[:MESSAGES]}


def main():
    lines = [l for l in sys.stdin if l.strip()]
    with multiprocessing.Pool() as pool:
        for result in pool.imap(check, lines, chunksize=4):
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
