"""scikit-learn estimators: LinearLearnerClassifier and LinearLearnerRegressor.

Their constructor arguments are the library's hyperparameters by SageMaker's names
(default None: the library's default), plus ``random_state`` (the ``seed``
hyperparameter) and ``sinks``. ``predictor_type``, ``num_classes`` and ``feature_dim``
follow from the data.
"""

import difflib
import inspect
import numbers

import numpy as np
from scipy.special import logit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d

from ._data import Dataset
from ._events import epoch_metrics
from .trainer import Trainer

# Hyperparameters of lib/hyperparams.cpp, by the estimators that take them.
_COMMON = (
    "beta_1", "beta_2", "bias_lr_mult", "bias_wd_mult", "early_stopping_patience",
    "early_stopping_tolerance", "epochs", "init_bias", "init_method", "init_scale",
    "init_sigma", "l1", "learning_rate", "loss", "lr_scheduler_factor",
    "lr_scheduler_minimum_lr", "lr_scheduler_step", "mini_batch_size", "momentum",
    "normalize_data", "num_models", "num_point_for_scaler", "num_threads", "optimizer",
    "unbias_data", "use_bias", "use_lr_scheduler", "wd",
)
CLASSIFIER_HYPERPARAMETERS = tuple(sorted(_COMMON + (
    "accuracy_top_k", "balance_multiclass_weights", "binary_classifier_model_selection_criteria",
    "f_beta", "margin", "num_calibration_samples", "positive_example_weight_mult",
    "target_precision", "target_recall",
)))
REGRESSOR_HYPERPARAMETERS = tuple(sorted(_COMMON + (
    "huber_delta", "loss_insensitivity", "normalize_label", "quantile", "unbias_label",
)))
#: Set by the estimators themselves: from the data, or from random_state.
IMPLIED_HYPERPARAMETERS = ("feature_dim", "num_classes", "predictor_type", "seed")

_DTYPES = (np.float32, np.float64)  # kept as they are; other dtypes become float64

# Why scikit-learn's check_estimator checks are excluded (the "_xfail_checks" tag).
_ZERO_WEIGHT_REASON = (
    "a row of weight 0 is not the same as no row: rows count in the feature scaler's "
    "statistics, in the row-based defaults (mini_batch_size, wd, lr_scheduler_step) and in "
    "the shuffled mini-batches (kind='ones' holds and is tested)")
_THRESHOLD_REASON = (
    "predict() uses the threshold calibrated on binary_classifier_model_selection_criteria, "
    "as SageMaker does, so it may differ from argmax(predict_proba()) for rows whose "
    "probability lies between 0.5 and the threshold; passes with the criterion "
    "'loss_function', which keeps the threshold at 0.5")


def _keyword_init(names):
    """An ``__init__`` taking each name as a keyword argument (default None) and storing it
    unchanged, as scikit-learn requires; its signature lists the names for get_params,
    clone and help()."""

    def __init__(self, **params):
        for key in params:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument "
                                f"{key!r}{hint}")
        for name in names:
            setattr(self, name, params.get(name))

    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = inspect.Signature([self_param] + [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None) for name in names])
    return __init__


def _seed(random_state):
    """The seed hyperparameter for random_state (None: the library's default, 0)."""
    if random_state is None or isinstance(random_state, numbers.Integral):
        return random_state
    return int(check_random_state(random_state).randint(np.iinfo(np.uint32).max))


def _single_pair(eval_set):
    """(X, y) from eval_set = (X, y) or [(X, y)]."""
    if isinstance(eval_set, list):
        if len(eval_set) != 1:
            raise ValueError(f"eval_set holds {len(eval_set)} sets; linlearn takes one "
                             "validation set: (X_val, y_val) or [(X_val, y_val)]")
        eval_set = eval_set[0]
    if not isinstance(eval_set, tuple) or len(eval_set) != 2:
        raise ValueError("eval_set must be (X_val, y_val) or [(X_val, y_val)]")
    return eval_set


