"""With OPENLINEAGE_URL set, every stored event is also sent there (openlineage-python's
HTTP transport) by a background task after the local commit; a down backend loses nothing
locally, never fails the request, and `manage.py forward_lineage` sends what failed."""

import json

import pytest
from django.core.management import CommandError, call_command
from lineagekit import Receiver, dataset, post, run_event

from lineage.models import LineageEvent

from kit import free_port, upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def forwarding_to(settings):
    def configure(url: str):
        settings.OPENLINEAGE_URL = url
        settings.OPENLINEAGE_API_KEY = "marquez-key"

    return configure


def test_the_receiver_gets_every_stored_event_including_a_versions_lineage(
    as_alice, iris_joblib, forwarding_to, run_worker
):
    with Receiver() as receiver:
        forwarding_to(receiver.url)
        events = [run_event("START", inputs=[dataset("pg", "orders")]), run_event("COMPLETE")]
        statuses = [post(as_alice, event).status_code for event in events]
        upload(as_alice, "iris", iris_joblib, inputs=json.dumps(["s3://lake/iris.csv"]))
        run_worker()

    assert statuses == [201, 201]
    assert receiver.events[:2] == events
    assert receiver.events[2]["job"]["name"] == "train.iris"
    assert {r["path"] for r in receiver.requests} == {"/api/v1/lineage"}
    assert {r["headers"]["authorization"] for r in receiver.requests} == {"Bearer marquez-key"}
    assert set(LineageEvent.objects.values_list("forward_state", flat=True)) == {"sent"}


def test_a_repeated_event_is_forwarded_once(as_alice, forwarding_to, run_worker):
    event = run_event()
    with Receiver() as receiver:
        forwarding_to(receiver.url)
        post(as_alice, event)
        post(as_alice, event)
        run_worker()

    assert len(receiver.events) == 1


def test_with_the_backend_down_ingestion_still_answers_201_and_keeps_the_event(as_alice, forwarding_to, run_worker):
    forwarding_to(f"http://127.0.0.1:{free_port()}")

    response = post(as_alice, run_event())
    run_worker()

    stored = LineageEvent.objects.get()
    assert response.status_code == 201
    assert (stored.forward_state, stored.forward_attempts) == ("failed", 1)
    assert "Connection" in stored.forward_error


def test_forward_lineage_sends_what_failed_once_the_backend_is_back(as_alice, forwarding_to, run_worker):
    forwarding_to(f"http://127.0.0.1:{free_port()}")
    post(as_alice, run_event("START"))
    post(as_alice, run_event("COMPLETE"))
    run_worker()

    with Receiver() as receiver:
        forwarding_to(receiver.url)
        call_command("forward_lineage")

    assert [e["eventType"] for e in receiver.events] == ["START", "COMPLETE"]
    assert set(LineageEvent.objects.values_list("forward_state", flat=True)) == {"sent"}


def test_forward_lineage_reports_a_backend_still_down(as_alice, forwarding_to, run_worker):
    forwarding_to(f"http://127.0.0.1:{free_port()}")
    post(as_alice, run_event())
    run_worker()

    with pytest.raises(CommandError, match="stopped"):
        call_command("forward_lineage")

    assert LineageEvent.objects.get().forward_attempts == 2


def test_without_openlineage_url_nothing_is_queued(as_alice, settings):
    settings.OPENLINEAGE_URL = ""

    post(as_alice, run_event())

    assert LineageEvent.objects.get().forward_state == ""
