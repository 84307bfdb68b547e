from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

# Letters, digits, "_", "-", "."; the ".." and "/" bans keep names safe in paths and URLs.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
ALIAS_PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,256}")


def name_problem(value: object, *, what: str = "name") -> str | None:
    """Why `value` is not a valid model name, or None when it is."""
    if not isinstance(value, str) or not value:
        return f"{what} must be a non-empty string"
    if len(value) > 256:
        return f"{what} must be at most 256 characters, got {len(value)}"
    if ".." in value:
        return f"{what} must not contain '..'"
    if not NAME_PATTERN.fullmatch(value):
        return (
            f"{what} may contain only letters, digits, '_', '-' and '.' "
            f"(no '/', spaces or control characters): {value!r}"
        )
    return None


def validate_model_name(value: str) -> None:
    problem = name_problem(value)
    if problem:
        raise ValidationError(problem)


class Stage(models.TextChoices):
    NONE = "None", "None"
    STAGING = "Staging", "Staging"
    PRODUCTION = "Production", "Production"
    ARCHIVED = "Archived", "Archived"


class RegisteredModel(models.Model):
    name = models.CharField(max_length=256, unique=True, validators=[validate_model_name])
    description = models.TextField(blank=True, default="")
    tags = models.JSONField(default=dict, blank=True)
    # Version numbers come from this counter, under a row lock: never reused, no gaps.
    last_version_number = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(editable=False)
    description = models.TextField(blank=True, default="")
    tags = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.NONE)

    # The artifact: immutable, content-addressed by sha256.
    artifact_sha256 = models.CharField(max_length=64, editable=False)
    artifact_size = models.BigIntegerField(editable=False)
    artifact_format = models.CharField(max_length=16, editable=False)
    flavor = models.CharField(max_length=32, editable=False)
    serialization = models.CharField(max_length=16, editable=False)
    estimator_class = models.CharField(max_length=512, editable=False)
    trusted_types = models.JSONField(default=list, editable=False)
    signature = models.JSONField(null=True, blank=True, editable=False)
    input_example = models.JSONField(null=True, blank=True, editable=False)
    environment = models.JSONField(default=dict, editable=False)

    # From the training run.
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    inputs = models.JSONField(default=list, blank=True)
    run_id = models.CharField(max_length=64, blank=True, default="")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Newest first, as MLflow's UI lists them: the pages, the API's listings, compare
        # and the admin all take their order from here.
        ordering = ["model_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="unique_version_per_model"),
        ]
        indexes = [models.Index(fields=["model", "stage"], name="version_stage_idx")]
        permissions = [("promote_modelversion", "Can change stages and aliases of versions")]

    def __str__(self) -> str:
        return f"{self.model.name} v{self.version}"


class Alias(models.Model):
    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=256)
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="aliases")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="unique_alias_per_model"),
        ]
        verbose_name_plural = "aliases"

    def __str__(self) -> str:
        return f"{self.model.name}@{self.name}"


# A stage serves its newest version; Archived and None serve nothing.
SERVING_STAGES = (Stage.STAGING, Stage.PRODUCTION)


class Holding(models.Model):
    """A span of time during which a version served a stage or an alias: what
    `/model/<name>/<stage|alias>/invocations` resolved to. Opened and closed on every
    promotion, each span a run of the serving job in lineage."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="holdings")
    model_name = models.CharField(max_length=256)  # as it was named during the span
    target = models.CharField(max_length=300)  # a stage, or "@" and an alias
    version = models.PositiveIntegerField()
    run_id = models.UUIDField(unique=True)
    began_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-began_at", "-id"]
        indexes = [models.Index(fields=["model", "ended_at"], name="holding_open_idx")]

    def __str__(self) -> str:
        return f"{self.model_name}{self.separator}{self.target.lstrip('@')} v{self.version}"

    @property
    def separator(self) -> str:
        return "@" if self.target.startswith("@") else "/"

    @property
    def job_name(self) -> str:
        """The lineage job of this stage or alias: `serve.iris@champion`, `serve.iris/Production`."""
        return f"serve.{self.model_name}{self.separator}{self.target.lstrip('@')}"


class GrantLevel(models.TextChoices):
    """MLflow's permissions on one registered model, each including the ones before it."""

    READ = "READ", "Read"
    EDIT = "EDIT", "Edit (upload versions, change description and tags)"
    MANAGE = "MANAGE", "Manage (promote, delete, grant)"


