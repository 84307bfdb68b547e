"""A version whose stored bytes changed is never deserialized: the invocation fails
with a clear 500 and the event is logged."""

import logging
import os
import pickle

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from servingkit import invoke, message

from registry.artifacts import artifact_key
from registry.models import ModelVersion

from kit import upload

BODY = {"instances": [[5.1, 3.5, 1.4, 0.2]]}


class WritesMarker:
    """A pickle that creates a file when it is loaded."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def replace_stored_bytes(sha256: str, content: bytes) -> None:
    storage = storages["artifacts"]
    storage.delete(artifact_key(sha256))
    storage.save(artifact_key(sha256), ContentFile(content))


def test_a_tampered_artifact_is_refused_with_500_and_never_deserialized(
    as_alice, as_bob, iris_joblib, tmp_path, caplog
):
    upload(as_alice, "m", iris_joblib)
    sha256 = ModelVersion.objects.get().artifact_sha256
    marker = tmp_path / "deserialized"
    replace_stored_bytes(sha256, pickle.dumps(WritesMarker(marker)))

    with caplog.at_level(logging.ERROR):
        response = invoke(as_bob, "/model/m/invocations", BODY)

    assert f"does not match its recorded sha256 {sha256}: refusing to load it" in message(response, 500)
    assert response.json()["error_code"] == "ARTIFACT_INTEGRITY_ERROR"
    assert not marker.exists()
    assert any("refused to serve m version 1" in record.getMessage() for record in caplog.records)


def test_a_tampered_artifact_stays_refused_on_every_call(as_alice, as_bob, iris_joblib):
    upload(as_alice, "m", iris_joblib)
    replace_stored_bytes(ModelVersion.objects.get().artifact_sha256, iris_joblib[:-10])

    for _ in range(2):
        assert "refusing to load it" in message(invoke(as_bob, "/model/m/invocations", BODY), 500)


def test_a_missing_artifact_is_a_clear_500(as_alice, as_bob, iris_joblib):
    upload(as_alice, "m", iris_joblib)
    storages["artifacts"].delete(artifact_key(ModelVersion.objects.get().artifact_sha256))

    assert "missing from the store" in message(invoke(as_bob, "/model/m/invocations", BODY), 500)
