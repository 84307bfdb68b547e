"""Every read of the lineage store, for the API, the pages and the graph."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from django.db.models import Q, QuerySet

from lineage import runlevel
from lineage.column_lineage import ColumnLineage, read
from lineage.drawing import node_href
from lineage.events import run_uuid
from lineage.models import Dataset, DatasetVersion, Direction, Job, JobIO, LineageEvent, Namespace, Run, RunIO
from registry_site.errors import NotFound


def namespace_list(*, limit: int, offset: int) -> list[Namespace]:
    return list(Namespace.objects.order_by("name")[offset : offset + limit])


def namespace_get(name: str) -> Namespace:
    namespace = Namespace.objects.filter(name=name).first()
    if namespace is None:
        raise NotFound(f"no namespace {name!r}")
    return namespace


def _page(rows: QuerySet, *, namespace: str | None, limit: int, offset: int) -> tuple[list, int]:
    if namespace is not None:
        rows = rows.filter(namespace=namespace_get(namespace))
    rows = rows.order_by("namespace__name", "name")
    return list(rows[offset : offset + limit]), rows.count()


def job_list(*, namespace: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list[Job], int]:
    jobs = Job.objects.select_related("namespace", "latest_run")
    return _page(jobs, namespace=namespace, limit=limit, offset=offset)


def dataset_list(*, namespace: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list[Dataset], int]:
    datasets = Dataset.objects.select_related("namespace", "current_version")
    return _page(datasets, namespace=namespace, limit=limit, offset=offset)


def dataset_get(namespace: str, name: str) -> Dataset:
    found = (
        Dataset.objects.select_related("namespace", "current_version")
        .filter(namespace__name=namespace, name=name)
        .first()
    )
    if found is None:
        raise NotFound(f"no dataset {name!r} in namespace {namespace!r}")
    return found


def column_lineage(dataset: Dataset) -> ColumnLineage | None:
    """The dataset's latest `columnLineage` facet, each input column linked to its
    dataset's page; None when no producer sent one."""
    if "columnLineage" not in dataset.facets:
        return None
    found = read(dataset.facets["columnLineage"], [field.get("name") for field in dataset.fields])
    return found.linked({key: node_href(known) for key, known in _datasets_by_key(found).items()})


def _datasets_by_key(lineage: ColumnLineage, *, chunk: int = 500) -> dict[tuple[str, str], Dataset]:
    """The stored datasets the input columns name. In chunks, so a facet naming thousands
    of datasets stays within the database's limit on query parameters."""
    keys = sorted({column.key for column in lineage.inputs()})
    found = {}
    for start in range(0, len(keys), chunk):
        wanted = set(keys[start : start + chunk])
        rows = Dataset.objects.select_related("namespace").filter(
            namespace__name__in={namespace for namespace, _ in wanted}, name__in={name for _, name in wanted}
        )
        found.update({(d.namespace.name, d.name): d for d in rows if (d.namespace.name, d.name) in wanted})
    return found


def job_get(namespace: str, name: str) -> Job:
    found = Job.objects.select_related("namespace", "latest_run").filter(namespace__name=namespace, name=name).first()
    if found is None:
        raise NotFound(f"no job {name!r} in namespace {namespace!r}")
    return found


def job_io(job_ids: list[int]) -> dict[int, dict[str, list[dict]]]:
    """For each job, every dataset it read ("in") and wrote ("out"), sorted."""
    io: dict = defaultdict(lambda: {Direction.IN.value: [], Direction.OUT.value: []})
    rows = JobIO.objects.filter(job_id__in=job_ids).values_list(
        "job_id", "direction", "dataset__namespace__name", "dataset__name"
    )
    for job_id, direction, namespace, name in rows.order_by("dataset__namespace__name", "dataset__name"):
        io[job_id][direction].append({"namespace": namespace, "name": name})
    return io


