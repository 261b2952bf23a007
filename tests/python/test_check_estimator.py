"""scikit-learn's own estimator checks (sklearn.utils.estimator_checks).

Checks excluded by an estimator's "_xfail_checks" tag show as xfail, with the reason
(listed in bindings/python/README.md); checks that need pandas skip without it.
"""

import warnings

from sklearn.exceptions import SkipTestWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from linlearn import LinearLearnerClassifier, LinearLearnerRegressor

SMALL = {"num_models": 4}  # the checks fit hundreds of times on tiny data

ESTIMATORS = [
    LinearLearnerClassifier(**SMALL),  # calibrated threshold, as SageMaker: one check xfails
    LinearLearnerClassifier(binary_classifier_model_selection_criteria="loss_function", **SMALL),
    LinearLearnerRegressor(**SMALL),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkipTestWarning)
        check(estimator)
