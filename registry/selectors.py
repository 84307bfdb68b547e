"""Every read of the registry, shaped for the API, the UI and serving."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Max, Prefetch, Q, QuerySet

from registry.models import Alias, Approval, AuditAction, AuditEntry, ModelVersion, Policy, RegisteredModel, Stage
from registry_site.errors import NotFound

PROMOTED_STAGES = (Stage.STAGING, Stage.PRODUCTION)


def model_get(name: str) -> RegisteredModel:
    model = RegisteredModel.objects.filter(name=name).first()
    if model is None:
        raise NotFound(f"Registered Model with name={name} not found")
    return model


def version_get(name: str, version: int | str) -> ModelVersion:
    number = _version_number(version)
    found = (
        ModelVersion.objects.select_related("model", "created_by", "onnx")
        .prefetch_related("aliases")
        .filter(model__name=name, version=number)
        .first()
    )
    if found is None:
        model_get(name)  # says which of the two is unknown
        raise NotFound(f"Model Version (name={name}, version={version}) not found")
    return found


def _version_number(version: int | str) -> int:
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise NotFound(f"no version {version!r}: versions are whole numbers") from None
    if number < 1:
        raise NotFound(f"no version {version!r}: versions start at 1")
    return number


def model_list(*, search: str = "", tag: str = "", stage: str = "") -> QuerySet[RegisteredModel]:
    """Models matching the filters, each with `latest_version_number` annotated.

    `tag` is `key` (has the tag) or `key=value`. `stage` keeps models with a version there.
    Pair with `with_summaries` on the page being shown: a constant number of queries.
    """
    models = RegisteredModel.objects.all()
    if search:
        models = models.filter(name__icontains=search)
    if tag:
        key, has_value, value = tag.partition("=")
        models = models.filter(**{f"tags__{key}": value}) if has_value else models.filter(tags__has_key=key)
    if stage:
        models = models.filter(versions__stage=stage).distinct()
    latest = Max("versions__version", filter=~Q(versions__stage=Stage.ARCHIVED))
    return models.annotate(latest_version_number=latest).order_by("name")


def with_summaries(models: list[RegisteredModel]) -> list[RegisteredModel]:
    """Attach `latest_version`, `stage_holders` and `alias_list` to a page of models."""
    ids = [m.pk for m in models]
    holders = _versions(Q(model_id__in=ids, stage__in=PROMOTED_STAGES))
    wanted = Q()
    for m in models:
        if getattr(m, "latest_version_number", None):
            wanted |= Q(model_id=m.pk, version=m.latest_version_number)
    latest = _versions(wanted) if wanted else []
    aliases = Alias.objects.filter(model_id__in=ids).select_related("version")
    for m in models:
        m.stage_holders = [v for v in holders if v.model_id == m.pk]
        m.latest_version = next((v for v in latest if v.model_id == m.pk), None)
        m.alias_list = [a for a in aliases if a.model_id == m.pk]
    return models


def _versions(condition: Q) -> list[ModelVersion]:
    return list(ModelVersion.objects.filter(condition).select_related("created_by"))


def version_list(model: RegisteredModel, *, stage: str = "") -> QuerySet[ModelVersion]:
    versions = model.versions.select_related("model", "created_by", "onnx").prefetch_related(
        Prefetch("aliases", queryset=Alias.objects.order_by("name"))
    )
    if stage:
        versions = versions.filter(stage=stage)
    return versions


def latest_version(model: RegisteredModel) -> ModelVersion | None:
    """The highest version number that is not Archived."""
    return model.versions.exclude(stage=Stage.ARCHIVED).order_by("-version").first()


def audit_for_model(name: str) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(model_name=name).order_by("-created_at", "-id")


def alias_get(model: RegisteredModel, alias: str) -> Alias:
    found = Alias.objects.filter(model=model, name=alias).select_related("version").first()
    if found is None:
        raise NotFound(f"Registered model alias {alias} not found for model {model.name}.")
    return found


SERVED_FIELDS = (
    "id",
    "version",
    "model__name",
    "stage",
    "artifact_sha256",
    "artifact_size",
    "artifact_format",
    "trusted_types",
    "signature",
    "onnx__status",
    "onnx__sha256",
    "onnx__size",
)


def version_for_ref(name: str, ref: str) -> ModelVersion:
    """The version `ref` names: a version number, `latest` (the highest version not
    Archived), a stage name in any case (the newest version in it) or an alias.

    Loads only what serving needs; raises NotFound naming the model or the reference.
    """
    versions = ModelVersion.objects.select_related("model", "onnx").only(*SERVED_FIELDS).filter(model__name=name)
    stages = {stage.lower(): stage for stage in Stage.values}
    if _is_number(ref):
        found = versions.filter(version=_version_number(ref)).first()
    elif ref.lower() == "latest":
        found = versions.exclude(stage=Stage.ARCHIVED).order_by("-version").first()
    elif ref.lower() in stages:
        found = versions.filter(stage=stages[ref.lower()]).order_by("-version").first()
    else:
        found = versions.filter(aliases__name=ref).first()
    if found is None:
        model_get(name)  # says when it is the model that is unknown
        raise NotFound(f"model {name} has no {_ref_description(ref, stages)}")
    return found


def _is_number(ref: str) -> bool:
    return ref.isascii() and ref.isdigit()


def _ref_description(ref: str, stages: dict[str, str]) -> str:
    if _is_number(ref):
        return f"version {ref}"
    if ref.lower() == "latest":
        return "version that is not Archived"
    if ref.lower() in stages:
        return f"version in stage {stages[ref.lower()]}"
    return f"version, stage or alias named {ref!r}"


def home_summary() -> dict:
    """Counts and the latest activity for the home page."""
    return {
        "model_count": RegisteredModel.objects.count(),
        "version_count": ModelVersion.objects.count(),
        "production_count": ModelVersion.objects.filter(stage=Stage.PRODUCTION).count(),
        "recent_versions": list(
            ModelVersion.objects.select_related("model", "created_by").order_by("-created_at", "-id")[:8]
        ),
        # Uploads have their own list beside this one.
        "recent_changes": list(
            AuditEntry.objects.exclude(action=AuditAction.VERSION_CREATE).order_by("-created_at", "-id")[:8]
        ),
    }


def audit_list(*, model: str = "", actor: str = "", action: str = "") -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if model:
        entries = entries.filter(model_name=model)
    if actor:
        entries = entries.filter(actor_name=actor)
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-created_at", "-id")


def stage_history(version: ModelVersion) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(model_name=version.model.name, version=version.version).order_by(
        "-created_at", "-id"
    )


def versions_by_number(model: RegisteredModel, numbers: list[int]) -> list[ModelVersion]:
    return list(model.versions.filter(version__in=numbers).select_related("created_by"))


def onnx_state(version: ModelVersion) -> dict:
    """How the version is served and why, as the version page and API show it."""
    form = getattr(version, "onnx", None)  # None: never compiled (SERVING_ONNX was off)
    if form is None:
        return {"runtime": "sklearn", "status": "not_compiled", "reason": "not compiled to ONNX (SERVING_ONNX is off)"}
    return {
        "runtime": "onnx" if form.served and settings.SERVING_ONNX else "sklearn",
        "status": form.status,
        "status_display": form.get_status_display(),
        "reason": form.reason,
        "sha256": form.sha256 or None,
        "size": form.size,
        "equivalence": form.equivalence,
        "latency_ms": form.latency_ms,
        "converter": form.converter,
        "updated_at": form.updated_at,
    }


def policy_list(model: RegisteredModel) -> QuerySet[Policy]:
    return Policy.objects.filter(model=model).select_related("model", "updated_by").order_by("target")


def policy_get(model: RegisteredModel, target: str) -> Policy:
    """`target` as services.canonical_target spells it."""
    found = policy_list(model).filter(target=target).first()
    if found is None:
        raise NotFound(f"model {model.name} has no policy for {target}")
    return found


def approval_list(version: ModelVersion) -> QuerySet[Approval]:
    return version.approvals.select_related("version", "approver").order_by("created_at", "id")
