"""/accounts/token/: a logged-in user makes, and remakes, the key their scripts send."""

import re

from django.test import Client
from rest_framework.test import APIClient


def shown_key(response) -> str:
    found = re.search(r'<pre id="token-key">([0-9a-f]{40})</pre>', response.content.decode())
    assert found, response.content.decode()[:2000]
    return found.group(1)


def models_with(key: str):
    return APIClient().get("/api/v1/models", headers={"Authorization": f"Token {key}"})


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get("/accounts/token/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/token/"


def test_a_user_without_a_token_is_told_so_and_offered_one(client, bob):
    client.force_login(bob)

    page = client.get("/accounts/token/").content.decode()

    assert "You have no API token yet." in page
    assert "Create token" in page


def test_creating_a_token_shows_a_key_that_reads_the_api(client, bob):
    client.force_login(bob)

    created = client.post("/accounts/token/")

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    response = models_with(shown_key(created))
    assert response.status_code == 200
    assert "results" in response.json()


def test_the_key_is_shown_once_only(client, bob):
    client.force_login(bob)
    key = shown_key(client.post("/accounts/token/"))

    later = client.get("/accounts/token/").content.decode()

    assert key not in later
    assert "You have a token, created" in later
    assert "Regenerate token" in later


def test_regenerating_stops_the_old_key_and_the_new_one_works(client, bob):
    client.force_login(bob)
    old = shown_key(client.post("/accounts/token/"))

    new = shown_key(client.post("/accounts/token/"))

    assert new != old
    assert models_with(old).status_code == 401
    assert models_with(new).status_code == 200


def test_a_post_without_the_csrf_token_makes_no_token(bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)

    response = client.post("/accounts/token/")

    assert response.status_code == 403
    assert "You have no API token yet." in client.get("/accounts/token/").content.decode()


def test_the_page_is_linked_from_the_user_menu(client, bob):
    client.force_login(bob)

    page = client.get("/models/").content.decode()

    assert '<a href="/accounts/token/"' in page
