"""What the spec allows is accepted: unknown facets, empty objects, `Z` or `+00:00`
times, no eventType, a runId that is not a UUID; the three event kinds told apart by
the end of schemaURL."""

import uuid

from lineagekit import PRODUCER, dataset, facet, folded, post, post_gzip, run_event, schema

from lineage.events import run_uuid
from lineage.models import Dataset, Job, LineageEvent, Run
from lineage.services import lineage_event_record

from kit import client_for


def test_a_run_event_is_stored_with_201_and_an_empty_body(as_alice):
    response = post(as_alice, run_event())

    assert response.status_code == 201
    assert response.content == b""
    assert LineageEvent.objects.count() == 1


def test_a_bearer_token_is_accepted(alice):
    response = post(client_for(alice, "Bearer"), run_event())

    assert response.status_code == 201


def test_a_gzip_body_is_accepted(as_alice):
    response = post_gzip(as_alice, run_event(job=("etl", "zipped")))

    assert response.status_code == 201
    folded()
    assert Job.objects.filter(name="zipped").exists()


def test_unknown_facets_are_kept_and_shown(as_alice, as_bob):
    custom = {"acme_quality": facet(score=0.97, checks=["not-null"])}
    post(as_alice, run_event(outputs=[dataset("s3://lake", "orders", **custom)]))

    listed = as_bob.get("/api/v1/datasets", {"namespace": "s3://lake"}).json()["datasets"]

    assert listed[0]["facets"]["acme_quality"]["score"] == 0.97
    assert as_bob.get("/api/v1/events/lineage").json()["events"][0]["outputs"][0]["facets"] == custom


def test_times_with_z_with_an_offset_and_without_a_zone_all_read_as_the_same_instant(as_alice):
    run_id = str(uuid.uuid4())
    post(as_alice, run_event("START", run_id=run_id, time="2024-05-01T12:00:00Z"))
    post(as_alice, run_event("RUNNING", run_id=run_id, time="2024-05-01T14:00:00+02:00"))
    post(as_alice, run_event("OTHER", run_id=run_id, time="2024-05-01T12:00:00"))

    times = set(LineageEvent.objects.values_list("event_time", flat=True))

    assert len(times) == 1


def test_an_event_without_event_type_is_accepted_and_leaves_the_run_new(as_alice):
    run_id = str(uuid.uuid4())

    response = post(as_alice, run_event(None, run_id=run_id))

    assert response.status_code == 201
    folded()
    assert Run.objects.get(uuid=run_id).state == "NEW"


def test_empty_objects_and_lists_are_accepted(as_alice):
    event = run_event()
    event.update(inputs=[], outputs=[dataset("s3://b", "k")])
    event["outputs"][0].update(facets={}, outputFacets={})

    response = post(as_alice, event)

    assert response.status_code == 201
    folded()
    assert Dataset.objects.get(name="k").facets == {}


def test_a_run_id_that_is_not_a_uuid_maps_to_one_stable_uuid(as_alice, as_bob):
    post(as_alice, run_event("START", run_id="airflow-dag-run-42", time="2024-05-01T12:00:00Z"))
    post(as_alice, run_event("COMPLETE", run_id="airflow-dag-run-42", time="2024-05-01T12:05:00Z"))

    folded()
    run = Run.objects.get()
    by_source_id = as_bob.get("/api/v1/jobs/runs/airflow-dag-run-42").json()

    assert run.uuid == run_uuid("airflow-dag-run-42")
    assert (by_source_id["id"], by_source_id["state"]) == (str(run.uuid), "COMPLETED")
    # Java's UUID.nameUUIDFromBytes, as Marquez derives it: version 3, IETF variant.
    assert (run.uuid.version, run.uuid.variant) == (3, uuid.RFC_4122)


def test_a_dataset_event_updates_the_dataset_without_a_job_or_run(as_alice):
    event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": dataset("postgres://db:5432", "shop.public.orders", **schema("id", "total")),
    }

    response = post(as_alice, event)

    assert response.status_code == 201
    folded()
    assert [f["name"] for f in Dataset.objects.get().fields] == ["id", "total"]
    assert not Job.objects.exists() and not Run.objects.exists()
    assert LineageEvent.objects.get().kind == "DatasetEvent"


def test_a_job_event_links_datasets_to_the_job_without_a_run(as_alice, as_bob):
    event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/JobEvent",
        "job": {"namespace": "dbt", "name": "orders_daily", "facets": {"sql": facet(query="select 1")}},
        "inputs": [dataset("pg", "raw.orders")],
        "outputs": [dataset("pg", "mart.orders")],
    }

    response = post(as_alice, event)

    jobs = as_bob.get("/api/v1/namespaces/dbt/jobs").json()["jobs"]
    assert response.status_code == 201
    folded()
    assert not Run.objects.exists()
    assert jobs[0]["inputs"] == [{"namespace": "pg", "name": "raw.orders"}]
    assert jobs[0]["outputs"] == [{"namespace": "pg", "name": "mart.orders"}]
    assert jobs[0]["facets"]["sql"]["query"] == "select 1"


def test_an_unknown_schema_url_is_read_as_a_run_event(as_alice):
    event = run_event()
    event["schemaURL"] = "https://example.com/custom-schema.json"

    response = post(as_alice, event)

    assert response.status_code == 201
    assert LineageEvent.objects.get().kind == "RunEvent"


def test_the_stored_event_reads_back_as_posted_with_unicode_and_numbers_of_every_size(as_alice, as_bob):
    custom = {"acme_stats": facet(label="Zürich 東京 \u2028", rows=2**63 - 1, ratio=1e16, small=-0.0)}
    post(as_alice, run_event(outputs=[dataset("s3://lake", "orders", **custom)]))

    stored = as_bob.get("/api/v1/events/lineage").json()["events"][0]["outputs"][0]["facets"]

    assert stored == custom


def test_an_integer_past_64_bits_from_the_registry_itself_is_stored_exactly(db):
    # The HTTP path reads bodies with orjson (big integers become floats there); the
    # registry's own events are Python dicts and may hold any integer.
    event = run_event(outputs=[dataset("s3://lake", "huge", **{"acme_count": facet(rows=2**70)})])

    stored = lineage_event_record(actor=None, document=event)

    assert LineageEvent.objects.get(pk=stored.pk).payload["outputs"][0]["facets"]["acme_count"]["rows"] == 2**70
