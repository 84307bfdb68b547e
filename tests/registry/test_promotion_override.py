"""Staff may force a promotion its policy blocks, saying why; the override is audited."""

import pytest

from registry.models import Alias, AuditEntry, ModelVersion

from kit import changes, client_for, registry_state, upload

STAGE = "/api/v1/models/iris/versions/1/stage"
ALIAS = "/api/v1/models/iris/aliases/champion"


@pytest.fixture
def gated_iris(as_alice, as_carol, iris_joblib):
    """iris v1 (accuracy 0.8); Production and champion ask for accuracy 0.9."""
    upload(as_alice, "iris", iris_joblib, metrics='{"accuracy": 0.8}')
    for target in ("Production", "champion"):
        response = as_carol.put(
            f"/api/v1/models/iris/policies/{target}", {"min_metrics": {"accuracy": 0.9}}, format="json"
        )
        assert response.status_code == 200, response.content


@pytest.fixture
def staff_carol(carol):
    carol.is_staff = True
    carol.save()
    return carol


def test_staff_override_promotes_despite_failing_checks_and_is_audited(staff_carol, gated_iris):
    response = client_for(staff_carol).post(
        STAGE, {"stage": "Production", "override": True, "comment": "hotfix, eval rerun tomorrow"}, format="json"
    )

    assert response.status_code == 200
    assert ModelVersion.objects.get().stage == "Production"
    entries = list(changes().order_by("id").values_list("action", "to_value", "actor_name", "comment"))
    assert [entry[:3] for entry in entries] == [("override", "Production", "carol"), ("stage", "Production", "carol")]
    assert entries[0][3] == "hotfix, eval rerun tomorrow\nFailed checks: min_metrics.accuracy: accuracy 0.8 < 0.9"
    assert entries[1][3] == "hotfix, eval rerun tomorrow"


def test_staff_override_sets_a_gated_alias(staff_carol, gated_iris):
    response = client_for(staff_carol).put(
        ALIAS, {"version": 1, "override": True, "comment": "demo for the board"}, format="json"
    )

    assert response.status_code == 200
    assert Alias.objects.get().version.version == 1
    assert set(changes().values_list("action", flat=True)) == {"override", "alias_set"}


def test_an_override_without_a_comment_is_refused_naming_comment(staff_carol, gated_iris):
    before = registry_state()

    response = client_for(staff_carol).post(STAGE, {"stage": "Production", "override": True}, format="json")

    assert response.status_code == 400
    assert response.json()["message"].startswith("comment:")
    assert registry_state() == before


def test_a_non_staff_override_is_forbidden(as_carol, gated_iris):
    before = registry_state()

    response = as_carol.post(STAGE, {"stage": "Production", "override": True, "comment": "please"}, format="json")

    assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert registry_state() == before


def test_an_override_of_passing_checks_adds_no_override_entry(staff_carol, as_alice, as_carol, iris_joblib):
    upload(as_alice, "iris", iris_joblib, metrics='{"accuracy": 0.95}')
    as_carol.put("/api/v1/models/iris/policies/Production", {"min_metrics": {"accuracy": 0.9}}, format="json")

    response = client_for(staff_carol).post(
        STAGE, {"stage": "Production", "override": True, "comment": "just in case"}, format="json"
    )

    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="override").exists()


def test_staff_override_from_the_version_page(client, staff_carol, gated_iris):
    client.force_login(staff_carol)

    response = client.post(
        "/models/iris/versions/1/stage/",
        {"stage": "Production", "comment": "incident 42", "override": "on", "confirm": "1"},
        follow=True,
    )

    assert "Version 1 is now Production." in response.content.decode()
    assert AuditEntry.objects.filter(action="override", actor_name="carol").exists()


def test_the_override_checkbox_is_offered_to_staff_only(client, carol, gated_iris):
    client.force_login(carol)
    promoter_page = client.get("/models/iris/versions/1/").content.decode()
    carol.is_staff = True
    carol.save()

    staff_page = client.get("/models/iris/versions/1/").content.decode()

    assert 'name="override"' not in promoter_page
    assert staff_page.count('name="override"') == 2
