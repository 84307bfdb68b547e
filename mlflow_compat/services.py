"""Tracking writes: experiments, runs and MLflow 3 logged models as the mlflow client
logs them, and registering a version from what a run logged.

Registration goes through `services.model_version_create` like any upload: the logged
model's folder is zipped, scanned, content-addressed and given its run's params,
metrics and input datasets, so it gets the same checks and the same lineage event.
"""

from __future__ import annotations

import math
import re
import uuid

from django.db import IntegrityError, transaction

from lineage.datasets import dataset_ref
from mlflow_compat import selectors, sources
from mlflow_compat.models import (
    Experiment,
    LoggedModel,
    LoggedModelStatus,
    Run,
    RunInput,
    RunMetric,
    RunStatus,
    VersionSource,
)
from registry.auth import UPLOAD
from registry.models import ModelVersion
from registry.selectors import model_get
from registry.services import model_version_create, require
from registry_site import inputs
from registry_site.errors import AlreadyExists, InvalidParameter, RegistryError

# MLflow's own limits (mlflow/utils/validation.py), so what its server takes, we take.
KEY_PATTERN = re.compile(r"[/\w.\- :]{1,250}")
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
MAX_NAME = 500
RUN_NAME_TAG = "mlflow.runName"


def _key(key: object, *, what: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key) or ".." in key.split("/"):
        raise InvalidParameter(
            f"invalid {what} key {key!r}: 1-250 letters, digits, '_', '-', '.', ' ', ':' or '/' characters"
        )
    return key


def _value(value: object, *, what: str, limit: int) -> str:
    value = "" if value is None else value
    if isinstance(value, bool | int | float):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidParameter(f"{what} must be a string of at most {limit} characters")
    return value


