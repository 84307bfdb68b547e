"""Registry events reach subscribed webhooks after the change commits, signed as the
Standard Webhooks spec says, through the task engine: a receiver that fails is tried
again with backoff, one that is down never slows a promotion."""

import json

import pytest
import standardwebhooks
from hookkit import Receiver, staff_client, webhook_for

from webhooks.models import Delivery

from kit import free_port, upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def retries_at_once(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3


@pytest.fixture
def iris_v1(as_alice, iris_joblib):
    assert upload(as_alice, "iris", iris_joblib).status_code == 201


def promote(client, stage: str = "Production"):
    return client.post("/api/v1/models/iris/versions/1/stage", {"stage": stage}, format="json")


def test_a_promotion_reaches_the_receiver_signed_so_standardwebhooks_verifies_it(iris_v1, as_carol, run_worker):
    with Receiver() as receiver:
        hook = webhook_for(staff_client(), receiver.url, ["model_version.stage_changed"])
        assert promote(as_carol).status_code == 200
        run_worker()

    [request] = receiver.requests
    payload = standardwebhooks.Webhook(hook["secret"]).verify(request["body"], request["headers"])
    assert payload["type"] == "model_version.stage_changed"
    assert payload["data"] == {"name": "iris", "version": 1, "from": "None", "to": "Production"}
    assert request["headers"]["webhook-id"] == Delivery.objects.get().msg_id
    assert request["headers"]["content-type"] == "application/json"
    assert Delivery.objects.get().state == "sent"


def test_a_signature_made_with_another_secret_is_refused_by_the_receiver(iris_v1, as_carol, run_worker):
    with Receiver() as receiver:
        webhook_for(staff_client(), receiver.url, ["model_version.stage_changed"])
        promote(as_carol)
        run_worker()

    [request] = receiver.requests
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(request["body"], request["headers"])


def test_with_the_receiver_down_the_promotion_answers_at_once_and_the_worker_retries_until_failed(
    iris_v1, as_carol, run_worker
):
    webhook_for(staff_client(), f"http://127.0.0.1:{free_port()}/hooks", ["model_version.stage_changed"])

    response = promote(as_carol)
    before_worker = Delivery.objects.get()
    run_worker()
    after_worker = Delivery.objects.get()

    assert response.status_code == 200
    assert response.json()["stage"] == "Production"
    assert (before_worker.state, before_worker.attempts) == ("pending", 0)
    assert (after_worker.state, after_worker.attempts, after_worker.last_status) == ("failed", 3, None)
    assert "Connection" in after_worker.last_error or "refused" in after_worker.last_error


def test_a_receiver_that_fails_once_gets_the_delivery_on_the_retry(iris_v1, as_carol, run_worker):
    with Receiver(500, 200) as receiver:
        webhook_for(staff_client(), receiver.url, ["model_version.stage_changed"])
        promote(as_carol)
        run_worker()

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("sent", 2, 200)
    assert len(receiver.requests) == 2
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1  # one message, sent twice


def test_events_a_webhook_did_not_ask_for_are_not_sent(iris_v1, as_carol, run_worker):
    with Receiver() as receiver:
        webhook_for(staff_client(), receiver.url, ["alias.deleted"])
        promote(as_carol)
        as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 1}, format="json")
        run_worker()

    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_alias_set_and_deleted_tell_the_version_and_the_one_before(as_alice, iris_joblib, as_carol, run_worker):
    upload(as_alice, "iris", iris_joblib)
    upload(as_alice, "iris", iris_joblib)
    with Receiver() as receiver:
        webhook_for(staff_client(), receiver.url, ["alias.set", "alias.deleted"])
        as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 1}, format="json")
        as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 2}, format="json")
        as_carol.delete("/api/v1/models/iris/aliases/champion")
        run_worker()

    received = sorted((json.loads(r["body"]) for r in receiver.requests), key=lambda p: p["timestamp"])
    assert [(p["type"], p["data"]) for p in received] == [
        ("alias.set", {"name": "iris", "alias": "champion", "version": 1, "previous_version": None}),
        ("alias.set", {"name": "iris", "alias": "champion", "version": 2, "previous_version": 1}),
        ("alias.deleted", {"name": "iris", "alias": "champion", "version": 2}),
    ]


def test_an_upload_tells_the_new_versions_hash(as_alice, iris_joblib, run_worker):
    with Receiver() as receiver:
        webhook_for(staff_client(), receiver.url, ["model_version.created"])
        response = upload(as_alice, "iris", iris_joblib)
        run_worker()

    [request] = receiver.requests
    data = json.loads(request["body"])["data"]
    assert (data["name"], data["version"], data["created_by"]) == ("iris", 1, "alice")
    assert data["sha256"] == response.json()["artifact"]["sha256"]


def test_the_delivery_log_lists_each_delivery_with_its_outcome(iris_v1, as_carol, run_worker):
    sam = staff_client()
    hook = webhook_for(sam, f"http://127.0.0.1:{free_port()}/hooks", ["model_version.stage_changed"])
    promote(as_carol)
    run_worker()

    log = sam.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["results"]

    assert [(d["event_type"], d["state"], d["attempts"]) for d in log] == [("model_version.stage_changed", "failed", 3)]
    assert log[0]["payload"]["data"]["to"] == "Production"


def test_a_receiver_answering_410_gone_is_switched_off_without_retries(iris_v1, as_carol, run_worker):
    with Receiver(410) as receiver:
        hook = webhook_for(staff_client(), receiver.url, ["model_version.stage_changed"])
        promote(as_carol, "Staging")
        run_worker()
        promote(as_carol, "Production")
        run_worker()

    delivery = Delivery.objects.get()
    assert len(receiver.requests) == 1
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 1, 410)
    assert staff_client("sam2").get(f"/api/v1/webhooks/{hook['id']}").json()["active"] is False
