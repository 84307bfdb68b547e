"""The admin: staff add a webhook (its secret shown once), read the delivery log, and send
a failed delivery again."""

import pytest
from django.contrib.auth.models import User
from hookkit import Receiver

from webhooks import services
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(db):
    return User.objects.create_superuser("sam", "sam@example.com", "sam-password-1")


def test_staff_add_a_webhook_in_the_admin_and_see_its_secret_once(client, sam):
    client.force_login(sam)

    response = client.post(
        "/admin/webhooks/webhook/add/",
        {"url": "https://hooks.example.com/x", "events": '["alias.set"]', "description": "", "active": "on"},
        follow=True,
    )

    webhook = Webhook.objects.get()
    assert response.status_code == 200
    assert f"whsec_{webhook.secret}" in response.content.decode()
    assert (webhook.events, webhook.created_by) == (["alias.set"], sam)
    assert f"whsec_{webhook.secret}" not in client.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").content.decode()


def test_the_admin_refuses_an_unknown_event(client, sam):
    client.force_login(sam)

    response = client.post(
        "/admin/webhooks/webhook/add/",
        {"url": "https://hooks.example.com/x", "events": '["model.exploded"]', "active": "on"},
    )

    assert response.status_code == 200
    assert "model.exploded" in response.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_delivery_sent_again_from_the_admin_reaches_the_receiver(client, sam, settings, run_worker):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    client.force_login(sam)
    with Receiver(500, 500, 204) as receiver:
        webhook = services.webhook_create(actor=sam, url=receiver.url, events=["alias.deleted"])
        services.webhook_event_record("alias.deleted", {"name": "iris", "alias": "champion", "version": 1})
        run_worker()
        failed = Delivery.objects.get()
        log = client.get("/admin/webhooks/delivery/").content.decode()

        client.post("/admin/webhooks/delivery/", {"action": "send_again", "_selected_action": [failed.pk]})
        run_worker()

    delivery = Delivery.objects.get()
    assert (failed.state, failed.attempts, failed.last_status) == ("failed", 2, 500)
    assert failed.msg_id in log
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("sent", 1, 204)
    assert delivery.webhook == webhook
    assert len(receiver.requests) == 3
