"""Folding stored events into the graph in batches, after the producer has its answer.

Ingestion stores the raw event and a `PendingFold` row in one transaction and answers
201; folding comes after, many events per transaction (`lineage.folding` writes a batch
with a fixed number of statements). Two paths fold, one at a time (`_fold_lock`):

- a background task (`lineage.tasks.fold_events`), enqueued after the event commits and
  shared by the events of the next moment: under load it finds many events waiting, so
  batches grow with the load;
- every reader of the graph (`catch_up`): it first folds what was stored before it
  read, so a producer that posts and then reads sees its event (read-your-writes).

An event that cannot be folded (a bug, not bad input: input was checked on the way in)
keeps its PendingFold row with the error, is logged, and does not hold up the others.
"""

from __future__ import annotations

import logging
import traceback

from django.db import connection, transaction

from lineage import folding
from lineage.events import parse_event
from lineage.models import LineageEvent, PendingFold

log = logging.getLogger(__name__)

BATCH = 500
# Any constant both sides agree on: PostgreSQL advisory locks are keyed by a bigint.
_LOCK_KEY = 0x4C696E6561676546  # "LineageF"


def catch_up() -> None:
    """Fold every event stored before this call (readers call this first)."""
    newest = _pending().order_by("-event_id").values_list("event_id", flat=True).first()
    if newest is not None:
        fold_pending(wait=True, upto=newest)


def fold_waiting() -> int:
    """Fold every pending event, waiting for another folder to finish first (the
    background task): returns how many were folded."""
    return fold_pending(wait=True) or 0


def fold_again(event_ids: list[int]) -> int:
    """Fold set-aside events again (once the bug that stopped them is fixed); returns
    how many are in the graph now."""
    PendingFold.objects.filter(pk__in=event_ids).exclude(error="").update(error="")
    catch_up()
    return len(event_ids) - PendingFold.objects.filter(pk__in=event_ids).count()


def fold_pending(*, wait: bool, upto: int | None = None) -> int | None:
    """Fold pending events (those up to event id `upto`, if given), oldest first, a batch
    per transaction, until none is left. Returns how many were folded, or None at once
    when `wait` is false and another process is folding."""
    folded = 0
    while True:
        events = None
        try:
            with transaction.atomic():
                if not _fold_lock(wait=wait):
                    return None
                events = _next_batch(upto)
                _fold(events)
        except Exception:
            if events is None:  # the database, not an event: let the caller know
                raise
            # The batch is rolled back: fold its events one at a time, setting aside any
            # that fails alone, so one bad event never holds up the rest.
            log.warning("a batch of lineage events could not be folded; folding them one by one", exc_info=True)
            for pk, _ in events:
                _fold_alone(pk)
        folded += len(events)
        if len(events) < BATCH:
            return folded


def _next_batch(upto: int | None) -> list[tuple[int, dict]]:
    """(id, payload) of the oldest pending events, in one statement."""
    pending = _pending()
    if upto is not None:
        pending = pending.filter(event_id__lte=upto)
    oldest = pending.order_by("event_id").values("event_id")[:BATCH]
    return list(LineageEvent.objects.filter(pk__in=oldest).order_by("pk").values_list("pk", "payload"))


def _fold(events: list[tuple[int, dict]]) -> None:
    if events:
        folding.fold([parse_event(payload) for _, payload in events])
        PendingFold.objects.filter(pk__in=[pk for pk, _ in events]).delete()


def _fold_alone(pk: int) -> None:
    try:
        with transaction.atomic():
            _fold_lock(wait=True)
            _fold(list(LineageEvent.objects.filter(pk=pk, pending_fold__error="").values_list("pk", "payload")))
    except Exception:
        log.exception("lineage event %s could not be folded", pk)
        PendingFold.objects.filter(pk=pk).update(error=_error_text())


def _pending():
    return PendingFold.objects.filter(error="")


def _fold_lock(*, wait: bool) -> bool:
    """One folder at a time, held to the end of the transaction. On SQLite the
    transaction itself is the lock: it begins IMMEDIATE, holding the one write lock."""
    if connection.vendor != "postgresql":
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [_LOCK_KEY])
        return cursor.fetchone()[0] is not False


def _error_text() -> str:
    return traceback.format_exc(limit=3)[-2000:] or "unknown error"
