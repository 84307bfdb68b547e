"""Versions uploaded through the native API are versions the MLflow client can read
and, where MLflow's sklearn loader reads the format, load."""

from __future__ import annotations

import io
import zipfile

import mlflow
import numpy as np
import pytest
from mlflowkit import LIVE, fraud_data, native_version, quietly, small_model

from kit import client_for, upload

pytestmark = pytest.mark.django_db(**LIVE)


def test_a_native_upload_is_a_model_version_in_mlflow(mlflow_client, trina):
    native_version(trina, "churn", description="from curl", run_id="abc123", tags={"team": "risk"})

    version = mlflow_client.get_model_version("churn", "1")

    assert (version.description, version.run_id, version.tags) == ("from curl", "abc123", {"team": "risk"})
    assert version.status == "READY"
    assert version.source == "models:/churn/1"


def test_a_native_skops_upload_loads_with_pyfunc(mlflow_client, trina):
    native_version(trina, "churn", format="skops")
    X_test = fraud_data()[1]

    loaded = quietly(mlflow.pyfunc.load_model, "models:/churn/1")

    assert np.array_equal(loaded.predict(X_test), small_model().predict(X_test))


def test_a_native_mlflow_zip_upload_loads_with_pyfunc(mlflow_client, trina, tmp_path):
    import mlflow.sklearn

    quietly(mlflow.sklearn.save_model, small_model(), str(tmp_path / "m"), serialization_format="cloudpickle")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (tmp_path / "m").iterdir():
            archive.write(path, f"m/{path.name}")  # inside one top-level folder, as zip -r does
    assert upload(client_for(trina), "churn", buffer.getvalue(), filename="m.zip").status_code == 201
    X_test = fraud_data()[1]

    loaded = quietly(mlflow.pyfunc.load_model, "models:/churn/latest")

    assert np.array_equal(loaded.predict(X_test), small_model().predict(X_test))


def test_a_registered_version_can_be_registered_again_under_another_name(mlflow_client, trina):
    native_version(trina, "churn", format="skops", run_id="abc123")
    mlflow_client.create_registered_model("churn-copy")

    copied = mlflow_client.create_model_version("churn-copy", "models:/churn/1")

    assert (copied.version, copied.run_id) == ("1", "abc123")
    assert mlflow_client.get_model_version("churn-copy", "1").source == "models:/churn/1"
