"""A version page puts its stage and alias controls first, offering only real moves."""

import re

import pytest

from registry.models import ModelVersion

from kit import changes, upload


@pytest.fixture
def iris_in_production(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    ModelVersion.objects.filter(version=1).update(stage="Production")


def stage_options(content: str) -> list[str]:
    select = re.search(r'<select name="stage"[^>]*>(.*?)</select>', content, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def test_the_stage_and_alias_controls_come_before_the_versions_details(client, carol, iris_in_production):
    client.force_login(carol)

    content = client.get("/models/iris/versions/1/").content.decode()

    controls = content.index('id="promote"')
    assert controls < content.index("<h2>Artifact</h2>")
    assert controls < content.index('name="alias"') < content.index("<h2>Artifact</h2>")


def test_the_stage_selector_does_not_offer_the_versions_current_stage(client, carol, iris_in_production):
    client.force_login(carol)

    content = client.get("/models/iris/versions/1/").content.decode()

    assert stage_options(content) == ["", "None", "Staging", "Archived"]


def test_posting_the_current_stage_changes_nothing_and_says_so(client, carol, iris_in_production):
    client.force_login(carol)

    response = client.post("/models/iris/versions/1/stage/", {"stage": "Production", "confirm": "1"}, follow=True)

    assert "Choose a stage other than Production." in response.content.decode()
    assert ModelVersion.objects.get().stage == "Production"
    assert not changes().exists()


def test_a_viewer_sees_no_controls(client, bob, iris_in_production):
    client.force_login(bob)

    content = client.get("/models/iris/versions/1/").content.decode()

    assert 'id="promote"' not in content and 'name="stage"' not in content
