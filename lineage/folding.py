"""Folding one parsed event into namespaces, jobs, runs, datasets, versions and edges.

Order-independent and idempotent: facets carry the eventTime that set them, run state
never leaves a terminal state for a non-terminal one, edges only accumulate. Rows that
several events may change at once are locked in a fixed order (job, run, datasets by
id), so concurrent events never deadlock. Runs inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime

from django.db import connection
from django.db.models import F

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


def fold(event: ParsedEvent) -> None:
    namespaces = Namespaces(event)
    job = _job(event, namespaces) if event.job else None
    run = _run(event, job) if event.kind == EventKind.RUN else None
    datasets = _datasets(event, namespaces, run)
    if job is not None:
        _link(job, run, event, datasets)


# --- creating rows -----------------------------------------------------------------------


class Namespaces:
    """Namespace ids by name, fetched (and created) only when a new job or dataset needs
    one: an event about known jobs and datasets never looks them up."""

    def __init__(self, event: ParsedEvent):
        self.names = {ref.namespace for ref in event.datasets} | ({event.job.namespace} if event.job else set())
        self.ids: dict[str, int] | None = None

    def __getitem__(self, name: str) -> int:
        if self.ids is None:
            keys = {(n,) for n in self.names}
            found = ensure_rows(Namespace, keys, match=("name",), fields=("id",), build=lambda k: Namespace(name=k[0]))
            self.ids = {key[0]: namespace.pk for key, namespace in found.items()}
        return self.ids[name]


def ensure_rows(model, keys: set[tuple], *, match: tuple[str, ...], fields: tuple[str, ...], build) -> dict:
    """Rows of `model` whose `match` lookups equal each key (only `fields` loaded), the
    missing ones inserted with `build(key)` first: one SELECT when all exist, else
    INSERT .. ON CONFLICT DO NOTHING and one more SELECT, so concurrent events creating
    the same rows never fail."""
    found = _existing(model, keys, match, fields)
    missing = keys - found.keys()
    if missing:
        model.objects.bulk_create([build(key) for key in missing], ignore_conflicts=True)
        found = _existing(model, keys, match, fields)
    return found


def _existing(model, keys: set[tuple], match: tuple[str, ...], fields: tuple[str, ...]) -> dict:
    if not keys:
        return {}
    filters = {f"{lookup}__in": {key[i] for key in keys} for i, lookup in enumerate(match)}
    aliases = {f"key_{i}": F(lookup) for i, lookup in enumerate(match)}
    found = {}
    for row in model.objects.filter(**filters).only(*fields).annotate(**aliases):
        key = tuple(getattr(row, alias) for alias in aliases)
        if key in keys:
            found[key] = row
    return found


def insert_unless_present(row, unique_field: str) -> bool:
    """INSERT .. ON CONFLICT (unique_field) DO NOTHING RETURNING id (PostgreSQL, SQLite
    3.35+): one statement that tells a new row from one already there, even when both
    copies arrive at once, with no savepoint. True (and `row.pk` set) if inserted. The
    ORM's bulk_create cannot say which rows it skipped."""
    model = type(row)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    quote = connection.ops.quote_name
    columns, placeholders = ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
    conflict = quote(model._meta.get_field(unique_field).column)
    # Only quoted names from the model's own metadata go into the text; values are parameters.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
    sql += f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote(model._meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    row.pk, row._state.adding = inserted[0], False
    return True


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


def _job(event: ParsedEvent, namespaces: Namespaces) -> Job:
    """The job, locked first: every later lock of the event comes after it."""
    ref = event.job
    lookup = {"namespace__name": ref.namespace, "name": ref.name}
    locking = Job.objects.select_related("latest_run").select_for_update(of=("self",))
    job = locking.filter(**lookup).first()
    if job is None:
        Job.objects.get_or_create(namespace_id=namespaces[ref.namespace], name=ref.name)
        job = locking.get(**lookup)
    if merge_facets(job, ref.facets, event.time_key):
        job.save(update_fields=["facets", "facet_times", "updated_at"])
    return job


def _run(event: ParsedEvent, job: Job) -> Run:
    # A START usually begins a new run: try the insert first, look it up only if it exists.
    locking = Run.objects.select_for_update()
    run = None if event.event_type == "START" else locking.filter(uuid=event.run_uuid).first()
    if run is None:
        created = _create_run(event, job)
        if created is not None:
            _maybe_latest(job, created)
            return created
        run = locking.get(uuid=event.run_uuid)
    changed = _advance_state(run, event)
    changed |= merge_facets(run, event.run_facets, event.time_key)
    began_earlier = event.event_time < run.first_event_time
    if began_earlier:
        run.first_event_time = event.event_time
    if changed or began_earlier:
        run.save()
    if began_earlier and run.job_id == job.pk:
        _maybe_latest(job, run)
    return run


def _create_run(event: ParsedEvent, job: Job) -> Run | None:
    """The run inserted as this event leaves it; None if it exists (a concurrent or
    earlier event inserted it)."""
    run = Run(uuid=event.run_uuid, job=job, source_id=event.run_source_id, first_event_time=event.event_time)
    _advance_state(run, event)
    merge_facets(run, event.run_facets, event.time_key)
    return run if insert_unless_present(run, "uuid") else None


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


def _maybe_latest(job: Job, run: Run) -> None:
    """The job's latest run is the one that began last (by its earliest event)."""
    current = job.latest_run
    if current is None or (current.pk != run.pk and run.first_event_time >= current.first_event_time):
        job.latest_run = run
        job.save(update_fields=["latest_run", "updated_at"])


# --- datasets ----------------------------------------------------------------------------


def dataset_type(namespace: str, facets: dict) -> str:
    declared = facets.get("datasetType")
    if isinstance(declared, dict) and isinstance(declared.get("datasetType"), str) and declared["datasetType"]:
        return declared["datasetType"].upper()
    scheme = namespace.split("://", 1)[0].lower() if "://" in namespace else namespace.lower()
    if scheme in STREAM_SCHEMES:
        return "STREAM"
    return "FILE" if scheme in FILE_SCHEMES else "DB_TABLE"


def _datasets(event: ParsedEvent, namespaces: Namespaces, run: Run | None) -> dict[tuple[str, str], Dataset]:
    """Every dataset of the event, created if new; those it reports facets for are
    locked (in id order) and updated."""
    refs = {(ref.namespace, ref.name): ref for ref in event.datasets}

    def build(key: tuple[str, str]) -> Dataset:
        return Dataset(namespace_id=namespaces[key[0]], name=key[1], type=dataset_type(key[0], refs[key].facets))

    datasets = ensure_rows(
        Dataset, set(refs), match=("namespace__name", "name"), fields=("id", "current_version_id"), build=build
    )
    reporting = [dataset.pk for key, dataset in datasets.items() if _merged_facets(event, key)]
    if reporting:
        locking = Dataset.objects.select_related("current_version").select_for_update(of=("self",))
        locked = {d.pk: d for d in locking.filter(pk__in=reporting).order_by("pk")}
        for key, dataset in datasets.items():
            if dataset.pk in locked:
                datasets[key] = locked[dataset.pk]
                _update_dataset(datasets[key], key, event, run if _is_output(event, key) else None)
    return datasets


def _merged_facets(event: ParsedEvent, key: tuple[str, str]) -> dict:
    """Facets sent for one dataset across the event's inputs and outputs (outputs last)."""
    merged: dict = {}
    for ref in event.datasets:
        if (ref.namespace, ref.name) == key:
            merged.update(ref.facets)
    return merged


def _is_output(event: ParsedEvent, key: tuple[str, str]) -> bool:
    return any((ref.namespace, ref.name) == key for ref in event.outputs)


def _update_dataset(dataset: Dataset, key: tuple[str, str], event: ParsedEvent, producer: Run | None) -> None:
    """Merge the facets the event reports; a new version only if the content changed."""
    if not merge_facets(dataset, _merged_facets(event, key), event.time_key):
        return
    dataset.type = dataset_type(key[0], dataset.facets)
    version = _version_for(dataset, key, event, producer)
    if version is not None:
        dataset.current_version = version
    dataset.save(update_fields=["facets", "facet_times", "type", "current_version", "updated_at"])


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


def _version_for(dataset: Dataset, key: tuple[str, str], event: ParsedEvent, run: Run | None) -> DatasetVersion | None:
    digest, content = content_hash(dataset.facets)
    if not content:
        return None
    if dataset.current_version_id and dataset.current_version.content_hash == digest:
        return dataset.current_version
    version, _ = DatasetVersion.objects.get_or_create(
        dataset=dataset,
        content_hash=digest,
        defaults={
            "uuid": uuid.uuid5(_VERSION_NAMESPACE, f"{key[0]}\n{key[1]}\n{digest}"),
            "content": content,
            "created_by_run": run,
            "event_time": event.event_time,
        },
    )
    return version


# --- edges -------------------------------------------------------------------------------


def _link(job: Job, run: Run | None, event: ParsedEvent, datasets: dict) -> None:
    io = [(Direction.IN, ref) for ref in event.inputs] + [(Direction.OUT, ref) for ref in event.outputs]
    edges = {(direction, datasets[(ref.namespace, ref.name)].pk) for direction, ref in io}
    JobIO.objects.bulk_create(
        [JobIO(job=job, direction=d, dataset_id=pk) for d, pk in edges],
        ignore_conflicts=True,
    )
    if run is not None:
        _link_run(run, io, datasets)


def _link_run(run: Run, io: list[tuple[str, DatasetRef]], datasets: dict) -> None:
    rows = {}
    for direction, ref in io:
        dataset = datasets[(ref.namespace, ref.name)]
        row = rows.setdefault((direction, dataset.pk), RunIO(run=run, direction=direction, dataset=dataset))
        row.dataset_version_id = dataset.current_version_id
        row.facets.update(ref.io_facets)
    RunIO.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["run", "direction", "dataset"],
        update_fields=["dataset_version"],
    )
    for row in rows.values():
        if row.facets:
            _merge_io_facets(run, row)


def _merge_io_facets(run: Run, row: RunIO) -> None:
    stored = RunIO.objects.select_for_update().get(run=run, direction=row.direction, dataset_id=row.dataset_id)
    merged = {**stored.facets, **row.facets}
    if merged != stored.facets:
        stored.facets = merged
        stored.save(update_fields=["facets"])
