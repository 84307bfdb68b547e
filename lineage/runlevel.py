"""Lineage by run around a model version: which runs produced it (and what they read),
and which runs read it. A model version is a dataset of type MODEL; its producers are
the runs that output it and the run its upload named (`SOURCE_RUN_FACET`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from lineage.events import run_uuid
from lineage.models import Dataset, Direction, Run, RunIO

# A run facet on the registry's own training run: the runId the upload named.
SOURCE_RUN_FACET = "modelRegistry_sourceRun"
# A model version's dataset facet: its stage and aliases, shown on its node.
MODEL_VERSION_FACET = "modelRegistry_version"


@dataclass
class ProducingRun:
    run: Run
    output_id: int  # the model version's dataset
    inputs: list[RunIO] = field(default_factory=list)
    outputs: list[RunIO] = field(default_factory=list)

    @property
    def job_id(self) -> int:
        return self.run.job_id

    @property
    def state(self) -> str:
        return self.run.state

    @property
    def io(self) -> dict[str, list[dict]]:
        """What the run read ("in") and wrote ("out"), as a job node lists them."""
        return {
            Direction.IN.value: [_ref(row.dataset) for row in self.inputs],
            Direction.OUT.value: [_ref(row.dataset) for row in self.outputs],
        }


def producing_runs(version_ids: set[int]) -> list[ProducingRun]:
    """The runs that output these model versions, and the runs their uploads named,
    with what each read and wrote, oldest first."""
    made = RunIO.objects.filter(dataset_id__in=version_ids, direction=Direction.OUT).select_related("run")
    found = {(row.run_id, row.dataset_id): ProducingRun(row.run, row.dataset_id) for row in made}
    for producer in list(found.values()):
        source = _source_run(producer.run)
        if source is not None:
            found.setdefault((source.pk, producer.output_id), ProducingRun(source, producer.output_id))
    io = RunIO.objects.filter(run_id__in={run_id for run_id, _ in found}).select_related("dataset__namespace")
    by_run = defaultdict(list)
    for row in io.order_by("dataset__namespace__name", "dataset__name"):
        by_run[row.run_id].append(row)
    for (run_id, _), producer in found.items():
        producer.inputs = [row for row in by_run[run_id] if row.direction == Direction.IN]
        producer.outputs = [row for row in by_run[run_id] if row.direction == Direction.OUT]
    return sorted(found.values(), key=lambda p: (p.run.first_event_time, p.run.pk))


def _source_run(run: Run) -> Run | None:
    facet = run.facets.get(SOURCE_RUN_FACET)
    source_id = facet.get("runId") if isinstance(facet, dict) else None
    if not isinstance(source_id, str) or not source_id:
        return None
    return Run.objects.filter(uuid=run_uuid(source_id)).exclude(pk=run.pk).first()


def version_inputs(version_ids: set[int]) -> list[Dataset]:
    """The datasets the producers of these versions read, by namespace and name."""
    found = {row.dataset_id: row.dataset for p in producing_runs(version_ids) for row in p.inputs}
    return sorted(found.values(), key=lambda d: (d.namespace.name, d.name))


def reading_states(version_ids: set[int], job_ids: list[int]) -> dict[int, str]:
    """For each job, the state of its latest run that read one of these versions."""
    if not job_ids:
        return {}
    rows = RunIO.objects.filter(dataset_id__in=version_ids, direction=Direction.IN, run__job_id__in=job_ids)
    states: dict[int, str] = {}
    for job_id, state in rows.order_by("run__first_event_time", "run_id").values_list("run__job_id", "run__state"):
        states[job_id] = state
    return states


def _ref(dataset: Dataset) -> dict[str, str]:
    return {"namespace": dataset.namespace.name, "name": dataset.name}
