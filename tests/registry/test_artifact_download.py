import hashlib

from kit import upload


def test_downloading_a_version_returns_the_uploaded_bytes(as_alice, as_bob, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = as_bob.get("/api/v1/models/iris/versions/1/artifact")

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == hashlib.sha256(iris_joblib).hexdigest()
    assert response["X-Artifact-Sha256"] == hashlib.sha256(iris_joblib).hexdigest()
    assert response["Content-Length"] == str(len(iris_joblib))
    assert "iris-v1.joblib" in response["Content-Disposition"]


def test_downloading_an_unknown_version_is_404(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = as_alice.get("/api/v1/models/iris/versions/9/artifact")

    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
