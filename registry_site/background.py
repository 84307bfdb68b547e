"""Background work: Django's Tasks API (the django-tasks backport on Django 5.2).

Web requests only enqueue, once their transaction has committed, so a worker never looks
for rows it cannot see yet; the work runs in `manage.py db_worker` (the database backend,
the embedded default) or in RQ's workers over Redis (TASKS_BACKEND=rq). What a task works
on is recorded as pending in the request's own transaction (a pending fold, a pending
compilation, an event not yet forwarded), so a task lost with a crashed process is
recovered by the next one or by the command that finishes pending work.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

# A coalesced task is enqueued again this long before the one already enqueued is due,
# so that the two may overlap but never leave a gap (workers' clocks may differ a little).
_OVERLAP = 0.25

_due: dict[str, float] = {}
_due_lock = threading.Lock()


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Enqueue `task(*args, **kwargs)` once the current transaction commits (at once
    outside one). A queue that cannot be reached is logged, not raised: the request's
    writes are committed and their work is recorded as pending, so its answer stands."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs), robust=True)


def enqueue_coalesced_after_commit(task, *, gather: float) -> None:
    """Enqueue the argument-less `task` to run `gather` seconds from now, unless this
    process already enqueued one that will start after this commit: many commits then
    share one run, which finds all their work waiting. With gather 0, every commit
    enqueues its own run."""
    transaction.on_commit(lambda: _enqueue_coalesced(task, gather), robust=True)


def _enqueue_coalesced(task, gather: float) -> None:
    if gather <= 0:
        task.enqueue()
        return
    now = time.monotonic()
    with _due_lock:
        if now < _due.get(task.name, 0.0) - _OVERLAP:
            return
        _due[task.name] = now + gather
    try:
        task.using(run_after=timezone.now() + timedelta(seconds=gather)).enqueue()
    except Exception:
        _due.pop(task.name, None)  # not enqueued: the next commit tries again
        raise
