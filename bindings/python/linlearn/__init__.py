"""linlearn: linear models trained the way Amazon SageMaker's Linear Learner does.

A ctypes binding of the C library liblinlearn (found as described in
:mod:`linlearn._lib`; set ``LINLEARN_LIBRARY`` to its path to choose one).

* :class:`LinearLearnerClassifier`, :class:`LinearLearnerRegressor`: scikit-learn
  estimators (need scikit-learn, imported on first use);
* :class:`Trainer`, :class:`Model`, :class:`Dataset`: the library's own API;
* :class:`LinlearnError` and its subclasses: the library's failures.
"""

from ._data import Dataset
from ._errors import (BufferTooSmallError, CallbackError, CancelledError, InternalError,
                      InvalidArgumentError, LinlearnError, LinlearnIOError,
                      LinlearnMemoryError, ModelFormatError, ParseError, PluginError,
                      StateError)
from ._events import epoch_metrics
from ._lib import library_path, library_version
from ._version import __version__
from .model import Model
from .trainer import Trainer

_ESTIMATORS = ("LinearLearnerClassifier", "LinearLearnerRegressor")

__all__ = [
    "BufferTooSmallError", "CallbackError", "CancelledError", "Dataset", "InternalError",
    "InvalidArgumentError", "LinearLearnerClassifier", "LinearLearnerRegressor",
    "LinlearnError", "LinlearnIOError", "LinlearnMemoryError", "Model", "ModelFormatError",
    "ParseError", "PluginError", "StateError", "Trainer", "__version__", "epoch_metrics",
    "library_path", "library_version",
]


def __getattr__(name):
    """Imports the estimators (and so scikit-learn) only when they are asked for."""
    if name in _ESTIMATORS:
        from . import estimators
        return getattr(estimators, name)
    raise AttributeError(f"module 'linlearn' has no attribute {name!r}")
