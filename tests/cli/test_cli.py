"""The `linlearn` command end to end: train, predict, evaluate, and its errors.

Run by ctest with LINLEARN_CLI (the built binary) and LINLEARN_DATA (the data folder).
"""
import csv
import json
import os
import subprocess

import pytest

CLI = os.environ["LINLEARN_CLI"]
DATA = os.environ["LINLEARN_DATA"]


def data(name):
    return os.path.join(DATA, name)


def run(*args, check=True):
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"exit {p.returncode}: {p.stderr}")
    return p


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    p = run("train", "--train", data("breast_cancer.train.csv"), "--validation",
            data("breast_cancer.validation.csv"), "--test", data("breast_cancer.test.csv"),
            "--hp", "predictor_type=binary_classifier", "--hp", "epochs=4", "--hp", "num_models=4",
            "-o", str(out))
    return out, p.stdout


def test_train_writes_every_artifact_and_prints_their_paths(trained):
    out, stdout = trained
    for name in ("model.llmodel", "metrics.json", "events.jsonl", "epochs.csv"):
        assert (out / name).is_file(), name
        assert str(out / name) in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] in ("completed", "early_stopped")
    assert 0.8 < metrics["metrics"]["test:binary_classification_accuracy"] <= 1.0
    assert metrics["hyperparameters"]["predictor_type"] == "binary_classifier"
    lines = (out / "events.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["event"] == "run_start"
    assert json.loads(lines[-1])["event"] == "run_end"


def test_metrics_json_has_sagemakers_final_names_of_the_objective_loss(trained):
    out, _ = trained
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    # SageMaker's MetricDefinitions call the final objective loss "<phase>:objective_loss:final"
    # (and the per-epoch series "<phase>:objective_loss"); test's has no ":final".
    for phase in ("train", "validation"):
        assert metrics[f"{phase}:objective_loss:final"] == metrics[f"{phase}:objective_loss"]
    assert "test:objective_loss" in metrics and "test:objective_loss:final" not in metrics
    assert not [k for k in metrics if k.endswith(":final") and "objective_loss" not in k]


def test_run_start_carries_every_models_settings(trained):
    out, _ = trained
    start = json.loads((out / "events.jsonl").read_text().splitlines()[0])
    models = start["model_params"]
    assert [m["model"] for m in models] == [0, 1, 2, 3]
    for m in models:
        assert {"optimizer", "learning_rate", "l1", "wd", "positive_example_weight_mult"} <= set(m["params"])
    # Model 0 trains with the hyperparameters as resolved; the others draw near them.
    for key in ("learning_rate", "wd", "l1"):
        assert float(models[0]["params"][key]) == pytest.approx(float(start["params"][key]), rel=1e-9)
    assert models[0]["params"]["optimizer"] == start["params"]["optimizer"]
    assert len({m["params"]["learning_rate"] for m in models}) == 4


def test_evaluate_matches_the_test_metrics_of_training(trained):
    out, _ = trained
    p = run("evaluate", "-m", str(out / "model.llmodel"), "-i", data("breast_cancer.test.csv"))
    evaluated = json.loads(p.stdout)
    recorded = json.loads((out / "metrics.json").read_text())["metrics"]
    for name in ("binary_classification_accuracy", "roc_auc_score", "objective_loss"):
        assert evaluated[name] == pytest.approx(recorded["test:" + name], rel=1e-9)


def test_predict_formats_agree_and_labels_follow_the_scores(trained, tmp_path):
    out, _ = trained
    model = str(out / "model.llmodel")
    rows = list(csv.reader(open(data("breast_cancer.test.csv"))))
    unlabelled = tmp_path / "features.csv"
    unlabelled.write_text("\n".join(",".join(r[1:]) for r in rows) + "\n")
    as_csv = list(csv.DictReader(run("predict", "-m", model, "-i", str(unlabelled)).stdout.splitlines()))
    as_json = json.loads(run("predict", "-m", model, "-i", data("breast_cancer.test.csv"), "-f", "json").stdout)
    jl = run("predict", "-m", model, "-i", str(unlabelled), "-f", "jsonlines").stdout.splitlines()
    assert len(as_csv) == len(as_json["predictions"]) == len(jl) == len(rows)
    correct = 0
    for c, j, line, row in zip(as_csv, as_json["predictions"], jl, rows):
        assert float(c["score"]) == pytest.approx(j["score"], rel=1e-6)
        assert json.loads(line) == j
        assert 0.0 <= j["score"] <= 1.0 and j["predicted_label"] in (0, 1)
        correct += j["predicted_label"] == int(row[0])
    recorded = json.loads((out / "metrics.json").read_text())["metrics"]
    assert correct / len(rows) == pytest.approx(recorded["test:binary_classification_accuracy"])


def test_multiclass_and_regression_shapes(tmp_path):
    run("train", "-q", "--train", data("digits.train.csv"), "--hp", "predictor_type=multiclass_classifier",
        "--hp", "num_classes=10", "--hp", "epochs=2", "--hp", "num_models=2", "-o", str(tmp_path / "mc"))
    p = run("predict", "-m", str(tmp_path / "mc" / "model.llmodel"), "-i", data("digits.test.csv"), "-f", "json")
    first = json.loads(p.stdout)["predictions"][0]
    assert len(first["score"]) == 10 and sum(first["score"]) == pytest.approx(1.0, abs=1e-6)
    assert first["predicted_label"] == max(range(10), key=lambda k: first["score"][k])
    run("train", "-q", "--train", data("diabetes.train.csv"), "--hp", "predictor_type=regressor",
        "--hp", "epochs=2", "-o", str(tmp_path / "reg"))
    p = run("predict", "-m", str(tmp_path / "reg" / "model.llmodel"), "-i", data("diabetes.test.csv"),
            "-f", "jsonlines")
    assert set(json.loads(p.stdout.splitlines()[0])) == {"score"}


def test_hyperparameters_json_file_and_libsvm_input(tmp_path):
    hp = tmp_path / "hp.json"
    hp.write_text(json.dumps({"predictor_type": "binary_classifier", "epochs": 2, "num_models": "2"}))
    train = tmp_path / "train.libsvm"
    # libsvm labels are -1/+1; a binary classifier needs 0/1.
    train.write_text("".join(("1" if l.startswith("+1") else "0") + l[l.index(" "):]
                             for l in open(data("heart_scale.train.libsvm"))))
    run("train", "-q", "--train", str(train), "--hyperparameters", str(hp), "-o", str(tmp_path / "o"))
    summary = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert summary["hyperparameters"]["epochs"] == "2"
    assert summary["hyperparameters"]["feature_dim"] == "13"


@pytest.mark.parametrize("args, words", [
    (["train", "--train", "data:nope.csv", "-o", "x"], ["nope.csv"]),
    (["train", "--hp", "predictor_type=binary_classifier", "--hp", "mini_batch_siz=5"], ["did you mean 'mini_batch_size'"]),
    (["train", "--hp", "predictor_type=regressor", "--hp", "epochs=-3"], ["'epochs'", "'-3'", "[1, 2147483647]"]),
    (["train", "--hp", "predictor_type=binary_classifier", "--hp", "loss=squared_loss"], ["does not fit"]),
    (["train", "--hp", "epochs"], ["key=value"]),
    (["train", "--hp", "predictor_type=multiclass_classifier", "--hp", "num_classes=3"], ["label"]),
])
def test_bad_input_gives_one_line_error_and_nonzero_exit(tmp_path, args, words):
    args = [a.replace("data:", DATA + "/") for a in args]
    if "--train" not in args:
        args += ["--train", data("diabetes.train.csv")]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "o")]
    p = run(*args, check=False)
    assert p.returncode != 0
    err = p.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("linlearn: error:"), err
    for w in words:
        assert w in err
    assert not (tmp_path / "o" / "model.llmodel").exists()


