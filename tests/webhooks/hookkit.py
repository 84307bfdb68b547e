"""Webhook test helpers: a staff client, registering a webhook through the API, and a
tiny HTTP receiver on 127.0.0.1 that keeps each request's raw body and headers. Not a
conftest: a second `conftest` module would shadow the root one."""

from __future__ import annotations

from django.contrib.auth.models import User

from kit import LocalReceiver, client_for


def staff_client(username: str = "sam"):
    """Sam runs the registry: staff, no role group."""
    return client_for(User.objects.create_user(username, f"{username}@example.com", is_staff=True))


def webhook_for(client, url: str, events: list[str], **fields) -> dict:
    response = client.post("/api/v1/webhooks", {"url": url, "events": events, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


class Receiver(LocalReceiver):
    """A webhook endpoint: POSTs to `<url>` answered with `statuses` in turn (204 if none)."""

    def __init__(self, *statuses: int):
        super().__init__(*statuses, path="/hooks")
