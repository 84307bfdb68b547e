"""Reads for the MLflow-compatible API: registry searches in MLflow's terms, and tracking."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from mlflow_compat.models import Experiment, LoggedModel, Run, RunInput, RunMetric
from registry.models import Alias, ModelVersion, RegisteredModel
from registry.selectors import version_get
from registry_site.errors import NotFound


def model_names() -> list[str]:
    return list(RegisteredModel.objects.order_by("name").values_list("name", flat=True))


def version_numbers(model: RegisteredModel) -> list[int]:
    return list(model.versions.order_by("version").values_list("version", flat=True))


def _described_versions() -> QuerySet[ModelVersion]:
    """Versions with what MLflow's version entity shows (aliases, creator, source)."""
    return ModelVersion.objects.select_related("model", "created_by", "mlflow_source").prefetch_related(
        Prefetch("aliases", queryset=Alias.objects.order_by("name"))
    )


def version_described(name: str, version: int | str) -> ModelVersion:
    version_get(name, version)  # the NotFound message that names what is unknown
    return _described_versions().get(model__name=name, version=int(version))


def newest_per_stage(model_ids: list[int], stages: list[str] | None = None) -> list[ModelVersion]:
    """The newest version in each stage (of `stages`, or every stage) of each model."""
    newer = ModelVersion.objects.filter(
        model_id=OuterRef("model_id"), stage=OuterRef("stage"), version__gt=OuterRef("version")
    )
    versions = _described_versions().filter(model_id__in=model_ids).exclude(Exists(newer))
    if stages is not None:
        versions = versions.filter(stage__in=stages)
    return list(versions.order_by("model_id", "version"))


def model_search(*, where: Q, annotations: dict, order: list[str], offset: int, limit: int) -> list[RegisteredModel]:
    models = RegisteredModel.objects.annotate(**annotations).filter(where).select_related("created_by")
    aliases = Prefetch("aliases", queryset=Alias.objects.select_related("version").order_by("name"))
    return list(models.prefetch_related(aliases).order_by(*order)[offset : offset + limit])


def version_search(*, where: Q, annotations: dict, order: list[str], offset: int, limit: int) -> list[ModelVersion]:
    versions = _described_versions().annotate(**annotations).filter(where)
    return list(versions.order_by(*order)[offset : offset + limit])


def experiment_get(experiment_id: int | str) -> Experiment:
    text = str(experiment_id)  # isdigit alone lets "²" through, which int() refuses
    found = Experiment.objects.filter(pk=int(text)).first() if text.isascii() and text.isdigit() else None
    if found is None:
        raise NotFound(f"Could not find experiment with ID {experiment_id}")
    return found


def experiment_by_name(name: str) -> Experiment:
    found = Experiment.objects.filter(name=name).first()
    if found is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return found


def experiment_search(*, where: Q, order: list[str], offset: int, limit: int) -> list[Experiment]:
    return list(Experiment.objects.filter(where).order_by(*order)[offset : offset + limit])


def run_find(run_id: str) -> Run | None:
    return Run.objects.select_related("experiment").filter(pk=run_id).first()


def run_get(run_id: str) -> Run:
    found = run_find(run_id)
    if found is None:
        raise NotFound(f"Run with id={run_id} not found")
    return found


def run_latest_metrics(run: Run) -> dict[str, RunMetric]:
    """Each metric's latest point, as MLflow picks it: highest step, then time, then value."""
    latest: dict[str, RunMetric] = {}
    for point in run.metric_points.order_by("key", "step", "timestamp", "value"):
        latest[point.key] = point
    return latest


def metric_history(run: Run, key: str, *, offset: int, limit: int) -> list[RunMetric]:
    return list(run.metric_points.filter(key=key).order_by("step", "timestamp", "id")[offset : offset + limit])


def run_inputs(run: Run) -> list[RunInput]:
    return list(run.dataset_inputs.order_by("id"))


def run_logged_model(run: Run, name: str) -> LoggedModel | None:
    """The run's logged model called `name`; of several, the one output at the largest step."""
    steps = {output["model_id"]: output["step"] for output in run.outputs}
    candidates = LoggedModel.objects.filter(source_run_id=run.run_id, name=name).order_by("created_at")
    return max(candidates, key=lambda model: steps.get(model.model_id, -1), default=None)


def logged_model_get(model_id: str) -> LoggedModel:
    found = LoggedModel.objects.filter(pk=model_id).first()
    if found is None:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return found


def logged_model_metrics(model: LoggedModel) -> list[RunMetric]:
    return list(RunMetric.objects.filter(model_id=model.model_id).order_by("key", "step", "timestamp", "id"))


def logged_model_search(
    *, experiment_ids: list[int], where: Q, annotations: dict, order: list[str], offset: int, limit: int
) -> list[LoggedModel]:
    models = LoggedModel.objects.annotate(**annotations).filter(where)
    if experiment_ids:
        models = models.filter(experiment_id__in=experiment_ids)
    return list(models.order_by(*order)[offset : offset + limit])
