"""Rollback returns an alias, or a stage that serves, to the version that served it
before: one call, audited with a comment, refused when there is nothing to return to."""

import pytest

from registry.models import Alias, AuditEntry, ModelVersion

from kit import upload


@pytest.fixture
def three_versions(as_alice, iris_joblib):
    for _ in range(3):
        assert upload(as_alice, "iris", iris_joblib).status_code == 201


def set_alias(client, version: int):
    response = client.put("/api/v1/models/iris/aliases/champion", {"version": version}, format="json")
    assert response.status_code == 200, response.content


def set_stage(client, version: int, stage: str):
    response = client.post(
        f"/api/v1/models/iris/versions/{version}/stage", {"stage": stage, "archive_existing": True}, format="json"
    )
    assert response.status_code == 200, response.content


def test_an_alias_rolls_back_to_the_version_it_pointed_at_before(three_versions, as_carol):
    set_alias(as_carol, 1)
    set_alias(as_carol, 2)

    response = as_carol.post("/api/v1/models/iris/aliases/champion/rollback", {"comment": "v2 drifts"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    assert Alias.objects.get(name="champion").version.version == 1
    entry = AuditEntry.objects.filter(action="alias_set").order_by("id").last()
    assert (entry.from_value, entry.to_value) == ("champion@2", "champion@1")
    assert entry.comment == "rollback of alias champion from version 2 to 1: v2 drifts"


def test_a_stage_rolls_back_and_the_version_that_held_it_is_archived(three_versions, as_carol):
    set_stage(as_carol, 1, "Production")
    set_stage(as_carol, 2, "Production")

    response = as_carol.post("/api/v1/models/iris/stages/production/rollback", {}, format="json")

    assert response.status_code == 200, response.content
    stages = dict(ModelVersion.objects.values_list("version", "stage"))
    assert stages == {1: "Production", 2: "Archived", 3: "None"}
    served = as_carol.get("/api/v1/models/iris/history").json()["holdings"][0]
    assert (served["target"], served["version"], served["ended_at"]) == ("Production", 1, None)


def test_a_rollback_skips_a_version_deleted_since(three_versions, as_carol):
    for version in (1, 2, 3):
        set_alias(as_carol, version)
    ModelVersion.objects.filter(version=2).delete()  # as the admin or the MLflow API would

    response = as_carol.post("/api/v1/models/iris/aliases/champion/rollback", {}, format="json")

    assert response.json()["version"] == 1


def test_an_alias_that_never_moved_has_nothing_to_roll_back_to(three_versions, as_carol):
    set_alias(as_carol, 1)
    changes = AuditEntry.objects.count()

    response = as_carol.post("/api/v1/models/iris/aliases/champion/rollback", {}, format="json")

    assert response.status_code == 409
    assert response.json()["error_code"] == "INVALID_STATE"
    assert "no other version" in response.json()["message"]
    assert Alias.objects.get().version.version == 1 and AuditEntry.objects.count() == changes


def test_a_stage_that_serves_nothing_cannot_be_rolled_back(three_versions, as_carol):
    response = as_carol.post("/api/v1/models/iris/stages/Staging/rollback", {}, format="json")

    assert response.status_code == 409
    assert "serves no version" in response.json()["message"]


def test_archived_is_not_a_stage_that_serves(three_versions, as_carol):
    response = as_carol.post("/api/v1/models/iris/stages/Archived/rollback", {}, format="json")

    assert response.status_code == 400
    assert "only Staging and Production" in response.json()["message"]


def test_an_uploader_may_not_roll_back(three_versions, as_carol, as_alice):
    set_alias(as_carol, 1)
    set_alias(as_carol, 2)

    response = as_alice.post("/api/v1/models/iris/aliases/champion/rollback", {}, format="json")

    assert response.status_code == 403
    assert Alias.objects.get().version.version == 2


def test_the_model_page_offers_the_rollback_and_it_works(three_versions, as_carol, client, carol):
    set_alias(as_carol, 1)
    set_alias(as_carol, 2)
    client.force_login(carol)

    page = client.get("/models/iris/").content.decode()
    assert "Roll back @champion to v1" in page
    response = client.post("/models/iris/rollback/", {"target": "@champion", "comment": "bad night"})

    assert response.status_code == 302
    assert Alias.objects.get().version.version == 1
    assert "champion is back on version 1" in client.get(response["Location"]).content.decode()


def test_a_rollback_is_not_blocked_by_the_policy_the_new_version_passed(three_versions, as_carol):
    set_stage(as_carol, 1, "Production")
    set_stage(as_carol, 2, "Production")
    policy = {"approvals_required": 1}
    assert as_carol.put("/api/v1/models/iris/policies/Production", policy, format="json").status_code == 200

    response = as_carol.post("/api/v1/models/iris/stages/Production/rollback", {}, format="json")

    assert response.status_code == 200, response.content
    assert dict(ModelVersion.objects.values_list("version", "stage")) == {1: "Production", 2: "Archived", 3: "None"}
    blocked = as_carol.post("/api/v1/models/iris/versions/3/stage", {"stage": "Production"}, format="json")
    assert blocked.status_code == 409
