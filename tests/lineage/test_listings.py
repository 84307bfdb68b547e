"""Marquez's listing endpoints: namespaces, jobs and datasets per namespace (encoded in
the path or as a query parameter), one run, and the raw events newest first."""

from urllib.parse import quote

import pytest
from lineagekit import dataset, post, run_event, schema


@pytest.fixture
def posted(as_alice):
    post(
        as_alice,
        run_event("START", job=("team-a", "load"), inputs=[dataset("s3://raw", "in.csv")], time="2024-05-01T10:00:00Z"),
    )
    post(
        as_alice,
        run_event(
            job=("team-a", "load"),
            outputs=[dataset("postgres://db:5432", "w.s.t", **schema("id"))],
            time="2024-05-01T11:00:00Z",
        ),
    )
    post(
        as_alice,
        run_event(
            job=("team-b", "report"), inputs=[dataset("postgres://db:5432", "w.s.t")], time="2024-05-01T12:00:00Z"
        ),
    )


def test_namespaces_lists_job_and_dataset_namespaces_by_name(posted, as_bob):
    body = as_bob.get("/api/v1/namespaces").json()

    assert [n["name"] for n in body["namespaces"]] == ["postgres://db:5432", "s3://raw", "team-a", "team-b"]
    assert set(body["namespaces"][0]) == {"name", "createdAt", "updatedAt", "ownerName", "description", "isHidden"}


def test_jobs_of_a_namespace_in_marquez_shape(posted, as_bob):
    body = as_bob.get("/api/v1/namespaces/team-a/jobs").json()

    assert body["totalCount"] == 1
    job = body["jobs"][0]
    assert (job["id"], job["type"], job["latestRun"]["state"]) == (
        {"namespace": "team-a", "name": "load"},
        "BATCH",
        "COMPLETED",
    )
    assert job["outputs"] == [{"namespace": "postgres://db:5432", "name": "w.s.t"}]


def test_datasets_of_a_namespace_with_slashes_and_colons_url_encoded_in_the_path(posted, as_bob):
    body = as_bob.get(f"/api/v1/namespaces/{quote('postgres://db:5432', safe='')}/datasets").json()

    assert body["totalCount"] == 1
    assert body["datasets"][0]["id"] == {"namespace": "postgres://db:5432", "name": "w.s.t"}
    assert body["datasets"][0]["fields"][0]["name"] == "id"


def test_datasets_by_namespace_as_a_query_parameter(posted, as_bob):
    body = as_bob.get("/api/v1/datasets", {"namespace": "s3://raw"}).json()

    assert [d["name"] for d in body["datasets"]] == ["in.csv"]


def test_jobs_without_a_namespace_lists_every_namespace_with_paging(posted, as_bob):
    first = as_bob.get("/api/v1/jobs", {"limit": 1}).json()
    second = as_bob.get("/api/v1/jobs", {"limit": 1, "offset": 1}).json()

    assert first["totalCount"] == second["totalCount"] == 2
    assert [first["jobs"][0]["name"], second["jobs"][0]["name"]] == ["load", "report"]


def test_an_unknown_namespace_is_404(as_bob, db):
    assert as_bob.get("/api/v1/namespaces/nowhere/jobs").status_code == 404


def test_an_unknown_run_is_404(as_bob, db):
    assert as_bob.get("/api/v1/jobs/runs/00000000-0000-0000-0000-000000000000").status_code == 404


def test_events_are_listed_as_received_newest_first_with_a_total(posted, as_bob):
    body = as_bob.get("/api/v1/events/lineage").json()

    assert body["totalCount"] == 3
    assert [e["eventTime"] for e in body["events"]] == [
        "2024-05-01T12:00:00Z",
        "2024-05-01T11:00:00Z",
        "2024-05-01T10:00:00Z",
    ]


def test_events_between_after_and_before_with_a_limit(posted, as_bob):
    # A "+" left unencoded in a query string arrives as a space: read it as "+".
    body = as_bob.get(
        "/api/v1/events/lineage?after=2024-05-01T10:30:00+00:00&before=2024-05-01T13:00:00Z&limit=1"
    ).json()

    assert body["totalCount"] == 2
    assert [e["eventTime"] for e in body["events"]] == ["2024-05-01T12:00:00Z"]


def test_events_oldest_first_on_request(posted, as_bob):
    body = as_bob.get("/api/v1/events/lineage", {"sortDirection": "asc", "limit": 1}).json()

    assert body["events"][0]["eventTime"] == "2024-05-01T10:00:00Z"


def test_a_bad_before_is_400_naming_it(as_bob):
    response = as_bob.get("/api/v1/events/lineage", {"before": "last week"})

    assert response.status_code == 400
    assert "before" in response.json()["message"]


def test_search_finds_datasets_and_jobs_by_part_of_their_name(posted, as_bob):
    body = as_bob.get("/api/v1/search", {"q": "rep"}).json()

    assert [(r["type"], r["name"], r["nodeId"]) for r in body["results"]] == [("JOB", "report", "job:team-b:report")]
