"""An upload that declares its sha256 (header X-Artifact-SHA256): checked against the
bytes, and on S3 streamed to its content-addressed key while it arrives, visible only
once the scan has passed. Against a real S3-protocol server (moto's server mode)."""

import hashlib
import io
import os
import pickle

import pytest

from registry.models import ModelVersion, RegisteredModel

from kit import declaring, free_port, key_of, s3_client, s3_storage_config, stored_objects, upload


class Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def objects_in(s3_store) -> dict[str, bytes]:
    client = s3_client(s3_store["endpoint"])
    listing = client.list_objects_v2(Bucket=s3_store["bucket"]).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=s3_store["bucket"], Key=o["Key"])["Body"].read() for o in listing}


def multipart_uploads_in(s3_store) -> list:
    return s3_client(s3_store["endpoint"]).list_multipart_uploads(Bucket=s3_store["bucket"]).get("Uploads", [])


def test_a_declared_sha256_that_matches_stores_the_bytes_under_their_content_key(as_alice, iris_joblib, s3_store):
    response = upload(as_alice, "iris", iris_joblib, headers=declaring(iris_joblib))

    assert response.status_code == 201, response.content
    assert response.json()["artifact"]["sha256"] == hashlib.sha256(iris_joblib).hexdigest()
    assert objects_in(s3_store) == {key_of(iris_joblib): iris_joblib}
    assert multipart_uploads_in(s3_store) == []


def test_an_artifact_of_several_parts_arrives_intact_and_downloads_as_uploaded(as_alice, wide_joblib, s3_store):
    response = upload(as_alice, "wide", wide_joblib, headers=declaring(wide_joblib))

    assert response.status_code == 201, response.content
    assert objects_in(s3_store) == {key_of(wide_joblib): wide_joblib}
    download = as_alice.get("/api/v1/models/wide/versions/1/artifact")
    assert b"".join(download.streaming_content) == wide_joblib


def test_a_declared_sha256_that_does_not_match_is_400_and_nothing_is_stored(as_alice, iris_joblib, s3_store):
    wrong = {"X-Artifact-SHA256": hashlib.sha256(b"other bytes").hexdigest()}

    response = upload(as_alice, "iris", iris_joblib, headers=wrong)

    assert response.status_code == 400, response.content
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "X-Artifact-SHA256" in response.json()["message"]
    assert not ModelVersion.objects.exists()
    assert not RegisteredModel.objects.exists()
    assert objects_in(s3_store) == {}
    assert multipart_uploads_in(s3_store) == []


def test_a_malicious_pickle_with_a_declared_sha256_is_422_and_its_streamed_bytes_never_become_an_object(
    as_alice, tmp_path, s3_store
):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(Evil(os.system, f"touch {marker}"))

    response = upload(as_alice, "evil", evil, filename="model.pkl", headers=declaring(evil))

    assert response.status_code == 422, response.content
    assert "system" in response.json()["message"]
    assert not marker.exists()
    assert not ModelVersion.objects.exists()
    assert objects_in(s3_store) == {}
    assert multipart_uploads_in(s3_store) == []


def test_an_upload_refused_for_another_field_leaves_no_multipart_upload(as_alice, iris_joblib, s3_store):
    response = upload(as_alice, "iris", iris_joblib, headers=declaring(iris_joblib), params="{not json")

    assert response.status_code == 400
    assert "params" in response.json()["message"]
    assert objects_in(s3_store) == {}
    assert multipart_uploads_in(s3_store) == []


def test_identical_bytes_declared_twice_are_one_object_and_two_versions(as_alice, iris_joblib, s3_store):
    first = upload(as_alice, "iris", iris_joblib, headers=declaring(iris_joblib))
    second = upload(as_alice, "iris-copy", iris_joblib, headers=declaring(iris_joblib))

    assert (first.status_code, second.status_code) == (201, 201)
    assert objects_in(s3_store) == {key_of(iris_joblib): iris_joblib}
    assert ModelVersion.objects.count() == 2
    assert multipart_uploads_in(s3_store) == []


def test_with_the_s3_endpoint_down_a_declared_upload_is_503_and_no_version_exists(as_alice, iris_joblib, settings):
    down = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = {**settings.STORAGES, "artifacts": s3_storage_config(down, "nowhere", "registry")}

    response = upload(as_alice, "iris", iris_joblib, headers=declaring(iris_joblib))

    assert response.status_code == 503
    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize(
    "declared",
    ["abc", "0" * 63, "g" * 64, "0" * 65, "sha-256=:uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=:"],
    ids=["short", "63 digits", "not hex", "65 digits", "structured field"],
)
def test_a_malformed_declared_sha256_is_400_naming_the_header(as_alice, iris_joblib, artifact_store, declared):
    response = upload(as_alice, "iris", iris_joblib, headers={"X-Artifact-SHA256": declared})

    assert response.status_code == 400, response.content
    assert "X-Artifact-SHA256" in response.json()["message"]
    assert not ModelVersion.objects.exists()
    assert stored_objects(artifact_store) == {}


def test_the_declared_sha256_is_checked_on_the_configured_store_too(as_alice, iris_joblib, artifact_store):
    wrong = {"X-Artifact-SHA256": hashlib.sha256(b"other bytes").hexdigest()}

    refused = upload(as_alice, "iris", iris_joblib, headers=wrong)
    accepted = upload(as_alice, "iris", iris_joblib, headers=declaring(iris_joblib))

    assert refused.status_code == 400
    assert accepted.status_code == 201
    assert accepted.json()["version"] == 1
    assert list(stored_objects(artifact_store).values()) == [iris_joblib]


def test_the_declared_sha256_may_be_written_in_capitals(as_alice, iris_joblib, artifact_store):
    response = upload(
        as_alice,
        "iris",
        iris_joblib,
        headers={"X-Artifact-SHA256": declaring(iris_joblib)["X-Artifact-SHA256"].upper()},
    )

    assert response.status_code == 201, response.content


def test_the_upload_page_answers_a_mismatched_declared_sha256_with_400_and_the_form(client, alice, iris_joblib):
    client.force_login(alice)
    file = io.BytesIO(iris_joblib)
    file.name = "model.joblib"

    response = client.post(
        "/models/upload/",
        {"name": "iris", "file": file},
        headers={"X-Artifact-SHA256": hashlib.sha256(b"other bytes").hexdigest()},
    )

    assert response.status_code == 400
    assert b"X-Artifact-SHA256" in response.content
    assert not ModelVersion.objects.exists()
