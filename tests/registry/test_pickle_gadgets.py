"""Attacks built only from allow-listed scikit-learn and NumPy names (the attack review
of issue 16): each is refused with 422 at upload before any of its code runs, and
`load_model` refuses it too. Pickles that could crash the worker are loaded in a child
process, so a crash fails the test instead of killing the test run."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from registry.formats import load_model
from registry.models import ModelVersion
from registry_site.errors import RefusedContent

import gadgets
from gadgets import text
from kit import upload


def refused_upload(client, name: str, pickled: bytes, container: str = "pickle") -> dict:
    filename, content = gadgets.packed(container, pickled)
    response = upload(client, name, content, filename=filename)
    assert response.status_code == 422, response.content
    assert not ModelVersion.objects.filter(model__name=name).exists()
    return response.json()


@pytest.mark.parametrize("container", gadgets.CONTAINERS)
def test_a_scorer_chain_that_writes_a_file_is_refused_before_it_writes(as_alice, tmp_path, container):
    target = tmp_path / "written.py"

    body = refused_upload(as_alice, "gadget", gadgets.scorer_writes_file(str(target), b"print(1)\n"), container)

    assert not target.exists()
    assert body["error_code"] == "REFUSED_CONTENT"


def test_load_model_refuses_the_scorer_chain_before_it_writes(tmp_path):
    target = tmp_path / "written.py"
    artifact = tmp_path / "model.pkl"
    artifact.write_bytes(gadgets.scorer_writes_file(str(target), b"print(1)\n"))

    with pytest.raises(RefusedContent, match="not allowed"):
        load_model(str(artifact), format="pickle")

    assert not target.exists()


def test_calling_an_object_the_pickle_built_is_refused(as_alice):
    # Every name here is listed (the scorer as `new`, as GridSearchCV pickles it):
    # only the REDUCE of the built scorer itself is refused.
    estimator = gadgets.new("sklearn.linear_model._logistic", "LogisticRegression")
    called = gadgets.call(gadgets.scorer_calling("predict"), estimator, gadgets.NONE, gadgets.NONE)

    body = refused_upload(as_alice, "gadget", gadgets.pickle_of(called))

    assert body["message"] == (
        "the pickle calls an object of type sklearn.metrics._scorer._Scorer, which the allow-list does not allow"
    )


def test_a_module_under_a_trusted_package_that_is_not_listed_is_never_imported(as_alice):
    # Importing this module has an effect (it adds IterativeImputer to sklearn.impute):
    # the old prefix rule imported any module under sklearn. that a pickle named.
    module = "sklearn.experimental.enable_iterative_imputer"
    sys.modules.pop(module, None)

    body = refused_upload(as_alice, "gadget", gadgets.names_module(module, "IterativeImputer"))

    assert module not in sys.modules
    assert body["offending_imports"] == [f"{module}.IterativeImputer"]


def test_a_numpy_function_reached_by_prefix_is_refused(as_alice):
    body = refused_upload(as_alice, "gadget", gadgets.names_module("numpy", "fromfile"))

    assert body["offending_imports"] == ["numpy.fromfile"]


def test_build_on_a_class_is_refused_and_the_class_is_unchanged(as_alice, iris, iris_model):
    # LogisticRegression is listed: only BUILD on the class object itself is refused.
    method = LogisticRegression.predict
    pickled = gadgets.poisons_class("sklearn.linear_model._logistic", "LogisticRegression", "predict")

    body = refused_upload(as_alice, "gadget", pickled)

    assert body["message"] == (
        "the pickle sets attributes of the class sklearn.linear_model._logistic.LogisticRegression"
    )
    assert LogisticRegression.predict is method
    assert len(iris_model.predict(iris[0])) == len(iris[1])


def test_a_class_off_the_list_is_refused_by_name_before_build(as_alice):
    pickled = gadgets.poisons_class("sklearn.linear_model._base", "LinearClassifierMixin", "decision_function")

    body = refused_upload(as_alice, "gadget", pickled)

    assert body["offending_imports"] == ["sklearn.linear_model._base.LinearClassifierMixin"]


def test_build_on_a_class_inside_the_scorer_chain_leaves_numpys_name_validator_alone(as_alice, tmp_path):
    from numpy.lib._iotools import NameValidator

    refused_upload(as_alice, "gadget", gadgets.scorer_writes_file(str(tmp_path / "x"), b"x"))

    assert "estimator_type" not in vars(NameValidator)


def test_state_that_sets_an_array_interface_is_refused(as_alice):
    body = refused_upload(as_alice, "gadget", gadgets.array_interface_estimator(address=4096, size=64))

    assert "__array_interface__" in body["message"]


def test_state_that_sets_sklearn_tags_is_refused(as_alice):
    tags = (text("__sklearn_tags__"), gadgets.glob("numpy", "ndarray"))
    pickled = gadgets.instance_with_state("sklearn.linear_model._logistic", "LogisticRegression", tags)

    body = refused_upload(as_alice, "gadget", pickled)

    assert "__sklearn_tags__" in body["message"]


def test_state_that_replaces_a_method_is_refused(as_alice):
    method = (text("predict"), gadgets.glob("numpy.ma", "MaskedArray"))
    pickled = gadgets.instance_with_state("sklearn.linear_model._logistic", "LogisticRegression", method)

    body = refused_upload(as_alice, "gadget", pickled)

    assert "'predict'" in body["message"]


def test_numpys_dummy_array_is_refused(as_alice):
    body = refused_upload(as_alice, "gadget", gadgets.dummy_array(address=4096, size=64))

    assert body["offending_imports"] == ["numpy.lib._stride_tricks_impl.DummyArray"]


def test_a_dtype_that_shares_numpys_own_dtype_object_is_refused(as_alice):
    pickled = gadgets.pickle_of(gadgets.dtype(text("f8"), copy=False))

    body = refused_upload(as_alice, "gadget", pickled)

    assert "copy" in body["message"]


def _load_in_child(path: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(
        f"""
        import os, django
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_site.settings")
        django.setup()
        from registry.formats import load_model
        from registry_site.errors import RefusedContent
        try:
            model = load_model({path!r}, format="pickle")
            print("loaded", repr(model)[:200])
        except RefusedContent as exc:
            print("refused:", exc.message)
        """
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "pickled",
    [gadgets.out_of_bounds_field(offset=100_000), gadgets.object_field_without_object_flag()],
    ids=["field-beyond-the-item", "object-field-without-object-flag"],
)
def test_a_dtype_whose_layout_numpy_would_not_build_is_refused_without_crashing(tmp_path, pickled):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickled)

    done = _load_in_child(str(path))

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("refused:"), done.stdout
    assert "dtype" in done.stdout


def test_a_dtype_changed_after_an_array_used_it_is_refused(as_alice):
    # BUILD a plain void dtype into an object-holding one after an array of raw bytes
    # was made with it: even a consistent layout would turn the bytes into pointers.
    made = gadgets.dtype(text("V8"))
    memo_put, memo_get = b"q\x00", b"h\x00"
    array = gadgets.array_of(memo_get, b"A" * 8, 1)
    fields = gadgets.dictionary((text("a"), gadgets.tup(gadgets.dtype(text("O")), gadgets.integer(0))))
    state = gadgets.tup(
        gadgets.integer(3),
        text("|"),
        gadgets.NONE,
        gadgets.tup(text("a")),
        fields,
        gadgets.integer(8),
        gadgets.integer(8),
        gadgets.integer(63),
    )
    tuple2 = b"\x86"
    pickled = gadgets.pickle_of(made + memo_put + b"0" + array + memo_get + state + gadgets.BUILD + tuple2)

    body = refused_upload(as_alice, "gadget", pickled)

    assert "dtype" in body["message"]


def test_a_joblib_array_of_a_type_that_is_not_an_ndarray_is_refused(tmp_path):
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump(np.arange(4.0), path)
    data = path.read_bytes().replace(b"numpy\nndarray", b"numpy\nmatrix")
    data = data.replace(b"\x8c\x05numpy\x94\x8c\x07ndarray", b"\x8c\x05numpy\x94\x8c\x06matrix")

    path.write_bytes(data)

    with pytest.raises(RefusedContent):
        load_model(str(path), format="joblib")


def test_every_legitimate_estimator_still_predicts_identically_after_a_restricted_load(tmp_path, iris):
    import joblib
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    X, y = iris
    for estimator in (
        LogisticRegression(max_iter=500),
        RandomForestClassifier(n_estimators=5, random_state=0),
        HistGradientBoostingClassifier(max_iter=5),
        make_pipeline(StandardScaler(), SVC(probability=True, random_state=0)),
        KNeighborsClassifier(algorithm="kd_tree"),
    ):
        estimator.fit(X, y)
        path = tmp_path / f"{type(estimator).__name__}.joblib"
        joblib.dump(estimator, path)

        loaded = load_model(str(path), format="joblib")

        np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


# --- compiled structures that trust their own indices --------------------------------


def _tree_model(iris, change):
    from sklearn.tree import DecisionTreeClassifier

    X, y = iris
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)

    def tamper(state):
        state = dict(state)
        state["nodes"] = state["nodes"].copy()
        change(state["nodes"])
        return state

    model.tree_ = gadgets.with_tampered_state(model.tree_, tamper)
    return pickle.dumps(model, protocol=4)


@pytest.mark.parametrize(
    ("field", "value"),
    [("left_child", 10**6), ("right_child", 10**6), ("feature", 10**6), ("left_child", 0)],
    ids=["left-child-past-the-end", "right-child-past-the-end", "feature-past-the-input", "child-loops-back"],
)
def test_a_decision_tree_whose_nodes_point_outside_it_is_refused(as_alice, iris, field, value):
    def change(nodes):
        nodes[field][0] = value

    body = refused_upload(as_alice, "gadget", _tree_model(iris, change))

    assert body["message"] == "the pickle holds a decision tree whose indices point outside it"


def test_a_tree_estimator_whose_width_differs_from_its_tree_is_refused(as_alice, iris):
    from sklearn.tree import DecisionTreeClassifier

    X, y = iris
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    model.n_features_in_ = 2

    body = refused_upload(as_alice, "gadget", pickle.dumps(model, protocol=4))

    assert "another number of features" in body["message"]


def test_a_neighbours_tree_whose_index_points_outside_its_data_is_refused(as_alice, iris):
    from sklearn.neighbors import KNeighborsClassifier

    X, y = iris
    model = KNeighborsClassifier(algorithm="kd_tree").fit(X, y)

    def tamper(state):
        index = state[1].copy()
        index[0] = 10**6
        return (state[0], index, *state[2:])

    model._tree = gadgets.with_tampered_state(model._tree, tamper)

    body = refused_upload(as_alice, "gadget", pickle.dumps(model, protocol=4))

    assert body["message"] == "the pickle holds a neighbours tree whose indices point outside it"


def test_sparse_coefficients_whose_indices_point_outside_the_matrix_are_refused(as_alice, iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y).sparsify()

    def tamper(state):
        state = dict(state)
        state["indices"] = state["indices"].copy()
        state["indices"][0] = 10**6
        return state

    model.coef_ = gadgets.with_tampered_state(model.coef_, tamper)

    body = refused_upload(as_alice, "gadget", pickle.dumps(model, protocol=4))

    assert body["message"].startswith("the pickle holds a sparse matrix")


def test_a_joblib_array_declaring_more_bytes_than_the_file_holds_is_refused_before_allocating(tmp_path):
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump(np.arange(4.0), path, protocol=2)  # no frames: the edit below may change lengths
    # The shape tuple (4,) as joblib pickles it: BININT1 4, TUPLE1. Now 2**40 floats (8 TiB).
    data = path.read_bytes()
    assert data.count(b"K\x04\x85") == 1
    path.write_bytes(data.replace(b"K\x04\x85", b"\x8a\x06" + (2**40).to_bytes(6, "little") + b"\x85"))

    with pytest.raises(RefusedContent, match="larger than the rest of the file"):
        load_model(str(path), format="joblib")
