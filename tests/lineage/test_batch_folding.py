"""Events are folded in batches after their 201 (lineage.backlog): a batch must leave
the graph exactly as folding the same events one at a time, cost a fixed number of
statements whatever its size, and one event that cannot be folded must not hold up
the rest."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lineagekit import PRODUCER, dataset, facet, folded, post, run_event, schema

from lineage import backlog, folding
from lineage.models import Dataset, DatasetVersion, Job, JobIO, PendingFold, Run, RunIO

RUN_IDS = [str(uuid.UUID(int=n)) for n in range(1, 6)]


def _with_io_facets(ref: dict, key: str, **facets) -> dict:
    return {**ref, key: facets}


def mixed_events(prefix: str) -> list[dict]:
    """A producer's day: runs out of order, schema changes (and back), io facets, a
    dataset event, a job event, a failed run with a late RUNNING, job facets sent late."""
    pg, s3 = f"{prefix}postgres://db", f"{prefix}s3://lake"
    r1, r2, r3, r4, r0 = (str(uuid.uuid5(uuid.NAMESPACE_URL, prefix + run)) for run in RUN_IDS)
    one = (f"{prefix}etl", "load")
    two = (f"{prefix}etl", "score")
    stats = facet(rowCount=10)
    return [
        run_event("START", run_id=r1, job=one, time="2024-05-01T10:00:00Z",
                  inputs=[dataset(pg, "orders", **schema("id"))],
                  outputs=[dataset(s3, "out", **schema("id", "total"))]),
        run_event("COMPLETE", run_id=r1, job=one, time="2024-05-01T10:05:00Z",
                  outputs=[_with_io_facets(dataset(s3, "out"), "outputFacets", outputStatistics=stats)]),
        run_event("COMPLETE", run_id=r3, job=one, time="2024-05-01T12:05:00Z"),
        run_event("START", run_id=r2, job=one, time="2024-05-01T11:00:00Z",
                  outputs=[dataset(s3, "out", **schema("id", "total", "tax"))]),
        run_event("START", run_id=r3, job=one, time="2024-05-01T12:00:00Z",
                  job_facets={"documentation": facet(description="new")}),
        run_event("RUNNING", run_id=r4, job=two, time="2024-05-01T12:30:00Z",
                  inputs=[_with_io_facets(dataset(s3, "out"), "inputFacets", dataQuality=facet(ok=True))]),
        {
            "eventTime": "2024-05-01T12:40:00Z",
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": dataset(s3, "out", **schema("id", "total")),
        },
        {
            "eventTime": "2024-05-01T12:45:00Z",
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/JobEvent",
            "job": {"namespace": f"{prefix}dbt", "name": "mart", "facets": {"sql": facet(query="select 1")}},
            "inputs": [dataset(pg, "orders")],
            "outputs": [dataset(pg, "mart")],
        },
        run_event("START", run_id=r0, job=one, time="2024-05-01T09:00:00Z"),
        run_event("FAIL", run_id=r4, job=two, time="2024-05-01T12:50:00Z",
                  inputs=[_with_io_facets(dataset(s3, "out"), "inputFacets", rowCount=facet(n=3))]),
        run_event("RUNNING", run_id=r4, job=two, time="2024-05-01T12:55:00Z"),
        run_event("COMPLETE", run_id=r3, job=one, time="2024-05-01T12:06:00Z",
                  job_facets={"documentation": facet(description="old")}),
    ]  # fmt: skip


def graph_rows(prefix: str) -> dict:
    """Everything folding wrote for one prefix's events, named without the prefix."""

    def name(node) -> tuple[str, str]:
        return node.namespace.name.removeprefix(prefix), node.name

    runs = {run.pk: run for run in Run.objects.filter(job__namespace__name__startswith=prefix)}
    run_name = {pk: RUN_IDS[[str(uuid.uuid5(uuid.NAMESPACE_URL, prefix + r)) for r in RUN_IDS].index(str(run.uuid))]
                for pk, run in runs.items()}  # fmt: skip
    datasets = Dataset.objects.filter(namespace__name__startswith=prefix).select_related("namespace")
    jobs = Job.objects.filter(namespace__name__startswith=prefix).select_related("namespace")
    return {
        "jobs": {name(j): (j.facets, run_name.get(j.latest_run_id)) for j in jobs},
        "runs": {
            run_name[r.pk]: (r.job.name, r.state, r.state_time, r.first_event_time, r.started_at, r.ended_at, r.facets)
            for r in runs.values()
        },
        "datasets": {
            name(d): (d.type, d.facets, d.current_version.content_hash if d.current_version else None) for d in datasets
        },
        "versions": {
            (name(v.dataset), v.content_hash): (run_name.get(v.created_by_run_id), v.event_time, v.content)
            for v in DatasetVersion.objects.filter(dataset__in=datasets).select_related("dataset__namespace")
        },
        "job_edges": {
            (name(e.job), e.direction, name(e.dataset))
            for e in JobIO.objects.filter(job__in=jobs).select_related("job__namespace", "dataset__namespace")
        },
        "run_edges": {
            (run_name[e.run_id], e.direction, name(e.dataset)): (
                e.dataset_version.content_hash if e.dataset_version else None,
                e.facets,
            )
            for e in RunIO.objects.filter(run__in=runs).select_related("dataset__namespace", "dataset_version")
        },
    }


