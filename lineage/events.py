"""Reading one OpenLineage event: lenient where the spec is, strict where it must be.

`parse_event` turns the decoded JSON document into a `ParsedEvent` or raises
`InvalidParameter` naming the field. It touches no database.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lineage.models import MAX_NAME_BYTES, EventKind
from registry_site.errors import InvalidParameter

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
_KINDS = {kind.value: kind for kind in EventKind}


@dataclass(frozen=True)
class DatasetRef:
    namespace: str
    name: str
    facets: dict = field(default_factory=dict)
    io_facets: dict = field(default_factory=dict)  # inputFacets / outputFacets

    @property
    def key(self) -> tuple[str, str]:
        """(namespace, name): what names a dataset or a job."""
        return self.namespace, self.name


@dataclass(frozen=True)
class ParsedEvent:
    kind: EventKind
    event_type: str  # "" when the event has none
    event_time: datetime
    payload: dict
    run_uuid: uuid.UUID | None = None
    run_source_id: str = ""
    run_facets: dict = field(default_factory=dict)
    job: DatasetRef | None = None  # a job is named like a dataset: namespace + name + facets
    inputs: tuple[DatasetRef, ...] = ()
    outputs: tuple[DatasetRef, ...] = ()

    @property
    def datasets(self) -> tuple[DatasetRef, ...]:
        return self.inputs + self.outputs

    @property
    def time_key(self) -> str:
        return time_key(self.event_time)


def time_key(moment: datetime) -> str:
    """A fixed-width UTC string that sorts like the time it names."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_event(document: object) -> ParsedEvent:
    if not isinstance(document, dict):
        raise InvalidParameter("the event must be a JSON object")
    for key in ("eventTime", "producer", "schemaURL"):
        _required_string(document, key, key)
    kind = event_kind(document["schemaURL"])
    common = {
        "kind": kind,
        "event_type": _event_type(document.get("eventType")),
        "event_time": parse_time(document["eventTime"], "eventTime"),
        "payload": document,
    }
    if kind == EventKind.DATASET:
        return ParsedEvent(**common, outputs=(_dataset(document.get("dataset"), "dataset"),))
    job = _job(document.get("job"))
    inputs, outputs = _datasets(document, "inputs"), _datasets(document, "outputs")
    if kind == EventKind.JOB:
        return ParsedEvent(**common, job=job, inputs=inputs, outputs=outputs)
    run = _object(document.get("run"), "run", required=True)
    source_id = _required_string(run, "runId", "run.runId")
    return ParsedEvent(
        **common,
        run_uuid=run_uuid(source_id),
        run_source_id="" if _is_uuid(source_id) else source_id[:255],
        run_facets=_object(run.get("facets"), "run.facets"),
        job=job,
        inputs=inputs,
        outputs=outputs,
    )


def event_kind(schema_url: str) -> EventKind:
    """The last part of schemaURL (`...#/$defs/RunEvent`, `#/definitions/JobEvent`);
    anything else is a RunEvent, as Marquez reads it."""
    return _KINDS.get(schema_url.rstrip("/").rsplit("/", 1)[-1], EventKind.RUN)


def parse_time(value: object, where: str) -> datetime:
    """ISO-8601 date-time with `Z`, an offset, or no zone (read as UTC)."""
    problem = f"{where} must be an ISO-8601 date-time such as 2024-05-01T12:00:00Z, not {value!r}"
    if not isinstance(value, str) or "t" not in value.lower():
        raise InvalidParameter(problem)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidParameter(problem) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_uuid(run_id: str) -> uuid.UUID:
    """The runId itself when it is a UUID, else the name-based UUID Marquez derives
    (Java's UUID.nameUUIDFromBytes), so both stores give a forwarded run the same id."""
    if _is_uuid(run_id):
        return uuid.UUID(run_id)
    digest = hashlib.md5(run_id.encode(), usedforsecurity=False).digest()
    return uuid.UUID(bytes=digest, version=3)


def dedupe_key(event: ParsedEvent) -> str:
    body = json.dumps(event.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    body_hash = hashlib.sha256(body.encode()).hexdigest()
    parts = (str(event.run_uuid or ""), event.event_type, event.time_key, body_hash)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


# --- pieces ------------------------------------------------------------------------------


def _is_uuid(value: str) -> bool:
    # Only the canonical 8-4-4-4-12 form, as Java's UUID.fromString in Marquez.
    if len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _event_type(value: object) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or value.strip().upper() not in EVENT_TYPES:
        raise InvalidParameter(f"eventType must be one of {', '.join(EVENT_TYPES)}, not {value!r}")
    return value.strip().upper()


def _required_string(container: dict, key: str, where: str) -> str:
    value = container.get(key)
    if value is None:
        raise InvalidParameter(f"{where} is required")
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(f"{where} must be a non-empty string")
    return value


def _name(container: dict, key: str, where: str) -> str:
    value = _required_string(container, key, where)
    if len(value.encode()) > MAX_NAME_BYTES:
        raise InvalidParameter(f"{where} is longer than {MAX_NAME_BYTES} bytes")
    return value


def _object(value: object, where: str, *, required: bool = False) -> dict:
    """Missing and null read as `{}` (the client drops nulls); other non-objects are refused."""
    if value is None and not required:
        return {}
    if value is None:
        raise InvalidParameter(f"{where} is required")
    if not isinstance(value, dict):
        raise InvalidParameter(f"{where} must be a JSON object")
    return value


def _job(value: object) -> DatasetRef:
    job = _object(value, "job", required=True)
    return DatasetRef(
        namespace=_name(job, "namespace", "job.namespace"),
        name=_name(job, "name", "job.name"),
        facets=_object(job.get("facets"), "job.facets"),
    )


def _datasets(document: dict, key: str) -> tuple[DatasetRef, ...]:
    items = document.get(key)
    if items is None:
        return ()
    if not isinstance(items, list):
        raise InvalidParameter(f"{key} must be a JSON list")
    io_key = "inputFacets" if key == "inputs" else "outputFacets"
    return tuple(_dataset(item, f"{key}[{index}]", io_key) for index, item in enumerate(items))


def _dataset(value: object, where: str, io_key: str = "") -> DatasetRef:
    item = _object(value, where, required=True)
    return DatasetRef(
        namespace=_name(item, "namespace", f"{where}.namespace"),
        name=_name(item, "name", f"{where}.name"),
        facets=_object(item.get("facets"), f"{where}.facets"),
        io_facets=_object(item.get(io_key), f"{where}.{io_key}") if io_key else {},
    )
