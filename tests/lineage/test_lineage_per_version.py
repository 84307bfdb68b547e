"""A model version's graph goes upstream through the runs that produced it: the datasets
that version's training read, not everything its model's training job ever read."""

import json
import uuid

import pytest
from lineagekit import dataset, graph, post, run_event

from kit import upload

TRAIN = "job:model-registry:train.iris"


def upstream_datasets(nodes: dict) -> set[str]:
    return {node_id for node_id, node in nodes.items() if node["type"] == "DATASET"}


@pytest.fixture
def three_versions(as_alice, iris_joblib):
    """iris v1 trained on a, v2 on b, v3 registered with no inputs."""
    for inputs in ('["wh/a"]', '["wh/b"]', None):
        fields = {"inputs": inputs} if inputs else {}
        assert upload(as_alice, "iris", iris_joblib, **fields).status_code == 201


def test_a_version_registered_without_inputs_has_no_upstream_dataset(three_versions, as_bob):
    nodes = graph(as_bob, "model:iris:3", direction="upstream")

    assert upstream_datasets(nodes) == set()
    assert set(nodes) == {"model:iris:3", TRAIN}
    assert nodes[TRAIN]["data"]["inputs"] == []


def test_the_first_version_shows_its_own_input_and_not_the_second_ones(three_versions, as_bob):
    nodes = graph(as_bob, "model:iris:1")

    assert upstream_datasets(nodes) == {"dataset:default:wh/a"}
    assert nodes[TRAIN]["inEdges"] == [{"origin": "dataset:default:wh/a", "destination": TRAIN}]


def test_the_second_version_shows_its_own_input_and_not_the_first_ones(three_versions, as_bob):
    nodes = graph(as_bob, "model:iris:2")

    assert upstream_datasets(nodes) == {"dataset:default:wh/b"}
    assert nodes[TRAIN]["data"]["inputs"] == [{"namespace": "default", "name": "wh/b"}]


def test_a_version_named_after_an_openlineage_run_links_to_that_runs_inputs(as_alice, as_bob, iris_joblib):
    run_id = str(uuid.uuid4())
    fit = ("airflow", "train_iris.fit")
    post(as_alice, run_event(job=fit, inputs=[dataset("wh", "features_v1")], time="2024-05-01T10:00:00Z"))
    post(as_alice, run_event(job=fit, run_id=run_id, inputs=[dataset("wh", "features_v2")]))
    assert upload(as_alice, "iris", iris_joblib, run_id=run_id).status_code == 201

    nodes = graph(as_bob, "model:iris:1")

    assert upstream_datasets(nodes) == {"dataset:wh:features_v2"}
    assert {"origin": "job:airflow:train_iris.fit", "destination": "model:iris:1"} in nodes["model:iris:1"]["inEdges"]
    assert nodes["job:airflow:train_iris.fit"]["data"]["inputs"] == [{"namespace": "wh", "name": "features_v2"}]


def test_a_non_uuid_run_id_links_as_openlineage_maps_it(as_alice, as_bob, iris_joblib):
    post(as_alice, run_event(job=("spark", "fit"), run_id="spark-app-42", inputs=[dataset("wh", "events")]))
    assert upload(as_alice, "iris", iris_joblib, run_id="spark-app-42").status_code == 201

    nodes = graph(as_bob, "model:iris:1", direction="upstream")

    assert upstream_datasets(nodes) == {"dataset:wh:events"}


def test_beyond_the_producing_run_the_walk_continues_upstream_by_job(as_alice, as_bob, iris_joblib):
    post(as_alice, run_event(job=("etl", "clean"), inputs=[dataset("wh", "raw")], outputs=[dataset("wh", "a")]))
    inputs = json.dumps([{"namespace": "wh", "name": "a"}])
    assert upload(as_alice, "iris", iris_joblib, inputs=inputs).status_code == 201

    nodes = graph(as_bob, "model:iris:1", direction="upstream")

    assert set(nodes) == {"model:iris:1", TRAIN, "dataset:wh:a", "job:etl:clean", "dataset:wh:raw"}


def test_the_model_job_still_shows_every_input_it_ever_read(three_versions, as_bob):
    nodes = graph(as_bob, TRAIN, direction="upstream")

    assert upstream_datasets(nodes) == {"dataset:default:wh/a", "dataset:default:wh/b"}


def test_depth_one_shows_the_producing_job_only(three_versions, as_bob):
    nodes = graph(as_bob, "model:iris:1", depth=1)

    assert set(nodes) == {"model:iris:1", TRAIN}
