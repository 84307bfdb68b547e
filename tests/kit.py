"""Helpers the tests share: token clients, artifact-store inspection and uploads.

A plain module (not conftest.py) so every test package imports the same one: with
several conftest.py files, `from kit import ...` would find whichever loaded first."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import os
import re
import socket
import threading
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import boto3
import joblib
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.models import Alias, AuditEntry, ModelVersion, RegisteredModel


def client_for(user: User | None, keyword: str = "Token") -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=token_header(user, keyword)["Authorization"])
    return client


def token_header(user: User, keyword: str = "Token") -> dict:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"{keyword} {token.key}"}


def s3_client(endpoint: str | None):
    return boto3.client("s3", endpoint_url=endpoint, region_name=os.environ["AWS_DEFAULT_REGION"])


def s3_storage_config(endpoint: str | None, bucket: str, prefix: str) -> dict:
    options = dict(settings.STORAGES["artifacts"].get("OPTIONS", {}))
    if "bucket_name" not in options:  # configured for a folder: borrow the S3 options shape
        from registry_site.settings import _artifact_storage

        options = _artifact_storage(f"s3://{bucket}/{prefix}")["OPTIONS"]
    options.update(bucket_name=bucket, location=prefix, endpoint_url=endpoint)
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stored_objects(store: dict) -> dict[str, bytes]:
    """Every object in the test's artifact store, by key: what is really there."""
    options = store["OPTIONS"]
    if "bucket_name" in options:
        client = s3_client(options["endpoint_url"])
        listing = client.list_objects_v2(Bucket=options["bucket_name"], Prefix=options["location"])
        return {
            o["Key"]: client.get_object(Bucket=options["bucket_name"], Key=o["Key"])["Body"].read()
            for o in listing.get("Contents", [])
        }
    root = options["location"]
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as fh:
                found[os.path.relpath(path, root)] = fh.read()
    return found


def temporary_files() -> list[str]:
    """Every file in the upload temp folder (FILE_UPLOAD_TEMP_DIR), at any depth: a live
    process keeps its spool folder there (registry.spool), but no file may stay in it."""
    root = settings.FILE_UPLOAD_TEMP_DIR
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files)


def is_postgres() -> bool:
    return urlparse(settings.DATABASE_URL).scheme.startswith("postgres")


def joblib_bytes(estimator) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()


def declaring(content: bytes) -> dict:
    """The header with which a client declares the sha256 of the file it uploads."""
    return {"X-Artifact-SHA256": hashlib.sha256(content).hexdigest()}


def key_of(content: bytes, prefix: str = "registry") -> str:
    """The S3 key the registry stores these bytes under (content-addressed)."""
    digest = hashlib.sha256(content).hexdigest()
    return f"{prefix}/sha256/{digest[:2]}/{digest}"


def registry_state() -> dict:
    """What clients and serving see of the registry, and its audit log: equal before and
    after a refused write when that write changed nothing."""
    return {
        "models": list(RegisteredModel.objects.order_by("name").values_list("name", flat=True)),
        "versions": list(
            ModelVersion.objects.order_by("model__name", "version").values_list("model__name", "version", "stage")
        ),
        "aliases": list(
            Alias.objects.order_by("model__name", "name").values_list("model__name", "name", "version__version")
        ),
        "audit": list(AuditEntry.objects.order_by("id").values_list("action", "model_name", "version", "actor_name")),
    }


def changes():
    """The audit log without its upload entries: what was done to versions once registered."""
    return AuditEntry.objects.exclude(action="version_create")


def last_audit(*fields: str) -> tuple:
    """These fields of the newest audit entry."""
    return AuditEntry.objects.order_by("id").values_list(*fields).last()


def upload(client, name: str, content: bytes, *, headers: dict | None = None, **fields):
    """POST a version the way curl -F does."""
    payload = {"file": io.BytesIO(content)}
    payload["file"].name = fields.pop("filename", "model.joblib")
    payload.update(fields)
    return client.post(f"/api/v1/models/{name}/versions", payload, format="multipart", headers=headers)


SVG = "{http://www.w3.org/2000/svg}"


def svg_of(response) -> ET.Element:
    assert response.status_code == 200, response.content[:500]
    found = re.search(rb"<svg.*?</svg>", response.content, re.S)
    assert found, "no SVG in the page"
    return ET.fromstring(found.group(0))


def nodes_and_edges(svg: ET.Element) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """{node id: link} for each node group, and (origin, destination) for each edge."""
    links = {}
    for link in svg.iter(f"{SVG}a"):
        for group in link.iter(f"{SVG}g"):
            if "node" in group.get("class", "").split():
                links[group.get("data-node-id")] = link.get("href")
    edges = [
        (p.get("data-origin"), p.get("data-destination")) for p in svg.iter(f"{SVG}path") if p.get("class") == "edge"
    ]
    return links, edges


def grant_roles() -> None:
    """Make sure the role groups exist with their permissions. A transactional test with
    serialized_rollback empties the tables after itself without re-running post_migrate,
    and the next test on its worker (or a browser test, whose Playwright greenlet sees a
    connection object without the serialized copy) would find no groups."""
    from lineage import roles as lineage_roles
    from registry import roles as registry_roles
    from registry_site import access

    access.grant("registry", registry_roles.ROLES)
    access.grant("lineage", lineage_roles.ROLES)


def user_with_roles(username: str, *roles: str, password: str | None = None, token_only: bool = False) -> User:
    """A user in the named role groups (granted again first if a flush emptied them).
    `token_only`: no password, so no password hash (a quarter of a second) to compute."""
    if Group.objects.filter(name__in=roles).count() < len(roles):
        grant_roles()
    password = None if token_only else password or f"{username}-password-1"
    user = User.objects.create_user(username, f"{username}@example.com", password)
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


@contextlib.contextmanager
def database_unreachable(tmp_path):
    """This thread's default connection swapped for one to a database nothing answers
    for: PostgreSQL at a local port where nothing listens, or SQLite in a folder that does
    not exist. The real driver fails to connect (no mock); the test's own connection,
    with its transaction, is put back afterwards."""
    from django.db import connections

    real = connections["default"]
    unreachable = dict(real.settings_dict)
    if real.vendor == "postgresql":
        unreachable.update(HOST="127.0.0.1", PORT=str(free_port()))
    else:
        unreachable["NAME"] = str(tmp_path / "no-such-folder" / "registry.sqlite3")
    broken = real.__class__(unreachable, alias="default")
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = real


# Tests that start the product in processes of their own, on a SQLite file of their own:
# CI's PostgreSQL pass would only run them again on SQLite.
own_sqlite_processes = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="starts its own processes on SQLite: run in CI's SQLite pass",
)


class LocalReceiver:
    """An HTTP receiver on 127.0.0.1 standing in for another service (Marquez, a webhook
    endpoint): it answers each POST with the next of `statuses` (the last one repeats) and
    keeps every request's path, headers (names in lower case) and raw body."""

    def __init__(self, *statuses: int, path: str = ""):
        self.requests: list[dict] = []
        answers, received = list(statuses or [204]), self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                received.append({"path": self.path, "headers": headers, "body": body})
                self.send_response(answers.pop(0) if len(answers) > 1 else answers[0])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
