"""What a node on the lineage graph says about itself: a model version as `<model> v<n>`
with its stage and aliases, a job with its last run's state, a model's versions stacked
in version order."""

import pytest
from lineagekit import dataset, facet, folded, post, run_event

from lineage import drawing
from lineage.graph import JOB, lineage_graph

from kit import SVG, client_for, svg_of


@pytest.fixture
def browser(bob):
    client = client_for(None)
    client.force_login(bob)
    return client


def model_version(model: str, version: int, **registry_fields) -> dict:
    facets = {"datasetType": facet(datasetType="MODEL")}
    if registry_fields:
        facets["modelRegistry_version"] = facet(**registry_fields)
    return dataset(model, str(version), **facets)


def drawn_nodes(response) -> dict:
    """{node id: (data-state, label text, sublabel text, y)} for each node on the page."""
    nodes = {}
    for group in svg_of(response).iter(f"{SVG}g"):
        if group.get("data-node-id"):
            label, sublabel = ("".join(text.itertext()) for text in group.iter(f"{SVG}text"))
            y = float(group.find(f"{SVG}rect").get("y"))
            nodes[group.get("data-node-id")] = (group.get("data-state"), label, sublabel, y)
    return nodes


def test_a_model_version_is_labelled_with_its_model_and_version_number(as_alice, browser):
    post(as_alice, run_event(job=("model-registry", "train.iris"), outputs=[model_version("iris", 3)]))

    state, label, sublabel, _ = drawn_nodes(browser.get("/lineage/", {"node": "model:iris:3"}))["model:iris:3"]

    assert (state, label, sublabel) == ("", "iris v3", "model version")


def test_a_models_versions_are_stacked_in_version_order_top_to_bottom(as_alice, browser):
    outputs = [model_version("iris", v) for v in (10, 2, 1)]
    post(as_alice, run_event(job=("model-registry", "train.iris"), outputs=outputs))

    nodes = drawn_nodes(browser.get("/lineage/", {"node": "job:model-registry:train.iris"}))

    stacked = sorted((y, node) for node, (_, _, _, y) in nodes.items() if node.startswith("model:"))
    assert [node for _, node in stacked] == ["model:iris:1", "model:iris:2", "model:iris:10"]


def test_a_jobs_node_shows_its_last_runs_state_beside_its_namespace(as_alice, browser):
    post(as_alice, run_event("START", run_id="r-1", job=("etl", "load"), outputs=[dataset("wh", "orders")]))
    post(as_alice, run_event("FAIL", run_id="r-1", job=("etl", "load"), time="2024-05-01T12:00:07Z"))

    nodes = drawn_nodes(browser.get("/lineage/", {"node": "job:etl:load"}))

    assert nodes["job:etl:load"][0] == "FAILED"
    assert nodes["job:etl:load"][2] == "FAILED · etl"
    assert nodes["dataset:wh:orders"][0] == ""
    assert nodes["dataset:wh:orders"][2] == "wh"


def test_a_model_versions_node_shows_its_stage_and_aliases(as_alice, browser):
    version = model_version("iris", 1, stage="Production", aliases=["champion"])
    post(as_alice, run_event(job=("model-registry", "train.iris"), outputs=[version]))

    state, label, sublabel, _ = drawn_nodes(browser.get("/lineage/", {"node": "model:iris:1"}))["model:iris:1"]

    assert (state, label, sublabel) == ("Production @champion", "iris v1", "Production @champion")


def test_a_version_in_no_stage_and_without_aliases_says_model_version(as_alice, browser):
    post(as_alice, run_event(job=("model-registry", "train.iris"), outputs=[model_version("iris", 1, stage="None")]))

    state, _, sublabel, _ = drawn_nodes(browser.get("/lineage/", {"node": "model:iris:1"}))["model:iris:1"]

    assert (state, sublabel) == ("", "model version")


def test_a_run_state_the_graph_carries_is_shown_over_the_jobs_latest_run(as_alice):
    post(as_alice, run_event("COMPLETE", job=("etl", "load"), outputs=[dataset("wh", "orders")]))
    folded()
    graph = lineage_graph("job:etl:load")
    job_key = next(key for key in graph.depths if key[0] == JOB)
    graph.run_states[job_key] = "RUNNING"

    drawn = {node.id: node for node in drawing.draw(graph).nodes}

    assert drawn["job:etl:load"].state == "RUNNING"
