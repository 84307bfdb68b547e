"""Registering a model version records its training lineage (inputs -> train.<model> ->
model:<name>:<version>) through the same ingestion as any producer."""

import json

from lineagekit import folded, graph

from lineage import services
from lineage.models import Dataset, LineageEvent
from registry.models import ModelVersion

from kit import upload

INPUTS = [{"namespace": "postgres://warehouse:5432", "name": "crm.public.customers"}, "s3://lake/iris/train.parquet"]


def test_a_version_with_two_inputs_is_in_the_graph_with_its_train_job_and_both_datasets(as_alice, as_bob, iris_joblib):
    response = upload(as_alice, "iris", iris_joblib, inputs=json.dumps(INPUTS))
    assert response.status_code == 201, response.content

    nodes = graph(as_bob, "model:iris:1")

    job = "job:model-registry:train.iris"
    customers = "dataset:postgres://warehouse:5432:crm.public.customers"
    parquet = "dataset:s3://lake:iris/train.parquet"
    assert set(nodes) == {"model:iris:1", job, customers, parquet}
    assert nodes["model:iris:1"]["type"] == "MODEL"
    assert nodes["model:iris:1"]["inEdges"] == [{"origin": job, "destination": "model:iris:1"}]
    assert {e["origin"] for e in nodes[job]["inEdges"]} == {customers, parquet}
    assert nodes[job]["data"]["latestRun"]["state"] == "COMPLETED"


def test_the_recorded_event_is_a_complete_run_event_with_a_model_dataset_output(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib, inputs=json.dumps(INPUTS), run_id="mlflow-run-7")

    event = LineageEvent.objects.get().payload

    assert (event["eventType"], event["job"]["name"]) == ("COMPLETE", "train.iris")
    assert event["outputs"][0]["facets"]["datasetType"]["datasetType"] == "MODEL"
    assert event["run"]["facets"]["modelRegistry_sourceRun"]["runId"] == "mlflow-run-7"
    folded()
    assert Dataset.objects.get(type="MODEL").name == "1"


def test_each_version_is_its_own_model_node_under_the_same_train_job(as_alice, as_bob, iris_joblib):
    upload(as_alice, "iris", iris_joblib, inputs=json.dumps(INPUTS[:1]))
    upload(as_alice, "iris", iris_joblib, inputs=json.dumps(INPUTS[1:]))

    nodes = graph(as_bob, "job:model-registry:train.iris", direction="downstream")

    assert {"model:iris:1", "model:iris:2"} <= set(nodes)


def test_a_lineage_failure_never_fails_the_upload(as_alice, iris_joblib, monkeypatch):
    def broken(**_):
        raise RuntimeError("lineage store unavailable")

    monkeypatch.setattr(services, "model_version_lineage_record", broken)

    response = upload(as_alice, "iris", iris_joblib, inputs=json.dumps(INPUTS))

    assert response.status_code == 201
    assert ModelVersion.objects.count() == 1
    assert not LineageEvent.objects.exists()
