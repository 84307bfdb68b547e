"""How the parts of an upload travel to S3 (moto's server mode, over HTTP): while they
arrive when the sha256 is declared, else from the local copy once scanned; from a few
reused buffers, each with a CRC32 that S3 checks, payloads signed only on request. A part
that fails leaves a declared upload to finish from the local copy; when that fails too,
the upload is 503 and leaves nothing behind."""

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import EndpointConnectionError
from django.conf import settings as django_settings
from django.core.files.storage import storages

from registry import artifacts
from registry.models import ModelVersion

from kit import declaring, key_of, s3_client, stored_objects, upload

PART = 8 * 1024 * 1024


def stored() -> dict[str, bytes]:
    return stored_objects(django_settings.STORAGES["artifacts"])


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sent_parts() -> list:
    """Records the headers of the UploadPart requests the registry's S3 client sends, in
    the order they leave (parts in flight together may leave in any order), with the
    part's number under "partNumber"."""
    seen = []

    def record(request, **_):
        number = int(parse_qs(urlsplit(request.url).query)["partNumber"][0])
        seen.append({"partNumber": number, **{k: _text(v) for k, v in request.headers.items()}})

    storages["artifacts"].connection.meta.client.meta.events.register("before-send.s3.UploadPart", record)
    return seen


def test_parts_reuse_their_buffers_and_arrive_in_order(as_alice, wide_joblib, s3_store, monkeypatch):
    # One part in flight: two buffers carry three parts, each reused before the next part.
    monkeypatch.setattr(artifacts, "STREAM_PARTS_IN_FLIGHT", 1)
    parts = sent_parts()

    response = upload(as_alice, "parts", wide_joblib, headers=declaring(wide_joblib))

    assert response.status_code == 201, response.content
    assert len(parts) == 3
    assert stored() == {key_of(wide_joblib): wide_joblib}


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_parts_carry_a_crc32_and_an_unsigned_payload_by_default(as_alice, wide_joblib, s3_store, declared):
    parts = sent_parts()

    response = upload(as_alice, "parts", wide_joblib, headers=declaring(wide_joblib) if declared else {})

    assert response.status_code == 201, response.content
    assert [part["X-Amz-Content-SHA256"] for part in parts] == ["UNSIGNED-PAYLOAD"] * 3
    assert all(part["x-amz-checksum-crc32"] for part in parts)


def test_with_payload_signing_asked_for_each_part_is_signed_with_its_sha256(
    as_alice, wide_joblib, s3_store, settings, monkeypatch
):
    from registry_site.settings import _artifact_storage

    monkeypatch.setenv("ARTIFACTS_SIGN_PAYLOADS", "true")
    signed = _artifact_storage(f"s3://{s3_store['bucket']}/{s3_store['prefix']}")
    signed["OPTIONS"]["endpoint_url"] = s3_store["endpoint"]
    settings.STORAGES = {**settings.STORAGES, "artifacts": signed}
    parts = sent_parts()

    response = upload(as_alice, "parts", wide_joblib, headers=declaring(wide_joblib))

    assert response.status_code == 201, response.content
    expected = [hashlib.sha256(wide_joblib[start : start + PART]).hexdigest() for start in (0, PART, 2 * PART)]
    assert [part["X-Amz-Content-SHA256"] for part in sorted(parts, key=lambda part: part["partNumber"])] == expected
    assert stored() == {key_of(wide_joblib): wide_joblib}


def test_a_part_that_fails_on_the_way_leaves_the_upload_to_the_local_copy(as_alice, wide_joblib, s3_store):
    # The one stand-in here: a dropped connection for the second part (its first sending
    # only) is injected in botocore's send hook, since moto cannot be made to drop one request.
    attempts = []

    def drop_the_second_part(request, **_):
        attempts.append(request.url)
        if "partNumber=2" in request.url and sum("partNumber=2" in url for url in attempts) == 1:
            raise EndpointConnectionError(endpoint_url=request.url)

    storages["artifacts"].connection.meta.client.meta.events.register("before-send.s3.UploadPart", drop_the_second_part)

    response = upload(as_alice, "parts", wide_joblib, headers=declaring(wide_joblib))

    assert response.status_code == 201, response.content
    assert sum("partNumber=2" in url for url in attempts) >= 2  # dropped, then sent from the local copy
    assert stored() == {key_of(wide_joblib): wide_joblib}
    assert s3_client(s3_store["endpoint"]).list_multipart_uploads(Bucket=s3_store["bucket"]).get("Uploads", []) == []


def test_an_undeclared_upload_whose_part_keeps_failing_is_503_and_leaves_nothing_behind(
    as_alice, wide_joblib, s3_store
):
    # The one stand-in here, as above: every sending of the second part is dropped.
    def drop_the_second_part(request, **_):
        if "partNumber=2" in request.url:
            raise EndpointConnectionError(endpoint_url=request.url)

    storages["artifacts"].connection.meta.client.meta.events.register("before-send.s3.UploadPart", drop_the_second_part)

    response = upload(as_alice, "parts", wide_joblib)

    assert response.status_code == 503, response.content
    assert "artifact store is unavailable" in response.json()["message"]
    assert not ModelVersion.objects.exists()
    assert stored() == {}
    assert s3_client(s3_store["endpoint"]).list_multipart_uploads(Bucket=s3_store["bucket"]).get("Uploads", []) == []
