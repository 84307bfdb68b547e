"""The version page and the version API show which runtime serves the version, the
equivalence check's result and both runtimes' measured latencies."""

import pytest
from onnxkit import fitted

from kit import joblib_bytes, upload

FAMILY = "random forest classifier"


@pytest.fixture
def uploaded(onnx_on, as_alice):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))


def test_the_version_api_shows_the_runtime_the_check_and_the_latencies(uploaded, as_bob):
    onnx = as_bob.get("/api/v1/models/m/versions/1").json()["onnx"]

    assert (onnx["runtime"], onnx["status"], onnx["reason"]) == ("onnx", "converted", "")
    assert onnx["equivalence"]["passed"] is True
    assert onnx["equivalence"]["labels_mismatched"] == 0
    assert onnx["equivalence"]["max_probability_difference"] <= 1e-5
    assert set(onnx["latency_ms"]) == {"sklearn", "onnx"}
    assert len(onnx["sha256"]) == 64


def test_the_version_list_shows_the_runtime_of_each_version(uploaded, as_bob):
    versions = as_bob.get("/api/v1/models/m/versions").json()["results"]

    assert [v["onnx"]["runtime"] for v in versions] == ["onnx"]


def test_the_version_page_shows_the_runtime_the_check_and_the_latencies(uploaded, bob, client):
    client.force_login(bob)

    page = client.get("/models/m/versions/1/").content.decode()

    assert "Served by</dt><dd><strong>ONNX Runtime</strong>" in page
    assert "passed\n      on 1000 rows (1000 synthesized rows)" in page
    assert '<table id="latency">' in page and "scikit-learn</th>" in page


def test_the_version_page_says_when_a_version_was_not_compiled(as_alice, bob, client):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))  # SERVING_ONNX off
    client.force_login(bob)

    page = client.get("/models/m/versions/1/").content.decode()

    assert "<strong>scikit-learn</strong>" in page
    assert "not compiled to ONNX (SERVING_ONNX is off)" in page
