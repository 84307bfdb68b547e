"""The client's scanning loader, called as a plain function with no server involved: it
refuses the attack pickles the server refuses (tests/registry/test_pickle_gadgets.py),
with the same words, in every container, and loads plain models that predict."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import skops.io
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from registry_client.safety import UnsafeArtifact, load_model

import gadgets
from gadgets import text

_LOGISTIC = ("sklearn.linear_model._logistic", "LogisticRegression")
_FORMATS = {"pickle": "pickle", "joblib-zlib": "joblib", "joblib-gzip": "joblib"}


def _iris():
    data = load_iris()
    return data.data, data.target


def _tampered(model, attribute: str, tamper) -> bytes:
    setattr(model, attribute, gadgets.with_tampered_state(getattr(model, attribute), tamper))
    return pickle.dumps(model, protocol=4)


def _tree_pointing_outside() -> bytes:
    from sklearn.tree import DecisionTreeClassifier

    def tamper(state):
        state = dict(state, nodes=state["nodes"].copy())
        state["nodes"]["left_child"][0] = 10**6
        return state

    return _tampered(DecisionTreeClassifier(max_depth=3, random_state=0).fit(*_iris()), "tree_", tamper)


def _tree_of_another_width() -> bytes:
    from sklearn.tree import DecisionTreeClassifier

    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(*_iris())
    model.n_features_in_ = 2
    return pickle.dumps(model, protocol=4)


def _neighbours_tree_pointing_outside() -> bytes:
    from sklearn.neighbors import KNeighborsClassifier

    def tamper(state):
        index = state[1].copy()
        index[0] = 10**6
        return (state[0], index, *state[2:])

    return _tampered(KNeighborsClassifier(algorithm="kd_tree").fit(*_iris()), "_tree", tamper)


def _sparse_pointing_outside() -> bytes:
    def tamper(state):
        state = dict(state, indices=state["indices"].copy())
        state["indices"][0] = 10**6
        return state

    return _tampered(LogisticRegression(max_iter=500).fit(*_iris()).sparsify(), "coef_", tamper)


def _dtype_changed_after_use() -> bytes:
    memo_put, memo_get = b"q\x00", b"h\x00"
    array = gadgets.array_of(memo_get, b"A" * 8, 1)
    fields = gadgets.dictionary((text("a"), gadgets.tup(gadgets.dtype(text("O")), gadgets.integer(0))))
    layout = (gadgets.integer(3), text("|"), gadgets.NONE, gadgets.tup(text("a")), fields)
    state = gadgets.tup(*layout, gadgets.integer(8), gadgets.integer(8), gadgets.integer(63))
    body = gadgets.dtype(text("V8")) + memo_put + b"0" + array + memo_get + state + gadgets.BUILD + b"\x86"
    return gadgets.pickle_of(body)


# (id, the attack pickle, what the refusal says): the server's refusals of the same bytes.
CORPUS = [
    (
        "scorer-calling-a-built-object",
        lambda: gadgets.pickle_of(
            gadgets.call(gadgets.scorer_calling("predict"), gadgets.new(*_LOGISTIC), gadgets.NONE, gadgets.NONE)
        ),
        "the pickle calls an object of type sklearn.metrics._scorer._Scorer, which the allow-list does not allow",
    ),
    (
        "unlisted-module-under-sklearn",
        lambda: gadgets.names_module("sklearn.experimental.enable_iterative_imputer", "IterativeImputer"),
        "the pickle imports names that are not allowed: sklearn.experimental.enable_iterative_imputer.IterativeImputer",
    ),
    (
        "numpy-function-by-prefix",
        lambda: gadgets.names_module("numpy", "fromfile"),
        "the pickle imports names that are not allowed: numpy.fromfile",
    ),
    (
        "build-on-a-class",
        lambda: gadgets.poisons_class(*_LOGISTIC, "predict"),
        "the pickle sets attributes of the class sklearn.linear_model._logistic.LogisticRegression",
    ),
    (
        "unlisted-class-before-build",
        lambda: gadgets.poisons_class("sklearn.linear_model._base", "LinearClassifierMixin", "decision_function"),
        "the pickle imports names that are not allowed: sklearn.linear_model._base.LinearClassifierMixin",
    ),
    (
        "state-sets-array-interface",
        lambda: gadgets.array_interface_estimator(address=4096, size=64),
        "'__array_interface__'",
    ),
    (
        "state-sets-sklearn-tags",
        lambda: gadgets.instance_with_state(*_LOGISTIC, (text("__sklearn_tags__"), gadgets.glob("numpy", "ndarray"))),
        "'__sklearn_tags__'",
    ),
    (
        "state-replaces-a-method",
        lambda: gadgets.instance_with_state(*_LOGISTIC, (text("predict"), gadgets.glob("numpy.ma", "MaskedArray"))),
        "the pickle replaces the method 'predict'",
    ),
    (
        "numpy-dummy-array",
        lambda: gadgets.dummy_array(address=4096, size=64),
        "the pickle imports names that are not allowed: numpy.lib._stride_tricks_impl.DummyArray",
    ),
    (
        "dtype-shared-with-numpy",
        lambda: gadgets.pickle_of(gadgets.dtype(text("f8"), copy=False)),
        "the pickle builds a NumPy dtype without copying it",
    ),
    ("dtype-changed-after-use", _dtype_changed_after_use, "dtype"),
    ("tree-node-past-the-end", _tree_pointing_outside, "the pickle holds a decision tree whose indices point outside"),
    ("tree-of-another-width", _tree_of_another_width, "whose tree reads another number of features"),
    (
        "neighbours-index-past-the-data",
        _neighbours_tree_pointing_outside,
        "the pickle holds a neighbours tree whose indices point outside it",
    ),
    ("sparse-index-past-the-matrix", _sparse_pointing_outside, "the pickle holds a sparse matrix"),
]


def _packed(tmp_path, container: str, pickled: bytes) -> tuple[str, str]:
    filename, content = gadgets.packed(container, pickled)
    path = tmp_path / filename
    path.write_bytes(content)
    return str(path), _FORMATS.get(container, "mlflow")


@pytest.mark.parametrize("container", gadgets.CONTAINERS)
@pytest.mark.parametrize(("build", "said"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_the_client_refuses_every_attack_the_server_refuses(tmp_path, container, build, said):
    path, format = _packed(tmp_path, container, build())

    with pytest.raises(UnsafeArtifact) as caught:
        load_model(path, format=format)

    assert said in caught.value.message


@pytest.mark.parametrize("container", gadgets.CONTAINERS)
def test_the_client_refuses_the_scorer_chain_before_it_writes(tmp_path, container):
    target = tmp_path / "written.py"
    path, format = _packed(tmp_path, container, gadgets.scorer_writes_file(str(target), b"print(1)\n"))

    with pytest.raises(UnsafeArtifact, match="not allowed"):
        load_model(path, format=format)

    assert not target.exists()


def test_a_refusal_names_the_offending_imports_in_its_details(tmp_path):
    path, format = _packed(tmp_path, "pickle", gadgets.names_module("os", "system"))

    with pytest.raises(UnsafeArtifact) as caught:
        load_model(path, format=format)

    assert caught.value.details == {"offending_imports": ["os.system"]}


@pytest.mark.parametrize(
    "pickled",
    [gadgets.out_of_bounds_field(offset=100_000), gadgets.object_field_without_object_flag()],
    ids=["field-beyond-the-item", "object-field-without-object-flag"],
)
def test_a_dtype_layout_numpy_would_not_build_is_refused_without_crashing(tmp_path, pickled):
    # Loaded in a child: were it not refused, reading it could crash the test run.
    path = tmp_path / "model.pkl"
    path.write_bytes(pickled)
    code = f"""
        from registry_client.safety import UnsafeArtifact, load_model
        try:
            print("loaded", repr(load_model({str(path)!r}, format="pickle"))[:200])
        except UnsafeArtifact as exc:
            print("refused:", exc.message)
    """

    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("refused:") and "dtype" in done.stdout, done.stdout


def test_an_unknown_format_is_refused_naming_the_formats(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(gadgets.fitted_logistic_regression())

    with pytest.raises(UnsafeArtifact, match="format must be one of joblib, mlflow, pickle, skops"):
        load_model(str(path), format="onnx")


def test_a_plain_iris_joblib_file_loads_to_an_estimator_that_predicts(tmp_path):
    X, y = _iris()
    model = LogisticRegression(max_iter=500).fit(X, y)
    path = tmp_path / "iris.joblib"
    joblib.dump(model, path)

    loaded = load_model(str(path), format="joblib")

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_plain_iris_skops_file_loads_with_its_audited_types(tmp_path):
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _iris()
    model = HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    path = tmp_path / "iris.skops"
    skops.io.dump(model, path)
    trusted = tuple(skops.io.get_untrusted_types(file=str(path)))

    loaded = load_model(str(path), format="skops", trusted_types=trusted)

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("container", ["mlflow-zip", "mlflow-tar.gz"])
def test_a_plain_iris_mlflow_archive_loads_to_an_estimator_that_predicts(tmp_path, container):
    X, y = _iris()
    model = LogisticRegression(max_iter=500).fit(X, y)
    path, format = _packed(tmp_path, container, pickle.dumps(model, protocol=4))

    scratch = tmp_path / "scratch"
    scratch.mkdir()

    loaded = load_model(path, format=format, scratch_dir=str(scratch))

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert list(scratch.iterdir()) == []  # the model member's copy was removed


def test_a_skops_file_whose_types_were_not_trusted_is_refused(tmp_path):
    from sklearn.ensemble import HistGradientBoostingClassifier

    path = tmp_path / "iris.skops"
    skops.io.dump(HistGradientBoostingClassifier(max_iter=5).fit(*_iris()), path)

    with pytest.raises(UnsafeArtifact, match="not audited"):
        load_model(str(path), format="skops")


def test_the_loader_imports_nothing_of_the_server():
    code = """
        import sys
        import registry_client.safety
        from registry_client.safety import load_model, UnsafeArtifact
        server = ("django", "registry", "registry_site", "rest_framework", "serving", "mlflow_compat")
        print(sorted(m for m in sys.modules if m.split(".")[0] in server))
    """
    # No DJANGO_SETTINGS_MODULE nor a path to the project: what a user's interpreter has.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, cwd="/", timeout=120
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
