"""Retries and parallel emitters send events twice and out of order: the store keeps one
copy of each event and ends in the state the run's own timeline says."""

import uuid

from lineagekit import dataset, folded, post, run_event

from lineage.models import LineageEvent, Run, RunIO


def test_posting_the_same_event_twice_stores_it_once(as_alice):
    event = run_event("START", inputs=[dataset("pg", "orders")])

    first, second = post(as_alice, event), post(as_alice, event)

    assert (first.status_code, second.status_code) == (201, 201)
    assert LineageEvent.objects.count() == 1
    folded()
    assert RunIO.objects.count() == 1


def test_the_same_event_re_sent_with_keys_in_another_order_is_still_one_event(as_alice):
    event = run_event("START")
    reordered = dict(reversed(list(event.items())))

    post(as_alice, event)
    post(as_alice, reordered)

    assert LineageEvent.objects.count() == 1


def test_complete_before_start_ends_completed(as_alice, as_bob):
    run_id = str(uuid.uuid4())
    post(as_alice, run_event("COMPLETE", run_id=run_id, time="2024-05-01T12:10:00Z"))
    post(as_alice, run_event("START", run_id=run_id, time="2024-05-01T12:00:00Z"))

    run = as_bob.get(f"/api/v1/jobs/runs/{run_id}").json()

    assert run["state"] == "COMPLETED"
    assert (run["startedAt"], run["endedAt"]) == ("2024-05-01T12:00:00Z", "2024-05-01T12:10:00Z")
    assert run["durationMs"] == 600_000


def test_a_late_running_event_does_not_reopen_a_failed_run(as_alice):
    run_id = str(uuid.uuid4())
    post(as_alice, run_event("START", run_id=run_id, time="2024-05-01T12:00:00Z"))
    post(as_alice, run_event("FAIL", run_id=run_id, time="2024-05-01T12:01:00Z"))
    post(as_alice, run_event("RUNNING", run_id=run_id, time="2024-05-01T12:02:00Z"))

    folded()
    assert Run.objects.get(uuid=run_id).state == "FAILED"


def test_of_two_terminal_events_the_later_one_decides(as_alice):
    run_id = str(uuid.uuid4())
    post(as_alice, run_event("COMPLETE", run_id=run_id, time="2024-05-01T12:05:00Z"))
    post(as_alice, run_event("FAIL", run_id=run_id, time="2024-05-01T12:01:00Z"))

    folded()
    run = Run.objects.get(uuid=run_id)

    assert run.state == "COMPLETED"
    assert run.ended_at.isoformat() == "2024-05-01T12:05:00+00:00"


def test_the_jobs_latest_run_is_the_one_that_began_last_whatever_the_arrival_order(as_alice, as_bob):
    later, earlier = str(uuid.uuid4()), str(uuid.uuid4())
    post(as_alice, run_event("START", run_id=later, time="2024-05-02T00:00:00Z"))
    post(as_alice, run_event("START", run_id=earlier, time="2024-05-01T00:00:00Z"))

    job = as_bob.get("/api/v1/namespaces/etl/jobs").json()["jobs"][0]

    assert job["latestRun"]["id"] == later
