"""Every write to the lineage store. The HTTP endpoint, the registry (a version's
training lineage) and management commands all record events through here."""

from __future__ import annotations

import json
import logging
import uuid
from contextlib import nullcontext
from datetime import datetime

import orjson
from django.conf import settings
from django.db import connection, transaction
from psycopg.types.json import Jsonb

from lineage import tasks
from lineage.auth import POST
from lineage.events import ParsedEvent, dedupe_key, parse_event
from lineage.models import ForwardState, LineageEvent, PendingFold
from lineage.runlevel import MODEL_VERSION_FACET, SOURCE_RUN_FACET
from registry_site import background
from registry_site.errors import Forbidden

log = logging.getLogger(__name__)

SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
DATASET_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent"
DATASET_TYPE_SCHEMA = (
    "https://openlineage.io/spec/facets/1-0-1/DatasetTypeDatasetFacet.json#/$defs/DatasetTypeDatasetFacet"
)
JOB_TYPE_SCHEMA = "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
PRODUCER = "urn:model-registry:lineage"
# Model versions are datasets of type MODEL named (namespace=<model>, name=<version>),
# so their node id is model:<model>:<version>; their training job lives here.
MODEL_JOB_NAMESPACE = "model-registry"
_RUN_NAMESPACE = uuid.UUID("0b6f7c52-3f1e-4f55-8a7e-3c0f5a8f9d21")


def lineage_event_record(*, actor, document: object, size_bytes: int = 0) -> LineageEvent | None:
    """Validate and store one OpenLineage event, queued for folding; None if it was
    already stored.

    Raises InvalidParameter naming the field for an event that cannot be read, and
    Forbidden when `actor` may not post lineage (actor=None is the system itself).
    The event and its place in the folding queue are stored together or not at all
    (one statement on PostgreSQL, a transaction elsewhere), inside the caller's
    transaction if there is one. After commit, background tasks fold it into the graph
    (lineage.backlog: readers fold anything still pending before they read) and forward
    it to OPENLINEAGE_URL, neither blocking the caller.
    """
    if actor is not None and not actor.has_perm(POST):
        raise Forbidden(f"{actor.get_username() or 'anonymous'} lacks the permission {POST}")
    event = parse_event(document)
    # On PostgreSQL storing is one statement, atomic on its own: no BEGIN and COMMIT
    # round trips around it.
    with nullcontext() if connection.vendor == "postgresql" else transaction.atomic():
        stored = _store(event, actor=actor, size_bytes=size_bytes)
    if stored is None:
        return None
    gather = settings.LINEAGE_BATCH_WAIT_MS / 1000
    background.enqueue_coalesced_after_commit(tasks.fold_events, gather=gather)
    if stored.forward_state == ForwardState.PENDING:
        background.enqueue_coalesced_after_commit(tasks.forward_events, gather=gather)
    return stored


def _store(event: ParsedEvent, *, actor, size_bytes: int) -> LineageEvent | None:
    """The raw event, queued for folding; None if the same event is already stored."""
    row = LineageEvent(
        kind=event.kind,
        event_type=event.event_type,
        event_time=event.event_time,
        run_uuid=event.run_uuid,
        payload=event.payload,
        size_bytes=size_bytes,
        dedupe_key=dedupe_key(event),
        received_by=actor if actor is not None and actor.is_authenticated else None,
        forward_state=ForwardState.PENDING if settings.OPENLINEAGE_URL else ForwardState.OFF,
    )
    return row if _insert_queued(row) else None


def _insert_queued(row: LineageEvent) -> bool:
    """INSERT .. ON CONFLICT (dedupe_key) DO NOTHING RETURNING id (PostgreSQL, SQLite
    3.35+), which tells a new event from one already there even when both copies arrive
    at once, with no savepoint (the ORM's bulk_create cannot say which rows it skipped);
    then the event's PendingFold row. On PostgreSQL both are one statement (a
    data-modifying WITH): one round trip per event. True (and `row.pk` set) if inserted."""
    fields = [f for f in LineageEvent._meta.concrete_fields if not f.primary_key]
    values = [_db_value(f, row) for f in fields]
    quote = connection.ops.quote_name
    columns, placeholders = ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
    # Only quoted names from the models' own metadata go into the text; values are parameters.
    sql = f"INSERT INTO {quote(LineageEvent._meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
    sql += "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
    queue = quote(PendingFold._meta.db_table)
    if connection.vendor == "postgresql":
        sql = f"WITH stored AS ({sql}) INSERT INTO {queue} (event_id, error) "  # noqa: S608
        sql += "SELECT id, '' FROM stored RETURNING event_id"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    row.pk, row._state.adding = inserted[0], False
    if connection.vendor != "postgresql":
        PendingFold.objects.create(event=row)
    return True


