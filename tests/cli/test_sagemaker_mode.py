"""`linlearn train --sagemaker`: SageMaker's training-container contract on a temporary root.

The layout mimics /opt/ml: input/config/hyperparameters.json (every value a string, as
SageMaker passes them), input/data/<channel>/ files, model/, output/failure. The log is
checked with SageMaker's published MetricDefinition regexes for Linear Learner (a
subset of the 38 built-in ones). Run by ctest with LINLEARN_CLI and LINLEARN_DATA.
"""
import json
import os
import re
import subprocess

import pytest

CLI = os.environ["LINLEARN_CLI"]
DATA = os.environ["LINLEARN_DATA"]

# Name -> regex, verbatim from SageMaker's linear-learner MetricDefinitions.
REGEXES = {
    "train:objective_loss": r"#quality_metric: host=\S+, epoch=\S+, train \S+_objective <loss>=(\S+)",
    "validation:objective_loss": r"#quality_metric: host=\S+, epoch=\S+, validation \S+_objective <loss>=(\S+)",
    "validation:objective_loss:final": r"#quality_metric: host=\S+, validation \S+_objective <loss>=(\S+)",
    "test:binary_classification_accuracy":
        r"#quality_metric: host=\S+, test binary_classification_accuracy <score>=(\S+)",
    "train:progress": r"#progress_metric: host=\S+, completed (\S+) %",
}


def lines_of(name):
    with open(os.path.join(DATA, name)) as f:
        return f.read().splitlines(keepends=True)


def make_root(tmp_path, hyperparameters, content_type="text/csv"):
    """A SageMaker root: train in two files (one without a final newline), validation, test."""
    root = tmp_path / "ml"
    (root / "input" / "config").mkdir(parents=True)
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (root / "input" / "config" / "inputdataconfig.json").write_text(json.dumps({
        c: {"ContentType": content_type, "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"}
        for c in ("train", "validation", "test")}))
    train = lines_of("breast_cancer.train.csv")
    data = root / "input" / "data"
    for channel in ("train", "validation", "test"):
        (data / channel).mkdir(parents=True)
    (data / "train" / "part-0000.csv").write_text("".join(train[:150]).rstrip("\n"))
    (data / "train" / "part-0001.csv").write_text("".join(train[150:]))
    (data / "validation" / "validation.csv").write_text("".join(lines_of("breast_cancer.validation.csv")))
    (data / "test" / "test.csv").write_text("".join(lines_of("breast_cancer.test.csv")))
    return root


def run_job(root, *extra):
    # TMPDIR: where several files of a channel are joined; the test checks it is cleaned.
    return subprocess.run([CLI, "train", "--sagemaker", "--sagemaker-root", str(root), *extra],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, TMPDIR=str(root.parent)))


HPS = {"predictor_type": "binary_classifier", "epochs": "3", "num_models": "2", "mini_batch_size": "50"}


def test_a_job_reads_every_channel_file_and_writes_where_sagemaker_looks(tmp_path):
    root = make_root(tmp_path, HPS)
    p = run_job(root)
    assert p.returncode == 0, p.stderr
    assert (root / "model" / "model.llmodel").is_file()
    assert not (root / "output" / "failure").exists()
    out = root / "output" / "data"
    start = json.loads((out / "events.jsonl").read_text().splitlines()[0])
    assert start["n_train_rows"] == len(lines_of("breast_cancer.train.csv"))  # both files, rows not joined
    assert start["n_test_rows"] == len(lines_of("breast_cancer.test.csv"))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["hyperparameters"]["epochs"] == "3"
    # The log: what SageMaker's regexes turn into metrics.
    found = {name: re.findall(rx, p.stdout) for name, rx in REGEXES.items()}
    assert len(found["train:objective_loss"]) == len(found["validation:objective_loss"]) == 3  # per epoch
    assert found["train:progress"] == ["33", "66", "100"]
    final = float(found["validation:objective_loss:final"][-1])
    assert final == pytest.approx(metrics["metrics"]["validation:objective_loss"], rel=1e-12)
    assert float(found["test:binary_classification_accuracy"][0]) == pytest.approx(
        metrics["metrics"]["test:binary_classification_accuracy"], rel=1e-12)
    assert not list(tmp_path.glob("linlearn-*"))


def test_a_bad_hyperparameter_fails_with_the_reason_in_output_failure(tmp_path):
    root = make_root(tmp_path, dict(HPS, epochs="zero"))
    (root / "output").mkdir()
    (root / "output" / "failure").write_text("stale failure of an earlier job\n")
    p = run_job(root)
    assert p.returncode != 0
    reason = (root / "output" / "failure").read_text()
    assert "epochs" in reason and "zero" in reason and "stale" not in reason
    assert p.stderr.strip().splitlines() == ["linlearn: error: " + reason.strip()]
    assert not (root / "model" / "model.llmodel").exists()


@pytest.mark.parametrize("change, words", [
    ("no_train", "train channel is missing"),
    ("recordio", "application/x-recordio-protobuf"),
    ("bad_row", "part-0001.csv"),
])
def test_layout_and_data_errors_are_failures_too(tmp_path, change, words):
    root = make_root(tmp_path, HPS, "application/x-recordio-protobuf" if change == "recordio" else "text/csv")
    if change == "no_train":
        for f in (root / "input" / "data" / "train").iterdir():
            f.unlink()
    if change == "bad_row":  # a parse error in the second file points back to it
        with open(root / "input" / "data" / "train" / "part-0001.csv", "a") as f:
            f.write("1,not-a-number\n")
    p = run_job(root)
    assert p.returncode != 0
    assert words in (root / "output" / "failure").read_text()
    assert len(p.stderr.strip().splitlines()) == 1


def test_sagemaker_mode_refuses_the_options_it_replaces(tmp_path):
    root = make_root(tmp_path, HPS)
    p = run_job(root, "-o", str(tmp_path / "out"))
    assert p.returncode == 2 and "--sagemaker" in p.stderr
    p = subprocess.run([CLI, "train", "--help"], capture_output=True, text=True)
    assert "--sagemaker-root" in p.stdout and "--stop-when" in p.stdout
