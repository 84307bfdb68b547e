"""Forwarding stored events to another OpenLineage backend (OPENLINEAGE_URL, e.g. Marquez).

A port with one adapter: openlineage-python's HTTP transport. Events are queued after
the local commit and sent by one daemon thread per process, in order, so a slow or down
backend never blocks or fails ingestion. Each outcome is recorded on the raw event
(`forward_state`, `forward_error`); `manage.py forward_lineage` retries what failed.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import F
from django.utils import timezone

from lineage.models import ForwardState, LineageEvent

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
# After a failure, events are recorded as failed without trying for this long: a down
# backend costs one connection attempt per window, not one per event.
PAUSE_AFTER_FAILURE = 30.0
TIMEOUT = 5.0
RETRY = {"total": 2, "connect": 2, "read": 2, "backoff_factor": 0.2}


class _Worker:
    def __init__(self):
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
        self.paused_until = 0.0
        self.last_error = ""
        self.thread = threading.Thread(target=self.run, name="lineage-forwarder", daemon=True)
        self.pid = os.getpid()
        self.thread.start()

    def run(self) -> None:
        while True:
            event_id, payload = self.queue.get()
            try:
                self.forward(event_id, payload)
            except Exception:
                log.exception("forwarding lineage event %s failed", event_id)
            finally:
                if self.queue.empty():
                    connection.close()
                self.queue.task_done()

    def forward(self, event_id: int, payload: dict) -> None:
        if time.monotonic() < self.paused_until:
            record(event_id, f"not sent, the backend failed moments ago: {self.last_error}")
            return
        error = send(payload)
        if error:
            self.paused_until, self.last_error = time.monotonic() + PAUSE_AFTER_FAILURE, error
        record(event_id, error)


_worker: _Worker | None = None
_lock = threading.Lock()


def _current_worker() -> _Worker:
    """One worker per process, started lazily: gunicorn forks after import."""
    global _worker
    with _lock:
        if _worker is None or _worker.pid != os.getpid() or not _worker.thread.is_alive():
            _worker = _Worker()
        return _worker


def enqueue(event_id: int, payload: dict) -> None:
    """Queue a stored event for sending (called after commit)."""
    try:
        _current_worker().queue.put_nowait((event_id, payload))
    except queue.Full:
        record(event_id, "not sent, the forwarding queue is full; retry with manage.py forward_lineage")


def flush(timeout: float = 30.0) -> bool:
    """Wait until every queued event has been sent or recorded as failed."""
    deadline = time.monotonic() + timeout
    while _worker is not None and _worker.queue.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def resume() -> None:
    """Try the backend again at once (the retry command calls this)."""
    if _worker is not None:
        _worker.paused_until = 0.0


# --- the adapter -------------------------------------------------------------------------

_transports = threading.local()


def send(payload: dict) -> str:
    """POST one event with openlineage-python's HTTP transport: "" if it was accepted,
    else what went wrong."""
    try:
        _transport().emit(payload)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:2000]
    return ""


def _transport():
    """One transport (and its HTTP session) per thread and configuration."""
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    key = (settings.OPENLINEAGE_URL, settings.OPENLINEAGE_API_KEY)
    if getattr(_transports, "key", None) != key:
        config = {"url": key[0], "timeout": TIMEOUT, "retry": RETRY}
        if key[1]:
            config["auth"] = {"type": "api_key", "apiKey": key[1]}
        _transports.key, _transports.transport = key, HttpTransport(HttpConfig.from_dict(config))
    return _transports.transport


def record(event_id: int, error: str) -> None:
    outcome = (
        {"forward_state": ForwardState.FAILED, "forward_error": error}
        if error
        else {"forward_state": ForwardState.SENT, "forward_error": "", "forwarded_at": timezone.now()}
    )
    # SQLite may refuse a second writer for a moment; an outcome still unrecorded leaves
    # the event pending, which forward_lineage sends later.
    for attempt in range(5):
        try:
            LineageEvent.objects.filter(pk=event_id).update(forward_attempts=F("forward_attempts") + 1, **outcome)
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.05 * 2**attempt)


# --- retries -----------------------------------------------------------------------------


def forward_pending(*, older_than: float = 60.0, limit: int | None = None) -> tuple[int, str]:
    """Send, oldest first, the events that failed and those still pending after
    `older_than` seconds (their process may have died). Stops at the first failure,
    so order is kept. Returns (how many were sent, the error that stopped it or "")."""
    if not settings.OPENLINEAGE_URL:
        return 0, "OPENLINEAGE_URL is not set"
    cutoff = timezone.now() - timedelta(seconds=older_than)
    due = LineageEvent.objects.filter(forward_state=ForwardState.FAILED) | LineageEvent.objects.filter(
        forward_state=ForwardState.PENDING, received_at__lte=cutoff
    )
    sent = 0
    for event_id, payload in due.order_by("id").values_list("id", "payload")[:limit]:
        error = send(payload)
        record(event_id, error)
        if error:
            return sent, error
        sent += 1
    resume()
    return sent, ""