def _db_value(field, row: LineageEvent) -> object:
    if field.name == "payload" and connection.vendor == "postgresql":
        # JSONB keeps the value, not the text: orjson writes it several times faster
        # than the json module Django's JSONField uses.
        return Jsonb(row.payload, dumps=_json_text)
    return field.get_db_prep_save(field.pre_save(row, add=True), connection)


def _json_text(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # integers past 64 bits, say: the json module takes them
        return json.dumps(value)


def model_version_lineage_record(
    *, model_name: str, version: int, inputs: list[dict], event_time: datetime, source_run_id: str = ""
) -> LineageEvent | None:
    """Record that a model version was trained from `inputs` ({namespace, name} each):
    a COMPLETE RunEvent of job `train.<model_name>` whose output is the version, a
    dataset of type MODEL. Deterministic, so recording the same version twice stores
    one event. Goes through `lineage_event_record` like any other producer's event."""
    document = {
        "eventType": "COMPLETE",
        "eventTime": event_time.isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {
            "runId": str(uuid.uuid5(_RUN_NAMESPACE, f"{model_name}\n{version}\n{event_time.isoformat()}")),
            "facets": {},
        },
        "job": {
            "namespace": MODEL_JOB_NAMESPACE,
            "name": f"train.{model_name}",
            "facets": {"jobType": _facet(JOB_TYPE_SCHEMA, processingType="BATCH", integration="MODEL_REGISTRY")},
        },
        "inputs": [{"namespace": i["namespace"], "name": i["name"], "facets": {}} for i in inputs],
        "outputs": [_model_version(model_name, version, stage="None", aliases=[])],
    }
    if source_run_id:
        document["run"]["facets"][SOURCE_RUN_FACET] = _facet(f"{PRODUCER}:facets:SourceRunFacet", runId=source_run_id)
    return lineage_event_record(actor=None, document=document)


def model_version_state_record(
    *, model_name: str, version: int, stage: str, aliases: list[str], event_time: datetime
) -> LineageEvent | None:
    """Record a model version's stage and aliases on its dataset (a DatasetEvent): the
    graph shows them on the version's node, the latest event winning."""
    document = {
        "eventTime": event_time.isoformat(),
        "producer": PRODUCER,
        "schemaURL": DATASET_EVENT_SCHEMA,
        "dataset": _model_version(model_name, version, stage=stage, aliases=aliases),
    }
    return lineage_event_record(actor=None, document=document)


def model_serving_record(
    *, job_name: str, run_id: uuid.UUID, model_name: str, version: int, began: bool, event_time: datetime
) -> LineageEvent | None:
    """Record that a stage or an alias (the streaming job `job_name`) began or stopped
    serving a model version: one run per span, START when it begins, COMPLETE when it ends."""
    document = {
        "eventType": "START" if began else "COMPLETE",
        "eventTime": event_time.isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": str(run_id), "facets": {}},
        "job": {
            "namespace": MODEL_JOB_NAMESPACE,
            "name": job_name,
            "facets": {
                "jobType": _facet(
                    JOB_TYPE_SCHEMA, processingType="STREAMING", integration="MODEL_REGISTRY", jobType="SERVING"
                )
            },
        },
        "inputs": [{"namespace": model_name, "name": str(version), "facets": {}}],
        "outputs": [],
    }
    return lineage_event_record(actor=None, document=document)


def _model_version(model_name: str, version: int, *, stage: str, aliases: list[str]) -> dict:
    facets = {
        "datasetType": _facet(DATASET_TYPE_SCHEMA, datasetType="MODEL"),
        MODEL_VERSION_FACET: _facet(f"{PRODUCER}:facets:ModelVersionFacet", stage=stage, aliases=sorted(aliases)),
    }
    return {"namespace": model_name, "name": str(version), "facets": facets}


def _facet(schema_url: str, **fields) -> dict:
    return {"_producer": PRODUCER, "_schemaURL": schema_url, **fields}
