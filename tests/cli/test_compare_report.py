"""`linlearn compare` and `linlearn report` on real run folders.

The report is checked twice: its markup (one chart per metric, one curve per run and
phase with one point per epoch, the best-epoch and early-stop markers where they belong),
and its rendering in headless Chromium (laid out, every curve drawn, every run's colour
on screen). Run by ctest with LINLEARN_CLI and LINLEARN_DATA.
"""
import csv
import html.parser
import io
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib

import pytest

CLI = os.environ["LINLEARN_CLI"]
DATA = os.environ["LINLEARN_DATA"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c"]  # the report's first three run colours


def run(*args, check=True):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {p.stderr}")
    return p


def train(out, run_id, *hps):
    args = ["train", "-q", "--train", os.path.join(DATA, "breast_cancer.train.csv"), "--validation",
            os.path.join(DATA, "breast_cancer.validation.csv"), "--hp", "predictor_type=binary_classifier",
            "--run-id", run_id, "-o", str(out)]
    for hp in hps:
        args += ["--hp", hp]
    run(*args)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    # fast: a larger learning rate; slow: a smaller one; early: the defaults with few
    # models, which stop early (patience 3) with the best epoch before the last one.
    fast = train(root / "fast", "fast", "num_models=2", "epochs=6", "learning_rate=0.3")
    slow = train(root / "slow", "slow", "num_models=2", "epochs=4", "learning_rate=0.01")
    early = train(root / "early", "early", "num_models=4")
    return [fast, slow, early]


def metrics_of(d):
    return json.loads((d / "metrics.json").read_text())


def epoch_ends(d):
    events = [json.loads(line) for line in (d / "events.jsonl").read_text().splitlines()]
    return [e for e in events if e["event"] == "epoch_end"]


# ---- compare ----------------------------------------------------------------------------


def test_compare_json_sorts_ascending_for_a_loss_and_keeps_every_digit(runs):
    p = run("compare", *map(str, runs), "--sort", "validation:objective_loss", "--format", "json")
    out = json.loads(p.stdout)
    assert out["sort"] == {"metric": "validation:objective_loss", "order": "ascending"}
    losses = [r["metrics"]["validation:objective_loss"] for r in out["runs"]]
    assert losses == sorted(losses)
    by_id = {r["run_id"]: r for r in out["runs"]}
    for d in runs:
        m = metrics_of(d)
        r = by_id[m["run_id"]]
        # Exact (shortest round-trip digits); SageMaker's aliases "<phase>:objective_loss:final"
        # of metrics.json are the same values and are shown once, under the plain name.
        assert m["metrics"]["validation:objective_loss:final"] == m["metrics"]["validation:objective_loss"]
        assert r["metrics"] == {k: v for k, v in m["metrics"].items() if not k.endswith(":objective_loss:final")}
        assert r["best_epoch"] == m["best_epoch"] and r["status"] == m["status"]
        assert r["total_time_s"] == m["total_time_s"]
        assert r["epochs_run"] == len(epoch_ends(d))
    # Only what differs: learning_rate and epochs, not predictor_type.
    assert set(out["differing_hyperparameters"]) == {"epochs", "learning_rate", "num_models"}
    assert by_id["slow"]["hyperparameters"]["learning_rate"] == "0.01"


def test_compare_sorts_by_sagemakers_final_name_of_the_objective_loss(runs):
    plain = json.loads(run("compare", *map(str, runs), "--sort", "validation:objective_loss", "--format", "json").stdout)
    final = json.loads(run("compare", *map(str, runs), "--sort", "validation:objective_loss:final",
                           "--format", "json").stdout)
    assert final == plain  # the alias sorts as the plain name, and is reported as it


def test_compare_sorts_scores_descending_unless_told(runs):
    def order(*flags):
        out = json.loads(run("compare", *map(str, runs), "--format", "json", *flags).stdout)
        return [r["run_id"] for r in out["runs"]], out["sort"]

    auc = {metrics_of(d)["run_id"]: metrics_of(d)["metrics"]["validation:roc_auc_score"] for d in runs}
    ids, sort = order("--sort", "validation:roc_auc_score")
    assert sort["order"] == "descending"
    assert [auc[i] for i in ids] == sorted(auc.values(), reverse=True)
    ids_asc, sort = order("--sort", "validation:roc_auc_score", "--asc")
    assert sort["order"] == "ascending" and [auc[i] for i in ids_asc] == sorted(auc.values())
    ids_desc, sort = order("--sort", "validation:log_loss", "--desc")
    assert sort["order"] == "descending"


def test_compare_csv_has_one_row_per_run_and_the_table_one_column(runs):
    p = run("compare", *map(str, runs), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [r["run_id"] for r in rows] == ["fast", "slow", "early"]  # unsorted: as given
    for r, d in zip(rows, runs):
        m = metrics_of(d)
        assert float(r["validation:binary_f_beta"]) == m["metrics"]["validation:binary_f_beta"]
        assert r["hp:learning_rate"] == m["hyperparameters"]["learning_rate"]
    table = run("compare", *map(str, runs), "--sort", "validation:objective_loss").stdout.splitlines()
    assert table[0] == "sorted by validation:objective_loss, ascending (^)"
    header = table[1].split()
    assert header[0] == "run" and sorted(header[1:]) == ["early", "fast", "slow"]
    labels = [line.split()[0] for line in table[2:]]
    assert "hp:learning_rate" in labels and "hp:predictor_type" not in labels
    assert "validation:objective_loss" in labels and "best" in labels


def test_compare_and_report_name_what_is_missing(runs, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    p = run("compare", str(runs[0]), str(empty), check=False)
    assert p.returncode != 0 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and str(empty / "metrics.json") in p.stderr
    no_events = tmp_path / "no_events"
    shutil.copytree(runs[0], no_events)
    (no_events / "events.jsonl").unlink()
    assert run("compare", str(no_events)).returncode == 0  # compare needs only metrics.json
    p = run("report", str(no_events), "--html", str(tmp_path / "r.html"), check=False)
    assert p.returncode != 0 and "events.jsonl" in p.stderr and len(p.stderr.splitlines()) == 1
    assert not (tmp_path / "r.html").exists()
    p = run("compare", str(runs[0]), "--sort", "validation:no_such_metric", check=False)
    assert p.returncode == 2 and "validation:objective_loss" in p.stderr  # lists what exists
    p = run("compare", str(runs[0]), "--desc", check=False)
    assert p.returncode == 2 and "--sort" in p.stderr


# ---- report: markup -----------------------------------------------------------------------


class Page(html.parser.HTMLParser):
    """The report's charts: per <svg class=chart>, its series paths and markers."""

    def __init__(self):
        super().__init__()
        self.charts, self.tags, self.refs = [], [], []
        self._marker = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.refs += [v for k, v in attrs if k in ("src", "href", "xlink:href") and v]
        if tag == "svg" and a.get("class") == "chart":
            self.charts.append({"metric": a["data-metric"], "series": [], "markers": []})
        elif tag == "path" and a.get("class") == "series":
            self.charts[-1]["series"].append(a)
        elif tag == "g" and a.get("class") in ("best-epoch", "early-stop", "stopped"):
            self._marker = dict(a, parts=[])
            self.charts[-1]["markers"].append(self._marker)
        elif self._marker is not None and tag in ("line", "circle", "path"):
            self._marker["parts"].append((tag, a))

    def handle_endtag(self, tag):
        if tag == "g":
            self._marker = None


def points(d):
    """The (x, y) of each M/L command of a path's d."""
    return [(float(x), float(y)) for x, y in re.findall(r"[ML]([-\d.]+) ([-\d.]+)", d)]


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    p = run("report", *map(str, runs), "--html", str(out))
    assert str(out) in p.stdout
    return out


def test_report_is_one_self_contained_file(report):
    text = report.read_text()
    page = Page()
    page.feed(text)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert page.refs == []  # no src or href at all: nothing to fetch
    assert "url(" not in text and "@import" not in text and "http" not in text.split("<body>")[1]
    assert [p.name for p in report.parent.iterdir()] == ["report.html"]  # no temporary left


def test_report_has_one_chart_per_metric_and_one_curve_per_run_and_phase(runs, report):
    page = Page()
    page.feed(report.read_text())
    names = list(epoch_ends(runs[0])[0]["best"]["validation"])
    assert [c["metric"] for c in page.charts] == names
    for chart in page.charts:
        got = {(s["data-run"], s["data-phase"]): s for s in chart["series"]}
        assert len(chart["series"]) == 2 * len(runs) == len(got)
        for d in runs:
            run_id, ends = metrics_of(d)["run_id"], epoch_ends(d)
            for phase in ("train", "validation"):
                s = got[(run_id, phase)]
                pts = points(s["d"])
                assert len(pts) == int(s["data-points"]) == len(ends)
                assert s["data-epochs"].split() == [str(e["epoch"]) for e in ends]
                xs = [x for x, _ in pts]
                assert xs == sorted(xs) and len(set(xs)) == len(xs)
                # Higher values are drawn higher (SVG y grows downwards).
                vals = [e["best"][phase][chart["metric"]] for e in ends]
                for (_, y1), (_, y2), v1, v2 in zip(pts, pts[1:], vals, vals[1:]):
                    if abs(y2 - y1) > 0.011:  # beyond the 0.01 rounding of coordinates
                        assert (v2 > v1) == (y2 < y1)


def test_report_marks_the_best_epoch_and_early_stopping(runs, report):
    page = Page()
    page.feed(report.read_text())
    for chart in page.charts:
        val = {s["data-run"]: points(s["d"]) for s in chart["series"] if s["data-phase"] == "validation"}
        for d in runs:
            m, ends = metrics_of(d), epoch_ends(d)
            mine = [k for k in chart["markers"] if k["data-run"] == m["run_id"]]
            best = [k for k in mine if k["class"] == "best-epoch"]
            assert len(best) == 1 and int(best[0]["data-epoch"]) == m["best_epoch"]
            x_best, y_best = val[m["run_id"]][m["best_epoch"]]
            parts = dict(best[0]["parts"])
            assert float(parts["line"]["x1"]) == x_best == float(parts["line"]["x2"])
            assert (float(parts["circle"]["cx"]), float(parts["circle"]["cy"])) == (x_best, y_best)
            stops = [k for k in mine if k["class"] == "early-stop"]
            if m["status"] == "early_stopped":
                assert len(stops) == 1 and int(stops[0]["data-epoch"]) == ends[-1]["epoch"]
                assert ends[-1]["epoch"] > m["best_epoch"]
            else:
                assert stops == []
    assert metrics_of(runs[2])["status"] == "early_stopped"  # the fixture covers the marker


# ---- report: rendering --------------------------------------------------------------------

# Injected into a copy of the report: what the browser actually laid out and drew.
PROBE = """<pre id="probe"></pre><script>
const charts = [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  const vb = svg.viewBox.baseVal;
  return {metric: svg.dataset.metric, width: box.width, height: box.height,
          series: [...svg.querySelectorAll('path.series')].map(p => {
            const b = p.getBBox();
            return {run: p.dataset.run, phase: p.dataset.phase, length: p.getTotalLength(),
                    x: b.x, y: b.y, w: b.width, h: b.height,
                    inside: b.x >= 0 && b.y >= 0 && b.x + b.width <= vb.width && b.y + b.height <= vb.height,
                    stroke: getComputedStyle(p).stroke, visible: getComputedStyle(p).visibility};
          }),
          best: [...svg.querySelectorAll('g.best-epoch line')].map(l => l.x1.baseVal.value)};
});
document.getElementById('probe').textContent = JSON.stringify(charts);
</script>"""

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def chromium(*args):
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                           capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def read_png(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for r in range(h):
        f, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def test_report_renders_in_headless_chromium(runs, report, tmp_path):
    assert CHROMIUM is not None, "chromium is not installed (scripts/install-deps.sh installs it)"
    probed = tmp_path / "probed.html"
    probed.write_text(report.read_text().replace("</body>", PROBE + "</body>"))
    dom = chromium("--window-size=900,700", "--dump-dom", probed.as_uri())
    charts = json.loads(html.unescape(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1)))
    assert [c["metric"] for c in charts] == list(epoch_ends(runs[0])[0]["best"]["validation"])
    for c in charts:
        assert c["width"] > 300 and c["height"] > 150  # laid out at a readable size
        assert len(c["series"]) == 2 * len(runs) and len(c["best"]) == len(runs)
        for s in c["series"]:
            assert s["visible"] == "visible" and s["inside"]
            assert s["w"] > 0 and s["length"] > 0, s  # drawn, within the plot
    # The pixels: each run's colour is on screen in the first charts.
    shot = tmp_path / "shot.png"
    chromium("--window-size=900,700", f"--screenshot={shot}", report.as_uri())
    w, h, rows = read_png(shot)
    assert (w, h) == (900, 700)
    for colour in COLOURS:
        want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        near = sum(1 for row in rows[300:] for px in row if sum(abs(p - q) for p, q in zip(px, want)) < 40)
        assert near > 100, (colour, near)
