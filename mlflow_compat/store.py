"""The folder tree the MLflow client writes through the artifact proxy: run and
logged-model files under the `mlflow-artifacts/` prefix of the artifact storage
(Django's storage API: a folder or an S3 bucket), streamed both ways.

Every path comes from a client. `clean_path` is the one gate: it takes the path as
the URL router decoded it (once; never decoded again, so `%2e%2e` stays a literal
name) and refuses anything that is absolute, climbs with `..`, or would resolve
outside the root.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from django.conf import settings
from django.core.files import File

from registry import artifacts
from registry.artifacts import CHUNK, STORAGE_ERRORS, IncomingArtifact
from registry_site.errors import InvalidParameter, NotFound, StorageUnavailable

ROOT = "mlflow-artifacts"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]|^[A-Za-z]:")
# Zip entries get a fixed time, so zipping the same files twice gives the same bytes
# (and so the same content address).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_FILE_MODE = 0o100644 << 16


def clean_path(raw: str, *, allow_root: bool = False) -> str:
    """`raw` as a normalised path relative to the root; InvalidParameter if unsafe."""
    if not isinstance(raw, str) or raw.startswith("/") or _UNSAFE.search(raw) or ".." in raw.split("/"):
        raise InvalidParameter(f"invalid artifact path {raw!r}: it must be relative, without '..'")
    path = posixpath.normpath(raw or ".").lstrip("/")
    resolved = posixpath.normpath(posixpath.join(ROOT, path))
    if not resolved.startswith(ROOT + "/") and not (allow_root and resolved == ROOT):
        raise InvalidParameter(f"invalid artifact path {raw!r}: it resolves outside the artifact root")
    return "" if resolved == ROOT else resolved[len(ROOT) + 1 :]


def _key(path: str) -> str:
    return f"{ROOT}/{path}" if path else ROOT


@contextlib.contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
        raise InvalidParameter(f"a file and a folder cannot share one artifact path: {exc}") from exc
    except FileNotFoundError as exc:
        raise NotFound("artifact not found") from exc
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable(f"the artifact store is unavailable: {exc}") from exc


def save(path: str, body: BinaryIO) -> None:
    """Store one uploaded file, spooled to disk first (S3 needs a seekable body)."""
    limit = settings.REGISTRY_MAX_UPLOAD_BYTES
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as spool:
        size = 0
        while chunk := body.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise artifacts.too_large(size)
            spool.write(chunk)
        spool.seek(0)
        storage = artifacts.artifact_storage()
        with _storage_errors():
            storage.save(_key(path), File(spool, name=posixpath.basename(path)))


def open_file(path: str) -> BinaryIO:
    with _storage_errors():
        return artifacts.artifact_storage().open(_key(path), "rb")


def listing(path: str) -> list[dict]:
    """MLflow's file entries of one folder: basenames, folders first. A missing
    folder, or a file, lists as nothing (as MLflow's own repositories do)."""
    storage = artifacts.artifact_storage()
    with _storage_errors():
        try:
            folders, files = storage.listdir(_key(path))
        except (FileNotFoundError, NotADirectoryError):
            return []
        entries = [{"path": name, "is_dir": True} for name in sorted(folders)]
        for name in sorted(files):
            entries.append({"path": name, "is_dir": False, "file_size": storage.size(_key(f"{path}/{name}"))})
    return entries


def walk(path: str) -> Iterator[tuple[str, int]]:
    """(path relative to `path`, size) of every file under the folder `path`."""
    for entry in listing(path):
        name = entry["path"]
        if entry["is_dir"]:
            yield from ((f"{name}/{inner}", size) for inner, size in walk(f"{path}/{name}"))
        else:
            yield name, entry["file_size"]


def delete(path: str) -> None:
    """Delete a file, or a folder with everything under it."""
    storage = artifacts.artifact_storage()
    files = list(walk(path))
    with _storage_errors(), contextlib.suppress(IsADirectoryError):  # an empty folder left behind
        for name, _ in files:
            storage.delete(_key(f"{path}/{name}"))
        if not files:
            storage.delete(_key(path))
    _remove_empty_folders(storage, path)


def _remove_empty_folders(storage, path: str) -> None:
    """A folder store keeps the folders its deleted files were in; MLflow's delete
    removes them. Only empty ones go: a file written meanwhile keeps its folder."""
    try:
        top = storage.path(_key(path))
    except NotImplementedError:  # object stores have no folders
        return
    for folder, _, _ in os.walk(top, topdown=False):
        with contextlib.suppress(OSError):
            os.rmdir(folder)


@contextlib.contextmanager
def zipped_folder(path: str) -> Iterator[IncomingArtifact]:
    """The files under `path` as one zip, spooled and hashed like an upload.

    The total size is checked against the upload limit before any byte is copied.
    """
    files = sorted(walk(path))
    if "MLmodel" not in (name for name, _ in files):
        raise InvalidParameter(f"no MLflow model at {path!r}: the folder has no MLmodel file")
    total = sum(size for _, size in files)
    if total > settings.REGISTRY_MAX_UPLOAD_BYTES:
        raise artifacts.too_large(total)
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as archive:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for name, size in files:
                _add_member(target, f"{path}/{name}", name, size)
        archive.seek(0)
        with artifacts.spooled(archive) as incoming:
            yield incoming


def _add_member(target: zipfile.ZipFile, key_path: str, name: str, size: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = _ZIP_FILE_MODE
    info.file_size = size  # lets zipfile choose zip64 up front for large members
    with open_file(key_path) as source, target.open(info, "w") as member:
        shutil.copyfileobj(source, member, CHUNK)
