"""Lineage test helpers: OpenLineage events as producers send them, posting them, and a
tiny HTTP receiver standing in for Marquez. Not a conftest: a second `conftest` module
would shadow the root one that test modules import from."""

from __future__ import annotations

import gzip
import json
import uuid

from kit import LocalReceiver

RUN_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python"


def facet(**fields) -> dict:
    return {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/X.json", **fields}


def schema(*columns: str) -> dict:
    return {"schema": facet(fields=[{"name": c, "type": "VARCHAR"} for c in columns])}


def dataset(namespace: str, name: str, **facets) -> dict:
    return {"namespace": namespace, "name": name, "facets": facets}


def run_event(
    event_type: str | None = "COMPLETE",
    *,
    run_id: str | None = None,
    job: tuple[str, str] = ("etl", "job"),
    inputs: list[dict] | None = None,
    outputs: list[dict] | None = None,
    time: str = "2024-05-01T12:00:00Z",
    job_facets: dict | None = None,
) -> dict:
    event = {
        "eventTime": time,
        "producer": PRODUCER,
        "schemaURL": RUN_SCHEMA,
        "run": {"runId": run_id or str(uuid.uuid4()), "facets": {}},
        "job": {"namespace": job[0], "name": job[1], "facets": job_facets or {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }
    if event_type is not None:
        event["eventType"] = event_type
    return event


def post(client, event, **headers):
    """POST one event (a dict, or raw bytes as they are) to the ingestion endpoint."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return client.post("/api/v1/lineage", data=body, content_type="application/json", **headers)


def post_gzip(client, event: dict):
    return post(client, gzip.compress(json.dumps(event).encode()), HTTP_CONTENT_ENCODING="gzip")


def job_step(job: str, reads: str, writes: str, *, namespace: str = "wh", time: str = "2024-05-01T12:00:00Z") -> dict:
    """A COMPLETE run of `job` reading dataset `reads` and writing `writes`."""
    return run_event(
        job=("etl", job), inputs=[dataset(namespace, reads)], outputs=[dataset(namespace, writes)], time=time
    )


def graph(client, node: str, **params) -> dict:
    response = client.get("/api/v1/lineage", {"nodeId": node, **params})
    assert response.status_code == 200, response.content
    return {n["id"]: n for n in response.json()["graph"]}


class Receiver(LocalReceiver):
    """An OpenLineage backend on 127.0.0.1 that keeps what it is sent."""

    def __init__(self):
        super().__init__(201)

    @property
    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


def folded() -> None:
    """What a reader of the graph sees: the events stored so far folded into it (every
    reader folds pending events first; tests reading rows directly do it here)."""
    from lineage import backlog

    backlog.catch_up()