class ModelGrant(models.Model):
    """A permission on one model for one user or one group, beside the role groups'
    permissions on every model."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    group = models.ForeignKey("auth.Group", null=True, blank=True, on_delete=models.CASCADE)
    level = models.CharField(max_length=8, choices=GrantLevel.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model__name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="grant_to_a_user_or_a_group",
            ),
            models.UniqueConstraint(fields=["model", "user"], name="one_grant_per_model_user"),
            models.UniqueConstraint(fields=["model", "group"], name="one_grant_per_model_group"),
        ]

    def __str__(self) -> str:
        holder = f"user {self.user}" if self.user_id else f"group {self.group}"
        return f"{self.level} on {self.model} for {holder}"


class AuditAction(models.TextChoices):
    VERSION_CREATE = "version_create", "Version registered"
    STAGE = "stage", "Stage change"
    ALIAS_SET = "alias_set", "Alias set"
    ALIAS_DELETE = "alias_delete", "Alias removed"
    MODEL_DELETE = "model_delete", "Model deleted"
    MODEL_RENAME = "model_rename", "Model renamed"
    VERSION_DELETE = "version_delete", "Version deleted"
    PERMISSION = "permission", "Permission change"
    OVERRIDE = "override", "Promotion override"


class AuditEntry(models.Model):
    """Who changed what, when, from what to what, and why. Append-only.

    Names, not foreign keys, so the history outlives the models it describes.
    """

    model_name = models.CharField(max_length=256, db_index=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    from_value = models.CharField(max_length=256, blank=True, default="")
    to_value = models.CharField(max_length=256, blank=True, default="")
    comment = models.TextField(blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.model_name}"


# --- governed promotion: policies and approvals ---------------------------------------


class Policy(models.Model):
    """What a version must show before it may serve `target` of `model`: a stage
    ("Production") or an alias name ("champion"). `rules` as registry.gates reads them."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="policies")
    target = models.CharField(max_length=256)
    rules = models.JSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model_id", "target"]
        constraints = [models.UniqueConstraint(fields=["model", "target"], name="unique_policy_per_target")]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"{self.model.name} → {self.target}"


class Approval(models.Model):
    """A promoter, other than its uploader, vouching for a version serving `target`."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="approvals")
    target = models.CharField(max_length=256)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "target", "approver"], name="unique_approval_per_approver")
        ]

    def __str__(self) -> str:
        return f"{self.version} → {self.target} approved by {self.approver}"


# --- ONNX: a version compiled for ONNX Runtime, served only once proven equivalent --------


class OnnxStatus(models.TextChoices):
    PENDING = "pending", "Compiling"
    CONVERTED = "converted", "Converted"  # outputs matched: ONNX Runtime serves it
    UNSUPPORTED = "unsupported", "Not convertible"  # skl2onnx refused the estimator
    MISMATCH = "mismatch", "Rejected: outputs differ"  # never served
    FAILED = "failed", "Failed"  # anything else (store down, runtime error): never served


class OnnxCompilation(models.Model):
    """The ONNX form of a version and the evidence for serving it.

    The ONNX bytes are content-addressed in the artifact store like the original's and
    verified at every load. A row that is not CONVERTED is never served; it says why.
    """

    version = models.OneToOneField(ModelVersion, on_delete=models.CASCADE, related_name="onnx")
    status = models.CharField(max_length=16, choices=OnnxStatus.choices, default=OnnxStatus.PENDING)
    reason = models.TextField(blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    size = models.BigIntegerField(null=True, blank=True)
    # The equivalence check: rows, where they came from, worst differences, tolerance.
    equivalence = models.JSONField(default=dict, blank=True)
    # Median milliseconds per call: {"sklearn": {"1": ms, "100": ms}, "onnx": {...}}.
    latency_ms = models.JSONField(default=dict, blank=True)
    # skl2onnx, onnx and onnxruntime versions, input tensor type, opset.
    converter = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ONNX compilation"

    def __str__(self) -> str:
        return f"{self.version} ONNX {self.status}"

    @property
    def served(self) -> bool:
        return self.status == OnnxStatus.CONVERTED and bool(self.sha256)
