"""Lineage has its own permissions, held by the role groups: uploaders post, every role
reads, people without a role do neither; public read opens reads only."""

import pytest
from lineagekit import post, run_event

from lineage.models import LineageEvent

from kit import client_for


def test_an_anonymous_post_is_401(anonymous, db):
    response = post(anonymous, run_event())

    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert not LineageEvent.objects.exists()


def test_a_viewer_posting_is_403(as_bob):
    response = post(as_bob, run_event())

    assert response.status_code == 403
    assert not LineageEvent.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/namespaces", "/api/v1/events/lineage", "/api/v1/jobs"])
def test_every_role_reads_lineage(as_bob, as_carol, as_alice, path):
    assert [c.get(path).status_code for c in (as_alice, as_bob, as_carol)] == [200, 200, 200]


def test_a_user_without_a_role_cannot_read_lineage(charlie):
    assert client_for(charlie).get("/api/v1/namespaces").status_code == 403


def test_anonymous_reads_are_401_unless_reads_are_public(anonymous, settings, db):
    assert anonymous.get("/api/v1/namespaces").status_code == 401
    settings.REGISTRY_PUBLIC_READ = True
    assert anonymous.get("/api/v1/namespaces").status_code == 200
    assert post(anonymous, run_event()).status_code == 401
