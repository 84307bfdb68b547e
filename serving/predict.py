"""Loaded versions, ready to score: the estimator, its input plan and its methods,
prepared once per version and kept in this process's LRU cache."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from django.conf import settings

from registry.loading import load_version_model
from registry.models import ModelVersion
from registry_site.errors import IntegrityFailure, InvalidParameter

from .cache import LoadOnceLRU
from .conversion import model_input
from .decoding import METHODS, Scoring
from .schema import InputPlan, plan_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Servable:
    estimator: Any
    plan: InputPlan
    methods: dict[str, Callable]


_loaded: LoadOnceLRU[Servable] = LoadOnceLRU(lambda: settings.SERVING_CACHE_MAX_MODELS)


def servable_for(version: ModelVersion) -> Servable:
    """The version ready to score, loaded (once) through the registry's verified loader.

    Keyed by version id and sha256: a version's bytes never change, and a key that
    outlived its version (a deleted one) can never serve other bytes.
    """
    return _loaded.get((version.pk, version.artifact_sha256), lambda: _load(version))


def _load(version: ModelVersion) -> Servable:
    try:
        estimator = load_version_model(version)
    except IntegrityFailure as exc:
        log.error("refused to serve %s version %s: %s", version.model.name, version.version, exc.message)
        raise
    log.info("loaded %s version %s for serving", version.model.name, version.version)
    return prepare(estimator, version.signature)


def prepare(estimator: Any, signature: dict | None) -> Servable:
    methods = {name: getattr(estimator, name) for name in METHODS if hasattr(estimator, name)}
    return Servable(estimator, plan_for(signature, estimator), methods)


def score(servable: Servable, scoring: Scoring) -> bytes:
    """The JSON response body: `{"predictions": [...]}`."""
    method = servable.methods.get(scoring.method)
    if method is None:
        raise InvalidParameter(
            f"params.method {scoring.method!r} is not available for this model; it has {', '.join(servable.methods)}"
        )
    given = model_input(servable.plan, scoring.batch)
    try:
        result = method(given.data)
    except (ValueError, TypeError) as exc:
        raise _refused(exc, given.null_columns) from exc
    return orjson.dumps({"predictions": result}, option=orjson.OPT_SERIALIZE_NUMPY, default=_plain)


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
