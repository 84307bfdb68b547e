"""A new user's first hour in a real browser: a token for scripts, the version page's
controls, the compare charts at any width, and a friendly page for a wrong address."""

import json
import urllib.request

import pytest

from registry import artifacts, services
from registry.models import ModelVersion

from kit import joblib_bytes, user_with_roles

# A live server needs real commits; `newcomer` grants the roles again if a flush emptied them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def newcomer(db):
    return user_with_roles("nina", "viewers", "promoters")


@pytest.fixture
def two_versions(iris_model, tmp_path):
    """iris v1 in Production and v2, with different accuracies."""
    import io

    for accuracy in (0.93, 0.96):
        with artifacts.spooled(io.BytesIO(joblib_bytes(iris_model))) as artifact:
            services.model_version_create(
                actor=None, model_name="iris", artifact=artifact, metrics={"accuracy": accuracy}
            )
    ModelVersion.objects.filter(version=1).update(stage="Production")


def test_a_new_user_makes_a_token_from_the_user_menu_and_reads_the_api_with_it(page, live_server, log_in, newcomer):
    log_in(newcomer)
    page.click(".account >> text=API token")
    assert page.locator("#token-state").inner_text() == "You have no API token yet."
    page.click("button:has-text('Create token')")

    key = page.locator("#token-key").inner_text().strip()
    request = urllib.request.Request(f"{live_server.url}/api/v1/models", headers={"Authorization": f"Token {key}"})
    with urllib.request.urlopen(request) as response:  # noqa: S310 (the test's own server)
        assert response.status == 200
        assert json.load(response)["count"] == 0


def test_the_version_pages_controls_are_in_view_and_skip_the_current_stage(
    page, live_server, log_in, newcomer, two_versions
):
    log_in(newcomer, "/models/iris/versions/1/")

    controls = page.locator("#promote").bounding_box()
    assert controls["y"] + controls["height"] <= page.viewport_size["height"]
    options = page.locator("select[name=stage] option").all_inner_texts()
    assert options == ["Move to…", "None", "Staging", "Archived"]


@pytest.mark.parametrize("width", [1280, 480])
def test_a_compare_chart_fills_its_card_at_any_window_width(page, live_server, log_in, newcomer, two_versions, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(newcomer, "/models/iris/compare/?v=1&v=2")

    chart = page.locator("svg.metric-chart").bounding_box()
    card = page.locator("figure.card").bounding_box()
    assert card["width"] - chart["width"] < 50  # the card's padding and border, no more
    assert chart["height"] == pytest.approx(chart["width"] / 2, rel=0.02)  # the drawing's 480 x 240 shape
    assert page.locator("svg.metric-chart text.tick.x").all_text_contents() == ["v1", "v2"]


def test_a_wrong_address_shows_the_sites_not_found_page(page, live_server, log_in, newcomer):
    log_in(newcomer)

    response = page.goto(f"{live_server.url}/no/such/page")

    assert response.status == 404
    assert page.locator("h1").inner_text() == "Nothing here"
    assert "Resolver404" not in page.content()
