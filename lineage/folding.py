"""Folding parsed events into namespaces, jobs, runs, datasets, versions and edges.

Works on a batch: the events of a batch are applied in order to rows held in memory,
then written with a fixed number of set-based statements whatever the batch's size
(bulk inserts and updates), so folding many events costs little more than folding
one. Order-independent and idempotent: facets carry the eventTime that set them, run
state never leaves a terminal state for a non-terminal one, edges only accumulate.
One folder at a time (`lineage.backlog` holds the lock), inside its transaction.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, Q, QuerySet

from lineage.events import DatasetRef, ParsedEvent
from lineage.models import (
    TERMINAL_STATES,
    Dataset,
    DatasetVersion,
    Direction,
    EventKind,
    Job,
    JobIO,
    Namespace,
    Run,
    RunIO,
    RunState,
)

# Facets that describe a dataset's content: a change in any of them is a new version.
CONTENT_FACETS = ("schema", "version", "lifecycleStateChange")
STATE_OF_EVENT = {
    "START": RunState.RUNNING,
    "RUNNING": RunState.RUNNING,
    "COMPLETE": RunState.COMPLETED,
    "ABORT": RunState.ABORTED,
    "FAIL": RunState.FAILED,
}
STREAM_SCHEMES = ("kafka", "kinesis", "pubsub", "pulsar", "eventhubs")
FILE_SCHEMES = ("s3", "s3a", "gs", "gcs", "hdfs", "file", "abfss", "wasbs", "dbfs")
_VERSION_NAMESPACE = uuid.UUID("6f1d3a0c-6a55-4d0e-9a53-1f4b1b0e7c11")
RUN_FIELDS = ["state", "state_time", "first_event_time", "started_at", "ended_at", "facets", "facet_times"]

Key = tuple[str, str]  # (namespace, name) of a job or a dataset


def fold(events: list[ParsedEvent]) -> None:
    """Fold `events`, in order, into the graph."""
    namespaces = Namespaces(events)
    jobs, jobs_changed = _jobs(events, namespaces)
    runs = _runs(events, jobs, jobs_changed)
    datasets = _datasets(events, namespaces, runs)
    _link(events, jobs, runs, datasets)


# --- creating rows -----------------------------------------------------------------------


class Namespaces:
    """Namespace ids by name, fetched (and created) only when a new job or dataset needs
    one: a batch about known jobs and datasets never looks them up."""

    def __init__(self, events: list[ParsedEvent]):
        self.names = {ref.namespace for event in events for ref in _named(event)}
        self.ids: dict[str, int] | None = None

    def __getitem__(self, name: str) -> int:
        if self.ids is None:
            keys = {(n,) for n in self.names}
            build = lambda key: Namespace(name=key[0])  # noqa: E731
            found = ensure_rows(Namespace.objects.only("id"), keys, match=("name",), build=build)
            self.ids = {key[0]: namespace.pk for key, namespace in found.items()}
        return self.ids[name]


def _named(event: ParsedEvent) -> tuple[DatasetRef, ...]:
    return event.datasets + ((event.job,) if event.job else ())


def ensure_rows(rows: QuerySet, keys: set[tuple], *, match: tuple[str, ...], build) -> dict:
    """Rows of the queryset whose `match` lookups equal each key, the missing ones
    inserted with `build(key)` first: one SELECT when all exist, else INSERT .. ON
    CONFLICT DO NOTHING and one more SELECT, so concurrent writers never fail."""
    found = _existing(rows, keys, match)
    missing = keys - found.keys()
    if missing:
        rows.model.objects.bulk_create([build(key) for key in missing], ignore_conflicts=True)
        found = _existing(rows, keys, match)
    return found


def _existing(rows: QuerySet, keys: set[tuple], match: tuple[str, ...]) -> dict:
    if not keys:
        return {}
    aliases = {f"key_{i}": F(lookup) for i, lookup in enumerate(match)}
    found = {}
    for row in rows.filter(_matching(keys, match)).annotate(**aliases):
        key = tuple(getattr(row, alias) for alias in aliases)
        if key in keys:
            found[key] = row
    return found


def _matching(keys: set[tuple], match: tuple[str, ...]) -> Q:
    """Exactly these keys: one `last IN (...)` per value of the leading lookups (a
    namespace), not every name in every namespace of the batch, which would load the
    cross product (d1..d100 in each of 50 buckets: 5,000 rows for 100 keys)."""
    groups: dict[tuple, set] = defaultdict(set)
    for key in keys:
        groups[key[:-1]].add(key[-1])
    condition = Q()
    for leading, last in groups.items():
        condition |= Q(**dict(zip(match[:-1], leading, strict=True)), **{f"{match[-1]}__in": last})
    return condition


def _save_changed(model, rows, fields: list[str]) -> None:
    """Write these fields of rows that exist, in one statement. An upsert on the primary
    key (INSERT .. ON CONFLICT (id) DO UPDATE), because bulk_update's CASE WHEN per row
    and field costs far more Python than the update itself; auto_now is set on the way."""
    if rows:
        model.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["id"], update_fields=[*fields, "updated_at"]
        )


# --- facets ------------------------------------------------------------------------------


def merge_facets(node, incoming: dict, when: str) -> bool:
    """Apply `incoming` facets sent at `when` onto `node.facets`; True if anything changed.
    A facet is replaced only by one sent at the same time or later; `_deleted` removes it."""
    changed = False
    for name, value in incoming.items():
        if node.facet_times.get(name, "") > when:
            continue
        deleted = isinstance(value, dict) and value.get("_deleted") is True
        if deleted and name in node.facets:
            del node.facets[name]
            changed = True
        elif not deleted and node.facets.get(name) != value:
            node.facets[name] = value
            changed = True
        if node.facet_times.get(name) != when:
            node.facet_times[name] = when
            changed = True
    return changed


# --- jobs and runs -----------------------------------------------------------------------


def _jobs(events: list[ParsedEvent], namespaces: Namespaces) -> tuple[dict[Key, Job], set[Key]]:
    """Every job of the batch (created if new) with its facets merged, and the jobs
    whose facets changed; `_runs` saves them."""
    keys = {event.job.key for event in events if event.job}
    jobs = ensure_rows(
        Job.objects.select_related("latest_run"),
        keys,
        match=("namespace__name", "name"),
        build=lambda key: Job(namespace_id=namespaces[key[0]], name=key[1]),
    )
    changed = set()
    for event in events:
        if event.job and merge_facets(jobs[event.job.key], event.job.facets, event.time_key):
            changed.add(event.job.key)
    return jobs, changed


@dataclass
class Runs:
    """The batch's runs by uuid, and each touched job's latest run (the one that began
    last, by its earliest event)."""

    by_uuid: dict[uuid.UUID, Run] = field(default_factory=dict)
    latest: dict[int, Run] = field(default_factory=dict)  # job id -> run, where it changed
    created: list[Run] = field(default_factory=list)

    def of(self, event: ParsedEvent) -> Run | None:
        """The run a RunEvent is about; None for dataset and job events."""
        return self.by_uuid.get(event.run_uuid) if event.kind == EventKind.RUN else None


def _runs(events: list[ParsedEvent], jobs: dict[Key, Job], jobs_changed: set[Key]) -> Runs:
    """Apply the batch's run events to existing runs (one SELECT) and new ones, then
    write them (one INSERT for the new, one UPDATE for the changed) and the jobs whose
    facets or latest run changed (one UPDATE)."""
    wanted = {event.run_uuid for event in events if event.kind == EventKind.RUN}
    runs = Runs(by_uuid={run.uuid: run for run in Run.objects.filter(uuid__in=wanted)} if wanted else {})
    known = {run.pk: run for run in runs.by_uuid.values()}
    for job in jobs.values():  # one object per run, so in-batch changes are what is compared
        if job.latest_run_id in known:
            job.latest_run = known[job.latest_run_id]
    created, changed = {}, set()
    for event in events:
        if event.kind != EventKind.RUN:
            continue
        job = jobs[event.job.key]
        run = runs.by_uuid.get(event.run_uuid)
        if run is None:
            run = Run(uuid=event.run_uuid, job=job, source_id=event.run_source_id, first_event_time=event.event_time)
            runs.by_uuid[run.uuid] = created[run.uuid] = run
            began_earlier = True
        else:
            began_earlier = event.event_time < run.first_event_time
            run.first_event_time = min(run.first_event_time, event.event_time)
        if _advance_state(run, event) | merge_facets(run, event.run_facets, event.time_key) | began_earlier:
            changed.add(run.uuid)
        if began_earlier and run.job_id == job.pk:
            _maybe_latest(runs, job, run)
    runs.created = Run.objects.bulk_create(created.values())  # sets their ids (PostgreSQL, SQLite 3.35+)
    _save_changed(Run, [runs.by_uuid[key] for key in changed - created.keys()], RUN_FIELDS)
    changed_jobs = {jobs[key].pk: jobs[key] for key in jobs_changed} | {job.pk: job for job in _with_latest(jobs, runs)}
    _save_changed(Job, list(changed_jobs.values()), ["facets", "facet_times", "latest_run"])
    return runs


def next_state(current: str, current_time: datetime | None, incoming: str, incoming_time: datetime) -> bool:
    """Whether an event of state `incoming` at `incoming_time` replaces the run's state.
    Terminal beats non-terminal whatever the order; otherwise the later event wins."""
    if (current in TERMINAL_STATES) != (incoming in TERMINAL_STATES):
        return incoming in TERMINAL_STATES
    return current_time is None or incoming_time > current_time


def _advance_state(run: Run, event: ParsedEvent) -> bool:
    changed = False
    incoming = STATE_OF_EVENT.get(event.event_type)
    if incoming == RunState.RUNNING and (run.started_at is None or event.event_time < run.started_at):
        run.started_at, changed = event.event_time, True
    if incoming and next_state(run.state, run.state_time, incoming, event.event_time):
        run.state, run.state_time = incoming, event.event_time
        run.ended_at = event.event_time if incoming in TERMINAL_STATES else None
        changed = True
    return changed


def _maybe_latest(runs: Runs, job: Job, run: Run) -> None:
    """The job's latest run is the one that began last (by its earliest event)."""
    current = runs.latest.get(job.pk, job.latest_run)
    if current is None or (current is not run and run.first_event_time >= current.first_event_time):
        runs.latest[job.pk] = run