def test_one_batch_leaves_the_graph_as_folding_the_same_events_one_at_a_time(as_alice, monkeypatch):
    monkeypatch.setattr(backlog, "BATCH", 1)
    for event in mixed_events("a-"):
        post(as_alice, event)
    folded()
    monkeypatch.setattr(backlog, "BATCH", 500)
    for event in mixed_events("b-"):
        post(as_alice, event)

    with CaptureQueriesContext(connection) as batch:
        folded()

    one_at_a_time, in_one_batch = graph_rows("a-"), graph_rows("b-")
    assert in_one_batch == one_at_a_time
    assert one_at_a_time["jobs"][("etl", "load")] == (one_at_a_time["jobs"][("etl", "load")][0], RUN_IDS[2])
    assert one_at_a_time["runs"][RUN_IDS[3]][1] == "FAILED"
    assert len(one_at_a_time["versions"]) == 3
    assert not PendingFold.objects.exists()
    assert len(batch) < 40  # the twelve events in one batch, not a dozen statements each


def _starts(count: int, first: int) -> list[dict]:
    return [
        run_event(
            "START",
            job=("etl", f"job{n}"),
            inputs=[dataset("pg", f"in{n}", **schema("id"))],
            outputs=[dataset("s3://lake", f"out{n}", **schema("id", "total"))],
        )
        for n in range(first, first + count)
    ]


def statements_to_fold(client, events: list[dict]) -> int:
    for event in events:
        post(client, event)
    with CaptureQueriesContext(connection) as queries:
        folded()
    return len(queries)


def test_folding_a_hundred_events_takes_no_more_statements_than_folding_ten(as_alice):
    statements_to_fold(as_alice, _starts(1, 0))  # the namespaces exist from here on
    ten = statements_to_fold(as_alice, _starts(10, 1))
    hundred = statements_to_fold(as_alice, _starts(100, 11))

    # The same statements; SQLite splits an insert past its 999 parameters into a few.
    assert hundred == ten if connection.vendor == "postgresql" else hundred <= ten + 6
    assert Run.objects.filter(state="RUNNING").count() == 111


def test_an_event_that_cannot_be_folded_is_set_aside_and_the_others_are_folded(as_alice, as_bob, monkeypatch):
    # The one stand-in: a bug in folding cannot be caused by any valid event, so one is
    # injected for the job named "poison".
    fold = folding.fold

    def fold_unless_poisoned(events):
        if any(event.job and event.job.name == "poison" for event in events):
            raise RuntimeError("a bug in folding")
        fold(events)

    monkeypatch.setattr(folding, "fold", fold_unless_poisoned)
    for name in ("before", "poison", "after"):
        post(as_alice, run_event("START", job=("etl", name)))

    jobs = as_bob.get("/api/v1/namespaces/etl/jobs")

    assert jobs.status_code == 200
    assert sorted(job["name"] for job in jobs.json()["jobs"]) == ["after", "before"]
    set_aside = PendingFold.objects.get()
    assert set_aside.event.payload["job"]["name"] == "poison"
    assert "a bug in folding" in set_aside.error


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_folds_posted_events_without_any_reader(alice, run_worker):
    from kit import client_for

    client = client_for(alice)
    for event in _starts(20, 0):
        assert post(client, event).status_code == 201
    assert PendingFold.objects.count() == 20

    run_worker()

    assert not PendingFold.objects.exists()
    assert Run.objects.filter(state="RUNNING").count() == 20


def test_a_set_aside_event_is_folded_again_from_the_admin_once_folding_works(client, as_alice, monkeypatch):
    from django.contrib.auth.models import User

    fold = folding.fold
    monkeypatch.setattr(folding, "fold", lambda events: (_ for _ in ()).throw(RuntimeError("a bug in folding")))
    post(as_alice, run_event("START", job=("etl", "late")))
    folded()
    monkeypatch.setattr(folding, "fold", fold)  # the fix is deployed
    client.force_login(User.objects.create_superuser("root", "root@example.com", "root-password-1"))

    response = client.post(
        "/admin/lineage/pendingfold/", {"action": "fold_again", "_selected_action": [PendingFold.objects.get().pk]}
    )

    assert response.status_code == 302
    assert not PendingFold.objects.exists()
    assert Job.objects.filter(name="late", latest_run__state="RUNNING").exists()
