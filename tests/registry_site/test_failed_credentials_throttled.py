"""Failed credential checks are limited per client address and per username: past the
limit, checks are refused with 429 and Retry-After before any password hash or token
lookup runs, on every surface (native API, MLflow API, invocations, login forms)."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry_site import throttling

WINDOW = 300
SURFACES = {
    "native API": lambda client: client.get("/api/v1/models"),
    "MLflow API": lambda client: client.get("/api/2.0/mlflow/registered-models/search"),
    "invocations": lambda client: client.post("/model/m/invocations", {"instances": [[1]]}, format="json"),
    "lineage API": lambda client: client.get("/api/v1/namespaces"),
}


class CountingHasher(MD5PasswordHasher):
    """Counts every password hash run (a check, or the decoy hash for an unknown user).
    A fast hasher stands in for PBKDF2 so that the test is quick: the count is the point."""

    runs = 0

    def encode(self, password, salt):
        CountingHasher.runs += 1
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def limits(settings, monkeypatch):
    """Small limits, a counting hasher (set before any user is made, so their passwords
    use it) and a clock the tests move, starting 100 s into a window."""
    settings.AUTH_FAILURE_WINDOW_SECONDS = WINDOW
    settings.AUTH_FAILURES_PER_ADDRESS = 4
    settings.AUTH_FAILURES_PER_USERNAME = 3
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.runs = 0
    now = [1_000 * WINDOW + 100.0]
    monkeypatch.setattr(throttling, "clock", lambda: now[0])
    return now


def basic(username: str, password: str, address: str = "203.0.113.7", **extra) -> APIClient:
    client = APIClient(REMOTE_ADDR=address, **extra)
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{username}:{password}".encode()).decode())
    return client


def token(key: str, address: str = "203.0.113.7", keyword: str = "Token") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def fail_from(address: str, times: int, *, surface: str = "native API", usernames: str = "mallory{}") -> None:
    for attempt in range(times):
        response = SURFACES[surface](basic(usernames.format(attempt), "guess", address))
        assert response.status_code == 401, response.content


def assert_refused(response, error_code: str = "REQUEST_LIMIT_EXCEEDED") -> None:
    assert response.status_code == 429, response.content
    assert response.json()["error_code"] == error_code
    assert "try again in 200 s" in response.json()["message"]
    assert response["Retry-After"] == "200"  # the window's end, 100 s into a 300 s window


@pytest.mark.parametrize("surface", SURFACES)
def test_wrong_basic_passwords_from_one_address_end_in_429_with_retry_after(db, surface):
    fail_from("203.0.113.7", 4, surface=surface)

    assert_refused(SURFACES[surface](basic("mallory9", "guess")))


@pytest.mark.parametrize("surface", SURFACES)
def test_a_locked_out_check_runs_no_password_hash(db, surface):
    fail_from("203.0.113.7", 4, surface=surface)
    runs = CountingHasher.runs

    for _ in range(5):
        assert SURFACES[surface](basic("mallory9", "guess")).status_code == 429

    assert CountingHasher.runs == runs == 4


def test_another_address_still_signs_in_while_one_is_locked_out(bob):
    fail_from("203.0.113.7", 4)

    assert basic("bob", "bob-password-1", "198.51.100.20").get("/api/v1/models").status_code == 200
    assert basic("bob", "bob-password-1", "203.0.113.7").get("/api/v1/models").status_code == 429


def test_wrong_passwords_for_one_username_from_many_addresses_lock_that_username(bob):
    for attempt in range(3):
        assert basic("bob", "guess", f"192.0.2.{attempt}").get("/api/v1/models").status_code == 401

    refused = basic("bob", "bob-password-1", "198.51.100.20").get("/api/v1/models")

    assert refused.status_code == 429
    assert "for this username" in refused.json()["message"]


def test_a_locked_username_still_signs_in_from_an_address_it_used_lately(bob):
    assert basic("bob", "bob-password-1", "198.51.100.20").get("/api/v1/models").status_code == 200
    for attempt in range(3):
        assert basic("bob", "guess", f"192.0.2.{attempt}").get("/api/v1/models").status_code == 401

    assert basic("bob", "bob-password-1", "198.51.100.20").get("/api/v1/models").status_code == 200
    assert basic("bob", "bob-password-1", "198.51.100.21").get("/api/v1/models").status_code == 429


def test_after_the_window_checks_are_made_again(bob, limits):
    fail_from("203.0.113.7", 4)
    assert basic("bob", "bob-password-1").get("/api/v1/models").status_code == 429

    limits[0] += 200  # the start of the next window

    assert basic("bob", "bob-password-1").get("/api/v1/models").status_code == 200
    assert basic("mallory", "guess").get("/api/v1/models").status_code == 401


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("keyword", ["Token", "Bearer"])
def test_wrong_tokens_count_too(db, surface, keyword):
    for attempt in range(4):
        assert SURFACES[surface](token(f"not-a-token-{attempt}", keyword=keyword)).status_code == 401

    assert_refused(SURFACES[surface](token("not-a-token-9", keyword=keyword)))


def test_a_locked_out_address_is_refused_before_its_token_is_looked_up(bob, django_assert_max_num_queries):
    fail_from("203.0.113.7", 4, surface="invocations")
    valid = Token.objects.create(user=bob).key

    with django_assert_max_num_queries(1):  # the counters' read, no token lookup
        assert token(valid).post("/model/m/invocations", {"instances": [[1]]}, format="json").status_code == 429


def test_the_mlflow_api_answers_429_with_the_code_its_client_waits_on(db):
    fail_from("203.0.113.7", 4, surface="MLflow API")

    refused = basic("mallory", "guess").post("/api/2.0/mlflow/registered-models/create", {"name": "x"}, format="json")

    assert_refused(refused, error_code="REQUEST_LIMIT_EXCEEDED")  # MLflow's code for 429
    assert refused["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_login_forms_answer_429_with_the_reason_after_wrong_passwords(client, bob, path):
    for _ in range(3):
        assert client.post(path, {"username": "bob", "password": "guess"}, REMOTE_ADDR="192.0.2.1").status_code == 200

    page = client.post(path, {"username": "bob", "password": "bob-password-1"}, REMOTE_ADDR="192.0.2.1")

    assert page.status_code == 429
    assert page["Retry-After"] == "200"
    assert b"too many failed credential checks for this username: try again in 200 s" in page.content
    assert "_auth_user_id" not in client.session


def test_a_staff_user_still_signs_in_through_the_admins_form(client, db):
    User.objects.create_user("sam", password="sam-password-1", is_staff=True)

    assert client.get("/admin/login/").status_code == 200
    page = client.post("/admin/login/?next=/admin/", {"username": "sam", "password": "sam-password-1"})

    assert (page.status_code, page["Location"]) == (302, "/admin/")


def test_a_login_form_signs_in_from_another_address_while_one_is_locked_out(client, bob):
    fail_from("203.0.113.7", 4)

    page = client.post("/accounts/login/", {"username": "bob", "password": "bob-password-1"}, REMOTE_ADDR="192.0.2.1")

    assert page.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(bob):
    for attempt in range(4):
        spoofed = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{attempt}"}
        assert basic(f"mallory{attempt}", "guess", **spoofed).get("/api/v1/models").status_code == 401

    assert basic("bob", "bob-password-1", HTTP_X_FORWARDED_FOR="192.0.2.99").get("/api/v1/models").status_code == 429


def test_behind_a_trusted_proxy_the_address_it_forwarded_is_counted(bob, settings):
    settings.WEB_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    for attempt in range(4):
        invented = {"HTTP_X_FORWARDED_FOR": f"198.18.0.{attempt}, 203.0.113.7"}
        assert basic(f"mallory{attempt}", "guess", proxy, **invented).get("/api/v1/models").status_code == 401

    locked, other = ({"HTTP_X_FORWARDED_FOR": address} for address in ("203.0.113.7", "192.0.2.1"))
    assert basic("bob", "bob-password-1", proxy, **locked).get("/api/v1/models").status_code == 429
    assert basic("bob", "bob-password-1", proxy, **other).get("/api/v1/models").status_code == 200


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's in-memory test database locks whole tables")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_failures_from_many_workers_at_once_are_all_counted(settings):
    """Threads with connections of their own stand for gunicorn workers: none of their
    failures may be lost, as a read-then-write counter would lose some."""
    settings.AUTH_FAILURES_PER_ADDRESS = 40
    settings.AUTH_FAILURES_PER_USERNAME = 0
    start = threading.Barrier(8)

    def fail_five(worker: int) -> list[int]:
        start.wait()
        try:
            return [basic(f"mallory{worker}", "guess").get("/api/v1/models").status_code for _ in range(5)]
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        statuses = [status for statuses in pool.map(fail_five, range(8)) for status in statuses]

    assert statuses == [401] * 40
    assert basic("mallory", "guess").get("/api/v1/models").status_code == 429
