"""MLflow model directories uploaded as zip or tar.gz: vetted, scanned, described."""

from __future__ import annotations

import io
import json
import os
import pickle
import platform
import stat
import tarfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
import skops.io
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

from registry.formats import inspect_artifact, load_model
from registry_site.errors import RefusedContent

LIMIT = 64 * 1024 * 1024
FRAME = pd.DataFrame({"width": np.arange(30) * 0.5, "height": (np.arange(30) % 4) * 1.0})
TARGET = np.arange(30) % 2


class Gadget:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


# --- building MLflow model directories and archives ---------------------------------


def save_with_mlflow(directory: Path, estimator, serialization: str, **options) -> Path:
    import mlflow.sklearn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's hints about pickles and integer outputs
        mlflow.sklearn.save_model(
            estimator,
            str(directory),
            serialization_format=serialization,
            pip_requirements=["scikit-learn"],  # skips slow requirement inference
            **options,
        )
    return directory


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict:
    """MLflow model directories, each saved once: name -> (directory, estimator)."""
    root = tmp_path_factory.mktemp("mlflow")
    logistic = LogisticRegression().fit(FRAME, TARGET)
    tree = DecisionTreeClassifier(max_depth=3).fit(FRAME, TARGET)
    example = {"input_example": FRAME.head(3)}
    return {
        "cloudpickle": (save_with_mlflow(root / "cp", logistic, "cloudpickle", **example), logistic),
        "skops": (save_with_mlflow(root / "sk", logistic, "skops", **example), logistic),
        "skops-tree": (
            save_with_mlflow(root / "tree", tree, "skops", skops_trusted_types=["sklearn.tree._tree.Tree"]),
            tree,
        ),
    }


def zip_directory(directory: Path, destination: Path, prefix: str = "") -> str:
    with zipfile.ZipFile(destination, "w") as archive:
        for file in sorted(directory.rglob("*")):
            archive.write(file, prefix + file.relative_to(directory).as_posix())
    return str(destination)


def tar_directory(directory: Path, destination: Path, prefix: str = "") -> str:
    with tarfile.open(destination, "w:gz") as archive:
        for file in sorted(directory.rglob("*")):
            archive.add(file, prefix + file.relative_to(directory).as_posix(), recursive=False)
    return str(destination)


def hand_made_zip(destination: Path, mlmodel: dict, files: dict[str, bytes]) -> str:
    with zipfile.ZipFile(destination, "w") as archive:
        archive.writestr("MLmodel", yaml.safe_dump(mlmodel))
        for name, data in files.items():
            archive.writestr(name, data)
    return str(destination)


def sklearn_mlmodel(model_file: str = "model.pkl", serialization: str = "cloudpickle", **extra) -> dict:
    flavor = {"pickled_model": model_file, "serialization_format": serialization, "sklearn_version": "1.5.2"}
    return {"flavors": {"sklearn": flavor}, **extra}


def small_model_pickle() -> bytes:
    return pickle.dumps(LogisticRegression().fit(np.eye(3), [0, 1, 1]))


def refusal(path: str, limit: int = LIMIT) -> RefusedContent:
    with pytest.raises(RefusedContent) as caught:
        inspect_artifact(path, max_unpacked_bytes=limit)
    return caught.value


# --- accepted models -----------------------------------------------------------------

COLUMNS = [{"name": "width", "type": "double"}, {"name": "height", "type": "double"}]


def test_a_zipped_cloudpickle_model_is_accepted_with_its_signature_and_example(tmp_path, saved):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip")

    inspection = inspect_artifact(path, max_unpacked_bytes=LIMIT)

    assert (inspection.format, inspection.serialization, inspection.flavor) == ("mlflow", "cloudpickle", "sklearn")
    assert inspection.estimator_class == "sklearn.linear_model._logistic.LogisticRegression"
    assert inspection.signature == {
        "inputs": COLUMNS,
        "tensor": None,
        "outputs": [{"name": None, "type": "long"}],
        "source": "mlmodel",
    }
    assert inspection.input_example == {"columns": ["width", "height"], "data": [[0.0, 0.0], [0.5, 1.0], [1.0, 2.0]]}


def test_the_environment_comes_from_mlmodel(tmp_path, saved):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip")

    environment = inspect_artifact(path, max_unpacked_bytes=LIMIT).environment

    assert environment == {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "joblib": None}


