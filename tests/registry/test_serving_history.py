"""`GET /api/v1/models/<name>/history`: which version served each stage and alias, at
any moment (`?at=`), and every span of serving."""

import pytest
from django.utils import timezone

from kit import upload


@pytest.fixture
def two_versions(as_alice, iris_joblib):
    for _ in range(2):
        assert upload(as_alice, "iris", iris_joblib).status_code == 201


def promote(client, version: int, *, alias: str = "champion"):
    response = client.put(f"/api/v1/models/iris/aliases/{alias}", {"version": version}, format="json")
    assert response.status_code == 200, response.content


def history_at(client, moment) -> dict:
    response = client.get("/api/v1/models/iris/history", {"at": moment.isoformat()})
    assert response.status_code == 200, response.content
    return response.json()


def test_history_at_a_moment_before_and_after_a_promotion_names_the_old_and_new_holder(two_versions, as_carol, as_bob):
    before_any = timezone.now()
    promote(as_carol, 1)
    as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")
    between = timezone.now()
    promote(as_carol, 2)

    assert history_at(as_bob, before_any) | {"at": None} == {"name": "iris", "at": None, "stages": {}, "aliases": {}}
    assert history_at(as_bob, between)["aliases"] == {"champion": 1}
    assert history_at(as_bob, between)["stages"] == {"Production": 1}
    assert history_at(as_bob, timezone.now())["aliases"] == {"champion": 2}


def test_history_without_a_moment_lists_every_span_newest_first(two_versions, as_carol, as_bob):
    promote(as_carol, 1)
    promote(as_carol, 2)

    holdings = as_bob.get("/api/v1/models/iris/history").json()["holdings"]

    assert [(h["kind"], h["target"], h["version"], h["ended_at"] is None) for h in holdings] == [
        ("alias", "champion", 2, True),
        ("alias", "champion", 1, False),
    ]


def test_a_moment_that_is_not_a_date_is_refused_naming_at(two_versions, as_bob):
    response = as_bob.get("/api/v1/models/iris/history", {"at": "yesterday"})

    assert response.status_code == 400
    assert "at" in response.json()["message"]


def test_the_model_page_shows_what_served_when(two_versions, as_carol, client, bob):
    promote(as_carol, 1)
    promote(as_carol, 2)
    client.force_login(bob)

    page = client.get("/models/iris/").content.decode()

    history = page[page.index('id="serving-history"') :]
    assert history.index(">v2<") < history.index(">v1<")
    assert "<strong>now</strong>" in history
    assert "Roll back" not in history  # bob only reads
