"""The restricted unpickler: malicious pickles are refused by name, estimators load."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import sklearn.base
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeRegressor

from registry.formats import inspect_artifact, load_model
from registry_site.errors import RefusedContent

LIMIT = 64 * 1024 * 1024


class Gadget:
    """Pickles as a call of `func(*args)`: what a malicious upload does."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def touch_command(marker) -> str:
    return f"touch {marker}"


def global_call(module: str, name: str, argument: str) -> bytes:
    """A protocol 2 pickle `module.name(argument)` spelled with the GLOBAL opcode."""
    encoded = argument.encode()
    return (
        b"\x80\x02c"
        + f"{module}\n{name}\n".encode()
        + b"X"
        + struct.pack("<I", len(encoded))
        + encoded
        + b"\x85R."  # TUPLE1, REDUCE, STOP
    )


def stack_global(module: str, qualname: str) -> bytes:
    """A protocol 4 pickle that only names `module` `qualname` (dotted) and stops."""
    parts = b"".join(b"\x8c" + bytes([len(s)]) + s.encode() for s in (module, qualname))
    return b"\x80\x04" + parts + b"\x93."


def write(tmp_path, data: bytes, name: str = "model.pkl") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def refusal(path: str) -> RefusedContent:
    with pytest.raises(RefusedContent) as caught:
        inspect_artifact(path, max_unpacked_bytes=LIMIT)
    return caught.value


# --- malicious pickles ---------------------------------------------------------------


def test_a_pickle_calling_os_system_is_refused_naming_the_import(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path, global_call("os", "system", touch_command(marker)))

    error = refusal(path)

    assert error.details == {"offending_imports": ["os.system"]}
    assert error.message == "the pickle imports names that are not allowed: os.system"
    assert not marker.exists()


def test_a_pickle_calling_posix_system_is_refused_naming_the_import(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path, pickle.dumps(Gadget(os.system, touch_command(marker)), protocol=5))

    error = refusal(path)

    assert error.details["offending_imports"] == ["posix.system"]
    assert not marker.exists()


def test_a_pickle_starting_subprocess_popen_is_refused_naming_the_import(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path, pickle.dumps(Gadget(subprocess.Popen, ["touch", str(marker)])))

    error = refusal(path)

    assert error.details["offending_imports"] == ["subprocess.Popen"]
    assert not marker.exists()


def test_a_pickle_calling_builtins_eval_is_refused_naming_the_import(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path, pickle.dumps(Gadget(eval, f"open({str(marker)!r}, 'w')")))

    error = refusal(path)

    assert error.details["offending_imports"] == ["builtins.eval"]
    assert not marker.exists()


def test_a_refusal_lists_every_offending_import_once_and_sorted(tmp_path):
    marker = tmp_path / "pwned"
    payload = [Gadget(os.system, touch_command(marker)), Gadget(eval, "1"), Gadget(eval, "2")]
    path = write(tmp_path, pickle.dumps(payload, protocol=5))

    error = refusal(path)

    assert error.details["offending_imports"] == ["builtins.eval", "posix.system"]
    assert error.message.endswith("not allowed: builtins.eval, posix.system")


def test_a_malicious_object_between_numpy_arrays_in_a_joblib_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    payload = {"before": np.arange(1000.0), "evil": Gadget(os.system, touch_command(marker)), "after": np.ones((9, 9))}
    joblib.dump(payload, tmp_path / "model.joblib")

    error = refusal(str(tmp_path / "model.joblib"))

    assert error.details["offending_imports"] == ["posix.system"]
    assert not marker.exists()


def test_a_malicious_object_inside_an_object_array_in_a_joblib_file_is_refused(tmp_path):
    # joblib writes object arrays as a nested pickle; joblib 1.6 resolves its
    # globals through our outer find_class. This guards that routing.
    marker = tmp_path / "pwned"
    objects = np.empty(2, dtype=object)
    objects[:] = ["harmless", Gadget(os.system, touch_command(marker))]
    joblib.dump({"weights": np.arange(10.0), "objects": objects}, tmp_path / "model.joblib")

    error = refusal(str(tmp_path / "model.joblib"))

    assert error.details["offending_imports"] == ["posix.system"]
    assert not marker.exists()


def test_a_malicious_compressed_joblib_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    joblib.dump([np.zeros(50), Gadget(os.system, touch_command(marker))], tmp_path / "m.joblib", compress=3)

    error = refusal(str(tmp_path / "m.joblib"))

    assert error.details["offending_imports"] == ["posix.system"]
    assert not marker.exists()


def test_offending_names_are_reported_even_when_the_stub_makes_the_rest_of_the_load_fail(tmp_path):
    # numpy's array reconstructor rejects the inert stand-in for os.system.
    reconstruct = np._core.multiarray._reconstruct
    path = write(tmp_path, pickle.dumps(Gadget(reconstruct, os.system, (0,), b"b"), protocol=5))

    assert refusal(path).details["offending_imports"] == ["posix.system"]


