"""skops files: the types skops does not trust must pass the same allow-list."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import sklearn
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

from registry.formats import inspect_artifact, load_model
from registry_client.safety.policy import is_allowed_type_name
from registry_site.errors import RefusedContent

LIMIT = 16 * 1024 * 1024
X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0], [0.2, 0.9], [0.9, 0.1]])
Y = np.array([0, 1, 0, 1, 0, 1])


def double_it(values):
    return values * 2


def dump(tmp_path, estimator) -> str:
    path = tmp_path / "model.skops"
    skops.io.dump(estimator, path)
    return str(path)


def refusal(path: str) -> RefusedContent:
    with pytest.raises(RefusedContent) as caught:
        inspect_artifact(path, max_unpacked_bytes=LIMIT)
    return caught.value


def test_a_skops_file_with_an_estimator_is_accepted(tmp_path):
    estimator = LogisticRegression().fit(X, Y)

    inspection = inspect_artifact(dump(tmp_path, estimator), max_unpacked_bytes=LIMIT)

    assert (inspection.format, inspection.serialization, inspection.trusted_types) == ("skops", "skops", ())
    assert inspection.estimator_class == "sklearn.linear_model._logistic.LogisticRegression"
    assert inspection.environment == {"python": None, "scikit-learn": sklearn.__version__, "joblib": None}


def test_a_tree_is_accepted_with_its_tree_type_recorded_as_trusted(tmp_path):
    inspection = inspect_artifact(dump(tmp_path, DecisionTreeClassifier().fit(X, Y)), max_unpacked_bytes=LIMIT)

    assert inspection.trusted_types == ("sklearn.tree._tree.Tree",)


def test_cython_neighbor_structures_pass_the_allow_list(tmp_path):
    estimator = KNeighborsClassifier(n_neighbors=2, algorithm="kd_tree").fit(X, Y)

    inspection = inspect_artifact(dump(tmp_path, estimator), max_unpacked_bytes=LIMIT)

    assert "sklearn.neighbors._kd_tree.KDTree" in inspection.trusted_types


def test_load_model_round_trips_predictions_with_the_recorded_trusted_types(tmp_path):
    estimator = DecisionTreeClassifier().fit(X, Y)
    path = dump(tmp_path, estimator)
    trusted = inspect_artifact(path, max_unpacked_bytes=LIMIT).trusted_types

    loaded = load_model(path, format="skops", trusted_types=trusted)

    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_a_user_function_in_a_function_transformer_is_refused_naming_it(tmp_path):
    model = make_pipeline(FunctionTransformer(double_it), LogisticRegression()).fit(X, Y)

    names = refusal(dump(tmp_path, model)).details["offending_imports"]

    assert len(names) == 1 and names[0].endswith(".double_it")


def test_builtins_eval_in_a_function_transformer_is_refused_naming_it(tmp_path):
    model = make_pipeline(FunctionTransformer(eval), LogisticRegression())

    error = refusal(dump(tmp_path, model))

    assert error.details == {"offending_imports": ["builtins.eval"]}
    assert error.message == "the pickle imports names that are not allowed: builtins.eval"


def test_a_numpy_function_is_refused_because_only_classes_are_trusted(tmp_path):
    model = make_pipeline(FunctionTransformer(np.sum), LogisticRegression())

    assert refusal(dump(tmp_path, model)).details["offending_imports"] == ["numpy.sum"]


def test_load_model_refuses_when_the_file_needs_types_that_were_not_recorded(tmp_path):
    path = dump(tmp_path, DecisionTreeClassifier().fit(X, Y))

    with pytest.raises(RefusedContent, match="not audited"):
        load_model(path, format="skops", trusted_types=())


def test_load_model_refuses_trusted_types_that_fail_the_allow_list(tmp_path):
    path = dump(tmp_path, make_pipeline(FunctionTransformer(eval), LogisticRegression()))

    with pytest.raises(RefusedContent) as caught:
        load_model(path, format="skops", trusted_types=("builtins.eval",))

    assert caught.value.details["offending_imports"] == ["builtins.eval"]


def test_a_skops_file_unpacking_beyond_the_limit_is_refused(tmp_path):
    path = dump(tmp_path, LogisticRegression().fit(X, Y))

    with pytest.raises(RefusedContent, match="max_unpacked_bytes"):
        inspect_artifact(path, max_unpacked_bytes=100)


def test_a_skops_file_with_an_unsafe_member_path_is_refused(tmp_path):
    path = dump(tmp_path, LogisticRegression().fit(X, Y))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../escape.npy", b"")

    assert refusal(path).details == {"member": "../escape.npy"}


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("sklearn.tree._tree.Tree", True),
        ("sklearn.linear_model._logistic.LogisticRegression", True),
        ("numpy.float64", True),
        ("builtins.slice", True),
        ("collections.OrderedDict", True),
        ("builtins.eval", False),
        ("__main__.double_it", False),
        ("os.system", False),
        ("numpy.memmap", False),
        ("numpy.lib.npyio.DataSource", False),
        ("numpy.testing.assert_equal", False),
        ("sklearn.utils._testing.TempMemmap", False),
        ("sklearn.tree._tree.Tree.__class__", False),
    ],
)
def test_the_allow_list_predicate_judges_skops_type_names(name, allowed):
    assert is_allowed_type_name(name) is allowed
