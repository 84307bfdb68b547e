"""GET /ping says the process is up; GET /health says whether the database and the
artifact store are reachable (503 if not)."""

import pytest
from django.db import OperationalError, connection

from kit import s3_storage_config


def test_ping_answers_200_without_credentials(anonymous):
    response = anonymous.get("/ping")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_200_when_the_database_and_store_are_reachable(anonymous, db):
    response = anonymous.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "artifact_store": "ok"}


def test_health_is_503_when_the_artifact_folder_is_unusable(anonymous, db, settings, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    store = {"BACKEND": "registry.storage.AtomicFileSystemStorage", "OPTIONS": {"location": str(tmp_path / "a-file")}}
    settings.STORAGES = {**settings.STORAGES, "artifacts": store}

    response = anonymous.get("/health")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "artifact_store": "unusable"}


def test_health_is_503_when_the_s3_bucket_is_unreachable(anonymous, db, settings, s3_endpoint):
    settings.STORAGES = {**settings.STORAGES, "artifacts": s3_storage_config(s3_endpoint, "no-such-bucket", "x")}

    response = anonymous.get("/health")

    assert response.status_code == 503
    assert response.json()["artifact_store"] == "unreachable"


def test_health_is_503_when_the_database_is_unreachable(anonymous, db, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:  # undone before the test database is torn down
        patched.setattr(connection, "cursor", refuse)
        response = anonymous.get("/health")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.mark.parametrize("path", ["/ping", "/health"])
def test_posting_to_ping_or_health_is_405(anonymous, db, path):
    assert anonymous.post(path).status_code == 405
