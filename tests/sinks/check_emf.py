#!/usr/bin/python3
"""Validates the emf sink's output: every line against AWS's published EMF JSON schema
(emf_schema.json, copied verbatim from the "Specification: Embedded metric format" page of
the CloudWatch user guide), plus the rules the specification states in words and the
schema does not check:
  - a document is one JSON object alone on its line (no data before or after it);
  - a MetricDirective holds at most 100 metric definitions;
  - each metric Name refers to a root member holding a finite number (JSON has no NaN,
    and CloudWatch takes none); each dimension key to a root member holding a string
    that is ASCII, not blank, and at most 1024 characters.

usage: check_emf.py SCHEMA PATH...   (PATH: a .jsonl file, or a folder of them)
Needs Debian's python3-jsonschema (scripts/install-deps.sh); fails without it.
"""
import json
import math
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("check_emf.py: python3-jsonschema is missing: install it (scripts/install-deps.sh)")


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def check_document(doc, where):
    problems = []
    root_keys = set(doc)
    for directive in doc["_aws"]["CloudWatchMetrics"]:
        metrics = directive["Metrics"]
        if len(metrics) > 100:
            problems.append(f"{len(metrics)} metrics in one directive (at most 100)")
        for definition in metrics:
            name = definition["Name"]
            value = doc.get(name)
            if name not in root_keys:
                problems.append(f"metric {name!r} has no root member")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                problems.append(f"metric {name!r} is {value!r}, not a finite number")
        for dimension_set in directive["Dimensions"]:
            for key in dimension_set:
                value = doc.get(key)
                if not isinstance(value, str):
                    problems.append(f"dimension {key!r} is {value!r}, not a string")
                elif not value.strip() or not value.isascii() or len(value) > 1024:
                    problems.append(f"dimension {key!r} = {value!r}: not ASCII, blank or too long")
    return [f"{where}: {p}" for p in problems]


def files_of(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            yield from sorted(p.rglob("*.jsonl"))
        else:
            yield p


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    schema = json.loads(pathlib.Path(argv[1]).read_text())
    validator = jsonschema.Draft7Validator(schema)
    problems, documents, files = [], 0, 0
    for path in files_of(argv[2:]):
        files += 1
        text = path.read_text(encoding="utf-8")
        if not text or not text.endswith("\n"):
            problems.append(f"{path}: empty, or the last line has no line end")
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{path}:{number}"
            try:
                doc = json.loads(line, parse_constant=reject_constant)
            except ValueError as e:
                problems.append(f"{where}: not one JSON document: {e}")
                continue
            documents += 1
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            problems += [f"{where}: schema: {'/'.join(map(str, e.path))}: {e.message}" for e in errors]
            if not errors:
                problems += check_document(doc, where)
    if files == 0 or documents == 0:
        problems.append("no EMF document found in " + " ".join(argv[2:]))
    for p in problems[:50]:
        print(p)
    print(f"check_emf.py: {documents} documents in {files} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