def test_load_model_refuses_an_off_list_import_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path, pickle.dumps(Gadget(os.system, touch_command(marker))))

    with pytest.raises(RefusedContent) as caught:
        load_model(path, format="pickle")

    assert caught.value.details["offending_imports"] == ["posix.system"]
    assert not marker.exists()


def test_builtins_getattr_is_refused(tmp_path):
    path = write(tmp_path, pickle.dumps(Gadget(getattr, "text", "upper")))

    assert refusal(path).details["offending_imports"] == ["builtins.getattr"]


def test_numpys_ufunc_reconstructor_gadget_is_refused(tmp_path):
    # `_ufunc_reconstruct(module, name)` imports any module: numpy, yet denied.
    path = write(tmp_path, global_call("numpy.core", "_ufunc_reconstruct", "posix"))

    assert refusal(path).details["offending_imports"] == ["numpy.core._ufunc_reconstruct"]


def test_numpy_memmap_is_refused_although_numpy_is_trusted(tmp_path):
    path = write(tmp_path, global_call("numpy", "memmap", str(tmp_path / "victim")))

    assert refusal(path).details["offending_imports"] == ["numpy.memmap"]
    assert not (tmp_path / "victim").exists()


def test_a_numpy_function_is_refused_because_only_classes_are_trusted(tmp_path):
    path = write(tmp_path, pickle.dumps(np.load))

    assert refusal(path).details["offending_imports"] == ["numpy.load"]


def test_a_foreign_class_re_exported_by_a_trusted_module_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(sklearn.base, "Popen", subprocess.Popen, raising=False)
    path = write(tmp_path, global_call("sklearn.base", "Popen", "true"))

    assert refusal(path).details["offending_imports"] == ["sklearn.base.Popen"]


def test_a_dunder_attribute_walk_out_of_a_trusted_class_is_refused(tmp_path):
    path = write(tmp_path, stack_global("sklearn.base", "BaseEstimator.__init__.__globals__"))

    assert refusal(path).details["offending_imports"] == ["sklearn.base.BaseEstimator.__init__.__globals__"]


def test_a_qualname_walking_into_another_module_is_refused(tmp_path):
    path = write(tmp_path, stack_global("sklearn.utils.validation", "np.lib.format.open_memmap"))

    assert refusal(path).details["offending_imports"] == ["sklearn.utils.validation.np.lib.format.open_memmap"]


def test_a_cython_unpickle_helper_is_refused_when_its_class_is_not_allowed(tmp_path):
    path = write(tmp_path, stack_global("sklearn._cyutility", "__pyx_unpickle_Enum"))

    assert refusal(path).details["offending_imports"] == ["sklearn._cyutility.__pyx_unpickle_Enum"]


