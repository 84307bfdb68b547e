"""The ONNX form is content-addressed beside the original, and a stored ONNX object
whose bytes changed is never used: the version is answered by its verified original
(X-Model-Runtime: sklearn) and the refusal is logged as an error."""

import hashlib
import logging

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from onnxkit import compilation, fitted, held_out, split_body
from servingkit import invoke, predictions

from registry.artifacts import artifact_key

from kit import joblib_bytes, stored_objects, upload

FAMILY = "random forest classifier"


@pytest.fixture
def uploaded(onnx_on, as_alice):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))
    return compilation()


def test_the_onnx_form_is_stored_under_the_sha256_of_its_bytes(uploaded, artifact_store):
    stored = stored_objects(artifact_store)
    key = next(k for k in stored if k.endswith(artifact_key(uploaded.sha256)))

    assert hashlib.sha256(stored[key]).hexdigest() == uploaded.sha256
    assert len(stored[key]) == uploaded.size
    assert stored[key][:2] != b"\x80\x04"  # a protobuf, not a pickle


def test_a_corrupted_onnx_object_is_never_used(uploaded, as_bob, caplog):
    storage = storages["artifacts"]
    storage.delete(artifact_key(uploaded.sha256))
    storage.save(artifact_key(uploaded.sha256), ContentFile(b"not the ONNX bytes that were checked"))
    rows = held_out(FAMILY)

    with caplog.at_level(logging.ERROR):
        response = invoke(as_bob, "/model/m/invocations", split_body(rows))

    assert response["X-Model-Runtime"] == "sklearn"
    assert predictions(response) == fitted(FAMILY).predict(rows).tolist()
    assert any("not serving the ONNX form of m version 1" in r.getMessage() for r in caplog.records)


def test_a_missing_onnx_object_falls_back_to_the_original(uploaded, as_bob):
    storages["artifacts"].delete(artifact_key(uploaded.sha256))

    response = invoke(as_bob, "/model/m/invocations", split_body(held_out(FAMILY)))

    assert response.status_code == 200 and response["X-Model-Runtime"] == "sklearn"
