"""MlflowClient's registry calls behave as on an MLflow server, over the registry's own
versions, stages, aliases and audit log."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException
from mlflowkit import LIVE, native_version

from registry.models import AuditEntry, ModelVersion, RegisteredModel

pytestmark = [
    pytest.mark.django_db(**LIVE),
    pytest.mark.filterwarnings("ignore:.*is deprecated since 2.9.0:FutureWarning"),  # stages: still called
]


@pytest.fixture
def fraud(trina):
    """fraud-detector with version 1 in Production and version 2 in Staging."""
    one = native_version(trina, "fraud-detector")
    two = native_version(trina, "fraud-detector")
    ModelVersion.objects.filter(pk=one.pk).update(stage="Production")
    ModelVersion.objects.filter(pk=two.pk).update(stage="Staging")
    return one.model


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(MlflowException) as raised:
        call(*args, **kwargs)
    return raised.value.error_code


def test_search_registered_models_lists_every_model_by_name(mlflow_client, trina, fraud):
    native_version(trina, "churn")

    found = mlflow_client.search_registered_models()

    assert [model.name for model in found] == ["churn", "fraud-detector"]
    fraud_model = found[1]
    assert sorted((v.version, v.current_stage) for v in fraud_model.latest_versions) == [
        ("1", "Production"),
        ("2", "Staging"),
    ]


def test_search_registered_models_pages_and_filters(mlflow_client, trina, fraud):
    for name in ("churn", "fraud-rules", "uplift"):
        native_version(trina, name)

    first = mlflow_client.search_registered_models(max_results=2)
    second = mlflow_client.search_registered_models(max_results=2, page_token=first.token)
    matching = mlflow_client.search_registered_models(filter_string="name LIKE 'fraud%'")

    assert [m.name for m in first] + [m.name for m in second] == ["churn", "fraud-detector", "fraud-rules", "uplift"]
    assert not second.token
    assert [m.name for m in matching] == ["fraud-detector", "fraud-rules"]


def test_search_registered_models_leaves_out_prompts_but_keeps_untagged_models(mlflow_client, trina, fraud):
    RegisteredModel.objects.create(name="a-prompt", tags={"mlflow.prompt.is_prompt": "true"})
    RegisteredModel.objects.create(name="tagged", tags={"team": "risk"})

    found = mlflow_client.search_registered_models(filter_string="tags.team = 'risk'")
    every = mlflow_client.search_registered_models()

    assert [m.name for m in found] == ["tagged"]
    assert [m.name for m in every] == ["fraud-detector", "tagged"]


def test_search_model_versions_by_name_gives_string_versions_that_are_ready(mlflow_client, fraud):
    found = mlflow_client.search_model_versions("name='fraud-detector'")

    assert [(v.name, v.version, v.status) for v in found] == [
        ("fraud-detector", "2", "READY"),
        ("fraud-detector", "1", "READY"),
    ]


def test_get_latest_versions_gives_the_newest_version_in_the_stage_asked_for(mlflow_client, trina, fraud):
    three = native_version(trina, "fraud-detector")
    ModelVersion.objects.filter(pk=three.pk).update(stage="Staging")

    production = mlflow_client.get_latest_versions("fraud-detector", stages=["Production"])
    staging = mlflow_client.get_latest_versions("fraud-detector", stages=["staging"])

    assert [(v.version, v.current_stage) for v in production] == [("1", "Production")]
    assert [(v.version, v.current_stage) for v in staging] == [("3", "Staging")]


def test_transition_stage_archives_the_previous_holder_and_is_audited(mlflow_client, fraud):
    moved = mlflow_client.transition_model_version_stage(
        "fraud-detector", "2", "Production", archive_existing_versions=True
    )

    assert moved.current_stage == "Production"
    assert mlflow_client.get_model_version("fraud-detector", "1").current_stage == "Archived"
    changes = AuditEntry.objects.filter(model_name="fraud-detector", action="stage")
    assert {(e.version, e.from_value, e.to_value, e.actor_name) for e in changes} == {
        (2, "Staging", "Production", "trina"),
        (1, "Production", "Archived", "trina"),
    }


def test_an_alias_can_be_set_read_and_deleted(mlflow_client, fraud):
    mlflow_client.set_registered_model_alias("fraud-detector", "champion", "2")
    assert mlflow_client.get_model_version_by_alias("fraud-detector", "champion").version == "2"
    assert mlflow_client.get_registered_model("fraud-detector").aliases == {"champion": "2"}

    mlflow_client.delete_registered_model_alias("fraud-detector", "champion")

    assert (
        error_code(mlflow_client.get_model_version_by_alias, "fraud-detector", "champion") == "RESOURCE_DOES_NOT_EXIST"
    )
    assert mlflow_client.get_registered_model("fraud-detector").aliases == {}


def test_update_model_version_changes_its_description(mlflow_client, fraud):
    mlflow_client.update_model_version("fraud-detector", "1", description="gradient boosting, 100 trees")

    assert mlflow_client.get_model_version("fraud-detector", "1").description == "gradient boosting, 100 trees"
    assert ModelVersion.objects.get(model=fraud, version=1).description == "gradient boosting, 100 trees"


def test_delete_model_version_removes_it_and_its_number_is_never_reused(mlflow_client, trina, fraud):
    mlflow_client.delete_model_version("fraud-detector", "2")

    assert error_code(mlflow_client.get_model_version, "fraud-detector", "2") == "RESOURCE_DOES_NOT_EXIST"
    assert [v.version for v in mlflow_client.search_model_versions("name='fraud-detector'")] == ["1"]
    assert native_version(trina, "fraud-detector").version == 3


def test_creating_a_model_whose_name_exists_gives_resource_already_exists(mlflow_client, fraud):
    assert error_code(mlflow_client.create_registered_model, "fraud-detector") == "RESOURCE_ALREADY_EXISTS"


def test_an_unknown_model_gives_resource_does_not_exist(mlflow_client):
    assert error_code(mlflow_client.get_registered_model, "nope") == "RESOURCE_DOES_NOT_EXIST"
    assert error_code(mlflow_client.get_model_version, "nope", "1") == "RESOURCE_DOES_NOT_EXIST"
    assert error_code(mlflow_client.get_latest_versions, "nope", stages=["Production"]) == "RESOURCE_DOES_NOT_EXIST"


def test_a_model_is_created_described_tagged_renamed_and_deleted(mlflow_client, fraud):
    mlflow_client.create_registered_model("scratch", tags={"team": "risk"}, description="first try")
    mlflow_client.update_registered_model("scratch", description="second try")
    mlflow_client.set_registered_model_tag("scratch", "owner", "trina")
    mlflow_client.delete_registered_model_tag("scratch", "team")
    mlflow_client.rename_registered_model("scratch", "scratchpad")

    renamed = mlflow_client.get_registered_model("scratchpad")
    assert (renamed.description, renamed.tags) == ("second try", {"owner": "trina"})
    assert error_code(mlflow_client.get_registered_model, "scratch") == "RESOURCE_DOES_NOT_EXIST"

    mlflow_client.delete_registered_model("scratchpad")
    assert not RegisteredModel.objects.filter(name="scratchpad").exists()


def test_version_tags_are_set_and_deleted(mlflow_client, fraud):
    mlflow_client.set_model_version_tag("fraud-detector", "1", "validated", "yes")
    mlflow_client.set_model_version_tag("fraud-detector", "1", "reviewer", "bob")
    mlflow_client.delete_model_version_tag("fraud-detector", "1", "reviewer")

    assert mlflow_client.get_model_version("fraud-detector", "1").tags == {"validated": "yes"}
