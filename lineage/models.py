"""The OpenLineage store: raw events (append-only) and what they fold into.

Raw `LineageEvent` rows are the record; namespaces, jobs, runs, datasets, dataset
versions and IO edges are derived from them by `lineage.folding` and can always be
rebuilt. Facets are kept as sent (unknown ones too) with, per facet name, the
eventTime that set it, so a late, older event never overwrites a newer facet.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

# Names and namespaces are capped in bytes so the unique indexes stay within PostgreSQL's
# index-row limit; events are refused with a 400 naming the field beyond that.
MAX_NAME_BYTES = 1024


class EventKind(models.TextChoices):
    RUN = "RunEvent", "RunEvent"
    DATASET = "DatasetEvent", "DatasetEvent"
    JOB = "JobEvent", "JobEvent"


class ForwardState(models.TextChoices):
    OFF = "", "not forwarded (no OPENLINEAGE_URL)"
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class LineageEvent(models.Model):
    """One OpenLineage event as received. Never updated, except for forwarding status."""

    kind = models.CharField(max_length=16, choices=EventKind.choices)
    event_type = models.CharField(max_length=16, blank=True, default="")
    event_time = models.DateTimeField()
    run_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    payload = models.JSONField()
    size_bytes = models.PositiveIntegerField(default=0)
    # sha256 over (runId, eventType, eventTime, canonical body): a re-sent event is stored once.
    dedupe_key = models.CharField(max_length=64, unique=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    forward_state = models.CharField(max_length=8, choices=ForwardState.choices, blank=True, default="")
    forward_attempts = models.PositiveIntegerField(default=0)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    forward_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-event_time", "-id"]
        indexes = [
            models.Index(fields=["event_time", "id"], name="lineage_event_time_idx"),
            models.Index(fields=["forward_state", "id"], name="lineage_event_forward_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_type} {self.event_time:%Y-%m-%d %H:%M:%S}"


class PendingFold(models.Model):
    """A stored event not yet folded into the graph. Ingestion inserts it with the event
    (one transaction); `lineage.backlog` folds pending events in batches and deletes
    these rows. A row stays, with `error`, only for an event that could not be folded."""

    event = models.OneToOneField(LineageEvent, primary_key=True, on_delete=models.CASCADE, related_name="pending_fold")
    error = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"event {self.event_id}" + (f" (failed: {self.error[:80]})" if self.error else "")


class Namespace(models.Model):
    name = models.CharField(max_length=MAX_NAME_BYTES, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FacetedNode(models.Model):
    """What jobs and datasets share: identity, latest facets and when each was set."""

    namespace = models.ForeignKey(Namespace, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=MAX_NAME_BYTES)
    facets = models.JSONField(default=dict, blank=True)
    facet_times = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["namespace__name", "name"]

    def __str__(self) -> str:
        return f"{self.namespace.name}:{self.name}"

    def facet_field(self, facet: str, field: str) -> object:
        value = self.facets.get(facet)
        return value.get(field) if isinstance(value, dict) else None


class Job(FacetedNode):
    latest_run = models.ForeignKey("Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta(FacetedNode.Meta):
        constraints = [models.UniqueConstraint(fields=["namespace", "name"], name="unique_job_name")]

    @property
    def type(self) -> str:
        streaming = self.facet_field("jobType", "processingType") in ("STREAMING", "SERVICE")
        return "STREAM" if streaming else "BATCH"

    @property
    def description(self) -> str | None:
        return self.facet_field("documentation", "description")

    @property
    def location(self) -> str | None:
        return self.facet_field("sourceCodeLocation", "url")

    @property
    def sql(self) -> str | None:
        return self.facet_field("sql", "query")


class Dataset(FacetedNode):
    # From the datasetType facet, else from the namespace scheme (see folding.dataset_type).
    type = models.CharField(max_length=32, default="DB_TABLE")
    current_version = models.ForeignKey(
        "DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(FacetedNode.Meta):
        constraints = [models.UniqueConstraint(fields=["namespace", "name"], name="unique_dataset_name")]

    @property
    def is_model(self) -> bool:
        return self.type == "MODEL"

    @property
    def fields(self) -> list[dict]:
        fields = self.facet_field("schema", "fields")
        return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []

    @property
    def description(self) -> str | None:
        return self.facet_field("documentation", "description")

    @property
    def source_name(self) -> str:
        return self.facet_field("dataSource", "name") or "default"

    @property
    def lifecycle_state(self) -> str:
        return self.facet_field("lifecycleStateChange", "lifecycleStateChange") or ""


class RunState(models.TextChoices):
    NEW = "NEW", "new"
    RUNNING = "RUNNING", "running"
    COMPLETED = "COMPLETED", "completed"
    ABORTED = "ABORTED", "aborted"
    FAILED = "FAILED", "failed"


TERMINAL_STATES = frozenset({RunState.COMPLETED, RunState.ABORTED, RunState.FAILED})


class Run(models.Model):
    uuid = models.UUIDField(unique=True)
    # The runId as sent when it was not a UUID (then `uuid` is derived from it).
    source_id = models.CharField(max_length=255, blank=True, default="")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.NEW)
    state_time = models.DateTimeField(null=True, blank=True)
    first_event_time = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    facets = models.JSONField(default=dict, blank=True)
    facet_times = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_event_time", "-id"]
        indexes = [models.Index(fields=["job", "-first_event_time"], name="lineage_run_job_time_idx")]

    def __str__(self) -> str:
        return f"{self.uuid} ({self.state})"

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.ended_at:
            return int((self.ended_at - self.started_at).total_seconds() * 1000)
        return None


class DatasetVersion(models.Model):
    """A dataset's content facets (schema, version, lifecycle) as one immutable version:
    a new row only when that content changes, never one per run (Marquez #3082)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    uuid = models.UUIDField()
    content_hash = models.CharField(max_length=64)
    content = models.JSONField(default=dict)
    created_by_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-event_time", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "content_hash"], name="unique_dataset_content"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} @ {self.uuid}"


class Direction(models.TextChoices):
    IN = "in", "input"
    OUT = "out", "output"


class JobIO(models.Model):
    """A directed edge: dataset -> job (IN) or job -> dataset (OUT). Edges accumulate;
    an event that lists no inputs reports nothing, it does not remove edges."""

    # No single-column indexes: the unique constraint and the dataset index below lead
    # with these columns, and every index costs on the ingestion path.
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="io", db_index=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="io", db_index=False)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "direction", "dataset"], name="unique_job_io"),
        ]
        # The traversal walks both ways: job -> its datasets and dataset -> its jobs.
        indexes = [models.Index(fields=["dataset", "direction", "job"], name="lineage_io_dataset_idx")]

    def __str__(self) -> str:
        return f"{self.job} {self.direction} {self.dataset}"


class RunIO(models.Model):
    """Which dataset version a run read or wrote, with its input/output facets."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="io", db_index=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    dataset_version = models.ForeignKey(
        DatasetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    facets = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "direction", "dataset"], name="unique_run_io"),
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.direction} {self.dataset}"
