"""`linlearn train --alert / --stop-when`: rules on the best model's metrics per epoch.

Each run's own events.jsonl is the oracle: the rule must fire on the first epoch whose
`best` value satisfies it. The library evaluates the rules (ll_trainer_add_alert) and
sends an "alert" diagnostic event to every sink; a stop rule ends the run early_stopped.
Run by ctest with LINLEARN_CLI and LINLEARN_DATA.
"""
import json
import operator
import os
import subprocess

import pytest

CLI = os.environ["LINLEARN_CLI"]
DATA = os.environ["LINLEARN_DATA"]
OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
       "!=": operator.ne}


def train(out, *args, validation=True, quiet=True):
    cmd = [CLI, "train", *(["-q"] if quiet else []), "--train", os.path.join(DATA, "breast_cancer.train.csv"),
           "--hp", "predictor_type=binary_classifier", "--hp", "num_models=2", "--hp", "epochs=6",
           "-o", str(out), *args]
    if validation:
        cmd += ["--validation", os.path.join(DATA, "breast_cancer.validation.csv")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def events_of(out):
    return [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]


def epoch_ends(out):
    return [e for e in events_of(out) if e["event"] == "epoch_end"]


def expected_first(out, phase, metric, op, threshold, after=-1):
    """The first (epoch, value) of the best series on which the rule holds, from the events."""
    for e in epoch_ends(out):
        v = e["best"].get(phase, {}).get(metric)
        if e["epoch"] > after and v is not None and OPS[op](v, threshold):
            return e["epoch"], v
    return None


def test_an_alert_warns_once_and_agrees_with_the_events(tmp_path):
    rules = ["validation:objective_loss < 10", "train:binary_classification_accuracy > 0.975 after epoch 1",
             "validation:roc_auc_score < 0.5"]
    p = train(tmp_path, *sum((["--alert", r] for r in rules), []))
    assert p.returncode == 0, p.stderr
    alerts = json.loads((tmp_path / "alerts.json").read_text())
    assert alerts["stopped_by"] is None
    assert [r["rule"] for r in alerts["rules"]] == rules
    ends = epoch_ends(tmp_path)
    for r in alerts["rules"]:
        want = expected_first(tmp_path, r["phase"], r["metric"], r["op"], r["threshold"],
                              -1 if r["after_epoch"] is None else r["after_epoch"])
        if want is None:
            assert not r["fired"] and r["first_epoch"] is None
            assert f"alert '{r['rule']}'" not in p.stderr
        else:
            assert r["fired"] and (r["first_epoch"], r["value"]) == want
            assert p.stderr.count(f"linlearn: alert '{r['rule']}' fired at epoch {want[0]}:") == 1  # once, not per epoch
    always = alerts["rules"][0]
    assert always["first_epoch"] == 0 and always["epochs_held"] == len(ends)
    assert alerts["rules"][1]["first_epoch"] >= 2  # "after epoch 1": epochs 2 and on
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "completed"


def test_an_alert_is_an_event_in_the_json_sink_and_on_the_stdout_sink(tmp_path):
    rule = "train:objective_loss < 10 after epoch 2"  # holds from epoch 3 on
    p = train(tmp_path, "--alert", rule, "--sink", f"json:path={tmp_path / 'extra.jsonl'}", quiet=False)
    assert p.returncode == 0, p.stderr
    for path in (tmp_path / "events.jsonl", tmp_path / "extra.jsonl"):
        events = [json.loads(line) for line in path.read_text().splitlines()]
        alerts = [e for e in events if e["event"] == "diagnostic" and e["code"] == "alert"]
        assert len(alerts) == 1, path  # the first epoch it holds on, once
        alert = alerts[0]
        assert alert["epoch"] == 3 and alert["run_id"] == events[0]["run_id"]
        assert alert["message"].startswith(f"alert '{rule}' fired at epoch 3: train:objective_loss = ")
        # Right after that epoch's epoch_end.
        at = events.index(alert)
        assert events[at - 1]["event"] == "epoch_end" and events[at - 1]["epoch"] == 3
    # The progress table (the stdout sink) prints the alert where it happened.
    lines = p.stdout.splitlines()
    shown = [i for i, line in enumerate(lines) if line.startswith(f"alert '{rule}' fired at epoch 3: ")]
    assert len(shown) == 1
    assert lines[shown[0] - 1].split()[0] == "3"  # the row of epoch 3 above it
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "completed"


def test_the_sagemaker_log_and_stdout_jsonl_carry_alerts(tmp_path):
    rule = "validation:binary_classification_accuracy > 0.5"
    for spec, expect in (("stdout:format=sagemaker", f"Warning: alert '{rule}' fired at epoch 0: "),
                         ("stdout:format=jsonl", '"code":"alert"')):
        p = train(tmp_path / spec.split("=")[1], "--alert", rule, "--sink", spec)
        assert p.returncode == 0, p.stderr
        assert sum(expect in line for line in p.stdout.splitlines()) == 1, p.stdout


def test_stop_when_ends_the_run_early_stopped_with_its_best_checkpoint_and_exit_0(tmp_path):
    rule = "train:objective_loss < 10 after epoch 1"  # true from the first epoch it may apply
    p = train(tmp_path, "--stop-when", rule, "--alert", "validation:recall >= 0")
    assert p.returncode == 0, p.stderr
    assert f"linlearn: stopped by rule: {rule}" in p.stderr.splitlines()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # The documented status: early_stopped, the reason naming the rule, the epoch and the value.
    assert metrics["status"] == "early_stopped"
    assert metrics["message"].startswith(f"stopped by rule '{rule}' at epoch 2: train:objective_loss = ")
    events = events_of(tmp_path)
    kinds = [e["event"] for e in events]
    assert kinds[-4:] == ["diagnostic", "early_stop", "model_selected", "run_end"]
    assert events[-4]["code"] == "alert" and events[-4]["message"].startswith(f"stop rule '{rule}' fired at epoch 2")
    assert events[-3]["epoch"] == 2 and events[-3]["message"] == metrics["message"]
    assert events[-1]["status"] == "early_stopped" and events[-1]["message"] == metrics["message"]
    assert [e["epoch"] for e in epoch_ends(tmp_path)] == [0, 1, 2]  # stopped after epoch 2
    assert (tmp_path / "model.llmodel").is_file() and 0 <= metrics["best_epoch"] <= 2
    alerts = json.loads((tmp_path / "alerts.json").read_text())
    assert alerts["stopped_by"] == rule and alerts["run_id"] == metrics["run_id"]
    stop = next(r for r in alerts["rules"] if r["kind"] == "stop_when")
    assert stop["fired"] and stop["first_epoch"] == 2


def test_a_rule_that_cannot_apply_is_reported_not_silently_kept(tmp_path):
    # rmse is a regression metric: a binary classifier has none.
    p = train(tmp_path, "--alert", "train:rmse > 1", "--stop-when", "validation:recall > 0.5",
              validation=False)
    assert p.returncode == 0, p.stderr
    notes = {r["rule"]: r["note"] for r in json.loads((tmp_path / "alerts.json").read_text())["rules"]}
    assert notes == {"train:rmse > 1": "this run has no metric train:rmse",
                     "validation:recall > 0.5": "this run has no validation data"}
    assert p.stderr.count("never applies") == 2
    never = [e for e in events_of(tmp_path) if e["event"] == "diagnostic" and e["code"] == "alert_never_applies"]
    assert [e["epoch"] for e in never] == [0, 0]
    assert len(epoch_ends(tmp_path)) == 6  # and training went on


@pytest.mark.parametrize("rule, column, words", [
    ("validation:objective_loss >> 0.7", 28, "expected a number"),
    ("validation objective_loss > 1", 11, "<phase>:<metric>"),
    ("valid:objective_loss > 1", 1, "unknown phase 'valid'"),
    ("test:objective_loss > 1", 1, "only at run end"),
    ("validation: > 1", 12, "metric name"),
    ("validation:objective_loss = 1", 27, "operator"),
    ("validation:objective_loss > nan", 29, "expected a number"),
    ("validation:objective_loss > 0.7 after epch 3", 39, "'epoch'"),
    ("validation:objective_loss > 0.7 after epoch", 44, "epoch number"),
    ("validation:objective_loss > 0.7 after epoch 3 then", 47, "unexpected text"),
    ("train:no_such_metric > 1", 7, "unknown metric 'no_such_metric'"),
    ("validation:roc_auc > 0.9", 12, "did you mean 'roc_auc_score'?"),
])
def test_parse_errors_name_the_rule_and_the_column_before_training(tmp_path, rule, column, words):
    out = tmp_path / "never"
    p = train(out, "--alert", "validation:objective_loss > 1", "--stop-when", rule)
    assert p.returncode == 2
    assert p.stderr.splitlines() == [p.stderr.strip()]  # one line
    assert f"--stop-when '{rule}': column {column}:" in p.stderr and words in p.stderr
    assert not out.exists()  # refused before any work


def test_without_rules_there_is_no_alerts_file(tmp_path):
    p = train(tmp_path)
    assert p.returncode == 0 and not (tmp_path / "alerts.json").exists()
