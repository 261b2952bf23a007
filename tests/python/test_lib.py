"""Loading the library, the version check, and the mapping of C errors to exceptions."""

import os
import subprocess
import sys

import numpy as np
import pytest

import linlearn
from linlearn import _lib


def run_python(code, **env):
    """Runs code in a fresh interpreter with env changed; returns (returncode, output)."""
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    done = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True,
                          text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def test_versions_match():
    assert linlearn.library_version.split(".")[:2] == linlearn.__version__.split(".")[:2]
    assert os.path.isfile(linlearn.library_path)


def test_version_mismatch_names_the_library():
    with pytest.raises(ImportError, match=r"/some/liblinlearn\.so is version 9\.0\.0"):
        _lib.check_version("9.0.0", "/some/liblinlearn.so")
    _lib.check_version(linlearn.__version__.rsplit(".", 1)[0] + ".99", "/same/minor.so")


def test_missing_library_is_an_import_error():
    code, out = run_python("import linlearn", LINLEARN_LIBRARY="/nonexistent/liblinlearn.so")
    assert code != 0
    assert "ImportError" in out and "/nonexistent/liblinlearn.so" in out


def test_found_by_folder_and_by_loader():
    folder = os.path.dirname(linlearn.library_path)
    show = "import linlearn; print(linlearn.library_path)"
    code, out = run_python(show, LINLEARN_LIBRARY=None, LINLEARN_LIBRARY_DIR=folder)
    assert code == 0, out
    assert os.path.samefile(out.strip(), linlearn.library_path)
    # By SONAME through the dynamic loader; dladdr tells which file it took.
    code, out = run_python(show, LINLEARN_LIBRARY=None, LINLEARN_LIBRARY_DIR=None,
                           LD_LIBRARY_PATH=folder)
    assert code == 0, out
    assert os.path.samefile(out.strip(), linlearn.library_path)


def test_invalid_hyperparameter_is_a_value_error():
    with pytest.raises(linlearn.InvalidArgumentError) as info:
        linlearn.Trainer({"epochs": 0})
    assert isinstance(info.value, ValueError)
    assert info.value.status == -1
    assert "ll_trainer_set" in str(info.value) and "'epochs'" in str(info.value)
    with pytest.raises(ValueError, match="did you mean 'epochs'"):
        linlearn.Trainer({"epoch": 5})


def test_bad_labels_are_refused_with_the_row():
    X = np.zeros((4, 2), dtype=np.float32)
    with linlearn.Trainer({"predictor_type": "binary_classifier"}) as trainer, \
            linlearn.Dataset(X, [0, 1, 2, 0]) as data:
        with pytest.raises(linlearn.InvalidArgumentError, match="row 3: label 2"):
            trainer.fit(data)


def test_plugin_and_io_and_format_errors(tmp_path):
    with pytest.raises(linlearn.PluginError, match="no_such_sink"):
        linlearn.Trainer(sinks=["no_such_sink"])
    missing = tmp_path / "missing.llmodel"
    with pytest.raises(linlearn.LinlearnIOError) as info:
        linlearn.Model.load(missing)
    assert isinstance(info.value, OSError) and str(missing) in str(info.value)
    garbage = tmp_path / "garbage.llmodel"
    garbage.write_bytes(b"not a model at all" * 10)
    with pytest.raises(linlearn.ModelFormatError):
        linlearn.Model.load(garbage)


def test_parse_error_has_the_position(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n0,4,x\n")
    with pytest.raises(linlearn.ParseError, match=r"bad\.csv:2"):
        linlearn.Dataset.from_file(bad)


def test_unknown_status_gives_the_base_class():
    error = linlearn._errors.error_for_status(-99, "odd")
    assert type(error) is linlearn.LinlearnError and error.status == -99
