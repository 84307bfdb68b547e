"""Against a real S3-protocol server over HTTP (moto's server mode on 127.0.0.1)."""

import hashlib

from registry.models import ModelVersion, RegisteredModel

from kit import free_port, s3_client, s3_storage_config, temporary_files, upload


def test_with_s3_configured_the_artifact_is_an_object_in_the_bucket_and_nothing_is_written_locally(
    as_alice, iris_joblib, s3_store, tmp_path
):
    response = upload(as_alice, "iris", iris_joblib)

    assert response.status_code == 201, response.content
    digest = hashlib.sha256(iris_joblib).hexdigest()
    client = s3_client(s3_store["endpoint"])
    listing = client.list_objects_v2(Bucket=s3_store["bucket"])["Contents"]
    assert [o["Key"] for o in listing] == [f"registry/sha256/{digest[:2]}/{digest}"]
    stored = client.get_object(Bucket=s3_store["bucket"], Key=listing[0]["Key"])["Body"].read()
    assert stored == iris_joblib
    assert not (tmp_path / "artifacts").exists()
    assert temporary_files() == []


def test_with_s3_configured_the_download_streams_the_objects_bytes(as_alice, iris_joblib, s3_store):
    upload(as_alice, "iris", iris_joblib)

    response = as_alice.get("/api/v1/models/iris/versions/1/artifact")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == iris_joblib


def test_with_redirects_on_the_download_is_a_presigned_url_to_the_object(as_alice, iris_joblib, s3_store, settings):
    import requests

    upload(as_alice, "iris", iris_joblib)
    settings.ARTIFACTS_REDIRECT_DOWNLOADS = True

    response = as_alice.get("/api/v1/models/iris/versions/1/artifact")

    assert response.status_code == 302
    assert response["Location"].startswith(s3_store["endpoint"])
    assert "Signature" in response["Location"] or "X-Amz-Signature" in response["Location"]
    assert requests.get(response["Location"], timeout=10).content == iris_joblib


def test_when_the_s3_endpoint_is_down_the_upload_is_503_and_no_version_exists(as_alice, iris_joblib, settings):
    down = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = {**settings.STORAGES, "artifacts": s3_storage_config(down, "nowhere", "registry")}

    response = upload(as_alice, "iris", iris_joblib)

    assert response.status_code == 503
    assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert not ModelVersion.objects.exists()
    assert not RegisteredModel.objects.exists()


def test_after_an_outage_the_same_upload_succeeds_as_version_1(as_alice, iris_joblib, s3_store, settings):
    working = settings.STORAGES["artifacts"]
    down = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = {**settings.STORAGES, "artifacts": s3_storage_config(down, "nowhere", "registry")}
    assert upload(as_alice, "iris", iris_joblib).status_code == 503

    settings.STORAGES = {**settings.STORAGES, "artifacts": working}
    response = upload(as_alice, "iris", iris_joblib)

    assert response.status_code == 201
    assert response.json()["version"] == 1