def _name(name: object, *, what: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise InvalidParameter(f"{what} must be a non-empty string of at most {MAX_NAME} characters")
    return name


def check_tags(pairs: dict) -> dict[str, str]:
    return {_key(k, what="tag"): _value(v, what=f"tag {k}", limit=MAX_TAG_VALUE) for k, v in pairs.items()}


def check_params(pairs: dict) -> dict[str, str]:
    return {_key(k, what="param"): _value(v, what=f"param {k}", limit=MAX_PARAM_VALUE) for k, v in pairs.items()}


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


# --- experiments ---------------------------------------------------------------------


def experiment_create(*, actor, name: str, tags: dict | None = None) -> Experiment:
    """A new experiment; AlreadyExists if the name is taken."""
    require(actor, UPLOAD)
    fields = {"name": _name(name, what="experiment name"), "tags": check_tags(tags or {})}
    try:
        with transaction.atomic():
            return Experiment.objects.create(created_by=_user(actor), **fields)
    except IntegrityError:
        raise AlreadyExists(f"Experiment(name={name}) already exists.") from None


def default_experiment() -> Experiment:
    """MLflow's experiment "0", where runs go when no experiment is chosen."""
    try:
        with transaction.atomic():
            return Experiment.objects.get_or_create(pk=0, defaults={"name": "Default"})[0]
    except IntegrityError:  # created concurrently
        return Experiment.objects.get(pk=0)


# --- runs ----------------------------------------------------------------------------


def run_create(
    *, actor, experiment: Experiment, name: str = "", user_id: str = "", start_time=None, tags: dict | None = None
) -> Run:
    require(actor, UPLOAD)
    tags = check_tags(tags or {})
    run_id = uuid.uuid4().hex
    name = name or tags.get(RUN_NAME_TAG) or f"run-{run_id[:8]}"
    tags[RUN_NAME_TAG] = _value(name, what="run_name", limit=250)
    return Run.objects.create(
        run_id=run_id,
        experiment=experiment,
        name=name,
        user_id=_value(user_id or (actor.get_username() if actor else ""), what="user_id", limit=256),
        start_time=_milliseconds(start_time, what="start_time"),
        tags=tags,
        created_by=_user(actor),
    )


def run_update(*, actor, run: Run, status: str | None = None, end_time=None, name: str | None = None) -> Run:
    require(actor, UPLOAD)
    if status is not None:
        if status not in RunStatus.values:
            raise InvalidParameter(f"status must be one of {', '.join(RunStatus.values)}, not {status!r}")
        run.status = status
    if end_time is not None:
        run.end_time = _milliseconds(end_time, what="end_time")
    if name:
        run.name = _value(name, what="run_name", limit=250)
        run.tags = {**run.tags, RUN_NAME_TAG: run.name}
    run.save(update_fields=["status", "end_time", "name", "tags"])
    return run


@transaction.atomic
def run_log(*, actor, run: Run, params: dict | None = None, metrics: list[dict] = (), tags: dict | None = None) -> None:
    """log-batch and its one-item forms. A logged param may be logged again only with
    the same value (MLflow's rule); tags are overwritten; metrics are appended."""
    require(actor, UPLOAD)
    points = [_metric(run, metric) for metric in metrics]
    locked = Run.objects.select_for_update().get(pk=run.pk)
    for key, value in check_params(params or {}).items():
        if locked.params.get(key, value) != value:
            raise InvalidParameter(
                f"Changing param values is not allowed. Param with key='{key}' was already logged "
                f"with value='{locked.params[key]}' for run ID='{run.run_id}'. Attempted logging new value '{value}'."
            )
        locked.params[key] = value
    locked.tags.update(check_tags(tags or {}))
    locked.name = locked.tags.get(RUN_NAME_TAG, locked.name)
    locked.save(update_fields=["params", "tags", "name"])
    RunMetric.objects.bulk_create(points)


def _metric(run: Run, metric: dict) -> RunMetric:
    value = metric.get("value")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidParameter(f"metric {metric.get('key')!r} needs a numeric value, got {value!r}") from None
    return RunMetric(
        run=run,
        key=_key(metric.get("key"), what="metric"),
        value=None if math.isnan(number) else number,
        timestamp=_milliseconds(metric.get("timestamp"), what="timestamp") or 0,
        step=_integer(metric.get("step") or 0, what="step"),
        model_id=_value(metric.get("model_id"), what="model_id", limit=64),
        dataset_name=_value(metric.get("dataset_name"), what="dataset_name", limit=500),
        dataset_digest=_value(metric.get("dataset_digest"), what="dataset_digest", limit=64),
    )


@transaction.atomic
def run_delete_tag(*, actor, run: Run, key: str) -> None:
    require(actor, UPLOAD)
    locked = Run.objects.select_for_update().get(pk=run.pk)
    locked.tags.pop(key, None)
    locked.save(update_fields=["tags"])


def run_log_inputs(*, actor, run: Run, datasets: list[dict]) -> None:
    """Datasets the run read (`mlflow.log_input`), each `{"dataset": {name, digest,
    source_type, source, schema, profile}, "tags": {...}}`; the same name and digest once."""
    require(actor, UPLOAD)
    for item in datasets:
        dataset = item["dataset"]
        name = _name(dataset.get("name"), what="dataset name")
        digest = _value(dataset.get("digest"), what="dataset digest", limit=64)
        RunInput.objects.update_or_create(
            run=run, name=name, digest=digest, defaults={"dataset": dataset, "tags": check_tags(item["tags"])}
        )


@transaction.atomic
def run_log_outputs(*, actor, run: Run, models: list[dict]) -> None:
    """Logged models the run produced, with the step each was logged at."""
    require(actor, UPLOAD)
    locked = Run.objects.select_for_update().get(pk=run.pk)
    for model in models:
        entry = {"model_id": str(model.get("model_id") or ""), "step": _integer(model.get("step") or 0, what="step")}
        if entry not in locked.outputs:
            locked.outputs.append(entry)
    locked.save(update_fields=["outputs"])


def _milliseconds(value, *, what: str) -> int | None:
    return None if value in (None, "") else _integer(value, what=what)


def _integer(value, *, what: str) -> int:
    return inputs.whole_number(value, name=what)  # within the BigIntegerField holding it


# --- logged models -------------------------------------------------------------------


def logged_model_create(
    *,
    actor,
    experiment: Experiment,
    name: str = "",
    source_run_id: str = "",
    model_type: str = "",
    params: dict | None = None,
    tags: dict | None = None,
) -> LoggedModel:
    require(actor, UPLOAD)
    model_id = f"m-{uuid.uuid4().hex}"
    return LoggedModel.objects.create(
        model_id=model_id,
        experiment=experiment,
        name=_name(name or "model", what="logged model name"),
        source_run_id=_value(source_run_id, what="source_run_id", limit=32),
        model_type=_value(model_type, what="model_type", limit=500),
        params=check_params(params or {}),
        tags=check_tags(tags or {}),
        created_by=_user(actor),
    )


def logged_model_finalize(*, actor, model: LoggedModel, status: str) -> LoggedModel:
    require(actor, UPLOAD)
    if status not in LoggedModelStatus.values:
        raise InvalidParameter(f"status must be one of {', '.join(LoggedModelStatus.values)}, not {status!r}")
    model.status = status
    model.save(update_fields=["status", "updated_at"])
    return model


@transaction.atomic
def logged_model_update(
    *, actor, model: LoggedModel, tags: dict | None = None, drop_tag: str | None = None, params: dict | None = None
) -> LoggedModel:
    """Set tags, remove one tag, or add params, under the row lock (the client
    rewrites the `mlflow.modelVersions` tag right after registering)."""
    require(actor, UPLOAD)
    locked = LoggedModel.objects.select_for_update().get(pk=model.pk)
    locked.tags.update(check_tags(tags or {}))
    locked.tags.pop(drop_tag, None)
    locked.params.update(check_params(params or {}))
    locked.save(update_fields=["tags", "params", "updated_at"])
    return locked


# --- registering a version -----------------------------------------------------------


def model_version_register(
    *,
    actor,
    name: str,
    source: str,
    run_id: str = "",
    model_id: str = "",
    description: str = "",
    tags: dict | None = None,
    run_link: str = "",
) -> ModelVersion:
    """A new version of the existing model `name` from an MLflow `source` (a logged
    model, a run's folder, an artifact-proxy folder or another registered version)."""
    require(actor, UPLOAD)
    model_get(name)  # MLflow adds versions to existing models only
    origin = sources.resolve(source, model_id=model_id)
    training = _training(run_id or origin.run_id, origin)
    with origin.artifact() as incoming:
        version = model_version_create(
            actor=actor,
            model_name=name,
            artifact=incoming,
            declared_format=origin.format,
            description=description or "",
            tags=tags,
            **training,
        )
    VersionSource.objects.create(
        version=version,
        source=source,
        location=origin.location,
        model_id=origin.model_id or model_id or "",
        run_link=run_link or "",
    )
    return version


def _training(run_id: str, origin: sources.Origin) -> dict:
    """params, metrics, inputs and run_id for the version: from the run when there is
    one, else carried over from the registered version being copied."""
    run = selectors.run_find(run_id) if run_id else None
    if run is not None:
        return {
            "params": run.params,
            "metrics": _finite(selectors.run_latest_metrics(run)),
            "inputs": [_dataset(row) for row in selectors.run_inputs(run)],
            "run_id": run.run_id,
        }
    copied = origin.version
    if copied is not None:
        return {"params": copied.params, "metrics": copied.metrics, "inputs": copied.inputs, "run_id": copied.run_id}
    params = origin.logged_model.params if origin.logged_model else {}
    return {"params": params, "run_id": run_id}


def _finite(metrics: dict[str, RunMetric]) -> dict[str, float]:
    return {k: m.value for k, m in metrics.items() if m.value is not None and math.isfinite(m.value)}


def _dataset(row: RunInput) -> dict[str, str]:
    """The lineage identity of an MLflow dataset: its source URI when it names one."""
    source = row.dataset.get("source")
    try:
        described = inputs.parse_json(source) if isinstance(source, str) else {}
    except RegistryError:
        described = {}
    uri = next((described[k] for k in ("uri", "url", "path") if isinstance(described, dict) and described.get(k)), None)
    try:
        return dataset_ref(uri) if isinstance(uri, str) else {"namespace": "mlflow", "name": row.name}
    except ValueError:
        return {"namespace": "mlflow", "name": row.name}
