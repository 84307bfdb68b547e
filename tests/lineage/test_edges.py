"""Edges accumulate as the spec says IO does: an event listing no inputs reports none,
it does not remove the inputs reported before (Marquez #2640, #3093)."""

import uuid

from lineagekit import dataset, graph, post, run_event


def test_inputs_reported_on_start_survive_a_complete_with_empty_inputs(as_alice, as_bob):
    run_id = str(uuid.uuid4())
    post(as_alice, run_event("START", run_id=run_id, inputs=[dataset("pg", "orders")], time="2024-05-01T12:00:00Z"))
    post(as_alice, run_event("COMPLETE", run_id=run_id, outputs=[dataset("pg", "daily")], time="2024-05-01T12:05:00Z"))

    nodes = graph(as_bob, "job:etl:job")

    assert nodes["job:etl:job"]["inEdges"] == [{"origin": "dataset:pg:orders", "destination": "job:etl:job"}]
    assert nodes["job:etl:job"]["outEdges"] == [{"origin": "job:etl:job", "destination": "dataset:pg:daily"}]


def test_a_job_with_several_inputs_and_outputs_has_an_edge_for_each(as_alice, as_bob):
    post(
        as_alice,
        run_event(
            inputs=[dataset("pg", "a"), dataset("pg", "b")],
            outputs=[dataset("s3://x", "c"), dataset("s3://x", "d")],
        ),
    )

    job = graph(as_bob, "job:etl:job")["job:etl:job"]

    assert {e["origin"] for e in job["inEdges"]} == {"dataset:pg:a", "dataset:pg:b"}
    assert {e["destination"] for e in job["outEdges"]} == {"dataset:s3://x:c", "dataset:s3://x:d"}


def test_runs_of_the_same_job_with_different_inputs_accumulate_both(as_alice, as_bob):
    post(as_alice, run_event(inputs=[dataset("pg", "monday")], time="2024-05-01T12:00:00Z"))
    post(as_alice, run_event(inputs=[dataset("pg", "tuesday")], time="2024-05-02T12:00:00Z"))

    job = graph(as_bob, "job:etl:job")["job:etl:job"]

    assert [e["origin"] for e in job["inEdges"]] == ["dataset:pg:monday", "dataset:pg:tuesday"]


def test_a_run_records_the_dataset_versions_it_read_and_wrote(as_alice, as_bob):
    event = run_event(inputs=[dataset("pg", "orders")], outputs=[dataset("pg", "daily")])
    event["outputs"][0]["outputFacets"] = {"outputStatistics": {"rowCount": 12}}
    post(as_alice, event)

    run = as_bob.get(f"/api/v1/jobs/runs/{event['run']['runId']}").json()

    assert run["inputDatasetVersions"][0]["datasetVersionId"]["name"] == "orders"
    assert run["outputDatasetVersions"][0]["facets"] == {"outputStatistics": {"rowCount": 12}}