def _with_latest(jobs: dict[Key, Job], runs: Runs) -> list[Job]:
    """Jobs whose latest run changed, pointed at it (now that new runs have ids)."""
    changed = [job for job in jobs.values() if job.pk in runs.latest and job.latest_run_id != runs.latest[job.pk].pk]
    for job in changed:
        job.latest_run = runs.latest[job.pk]
    return changed


# --- datasets ----------------------------------------------------------------------------


def dataset_type(namespace: str, facets: dict) -> str:
    declared = facets.get("datasetType")
    if isinstance(declared, dict) and isinstance(declared.get("datasetType"), str) and declared["datasetType"]:
        return declared["datasetType"].upper()
    scheme = namespace.split("://", 1)[0].lower() if "://" in namespace else namespace.lower()
    if scheme in STREAM_SCHEMES:
        return "STREAM"
    return "FILE" if scheme in FILE_SCHEMES else "DB_TABLE"


@dataclass
class Datasets:
    """The batch's datasets, and which content version each had after each event."""

    by_key: dict[Key, Dataset]
    version_ids: dict[tuple[int, str], int]  # (dataset id, content hash) -> version id
    after_event: list[dict[Key, str | None]]  # per event: dataset -> content hash

    def version_id(self, event_index: int, key: Key) -> int | None:
        digest = self.after_event[event_index].get(key)
        return self.version_ids[(self.by_key[key].pk, digest)] if digest else None


