"""Format detection from the bytes, and what the declared format must agree with."""

from __future__ import annotations

import gzip
import pickle
import zipfile

import joblib
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from registry.formats import inspect_artifact, load_model
from registry_site.errors import InvalidParameter, RefusedContent

LIMIT = 16 * 1024 * 1024
X, Y = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0]], [0, 1, 0, 1]


@pytest.fixture(scope="module")
def model() -> LogisticRegression:
    return LogisticRegression().fit(X, Y)


@pytest.fixture
def joblib_path(tmp_path, model) -> str:
    joblib.dump(model, tmp_path / "model.joblib")
    return str(tmp_path / "model.joblib")


@pytest.fixture
def pickle_path(tmp_path, model) -> str:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model, protocol=5))
    return str(tmp_path / "model.pkl")


@pytest.fixture
def skops_path(tmp_path, model) -> str:
    skops.io.dump(model, tmp_path / "model.skops")
    return str(tmp_path / "model.skops")


def write(tmp_path, data: bytes) -> str:
    (tmp_path / "upload.bin").write_bytes(data)
    return str(tmp_path / "upload.bin")


@pytest.mark.parametrize("compressor", ["zlib", "gzip", "bz2", "xz", "lzma"])
def test_each_joblib_compression_is_detected_as_joblib(tmp_path, model, compressor):
    joblib.dump(model, tmp_path / "model.bin", compress=(compressor, 3))

    assert inspect_artifact(str(tmp_path / "model.bin"), max_unpacked_bytes=LIMIT).format == "joblib"


def test_an_uncompressed_joblib_file_is_detected_as_joblib(joblib_path):
    assert inspect_artifact(joblib_path, max_unpacked_bytes=LIMIT).format == "joblib"


def test_a_bare_pickle_is_detected_as_pickle(pickle_path):
    assert inspect_artifact(pickle_path, max_unpacked_bytes=LIMIT).format == "pickle"


def test_a_skops_file_is_detected_as_skops(skops_path):
    assert inspect_artifact(skops_path, max_unpacked_bytes=LIMIT).format == "skops"


def test_joblib_and_pickle_count_as_one_family_when_declared(pickle_path):
    inspection = inspect_artifact(pickle_path, declared_format="joblib", max_unpacked_bytes=LIMIT)

    assert inspection.format == "joblib"


def test_a_file_only_joblib_can_read_is_recorded_as_joblib_even_if_declared_pickle(joblib_path):
    inspection = inspect_artifact(joblib_path, declared_format="pickle", max_unpacked_bytes=LIMIT)

    assert (inspection.format, inspection.serialization) == ("joblib", "joblib")


def test_a_declared_format_disagreeing_with_the_bytes_is_an_invalid_format(joblib_path):
    with pytest.raises(InvalidParameter, match="format"):
        inspect_artifact(joblib_path, declared_format="skops", max_unpacked_bytes=LIMIT)


def test_declaring_mlflow_for_a_skops_file_is_an_invalid_format(skops_path):
    with pytest.raises(InvalidParameter, match="format is 'mlflow' but the artifact is a skops file"):
        inspect_artifact(skops_path, declared_format="mlflow", max_unpacked_bytes=LIMIT)


def test_an_unknown_declared_format_names_the_allowed_values(joblib_path):
    with pytest.raises(InvalidParameter, match="joblib, mlflow, pickle, skops"):
        inspect_artifact(joblib_path, declared_format="onnx", max_unpacked_bytes=LIMIT)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, I am a text file\n", gzip.compress(b"plain text, gzipped"), b"ZF0x00000010", b"(lp0\n."],
    ids=["empty", "text", "gzipped-text", "joblib-before-0.10", "protocol-0-pickle"],
)
def test_undetectable_bytes_are_not_a_recognised_model_artifact(tmp_path, data):
    with pytest.raises(RefusedContent, match="not a recognised model artifact"):
        inspect_artifact(write(tmp_path, data), max_unpacked_bytes=LIMIT)


def test_a_zip_without_mlmodel_that_is_not_a_skops_file_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "upload.zip", "w") as archive:
        archive.writestr("model/model.pkl", b"anything")

    with pytest.raises(RefusedContent, match="not a recognised model artifact"):
        inspect_artifact(str(tmp_path / "upload.zip"), max_unpacked_bytes=LIMIT)


def test_an_object_without_predict_is_refused_naming_its_type(tmp_path):
    path = write(tmp_path, pickle.dumps({"coef": [1.0, 2.0]}, protocol=5))

    with pytest.raises(RefusedContent) as caught:
        inspect_artifact(path, max_unpacked_bytes=LIMIT)

    assert caught.value.message == "the artifact is a builtins.dict, not a scikit-learn estimator with predict"


def test_a_transformer_without_predict_is_refused(tmp_path):
    joblib.dump(StandardScaler().fit(X), tmp_path / "scaler.joblib")

    with pytest.raises(RefusedContent, match="StandardScaler, not a scikit-learn estimator with predict"):
        inspect_artifact(str(tmp_path / "scaler.joblib"), max_unpacked_bytes=LIMIT)


def test_load_model_refuses_an_unknown_format(joblib_path):
    with pytest.raises(InvalidParameter, match="format must be one of"):
        load_model(joblib_path, format="onnx")


def test_load_model_reads_a_bare_pickle_with_the_restricted_loader(pickle_path, model):
    loaded = load_model(pickle_path, format="pickle")

    assert loaded.predict(X).tolist() == model.predict(X).tolist()
