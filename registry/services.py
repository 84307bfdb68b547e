"""Every write to the registry. API views, admin actions, management commands and the
MLflow-compatible endpoints all come through here."""

from __future__ import annotations

import functools
import logging
import math
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lineage import services as lineage_services
from lineage.datasets import dataset_ref
from registry import artifacts, formats, gates, selectors
from registry.artifacts import IncomingArtifact
from registry.auth import CREATE_MODEL, DELETE_MODEL, EDIT_MODEL, PROMOTE, UPLOAD, may
from registry.compilation.services import onnx_compile_scheduled
from registry.models import (
    ALIAS_PATTERN,
    SERVING_STAGES,
    Alias,
    Approval,
    AuditAction,
    AuditEntry,
    GrantLevel,
    Holding,
    ModelGrant,
    ModelVersion,
    Policy,
    RegisteredModel,
    Stage,
    name_problem,
)
from registry_site import inputs
from registry_site.errors import AlreadyExists, Conflict, Forbidden, InvalidParameter, NotFound, PromotionBlocked
from webhooks.services import webhook_event_record

log = logging.getLogger(__name__)

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
MAX_TAG_KEY = 250
MAX_TAG_VALUE = 5000
# Unpacked MLflow directories may legitimately be larger than the archive.
UNPACK_FACTOR = 4


# --- checks shared by the services -------------------------------------------------------


def require(actor, permission: str, model: RegisteredModel | str | None = None) -> None:
    """`actor` holds `permission` on every model, or through a grant on `model` (the
    model or its name). actor=None is the system itself (management commands, migrations)."""
    name = model.name if isinstance(model, RegisteredModel) else model
    if actor is not None and not may(actor, permission, name):
        where = f" on model {name}" if name else ""
        raise Forbidden(f"{actor.get_username() or 'anonymous'} lacks the permission {permission}{where}")


def pinned_refusal(actor, *, model: RegisteredModel, version: ModelVersion | None = None, doing: str) -> str | None:
    """Why `actor` may not do what `doing` names ("renaming it") to `model`, or to one
    `version` of it, or None. Stages (None excluded) and aliases are what clients pin and
    serving resolves, so changing what they answer is the promoter role's alone, even for
    a user otherwise allowed the write. actor=None is the system; superusers hold every
    permission, the promoter's included."""
    if actor is None or may(actor, PROMOTE, model.name):
        return None
    versions = model.versions.filter(pk=version.pk) if version else model.versions.all()
    stages = sorted(set(versions.exclude(stage=Stage.NONE).values_list("stage", flat=True)))
    aliases = sorted(Alias.objects.filter(version__in=versions).values_list("name", flat=True))
    if not stages and not aliases:
        return None
    pins = [f"stage{'s' if len(stages) > 1 else ''} {', '.join(stages)}"] if stages else []
    if aliases:
        pins.append(f"alias{'es' if len(aliases) > 1 else ''} {', '.join(aliases)}")
    subject = f"version {version.version} of model '{model.name}'" if version else f"model '{model.name}'"
    return f"{subject} is served through {' and '.join(pins)}: {doing} needs the promoter role"


def require_unpinned(actor, *, model: RegisteredModel, version: ModelVersion | None = None, doing: str) -> None:
    """Forbidden unless `actor` may change what a stage or alias of `model` serves (see
    `pinned_refusal`). Call inside the write's transaction: it locks the model row, as
    promotions do, so none can pin a version between this check and the write."""
    _lock_model(model.pk)
    refusal = pinned_refusal(actor, model=model, version=version, doing=doing)
    if refusal:
        raise Forbidden(refusal)


def check_name(name: object, *, field: str = "name") -> str:
    problem = name_problem(name, what=field)
    if problem:
        raise InvalidParameter(problem)
    return name


def check_tags(tags: object, *, field: str = "tags") -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidParameter(f"{field} must be a JSON object of string keys and values")
    for key, value in tags.items():
        check_tag(key, value, field=field)
    return dict(tags)


def check_tag(key: object, value: object, *, field: str = "tags") -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_TAG_KEY or CONTROL_CHARS.search(key):
        raise InvalidParameter(f"{field}: key {key!r} must be 1-{MAX_TAG_KEY} printable characters")
    if not isinstance(value, str) or len(value) > MAX_TAG_VALUE:
        raise InvalidParameter(f"{field}.{key} must be a string of at most {MAX_TAG_VALUE} characters")


