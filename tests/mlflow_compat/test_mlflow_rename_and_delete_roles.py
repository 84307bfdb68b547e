"""Through the MLflow endpoints, renaming or deleting a model, or deleting a version, that
clients reach through a stage or an alias needs the promoter role: otherwise an uploader
could rename a Production model away and take its name over with a model of her own."""

import json

import pytest

from registry.models import RegisteredModel

from kit import client_for, last_audit, registry_state, upload

MLFLOW = "/api/2.0/mlflow"
# One iris row, in the columns the model was trained on.
ROW = {
    "dataframe_split": {
        "columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
        "data": [[5.1, 3.5, 1.4, 0.2]],
    }
}


def rename(client, name: str, new_name: str):
    return client.post(f"{MLFLOW}/registered-models/rename", {"name": name, "new_name": new_name}, format="json")


def delete_version(client, name: str, version: str):
    return client.delete(f"{MLFLOW}/model-versions/delete", {"name": name, "version": version}, format="json")


def test_an_uploader_cannot_rename_a_pinned_model(as_alice, pinned_iris):
    before = registry_state()

    response = rename(as_alice, "iris", "iris-old")

    assert response.status_code == 403
    assert response.json() == {
        "error_code": "PERMISSION_DENIED",
        "message": f"model 'iris' is served through {pinned_iris}: renaming it needs the promoter role",
    }
    assert registry_state() == before


def test_after_a_refused_rename_the_name_still_serves_the_original_version(as_alice, as_bob, iris_in_production):
    rename(as_alice, "iris", "iris-old")
    # The takeover: a model of her own under the freed name.
    taken = as_alice.post(f"{MLFLOW}/registered-models/create", {"name": "iris"}, format="json")

    answers = [
        as_bob.post(f"/model/iris/{ref}invocations", data=json.dumps(ROW), content_type="application/json")
        for ref in ("", "Production/")
    ]

    assert taken.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    for response in answers:
        assert response.status_code == 200, response.content
        assert (response["X-Model-Name"], response["X-Model-Version"]) == ("iris", "1")
        assert response.json() == {"predictions": [0]}


@pytest.mark.parametrize("user", ["alice", "dora"])
def test_a_user_without_the_promoter_role_cannot_delete_a_pinned_model(user, request, pinned_iris):
    client = client_for(request.getfixturevalue(user))
    before = registry_state()

    response = client.delete(f"{MLFLOW}/registered-models/delete", {"name": "iris"}, format="json")

    assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert registry_state() == before


def test_a_user_who_may_delete_is_told_why_she_cannot_delete_a_pinned_model(dora, pinned_iris):
    response = client_for(dora).delete(f"{MLFLOW}/registered-models/delete", {"name": "iris"}, format="json")

    assert response.json()["message"] == (
        f"model 'iris' is served through {pinned_iris}: deleting it needs the promoter role"
    )


@pytest.mark.parametrize("user", ["alice", "dora"])
def test_a_user_without_the_promoter_role_cannot_delete_a_pinned_version(user, request, pinned_iris):
    before = registry_state()

    response = delete_version(client_for(request.getfixturevalue(user)), "iris", "1")

    assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert registry_state() == before


def test_a_user_who_may_delete_is_told_why_she_cannot_delete_a_pinned_version(dora, pinned_iris):
    response = delete_version(client_for(dora), "iris", "1")

    assert response.json()["message"] == (
        f"version 1 of model 'iris' is served through {pinned_iris}: deleting it needs the promoter role"
    )


def test_a_user_who_may_delete_still_deletes_a_version_that_nothing_pins(dora, as_alice, pinned_iris, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = delete_version(client_for(dora), "iris", "2")

    assert response.status_code == 200
    assert list(RegisteredModel.objects.get().versions.values_list("version", flat=True)) == [1]


def test_an_uploader_still_renames_a_model_that_nothing_pins(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = rename(as_alice, "iris", "iris-old")

    assert response.status_code == 200
    assert list(RegisteredModel.objects.values_list("name", flat=True)) == ["iris-old"]
    assert last_audit("action", "from_value", "to_value", "actor_name") == ("model_rename", "iris", "iris-old", "alice")


def test_a_promoter_renames_a_pinned_model_and_it_is_audited(as_carol, pinned_iris):
    response = rename(as_carol, "iris", "iris-old")

    assert response.status_code == 200
    assert response.json()["registered_model"]["name"] == "iris-old"
    assert list(RegisteredModel.objects.values_list("name", "versions__version")) == [("iris-old", 1)]
    assert last_audit("action", "from_value", "to_value", "actor_name") == ("model_rename", "iris", "iris-old", "carol")


def test_a_promoter_deletes_a_pinned_version_and_it_is_audited(as_carol, pinned_iris):
    response = delete_version(as_carol, "iris", "1")

    assert response.status_code == 200
    assert not RegisteredModel.objects.get().versions.exists()
    assert last_audit("action", "version", "actor_name") == ("version_delete", 1, "carol")


def test_an_uploader_cannot_move_a_version_out_of_production(as_alice, iris_in_production):
    before = registry_state()

    response = as_alice.post(
        f"{MLFLOW}/model-versions/transition-stage", {"name": "iris", "version": "1", "stage": "None"}, format="json"
    )

    assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert registry_state() == before


def test_an_uploader_cannot_delete_an_alias(as_alice, iris_with_alias):
    before = registry_state()

    response = as_alice.delete(
        f"{MLFLOW}/registered-models/alias", {"name": "iris", "alias": "champion"}, format="json"
    )

    assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert registry_state() == before
