"""HttpRegistry: the registry port against the server's native API (DESIGN §3.1)."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from registry_client.http.connection import DEFAULT_TIMEOUT, Connection, segment
from registry_client.http.transfer import Progress, download_verified, upload

UPLOAD_FIELDS = ("format", "description", "params", "metrics", "inputs", "run_id", "tags", "environment")


def version_record(connection: Connection, name: str, ref: int | str | None = None) -> dict:
    """The version `ref` names (a number, `latest`, a stage, an alias), resolved by the
    server exactly as serving resolves it."""
    return connection.json("GET", f"/api/v1/models/{segment(name)}/refs/{segment(ref or 'latest')}")


class HttpRegistry:
    def __init__(self, url: str, token: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.connection = Connection(url, token, timeout=timeout)

    def register(self, model: Any, name: str, **extras: Any) -> int:
        """Upload `model` as a new version of `name` and return its number. `extras`:
        description, params, metrics, inputs, run_id, tags (as the upload API takes them)."""
        with tempfile.TemporaryDirectory() as folder:
            path, format = serialize(model, folder)
            return self.push(path, name, format=format, **extras)["version"]

    def push(self, path: str, name: str, *, progress: Progress | None = None, **fields: Any) -> dict:
        """Upload the artifact file at `path`; the new version's record."""
        unknown = set(fields) - set(UPLOAD_FIELDS)
        if unknown:
            raise TypeError(f"unknown upload field(s): {', '.join(sorted(unknown))}")
        form = {key: _form_value(value) for key, value in fields.items() if value is not None}
        return upload(self.connection, f"/api/v1/models/{segment(name)}/versions", path, form, progress)

    def version(self, name: str, ref: int | str | None = None) -> dict:
        return version_record(self.connection, name, ref)

    def pull(self, name: str, ref: int | str | None, dest: str) -> dict:
        """Download the artifact of the version `ref` names to `dest`, verified against
        its recorded sha256 first (nothing is left at `dest` otherwise); its record."""
        record = self.version(name, ref)
        artifact = record["artifact"]
        what = f"{name} version {record['version']}"
        download_verified(self.connection, artifact["download_url"], artifact["sha256"], dest, what)
        return record

    def load(self, name: str, version: int | str | None = None) -> Any:
        """The model object of a version, hash-verified, then deserialized by the same
        scanning loader the server uses: what the server refuses, this refuses."""
        from registry_client.safety import load_model  # needs the [sklearn] extra

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "artifact")
            artifact = self.pull(name, version, path)["artifact"]
            return load_model(path, format=artifact["format"], trusted_types=tuple(artifact["trusted_types"]))

    def promote(
        self, name: str, version: int, *, stage: str | None = None, alias: str | None = None, comment: str = ""
    ) -> dict:
        """Move `version` to `stage`, or point `alias` at it; the version's record."""
        if (stage is None) == (alias is None):
            raise ValueError("give either a stage or an alias")
        base = f"/api/v1/models/{segment(name)}"
        if stage is not None:
            body = {"stage": stage, "comment": comment}
            return self.connection.json("POST", f"{base}/versions/{segment(version)}/stage", json=body)
        return self.connection.json(
            "PUT", f"{base}/aliases/{segment(alias)}", json={"version": version, "comment": comment}
        )


def serialize(model: Any, folder: str) -> tuple[str, str]:
    """Write `model` to a file in `folder`: skops when installed (the server audits its
    types rather than trusting a pickle), joblib otherwise. Returns (path, format)."""
    try:
        import skops.io
    except ImportError:
        import joblib

        path = os.path.join(folder, "model.joblib")
        joblib.dump(model, path)
        return path, "joblib"
    path = os.path.join(folder, "model.skops")
    skops.io.dump(model, path)
    return path, "skops"


def _form_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