def check_params(params: object) -> dict:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise InvalidParameter("params must be a JSON object")
    for key, value in params.items():
        if not isinstance(value, str | int | float | bool | type(None)):
            raise InvalidParameter(f"params.{key} must be a string, number, boolean or null")
    return dict(params)


def check_metrics(metrics: object) -> dict[str, float]:
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise InvalidParameter("metrics must be a JSON object of numbers")
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidParameter(f"metrics.{key} must be a finite number, got {value!r}")
    return dict(metrics)


def check_inputs(inputs: object) -> list[dict[str, str]]:
    if inputs is None:
        return []
    if not isinstance(inputs, list):
        raise InvalidParameter("inputs must be a JSON list of dataset URIs or {namespace, name} objects")
    refs = []
    for index, item in enumerate(inputs):
        try:
            refs.append(dataset_ref(item))
        except ValueError as exc:
            raise InvalidParameter(f"inputs[{index}]: {exc}") from None
    return refs


def check_text(value: object, *, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidParameter(f"{field} must be a string of at most {limit} characters")
    return inputs.without_nul(value, field=field)


def canonical_stage(stage: object) -> str:
    """MLflow matches stage names case-insensitively."""
    for choice in Stage.values:
        if isinstance(stage, str) and stage.strip().lower() == choice.lower():
            return choice
    raise InvalidParameter(f"stage must be one of {', '.join(Stage.values)}, not {stage!r}")


def check_alias(alias: object) -> str:
    if not isinstance(alias, str) or not ALIAS_PATTERN.fullmatch(alias):
        raise InvalidParameter(
            "alias must be 1-256 letters, digits, '_' or '-' (no '/', '.', spaces or control characters)"
        )
    reserved = alias.isdigit() or alias.lower() == "latest" or re.fullmatch(r"v\d+", alias)
    if reserved or alias.lower() in (s.lower() for s in Stage.values):
        raise InvalidParameter(f"alias {alias!r} is reserved: it would read as a version, 'latest' or a stage")
    return alias


def _audit(*, actor, model_name: str, action: str, version=None, before="", after="", comment=""):
    AuditEntry.objects.create(
        model_name=model_name,
        version=version,
        action=action,
        from_value=str(before),
        to_value=str(after),
        comment=check_text(comment, field="comment", limit=65536),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None else "system",
    )


# --- registered models -----------------------------------------------------------------


def registered_model_create(*, actor, name: str, description: str = "", tags: dict | None = None) -> RegisteredModel:
    """Create a model; AlreadyExists if the name is taken."""
    require(actor, CREATE_MODEL)
    check_name(name)
    fields = {
        "description": check_text(description, field="description", limit=65536),
        "tags": check_tags(tags),
    }
    try:
        with transaction.atomic():
            return RegisteredModel.objects.create(name=name, created_by=_user(actor), **fields)
    except IntegrityError:
        raise AlreadyExists(f"Registered Model (name={name}) already exists.") from None


def registered_model_update(*, actor, model: RegisteredModel, description=None, tags=None) -> RegisteredModel:
    """Change description and/or replace tags; None leaves a field as it is."""
    require(actor, EDIT_MODEL, model)
    if description is not None:
        model.description = check_text(description, field="description", limit=65536)
    if tags is not None:
        model.tags = check_tags(tags)
    model.save(update_fields=["description", "tags", "updated_at"])
    return model


@transaction.atomic
def registered_model_delete(*, actor, model: RegisteredModel, comment: str = "") -> None:
    """Delete a model with its versions and aliases. Artifacts stay: other versions may
    share their bytes, and the audit log keeps the hashes' history."""
    require(actor, DELETE_MODEL, model)
    require_unpinned(actor, model=model, doing="deleting it")
    count = model.versions.count()
    _audit(
        actor=actor, model_name=model.name, action=AuditAction.MODEL_DELETE, before=f"{count} versions", comment=comment
    )
    _end_holdings(model.holdings.filter(ended_at=None), timezone.now())
    model.delete()


@transaction.atomic
def registered_model_rename(*, actor, model: RegisteredModel, new_name: str) -> RegisteredModel:
    """Rename a model (MLflow's rename); audited, AlreadyExists if the name is taken.
    Audit entries and lineage written before keep the old name: they record history.
    Editors (uploaders) rename models that no stage or alias serves; promoters any model."""
    if actor is None or not may(actor, PROMOTE, model.name):  # promoters may already delete models
        require(actor, EDIT_MODEL, model)
    check_name(new_name, field="new_name")
    require_unpinned(actor, model=model, doing="renaming it")
    old_name = model.name
    if new_name == old_name:
        return model
    model.name = new_name
    try:
        with transaction.atomic():
            model.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise AlreadyExists(f"Registered Model (name={new_name}) already exists.") from None
    _audit(actor=actor, model_name=new_name, action=AuditAction.MODEL_RENAME, before=old_name, after=new_name)
    _sync_serving(model)
    return model


@transaction.atomic
def registered_model_tag_set(*, actor, model: RegisteredModel, key: str, value: str | None) -> RegisteredModel:
    """Set one tag, or remove it when `value` is None, under the model's row lock so
    concurrent writers of different tags do not undo each other."""
    require(actor, EDIT_MODEL, model)
    locked = RegisteredModel.objects.select_for_update().get(pk=model.pk)
    return registered_model_update(actor=actor, model=locked, tags=_with_tag(locked.tags, key, value))


@transaction.atomic
def model_version_tag_set(*, actor, version: ModelVersion, key: str, value: str | None) -> ModelVersion:
    """As `registered_model_tag_set`, for one tag of a version."""
    require(actor, EDIT_MODEL, version.model)
    locked = ModelVersion.objects.select_for_update().get(pk=version.pk)
    return model_version_update(actor=actor, version=locked, tags=_with_tag(locked.tags, key, value))


def _with_tag(tags: dict, key: str, value: str | None) -> dict:
    if value is None:
        return {k: v for k, v in tags.items() if k != key}
    check_tag(key, value)
    return {**tags, key: value}


# --- versions --------------------------------------------------------------------------


def model_version_create(
    *,
    actor,
    model_name: str,
    artifact: IncomingArtifact,
    declared_format: str | None = None,
    description: str = "",
    params: dict | None = None,
    metrics: dict | None = None,
    inputs: list | None = None,
    run_id: str = "",
    tags: dict | None = None,
    environment: dict | None = None,
) -> ModelVersion:
    """Register a new version of `model_name` (created if missing) from spooled bytes.

    Order matters: validate everything, scan and inspect the artifact, store its bytes,
    and only then insert the row, so a refused or failed upload leaves no version behind.
    Bytes that were already streaming to S3 as they arrived (a declared sha256) become
    visible only at the store step, so refused bytes never become an object either.
    """
    require(actor, UPLOAD, model_name if isinstance(model_name, str) else None)
    check_name(model_name)
    fields = {
        "description": check_text(description, field="description", limit=65536),
        "params": check_params(params),
        "metrics": check_metrics(metrics),
        "inputs": check_inputs(inputs),
        "run_id": check_text(run_id, field="run_id", limit=64),
        "tags": check_tags(tags),
    }
    declared_env = _check_environment(environment)
    inspection = formats.inspect_artifact(
        artifact.path,
        declared_format=declared_format or None,
        max_unpacked_bytes=settings.REGISTRY_MAX_UPLOAD_BYTES * UNPACK_FACTOR,
    )
    artifacts.store(artifact)
    fields.update(_artifact_fields(artifact, inspection, declared_env))
    version = _insert_version(actor=actor, model_name=model_name, fields=fields)
    _record_lineage(version)
    _schedule_onnx(version)
    return version


def _schedule_onnx(version: ModelVersion) -> None:
    """Compile to ONNX (usually in the background). The version is committed: a
    failure here is logged, never turned into a failed upload."""
    try:
        onnx_compile_scheduled(version=version)
    except Exception:
        log.exception("could not schedule the ONNX compilation of %s", version)


def _record_lineage(version: ModelVersion) -> None:
    """inputs -> train.<model> -> the version, through lineage's ingestion (deduped,
    folded, forwarded). The version is already committed: a lineage failure is logged,
    never turned into a failed upload."""
    try:
        lineage_services.model_version_lineage_record(
            model_name=version.model.name,
            version=version.version,
            inputs=version.inputs,
            event_time=version.created_at,
            source_run_id=version.run_id,
        )
    except Exception:
        log.exception("could not record the lineage of %s", version)


def _check_environment(environment: object) -> dict[str, str]:
    if environment is None:
        return {}
    if not isinstance(environment, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in environment.items()
    ):
        raise InvalidParameter('environment must be a JSON object of strings, e.g. {"python": "3.11.7"}')
    return environment


def _artifact_fields(artifact: IncomingArtifact, inspection, declared_env: dict) -> dict:
    found = {k: v for k, v in inspection.environment.items() if v}
    return {
        "artifact_sha256": artifact.sha256,
        "artifact_size": artifact.size,
        "artifact_format": inspection.format,
        "flavor": inspection.flavor,
        "serialization": inspection.serialization,
        "estimator_class": inspection.estimator_class,
        "trusted_types": list(inspection.trusted_types),
        "signature": inspection.signature,
        "input_example": inspection.input_example,
        "environment": {**inspection.environment, **found, **declared_env},
    }


@transaction.atomic
def _insert_version(*, actor, model_name: str, fields: dict) -> ModelVersion:
    model = _model_for_new_version(actor, model_name)
    number = model.last_version_number + 1
    RegisteredModel.objects.filter(pk=model.pk).update(last_version_number=number, updated_at=timezone.now())
    version = ModelVersion.objects.create(model=model, version=number, created_by=_user(actor), **fields)
    # In the version's transaction: no version without its upload entry, and no entry for a
    # version that was never committed.
    _audit(
        actor=actor,
        model_name=model.name,
        version=number,
        action=AuditAction.VERSION_CREATE,
        after=f"sha256:{fields['artifact_sha256']}",
    )
    webhook_event_record("model_version.created", _version_event(version))
    return version


def _model_for_new_version(actor, model_name: str) -> RegisteredModel:
    """The model row, locked until commit: that lock is what makes numbers gap-free."""
    model = RegisteredModel.objects.select_for_update().filter(name=model_name).first()
    if model is not None:
        return model
    require(actor, CREATE_MODEL)
    model, _ = RegisteredModel.objects.get_or_create(name=model_name, defaults={"created_by": _user(actor)})
    return RegisteredModel.objects.select_for_update().get(pk=model.pk)


def model_version_update(*, actor, version: ModelVersion, description=None, tags=None) -> ModelVersion:
    require(actor, EDIT_MODEL, version.model)
    if description is not None:
        version.description = check_text(description, field="description", limit=65536)
    if tags is not None:
        version.tags = check_tags(tags)
    version.save(update_fields=["description", "tags", "updated_at"])
    return version


@transaction.atomic
def model_version_delete(*, actor, version: ModelVersion, comment: str = "") -> None:
    """Delete one version; its number is never reused (the model's counter stays)."""
    require(actor, DELETE_MODEL, version.model)
    require_unpinned(actor, model=version.model, version=version, doing="deleting it")
    _audit(
        actor=actor,
        model_name=version.model.name,
        version=version.version,
        action=AuditAction.VERSION_DELETE,
        before=version.stage,
        comment=comment,
    )
    model = version.model
    version.delete()
    _sync_serving(model)


# --- promotion ---------------------------------------------------------------------------


def _announcing_blocks(promotion):
    """Receivers hear of a blocked promotion once its transaction has rolled back: a
    delivery recorded inside it would be rolled back with it."""

    @functools.wraps(promotion)
    def announcing(*args, **kwargs):
        try:
            return promotion(*args, **kwargs)
        except PromotionBlocked as blocked:
            webhook_event_record("promotion.blocked", blocked.event | blocked.details)
            raise

    return announcing


@_announcing_blocks
@transaction.atomic
def model_version_transition_stage(
    *,
    actor,
    version: ModelVersion,
    stage: str,
    archive_existing: bool = False,
    comment: str = "",
    override: bool = False,
) -> ModelVersion:
    """Move a version to a stage; with archive_existing, the stage's other holders move
    to Archived in the same transaction. Every change is audited. A policy on the stage
    whose checks fail blocks the move (PromotionBlocked) unless staff `override` it."""
    require(actor, PROMOTE, version.model)
    target = canonical_stage(stage)
    comment = check_text(comment, field="comment", limit=4096)
    _check_override(actor, override, comment)
    _lock_model(version.model_id)
    version.refresh_from_db(fields=["stage"])
    if version.stage != target:
        _gate(actor, version, target, override=override, comment=comment)
    touched = {version.version} if version.stage != target else set()
    if archive_existing and target in SERVING_STAGES:
        touched |= _archive_holders(actor, version, target, comment)
    if version.stage != target:
        _audit(
            actor=actor,
            model_name=version.model.name,
            version=version.version,
            action=AuditAction.STAGE,
            before=version.stage,
            after=target,
            comment=comment,
        )
        webhook_event_record("model_version.stage_changed", _stage_event(version, version.stage, target))
        version.stage = target
        version.save(update_fields=["stage", "updated_at"])
    if touched:  # a move to the stage it already has, archiving nothing, changes nothing
        _sync_serving(version.model, touched=touched)
    return version


def _archive_holders(actor, version: ModelVersion, stage: str, comment: str) -> set[int]:
    """Move the stage's other versions to Archived; their numbers."""
    holders = ModelVersion.objects.filter(model_id=version.model_id, stage=stage).exclude(pk=version.pk)
    numbers = set(holders.values_list("version", flat=True))
    for holder in holders:
        _audit(
            actor=actor,
            model_name=version.model.name,
            version=holder.version,
            action=AuditAction.STAGE,
            before=stage,
            after=Stage.ARCHIVED,
            comment=comment or f"archived by promotion of version {version.version}",
        )
        webhook_event_record(
            "model_version.stage_changed", _stage_event(version, stage, Stage.ARCHIVED, number=holder.version)
        )
    holders.update(stage=Stage.ARCHIVED, updated_at=timezone.now())
    return numbers


def _lock_model(model_id: int) -> None:
    """Serialise promotions of one model, so two concurrent promotions cannot both win."""
    RegisteredModel.objects.select_for_update().filter(pk=model_id).exists()


@_announcing_blocks
@transaction.atomic
def alias_set(
    *, actor, model: RegisteredModel, alias: str, version: ModelVersion, comment: str = "", override: bool = False
) -> Alias:
    """Point `alias` at `version` (creating or moving it). A policy on the alias whose
    checks fail blocks it (PromotionBlocked) unless staff `override` it."""
    require(actor, PROMOTE, model)
    check_alias(alias)
    if version.model_id != model.pk:
        raise InvalidParameter(f"version {version.version} does not belong to model {model.name}")
    _check_override(actor, override, comment)
    _lock_model(model.pk)
    current = Alias.objects.filter(model=model, name=alias).select_related("version").first()
    if current is None or current.version_id != version.pk:
        _gate(actor, version, alias, override=override, comment=comment)
    before = current.version.version if current else ""
    if current is None:
        current = Alias.objects.create(model=model, name=alias, version=version)
    elif current.version_id != version.pk:
        current.version = version
        current.save(update_fields=["version", "updated_at"])
    if before != version.version:
        _audit(
            actor=actor,
            model_name=model.name,
            version=version.version,
            action=AuditAction.ALIAS_SET,
            before=f"{alias}@{before}" if before else "",
            after=f"{alias}@{version.version}",
            comment=comment,
        )
        webhook_event_record(
            "alias.set", {**_alias_event(model, alias, version.version), "previous_version": before or None}
        )
        _sync_serving(model, touched={version.version, before} - {""})
    return current


@transaction.atomic
def alias_delete(*, actor, model: RegisteredModel, alias: str, comment: str = "") -> None:
    require(actor, PROMOTE, model)
    current = Alias.objects.filter(model=model, name=alias).select_related("version").first()
    if current is None:
        raise NotFound(f"Registered model alias {alias} not found for model {model.name}.")
    _audit(
        actor=actor,
        model_name=model.name,
        version=current.version.version,
        action=AuditAction.ALIAS_DELETE,
        before=f"{alias}@{current.version.version}",
        comment=comment,
    )
    current.delete()
    _sync_serving(model, touched={current.version.version})
    webhook_event_record("alias.deleted", _alias_event(model, alias, current.version.version))


# --- webhook events: what receivers are told (webhooks.services) -------------------------


def _version_event(version: ModelVersion) -> dict:
    return {
        "name": version.model.name,
        "version": version.version,
        "sha256": version.artifact_sha256,
        "format": version.artifact_format,
        "created_by": version.created_by.get_username() if version.created_by else None,
    }


def _stage_event(version: ModelVersion, before: str, after: str, *, number: int | None = None) -> dict:
    """`number`: another version of the same model (one archived by `version`'s promotion)."""
    return {"name": version.model.name, "version": number or version.version, "from": before, "to": after}


def _alias_event(model: RegisteredModel, alias: str, version: int) -> dict:
    return {"name": model.name, "alias": alias, "version": version}


@transaction.atomic
def serving_rollback(*, actor, model: RegisteredModel, target: str, comment: str = "") -> ModelVersion:
    """Return a serving stage or an alias (`target`: "Production", or "@champion") to the
    version that served it before the current one. An alias moves back; for a stage the
    earlier version re-enters it and the current one is archived. Audited as the stage and
    alias changes it makes, with a comment that names the rollback."""
    require(actor, PROMOTE, model)
    comment = check_text(comment, field="comment", limit=4096)
    _lock_model(model.pk)
    named = f"alias {target[1:]}" if target.startswith("@") else f"stage {target}"
    current = selectors.serving_targets(model).get(target)
    if current is None:
        raise Conflict(f"{named} of model {model.name} serves no version: there is nothing to roll back")
    previous = selectors.previous_holder(model, target, current)
    if previous is None:
        raise Conflict(f"{named} of model {model.name} has served no other version that still exists")
    note = f"rollback of {named} from version {current} to {previous.version}" + (f": {comment}" if comment else "")
    token = _rolling_back.set(True)
    try:
        if target.startswith("@"):
            alias_set(actor=actor, model=model, alias=target[1:], version=previous, comment=note)
        else:
            # In first, then the current one out: the stage never serves a third version between.
            model_version_transition_stage(actor=actor, version=previous, stage=target, comment=note)
            holder = model.versions.get(version=current)
            model_version_transition_stage(actor=actor, version=holder, stage=Stage.ARCHIVED, comment=note)
    finally:
        _rolling_back.reset(token)
    return previous


# Set while a rollback makes its moves: the policies' checks are not run again on them.
_rolling_back: ContextVar[bool] = ContextVar("rolling_back", default=False)


def serving_target(*, stage: str | None = None, alias: str | None = None) -> str:
    """The key of a stage that serves ("Production") or of an alias ("@champion")."""
    if alias is not None:
        return "@" + check_alias(alias)
    canonical = canonical_stage(stage)
    if canonical not in SERVING_STAGES:
        raise InvalidParameter(f"stage {canonical} serves no version: only {' and '.join(SERVING_STAGES)} do")
    return canonical


# --- permissions on one model -------------------------------------------------------------


@transaction.atomic
def model_grant_set(*, actor, model: RegisteredModel, level: str, user=None, group=None) -> ModelGrant:
    """Give one user or one group READ, EDIT or MANAGE on `model` (replacing what it had).
    Staff, and whoever may manage the model, may grant; audited."""
    require_grantor(actor, model)
    if level not in GrantLevel.values:
        raise InvalidParameter(f"level must be one of {', '.join(GrantLevel.values)}, not {level!r}")
    holder = {"user": user} if user is not None else {"group": group}
    grant = ModelGrant.objects.filter(model=model, **holder).first()
    before = grant.level if grant else ""
    if grant is None:
        grant = ModelGrant.objects.create(model=model, level=level, **holder)
    elif grant.level != level:
        grant.level = level
        grant.save(update_fields=["level"])
    who = _holder_name(grant)
    if before != level:
        _audit(
            actor=actor,
            model_name=model.name,
            action=AuditAction.PERMISSION,
            before=f"{who}:{before}" if before else "",
            after=f"{who}:{level}",
        )
    return grant


@transaction.atomic
def model_grant_delete(*, actor, model: RegisteredModel, user=None, group=None) -> None:
    require_grantor(actor, model)
    holder = {"user": user} if user is not None else {"group": group}
    grant = ModelGrant.objects.filter(model=model, **holder).first()
    if grant is None:
        raise NotFound(f"{'user' if user is not None else 'group'} has no permission on model {model.name}")
    _audit(
        actor=actor, model_name=model.name, action=AuditAction.PERMISSION, before=f"{_holder_name(grant)}:{grant.level}"
    )
    grant.delete()


def require_grantor(actor, model: RegisteredModel) -> None:
    """Staff, or whoever may manage `model`: who may see and change its grants."""
    if actor is not None and not actor.is_staff:
        require(actor, PROMOTE, model)


def _holder_name(grant: ModelGrant) -> str:
    return f"user {grant.user.get_username()}" if grant.user_id else f"group {grant.group.name}"


# --- governed promotion: policies, approvals, the gate -----------------------------------


def canonical_target(target: object) -> str:
    """A stage's canonical name ("production" -> "Production"), or a valid alias name."""
    try:
        return canonical_stage(target)
    except InvalidParameter:
        pass
    try:
        return check_alias(target)
    except InvalidParameter as exc:
        raise InvalidParameter(
            f"target must be a stage ({', '.join(Stage.values)}) or an alias: {exc.message}"
        ) from None


def policy_set(*, actor, model: RegisteredModel, target: str, rules: object) -> Policy:
    """Create or replace the policy of one stage or alias of `model`; 400 naming a bad rule."""
    require(actor, PROMOTE)
    target, rules = canonical_target(target), gates.check_rules(rules)
    policy, _ = Policy.objects.update_or_create(
        model=model, target=target, defaults={"rules": rules, "updated_by": _user(actor)}
    )
    return policy


def policy_delete(*, actor, model: RegisteredModel, target: str) -> None:
    require(actor, PROMOTE)
    deleted, _ = Policy.objects.filter(model=model, target=canonical_target(target)).delete()
    if not deleted:
        raise NotFound(f"model {model.name} has no policy for {target}")


def approval_create(*, actor, version: ModelVersion, target: str, comment: str = "") -> Approval:
    """A promoter's approval of `version` for `target`. Never its uploader's: the point
    is a second pair of eyes. The one place an approval comes into being."""
    require(actor, PROMOTE, version.model)
    target = canonical_target(target)
    comment = check_text(comment, field="comment", limit=4096)
    approver = _user(actor)
    if approver is None:
        raise Forbidden("approvals need a signed-in promoter")
    if version.created_by_id == approver.pk:
        raise Forbidden(
            f"{approver.get_username()} uploaded version {version.version}: another promoter must approve it"
        )
    try:
        with transaction.atomic():
            approval = Approval.objects.create(version=version, target=target, approver=approver, comment=comment)
            event = {"name": version.model.name, "version": version.version, "target": target}
            webhook_event_record("approval.created", event | {"approver": approver.get_username(), "comment": comment})
            return approval
    except IntegrityError:
        raise AlreadyExists(
            f"{approver.get_username()} already approved version {version.version} for {target}"
        ) from None


def promotion_checks(version: ModelVersion, target: str) -> list[gates.Check]:
    """The checks the policy of `target` (a stage or alias) asks of `version`, passed or
    failed; [] when no policy gates that target."""
    target = canonical_target(target)
    policy = Policy.objects.filter(model_id=version.model_id, target=target).first()
    if policy is None:
        return []
    approvers = Approval.objects.filter(version=version, target=target).order_by("created_at", "id")
    return gates.evaluate(
        policy.rules,
        candidate=version,
        current=_serving_now(version, target),
        approvers=[approval.approver.get_username() for approval in approvers.select_related("approver")],
    )


def _serving_now(version: ModelVersion, target: str) -> ModelVersion | None:
    key = target if target in Stage.values else f"@{target}"
    number = selectors.serving_targets(version.model).get(key)
    return None if number is None else ModelVersion.objects.filter(model_id=version.model_id, version=number).first()


def _check_override(actor, override: bool, comment: str) -> None:
    """Before anything is locked: who may override, and that they say why."""
    if not override:
        return
    if actor is not None and not actor.is_staff:
        raise Forbidden("only staff may override a promotion policy")
    if not (comment or "").strip():
        raise InvalidParameter("comment: an override needs a comment saying why")


def _gate(actor, version: ModelVersion, target: str, *, override: bool, comment: str) -> None:
    """Inside the promotion's transaction, after its lock and before any write: raise
    PromotionBlocked if a check fails, or audit the override that lets it through. A
    rollback passes: it restores a version that served the target before."""
    if _rolling_back.get():
        return
    checks = promotion_checks(version, target)
    failed = [check for check in checks if not check.passed]
    if not failed:
        return
    if not override:
        _block(version, target, checks)
    listed = "; ".join(f"{check.name}: {check.detail}" for check in failed)
    _audit(
        actor=actor,
        model_name=version.model.name,
        version=version.version,
        action=AuditAction.OVERRIDE,
        after=target,
        comment=f"{comment}\nFailed checks: {listed}",
    )


def _block(version: ModelVersion, target: str, checks: list[gates.Check]) -> None:
    """The one place a promotion is refused by its policy."""
    failed = "; ".join(f"{check.name} ({check.detail})" for check in checks if not check.passed)
    blocked = PromotionBlocked(
        f"promotion of {version.model.name} version {version.version} to {target} is blocked: {failed}",
        details={"checks": [check.as_dict() for check in checks]},
    )
    blocked.event = {"name": version.model.name, "version": version.version, "target": target}
    raise blocked


# --- what serves: holdings, and their lineage ---------------------------------------------


@transaction.atomic
def serving_sync(*, model: RegisteredModel) -> int:
    """Record what each stage and alias of `model` serves, where no holding says so yet;
    for a model promoted before holdings were kept, replay its audit log first, so its
    history goes back as far as the log does. The number of holdings opened."""
    _lock_model(model.pk)
    before = model.holdings.count()
    if not before:
        for moment, name, targets in selectors.serving_from_audit(model):
            _move_holdings(model, name, targets, moment)
    _sync_serving(model)
    return model.holdings.count() - before


def _sync_serving(model: RegisteredModel, *, touched: set[int] = frozenset()) -> None:
    """After a promotion (inside its transaction): close the holdings that no longer
    hold, open the new ones, and record both, and the stage and aliases of every
    version whose state changed, as lineage."""
    now = timezone.now()
    ended, began = _move_holdings(model, model.name, selectors.serving_targets(model), now)
    changed = touched | {held.version for held in ended + began if held.model_name == model.name}
    _record_version_states(model, changed, now)


def _move_holdings(model: RegisteredModel, name: str, targets: dict[str, int], moment) -> tuple[list, list]:
    """Make the open holdings say `targets` (under the model's name `name`) from `moment`
    on: those that no longer hold end, new ones begin; each recorded as lineage."""
    ended = [
        held
        for held in model.holdings.filter(ended_at=None)
        if targets.get(held.target) != held.version or held.model_name != name
    ]
    _end_holdings(ended, moment)
    still_open = set(model.holdings.filter(ended_at=None).values_list("target", flat=True))
    began = [
        Holding(model=model, model_name=name, target=target, version=number, run_id=uuid.uuid4(), began_at=moment)
        for target, number in targets.items()
        if target not in still_open
    ]
    Holding.objects.bulk_create(began)
    for held in began:
        _record_serving(held, began=True, when=moment)
    return ended, began


def _end_holdings(holdings, now) -> None:
    for held in holdings:
        held.ended_at = now
        held.save(update_fields=["ended_at"])
        _record_serving(held, began=False, when=now)


def _record_serving(held: Holding, *, began: bool, when) -> None:
    with _lineage_refusal_logged(held):
        lineage_services.model_serving_record(
            job_name=held.job_name,
            run_id=held.run_id,
            model_name=held.model_name,
            version=held.version,
            began=began,
            event_time=when,
        )


def _record_version_states(model: RegisteredModel, numbers: set[int], now) -> None:
    versions = ModelVersion.objects.filter(model=model, version__in=numbers).prefetch_related("aliases")
    for version in versions:
        with _lineage_refusal_logged(version):
            lineage_services.model_version_state_record(
                model_name=model.name,
                version=version.version,
                stage=version.stage,
                aliases=[alias.name for alias in version.aliases.all()],
                event_time=now,
            )


@contextmanager
def _lineage_refusal_logged(subject):
    """A promotion does not fail because lineage refused its event (a name past
    lineage's byte limit, say): that is logged. Database errors still roll it back,
    so a promotion and its lineage are stored together."""
    try:
        yield
    except InvalidParameter:
        log.exception("lineage refused the serving record of %s", subject)


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None
