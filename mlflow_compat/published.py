"""Registered versions as MLflow model folders: `registry/<name>/<version>/...` in the
artifact proxy, read from inside the version's own stored artifact.

What the MLflow client downloads is therefore exactly the content-addressed bytes the
registry scanned, verified against their sha256 on every request, never the mutable
folder they were collected from. An MLflow archive lists its members (below its
MLmodel); a single skops or pickle file gets an MLmodel written for it, so
`mlflow.pyfunc.load_model` can load versions uploaded through the native API too.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import BinaryIO

import yaml

from mlflow_compat import selectors
from registry import artifacts
from registry.formats import refused_content
from registry.models import ModelVersion
from registry.selectors import model_get, version_get
from registry_client.safety.archives import Archive, open_archive
from registry_client.safety.detect import detect
from registry_client.safety.mlflow_models import model_root
from registry_site.errors import NotFound

PREFIX = "registry"
# Archives were vetted within the upload limit when they were registered; this only
# stops a swapped store object from exhausting the disk.
_MAX_UNPACKED = 8 * 1024**3
_FILE_NAMES = {"skops": "model.skops", "pickle": "model.pkl", "joblib": "model.joblib"}


def is_published(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def location(version: ModelVersion) -> str:
    return f"{PREFIX}/{version.model.name}/{version.version}"


def _version_at(path: str) -> tuple[ModelVersion, str]:
    _, name, number, *rest = path.split("/", 3) + [""]
    return version_get(name, number), rest[0] if rest else ""


class _Folder:
    """The files of one version: relative name -> size, and a way to read each."""

    def __init__(self, files: dict[str, int], opener):
        self.files = files
        self.open = opener

    def entries(self, sub: str) -> list[dict]:
        prefix = f"{sub}/" if sub else ""
        found: dict[str, dict] = {}
        for name, size in self.files.items():
            if not name.startswith(prefix):
                continue
            head, slash, _ = name[len(prefix) :].partition("/")
            found[head] = {"path": head, "is_dir": True} if slash else _file_entry(head, size)
        return sorted(found.values(), key=lambda e: (not e["is_dir"], e["path"]))


def _file_entry(name: str, size: int) -> dict:
    return {"path": name, "is_dir": False, "file_size": size}


@contextlib.contextmanager
def _folder(version: ModelVersion) -> Iterator[_Folder]:
    with artifacts.verified_copy(version.artifact_sha256, version.artifact_size) as path:
        if version.artifact_format != "mlflow":
            yield _single_file_folder(version, path)
            return
        with refused_content():
            archive = open_archive(path, detect(path).container, _MAX_UNPACKED)
            try:
                yield _archive_folder(archive)
            finally:
                archive.close()


def _archive_folder(archive: Archive) -> _Folder:
    root = model_root(archive)
    files = {name[len(root) :]: archive.size(name) for name in archive.names if name.startswith(root)}
    return _Folder(files, lambda name: archive.open(root + name))


def _single_file_folder(version: ModelVersion, path: str) -> _Folder:
    name = _FILE_NAMES.get(version.artifact_format, "model.bin")
    files = {name: version.artifact_size}
    mlmodel = _mlmodel_for(version, name)
    if mlmodel is not None:
        files["MLmodel"] = len(mlmodel)
    return _Folder(files, lambda member: io.BytesIO(mlmodel) if member == "MLmodel" else open(path, "rb"))


def _mlmodel_for(version: ModelVersion, file_name: str) -> bytes | None:
    """An sklearn-flavor MLmodel for a skops or plain pickle file. None for joblib:
    MLflow's sklearn loader reads skops, pickle and cloudpickle, not joblib's format."""
    if version.artifact_format not in ("skops", "pickle"):
        return None
    environment = version.environment or {}
    sklearn_flavor = {
        "pickled_model": file_name,
        "serialization_format": version.artifact_format,
        "sklearn_version": environment.get("scikit-learn"),
        "code": None,
    }
    if version.artifact_format == "skops":
        sklearn_flavor["skops_trusted_types"] = list(version.trusted_types)
    pyfunc = {"loader_module": "mlflow.sklearn", "model_path": file_name, "predict_fn": "predict"}
    if environment.get("python"):
        pyfunc["python_version"] = environment["python"]
    document = {"flavors": {"python_function": pyfunc, "sklearn": sklearn_flavor}}
    return yaml.safe_dump(document, sort_keys=False).encode()


def listing(path: str) -> list[dict]:
    """MLflow file entries under `registry/...`: models, their versions, then files."""
    parts = path.split("/")
    if len(parts) == 1:
        return [{"path": name, "is_dir": True} for name in selectors.model_names()]
    if len(parts) == 2:
        numbers = selectors.version_numbers(model_get(parts[1]))
        return [{"path": str(number), "is_dir": True} for number in numbers]
    version, sub = _version_at(path)
    with _folder(version) as folder:
        return [] if sub in folder.files else folder.entries(sub)


class _MemberStream:
    """A member being read out of a verified copy; closing it removes the copy."""

    def __init__(self, stream: BinaryIO, stack: contextlib.ExitStack):
        self._stream, self._stack = stream, stack

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def close(self) -> None:
        self._stack.close()


def open_member(path: str) -> tuple[_MemberStream, int]:
    """One file of a version's folder, as a stream and its size; NotFound otherwise."""
    version, name = _version_at(path)
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(_folder(version))
        if name not in folder.files:
            raise NotFound(f"no file {name!r} in version {version.version} of {version.model.name}")
        stream = stack.enter_context(folder.open(name))
        return _MemberStream(stream, stack.pop_all()), folder.files[name]
