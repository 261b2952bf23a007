#!/usr/bin/python3
"""Checks the prometheus sink's .prom files: `promtool check metrics` (Debian's prometheus
package, which must be installed: scripts/install-deps.sh) parses and lints each, and
this script checks what node_exporter's textfile collector needs beyond that:
  - UTF-8, every line ends with '\\n';
  - each family is "# HELP", then "# TYPE <name> gauge", then its samples, contiguous;
  - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*;
  - each name + label set appears once, and no sample has a timestamp (the collector
    skips a whole file that has one).

usage: check_prometheus.py PATH...   (PATH: a .prom file, or a folder searched for them)
"""
import pathlib
import re
import shutil
import subprocess
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_sample(line):
    """(name, labels text, rest after the labels) of a sample line."""
    name = NAME.match(line)
    if not name:
        raise ValueError("no metric name")
    at, labels = name.end(), ""
    if line[at:at + 1] == "{":
        end = at + 1
        while line[end] != "}":
            label = LABEL.match(line, end)
            if not label:
                raise ValueError(f"bad label at column {end + 1}")
            end = label.end()
            if line[end] == ",":
                end += 1
        labels, at = line[at:end + 1], end + 1
    return name.group(0), labels, line[at:]


def check_text(text):
    problems, done, current, seen = [], set(), None, set()
    if text and not text.endswith("\n"):
        problems.append("the last line has no line end")
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    for number, line in enumerate(lines, 1):
        try:
            if line.startswith("# HELP "):
                name = line.split(" ")[2]
                if name in done or name == current:
                    raise ValueError(f"a second HELP for {name}, or its family is not contiguous")
                current, typed = name, False
                done.add(name)
            elif line.startswith("# TYPE "):
                if line.split(" ")[2:] != [current, "gauge"]:
                    raise ValueError("TYPE is not the gauge line of the family's HELP")
                typed = True
            elif line:
                name, labels, rest = parse_sample(line)
                if name != current or not typed:
                    raise ValueError(f"sample of {name} outside its family (HELP and TYPE first)")
                if (name, labels) in seen:
                    raise ValueError(f"{name}{labels} appears twice")
                seen.add((name, labels))
                if len(rest.split()) != 1 or not rest.startswith(" "):
                    raise ValueError(f"expected ' VALUE' alone (no timestamp), not {rest!r}")
                float(rest.replace("+Inf", "inf"))
        except (ValueError, IndexError) as e:
            problems.append(f"line {number}: {e}: {line[:120]}")
    return problems


def main(paths):
    if not paths:
        sys.exit(__doc__)
    promtool = shutil.which("promtool")
    if not promtool:
        sys.exit("check_prometheus.py: promtool is missing: install prometheus (scripts/install-deps.sh)")
    files = []
    for p in map(pathlib.Path, paths):
        files += sorted(p.rglob("*.prom")) if p.is_dir() else [p]
    problems, samples = [], 0
    for path in files:
        data = path.read_bytes()
        checked = subprocess.run([promtool, "check", "metrics"], input=data, capture_output=True, timeout=30)
        if checked.returncode != 0:
            problems.append(f"{path}: promtool check metrics: {(checked.stdout + checked.stderr).decode().strip()}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append(f"{path}: not UTF-8: {e}")
            continue
        problems += [f"{path}: {p}" for p in check_text(text)]
        samples += sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    if not files or samples == 0:
        problems.append("no sample in any .prom file of " + " ".join(paths))
    for p in problems:
        print(p)
    print(f"check_prometheus.py: {len(files)} files, {samples} samples, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
