"""HttpRegistry.load: the model object of a version found by number, stage or alias,
verified against its recorded sha256 and loaded by the same scanning loader the server
uses, so what the server would refuse to load, the client refuses too."""

import hashlib
import os
import pickle

import pytest
from clientkit import LIVE, flipped, replace_stored_bytes

from registry.models import ModelVersion
from registry_client.http import ArtifactIntegrityError
from registry_client.safety import UnsafeArtifact

pytestmark = pytest.mark.django_db(**LIVE)


class WritesMarker:
    """A pickle that creates a file when it is loaded."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("ref", [2, "Production", "champion"])
def test_a_version_loads_by_number_stage_or_alias(registry, iris, iris_model, ref):
    registry.register(iris_model, "iris")
    registry.register(iris_model, "iris", description="the one")
    registry.register(iris_model, "iris")
    registry.promote("iris", 2, stage="Production")
    registry.promote("iris", 2, alias="champion")

    model = registry.load("iris", ref)

    X = iris[0].iloc[::10]
    assert type(model).__name__ == "LogisticRegression"
    assert model.predict(X).tolist() == iris_model.predict(X).tolist()


def test_a_joblib_version_loads_as_well(registry, iris, iris_model, iris_joblib, tmp_path):
    (tmp_path / "m.joblib").write_bytes(iris_joblib)
    registry.push(str(tmp_path / "m.joblib"), "iris", format="joblib")

    model = registry.load("iris")

    assert model.predict(iris[0].head(2)).tolist() == [0, 0]


def test_a_tampered_artifact_is_refused_by_load(registry, iris_model, iris_joblib, tmp_path):
    (tmp_path / "m.joblib").write_bytes(iris_joblib)
    registry.push(str(tmp_path / "m.joblib"), "iris", format="joblib")
    sha256 = ModelVersion.objects.get().artifact_sha256
    replace_stored_bytes(sha256, flipped(iris_joblib))

    with pytest.raises(ArtifactIntegrityError) as raised:
        registry.load("iris", 1)

    assert f"the registry recorded {sha256}; refusing to use them" in str(raised.value)


def test_a_pickle_gadget_whose_hash_was_rewritten_too_is_refused_by_the_scanner(registry, iris_joblib, tmp_path):
    """An attacker who can change both the store and the database row gets past the hash:
    the scanning loader still refuses, as the server's does, and never runs the pickle."""
    (tmp_path / "m.joblib").write_bytes(iris_joblib)
    registry.push(str(tmp_path / "m.joblib"), "iris", format="joblib")
    marker = tmp_path / "deserialized"
    gadget = pickle.dumps(WritesMarker(marker))
    replace_stored_bytes(hashlib.sha256(gadget).hexdigest(), gadget)
    ModelVersion.objects.update(artifact_sha256=hashlib.sha256(gadget).hexdigest(), artifact_size=len(gadget))

    with pytest.raises(UnsafeArtifact) as raised:
        registry.load("iris", 1)

    assert raised.value.message == f"the pickle imports names that are not allowed: {os.system.__module__}.system"
    assert not marker.exists()
