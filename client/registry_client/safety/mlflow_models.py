"""MLflow model directories uploaded as zip or tar(.gz): MLmodel and its members.

Only the small members are read here (MLmodel, python_env.yaml, the input example,
each within METADATA_LIMIT); the model member is only named, for the caller to copy
out of the archive to a file (`Archive.copy`), never read whole into memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .archives import Archive, check_member_name
from .errors import UnsafeArtifact

SERIALIZATIONS = ("pickle", "cloudpickle", "skops")
METADATA_LIMIT = 1024 * 1024  # MLmodel, python_env.yaml, input examples


@dataclass(frozen=True)
class MLflowModel:
    mlmodel: dict
    serialization: str  # one of SERIALIZATIONS
    model_member: str  # the archive member holding the model, known to exist
    sklearn_version: str | None
    python_version: str | None
    input_example: bytes | None  # the raw JSON text, for the caller to parse by its own rules


def read_mlflow_model(archive: Archive) -> MLflowModel:
    """Find and parse MLmodel, and name the sklearn flavor's model member."""
    prefix = model_root(archive)
    mlmodel = _yaml(archive, prefix + "MLmodel", required=True)
    flavor = _sklearn_flavor(mlmodel)
    serialization = str(flavor.get("serialization_format") or "cloudpickle")
    if serialization not in SERIALIZATIONS:
        raise UnsafeArtifact(f"unsupported MLflow serialization_format {serialization!r}")
    return MLflowModel(
        mlmodel=mlmodel,
        serialization=serialization,
        model_member=_model_member(archive, prefix, flavor),
        sklearn_version=_text(flavor.get("sklearn_version")),
        python_version=_python_version(archive, prefix, mlmodel),
        input_example=_input_example(archive, prefix, mlmodel),
    )


def model_root(archive: Archive) -> str:
    """The member prefix: "" for MLmodel at the root, "folder/" inside one top-level folder."""
    if "MLmodel" in archive.names:
        return ""
    roots = [n[: -len("MLmodel")] for n in archive.names if _is_top_level_mlmodel(n)]
    if len(roots) != 1:
        raise UnsafeArtifact(
            "not a recognised model artifact: the archive has no MLmodel at its root "
            "or inside a single top-level folder"
        )
    return roots[0]


def _is_top_level_mlmodel(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and parts[1] == "MLmodel"


def _yaml(archive: Archive, name: str, *, required: bool = False) -> dict | None:
    data = archive.read(name, METADATA_LIMIT) if name in archive.names else None
    if data is None:
        if required:
            raise UnsafeArtifact(f"{name} is missing or larger than {METADATA_LIMIT} bytes")
        return None
    try:
        parsed = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise UnsafeArtifact(f"{name} is not valid YAML: {exc}") from exc
    except RecursionError:  # PyYAML composes nested nodes recursively
        raise UnsafeArtifact(f"{name} is nested too deeply to be read") from None
    if not isinstance(parsed, dict):
        raise UnsafeArtifact(f"{name} is not a YAML mapping")
    return parsed


def _sklearn_flavor(mlmodel: dict) -> dict:
    flavors = mlmodel.get("flavors")
    flavor = flavors.get("sklearn") if isinstance(flavors, dict) else None
    if not isinstance(flavor, dict):
        raise UnsafeArtifact("MLflow model has no sklearn flavor")
    return flavor


def _model_member(archive: Archive, prefix: str, flavor: dict) -> str:
    relative = flavor.get("pickled_model")
    if not isinstance(relative, str) or not relative:
        raise UnsafeArtifact("the MLmodel sklearn flavor names no pickled_model")
    check_member_name(relative)
    name = prefix + relative
    if name not in archive.names:
        raise UnsafeArtifact(
            f"MLmodel names {relative!r} but the archive has no such file",
            details={"member": name},
        )
    return name


def _python_version(archive: Archive, prefix: str, mlmodel: dict) -> str | None:
    flavors = mlmodel.get("flavors") or {}
    pyfunc = flavors.get("python_function")
    if isinstance(pyfunc, dict) and pyfunc.get("python_version"):
        return _text(pyfunc["python_version"])
    env = _yaml(archive, prefix + "python_env.yaml")
    return _text(env.get("python")) if env else None


def _input_example(archive: Archive, prefix: str, mlmodel: dict) -> bytes | None:
    info = mlmodel.get("saved_input_example_info")
    relative = info.get("artifact_path") if isinstance(info, dict) else None
    relative = relative if isinstance(relative, str) else "input_example.json"
    check_member_name(relative)
    name = prefix + relative
    return archive.read(name, METADATA_LIMIT - 1) if name in archive.names else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
