"""Delivering webhooks (registry_site.background): one task run per attempt. A receiver
that fails or is down costs one attempt, recorded on the delivery; the next is enqueued
with a doubling delay until WEBHOOK_MAX_ATTEMPTS, then the delivery is failed. A 410 Gone
fails it at once and switches the webhook off. Nothing a receiver does makes the task
itself fail."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from registry_site import background
from webhooks.models import Delivery, DeliveryState, Webhook
from webhooks.signing import signed_headers

USER_AGENT = "model-registry-webhooks/1"
GONE = 410


@task()
def deliver(delivery_id: int) -> str:
    """One attempt at a pending delivery; its state afterwards ("gone" if none is pending)."""
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id, state=DeliveryState.PENDING).first()
    if delivery is None:  # sent, failed or deleted meanwhile: a repeated enqueue sends nothing
        return "gone"
    status, error = post(delivery)
    return record_attempt(delivery, status, error)


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def post(delivery: Delivery) -> tuple[int | None, str]:
    """POST the signed payload: (the HTTP status or None, "" if it was 2xx else why not)."""
    body = body_of(delivery)
    headers = signed_headers(
        secret=delivery.webhook.secret, msg_id=delivery.msg_id, timestamp=int(time.time()), body=body
    )
    headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
    # The URL was checked to be http(s) when the webhook was made (services.check_url).
    request = urllib.request.Request(delivery.webhook.url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}: {exc.read(500).decode('utf-8', 'replace')}"[:2000]
    except Exception as exc:  # refused, timed out, bad TLS...: the receiver's problem, recorded
        return None, f"{type(exc).__name__}: {exc}"[:2000]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET without body: a 3xx is a failed attempt."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def record_attempt(delivery: Delivery, status: int | None, error: str) -> str:
    """Save the attempt's outcome and, after a failure with attempts left, enqueue the next."""
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status = status
    delivery.last_error = error
    delivery.next_attempt_at = None
    if not error:
        delivery.state, delivery.sent_at = DeliveryState.SENT, now
    elif status == GONE or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save(update_fields=["attempts", "last_status", "last_error", "next_attempt_at", "state", "sent_at"])
    if delivery.next_attempt_at is not None:
        _enqueue_retry(delivery)
    if status == GONE:  # the receiver asks for no more (Standard Webhooks): switched off
        Webhook.objects.filter(pk=delivery.webhook_id).update(active=False)
    return delivery.state


def retry_delay(attempts: int) -> timedelta:
    """WEBHOOK_RETRY_BASE_SECONDS after the first failure, doubling after each one."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def _enqueue_retry(delivery: Delivery) -> None:
    # Without a delay, a plain enqueue: RQ puts a deferred job in its scheduler instead.
    retry = deliver.using(run_after=delivery.next_attempt_at) if delivery.next_attempt_at > timezone.now() else deliver
    background.enqueue_after_commit(retry, delivery.pk)