class _LinearLearner(BaseEstimator):
    """What the two estimators share: fitting through a Trainer, and the fitted state.

    Fitted attributes: ``model_`` (:class:`linlearn.Model`), ``n_features_in_``,
    ``feature_names_in_`` (for data frames with string column names), ``history_``
    (every event of the run as a dict), ``evals_result_`` (per-epoch metrics of the best
    model so far: ``{"train"|"validation": {metric: [value per epoch]}}``),
    ``best_epoch_`` (0-based epoch of the kept checkpoint), ``best_model_`` (its index
    among num_models), ``n_iter_`` (epochs run), ``params_`` (every hyperparameter as
    the library resolved it).
    """

    _HYPERPARAMETERS = ()
    _OTHER_PARAMETERS = ("random_state", "sinks")

    def _more_tags(self):
        return {"_xfail_checks": {"check_sample_weights_invariance": _ZERO_WEIGHT_REASON}}

    def _targets(self, y):
        """(library labels, implied hyperparameters) for validated targets y."""
        raise NotImplementedError

    def _validation_targets(self, y):
        """Library labels for validation targets."""
        raise NotImplementedError

    def _hyperparameters(self):
        params = {name: getattr(self, name) for name in self._HYPERPARAMETERS}
        params["seed"] = _seed(self.random_state)
        return {k: v for k, v in params.items() if v is not None}

    def _sinks(self):
        sinks = self.sinks
        if sinks is None:
            return []
        return [sinks] if callable(sinks) or isinstance(sinks, str) else list(sinks)

    def _check_X(self, X):
        """X validated against the data seen in fit (feature count and names)."""
        return self._validate_data(X, reset=False, accept_sparse="csr", dtype=_DTYPES)

    def fit(self, X, y, sample_weight=None, eval_set=None):
        """Trains num_models models on (X, y) and keeps the best.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative example weights.
        eval_set : (X_val, y_val) or [(X_val, y_val)], optional
            The validation set: metrics each epoch, early stopping, model selection and
            (binary) threshold calibration use it instead of the training data.

        Ctrl-C cancels training and raises KeyboardInterrupt; an exception raised by a
        callable sink stops training and is re-raised here.
        """
        X, y = self._validate_data(X, y, accept_sparse="csr", dtype=_DTYPES,
                                   y_numeric=isinstance(self, RegressorMixin))
        labels, implied = self._targets(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                                 only_non_negative=True)
        validation = None
        if eval_set is not None:
            X_val, y_val = _single_pair(eval_set)
            X_val = self._check_X(X_val)
            y_val = column_or_1d(y_val, warn=True)
            validation = Dataset(X_val, self._validation_targets(y_val))
        history = []
        try:
            with Trainer({**self._hyperparameters(), **implied},
                         [history.append] + self._sinks()) as trainer, \
                    Dataset(X, labels, sample_weight) as train:
                model = trainer.fit(train, validation)
        finally:
            if validation is not None:
                validation.close()
        self.model_ = model
        self.history_ = history
        self.evals_result_ = epoch_metrics(history)
        self.best_epoch_ = model.best_epoch
        self.best_model_ = model.best_model
        self.n_iter_ = sum(event["event"] == "epoch_end" for event in history)
        self.params_ = next(e["params"] for e in history if e["event"] == "run_start")
        return self

    def _predict(self, X, kind):
        check_is_fitted(self, "model_")
        return self.model_.predict(self._check_X(X), kind)


