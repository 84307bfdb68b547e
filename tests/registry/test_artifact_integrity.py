import hashlib
import os
import pickle

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from registry import loading
from registry.artifacts import artifact_key
from registry.models import ModelVersion
from registry_site.errors import IntegrityFailure

from kit import upload


class WritesMarker:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _replace_stored_bytes(sha256: str, content: bytes) -> None:
    storage = storages["artifacts"]
    storage.delete(artifact_key(sha256))
    storage.save(artifact_key(sha256), ContentFile(content))


def test_a_verified_version_loads_and_predicts_like_the_original(as_alice, iris_joblib, iris_model, iris):
    upload(as_alice, "iris", iris_joblib)
    version = ModelVersion.objects.get()

    model = loading.load_version_model(version)

    X, _ = iris
    assert (model.predict(X) == iris_model.predict(X)).all()


def test_bytes_changed_behind_the_registrys_back_are_refused_and_never_deserialized(as_alice, iris_joblib, tmp_path):
    upload(as_alice, "iris", iris_joblib)
    version = ModelVersion.objects.get()
    marker = tmp_path / "pwned"
    _replace_stored_bytes(version.artifact_sha256, pickle.dumps(WritesMarker(marker)))

    with pytest.raises(IntegrityFailure) as refused:
        loading.load_version_model(version)

    assert "does not match its recorded sha256" in str(refused.value)
    assert version.artifact_sha256 in str(refused.value)
    assert not marker.exists()


def test_a_single_flipped_byte_is_detected(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    version = ModelVersion.objects.get()
    corrupted = bytearray(iris_joblib)
    corrupted[len(corrupted) // 2] ^= 0xFF
    _replace_stored_bytes(version.artifact_sha256, bytes(corrupted))

    with pytest.raises(IntegrityFailure):
        loading.load_version_model(version)
    assert hashlib.sha256(bytes(corrupted)).hexdigest() != version.artifact_sha256
