"""Load a model artifact through the scanning loader, whatever its format.

The registry server loads stored versions with this, and the client loads downloaded
ones with it: the same allow-list, limits and refusals on both sides. It never falls back
to plain `pickle.load` or `joblib.load`.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import Any

from .archives import Archive, open_archive
from .detect import Detected, detect
from .errors import UnsafeArtifact
from .mlflow_models import MLflowModel, read_mlflow_model
from .pickles import load_pickle
from .skops_files import load_skops

FORMATS = ("joblib", "mlflow", "pickle", "skops")
# load_model re-vets archives that were already accepted within an upload limit; this
# only stops a swapped file from exhausting memory.
LOAD_MAX_UNPACKED_BYTES = 8 * 1024**3


def load_model(
    path: str, *, format: str, trusted_types: tuple[str, ...] = (), scratch_dir: str | None = None
) -> object:
    """Load the artifact at `path`, saved in `format` (one of FORMATS), enforcing the
    allow-list; skops types are trusted only if listed in `trusted_types` and allowed.

    Raises UnsafeArtifact for an unknown format and for anything refused. An MLflow
    archive's model member is copied to a temporary file in `scratch_dir` (default: the
    system's temporary folder) and removed afterwards.
    """
    if format not in FORMATS:
        raise UnsafeArtifact(format_error(format))
    if format in ("joblib", "pickle"):
        obj = load_pickle(path).obj
    elif format == "skops":
        obj = load_skops(path, trusted_types=tuple(trusted_types))[0]
    else:
        with mlflow_model(path, detect(path), LOAD_MAX_UNPACKED_BYTES, scratch_dir) as (model, member):
            obj = load_mlflow_member(model, member, tuple(trusted_types))
    return require_predict(obj)


def format_error(format: str | None) -> str:
    return f"format must be one of {', '.join(FORMATS)} (got {format!r})"


def load_mlflow_member(model: MLflowModel, member: str, trusted_types: tuple[str, ...]) -> Any:
    if model.serialization == "skops":
        return load_skops(member, trusted_types=trusted_types)[0]
    return load_pickle(member).obj


@contextlib.contextmanager
def mlflow_model(
    path: str, detected: Detected, max_unpacked_bytes: int, scratch_dir: str | None
) -> Iterator[tuple[MLflowModel, str]]:
    """The archive's MLflow model, and the path of a temporary file holding its model
    member: copied there in chunks (never held whole in memory), removed on the way out."""
    with tempfile.NamedTemporaryFile(prefix="member-", dir=scratch_dir) as target:
        with _archive(path, detected, max_unpacked_bytes) as archive:
            model = read_mlflow_model(archive)
            archive.copy(model.model_member, target, max_unpacked_bytes)
        target.flush()
        yield model, target.name


@contextlib.contextmanager
def _archive(path: str, detected: Detected, max_unpacked_bytes: int) -> Iterator[Archive]:
    if detected.family != "mlflow":
        raise UnsafeArtifact("not a recognised model artifact: not an MLflow model archive")
    archive = open_archive(path, detected.container, max_unpacked_bytes)
    try:
        yield archive
    finally:
        archive.close()


def require_predict(obj: Any) -> Any:
    if not callable(getattr(obj, "predict", None)):
        raise UnsafeArtifact(f"the artifact is a {type_name(obj)}, not a scikit-learn estimator with predict")
    return obj


def type_name(obj: Any) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"
