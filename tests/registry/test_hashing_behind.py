"""The sha256 of an incoming artifact is computed on a helper thread, one chunk behind
the thread that receives and spools the bytes. It must equal the digest of the bytes in
order, whatever the chunk sizes, and the helper thread must not outlive the upload,
whether the upload was stored or refused half-way."""

import hashlib
import os
import threading

from registry.artifacts import Sha256Behind
from registry.models import ModelVersion

from kit import upload


def hashing_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("artifact-sha256")]


def test_the_digest_computed_behind_equals_hashlibs_over_chunks_of_any_size():
    chunks = [os.urandom(size) for size in (0, 1, 7, 64 * 1024, 1024 * 1024 + 3, 5, 2 * 1024 * 1024)]

    hasher = Sha256Behind()
    for chunk in chunks:
        hasher.update(chunk)

    assert hasher.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert hashing_threads() == []


def test_a_stored_upload_records_the_sha256_of_its_bytes_and_leaves_no_hashing_thread(as_alice, wide_joblib):
    response = upload(as_alice, "wide", wide_joblib)

    assert response.status_code == 201, response.content
    assert response.json()["artifact"]["sha256"] == hashlib.sha256(wide_joblib).hexdigest()
    assert hashing_threads() == []


def test_an_upload_refused_half_way_through_its_body_leaves_no_hashing_thread(as_alice, wide_joblib, settings):
    # Within the limit plus the form's allowance, so the body is read until the file passes the limit.
    settings.REGISTRY_MAX_UPLOAD_BYTES = len(wide_joblib) - 2 * 1024 * 1024

    response = upload(as_alice, "wide", wide_joblib)

    assert response.status_code == 413, response.content
    assert not ModelVersion.objects.exists()
    assert hashing_threads() == []