def _datasets(events: list[ParsedEvent], namespaces: Namespaces, runs: Runs) -> Datasets:
    """Every dataset of the batch, created if new, with the facets the events report
    merged in order; a new version only where the content changed."""
    keys = {ref.key for event in events for ref in event.datasets}
    datasets = Datasets(
        by_key=ensure_rows(
            Dataset.objects.select_related("current_version").defer("current_version__content"),
            keys,
            match=("namespace__name", "name"),
            build=lambda key: Dataset(namespace_id=namespaces[key[0]], name=key[1], type=dataset_type(key[0], {})),
        ),
        version_ids={},
        after_event=[],
    )
    digests = {}
    for key, dataset in datasets.by_key.items():
        if dataset.current_version_id:
            digests[key] = dataset.current_version.content_hash
            datasets.version_ids[(dataset.pk, digests[key])] = dataset.current_version_id
    changed, new_versions = set(), {}
    for event in events:
        producer = runs.of(event)
        for key, facets in _merged_facets(event).items():
            dataset = datasets.by_key[key]
            if not merge_facets(dataset, facets, event.time_key):
                continue
            changed.add(key)
            dataset.type = dataset_type(key[0], dataset.facets)
            digest, content = content_hash(dataset.facets)
            if content and digest != digests.get(key):
                digests[key] = digest
                if (dataset.pk, digest) not in datasets.version_ids and (dataset.pk, digest) not in new_versions:
                    made_by = producer if _is_output(event, key) else None
                    new_versions[(dataset.pk, digest)] = _version(dataset, key, digest, content, event, made_by)
        datasets.after_event.append({ref.key: digests.get(ref.key) for ref in event.datasets})
    _save_versions(datasets, new_versions)
    for key in changed & digests.keys():
        dataset = datasets.by_key[key]
        dataset.current_version_id = datasets.version_ids[(dataset.pk, digests[key])]
    rows = [datasets.by_key[key] for key in changed]
    _save_changed(Dataset, rows, ["facets", "facet_times", "type", "current_version"])
    return datasets


