"""Who may call the MLflow API: token (MLFLOW_TRACKING_TOKEN) or Basic credentials
(MLFLOW_TRACKING_USERNAME/PASSWORD), with the native API's roles."""

from __future__ import annotations

import base64

import pytest
from mlflow.exceptions import MlflowException
from mlflowkit import LIVE, connect, native_version, trainer

from kit import client_for

API = "/api/2.0/mlflow"


def error_code(call, *args) -> str:
    with pytest.raises(MlflowException) as raised:
        call(*args)
    return raised.value.error_code


@pytest.mark.django_db(**LIVE)
def test_without_credentials_the_client_gets_401_unauthenticated(request):
    native_version(trainer(), "fraud-detector")
    client = connect(request, None)

    assert error_code(client.get_registered_model, "fraud-detector") == "UNAUTHENTICATED"
    assert error_code(client.create_registered_model, "other") == "UNAUTHENTICATED"


@pytest.mark.django_db(**LIVE)
def test_basic_credentials_from_username_and_password_work(request, monkeypatch):
    native_version(trainer(), "fraud-detector")
    client = connect(request, None)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "trina")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "trina-password-1")

    assert client.get_registered_model("fraud-detector").name == "fraud-detector"
    client.create_registered_model("from-basic")

    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong")
    assert error_code(client.get_registered_model, "fraud-detector") == "UNAUTHENTICATED"


def test_a_wrong_token_is_401(db, anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = anonymous.get(f"{API}/registered-models/search")

    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert "Bearer" in response["WWW-Authenticate"]


def test_a_viewer_reads_but_may_not_create(bob):
    as_bob = client_for(bob, keyword="Bearer")

    assert as_bob.get(f"{API}/registered-models/search").status_code == 200
    refused = as_bob.post(f"{API}/registered-models/create", {"name": "mine"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PERMISSION_DENIED"


def test_an_uploader_registers_but_may_not_promote(alice):
    native_version(alice, "fraud-detector")
    as_alice = client_for(alice, keyword="Bearer")

    refused = as_alice.post(
        f"{API}/model-versions/transition-stage",
        {"name": "fraud-detector", "version": "1", "stage": "Production", "archive_existing_versions": False},
        format="json",
    )

    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PERMISSION_DENIED"


def test_someone_without_a_role_may_not_log_runs(charlie):
    as_charlie = client_for(charlie, keyword="Bearer")

    refused = as_charlie.post(f"{API}/experiments/create", {"name": "exp"}, format="json")

    assert refused.status_code == 403


def test_with_public_read_anyone_reads_but_writes_still_need_credentials(db, anonymous, settings):
    settings.REGISTRY_PUBLIC_READ = True

    assert anonymous.get(f"{API}/registered-models/search").status_code == 200
    assert anonymous.post(f"{API}/registered-models/create", {"name": "m"}, format="json").status_code == 401


def test_the_token_keyword_works_as_well_as_bearer(alice):
    assert client_for(alice, keyword="Token").get(f"{API}/registered-models/search").status_code == 200


def test_basic_credentials_through_the_test_client(alice, anonymous):
    encoded = base64.b64encode(b"alice:alice-password-1").decode()
    anonymous.credentials(HTTP_AUTHORIZATION=f"Basic {encoded}")

    assert anonymous.get(f"{API}/registered-models/search").status_code == 200


def test_a_revoked_token_is_refused_on_the_next_call(alice):
    as_alice = client_for(alice, keyword="Bearer")
    assert as_alice.get(f"{API}/registered-models/search").status_code == 200

    alice.auth_token.delete()

    response = as_alice.get(f"{API}/registered-models/search")
    assert response.status_code == 401
    assert response.json()["message"] == "invalid token"


def test_an_unsupported_scheme_is_401_naming_the_schemes_that_work(db, anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Digest abc")

    response = anonymous.get(f"{API}/registered-models/search")

    assert response.status_code == 401
    assert "use Token, Bearer or Basic" in response.json()["message"]