def test_a_tar_gz_cloudpickle_model_is_accepted(tmp_path, saved):
    path = tar_directory(saved["cloudpickle"][0], tmp_path / "model.tar.gz")

    inspection = inspect_artifact(path, max_unpacked_bytes=LIMIT)

    assert (inspection.format, inspection.signature["inputs"]) == ("mlflow", COLUMNS)


def test_a_skops_model_is_accepted_with_its_column_signature(tmp_path, saved):
    path = zip_directory(saved["skops"][0], tmp_path / "model.zip")

    inspection = inspect_artifact(path, max_unpacked_bytes=LIMIT)

    assert (inspection.serialization, inspection.trusted_types) == ("skops", ())
    assert inspection.signature["inputs"] == COLUMNS


def test_a_skops_tree_records_the_audited_trusted_types(tmp_path, saved):
    path = tar_directory(saved["skops-tree"][0], tmp_path / "model.tar.gz")

    inspection = inspect_artifact(path, max_unpacked_bytes=LIMIT)

    assert inspection.trusted_types == ("sklearn.tree._tree.Tree",)
    assert inspection.signature == {
        "inputs": COLUMNS,
        "tensor": None,
        "outputs": None,
        "source": "feature_names_in_",
    }


@pytest.mark.parametrize(
    ("name", "pack"),
    [("cloudpickle", zip_directory), ("skops", tar_directory), ("skops-tree", zip_directory)],
    ids=["cloudpickle-zip", "skops-tar-gz", "skops-tree-zip"],
)
def test_load_model_round_trips_the_predictions(tmp_path, saved, name, pack):
    directory, estimator = saved[name]
    path = pack(directory, tmp_path / "model.archive")
    trusted = inspect_artifact(path, max_unpacked_bytes=LIMIT).trusted_types

    loaded = load_model(path, format="mlflow", trusted_types=trusted)

    np.testing.assert_array_equal(loaded.predict(FRAME), estimator.predict(FRAME))


def test_mlmodel_inside_one_top_level_folder_is_found(tmp_path, saved):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip", prefix="my-model/")

    assert inspect_artifact(path, max_unpacked_bytes=LIMIT).serialization == "cloudpickle"


def test_a_tar_of_dot_relative_names_is_accepted(tmp_path, saved):
    path = tar_directory(saved["cloudpickle"][0], tmp_path / "model.tar.gz", prefix="./")

    assert inspect_artifact(path, max_unpacked_bytes=LIMIT).format == "mlflow"


def test_a_tensor_signature_is_kept_as_one_tensor_spec(tmp_path):
    spec = [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]
    mlmodel = sklearn_mlmodel(signature={"inputs": json.dumps(spec), "outputs": None})
    path = hand_made_zip(tmp_path / "m.zip", mlmodel, {"model.pkl": small_model_pickle()})

    signature = inspect_artifact(path, max_unpacked_bytes=LIMIT).signature

    assert signature == {
        "inputs": None,
        "tensor": {"dtype": "float64", "shape": [-1, 3]},
        "outputs": None,
        "source": "mlmodel",
    }


def test_the_python_version_falls_back_to_python_env_yaml(tmp_path):
    files = {"model.pkl": small_model_pickle(), "python_env.yaml": b"python: 3.12.4\n"}

    inspection = inspect_artifact(hand_made_zip(tmp_path / "m.zip", sklearn_mlmodel(), files), max_unpacked_bytes=LIMIT)

    assert inspection.environment == {"python": "3.12.4", "scikit-learn": "1.5.2", "joblib": None}


# --- refused archives ----------------------------------------------------------------


@pytest.mark.parametrize("member", ["../evil", "/etc/x", "model\\..\\evil", "C:/evil", "a/../../evil"])
def test_a_zip_member_with_an_unsafe_path_is_refused_naming_it(tmp_path, saved, member):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(zipfile.ZipInfo(member), b"payload")

    error = refusal(path)

    assert error.details == {"member": member}
    assert repr(member) in error.message


def test_a_zip_symlink_is_refused_naming_it(tmp_path, saved):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip")
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(link, "/etc/passwd")

    assert refusal(path).details == {"member": "link"}


def mark_last_entry_encrypted(path: str) -> None:
    # zipfile cannot write encrypted entries: set bit 0 of the general purpose
    # flags in the last local header (offset 6) and central directory entry (8).
    data = bytearray(Path(path).read_bytes())
    for signature, flags_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.rfind(signature) + flags_offset] |= 0x1
    Path(path).write_bytes(data)


