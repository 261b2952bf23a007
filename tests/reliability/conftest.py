"""Shared helpers of the reliability tests that drive the `linlearn` command.

ctest sets LINLEARN_CLI (the built command), LINLEARN_DATA (the data folder) and
REL_CRASH_HELPER (rel_crash_helper, the victim of the kill test).
"""
import os
import subprocess

import pytest

CLI = os.environ["LINLEARN_CLI"]
DATA = os.environ["LINLEARN_DATA"]


def data(name):
    return os.path.join(DATA, name)


def run(*args, check=False, **kwargs):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=120, **kwargs)
    if check and p.returncode != 0:
        raise AssertionError(f"linlearn {' '.join(map(str, args))}: exit {p.returncode}: {p.stderr}")
    return p


def leftovers(folder):
    """Temporary files a writer left behind in folder."""
    if not os.path.isdir(folder):
        return []
    return sorted(n for n in os.listdir(folder) if ".tmp" in n)


def assert_clean_failure(p, *words, out_dir=None, output=None):
    """A failure as the command promises it: exit 1 or 2 (not a signal), exactly one line on
    stderr starting "linlearn: error:", holding every word; no model in out_dir, no file at
    output, and no temporary file in either folder."""
    assert p.returncode in (1, 2), f"exit {p.returncode} (a negative exit is a crash): {p.stderr}"
    err = p.stderr
    assert err.endswith("\n") and err.count("\n") == 1, f"expected one line on stderr, got {err!r}"
    assert err.startswith("linlearn: error: "), err
    for w in words:
        assert str(w) in err, f"{w!r} not in {err!r}"
    if out_dir is not None:
        assert not os.path.exists(os.path.join(out_dir, "model.llmodel")), "a failed run left a model"
        assert leftovers(out_dir) == []
    if output is not None:
        assert not os.path.exists(output), "a failed predict left an output file"
        assert leftovers(os.path.dirname(output)) == []


@pytest.fixture(scope="session")
def binary_model(tmp_path_factory):
    """A model trained on breast_cancer (30 features), and its folder."""
    out = tmp_path_factory.mktemp("binary")
    run("train", "-q", "--train", data("breast_cancer.train.csv"), "--hp", "predictor_type=binary_classifier",
        "--hp", "epochs=2", "--hp", "num_models=2", "-o", out, check=True)
    return out / "model.llmodel"
