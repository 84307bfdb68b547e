"""Loaded versions, ready to score: the estimator, its input plan and its methods, and
its ONNX form when it has one that passed the equivalence check, prepared once per
version and kept in this process's LRU cache.

Which runtime answers: ONNX Runtime when the version has an accepted ONNX form, the
method is one the form has (predict, predict_proba), SERVING_ONNX is on, the request
does not ask for `"runtime": "sklearn"`, and the rows are ones the original would take
(no nulls, nothing non-finite, no category an encoder refuses); scikit-learn otherwise.
A stored ONNX form whose sha256 no longer matches is never used: the version is served
by its verified original instead, and the mismatch is logged as an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from django.conf import settings

from registry.loading import load_version_model, load_version_onnx
from registry.models import ModelVersion
from registry_site.errors import IntegrityFailure, InvalidParameter, StorageUnavailable

from .cache import LoadOnceLRU
from .conversion import model_input
from .decoding import METHODS, SKLEARN, Scoring
from .runtime import OnnxRuntime
from .schema import InputPlan, plan_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Servable:
    estimator: Any
    plan: InputPlan
    methods: dict[str, Callable]
    onnx: OnnxRuntime | None = None
    fitted_on_frame: bool = False


ONNX = "onnx"


_loaded: LoadOnceLRU[Servable] = LoadOnceLRU(lambda: settings.SERVING_CACHE_MAX_MODELS)


def servable_for(version: ModelVersion) -> Servable:
    """The version ready to score, loaded (once) through the registry's verified loader.

    Keyed by version id and sha256 (and the ONNX form's): a version's bytes never
    change, and a key that outlived its version (a deleted one) can never serve other
    bytes. A compilation that finishes later gives the version a new key.
    """
    key = (version.pk, version.artifact_sha256, _onnx_sha256(version))
    return _loaded.get(key, lambda: _load(version))


def _onnx_sha256(version: ModelVersion) -> str:
    form = getattr(version, "onnx", None)  # None without a compilation row
    return form.sha256 if form is not None and form.served and settings.SERVING_ONNX else ""


def _load(version: ModelVersion) -> Servable:
    try:
        estimator = load_version_model(version)
    except IntegrityFailure as exc:
        log.error("refused to serve %s version %s: %s", version.model.name, version.version, exc.message)
        raise
    onnx = _load_onnx(version, estimator) if _onnx_sha256(version) else None
    log.info("loaded %s version %s for serving (%s)", version.model.name, version.version, ONNX if onnx else SKLEARN)
    return prepare(estimator, version.signature, onnx)


def _load_onnx(version: ModelVersion, estimator: Any) -> OnnxRuntime | None:
    try:
        content = load_version_onnx(version)
    except (IntegrityFailure, StorageUnavailable) as exc:
        log.error(
            "not serving the ONNX form of %s version %s (%s): its verified original answers instead",
            version.model.name,
            version.version,
            exc.message,
        )
        return None
    return OnnxRuntime(content, estimator) if content else None


def prepare(estimator: Any, signature: dict | None, onnx: OnnxRuntime | None = None) -> Servable:
    methods = {name: getattr(estimator, name) for name in METHODS if hasattr(estimator, name)}
    fitted_on_frame = hasattr(estimator, "feature_names_in_")
    return Servable(estimator, plan_for(signature, estimator), methods, onnx, fitted_on_frame)


def score(servable: Servable, scoring: Scoring) -> tuple[bytes, str]:
    """The JSON response body, `{"predictions": [...]}`, and the runtime that answered."""
    result, runtime = answer(servable, scoring)
    return orjson.dumps({"predictions": result}, option=orjson.OPT_SERIALIZE_NUMPY, default=_plain), runtime


def answer(servable: Servable, scoring: Scoring) -> tuple[Any, str]:
    """The method's result (an array, as the runtime returned it) and the runtime that
    answered: the one place rows are checked and scored, whichever protocol asked."""
    method = servable.methods.get(scoring.method)
    if method is None:
        raise InvalidParameter(
            f"params.method {scoring.method!r} is not available for this model; it has {', '.join(servable.methods)}"
        )
    given = model_input(servable.plan, scoring.batch)
    result, runtime = _onnx_result(servable, scoring, given.data, given.null_columns), ONNX
    if result is None:
        runtime = SKLEARN
        try:
            result = method(_laid_out_as_in_training(servable, given.data))
        except (ValueError, TypeError) as exc:
            raise _refused(exc, given.null_columns) from exc
    return result, runtime


def _laid_out_as_in_training(servable: Servable, data: Any) -> Any:
    """An estimator fitted on a pandas DataFrame is called in-process with one, from which
    scikit-learn takes a column-major array. BLAS sums in a layout-dependent order, so a
    row-major copy of the same values can differ from `estimator.predict(frame)` in the last
    digit; the same layout keeps the answers bit-identical."""
    if servable.fitted_on_frame and isinstance(data, np.ndarray) and data.ndim == 2 and data.dtype != object:
        return np.asfortranarray(data)
    return data


def _onnx_result(servable: Servable, scoring: Scoring, data: Any, null_columns: list[str]) -> Any | None:
    """ONNX Runtime's answer, or None where the original must answer (see the module doc)."""
    onnx = servable.onnx
    if onnx is None or scoring.runtime == SKLEARN or null_columns or not settings.SERVING_ONNX:
        return None
    return onnx.answer(scoring.method, data)


def _refused(exc: Exception, null_columns: list[str]) -> InvalidParameter:
    if null_columns and "nan" in str(exc).lower():
        return InvalidParameter(
            f"{', '.join(null_columns)} has missing values (null), which the model does not accept: {exc}"
        )
    return InvalidParameter(f"the model could not score these rows: {exc}")


def _plain(value: object) -> object:
    """What orjson does not serialize itself: arrays of text or objects, numpy scalars."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def forget_models() -> None:
    _loaded.clear()
