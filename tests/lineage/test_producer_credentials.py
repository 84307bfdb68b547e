"""A producer posts an event per task: its credentials are checked once, then remembered
briefly per process (registry_site.access), and a revoked token is refused at once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from lineagekit import post, run_event
from rest_framework.authtoken.models import Token

from lineage.models import LineageEvent

from kit import client_for


def test_a_producers_second_event_asks_no_credential_or_permission_query(alice):
    producer = client_for(alice, "Bearer")
    assert post(producer, run_event()).status_code == 201

    with CaptureQueriesContext(connection) as queries:
        response = post(producer, run_event())

    assert response.status_code == 201
    looked_up = [q["sql"] for q in queries if "authtoken_token" in q["sql"] or "auth_permission" in q["sql"]]
    assert looked_up == []
    assert LineageEvent.objects.count() == 2


def test_a_deleted_token_is_refused_on_the_next_event(alice):
    producer = client_for(alice, "Bearer")
    assert post(producer, run_event()).status_code == 201

    Token.objects.filter(user=alice).delete()
    response = post(producer, run_event())

    assert response.status_code == 401
    assert "invalid token" in response.json()["message"]
    assert LineageEvent.objects.count() == 1


def test_a_removed_role_is_honoured_on_the_next_event(alice):
    producer = client_for(alice, "Bearer")
    assert post(producer, run_event()).status_code == 201

    alice.groups.clear()
    response = post(producer, run_event())

    assert response.status_code == 403
    assert LineageEvent.objects.count() == 1