def test_an_encrypted_zip_entry_is_refused(tmp_path, saved):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("secret.bin", b"ciphertext")
    mark_last_entry_encrypted(path)

    assert "encrypted" in refusal(path).message


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE, tarfile.CHRTYPE])
def test_a_tar_link_or_special_file_is_refused_naming_it(tmp_path, saved, kind):
    directory = saved["cloudpickle"][0]
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as archive:
        archive.add(directory / "MLmodel", "MLmodel")
        special = tarfile.TarInfo("model.pkl")
        special.type, special.linkname = kind, "/etc/passwd"
        archive.addfile(special)

    assert refusal(str(tmp_path / "model.tar.gz")).details == {"member": "model.pkl"}


def test_an_archive_over_max_unpacked_bytes_is_refused_saying_the_limit(tmp_path, saved):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip")

    error = refusal(path, limit=1000)

    assert "more than 1000 bytes" in error.message and "max_unpacked_bytes" in error.message


def test_an_archive_with_more_than_ten_thousand_members_is_refused(tmp_path, saved):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip")
    with zipfile.ZipFile(path, "a") as archive:
        for index in range(10_000):
            archive.writestr(f"padding/{index}", b"")

    assert "more than 10000 members" in refusal(path).message


def test_an_mlmodel_without_an_sklearn_flavor_is_refused(tmp_path):
    mlmodel = {"flavors": {"python_function": {"loader_module": "mlflow.pyfunc.model"}}}

    error = refusal(hand_made_zip(tmp_path / "m.zip", mlmodel, {"python_model.pkl": b"\x80\x05N."}))

    assert error.message == "MLflow model has no sklearn flavor"


def test_an_mlmodel_naming_a_missing_model_file_is_refused(tmp_path):
    error = refusal(hand_made_zip(tmp_path / "m.zip", sklearn_mlmodel("absent.pkl"), {}))

    assert "absent.pkl" in error.message


def test_an_mlmodel_pointing_outside_the_archive_is_refused(tmp_path):
    error = refusal(hand_made_zip(tmp_path / "m.zip", sklearn_mlmodel("../model.pkl"), {}))

    assert error.details == {"member": "../model.pkl"}


def test_a_malicious_pickle_inside_an_mlflow_archive_is_refused_naming_the_import(tmp_path):
    marker = tmp_path / "pwned"
    model = pickle.dumps(Gadget(os.system, f"touch {marker}"))

    error = refusal(hand_made_zip(tmp_path / "m.zip", sklearn_mlmodel(), {"model.pkl": model}))

    assert error.details == {"offending_imports": ["posix.system"]}
    assert not marker.exists()


def test_an_untrusted_type_in_an_mlflow_skops_model_is_refused_naming_it(tmp_path):
    model = skops.io.dumps(make_pipeline(FunctionTransformer(eval), LogisticRegression()))
    mlmodel = sklearn_mlmodel("model.skops", "skops")

    error = refusal(hand_made_zip(tmp_path / "m.zip", mlmodel, {"model.skops": model}))

    assert error.details == {"offending_imports": ["builtins.eval"]}


def test_load_model_vets_the_archive_again(tmp_path, saved):
    path = zip_directory(saved["cloudpickle"][0], tmp_path / "model.zip")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../evil", b"payload")

    with pytest.raises(RefusedContent, match="unsafe path"):
        load_model(path, format="mlflow")


def test_an_input_example_of_a_megabyte_or_more_is_not_recorded(tmp_path):
    example = json.dumps({"columns": ["x"], "data": [["y" * 1024 * 1024]]}).encode()
    files = {"model.pkl": small_model_pickle(), "input_example.json": example}

    inspection = inspect_artifact(hand_made_zip(tmp_path / "m.zip", sklearn_mlmodel(), files), max_unpacked_bytes=LIMIT)

    assert inspection.input_example is None


def test_a_tar_gz_without_mlmodel_is_not_a_recognised_model_artifact(tmp_path):
    with tarfile.open(tmp_path / "x.tar.gz", "w:gz") as archive:
        info = tarfile.TarInfo("readme.txt")
        archive.addfile(info, io.BytesIO(b""))

    assert refusal(str(tmp_path / "x.tar.gz")).message.startswith("not a recognised model artifact")
