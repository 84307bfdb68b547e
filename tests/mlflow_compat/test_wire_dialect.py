"""The traps of MLflow's wire format that the client depends on (reference §0)."""

from __future__ import annotations

import pytest
from mlflowkit import native_version

API = "/api/2.0/mlflow"


@pytest.fixture
def fraud(trina):
    return native_version(trina, "fraud-detector", description="baseline").model


def test_success_is_200_with_the_version_as_a_string_and_status_ready(as_trina, fraud):
    response = as_trina.get(f"{API}/model-versions/get", {"name": "fraud-detector", "version": "1"})

    assert response.status_code == 200
    version = response.json()["model_version"]
    assert version["version"] == "1"
    assert version["status"] == "READY"
    assert version["current_stage"] == "None"
    assert version["source"] == "models:/fraud-detector/1"
    assert isinstance(version["creation_timestamp"], int)


def test_creating_a_model_answers_200_not_201(as_trina):
    response = as_trina.post(f"{API}/registered-models/create", {"name": "fresh"}, format="json")

    assert response.status_code == 200
    assert response.json()["registered_model"]["name"] == "fresh"


def test_an_existing_name_is_400_resource_already_exists_not_409(as_trina, fraud):
    response = as_trina.post(f"{API}/registered-models/create", {"name": "fraud-detector"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "error_code": "RESOURCE_ALREADY_EXISTS",
        "message": "Registered Model (name=fraud-detector) already exists.",
    }


def test_an_unknown_model_is_404_resource_does_not_exist(as_trina):
    response = as_trina.get(f"{API}/registered-models/get", {"name": "nope"})

    assert response.status_code == 404
    assert response.json() == {
        "error_code": "RESOURCE_DOES_NOT_EXIST",
        "message": "Registered Model with name=nope not found",
    }


@pytest.mark.parametrize("path", [f"{API}/no-such-thing", "/api/2.0/mlflow-nope/x", "/ajax-api/2.0/mlflow/nothing"])
def test_an_unknown_route_is_a_json_404_endpoint_not_found(as_trina, path):
    response = as_trina.get(path)

    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_a_method_an_endpoint_does_not_take_is_a_json_404_endpoint_not_found(as_trina, fraud):
    response = as_trina.put(f"{API}/registered-models/get", {"name": "fraud-detector"}, format="json")

    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_get_latest_versions_answers_post_and_get_with_repeated_stage_keys(as_trina, fraud):
    posted = as_trina.post(
        f"{API}/registered-models/get-latest-versions", {"name": "fraud-detector", "stages": ["None"]}, format="json"
    )
    got = as_trina.get(f"{API}/registered-models/get-latest-versions?name=fraud-detector&stages=None&stages=Staging")

    assert [v["version"] for v in posted.json()["model_versions"]] == ["1"]
    assert [v["version"] for v in got.json()["model_versions"]] == ["1"]


def test_delete_reads_its_json_body(as_trina, fraud):
    as_trina.post(
        f"{API}/registered-models/alias", {"name": "fraud-detector", "alias": "a", "version": "1"}, format="json"
    )

    response = as_trina.delete(
        f"{API}/registered-models/alias", {"name": "fraud-detector", "alias": "a"}, format="json"
    )

    assert (response.status_code, response.json()) == (200, {})
    assert not fraud.aliases.exists()


def test_every_route_is_also_under_ajax_api(as_trina, fraud):
    response = as_trina.get("/ajax-api/2.0/mlflow/registered-models/get", {"name": "fraud-detector"})

    assert response.status_code == 200
    assert response.json()["registered_model"]["description"] == ""


def test_a_missing_required_field_is_400_invalid_parameter_value(as_trina):
    response = as_trina.get(f"{API}/registered-models/get")

    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "'name'" in response.json()["message"]


def test_a_body_that_is_not_json_is_400_not_500(as_trina):
    response = as_trina.generic("POST", f"{API}/registered-models/create", b"{nope", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error_code"] == "MALFORMED_REQUEST"


def test_a_registered_model_carries_its_tags_for_the_hidden_prompt_check(as_trina, fraud):
    as_trina.post(
        f"{API}/registered-models/set-tag", {"name": "fraud-detector", "key": "team", "value": "risk"}, format="json"
    )

    model = as_trina.get(f"{API}/registered-models/get", {"name": "fraud-detector"}).json()["registered_model"]

    assert model["tags"] == [{"key": "team", "value": "risk"}]
    assert [v["version"] for v in model["latest_versions"]] == ["1"]


def test_server_info_answers_without_credentials_and_offers_no_multipart(client):
    response = client.get("/api/3.0/mlflow/server-info")

    assert response.status_code == 200
    assert response.json()["multipart_uploads_enabled"] is False
    assert response.json()["multipart_downloads_enabled"] is False


def test_the_download_uri_is_an_absolute_artifact_proxy_folder(as_trina, fraud):
    response = as_trina.get(f"{API}/model-versions/get-download-uri", {"name": "fraud-detector", "version": "1"})

    assert response.json() == {
        "artifact_uri": "http://testserver/api/2.0/mlflow-artifacts/artifacts/registry/fraud-detector/1"
    }
