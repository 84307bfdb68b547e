"""MLflow's search filter grammar on registered models and versions, including the
prompt clause the client adds to every registered-model search."""

from __future__ import annotations

import pytest
from mlflowkit import native_version

from registry.models import ModelVersion, RegisteredModel
from registry.services import model_version_tag_set

API = "/api/2.0/mlflow"
PROMPT_CLAUSE = "tag.`mlflow.prompt.is_prompt` != 'true'"


@pytest.fixture
def catalog(trina):
    """Three models (one of them a prompt) and three versions of fraud-detector."""
    RegisteredModel.objects.create(name="Fraud-Rules", tags={"team": "risk", "mlflow.prompt.is_prompt": "false"})
    RegisteredModel.objects.create(name="greeting-prompt", tags={"mlflow.prompt.is_prompt": "true"})
    for run_id in ("run-a", "run-b", "run-c"):
        native_version(trina, "fraud-detector", run_id=run_id)
    model_version_tag_set(actor=None, version=ModelVersion.objects.get(version=2), key="mlflow.source.git", value="abc")


def model_names(client, filter_string: str, **params) -> list[str]:
    response = client.get(f"{API}/registered-models/search", {"filter": filter_string, **params})
    assert response.status_code == 200, response.content
    return [model["name"] for model in response.json().get("registered_models", [])]


def version_numbers(client, filter_string: str, **params) -> list[str]:
    response = client.get(f"{API}/model-versions/search", {"filter": filter_string, **params})
    assert response.status_code == 200, response.content
    return [version["version"] for version in response.json().get("model_versions", [])]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (PROMPT_CLAUSE, ["Fraud-Rules", "fraud-detector"]),
        (f"name LIKE 'fraud%' AND {PROMPT_CLAUSE}", ["fraud-detector"]),
        (f"name ILIKE 'fraud%' AND {PROMPT_CLAUSE}", ["Fraud-Rules", "fraud-detector"]),
        ("tags.team = 'risk'", ["Fraud-Rules"]),
        ("tags.\"team\" != 'risk'", ["fraud-detector", "greeting-prompt"]),
        ("name = 'fraud-detector'", ["fraud-detector"]),
        ("name != 'fraud-detector' and tag.team = 'risk'", ["Fraud-Rules"]),
        ("name LIKE '%-p%'", ["greeting-prompt"]),
        ("name LIKE 'fraud_detector'", ["fraud-detector"]),
    ],
)
def test_registered_model_filters(as_trina, catalog, filter_string, expected):
    assert sorted(model_names(as_trina, filter_string)) == sorted(expected)


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name='fraud-detector'", ["3", "2", "1"]),
        ("name = 'fraud-detector' AND version_number > 1", ["3", "2"]),
        ("version_number <= 2", ["2", "1"]),
        ("run_id IN ('run-a', 'run-c')", ["3", "1"]),
        ("run_id NOT IN ('run-a')", ["3", "2"]),
        ("tag.`mlflow.source.git` = 'abc'", ["2"]),
        ("tags.`mlflow.source.git` != 'abc'", ["3", "1"]),
        ("source_path = 'models:/x/1'", []),
        ("", ["3", "2", "1"]),
    ],
)
def test_model_version_filters(as_trina, catalog, filter_string, expected):
    assert version_numbers(as_trina, filter_string) == expected


def test_versions_are_ordered_as_asked(as_trina, catalog):
    assert version_numbers(as_trina, "", order_by="version_number ASC") == ["1", "2", "3"]
    assert version_numbers(as_trina, "", order_by="`creation_timestamp` DESC") == ["3", "2", "1"]


def test_version_search_pages_with_an_opaque_token(as_trina, catalog):
    first = as_trina.get(f"{API}/model-versions/search", {"max_results": "2"}).json()
    second = as_trina.get(
        f"{API}/model-versions/search", {"max_results": "2", "page_token": first["next_page_token"]}
    ).json()

    assert [v["version"] for v in first["model_versions"] + second["model_versions"]] == ["3", "2", "1"]
    assert "next_page_token" not in second


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("registered-models/search", {"filter": "name ="}),
        ("registered-models/search", {"filter": "name = 'a' OR name = 'b'"}),
        ("registered-models/search", {"filter": "color = 'red'"}),
        ("registered-models/search", {"filter": "version_number > 1"}),
        ("registered-models/search", {"filter": "name IN ('a')"}),
        ("registered-models/search", {"max_results": "1001"}),
        ("registered-models/search", {"page_token": "not-a-token"}),
        ("registered-models/search", {"order_by": "color DESC"}),
        ("model-versions/search", {"filter": "version_number = 'one'"}),
        ("model-versions/search", {"filter": "name = 'a' extra"}),
    ],
)
def test_a_malformed_search_is_400_invalid_parameter_value(as_trina, catalog, path, params):
    response = as_trina.get(f"{API}/{path}", params)

    assert response.status_code == 400, response.content
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
