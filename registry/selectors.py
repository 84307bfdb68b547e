"""Every read of the registry, shaped for the API, the UI and serving."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Max, Prefetch, Q, QuerySet

from registry.models import (
    SERVING_STAGES,
    Alias,
    Approval,
    AuditAction,
    AuditEntry,
    Holding,
    ModelGrant,
    ModelVersion,
    OnnxCompilation,
    Policy,
    RegisteredModel,
    Stage,
)
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


def onnx_form_get(version: ModelVersion) -> OnnxCompilation:
    """The version's ONNX form that serving would use (converted, proven equivalent)."""
    form = getattr(version, "onnx", None)  # None without a compilation row
    if form is None or not form.served:
        raise NotFound(f"version {version.version} of {version.model.name} has no accepted ONNX form")
    return form


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


# --- what served when --------------------------------------------------------------------


def serving_targets(model: RegisteredModel) -> dict[str, int]:
    """Each stage and alias that serves a version of `model` now, and which version:
    `{"Production": 3, "@champion": 2}`. A stage serves its newest version."""
    aliases = Alias.objects.filter(model=model).values_list("name", "version__version")
    targets = {f"@{name}": number for name, number in aliases}
    stages = ModelVersion.objects.filter(model=model, stage__in=SERVING_STAGES).values("stage")
    targets |= {row["stage"]: row["newest"] for row in stages.annotate(newest=Max("version"))}
    return targets


def serving_from_audit(model: RegisteredModel):
    """What each stage and alias of `model` served after each change its audit log
    records, oldest first: (when, the model's name then, {"Production": 3, "@champion": 2})."""
    stages: dict[int, str] = {}
    aliases: dict[str, int] = {}
    entries, served = _audit_of(model), None
    for entry in entries:
        version = entry.version
        if entry.action == AuditAction.VERSION_CREATE:
            stages[version] = Stage.NONE
        elif entry.action == AuditAction.STAGE:
            stages[version] = entry.to_value
        elif entry.action == AuditAction.ALIAS_SET:
            aliases[entry.to_value.rpartition("@")[0]] = version
        elif entry.action == AuditAction.ALIAS_DELETE:
            aliases.pop(entry.from_value.rpartition("@")[0], None)
        elif entry.action == AuditAction.VERSION_DELETE:
            stages.pop(version, None)
            aliases = {alias: number for alias, number in aliases.items() if number != version}
        targets = {f"@{alias}": number for alias, number in aliases.items()}
        for stage in SERVING_STAGES:
            holders = [number for number, held in stages.items() if held == stage]
            if holders:
                targets[stage] = max(holders)
        if (entry.model_name, targets) != served:
            served = (entry.model_name, targets)
            yield entry.created_at, entry.model_name, targets


def _audit_of(model: RegisteredModel) -> list[AuditEntry]:
    """The audit entries of `model` under each name it has had (following renames back),
    since the last time a model of one of those names was deleted."""
    names, name = [model.name], model.name
    while True:
        rename = AuditEntry.objects.filter(action=AuditAction.MODEL_RENAME, to_value=name).exclude(from_value__in=names)
        rename = rename.order_by("-id").first()
        if rename is None:
            break
        name = rename.from_value
        names.append(name)
    entries = AuditEntry.objects.filter(model_name__in=names).order_by("created_at", "id")
    deleted = entries.filter(action=AuditAction.MODEL_DELETE).last()
    return list(entries.filter(id__gt=deleted.id) if deleted else entries)


def serving_history(model: RegisteredModel) -> QuerySet[Holding]:
    """Every span during which a version served a stage or an alias, newest first."""
    return model.holdings.order_by("-began_at", "-id")


def serving_at(model: RegisteredModel, at) -> dict[str, dict[str, int]]:
    """Which version served each stage and each alias at the moment `at`:
    `{"stages": {"Production": 3}, "aliases": {"champion": 2}}`."""
    held = model.holdings.filter(began_at__lte=at).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
    found: dict[str, dict[str, int]] = {"stages": {}, "aliases": {}}
    for holding in held.order_by("began_at", "id"):
        kind = "aliases" if holding.target.startswith("@") else "stages"
        found[kind][holding.target.removeprefix("@")] = holding.version
    return found


def previous_holder(model: RegisteredModel, target: str, current: int) -> ModelVersion | None:
    """The version that served `target` (a stage, or "@" and an alias) before `current`
    did, skipping versions deleted since: where a rollback returns it."""
    earlier = model.holdings.filter(target=target, ended_at__isnull=False).exclude(version=current)
    existing = set(model.versions.values_list("version", flat=True))
    for number in earlier.order_by("-ended_at", "-id").values_list("version", flat=True):
        if number in existing:
            return model.versions.get(version=number)
    return None


def rollback_targets(model: RegisteredModel, serving: dict[str, int]) -> list[dict]:
    """For each stage and alias serving now, the version a rollback would return it to."""
    found = []
    for target, current in sorted(serving.items()):
        previous = previous_holder(model, target, current)
        if previous is not None:
            found.append({"target": target, "current": current, "previous": previous.version})
    return found


def grant_list(model: RegisteredModel) -> QuerySet[ModelGrant]:
    return model.grants.select_related("user", "group").order_by("id")


def user_get(username: str):
    found = get_user_model().objects.filter(username=username).first()
    if found is None:
        raise NotFound(f"no user {username!r}")
    return found


def group_get(name: str) -> Group:
    found = Group.objects.filter(name=name).first()
    if found is None:
        raise NotFound(f"no group {name!r}")
    return found


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