def dataset_jobs(dataset: Dataset) -> dict[str, list[Job]]:
    """The jobs that wrote ("out") and read ("in") the dataset."""
    edges = JobIO.objects.filter(dataset=dataset).select_related("job__namespace", "job__latest_run")
    found: dict = {Direction.OUT.value: [], Direction.IN.value: []}
    for edge in edges.order_by("job__namespace__name", "job__name"):
        found[edge.direction].append(edge.job)
    return found


def job_datasets(job: Job) -> dict[str, list[Dataset]]:
    """The datasets a job read ("in") and wrote ("out")."""
    edges = JobIO.objects.filter(job=job).select_related("dataset__namespace")
    found: dict = {Direction.IN.value: [], Direction.OUT.value: []}
    for edge in edges.order_by("dataset__namespace__name", "dataset__name"):
        found[edge.direction].append(edge.dataset)
    return found


def recently_updated(*, limit: int = 20) -> list[Dataset | Job]:
    datasets = Dataset.objects.select_related("namespace").order_by("-updated_at")[:limit]
    jobs = Job.objects.select_related("namespace").order_by("-updated_at")[:limit]
    return sorted([*datasets, *jobs], key=lambda node: node.updated_at, reverse=True)[:limit]


def dataset_versions(dataset: Dataset, *, limit: int = 50) -> list[DatasetVersion]:
    return list(dataset.versions.select_related("created_by_run").order_by("-event_time", "-id")[:limit])


def job_runs(job: Job, *, limit: int = 50) -> list[Run]:
    return list(job.runs.order_by("-first_event_time", "-id")[:limit])


def run_get(run_id: str) -> Run:
    """A run by its UUID, or by the non-UUID runId it was sent with."""
    try:
        key = uuid.UUID(run_id) if len(run_id) == 36 else run_uuid(run_id)
    except ValueError:
        key = run_uuid(run_id)
    found = Run.objects.select_related("job__namespace").filter(uuid=key).first()
    if found is None:
        raise NotFound(f"no run {run_id!r}")
    return found


def run_io(run: Run) -> dict[str, list[dict]]:
    """Marquez's inputDatasetVersions / outputDatasetVersions of one run."""
    found: dict = {Direction.IN.value: [], Direction.OUT.value: []}
    rows = RunIO.objects.filter(run=run).select_related("dataset__namespace", "dataset_version")
    for row in rows.order_by("dataset__namespace__name", "dataset__name"):
        version = row.dataset_version
        found[row.direction].append(
            {
                "datasetVersionId": {
                    "namespace": row.dataset.namespace.name,
                    "name": row.dataset.name,
                    "version": str(version.uuid) if version else None,
                },
                "facets": row.facets,
            }
        )
    return found


def event_list(
    *, before: datetime, after: datetime, limit: int, offset: int, ascending: bool = False
) -> tuple[list[dict], int]:
    """Raw events with before > eventTime > after, newest first unless `ascending`."""
    events = LineageEvent.objects.filter(event_time__lt=before, event_time__gt=after)
    order = ("event_time", "id") if ascending else ("-event_time", "-id")
    page = events.order_by(*order).values_list("payload", flat=True)[offset : offset + limit]
    return list(page), events.count()


def search(text: str, *, limit: int = 50) -> list[Dataset | Job]:
    """Datasets and jobs whose name or namespace contains `text`, datasets first."""
    match = Q(name__icontains=text) | Q(namespace__name__icontains=text)
    datasets = Dataset.objects.select_related("namespace").filter(match).order_by("namespace__name", "name")
    jobs = Job.objects.select_related("namespace").filter(match).order_by("namespace__name", "name")
    return [*datasets[:limit], *jobs[:limit]]


def model_version_inputs(model_name: str, version: int) -> list[dict[str, str]] | None:
    """`{namespace, name}` of each dataset read by the runs that produced a model
    version: what its graph shows upstream. None while lineage has no such version."""
    found = Dataset.objects.filter(namespace__name=model_name, name=str(version), type="MODEL")
    ids = set(found.values_list("pk", flat=True))
    if not ids:
        return None
    return [{"namespace": d.namespace.name, "name": d.name} for d in runlevel.version_inputs(ids)]
