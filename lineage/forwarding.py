"""Forwarding stored events to another OpenLineage backend (OPENLINEAGE_URL, e.g. Marquez).

A port with one adapter: openlineage-python's HTTP transport. Events are sent after the
local commit by a background task (`lineage.tasks.forward_events`), one forwarder at a
time and oldest first, so a slow or down backend never blocks or fails ingestion. Each
outcome is recorded on the raw event (`forward_state`, `forward_error`);
`manage.py forward_lineage` retries what failed.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import F
from django.utils import timezone

from lineage.models import ForwardState, LineageEvent

log = logging.getLogger(__name__)

BATCH = 500
TIMEOUT = 5.0
RETRY = {"total": 2, "connect": 2, "read": 2, "backoff_factor": 0.2}
# Any constant both sides agree on: PostgreSQL advisory locks are keyed by a bigint.
_LOCK_KEY = 0x4C696E6561676557  # "LineageW"


def forward_new() -> int:
    """Send, oldest first, the events not tried yet (the background task); returns how
    many were sent. At the first failure the events still waiting are recorded as failed
    with its reason, without trying them: a down backend costs one connection attempt
    per run, and `forward_lineage` later sends them in order."""
    if not settings.OPENLINEAGE_URL:
        return 0
    sent = 0
    with _one_forwarder():
        while batch := list(_waiting().order_by("id").values_list("id", "payload")[:BATCH]):
            done, error = _send_in_order(batch)
            sent += done
            if error:
                reason = f"not sent, the backend failed on an earlier event: {error}"
                _waiting().update(forward_state=ForwardState.FAILED, forward_error=reason[:2000])
                break
    return sent


def _waiting():
    return LineageEvent.objects.filter(forward_state=ForwardState.PENDING)


@contextlib.contextmanager
def _one_forwarder():
    """Events leave in order only if one process sends at a time. PostgreSQL: a session
    lock (no transaction stays open while sending); SQLite runs one worker."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


# --- the adapter -------------------------------------------------------------------------

_transports: dict[tuple[str, str], object] = {}


def send(payload: dict) -> str:
    """POST one event with openlineage-python's HTTP transport: "" if it was accepted,
    else what went wrong."""
    try:
        _transport().emit(payload)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:2000]
    return ""


def _transport():
    """One transport (and its HTTP session) per configuration: forwarding runs on one
    thread, the worker's or the command's."""
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    key = (settings.OPENLINEAGE_URL, settings.OPENLINEAGE_API_KEY)
    if key not in _transports:
        config = {"url": key[0], "timeout": TIMEOUT, "retry": RETRY}
        if key[1]:
            config["auth"] = {"type": "api_key", "apiKey": key[1]}
        _transports.clear()
        _transports[key] = HttpTransport(HttpConfig.from_dict(config))
    return _transports[key]


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
    with _one_forwarder():
        return _send_in_order(due.order_by("id").values_list("id", "payload")[:limit])


def _send_in_order(events) -> tuple[int, str]:
    """Send (id, payload) pairs in order, recording each outcome, up to the first
    failure: (how many were sent, that failure or "")."""
    sent = 0
    for event_id, payload in events:
        error = send(payload)
        record(event_id, error)
        if error:
            return sent, error
        sent += 1
    return sent, ""
