"""Approvals: a promoter other than a version's uploader vouches for it serving a target;
a policy may require them before the promotion goes through."""

import pytest

from registry.models import Approval, ModelVersion

from kit import client_for, upload, user_with_roles

APPROVALS = "/api/v1/models/iris/versions/1/approvals"


def approve(client, target: str = "Production", comment: str = "looked at the eval"):
    return client.post(APPROVALS, {"target": target, "comment": comment}, format="json")


@pytest.fixture
def gated_iris(as_alice, as_carol, iris_joblib):
    """iris v1 uploaded by alice; Production asks for one approval."""
    upload(as_alice, "iris", iris_joblib)
    response = as_carol.put("/api/v1/models/iris/policies/Production", {"approvals_required": 1}, format="json")
    assert response.status_code == 200, response.content


@pytest.fixture
def as_pat(db):
    """Pat uploads and promotes."""
    return client_for(user_with_roles("pat", "uploaders", "promoters", token_only=True))


def test_a_required_approval_blocks_until_another_promoter_approves(as_carol, gated_iris):
    blocked = as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")
    approved = approve(as_carol)
    promoted = as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")

    assert blocked.status_code == 409
    assert blocked.json()["checks"] == [{"name": "approvals", "passed": False, "detail": "0 of 1 approvals"}]
    assert approved.status_code == 201
    assert promoted.status_code == 200
    assert ModelVersion.objects.get().stage == "Production"


def test_an_approval_counts_only_for_its_own_target(as_carol, gated_iris):
    approve(as_carol, target="Staging")

    response = as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")

    assert response.status_code == 409
    assert ModelVersion.objects.get().stage == "None"


def test_a_promoter_may_not_approve_a_version_they_uploaded(as_pat, iris_joblib):
    upload(as_pat, "iris", iris_joblib)

    response = approve(as_pat)

    assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert response.json()["message"] == "pat uploaded version 1: another promoter must approve it"
    assert not Approval.objects.exists()


def test_approvals_are_listed_with_who_approved_and_why(as_bob, as_carol, gated_iris):
    created = approve(as_carol, target="production")

    listed = as_bob.get(APPROVALS)

    assert created.json()["target"] == "Production"
    assert listed.status_code == 200
    assert [(a["approver"], a["target"], a["comment"]) for a in listed.json()] == [
        ("carol", "Production", "looked at the eval")
    ]


def test_a_reader_may_not_approve(as_bob, gated_iris):
    response = approve(as_bob)

    assert response.status_code == 403
    assert not Approval.objects.exists()


def test_approving_the_same_version_for_the_same_target_twice_is_a_conflict(as_carol, gated_iris):
    approve(as_carol)

    response = approve(as_carol)

    assert (response.status_code, response.json()["error_code"]) == (409, "RESOURCE_ALREADY_EXISTS")
    assert Approval.objects.count() == 1


def test_an_approval_for_a_target_that_is_not_a_stage_or_alias_is_refused(as_carol, gated_iris):
    response = approve(as_carol, target="no/such")

    assert response.status_code == 400
    assert not Approval.objects.exists()


def test_the_version_page_lists_approvals_and_offers_another_promoter_to_approve(client, carol, as_carol, gated_iris):
    approve(as_carol, comment="metrics hold up")
    client.force_login(carol)

    content = client.get("/models/iris/versions/1/").content.decode()

    assert "carol approved for Production" in content and "metrics hold up" in content
    assert "Approve for Production</button>" in content


def test_the_version_page_does_not_offer_its_uploader_to_approve(client, iris_joblib, db):
    pat = user_with_roles("pat", "uploaders", "promoters")
    upload(client_for(pat), "iris", iris_joblib)
    client_for(pat).put("/api/v1/models/iris/policies/Production", {"approvals_required": 1}, format="json")
    client.force_login(pat)

    content = client.get("/models/iris/versions/1/").content.decode()

    assert 'data-target="Production"' in content
    assert "Approve for Production" not in content


def test_a_promoter_approves_from_the_version_page(client, carol, gated_iris):
    client.force_login(carol)

    response = client.post("/models/iris/versions/1/approve/", {"target": "Production", "comment": "ok"}, follow=True)

    assert "You approved version 1 for Production." in response.content.decode()
    assert list(Approval.objects.values_list("approver__username", "target", "comment")) == [
        ("carol", "Production", "ok")
    ]
