"""Inspect an uploaded model artifact, and load it again later for serving."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import joblib
import sklearn

from registry import spool
from registry_client.safety.detect import Detected, detect
from registry_client.safety.loading import (
    FORMATS,
    format_error,
    load_mlflow_member,
    mlflow_model,
    require_predict,
    type_name,
)
from registry_client.safety.loading import load_model as load_safely
from registry_client.safety.mlflow_models import MLflowModel
from registry_client.safety.pickles import scan_pickle
from registry_client.safety.skops_files import audit_skops, load_skops
from registry_site import inputs
from registry_site.errors import InvalidParameter, RegistryError

from .refusals import refused_content
from .signatures import signature_from_estimator, signature_from_mlmodel

_FAMILY = {"joblib": "pickle", "pickle": "pickle", "skops": "skops", "mlflow": "mlflow"}


@dataclass(frozen=True)
class Inspection:
    format: str  # "joblib" | "pickle" | "skops" | "mlflow"
    flavor: str  # "sklearn"
    serialization: str  # "joblib" | "pickle" | "cloudpickle" | "skops"
    estimator_class: str  # module + qualname of the loaded object's type
    signature: dict | None
    environment: dict  # {"python", "scikit-learn", "joblib"}: str | None each
    trusted_types: tuple[str, ...]  # skops types accepted; needed again at load
    input_example: dict | None  # MLflow input_example.json (split orient)


@dataclass(frozen=True)
class _Loaded:
    obj: Any
    format: str
    serialization: str
    environment: dict
    trusted_types: tuple[str, ...] = ()
    signature: dict | None = None
    input_example: dict | None = None


@refused_content()
def inspect_artifact(path: str, *, declared_format: str | None = None, max_unpacked_bytes: int) -> Inspection:
    """Detect, scan, then load the artifact at `path` and describe it.

    Raises InvalidParameter when `declared_format` is unknown or disagrees with
    the bytes, and RefusedContent when the bytes are unrecognised or unsafe, or
    the object is not an estimator with `predict`.
    """
    _check_declared(declared_format)
    detected = detect(path)
    _check_agreement(declared_format, detected)
    if detected.family == "pickle":
        loaded = _inspect_pickle(path, detected, declared_format, max_unpacked_bytes)
    elif detected.family == "skops":
        loaded = _inspect_skops(path, max_unpacked_bytes)
    else:
        loaded = _inspect_mlflow(path, detected, max_unpacked_bytes)
    return _describe(loaded)


@refused_content()
def load_model(path: str, *, format: str, trusted_types: tuple[str, ...] = ()) -> object:
    """Load an artifact that `inspect_artifact` accepted, enforcing the allow-list again
    (the client's scanning loader, with archive members spooled here).

    Never falls back to plain `pickle.load` or `joblib.load`.
    """
    _check_declared(format)
    return load_safely(path, format=format, trusted_types=trusted_types, scratch_dir=spool.folder())


def _check_declared(declared: str | None) -> None:
    if declared is not None and declared not in FORMATS:
        raise InvalidParameter(format_error(declared))


def _check_agreement(declared: str | None, detected: Detected) -> None:
    if declared is not None and _FAMILY[declared] != detected.family:
        found = "joblib/pickle" if detected.family == "pickle" else detected.family
        raise InvalidParameter(f"format is {declared!r} but the artifact is a {found} file")


def _inspect_pickle(path: str, detected: Detected, declared: str | None, max_unpacked_bytes: int) -> _Loaded:
    loaded = scan_pickle(path, max_unpacked_bytes=max_unpacked_bytes)
    # Compressed or inline-array files only joblib can read: say so whatever was
    # declared. A bare pickle is readable by both, so the declaration decides.
    is_joblib = detected.container != "raw" or loaded.has_joblib_arrays
    format = "joblib" if is_joblib else (declared or "pickle")
    environment = _environment(
        sklearn_version=loaded.sklearn_version,
        joblib_version=joblib.__version__ if format == "joblib" else None,
    )
    return _Loaded(loaded.obj, format, format, environment)


def _inspect_skops(path: str, max_unpacked_bytes: int) -> _Loaded:
    trusted = audit_skops(path, max_unpacked_bytes=max_unpacked_bytes)
    obj, version = load_skops(path, trusted_types=trusted)
    environment = _environment(sklearn_version=version)
    return _Loaded(obj, "skops", "skops", environment, trusted_types=trusted)


def _inspect_mlflow(path: str, detected: Detected, max_unpacked_bytes: int) -> _Loaded:
    with mlflow_model(path, detected, max_unpacked_bytes, spool.folder()) as (model, member):
        obj, trusted = _inspect_member(model, member, max_unpacked_bytes)
    environment = _environment(
        python=model.python_version,
        sklearn_version=model.sklearn_version or sklearn.__version__,
    )
    return _Loaded(
        obj,
        "mlflow",
        model.serialization,
        environment,
        trusted_types=trusted,
        signature=signature_from_mlmodel(model.mlmodel),
        input_example=_input_example(model.input_example),
    )


def _inspect_member(model: MLflowModel, member: str, max_unpacked_bytes: int) -> tuple[Any, tuple[str, ...]]:
    """Scan the model member (copied to the file `member`): the scanned object and, for
    skops, the types it needs trusted."""
    if model.serialization == "skops":
        trusted = audit_skops(member, max_unpacked_bytes=max_unpacked_bytes)
        return load_mlflow_member(model, member, trusted), trusted
    return scan_pickle(member, max_unpacked_bytes=max_unpacked_bytes).obj, ()


def _environment(*, sklearn_version: str, python: str | None = None, joblib_version: str | None = None) -> dict:
    return {"python": python, "scikit-learn": sklearn_version, "joblib": joblib_version}


def _input_example(data: bytes | None) -> dict | None:
    """The MLflow input example as JSON the serving API would accept, else None."""
    try:
        example = inputs.parse_json(data) if data else None
    except RegistryError:
        return None  # an unreadable example is not a reason to refuse the model
    return example if isinstance(example, dict) else None


def _describe(loaded: _Loaded) -> Inspection:
    obj = require_predict(loaded.obj)
    return Inspection(
        format=loaded.format,
        flavor="sklearn",
        serialization=loaded.serialization,
        estimator_class=type_name(obj),
        signature=loaded.signature or signature_from_estimator(obj),
        environment=loaded.environment,
        trusted_types=loaded.trusted_types,
        input_example=loaded.input_example,
    )
