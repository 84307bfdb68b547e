"""A task queue that cannot be reached after an event commits: the producer still gets its
201 and the event stays pending, to be folded by the next reader (registry_site.background)."""

import pytest
from lineagekit import post, run_event

from lineage import tasks
from lineage.models import PendingFold, Run


class _UnreachableQueue:
    """Stands in for the fold task: enqueueing it fails as a down Redis or database would
    (the one boundary mocked here)."""

    name = "fold_events"

    def using(self, **options):
        return self

    def enqueue(self, *args, **kwargs):
        raise ConnectionError("the queue is down")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_event_committed_while_the_queue_is_down_is_answered_201_and_folded_by_the_next_read(as_alice, monkeypatch):
    monkeypatch.setattr(tasks, "fold_events", _UnreachableQueue())
    event = run_event("START", job=("etl", "queue-down"))

    response = post(as_alice, event)

    assert response.status_code == 201
    assert PendingFold.objects.count() == 1
    jobs = as_alice.get("/api/v1/namespaces/etl/jobs").json()["jobs"]
    assert [job["name"] for job in jobs] == ["queue-down"]
    assert Run.objects.filter(state="RUNNING").count() == 1
