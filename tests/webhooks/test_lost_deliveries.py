"""A delivery whose task was lost (the queue could not be reached) stays pending; the
`send_webhooks` command enqueues it again and the worker sends it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from hookkit import Receiver, staff_client, webhook_for

from webhooks.models import Delivery, Webhook

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def lost_delivery(webhook: Webhook, *, age: timedelta) -> Delivery:
    """A pending delivery no task was ever enqueued for, made `age` ago."""
    delivery = Delivery.objects.create(
        webhook=webhook, event_type="alias.set", msg_id="msg_lost", payload={"type": "alias.set", "data": {}}
    )
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - age)
    return delivery


def test_send_webhooks_sends_a_delivery_whose_task_was_lost(run_worker, capsys):
    with Receiver() as receiver:
        hook = webhook_for(staff_client(), receiver.url, ["alias.set"])
        lost_delivery(Webhook.objects.get(pk=hook["id"]), age=timedelta(minutes=10))
        call_command("send_webhooks")
        run_worker()

    assert "enqueued 1 webhook deliveries" in capsys.readouterr().out
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == ["msg_lost"]
    assert Delivery.objects.get().state == "sent"


def test_send_webhooks_leaves_a_delivery_that_is_not_overdue(capsys):
    hook = webhook_for(staff_client(), "https://hooks.example.com/x", ["alias.set"])
    lost_delivery(Webhook.objects.get(pk=hook["id"]), age=timedelta(seconds=5))

    call_command("send_webhooks")

    assert "enqueued 0 webhook deliveries" in capsys.readouterr().out
