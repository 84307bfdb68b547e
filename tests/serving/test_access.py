"""Invocations need credentials with read access unless public read is on; a caller's
check is remembered briefly, so steady traffic costs no database query."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from servingkit import invoke, message, predictions

from kit import client_for, upload

BODY = {"instances": [[5.1, 3.5, 1.4, 0.2]]}
PATH = "/model/m/invocations"


@pytest.fixture
def served(as_alice, iris_joblib):
    upload(as_alice, "m", iris_joblib)


def basic(username: str, password: str) -> APIClient:
    client = APIClient()
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {encoded}")
    return client


def test_an_invocation_without_credentials_is_401_with_a_challenge(anonymous, served):
    response = invoke(anonymous, PATH, BODY)

    assert "credentials are required" in message(response, 401)
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert "Bearer" in response["WWW-Authenticate"]


def test_a_viewer_may_invoke_with_a_token_a_bearer_token_or_basic_auth(bob, served):
    for client in (client_for(bob, "Token"), client_for(bob, "Bearer"), basic("bob", "bob-password-1")):
        assert len(predictions(invoke(client, PATH, BODY))) == 1


def test_a_user_without_the_read_role_is_403(charlie, served):
    response = invoke(client_for(charlie), PATH, BODY)

    assert "charlie may not read models" in message(response, 403)


@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-token", "Bearer", "Basic !!!", "Basic \u00e9", "Digest username=bob", "Token two words"],
)
def test_bad_credentials_are_401(served, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert message(invoke(client, PATH, BODY), 401)


def test_a_wrong_password_is_401(bob, served):
    assert "invalid username/password" in message(invoke(basic("bob", "guess"), PATH, BODY), 401)


def test_public_read_lets_anonymous_callers_invoke(settings, anonymous, served):
    settings.REGISTRY_PUBLIC_READ = True

    assert len(predictions(invoke(anonymous, PATH, BODY))) == 1


def test_a_repeated_invocation_costs_no_database_query(as_bob, served):
    predictions(invoke(as_bob, PATH, BODY))

    with CaptureQueriesContext(connection) as queries:
        predictions(invoke(as_bob, PATH, BODY))

    assert [q["sql"] for q in queries.captured_queries] == []


def test_a_repeated_basic_auth_invocation_costs_no_database_query(bob, served):
    client = basic("bob", "bob-password-1")
    predictions(invoke(client, PATH, BODY))

    with CaptureQueriesContext(connection) as queries:
        predictions(invoke(client, PATH, BODY))

    assert len(queries) == 0
