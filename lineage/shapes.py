"""Marquez's JSON shapes (API v1) for namespaces, datasets, jobs, runs and graph nodes,
so clients and tools written for Marquez read this server unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

from lineage.graph import DATASET, Graph, node_id
from lineage.models import Dataset, Job, Namespace, Run


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def namespace_json(namespace: Namespace) -> dict:
    return {
        "name": namespace.name,
        "createdAt": iso(namespace.created_at),
        "updatedAt": iso(namespace.updated_at),
        "ownerName": "anonymous",
        "description": None,
        "isHidden": False,
    }


def dataset_json(dataset: Dataset, *, full: bool = True) -> dict:
    """`full` adds what listings show and graph nodes leave out (version, facets)."""
    body = {
        "id": {"namespace": dataset.namespace.name, "name": dataset.name},
        "type": dataset.type,
        "name": dataset.name,
        "physicalName": dataset.name,
        "createdAt": iso(dataset.created_at),
        "updatedAt": iso(dataset.updated_at),
        "namespace": dataset.namespace.name,
        "sourceName": dataset.source_name,
        "fields": [_field_json(f) for f in dataset.fields],
        "tags": [],
        "lastModifiedAt": None,
        "lastLifecycleState": dataset.lifecycle_state,
        "description": dataset.description,
    }
    if full:
        version = dataset.current_version
        body.update(
            currentVersion=str(version.uuid) if version else None,
            lastModifiedAt=iso(version.event_time) if version else None,
            columnLineage=dataset.facets.get("columnLineage"),
            facets=dataset.facets,
            isDeleted=dataset.lifecycle_state == "DROP",
        )
    return body


def _field_json(field: dict) -> dict:
    return {
        "name": field.get("name"),
        "type": field.get("type"),
        "tags": [],
        "description": field.get("description"),
    }


def job_json(job: Job, io: dict[str, list[dict]], *, full: bool = True) -> dict:
    """`io` is {"in": [{namespace, name}], "out": [...]}, every dataset the job touched."""
    run = job.latest_run
    body = {
        "id": {"namespace": job.namespace.name, "name": job.name},
        "type": job.type,
        "name": job.name,
        "simpleName": job.name,
        "namespace": job.namespace.name,
        "parentJobName": None,
        "parentJobUuid": None,
        "currentRunUuid": str(run.uuid) if run else None,
        "createdAt": iso(job.created_at),
        "updatedAt": iso(job.updated_at),
        "location": job.location,
        "description": job.description,
        "inputs": io.get("in", []),
        "outputs": io.get("out", []),
        "latestRun": run_json(run) if run else None,
    }
    if full:
        body.update(latestRuns=[run_json(run)] if run else [], facets=job.facets, currentVersion=None, tags=[])
    return body


def run_json(run: Run, io: dict[str, list[dict]] | None = None) -> dict:
    """`io` adds inputDatasetVersions / outputDatasetVersions (the run detail endpoint)."""
    nominal = run.facets.get("nominalTime") if isinstance(run.facets.get("nominalTime"), dict) else {}
    body = {
        "id": str(run.uuid),
        "createdAt": iso(run.created_at),
        "updatedAt": iso(run.updated_at),
        "nominalStartTime": nominal.get("nominalStartTime"),
        "nominalEndTime": nominal.get("nominalEndTime"),
        "state": run.state,
        "startedAt": iso(run.started_at),
        "endedAt": iso(run.ended_at),
        "durationMs": run.duration_ms,
        "args": {},
        "jobVersion": None,
        "facets": run.facets,
    }
    if io is not None:
        body.update(inputDatasetVersions=io.get("in", []), outputDatasetVersions=io.get("out", []))
    return body


def search_result_json(found: Dataset | Job) -> dict:
    return {
        "type": "JOB" if isinstance(found, Job) else "DATASET",
        "name": found.name,
        "namespace": found.namespace.name,
        "updatedAt": iso(found.updated_at),
        "nodeId": node_id(found),
    }


def graph_json(graph: Graph, job_io: dict[int, dict]) -> dict:
    """`{"graph": [...]}` sorted by node id; edges only between nodes in the graph."""
    ids = {key: node_id(graph.node(key)) for key in graph.depths}
    in_edges: dict = {key: [] for key in ids}
    out_edges: dict = {key: [] for key in ids}
    for origin, destination in graph.edges:
        edge = {"origin": ids[origin], "destination": ids[destination]}
        out_edges[origin].append(edge)
        in_edges[destination].append(edge)
    nodes = [_node_json(graph, key, ids[key], job_io, in_edges[key], out_edges[key]) for key in ids]
    body = {"graph": sorted(nodes, key=lambda node: node["id"])}
    if graph.truncated:
        body["truncated"] = True
    return body


def _node_json(graph: Graph, key, node_id: str, job_io: dict, in_edges: list, out_edges: list) -> dict:
    node = graph.node(key)
    if key[0] == DATASET:
        kind, data = ("MODEL" if node.is_model else "DATASET"), dataset_json(node, full=False)
    else:
        io = graph.run_io.get(node.pk) or job_io.get(node.pk, {})  # a producing run's own datasets
        kind, data = "JOB", job_json(node, io, full=False)
    edge_order = sorted(in_edges, key=lambda e: e["origin"]), sorted(out_edges, key=lambda e: e["destination"])
    return {"id": node_id, "type": kind, "data": data, "inEdges": edge_order[0], "outEdges": edge_order[1]}