def _merged_facets(event: ParsedEvent) -> dict[Key, dict]:
    """Facets sent for each dataset of the event across its inputs and outputs (outputs
    last); datasets it sends no facets for are left out."""
    merged: dict[Key, dict] = {}
    for ref in event.datasets:
        if ref.facets:
            merged.setdefault(ref.key, {}).update(ref.facets)
    return merged


def _is_output(event: ParsedEvent, key: Key) -> bool:
    return any(ref.key == key for ref in event.outputs)


def _version(dataset: Dataset, key: Key, digest: str, content: dict, event: ParsedEvent, run: Run | None):
    return DatasetVersion(
        dataset=dataset,
        content_hash=digest,
        uuid=uuid.uuid5(_VERSION_NAMESPACE, f"{key[0]}\n{key[1]}\n{digest}"),
        content=content,
        created_by_run=run,
        event_time=event.event_time,
    )


def _save_versions(datasets: Datasets, new_versions: dict[tuple[int, str], DatasetVersion]) -> None:
    """Insert the versions first seen in this batch (an identical one already stored
    is kept as it is) and learn every one's id."""
    if not new_versions:
        return
    DatasetVersion.objects.bulk_create(new_versions.values(), ignore_conflicts=True)
    stored = DatasetVersion.objects.filter(
        dataset_id__in={pk for pk, _ in new_versions}, content_hash__in={digest for _, digest in new_versions}
    ).values_list("dataset_id", "content_hash", "id")
    for dataset_id, digest, pk in stored:
        if (dataset_id, digest) in new_versions:
            datasets.version_ids[(dataset_id, digest)] = pk


def content_hash(facets: dict) -> tuple[str, dict]:
    """Hash of the content facets, ignoring `_producer`/`_schemaURL` so a client upgrade
    is not a new version of the data."""
    content = {name: facets[name] for name in CONTENT_FACETS if name in facets}
    stripped = {
        name: {k: v for k, v in value.items() if not k.startswith("_")} if isinstance(value, dict) else value
        for name, value in content.items()
    }
    body = json.dumps(stripped, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest(), content


# --- edges -------------------------------------------------------------------------------


def _link(events: list[ParsedEvent], jobs: dict[Key, Job], runs: Runs, datasets: Datasets) -> None:
    """Job edges (accumulating) and run edges (which version each run read or wrote,
    with the input/output facets merged): one INSERT each."""
    job_edges, run_edges = set(), {}
    for index, event in enumerate(events):
        if event.job is None:
            continue
        job = jobs[event.job.key]
        run = runs.of(event)
        io = [(Direction.IN, ref) for ref in event.inputs] + [(Direction.OUT, ref) for ref in event.outputs]
        for direction, ref in io:
            dataset_id = datasets.by_key[ref.key].pk
            job_edges.add((job.pk, direction, dataset_id))
            if run is not None:
                row = run_edges.setdefault(
                    (run.pk, direction, dataset_id), RunIO(run=run, direction=direction, dataset_id=dataset_id)
                )
                row.dataset_version_id = datasets.version_id(index, ref.key)
                row.facets.update(ref.io_facets)
    JobIO.objects.bulk_create(
        [JobIO(job_id=job, direction=d, dataset_id=pk) for job, d, pk in job_edges], ignore_conflicts=True
    )
    _save_run_edges(run_edges, runs)


def _save_run_edges(rows: dict[tuple[int, str, int], RunIO], runs: Runs) -> None:
    if not rows:
        return
    with_facets = any(row.facets for row in rows.values())
    if with_facets:
        earlier_runs = {key[0] for key in rows} - {run.pk for run in runs.created}
        stored = RunIO.objects.filter(run_id__in=earlier_runs)
        for run_id, direction, dataset_id, facets in stored.values_list("run_id", "direction", "dataset_id", "facets"):
            row = rows.get((run_id, direction, dataset_id))
            if row is not None:
                row.facets = {**facets, **row.facets}
    RunIO.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["run", "direction", "dataset"],
        update_fields=["dataset_version", "facets"] if with_facets else ["dataset_version"],
    )