def test_parse_errors_name_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n0,4,x\n")
    p = run("train", "--train", str(bad), "--hp", "predictor_type=binary_classifier", "-o", str(tmp_path / "o"),
            check=False)
    assert p.returncode != 0
    assert f"{bad}:2:5" in p.stderr and "'x'" in p.stderr


def test_help_everywhere():
    for sub in ([], ["train"], ["predict"], ["evaluate"], ["sink-check"]):
        p = run(*sub, "--help")
        assert "Usage" in p.stdout or "usage" in p.stdout.lower()


def test_initial_model_resumes_training(trained, tmp_path):
    out, _ = trained
    p = run("train", "-q", "--train", data("breast_cancer.train.csv"), "--validation",
            data("breast_cancer.validation.csv"), "--hp", "predictor_type=binary_classifier", "--hp", "epochs=1",
            "--hp", "num_models=1", "--initial-model", str(out / "model.llmodel"), "-o", str(tmp_path / "more"))
    first = json.loads((out / "metrics.json").read_text())["metrics"]["validation:objective_loss"]
    resumed = [json.loads(l) for l in (tmp_path / "more" / "events.jsonl").read_text().splitlines()]
    epoch0 = next(e for e in resumed if e["event"] == "epoch_end")
    # One epoch from the saved model is already about as good as the first run's end,
    # far better than one epoch from a random start would be.
    assert epoch0["models"][0]["validation"]["objective_loss"] < 1.5 * first
    p = run("train", "-q", "--train", data("diabetes.train.csv"), "--hp", "predictor_type=regressor",
            "--initial-model", str(out / "model.llmodel"), "-o", str(tmp_path / "bad"), check=False)
    assert p.returncode != 0 and "does not fit" in p.stderr
