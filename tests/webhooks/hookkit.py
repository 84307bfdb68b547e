"""Webhook test helpers: a staff client, registering a webhook through the API, and a
tiny HTTP receiver on 127.0.0.1 that keeps each request's raw body and headers. Not a
conftest: a second `conftest` module would shadow the root one."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.contrib.auth.models import User

from kit import client_for


def staff_client(username: str = "sam"):
    """Sam runs the registry: staff, no role group."""
    return client_for(User.objects.create_user(username, f"{username}@example.com", is_staff=True))


def webhook_for(client, url: str, events: list[str], **fields) -> dict:
    response = client.post("/api/v1/webhooks", {"url": url, "events": events, **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


class Receiver:
    """A webhook receiver answering each POST with the next of `statuses` (the last one
    repeats), keeping the raw body and the headers (names in lower case) of every request."""

    def __init__(self, *statuses: int):
        self.requests: list[dict] = []
        answers = list(statuses or [204])
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                received.append({"path": self.path, "headers": headers, "body": body})
                status = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
