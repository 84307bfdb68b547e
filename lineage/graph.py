"""The lineage graph around a node: a directed walk computed in the database.

Upstream follows edges backwards (dataset <- producing job <- its inputs ...), downstream
forwards; never Marquez's "everything sharing a dataset" expansion, so the readers of an
input do not appear upstream of its outputs. One recursive query (PostgreSQL and SQLite)
returns the reached nodes with their distance and every edge between them.

Around a model version the first step upstream is taken by run, as Marquez does with
dataset versions: the runs that produced that version and the datasets those runs read,
not everything its training job ever read. Beyond that first step, and for jobs and
datasets, edges are the jobs' (`JobIO`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from lineage import runlevel
from lineage.models import TERMINAL_STATES, Dataset, Direction, Job, JobIO
from registry_site.errors import InvalidParameter, NotFound

DATASET, JOB = 0, 1
DIRECTIONS = ("both", "upstream", "downstream")
DEFAULT_DEPTH = 20
MAX_DEPTH = 100
# Past this many nodes the nearest ones are kept and the graph says it was truncated.
MAX_NODES = 10_000

# One step of the walk. The two LEFT JOINs are the two kinds of node (a job's datasets,
# a dataset's jobs), each an index probe per reached node; a UNION of both directions of
# the IO table here instead would be scanned whole at every step.
_STEP = """
    SELECT 1 - w.kind, COALESCE(j.dataset_id, d.job_id), w.depth + 1
    FROM {walk} w
    LEFT JOIN {io} j ON w.kind = 1 AND j.job_id = w.id AND j.direction = %s
    LEFT JOIN {io} d ON w.kind = 0 AND d.dataset_id = w.id AND d.direction = %s
    WHERE w.depth < %s AND COALESCE(j.dataset_id, d.job_id) IS NOT NULL"""

_RESULT = """
reached (kind, id, depth) AS (
    SELECT kind, id, MIN(depth) FROM ({walks}) r
    GROUP BY kind, id ORDER BY MIN(depth), kind, id LIMIT %s
)
SELECT 'node', kind, id, depth FROM reached
UNION ALL
SELECT io.direction, 0, io.job_id, io.dataset_id
FROM {io} io
JOIN reached j ON j.kind = 1 AND j.id = io.job_id
JOIN reached d ON d.kind = 0 AND d.id = io.dataset_id
"""


@dataclass
class Graph:
    """Reached datasets and jobs (by pk), their distance from the start, and edges as
    (origin, destination) node keys, a key being (DATASET or JOB, pk)."""

    start: list[tuple[int, int]]
    depths: dict[tuple[int, int], int] = field(default_factory=dict)
    edges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    datasets: dict[int, Dataset] = field(default_factory=dict)
    jobs: dict[int, Job] = field(default_factory=dict)
    # Jobs reached through a run (next to a model version): the state of that run.
    run_states: dict[tuple[int, int], str] = field(default_factory=dict)
    # ... and the datasets those runs read and wrote, which a job's node then lists.
    run_io: dict[int, dict[str, list[dict]]] = field(default_factory=dict)
    truncated: bool = False

    def node(self, key: tuple[int, int]) -> Dataset | Job:
        return self.datasets[key[1]] if key[0] == DATASET else self.jobs[key[1]]


def dataset_node_id(dataset: Dataset) -> str:
    prefix = "model" if dataset.is_model else "dataset"
    return f"{prefix}:{dataset.namespace.name}:{dataset.name}"


def job_node_id(job: Job) -> str:
    return f"job:{job.namespace.name}:{job.name}"


def node_id(node: Dataset | Job) -> str:
    return job_node_id(node) if isinstance(node, Job) else dataset_node_id(node)


def find_nodes(node: str) -> list[tuple[int, int]]:
    """Node keys for `dataset:<ns>:<name>`, `job:<ns>:<name>` or `model:<ns>:<name>`.

    Namespaces and names may themselves hold `:` (`postgres://db:5432`), so every split
    is tried against the database instead of guessing one as Marquez does."""
    prefix, _, rest = node.partition(":")
    if prefix not in ("dataset", "job", "model") or ":" not in rest:
        raise InvalidParameter(
            "nodeId must be dataset:<namespace>:<name>, job:<namespace>:<name> or model:<name>:<version>"
        )
    splits = Q()
    for index, char in enumerate(rest):
        if char == ":":
            splits |= Q(namespace__name=rest[:index], name=rest[index + 1 :])
    if prefix == "job":
        return [(JOB, pk) for pk in Job.objects.filter(splits).values_list("pk", flat=True)]
    datasets = Dataset.objects.filter(splits)
    if prefix == "model":
        datasets = datasets.filter(type="MODEL")
    return [(DATASET, pk) for pk in datasets.values_list("pk", flat=True)]


def lineage_graph(node: str, *, depth: int = DEFAULT_DEPTH, direction: str = "both") -> Graph:
    """The graph within `depth` edges of `node`, upstream, downstream or both."""
    start = find_nodes(node)
    if not start:
        raise NotFound(f"no lineage node {node}")
    graph = Graph(start=start)
    versions = _model_versions(start)
    producers = runlevel.producing_runs(versions) if versions and direction != "downstream" and depth else []
    seeds = _seeds(start, versions, producers, depth)
    for tag, kind, a, b in _walk(seeds, depth, direction):
        if tag == "node":
            graph.depths[(kind, a)] = min(b, graph.depths.get((kind, a), b))
        elif tag == Direction.IN:
            graph.edges.append(((DATASET, b), (JOB, a)))
        else:
            graph.edges.append(((JOB, a), (DATASET, b)))
    for key in start:  # a version seeded at the depth limit upstream is still the start
        graph.depths[key] = 0
    graph.truncated = len(graph.depths) >= MAX_NODES
    _add_producers(graph, producers, depth)
    _load(graph)
    _add_reader_states(graph, versions)
    return graph


def _model_versions(start: list[tuple[int, int]]) -> set[int]:
    """The start nodes that are model versions (datasets of type MODEL), by pk."""
    datasets = [pk for kind, pk in start if kind == DATASET]
    return set(Dataset.objects.filter(pk__in=datasets, type="MODEL").values_list("pk", flat=True))


def _seeds(start, versions: set[int], producers: list[runlevel.ProducingRun], depth: int) -> dict[str, list]:
    """Where each walk starts. Upstream of a version the walk starts at what its producing
    runs read, two edges away; the version itself is seeded at the depth limit, so that
    it is reached but its training job's every input is not walked."""
    seeds = {"upstream": [], "downstream": []}
    for key in start:
        seeds["upstream"].append((*key, depth if key[0] == DATASET and key[1] in versions else 0))
        seeds["downstream"].append((*key, 0))
    if depth >= 2:
        seeds["upstream"] += [(DATASET, pk, 2) for pk in {row.dataset_id for run in producers for row in run.inputs}]
    return seeds


