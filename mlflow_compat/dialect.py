"""MLflow's JSON shapes (proto JSON: snake_case fields, epoch milliseconds, versions
and ids as strings, enums by their upper-case name) for the registry's rows."""

from __future__ import annotations

import math

from django.core.exceptions import ObjectDoesNotExist

from mlflow_compat.models import Experiment, LoggedModel, Run, RunInput, RunMetric
from mlflow_compat.sources import logged_model_folder, run_folder
from registry.models import ModelVersion, RegisteredModel
from registry_site.errors import InvalidParameter

SCHEME = "mlflow-artifacts:/"


def ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def tag_list(tags: dict) -> list[dict]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def tag_dict(items, *, what: str = "tags") -> dict[str, str]:
    """`[{key, value}]` from a request as a dict; InvalidParameter if malformed."""
    if items in (None, ""):
        return {}
    if not isinstance(items, list) or not all(isinstance(item, dict) and "key" in item for item in items):
        raise InvalidParameter(f"{what} must be a list of {{key, value}} objects")
    return {item["key"]: item.get("value", "") for item in items}


def _username(user) -> str:
    return user.get_username() if user else ""


# --- registry ------------------------------------------------------------------------


def registered_model(model: RegisteredModel, newest: list[ModelVersion]) -> dict:
    return {
        "name": model.name,
        "creation_timestamp": ms(model.created_at),
        "last_updated_timestamp": ms(model.updated_at),
        "user_id": _username(model.created_by),
        "description": model.description,
        "latest_versions": [model_version(version) for version in newest],
        "tags": tag_list(model.tags),
        "aliases": [{"alias": alias.name, "version": str(alias.version.version)} for alias in model.aliases.all()],
    }


def model_version(version: ModelVersion) -> dict:
    try:
        origin = version.mlflow_source
    except ObjectDoesNotExist:  # uploaded through the native API
        origin = None
    body = {
        "name": version.model.name,
        "version": str(version.version),
        "creation_timestamp": ms(version.created_at),
        "last_updated_timestamp": ms(version.updated_at),
        "user_id": _username(version.created_by),
        "current_stage": version.stage,
        "description": version.description,
        "source": origin.source if origin else f"models:/{version.model.name}/{version.version}",
        "run_id": version.run_id,
        # Registration scans synchronously: a version that exists is ready.
        "status": "READY",
        "tags": tag_list(version.tags),
        "aliases": [alias.name for alias in version.aliases.all()],
    }
    if origin and origin.run_link:
        body["run_link"] = origin.run_link
    if origin and origin.model_id:
        body["model_id"] = origin.model_id
    return body


# --- tracking ------------------------------------------------------------------------


def experiment(found: Experiment) -> dict:
    return {
        "experiment_id": str(found.pk),
        "name": found.name,
        "artifact_location": f"{SCHEME}{found.pk}",
        "lifecycle_stage": "active",
        "creation_time": ms(found.created_at),
        "last_update_time": ms(found.updated_at),
        "tags": tag_list(found.tags),
    }


def run_info(run: Run) -> dict:
    info = {
        "run_id": run.run_id,
        "run_uuid": run.run_id,
        "run_name": run.name,
        "experiment_id": str(run.experiment_id),
        "user_id": run.user_id,
        "status": run.status,
        "artifact_uri": SCHEME + run_folder(run),
        "lifecycle_stage": "active",
    }
    if run.start_time is not None:
        info["start_time"] = run.start_time
    if run.end_time is not None:
        info["end_time"] = run.end_time
    return info


def run(found: Run, metrics: list[RunMetric], inputs: list[RunInput]) -> dict:
    return {
        "info": run_info(found),
        "data": {
            "metrics": [metric(point) for point in metrics],
            "params": tag_list(found.params),
            "tags": tag_list(found.tags),
        },
        "inputs": {"dataset_inputs": [dataset_input(row) for row in inputs]},
        "outputs": {"model_outputs": found.outputs},
    }


def dataset_input(row: RunInput) -> dict:
    return {"tags": tag_list(row.tags), "dataset": row.dataset}


def metric_value(value: float | None) -> float | str:
    """A metric's value as MLflow's wire carries it: NaN (stored as NULL) and the
    infinities as the strings "NaN", "Infinity", "-Infinity" (protobuf's JSON form, which
    the client reads), so that the body stays valid JSON."""
    if value is None or math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def metric(point: RunMetric) -> dict:
    body = {
        "key": point.key,
        "value": metric_value(point.value),
        "timestamp": point.timestamp,
        "step": point.step,
    }
    for name in ("model_id", "dataset_name", "dataset_digest"):
        if getattr(point, name):
            body[name] = getattr(point, name)
    return body


def logged_model(model: LoggedModel, metrics: list[RunMetric]) -> dict:
    info = {
        "model_id": model.model_id,
        "experiment_id": str(model.experiment_id),
        "name": model.name,
        "creation_timestamp_ms": ms(model.created_at),
        "last_updated_timestamp_ms": ms(model.updated_at),
        "artifact_uri": SCHEME + logged_model_folder(model),
        "status": model.status,
        "creator_id": model.created_by_id or 0,
        "model_type": model.model_type,
        "source_run_id": model.source_run_id,
        "status_message": model.status_message,
        "tags": tag_list(model.tags),
    }
    data = {"params": tag_list(model.params), "metrics": [{**metric(m), "run_id": m.run_id} for m in metrics]}
    return {"info": info, "data": data}
