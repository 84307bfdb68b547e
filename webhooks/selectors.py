"""Reads of webhooks and their deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from registry_site.errors import NotFound
from registry_site.inputs import INT64_MAX
from webhooks.models import Delivery, Webhook


def webhook_list() -> QuerySet[Webhook]:
    return Webhook.objects.select_related("created_by").order_by("id")


def webhook_get(webhook_id: int) -> Webhook:
    # A number past the id column's range would be the database's error, not a 404.
    found = webhook_list().filter(pk=webhook_id).first() if 0 < webhook_id <= INT64_MAX else None
    if found is None:
        raise NotFound(f"Webhook {webhook_id} not found.")
    return found


def delivery_list(webhook: Webhook) -> QuerySet[Delivery]:
    return Delivery.objects.filter(webhook=webhook).order_by("-id")


def subscribers(event_type: str) -> list[Webhook]:
    """Active webhooks that asked for `event_type`. Filtered here, not in SQL: JSON
    containment differs between SQLite and PostgreSQL, and there are few webhooks."""
    return [hook for hook in Webhook.objects.filter(active=True) if event_type in hook.events]
