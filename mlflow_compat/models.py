"""What the mlflow client logs before it registers a version (experiments, runs, their
metrics and inputs, MLflow 3 logged models), and where an MLflow-registered version came
from. Times the client sends are epoch milliseconds and are kept as it sent them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registry.models import ModelVersion


class Experiment(models.Model):
    """An MLflow experiment. Id 0 is MLflow's "Default", created when first used."""

    name = models.CharField(max_length=500, unique=True)
    tags = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class Run(models.Model):
    """An MLflow run: its params and tags as JSON objects, metrics in RunMetric."""

    run_id = models.CharField(max_length=32, primary_key=True)
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="runs")
    name = models.CharField(max_length=250, blank=True, default="")
    user_id = models.CharField(max_length=256, blank=True, default="")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    start_time = models.BigIntegerField(null=True, blank=True)
    end_time = models.BigIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    # [{"model_id", "step"}]: the logged models this run produced (runs/outputs).
    outputs = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or self.run_id


class RunMetric(models.Model):
    """One logged point of a metric; a metric's history is all its points."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="metric_points")
    key = models.CharField(max_length=250)
    value = models.FloatField(null=True)  # None: NaN, which SQLite cannot store
    timestamp = models.BigIntegerField()
    step = models.BigIntegerField(default=0)
    model_id = models.CharField(max_length=64, blank=True, default="")
    dataset_name = models.CharField(max_length=500, blank=True, default="")
    dataset_digest = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["run_id", "key", "step", "timestamp", "id"]
        indexes = [models.Index(fields=["run", "key"], name="run_metric_key_idx")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.key}={self.value}"


class RunInput(models.Model):
    """A dataset a run read (mlflow.log_input): its MLflow description and input tags."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="dataset_inputs")
    name = models.CharField(max_length=500)
    digest = models.CharField(max_length=64)
    dataset = models.JSONField(default=dict)  # name, digest, source_type, source, schema, profile
    tags = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "name", "digest"], name="unique_run_dataset")]

    def __str__(self) -> str:
        return f"{self.run_id} <- {self.name}"


class LoggedModelStatus(models.TextChoices):
    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED"


class LoggedModel(models.Model):
    """An MLflow 3 logged model (`models:/m-<id>`): files under its artifact folder."""

    model_id = models.CharField(max_length=64, primary_key=True)
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="logged_models")
    name = models.CharField(max_length=500)
    source_run_id = models.CharField(max_length=32, blank=True, default="", db_index=True)
    model_type = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=32, choices=LoggedModelStatus.choices, default=LoggedModelStatus.PENDING)
    status_message = models.TextField(blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.model_id


class VersionSource(models.Model):
    """Where an MLflow-registered version came from: the `source` the client gave and
    the folder of the artifact store it resolved to. The version's own bytes are the
    content-addressed zip of that folder, so later writes there never change it."""

    version = models.OneToOneField(ModelVersion, on_delete=models.CASCADE, related_name="mlflow_source")
    source = models.CharField(max_length=1000)
    location = models.CharField(max_length=1000, blank=True, default="")
    model_id = models.CharField(max_length=64, blank=True, default="")
    run_link = models.CharField(max_length=1000, blank=True, default="")

    def __str__(self) -> str:
        return self.source
