"""Every write to webhooks: registering and removing them (staff only), recording an
event for delivery, and sending a failed delivery again."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registry_site import background
from registry_site.errors import Forbidden, InvalidParameter
from webhooks import selectors, signing
from webhooks.models import EVENT_TYPES, Delivery, DeliveryState, Webhook
from webhooks.tasks import deliver

_http_url = URLValidator(schemes=["http", "https"])


def require_staff(actor) -> None:
    if not (actor is not None and actor.is_authenticated and actor.is_staff):
        raise Forbidden("only staff may manage webhooks")


def check_url(url: object) -> str:
    try:
        _http_url(url)
    except ValidationError:
        raise InvalidParameter(f"url must be an http:// or https:// URL, not {url!r}") from None
    return url


def check_events(events: object) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise InvalidParameter(f"events must be a non-empty list of event types: {', '.join(EVENT_TYPES)}")
    for event in events:
        if event not in EVENT_TYPES:
            raise InvalidParameter(f"events: unknown event type {event!r}; known: {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(events))


def check_secret(secret: object) -> str:
    """The secret as stored (base64, no prefix)."""
    if not isinstance(secret, str) or signing.key_of(secret) is None:
        raise InvalidParameter("secret must be base64 of 24 to 64 random bytes, optionally prefixed with whsec_")
    return secret.removeprefix("whsec_")


def webhook_create(*, actor, url: str, events: list[str], secret: str | None = None, description: str = "") -> Webhook:
    """Register a webhook (staff only). Without a secret, one is made here: the caller
    shows it once (`whsec_` + webhook.secret); it is never listed again."""
    require_staff(actor)
    return Webhook.objects.create(
        url=check_url(url),
        events=check_events(events),
        secret=check_secret(secret) if secret else signing.new_secret(),
        description=description,
        created_by=actor,
    )


def webhook_delete(*, actor, webhook: Webhook) -> None:
    """Remove a webhook and its delivery log (staff only); pending deliveries are dropped."""
    require_staff(actor)
    webhook.delete()


def webhook_event_record(event_type: str, data: dict) -> None:
    """Record `event_type` for every active webhook subscribed to it, in the caller's
    transaction, and have each delivered by the task engine once that commits: the
    caller never waits for a receiver, and a rolled-back change sends nothing."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    hooks = selectors.subscribers(event_type)
    if not hooks:
        return
    payload = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}
    deliveries = Delivery.objects.bulk_create(
        Delivery(webhook=hook, event_type=event_type, msg_id=f"msg_{uuid.uuid4().hex}", payload=payload)
        for hook in hooks
    )
    for delivery in deliveries:
        _enqueue(delivery.pk)


@transaction.atomic
def delivery_send_again(*, actor, delivery: Delivery) -> None:
    """Start a failed delivery over (staff only): same webhook-id, attempts from zero."""
    require_staff(actor)
    if delivery.state != DeliveryState.FAILED:
        raise InvalidParameter(f"delivery {delivery.msg_id} is {delivery.state}, not failed")
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=None, last_error="", last_status=None
    )
    _enqueue(delivery.pk)


def deliveries_requeue(*, older_than: float = 300.0) -> int:
    """Enqueue again the pending deliveries whose attempt is overdue by `older_than`
    seconds: their task was lost (a queue that could not be reached, a worker killed).
    A delivery whose task was only late may then be sent twice; receivers drop the repeat
    by its webhook-id. Returns how many were enqueued."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    overdue = Delivery.objects.filter(state=DeliveryState.PENDING).filter(
        Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at=None, created_at__lte=cutoff)
    )
    ids = list(overdue.values_list("pk", flat=True))
    for delivery_id in ids:
        _enqueue(delivery_id)
    return len(ids)


def _enqueue(delivery_id: int) -> None:
    background.enqueue_after_commit(deliver, delivery_id)
