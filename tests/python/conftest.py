"""Shared fixtures of the Python binding's tests.

Run from ctest (tests/python/CMakeLists.txt sets LINLEARN_LIBRARY and PYTHONPATH), or by
hand: LINLEARN_LIBRARY=build/lib/liblinlearn.so /usr/bin/python3 -m pytest tests/python
(bindings/python is put on sys.path here when linlearn is not installed).
"""

import importlib.util
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "data")

if importlib.util.find_spec("linlearn") is None:  # neither installed nor on PYTHONPATH
    sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))


def load_split(name, split):
    """(X float64, y) of data/NAME.SPLIT.csv: label first, no header."""
    table = np.loadtxt(os.path.join(DATA, f"{name}.{split}.csv"), delimiter=",", ndmin=2)
    return table[:, 1:], table[:, 0]


@pytest.fixture(scope="session")
def breast_cancer():
    """{"train"|"validation"|"test": (X, y)} of the bundled breast_cancer splits."""
    return {split: load_split("breast_cancer", split) for split in ("train", "validation", "test")}


@pytest.fixture(scope="session")
def digits():
    return {split: load_split("digits", split) for split in ("train", "validation", "test")}


@pytest.fixture(scope="session")
def diabetes():
    return {split: load_split("diabetes", split) for split in ("train", "validation", "test")}
