#!/usr/bin/python3
"""Applies SageMaker linear-learner's published MetricDefinitions, verbatim, to a log
written by the stdout sink with format=sagemaker, and compares what each captures with
the values the events carried (LOG.expected.json, written beside the log by the test
that made it). Every definition is checked: those without expected values must match
nothing.

usage: check_sagemaker_log.py LOG [LOG...]
"""
import json
import math
import re
import sys

# linear-learner:1's built-in MetricDefinitions (the 37 fixed ones; the tuner's
# ObjectiveMetric is a copy of one of them), from a DescribeHyperParameterTuningJob dump.
DEFINITIONS = {
    "train:progress": r"#progress_metric: host=\S+, completed (\S+) %",
    "train:throughput": r"#throughput_metric: host=\S+, train throughput=(\S+) records/second",
    "train:objective_loss": r"#quality_metric: host=\S+, epoch=\S+, train \S+_objective <loss>=(\S+)",
    "train:objective_loss:final": r"#quality_metric: host=\S+, train \S+_objective <loss>=(\S+)",
    "validation:objective_loss": r"#quality_metric: host=\S+, epoch=\S+, validation \S+_objective <loss>=(\S+)",
    "validation:objective_loss:final": r"#quality_metric: host=\S+, validation \S+_objective <loss>=(\S+)",
    "test:objective_loss": r"#quality_metric: host=\S+, test \S+_objective <loss>=(\S+)",
}
for phase in ("train", "validation", "test"):
    DEFINITIONS[phase + ":binary_classification_accuracy"] = (
        r"#quality_metric: host=\S+, " + phase + r" binary_classification_accuracy <score>=(\S+)")
    DEFINITIONS[phase + ":binary_f_beta"] = r"#quality_metric: host=\S+, " + phase + r" binary_f_\S+ <score>=(\S+)"
    DEFINITIONS[phase + ":precision"] = r"#quality_metric: host=\S+, " + phase + r" precision <score>=(\S+)"
    DEFINITIONS[phase + ":recall"] = r"#quality_metric: host=\S+, " + phase + r" recall <score>=(\S+)"
    DEFINITIONS[phase + ":mse"] = r"#quality_metric: host=\S+, " + phase + r" mse <loss>=(\S+)"
    DEFINITIONS[phase + ":absolute_loss"] = r"#quality_metric: host=\S+, " + phase + r" absolute_loss <loss>=(\S+)"
for phase in ("validation", "test"):
    DEFINITIONS[phase + ":multiclass_accuracy"] = (
        r"#quality_metric: host=\S+, " + phase + r" multiclass_accuracy <score>=(\S+)")
    DEFINITIONS[phase + ":multiclass_top_k_accuracy"] = (
        r"#quality_metric: host=\S+, " + phase + r" multiclass_top_k_accuracy_\S+ <score>=(\S+)")
    DEFINITIONS[phase + ":macro_precision"] = r"#quality_metric: host=\S+, " + phase + r" macro_precision <score>=(\S+)"
    DEFINITIONS[phase + ":macro_recall"] = r"#quality_metric: host=\S+, " + phase + r" macro_recall <score>=(\S+)"
    DEFINITIONS[phase + ":macro_f_beta"] = r"#quality_metric: host=\S+, " + phase + r" macro_f_\S+ <score>=(\S+)"
    DEFINITIONS[phase + ":dcg"] = r"#quality_metric: host=\S+, " + phase + r" dcg <score>=(\S+)"
assert len(DEFINITIONS) == 37


def check(log_path):
    with open(log_path, encoding="utf-8") as f:
        log = f.read()
    expected_path = log_path[: -len(".log")] + ".expected.json"
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    errors = []
    matched = 0
    for name, regex in DEFINITIONS.items():
        captured = [float(v) for v in re.findall(regex, log)]  # SageMaker takes group 1
        want = expected.get(name, [])
        matched += len(captured)
        if len(captured) != len(want) or not all(
                math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0) for a, b in zip(captured, want)):
            errors.append(f"{name}: captured {captured}, expected {want}")
    if matched == 0:
        errors.append("no definition matched anything")
    for error in errors:
        print(f"{log_path}: {error}")
    print(f"{log_path}: {matched} values captured by {len(DEFINITIONS)} definitions, "
          f"{'OK' if not errors else f'{len(errors)} wrong'}")
    return not errors


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(0 if all([check(path) for path in sys.argv[1:]]) else 1)
