"""Each stage and alias that serves a version is downstream of it in the graph (a
streaming job of the registry's), so data -> training -> version -> serving is one chain."""

import pytest
from lineagekit import folded, graph

from lineage.models import Dataset, Run
from registry.models import Holding

from kit import SVG, svg_of, upload

CHAMPION = "job:model-registry:serve.iris@champion"
PRODUCTION = "job:model-registry:serve.iris/Production"


@pytest.fixture
def two_versions(as_alice, iris_joblib):
    for _ in range(2):
        assert upload(as_alice, "iris", iris_joblib, inputs='["wh/a"]').status_code == 201


def set_alias(client, version: int, alias: str = "champion"):
    response = client.put(f"/api/v1/models/iris/aliases/{alias}", {"version": version}, format="json")
    assert response.status_code == 200, response.content


def set_stage(client, version: int, stage: str, **extra):
    response = client.post(f"/api/v1/models/iris/versions/{version}/stage", {"stage": stage, **extra}, format="json")
    assert response.status_code == 200, response.content


def test_an_alias_serving_a_version_is_downstream_of_it(two_versions, as_carol, as_bob):
    set_alias(as_carol, 1)

    nodes = graph(as_bob, "model:iris:1")

    assert nodes[CHAMPION]["inEdges"] == [{"origin": "model:iris:1", "destination": CHAMPION}]
    assert nodes[CHAMPION]["data"]["type"] == "STREAM"
    assert set(nodes) == {"dataset:default:wh/a", "job:model-registry:train.iris", "model:iris:1", CHAMPION}


def test_an_alias_that_moved_on_is_downstream_of_the_new_version_only(two_versions, as_carol, as_bob):
    set_alias(as_carol, 1)
    set_alias(as_carol, 2)

    assert CHAMPION not in graph(as_bob, "model:iris:1")
    assert CHAMPION in graph(as_bob, "model:iris:2")


def test_each_span_of_serving_is_a_run_that_ends_when_the_alias_moves(two_versions, as_carol):
    set_alias(as_carol, 1)
    set_alias(as_carol, 2)
    folded()

    runs = Run.objects.filter(job__name="serve.iris@champion").order_by("first_event_time", "id")
    holdings = Holding.objects.order_by("began_at", "id")

    assert [run.state for run in runs] == ["COMPLETED", "RUNNING"]
    assert [(h.version, h.ended_at is not None) for h in holdings] == [(1, True), (2, False)]
    assert [run.uuid for run in runs] == [h.run_id for h in holdings]


def test_a_stage_serves_its_newest_version(two_versions, as_carol, as_bob):
    set_stage(as_carol, 1, "Production")
    set_stage(as_carol, 2, "Production")

    assert PRODUCTION not in graph(as_bob, "model:iris:1")
    assert PRODUCTION in graph(as_bob, "model:iris:2")


def test_when_the_newest_leaves_the_stage_the_one_before_serves_it_again(two_versions, as_carol, as_bob):
    set_stage(as_carol, 1, "Production")
    set_stage(as_carol, 2, "Production")
    set_stage(as_carol, 2, "Archived")

    assert PRODUCTION in graph(as_bob, "model:iris:1")
    assert PRODUCTION not in graph(as_bob, "model:iris:2")


def test_a_deleted_alias_serves_nothing(two_versions, as_carol, as_bob):
    set_alias(as_carol, 1)
    assert as_carol.delete("/api/v1/models/iris/aliases/champion").status_code == 204

    assert CHAMPION not in graph(as_bob, "model:iris:1")
    assert not Holding.objects.filter(ended_at=None).exists()


def test_the_version_node_carries_its_stage_and_aliases(two_versions, as_carol):
    set_stage(as_carol, 1, "Staging")
    set_alias(as_carol, 1)
    set_stage(as_carol, 2, "Staging", archive_existing=True)
    folded()

    states = {
        d.name: (d.facets["modelRegistry_version"]["stage"], d.facets["modelRegistry_version"]["aliases"])
        for d in Dataset.objects.filter(type="MODEL")
    }

    assert states == {"1": ("Archived", ["champion"]), "2": ("Staging", [])}


def test_the_job_of_an_alias_shows_every_version_it_served(two_versions, as_carol, as_bob):
    set_alias(as_carol, 1)
    set_alias(as_carol, 2)

    nodes = graph(as_bob, CHAMPION, direction="upstream")

    assert {"model:iris:1", "model:iris:2"} <= set(nodes)


def test_the_version_page_draws_the_chain_with_each_nodes_state(two_versions, as_carol, client, bob):
    set_stage(as_carol, 1, "Production")
    set_alias(as_carol, 1)
    client.force_login(bob)

    svg = svg_of(client.get("/models/iris/versions/1/"))

    states = {g.get("data-node-id"): g.get("data-state") for g in svg.iter(f"{SVG}g") if g.get("data-node-id")}
    assert states == {
        "dataset:default:wh/a": "",
        "job:model-registry:train.iris": "COMPLETED",
        "model:iris:1": "Production @champion",
        CHAMPION: "RUNNING",
        PRODUCTION: "RUNNING",
    }
