import builtins
import os
import pickle
import subprocess

import pytest

from registry.models import ModelVersion, RegisteredModel

from kit import joblib_bytes, stored_objects, upload


class Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (lambda marker: Evil(os.system, f"touch {marker}"), "system"),
        (lambda marker: Evil(subprocess.Popen, ["touch", str(marker)]), "subprocess.Popen"),
        (lambda marker: Evil(builtins.eval, f"open({str(marker)!r}, 'w')"), "builtins.eval"),
    ],
    ids=["os.system", "subprocess.Popen", "builtins.eval"],
)
def test_a_pickle_that_would_run_code_is_refused_with_422_naming_the_import(
    as_alice, tmp_path, artifact_store, payload, named
):
    marker = tmp_path / "pwned"

    response = upload(as_alice, "evil", pickle.dumps(payload(marker)), filename="model.pkl")

    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error_code"] == "REFUSED_CONTENT"
    assert named in body["message"]
    assert any(named in name for name in body["offending_imports"])
    assert not marker.exists()
    assert not RegisteredModel.objects.exists()
    assert stored_objects(artifact_store) == {}


def test_a_malicious_object_hidden_inside_a_joblib_pipeline_is_refused(as_alice, iris_model, tmp_path):
    marker = tmp_path / "pwned"
    payload = joblib_bytes({"model": iris_model, "hook": Evil(os.system, f"touch {marker}")})

    response = upload(as_alice, "evil", payload)

    assert response.status_code == 422
    assert "system" in response.json()["message"]
    assert not marker.exists()
    assert not ModelVersion.objects.exists()


def test_bytes_that_are_not_a_model_are_refused_with_422(as_alice):
    response = upload(as_alice, "junk", b"this is not a model at all", filename="model.bin")

    assert response.status_code == 422
    assert response.json()["error_code"] == "REFUSED_CONTENT"
    assert not ModelVersion.objects.exists()


def test_a_declared_format_that_does_not_match_the_bytes_is_400_naming_format(as_alice, iris_joblib):
    response = upload(as_alice, "iris", iris_joblib, format="skops")

    assert response.status_code == 400
    assert "format" in response.json()["message"]
