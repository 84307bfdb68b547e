"""HttpRegistry: the registry port against the server's native API (DESIGN §3.1)."""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from typing import Any

from registry_client.http.connection import DEFAULT_TIMEOUT, Connection, RegistryClientError, segment
from registry_client.http.transfer import Progress, download_verified, upload

UPLOAD_FIELDS = ("format", "description", "params", "metrics", "inputs", "run_id", "tags", "environment")


def version_record(connection: Connection, name: str, ref: int | str | None = None) -> dict:
    """The version `ref` names (a number, `latest`, a stage, an alias), resolved by the
    server exactly as serving resolves it."""
    return connection.json("GET", f"/api/v1/models/{segment(name)}/refs/{segment('latest' if ref is None else ref)}")


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
        self._download(record, artifact["download_url"], artifact["sha256"], dest)
        return record

    def load(self, name: str, version: int | str | None = None, *, runtime: str = "auto") -> Any:
        """The model of a version, hash-verified before anything reads it.

        runtime="sklearn": the original, deserialized by the same scanning loader the
        server uses (what the server refuses, this refuses). runtime="onnx": the version's
        accepted ONNX form, run by ONNX Runtime. "auto": the original, unless scikit-learn
        is not installed here and ONNX Runtime is and the version has an ONNX form.
        """
        record = self.version(name, version)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "artifact")
            if _runs_onnx(record, runtime):
                self._download(record, f"{_version_path(record)}/onnx", record["onnx"]["sha256"], path)
                from registry_client.onnx import OnnxModel

                with open(path, "rb") as fh:
                    return OnnxModel(fh.read())
            load_model = _safe_loader()
            artifact = record["artifact"]
            self._download(record, artifact["download_url"], artifact["sha256"], path)
            return load_model(path, format=artifact["format"], trusted_types=tuple(artifact["trusted_types"]))

    def _download(self, record: dict, path: str, sha256: str, dest: str) -> None:
        what = f"{record['name']} version {record['version']}"
        download_verified(self.connection, path, sha256, dest, what)

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


def _safe_loader():
    try:
        from registry_client.safety import load_model
    except ImportError as exc:
        raise ImportError(
            f"loading the original model needs the [sklearn] extra: pip install 'registry-client[sklearn]' ({exc})"
        ) from exc
    return load_model


def _runs_onnx(record: dict, runtime: str) -> bool:
    form = record.get("onnx") or {}
    accepted = form.get("status") == "converted" and bool(form.get("sha256"))
    if runtime not in ("auto", "onnx", "sklearn"):
        raise ValueError(f"runtime must be auto, onnx or sklearn (got {runtime!r})")
    if runtime == "onnx" and not accepted:
        raise RegistryClientError(f"{record['name']} version {record['version']} has no accepted ONNX form")
    if runtime == "auto":
        return accepted and not _importable("sklearn") and _importable("onnxruntime")
    return runtime == "onnx"


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _version_path(record: dict) -> str:
    return f"/api/v1/models/{segment(record['name'])}/versions/{record['version']}"


def _form_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
