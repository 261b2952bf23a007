"""Model: a trained linear model of liblinlearn (ll_model*)."""

import ctypes
import json
import math
import os
import tempfile

import numpy as np

from . import _lib
from ._data import Dataset
from ._events import STATUSES
from ._lib import lib

_KINDS = {"score": _lib.PREDICT_SCORE, "label": _lib.PREDICT_LABEL, "raw": _lib.PREDICT_RAW}


def _dataset(X, y=None, sample_weight=None):
    """(dataset, whether this call made it and must close it)."""
    if isinstance(X, Dataset):
        if y is not None or sample_weight is not None:
            raise ValueError("pass labels and weights inside the Dataset, not beside it")
        return X, False
    return Dataset(X, y, sample_weight), True


class Model:
    """A trained model: made by :meth:`linlearn.Trainer.fit` or :meth:`Model.load`.

    Prediction is thread-safe. Models pickle (through the library's file format) and
    free their memory when garbage-collected or on :meth:`close`.

    Read-only attributes: ``predictor_type`` ("binary_classifier",
    "multiclass_classifier" or "regressor"), ``num_features``, ``num_classes`` (2 for
    binary, K for multiclass, 0 for regression), ``num_outputs`` (scores per row),
    ``threshold`` (binary: a row is labelled 1 when its score exceeds it),
    ``best_epoch``, ``best_model`` (the selected checkpoint), ``status`` of the run that
    made it ("completed", "early_stopped", "cancelled"), ``score_is_probability``.
    """

    def __init__(self, handle):
        self._handle = handle
        info = _lib.ModelInfo(struct_size=ctypes.sizeof(_lib.ModelInfo))
        lib.ll_model_info_get(handle, ctypes.byref(info))
        self.predictor_type = _lib.PREDICTOR_TYPES.get(info.predictor_type, "unknown")
        self.num_features = info.num_features
        self.num_classes = info.num_classes
        self.num_outputs = info.num_outputs
        self.threshold = info.threshold
        self.best_epoch = info.best_epoch
        self.best_model = info.best_model
        self.status = STATUSES.get(info.status, "unknown")
        self.score_is_probability = bool(info.score_is_probability)

    @classmethod
    def load(cls, path):
        """Loads a model file written by :meth:`save`, the CLI or the C API."""
        handle = ctypes.c_void_p()
        lib.ll_model_load(os.fsencode(path), ctypes.byref(handle))
        return cls(handle)

    def save(self, path):
        """Saves atomically: a crash never leaves a half-written file at path."""
        lib.ll_model_save(self.handle, os.fsencode(path))

    def to_bytes(self):
        """The model file's content."""
        with tempfile.TemporaryDirectory(prefix="linlearn-") as folder:
            path = os.path.join(folder, "model.llmodel")
            self.save(path)
            with open(path, "rb") as f:
                return f.read()

    @classmethod
    def from_bytes(cls, data):
        """A model from the content of a model file (see :meth:`to_bytes`)."""
        with tempfile.TemporaryDirectory(prefix="linlearn-") as folder:
            path = os.path.join(folder, "model.llmodel")
            with open(path, "wb") as f:
                f.write(data)
            return cls.load(path)

    def __reduce__(self):
        return Model.from_bytes, (self.to_bytes(),)

    def predict(self, X, kind="label"):
        """Predicts for X (array, sparse matrix or :class:`Dataset`).

        kind: "label" (binary 0/1 by the threshold, multiclass 0..K-1, regression the
        value), "score" (binary P(label=1), or the margin for hinge loss; multiclass the
        K class probabilities; regression the value) or "raw" (the linear scores).
        Returns float64, shape (n,) or, for multiclass scores, (n, K).
        """
        if kind not in _KINDS:
            raise ValueError(f"kind={kind!r}; allowed: {', '.join(map(repr, _KINDS))}")
        data, own = _dataset(X)
        try:
            per_row = 1 if kind == "label" else self.num_outputs
            out = np.empty(data.shape[0] * per_row, dtype=np.float64)
            lib.ll_model_predict(self.handle, data.handle, _KINDS[kind], out.ctypes.data,
                                 out.size, None)
        finally:
            if own:
                data.close()
        return out.reshape(-1, per_row) if per_row > 1 else out

    def evaluate(self, X, y=None, sample_weight=None):
        """SageMaker's metrics of the model on labelled data, as {name: value}.

        X is an array or sparse matrix with labels y (in the library's encoding), or a
        labelled :class:`Dataset`. Undefined metrics are NaN.
        """
        data, own = _dataset(X, y, sample_weight)
        try:
            text = _lib.read_text(lib.ll_model_evaluate, self.handle, data.handle)
        finally:
            if own:
                data.close()
        return {k: math.nan if v is None else v for k, v in json.loads(text).items()}

    @property
    def handle(self):
        """The ll_model* (as ctypes.c_void_p); ValueError once closed."""
        if self._handle is None:
            raise ValueError("the model is closed")
        return self._handle

    def close(self):
        """Frees the library's model."""
        if getattr(self, "_handle", None) is not None:
            lib.ll_model_free(self._handle)
            self._handle = None

    def __del__(self):
        self.close()

    def __repr__(self):
        return (f"<linlearn.Model {self.predictor_type} features={self.num_features} "
                f"classes={self.num_classes} best_epoch={self.best_epoch}>")