def test_a_truncated_pickle_is_refused_as_unreadable(tmp_path):
    data = pickle.dumps(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), protocol=5)
    path = write(tmp_path, data[: len(data) // 2])

    assert refusal(path).message.startswith("the pickle could not be read")


def test_a_compressed_joblib_file_unpacking_beyond_the_limit_is_refused(tmp_path):
    joblib.dump(np.zeros(1_000_000), tmp_path / "big.joblib", compress=3)

    with pytest.raises(RefusedContent, match="max_unpacked_bytes"):
        inspect_artifact(str(tmp_path / "big.joblib"), max_unpacked_bytes=100_000)


def test_a_forged_bytearray_length_is_refused_before_allocating(tmp_path):
    path = write(tmp_path, b"\x80\x05\x96" + struct.pack("<Q", 2**40) + b".")

    with pytest.raises(RefusedContent, match="max_unpacked_bytes"):
        inspect_artifact(path, max_unpacked_bytes=LIMIT)


# --- legitimate estimators -----------------------------------------------------------

ESTIMATORS = {
    "logistic-regression": lambda: LogisticRegression(max_iter=300),
    "random-forest": lambda: RandomForestClassifier(n_estimators=5, random_state=0),
    "gradient-boosting": lambda: GradientBoostingClassifier(n_estimators=5, random_state=0),
    "scaler-logistic-pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
    "decision-tree-regressor": lambda: DecisionTreeRegressor(max_depth=3),
    "ridge": lambda: Ridge(),
    "knn": lambda: KNeighborsClassifier(),
    "svc-probability": lambda: SVC(probability=True, random_state=0),
    "hist-gradient-boosting": lambda: HistGradientBoostingClassifier(max_iter=5),
    "kmeans": lambda: KMeans(n_clusters=2, n_init=1, random_state=0),
}
KINDS = [*sorted(ESTIMATORS), "column-transformer-on-dataframe"]


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    rows = 60
    frame = pd.DataFrame(
        {"city": np.array(["paris", "lyon", "nice"])[np.arange(rows) % 3], "size": np.arange(rows) * 1.5}
    )
    frame["rooms"] = np.arange(rows) % 5
    return frame, (np.arange(rows) % 2)


def _column_pipeline():
    columns = ColumnTransformer([("text", OneHotEncoder(), ["city"]), ("num", StandardScaler(), ["size", "rooms"])])
    return make_pipeline(columns, LogisticRegression())


@pytest.fixture(scope="module")
def fitted() -> dict:
    """Every kind fitted once: name -> (estimator, X)."""
    # Three classes: multiclass losses pickle through Cython's __pyx_unpickle helpers.
    X, y = make_classification(n_samples=90, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SVC(probability=True) is deprecated in 1.9
        models = {kind: (make().fit(X, y), X) for kind, make in ESTIMATORS.items()}
    frame, target = _frame()
    models["column-transformer-on-dataframe"] = (_column_pipeline().fit(frame, target), frame)
    return models


def _qualified(estimator) -> str:
    return f"{type(estimator).__module__}.{type(estimator).__qualname__}"


@pytest.mark.parametrize("kind", KINDS)
def test_a_legitimate_estimator_saved_with_joblib_dump_is_accepted(tmp_path, fitted, kind):
    estimator, _ = fitted[kind]
    joblib.dump(estimator, tmp_path / "model.joblib")

    inspection = inspect_artifact(str(tmp_path / "model.joblib"), max_unpacked_bytes=LIMIT)

    assert (inspection.format, inspection.serialization, inspection.flavor) == ("joblib", "joblib", "sklearn")
    assert inspection.estimator_class == _qualified(estimator)
    assert inspection.environment == {"python": None, "scikit-learn": sklearn.__version__, "joblib": joblib.__version__}


@pytest.mark.parametrize("kind", KINDS)
def test_a_legitimate_estimator_saved_with_pickle_protocol_5_is_accepted(tmp_path, fitted, kind):
    estimator, _ = fitted[kind]
    path = write(tmp_path, pickle.dumps(estimator, protocol=5))

    inspection = inspect_artifact(path, max_unpacked_bytes=LIMIT)

    assert (inspection.format, inspection.serialization) == ("pickle", "pickle")
    assert inspection.estimator_class == _qualified(estimator)
    assert inspection.environment["joblib"] is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_legitimate_estimator_in_a_compressed_joblib_file_is_accepted(tmp_path, fitted, kind):
    estimator, _ = fitted[kind]
    joblib.dump(estimator, tmp_path / "model.joblib", compress=3)

    inspection = inspect_artifact(str(tmp_path / "model.joblib"), max_unpacked_bytes=LIMIT)

    assert inspection.format == "joblib"
    assert inspection.estimator_class == _qualified(estimator)


@pytest.mark.parametrize("kind", KINDS)
def test_load_model_round_trips_the_predictions_of_a_joblib_file(tmp_path, fitted, kind):
    estimator, X = fitted[kind]
    joblib.dump(estimator, tmp_path / "model.joblib")

    loaded = load_model(str(tmp_path / "model.joblib"), format="joblib")

    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_load_model_round_trips_the_predictions_of_a_protocol_2_pickle(tmp_path, fitted):
    estimator, X = fitted["random-forest"]
    path = write(tmp_path, pickle.dumps(estimator, protocol=2))

    loaded = load_model(path, format="pickle")

    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_an_estimator_fit_on_a_dataframe_records_its_feature_names_and_string_columns(tmp_path, fitted):
    joblib.dump(fitted["column-transformer-on-dataframe"][0], tmp_path / "model.joblib")

    signature = inspect_artifact(str(tmp_path / "model.joblib"), max_unpacked_bytes=LIMIT).signature

    assert signature == {
        "inputs": [
            {"name": "city", "type": "string"},
            {"name": "size", "type": "double"},
            {"name": "rooms", "type": "double"},
        ],
        "tensor": None,
        "outputs": None,
        "source": "feature_names_in_",
    }


def test_an_estimator_fit_on_an_array_records_a_float64_tensor_of_its_width(tmp_path, fitted):
    joblib.dump(fitted["ridge"][0], tmp_path / "model.joblib")

    signature = inspect_artifact(str(tmp_path / "model.joblib"), max_unpacked_bytes=LIMIT).signature

    assert signature == {
        "inputs": None,
        "tensor": {"dtype": "float64", "shape": [-1, 4]},
        "outputs": None,
        "source": "n_features_in_",
    }


def test_the_scikit_learn_version_a_pickle_was_made_with_is_recorded(tmp_path, fitted):
    current = sklearn.__version__
    older = "".join("0" if c.isdigit() else c for c in current)  # same length, so the pickle stays valid
    data = pickle.dumps(fitted["logistic-regression"][0], protocol=5).replace(current.encode(), older.encode())
    path = write(tmp_path, data)

    inspection = inspect_artifact(path, max_unpacked_bytes=LIMIT)

    assert inspection.environment["scikit-learn"] == older
