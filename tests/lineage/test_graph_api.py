"""`GET /api/v1/lineage`: Marquez's shape, but a directed walk: upstream of a node is
what it was made from, not everything that shares a dataset with it."""

import pytest
from lineagekit import dataset, graph, job_step, post, run_event, schema


@pytest.fixture
def chain(as_alice):
    """a -> j1 -> b -> j2 -> c, and j3 also reading a (writing d)."""
    for step in (job_step("j1", "a", "b"), job_step("j2", "b", "c"), job_step("j3", "a", "d")):
        assert post(as_alice, step).status_code == 201


def test_upstream_of_c_is_exactly_j2_b_j1_a(chain, as_bob):
    nodes = graph(as_bob, "dataset:wh:c", direction="upstream")

    assert set(nodes) == {"dataset:wh:c", "job:etl:j2", "dataset:wh:b", "job:etl:j1", "dataset:wh:a"}


def test_around_c_by_default_j3_is_not_pulled_in_through_the_shared_input(chain, as_bob):
    nodes = graph(as_bob, "dataset:wh:c")

    assert "job:etl:j3" not in nodes and "dataset:wh:d" not in nodes
    assert len(nodes) == 5


def test_downstream_of_a_holds_both_readers_and_what_they_wrote(chain, as_bob):
    nodes = graph(as_bob, "dataset:wh:a", direction="downstream")

    assert set(nodes) == {
        "dataset:wh:a",
        "job:etl:j1",
        "dataset:wh:b",
        "job:etl:j2",
        "dataset:wh:c",
        "job:etl:j3",
        "dataset:wh:d",
    }


def test_depth_counts_edges_from_the_node(chain, as_bob):
    assert set(graph(as_bob, "dataset:wh:c", depth=2, direction="upstream")) == {
        "dataset:wh:c",
        "job:etl:j2",
        "dataset:wh:b",
    }
    assert set(graph(as_bob, "dataset:wh:c", depth=0)) == {"dataset:wh:c"}


def test_depth_defaults_to_twenty_edges(as_alice, as_bob):
    for i in range(15):
        post(as_alice, job_step(f"step{i:02d}", f"d{i:02d}", f"d{i + 1:02d}"))

    nodes = graph(as_bob, "dataset:wh:d15", direction="upstream")

    assert len(nodes) == 21  # d15 and 20 edges back: 10 jobs, 10 more datasets
    assert "dataset:wh:d05" in nodes and "job:etl:step04" not in nodes


def test_a_cycle_is_walked_once(as_alice, as_bob):
    post(as_alice, job_step("merge", "table", "table"))
    post(as_alice, job_step("load", "raw", "table"))

    nodes = graph(as_bob, "dataset:wh:table")

    assert set(nodes) == {"dataset:wh:table", "job:etl:merge", "job:etl:load", "dataset:wh:raw"}


def test_the_response_has_marquez_keys_edges_and_node_order(chain, as_bob):
    response = as_bob.get("/api/v1/lineage", {"nodeId": "dataset:wh:b"})

    body = response.json()["graph"]
    assert [n["id"] for n in body] == sorted(n["id"] for n in body)
    b = next(n for n in body if n["id"] == "dataset:wh:b")
    assert list(b) == ["id", "type", "data", "inEdges", "outEdges"]
    assert (b["type"], b["data"]["id"]) == ("DATASET", {"namespace": "wh", "name": "b"})
    assert b["inEdges"] == [{"origin": "job:etl:j1", "destination": "dataset:wh:b"}]
    assert b["outEdges"] == [{"origin": "dataset:wh:b", "destination": "job:etl:j2"}]
    j1 = next(n for n in body if n["id"] == "job:etl:j1")
    assert j1["type"] == "JOB"
    assert j1["data"]["latestRun"]["state"] == "COMPLETED"
    assert j1["data"]["inputs"] == [{"namespace": "wh", "name": "a"}]


def test_dataset_nodes_carry_their_schema_fields(as_alice, as_bob):
    post(as_alice, run_event(outputs=[dataset("pg", "orders", **schema("id", "total"))]))

    data = graph(as_bob, "dataset:pg:orders")["dataset:pg:orders"]["data"]

    assert [f["name"] for f in data["fields"]] == ["id", "total"]


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("postgres://warehouse:5432", "crm.public.customers"),
        ("s3://bucket", "warehouse/orders/2024/part 1+2%.parquet"),
        ("kafka://b1:9092,b2:9092", "topic:with:colons"),
    ],
)
def test_names_with_slashes_colons_spaces_plus_and_percent_work_as_query_parameters(as_alice, as_bob, namespace, name):
    post(as_alice, run_event(inputs=[dataset(namespace, name)]))

    nodes = graph(as_bob, f"dataset:{namespace}:{name}")

    assert f"dataset:{namespace}:{name}" in nodes and "job:etl:job" in nodes


def test_an_unknown_node_is_404(as_bob, db):
    response = as_bob.get("/api/v1/lineage", {"nodeId": "dataset:nowhere:nothing"})

    assert response.status_code == 404


@pytest.mark.parametrize("node", ["", "table", "run:123", "dataset:nocolon"])
def test_a_malformed_node_id_is_400_naming_node_id(as_bob, node):
    response = as_bob.get("/api/v1/lineage", {"nodeId": node})

    assert response.status_code == 400
    assert "nodeId" in response.json()["message"]


def test_a_bad_depth_is_400_naming_depth(as_bob):
    response = as_bob.get("/api/v1/lineage", {"nodeId": "dataset:a:b", "depth": "deep"})

    assert response.status_code == 400
    assert "depth" in response.json()["message"]
