"""A version's accepted ONNX form can be downloaded, so a client can run it with ONNX
Runtime alone; a version without one answers 404 saying so."""

import hashlib

from kit import client_for, upload


def test_the_onnx_form_downloads_with_the_sha256_its_record_names(onnx_on, as_alice, as_bob, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    recorded = as_bob.get("/api/v1/models/iris/versions/1").json()["onnx"]

    response = as_bob.get("/api/v1/models/iris/versions/1/onnx")

    content = b"".join(response.streaming_content)
    assert (response.status_code, recorded["status"]) == (200, "converted")
    assert hashlib.sha256(content).hexdigest() == recorded["sha256"] == response["X-Artifact-Sha256"]
    assert response["Content-Disposition"] == 'attachment; filename="iris-v1.onnx"'


def test_a_version_without_an_onnx_form_answers_404(as_alice, as_bob, iris_joblib):
    upload(as_alice, "iris", iris_joblib)  # ONNX is off: never compiled

    response = as_bob.get("/api/v1/models/iris/versions/1/onnx")

    assert response.status_code == 404
    assert response.json()["message"] == "version 1 of iris has no accepted ONNX form"


def test_the_onnx_form_needs_credentials_and_the_read_role(onnx_on, as_alice, anonymous, charlie, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    assert anonymous.get("/api/v1/models/iris/versions/1/onnx").status_code == 401
    assert client_for(charlie).get("/api/v1/models/iris/versions/1/onnx").status_code == 403
