"""Large numeric arrays are skipped on disk while scanning, never loaded twice."""

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeRegressor

from registry.formats import inspect_artifact, load_model
from registry_client.safety.pickles import PLACEHOLDER_MIN_BYTES, scan_pickle

LIMIT = 1024**3


def _wide_logistic_regression(features: int) -> LogisticRegression:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, features))
    return LogisticRegression(max_iter=50).fit(X, [0, 1] * 10)


def test_a_model_with_coefficients_over_the_threshold_is_scanned_without_reading_them(tmp_path):
    model = _wide_logistic_regression(PLACEHOLDER_MIN_BYTES // 8 + 1000)
    path = tmp_path / "wide.joblib"
    joblib.dump(model, path)

    scanned = scan_pickle(str(path), max_unpacked_bytes=LIMIT).obj

    assert scanned.coef_.shape == model.coef_.shape
    assert scanned.coef_.strides == (0, 0)  # a placeholder, not a copy of the bytes


def test_a_wide_model_is_inspected_and_then_loads_with_its_real_coefficients(tmp_path):
    model = _wide_logistic_regression(PLACEHOLDER_MIN_BYTES // 8 + 1000)
    path = tmp_path / "wide.joblib"
    joblib.dump(model, path)

    inspection = inspect_artifact(str(path), max_unpacked_bytes=LIMIT)
    loaded = load_model(str(path), format=inspection.format)

    assert inspection.estimator_class.endswith("LogisticRegression")
    assert inspection.signature["tensor"] == {"dtype": "float64", "shape": [-1, model.n_features_in_]}
    assert np.array_equal(loaded.coef_, model.coef_)


def test_a_compiled_class_that_needs_its_real_arrays_is_scanned_by_reading_them(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120_000, 2))
    tree = DecisionTreeRegressor(random_state=0).fit(X, rng.normal(size=120_000))
    path = tmp_path / "deep-tree.joblib"
    joblib.dump(tree, path)
    assert tree.tree_.node_count * 64 > PLACEHOLDER_MIN_BYTES  # the node array is over the threshold

    inspection = inspect_artifact(str(path), max_unpacked_bytes=LIMIT)
    loaded = load_model(str(path), format=inspection.format)

    assert inspection.estimator_class.endswith("DecisionTreeRegressor")
    assert np.array_equal(loaded.predict(X[:100]), tree.predict(X[:100]))
