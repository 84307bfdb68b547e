"""HttpLineage: the lineage port against the server's OpenLineage endpoint (DESIGN §3.3).
Events are plain dicts in OpenLineage's RunEvent shape: no openlineage-python needed."""

from __future__ import annotations

import datetime
import uuid
from urllib.parse import urlsplit

from registry_client.http.connection import DEFAULT_TIMEOUT, Connection
from registry_client.ports import LineageEvent

RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PRODUCER = "https://pypi.org/project/registry-client/"
METADATA_FACET = "registry_client_metadata"


class HttpLineage:
    def __init__(
        self, url: str, token: str | None = None, namespace: str = "default", *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.connection = Connection(url, token, timeout=timeout)
        self.namespace = namespace

    def emit(self, event: LineageEvent) -> None:
        """Record that job `event.name` (in this namespace) read its inputs and wrote its
        outputs: one COMPLETE run, `metadata` kept as a custom run facet."""
        self.connection.send("POST", "/api/v1/lineage", json=self.run_event(event))

    def run_event(self, event: LineageEvent) -> dict:
        facets = {}
        if event.metadata:
            facets[METADATA_FACET] = {"_producer": PRODUCER, "_schemaURL": RUN_EVENT_SCHEMA, **event.metadata}
        return {
            "eventType": "COMPLETE",
            "eventTime": datetime.datetime.now(datetime.UTC).isoformat(),
            "producer": PRODUCER,
            "schemaURL": RUN_EVENT_SCHEMA,
            "run": {"runId": str(uuid.uuid4()), "facets": facets},
            "job": {"namespace": self.namespace, "name": event.name, "facets": {}},
            "inputs": [self.dataset(item) for item in event.inputs],
            "outputs": [self.dataset(item) for item in event.outputs],
        }

    def dataset(self, value: str | dict) -> dict:
        """OpenLineage's dataset naming: a URI splits into namespace `scheme://authority`
        and name the path; `ns:name` and `{namespace, name}` say both; a bare name is ours."""
        if isinstance(value, dict):
            return {"namespace": value["namespace"], "name": value["name"]}
        parts = urlsplit(value)
        if parts.scheme and parts.netloc:
            return {"namespace": f"{parts.scheme}://{parts.netloc}", "name": parts.path.lstrip("/") or parts.netloc}
        namespace, colon, name = value.partition(":")
        return (
            {"namespace": namespace, "name": name} if colon and name else {"namespace": self.namespace, "name": value}
        )
