"""Writes of ONNX compilations: `onnx_compile` (the work, synchronous) and
`onnx_compile_scheduled` (what registering a version calls).

Registration never waits for a compile unless ONNX_COMPILE_IN_BACKGROUND is off (tests):
it records the compilation as pending and, once the version's transaction commits,
enqueues a background task (`registry.compilation.tasks.compile_version`) that a worker
runs, away from the web processes' cores. A worker killed mid-compile leaves the row
pending; `manage.py compile_onnx --pending` finishes those, and any version can be
recompiled with the same command.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from registry import artifacts
from registry.loading import load_version_model
from registry.models import ModelVersion, OnnxCompilation, OnnxStatus
from registry_site import background
from registry_site.errors import RegistryError

from . import check, converter, tasks
from .form import OnnxForm
from .layout import NotConvertible, as_model_input, example_rows, layout_for, unguarded_encoder, validation_rows

log = logging.getLogger(__name__)


class Unverifiable(Exception):
    """No rows could be found that the original scores, so nothing can be compared."""


def onnx_compile(*, version: ModelVersion) -> OnnxCompilation | None:
    """Convert `version` with skl2onnx, check the ONNX form against the original on a
    validation batch, time both, and record the outcome. Only a form that passed is
    stored (content-addressed, like the original) and can be served. Never raises for
    the version's own problems: they are recorded as its status and reason. None if the
    version was deleted while it compiled: there is nothing to record the outcome on."""
    try:
        fields = _compiled(version)
    except NotConvertible as exc:
        fields = {"status": OnnxStatus.UNSUPPORTED, "reason": str(exc)}
    except (Unverifiable, RegistryError) as exc:
        fields = {"status": OnnxStatus.FAILED, "reason": str(exc)}
    except Exception as exc:  # a converter or runtime bug must not escape into an upload
        log.exception("compiling %s to ONNX failed", version)
        fields = {"status": OnnxStatus.FAILED, "reason": f"{type(exc).__name__}: {exc}"}
    defaults = {"reason": "", "sha256": "", "size": None, "equivalence": {}, "latency_ms": {}, "converter": {}}
    record = _recorded(version, {**defaults, **fields})
    if record is None:
        log.info("ONNX compilation of %s: the version was deleted meanwhile, so its outcome is not recorded", version)
        return None
    log.info("ONNX compilation of %s: %s %s", version, record.status, record.reason)
    return record


@transaction.atomic
def _recorded(version: ModelVersion, fields: dict[str, Any]) -> OnnxCompilation | None:
    # The version row stays locked until the outcome is written: a deletion waits for it,
    # or has already happened and there is no row to point the outcome at.
    if not ModelVersion.objects.select_for_update().filter(pk=version.pk).exists():
        return None
    record, _ = OnnxCompilation.objects.update_or_create(version=version, defaults=fields)
    return record


def _compiled(version: ModelVersion) -> dict[str, Any]:
    estimator = load_version_model(version)
    layout = layout_for(version.signature, estimator)
    problem = unguarded_encoder(layout, estimator)
    if problem:
        raise NotConvertible(problem)
    content, produced_by = converter.convert(estimator, layout)
    onnx = OnnxForm(content, estimator)
    data, source = _validation_data(layout, estimator, version.input_example)
    verdict = check.compare(estimator, onnx, data)
    fields = {
        "equivalence": {**verdict.details, "passed": verdict.passed, "source": source},
        "latency_ms": check.latencies(estimator, onnx, data),
        "converter": produced_by,
    }
    if not verdict.passed:
        return {
            **fields,
            "status": OnnxStatus.MISMATCH,
            "reason": f"outputs differ from scikit-learn: {verdict.reason}",
        }
    with artifacts.spooled(io.BytesIO(content)) as stored:
        artifacts.store(stored)
    return {**fields, "status": OnnxStatus.CONVERTED, "sha256": stored.sha256, "size": stored.size}


def _validation_data(layout, estimator, example: dict | None) -> tuple[Any, str]:
    """The input example plus synthesized rows; the example alone if the original
    refuses the synthesized rows (a model that takes only positive values...)."""
    rows = validation_rows(layout, estimator, example)
    examples = len(example_rows(layout, example))
    data = as_model_input(layout, rows)
    try:
        estimator.predict(data)
    except Exception as exc:
        if not examples:
            raise Unverifiable(
                f"the original cannot score synthesized rows ({exc}) and no input example is recorded"
            ) from None
        return as_model_input(layout, rows[:examples]), f"input example ({examples} rows)"
    synthesized = len(rows) - examples
    if examples:
        return data, f"input example ({examples} rows) and {synthesized} synthesized rows"
    return data, f"{synthesized} synthesized rows"


# --- at registration ---------------------------------------------------------------------


def onnx_compile_scheduled(*, version: ModelVersion) -> None:
    """What registering a version does: nothing when SERVING_ONNX is off; compile now
    when ONNX_COMPILE_IN_BACKGROUND is off; else mark it pending and enqueue its compile
    once the version is committed (so the worker can read it)."""
    if not settings.SERVING_ONNX:
        return
    if not settings.ONNX_COMPILE_IN_BACKGROUND:
        onnx_compile(version=version)
        return
    OnnxCompilation.objects.update_or_create(version=version, defaults={"status": OnnxStatus.PENDING, "reason": ""})
    background.enqueue_after_commit(tasks.compile_version, version.pk)


def onnx_compile_by_id(version_id: int) -> str:
    """Compile the version with this id, if it still exists: the outcome's status, or
    "deleted"."""
    version = ModelVersion.objects.select_related("model").filter(pk=version_id).first()
    record = onnx_compile(version=version) if version is not None else None
    return record.status if record is not None else "deleted"