def _add_producers(graph: Graph, producers: list[runlevel.ProducingRun], depth: int) -> None:
    """The version's producing runs, each as its job, fed by the datasets it read."""
    for run in producers:
        job = (JOB, run.job_id)
        graph.depths.setdefault(job, 1)
        graph.run_states[job] = run.state
        graph.run_io[run.job_id] = run.io
        graph.edges.append((job, (DATASET, run.output_id)))
        if depth >= 2:
            graph.edges += [((DATASET, row.dataset_id), job) for row in run.inputs]
    graph.edges = list(dict.fromkeys(graph.edges))


def _add_reader_states(graph: Graph, versions: set[int]) -> None:
    """A job that read a version shows the state of its last run that read it. A
    streaming job whose run ended no longer reads the version (an alias that moved on
    to another version): it leaves the graph, unless something else led to it."""
    readers = [b[1] for a, b in graph.edges if a[0] == DATASET and a[1] in versions and b[0] == JOB]
    stopped = set()
    for job_id, state in runlevel.reading_states(versions, readers).items():
        key = (JOB, job_id)
        graph.run_states.setdefault(key, state)
        if (
            graph.jobs[job_id].type == "STREAM"
            and state in TERMINAL_STATES
            and _only_reads_versions(graph, key, versions)
        ):
            stopped.add(key)
    for key in stopped:
        del graph.depths[key], graph.jobs[key[1]], graph.run_states[key]
    graph.edges = [(a, b) for a, b in graph.edges if a not in stopped and b not in stopped]


def _only_reads_versions(graph: Graph, key: tuple[int, int], versions: set[int]) -> bool:
    return all(b == key and a[0] == DATASET and a[1] in versions for a, b in graph.edges if key in (a, b))


def _walk(seeds: dict[str, list[tuple[int, int, int]]], depth: int, direction: str) -> list[tuple]:
    """`seeds`: per walk, (kind, id, depth) to start from; a seed at `depth` is reached
    but not walked from."""
    io = connection.ops.quote_name(JobIO._meta.db_table)
    ctes, params, names = [], [], []
    # (a job's edges, a dataset's edges) to follow: upstream a job's inputs and a
    # dataset's producers, downstream a job's outputs and a dataset's readers.
    walks = {"upstream": (Direction.IN, Direction.OUT), "downstream": (Direction.OUT, Direction.IN)}
    for name, (job_edges, dataset_edges) in walks.items():
        if direction in (name, "both"):
            seed = " UNION ALL ".join(
                "SELECT CAST(%s AS INTEGER), CAST(%s AS BIGINT), CAST(%s AS INTEGER)" for _ in seeds[name]
            )
            step = _STEP.format(walk=name, io=io)
            ctes.append(f"{name} (kind, id, depth) AS ({seed} UNION {step})")
            params += [*(value for key in seeds[name] for value in key), job_edges, dataset_edges, depth]
            names.append(f"SELECT kind, id, depth FROM {name}")  # noqa: S608 (constant CTE names)
    sql = "WITH RECURSIVE " + ",\n".join(ctes) + ",\n" + _RESULT.format(walks=" UNION ALL ".join(names), io=io)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, MAX_NODES])
        return cursor.fetchall()


def _load(graph: Graph) -> None:
    ids = {kind: [pk for k, pk in graph.depths if k == kind] for kind in (DATASET, JOB)}
    graph.datasets = Dataset.objects.select_related("namespace").in_bulk(ids[DATASET])
    graph.jobs = Job.objects.select_related("namespace", "latest_run").in_bulk(ids[JOB])
