"""Readiness: can this process reach the database and the artifact store?"""

from __future__ import annotations

import logging
import os

from django.db import DatabaseError, connection

from registry.artifacts import STORAGE_ERRORS, artifact_storage

log = logging.getLogger(__name__)


def checks() -> dict[str, str]:
    """Each dependency's state: "ok", or what is wrong (details go to the log only)."""
    return {"database": _check("database", _database), "artifact_store": _check("artifact store", _artifact_store)}


def _check(name: str, probe) -> str:
    try:
        problem = probe()
    except (DatabaseError, *STORAGE_ERRORS) as exc:
        log.warning("health check: the %s is unreachable: %s", name, exc)
        return "unreachable"
    if problem:
        log.warning("health check: %s", problem)
    return "unusable" if problem else "ok"


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return ""


def _artifact_store() -> str:
    storage = artifact_storage()
    if hasattr(storage, "bucket"):  # S3: the bucket must exist and answer
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        return ""
    # A folder: it, or the parent it will be created in at the first upload, is usable.
    folder = storage.location
    existing = folder if os.path.exists(folder) else os.path.dirname(folder)
    if not os.path.isdir(existing) or not os.access(existing, os.R_OK | os.W_OK | os.X_OK):
        return f"the artifact folder {folder} is not a usable directory"
    return ""
