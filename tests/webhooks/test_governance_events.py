"""A promotion that a policy blocks, and an approval, reach the webhooks that asked for
them: the blocked one although its own transaction was rolled back."""

import json

import pytest
import standardwebhooks
from hookkit import Receiver, staff_client, webhook_for

from registry.models import ModelVersion
from webhooks.models import Delivery

from kit import upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def gated_iris(as_alice, as_carol, iris_joblib):
    """iris v1 (accuracy 0.8), and Production asking for accuracy 0.9 at least."""
    assert upload(as_alice, "iris", iris_joblib, metrics='{"accuracy": 0.8}').status_code == 201
    policy = {"min_metrics": {"accuracy": 0.9}}
    assert as_carol.put("/api/v1/models/iris/policies/Production", policy, format="json").status_code == 200


def test_a_blocked_promotion_is_announced_with_its_checks(gated_iris, as_carol, run_worker):
    with Receiver() as receiver:
        hook = webhook_for(staff_client(), receiver.url, ["promotion.blocked"])
        response = as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")
        run_worker()

    assert response.status_code == 409
    assert ModelVersion.objects.get().stage == "None"
    [request] = receiver.requests
    payload = standardwebhooks.Webhook(hook["secret"]).verify(request["body"], request["headers"])
    assert payload["type"] == "promotion.blocked"
    assert (payload["data"]["name"], payload["data"]["version"], payload["data"]["target"]) == ("iris", 1, "Production")
    assert [(c["name"], c["passed"]) for c in payload["data"]["checks"]] == [("min_metrics.accuracy", False)]


def test_an_approval_is_announced(gated_iris, as_carol, run_worker):
    with Receiver() as receiver:
        webhook_for(staff_client(), receiver.url, ["approval.created"])
        body = {"target": "Production", "comment": "looks right"}
        assert as_carol.post("/api/v1/models/iris/versions/1/approvals", body, format="json").status_code == 201
        run_worker()

    [request] = receiver.requests
    payload = json.loads(request["body"])
    assert payload["type"] == "approval.created"
    assert payload["data"] == {
        "name": "iris",
        "version": 1,
        "target": "Production",
        "approver": "carol",
        "comment": "looks right",
    }
    assert Delivery.objects.get().state == "sent"