class LinearLearnerClassifier(ClassifierMixin, _LinearLearner):
    """A linear classifier trained like SageMaker's Linear Learner.

    Two classes make a ``binary_classifier`` (the second class of ``classes_`` is the
    positive one), more a ``multiclass_classifier``. Labels may be any sortable values
    (numbers, strings). Every keyword argument but ``random_state`` and ``sinks`` is a
    hyperparameter of the library by its SageMaker name (see README.md); None leaves the
    library's default.

    Parameters
    ----------
    random_state : int, numpy.random.RandomState or None
        Sets the ``seed`` hyperparameter; None keeps the library's fixed default (0),
        so that fits are reproducible.
    sinks : callable, str or list of them, optional
        Callables get every event of the run as a dict; strings are plugin sink specs
        such as ``"json:path=/tmp/events.jsonl"``.

    Attributes
    ----------
    classes_ : ndarray of the labels seen in fit, sorted
    threshold_ : float (binary only)
    Plus those listed in ``_LinearLearner`` (model_, history_, evals_result_,
    best_epoch_, best_model_, n_iter_, params_, n_features_in_).
    """

    _HYPERPARAMETERS = CLASSIFIER_HYPERPARAMETERS
    __init__ = _keyword_init(CLASSIFIER_HYPERPARAMETERS + _LinearLearner._OTHER_PARAMETERS)

    def _more_tags(self):
        calibrated = self.binary_classifier_model_selection_criteria not in (
            "loss_function", "cross_entropy_loss")
        return {"_xfail_checks": {
            "check_sample_weights_invariance": _ZERO_WEIGHT_REASON,
            **({"check_classifiers_train": _THRESHOLD_REASON} if calibrated else {})}}

    def _targets(self, y):
        check_classification_targets(y)
        self.classes_, labels = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in "
                             f"the data, but the data contains only one class: "
                             f"{self.classes_[0]!r}")
        if len(self.classes_) == 2:
            return labels, {"predictor_type": "binary_classifier"}
        return labels, {"predictor_type": "multiclass_classifier",
                        "num_classes": len(self.classes_)}

    def _validation_targets(self, y):
        index = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        unseen = self.classes_[index] != y
        if np.any(unseen):
            raise ValueError(f"eval_set has labels not seen in y: {np.unique(y[unseen])}")
        return index

    @property
    def threshold_(self):
        """Binary: the calibrated threshold on the positive-class probability (on the
        margin with hinge loss); a row is predicted positive when its score exceeds it."""
        check_is_fitted(self, "model_")
        if not self._is_binary():
            raise AttributeError("threshold_ exists for binary classification only")
        return self.model_.threshold

    def _is_binary(self):
        return len(self.classes_) == 2

    def predict(self, X):
        """The predicted class of each row (binary: by the calibrated threshold)."""
        labels = self._predict(X, "label").astype(np.intp)
        return self.classes_[labels]

    def _has_proba(self):
        if hasattr(self, "model_"):
            return self.model_.score_is_probability or not self._is_binary()
        return self.loss != "hinge_loss"

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns as ``classes_``.
        Not available with ``loss="hinge_loss"``."""
        scores = self._predict(X, "score")
        return np.column_stack([1 - scores, scores]) if self._is_binary() else scores

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def decision_function(self, X):
        """Confidence scores. Binary: shape (n_samples,), the linear score minus the
        threshold in the same units, so that it is > 0 exactly where the positive class
        is predicted. Multiclass: the K linear scores, shape (n_samples, K)."""
        raw = self._predict(X, "raw")
        if not self._is_binary():
            return raw
        threshold = self.model_.threshold
        return raw - (logit(threshold) if self.model_.score_is_probability else threshold)


class LinearLearnerRegressor(RegressorMixin, _LinearLearner):
    """A linear regressor trained like SageMaker's Linear Learner (predictor_type
    ``regressor``).

    Every keyword argument but ``random_state`` and ``sinks`` is a hyperparameter of
    the library by its SageMaker name (see README.md); None leaves the library's default.
    ``random_state`` and ``sinks`` are as for :class:`LinearLearnerClassifier`; the
    fitted attributes are those listed in ``_LinearLearner``.
    """

    _HYPERPARAMETERS = REGRESSOR_HYPERPARAMETERS
    __init__ = _keyword_init(REGRESSOR_HYPERPARAMETERS + _LinearLearner._OTHER_PARAMETERS)

    def _targets(self, y):
        return y, {"predictor_type": "regressor"}

    def _validation_targets(self, y):
        return np.asarray(y, dtype=np.float64)

    def predict(self, X):
        """The predicted value of each row."""
        return self._predict(X, "label")
