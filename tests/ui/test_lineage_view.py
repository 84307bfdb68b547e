"""The lineage view in a real browser: it opens on the focal node of a long chain, pans
by dragging, zooms by wheel and buttons, and its nodes stay links."""

import io
import json
import uuid

import pytest

from registry import artifacts, services

from kit import joblib_bytes, user_with_roles

# A live server needs real commits; `viewer` grants the role again if a flush emptied them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FOCAL = "job:etl:j3"


@pytest.fixture
def viewer(db):
    return user_with_roles("vera", "viewers")


def job_step(job: str, reads: str, writes: str | None = None) -> dict:
    """A COMPLETE OpenLineage run event of `job` reading and writing datasets of `wh`."""
    return {
        "eventType": "COMPLETE",
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": "https://example.com/tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "etl", "name": job},
        "inputs": [{"namespace": "wh", "name": reads}],
        "outputs": [{"namespace": "wh", "name": writes}] if writes else [],
    }


@pytest.fixture
def six_node_chain(as_alice):
    """d1 -> j1 -> d2 -> j2 -> d3 -> j3: 1,640 pixels wide at natural size."""
    for step in (job_step("j1", "d1", "d2"), job_step("j2", "d2", "d3"), job_step("j3", "d3")):
        response = as_alice.post("/api/v1/lineage", json.dumps(step), content_type="application/json")
        assert response.status_code in (200, 201), response.content


@pytest.fixture
def chain_page(page, live_server, log_in, viewer, six_node_chain):
    page.set_viewport_size({"width": 1000, "height": 800})
    log_in(viewer, f"/lineage/?node={FOCAL}&depth=5")
    page.wait_for_selector(".lineage-canvas.pannable")
    return page


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def is_inside(inner, outer):
    return (
        outer["x"] <= inner["x"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and outer["y"] <= inner["y"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


def transform(page):
    return page.locator("g.lineage-viewport").get_attribute("transform")


def test_the_focal_node_at_the_end_of_a_six_node_chain_opens_inside_the_canvas(chain_page):
    nodes = chain_page.locator("g.node").count()
    focal, canvas = box(chain_page, "g.node.start"), box(chain_page, ".lineage-canvas")

    assert nodes == 6
    assert chain_page.locator("g.node.start").get_attribute("data-node-id") == FOCAL
    assert is_inside(focal, canvas), (focal, canvas)
    assert focal["width"] >= 200 * 0.8  # opened at a readable scale, not squeezed to fit


def test_the_zoom_buttons_and_the_wheel_change_the_scale(chain_page):
    opened = transform(chain_page)
    chain_page.click("button[data-zoom=zoomIn]")
    zoomed_in = transform(chain_page)
    canvas = box(chain_page, ".lineage-canvas")
    chain_page.mouse.move(canvas["x"] + 40, canvas["y"] + 20)
    chain_page.mouse.wheel(0, 400)
    chain_page.wait_for_function(
        f"document.querySelector('g.lineage-viewport').getAttribute('transform') != {zoomed_in!r}"
    )

    assert zoomed_in != opened
    assert scale_of(transform(chain_page)) < scale_of(zoomed_in)
    chain_page.click("button[data-zoom=reset]")
    assert transform(chain_page) == opened


def scale_of(transform: str) -> float:
    return float(transform.split("scale(")[1].rstrip(")"))


def test_a_drag_that_starts_on_a_node_pans_without_following_its_link(chain_page):
    url, before = chain_page.url, box(chain_page, "g.node.start")
    chain_page.mouse.move(before["x"] + 20, before["y"] + 20)
    chain_page.mouse.down()
    chain_page.mouse.move(before["x"] - 100, before["y"] + 40, steps=8)
    chain_page.mouse.up()

    after = box(chain_page, "g.node.start")
    assert after["x"] == pytest.approx(before["x"] - 120, abs=2)
    assert after["y"] == pytest.approx(before["y"] + 20, abs=2)
    assert chain_page.url == url


def test_a_click_on_a_node_still_opens_its_page(chain_page):
    chain_page.click("g.node.start")

    chain_page.wait_for_url("**/lineage/job/?namespace=etl&name=j3")
    assert chain_page.locator("h1").inner_text().endswith("j3")


def test_the_canvas_pans_and_zooms_from_the_keyboard(chain_page):
    opened = transform(chain_page)
    chain_page.focus(".lineage-canvas")
    chain_page.keyboard.press("ArrowRight")
    panned = transform(chain_page)
    chain_page.keyboard.press("-")

    assert panned != opened
    assert scale_of(transform(chain_page)) < scale_of(panned)


def test_the_version_page_opens_on_its_model_version_node(page, live_server, log_in, viewer, iris_model):
    with artifacts.spooled(io.BytesIO(joblib_bytes(iris_model))) as artifact:
        services.model_version_create(actor=None, model_name="iris", artifact=artifact, inputs=["s3://lake/iris.csv"])
    page.set_viewport_size({"width": 1000, "height": 800})
    log_in(viewer, "/models/iris/versions/1/")
    page.wait_for_selector(".lineage-canvas.pannable")

    version = page.locator("g.node.start")
    assert version.get_attribute("data-node-id") == "model:iris:1"
    assert is_inside(version.bounding_box(), box(page, ".lineage-canvas"))


def test_each_node_reached_with_tab_is_panned_into_view(chain_page):
    canvas = box(chain_page, ".lineage-canvas")
    first = chain_page.locator("g.node[data-node-id='dataset:wh:d1']")
    assert not is_inside(first.bounding_box(), canvas)  # the chain opened at its far end

    chain_page.focus(".lineage-canvas")
    reached = []
    for _ in range(6):  # nearest first: the links come in order of distance from the focal node
        chain_page.keyboard.press("Tab")
        focused = chain_page.locator(":focus g.node")
        reached.append(focused.get_attribute("data-node-id"))
        assert is_inside(focused.bounding_box(), canvas), reached[-1]

    assert reached[0] == FOCAL and reached[-1] == "dataset:wh:d1"


def test_the_version_page_reads_data_training_version_serving_as_one_chain(
    page, live_server, log_in, viewer, iris_model
):
    with artifacts.spooled(io.BytesIO(joblib_bytes(iris_model))) as artifact:
        version = services.model_version_create(
            actor=None, model_name="iris", artifact=artifact, inputs=["s3://lake/iris.csv"]
        )
    promoter = user_with_roles("pat", "promoters")
    services.model_version_transition_stage(actor=promoter, version=version, stage="Production")
    services.alias_set(actor=promoter, model=version.model, alias="champion", version=version)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(viewer, "/models/iris/versions/1/")
    page.wait_for_selector(".lineage-canvas.pannable")

    canvas = box(page, ".lineage-canvas")
    shown = {
        node.get_attribute("data-node-id"): " ".join(node.locator("text").all_text_contents()).split()
        for node in page.locator("g.node").all()
        if is_inside(node.bounding_box(), canvas)
    }
    assert shown["dataset:s3://lake:iris.csv"][0] == "iris.csv"
    assert "COMPLETED" in shown["job:model-registry:train.iris"]
    assert shown["model:iris:1"][:2] == ["iris", "v1"] and "Production" in shown["model:iris:1"]
    assert "RUNNING" in shown["job:model-registry:serve.iris@champion"]
    assert "RUNNING" in shown["job:model-registry:serve.iris/Production"]
