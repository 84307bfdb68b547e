"""The lineage explorer: the neighbourhood of a node as a server-rendered SVG (no
JavaScript, no CDN), every node a link to its page, with depth, direction and search."""

import json
import re

import pytest
from lineagekit import dataset, facet, job_step, post, run_event, schema

from kit import SVG, client_for, nodes_and_edges, svg_of, upload


@pytest.fixture
def chain(as_alice):
    for step in (job_step("j1", "a", "b"), job_step("j2", "b", "c"), job_step("j3", "a", "d")):
        post(as_alice, step)


@pytest.fixture
def browser(bob):
    client = client_for(None)
    client.force_login(bob)
    return client


def test_the_page_draws_one_svg_element_per_node_and_per_edge(chain, browser):
    svg = svg_of(browser.get("/lineage/", {"node": "dataset:wh:b", "depth": 4}))

    links, edges = nodes_and_edges(svg)
    groups = [g for g in svg.iter(f"{SVG}g") if "node" in g.get("class", "").split()]
    assert len(groups) == len(links) == 5
    assert set(links) == {"dataset:wh:a", "job:etl:j1", "dataset:wh:b", "job:etl:j2", "dataset:wh:c"}
    assert sorted(edges) == sorted(
        [
            ("dataset:wh:a", "job:etl:j1"),
            ("job:etl:j1", "dataset:wh:b"),
            ("dataset:wh:b", "job:etl:j2"),
            ("job:etl:j2", "dataset:wh:c"),
        ]
    )
    assert all(p.get("marker-end") == "url(#arrow)" for p in svg.iter(f"{SVG}path") if p.get("class") == "edge")


def test_every_node_links_to_its_own_page_and_those_pages_answer(chain, browser):
    links, _ = nodes_and_edges(svg_of(browser.get("/lineage/", {"node": "dataset:wh:b"})))

    assert links["dataset:wh:a"] == "/lineage/dataset/?namespace=wh&name=a"
    assert links["job:etl:j1"] == "/lineage/job/?namespace=etl&name=j1"
    assert {browser.get(href).status_code for href in links.values()} == {200}


def test_the_layout_runs_left_to_right_along_the_edges(chain, browser):
    svg = svg_of(browser.get("/lineage/", {"node": "dataset:wh:c", "depth": 4}))

    x = {
        g.get("data-node-id"): float(g.find(f"{SVG}rect").get("x"))
        for g in svg.iter(f"{SVG}g")
        if g.get("data-node-id")
    }
    assert x["dataset:wh:a"] < x["job:etl:j1"] < x["dataset:wh:b"] < x["job:etl:j2"] < x["dataset:wh:c"]


def test_datasets_jobs_and_model_versions_are_drawn_differently(as_alice, browser, iris_joblib):
    upload(as_alice, "iris", iris_joblib, inputs=json.dumps(["s3://lake/iris.csv"]))

    svg = svg_of(browser.get("/lineage/", {"node": "model:iris:1"}))

    kinds = {g.get("data-node-id"): g.get("class").split()[1] for g in svg.iter(f"{SVG}g") if g.get("data-node-id")}
    assert kinds == {
        "model:iris:1": "model",
        "job:model-registry:train.iris": "job",
        "dataset:s3://lake:iris.csv": "dataset",
    }
    shapes = {
        kinds[g.get("data-node-id")]: g.find(f"{SVG}rect").get("rx")
        for g in svg.iter(f"{SVG}g")
        if g.get("data-node-id")
    }
    assert len(set(shapes.values())) == 3
    links, _ = nodes_and_edges(svg)
    assert links["model:iris:1"] == "/models/iris/versions/1/"


def test_the_upstream_toggle_leaves_out_what_is_downstream(chain, browser):
    links, _ = nodes_and_edges(svg_of(browser.get("/lineage/", {"node": "dataset:wh:b", "direction": "upstream"})))

    assert set(links) == {"dataset:wh:b", "job:etl:j1", "dataset:wh:a"}


def test_the_depth_control_limits_the_drawing(chain, browser):
    response = browser.get("/lineage/", {"node": "dataset:wh:b", "depth": 1})

    links, _ = nodes_and_edges(svg_of(response))
    assert set(links) == {"dataset:wh:b", "job:etl:j1", "job:etl:j2"}
    assert b'<option value="1" selected>' in response.content


def test_the_graph_is_drawn_without_javascript_and_only_our_own_script_is_loaded(chain, browser):
    page = browser.get("/lineage/", {"node": "dataset:wh:b"}).content.decode()

    assert page.count('data-node-id="') == 5  # every node is in the HTML as served
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/lineage-view.js" defer>']
    assert not re.search(r"(src|href)=\"https?://", page)


def test_search_finds_datasets_and_jobs_by_name(chain, browser):
    page = browser.get("/lineage/", {"q": "j2"}).content.decode()

    assert "/lineage/job/?namespace=etl&amp;name=j2" in page
    assert "/lineage/?node=job%3Aetl%3Aj2" in page
    assert "/lineage/dataset/?namespace=wh&amp;name=a" not in page


def test_an_unknown_node_is_a_404_page_saying_so(browser, db):
    response = browser.get("/lineage/", {"node": "dataset:nowhere:x"})

    assert response.status_code == 404
    assert b"no lineage node" in response.content


def test_the_dataset_page_shows_schema_facets_and_its_jobs(as_alice, browser):
    docs = {"documentation": facet(description="All orders, one row each.")}
    post(
        as_alice,
        run_event(job=("etl", "load"), outputs=[dataset("pg", "orders", **schema("order_id", "total"), **docs)]),
    )
    post(as_alice, run_event(job=("etl", "report"), inputs=[dataset("pg", "orders")]))

    page = browser.get("/lineage/dataset/", {"namespace": "pg", "name": "orders"}).content.decode()

    assert "order_id" in page and "total" in page
    assert "All orders, one row each." in page
    produced, consumed = page.split("Produced by")[1].split("Consumed by")
    assert "load" in produced and "report" not in produced
    assert "report" in consumed.split("Versions")[0]


def test_the_job_page_shows_runs_with_state_and_times_and_its_sql(as_alice, browser):
    sql = {"sql": facet(query="SELECT id, total FROM orders WHERE total > 0")}
    post(as_alice, run_event("START", run_id="r-1", job_facets=sql, time="2024-05-01T12:00:00Z"))
    post(as_alice, run_event("FAIL", run_id="r-1", time="2024-05-01T12:00:07Z"))

    page = browser.get("/lineage/job/", {"namespace": "etl", "name": "job"}).content.decode()

    assert "SELECT id, total FROM orders WHERE total &gt; 0" in page
    assert "FAILED" in page and "2024-05-01 12:00:00" in page and "7000 ms" in page


def test_an_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get("/lineage/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_someone_without_a_role_is_refused(charlie):
    client = client_for(None)
    client.force_login(charlie)

    assert client.get("/lineage/").status_code == 403
