"""Deleting a model that clients reach through a stage or an alias needs the promoter role
through the native API, even for a user who may otherwise delete; the native API has no
rename. The MLflow endpoints and the admin have their own files."""

from registry.models import RegisteredModel

from kit import changes, client_for, last_audit, registry_state, upload


def test_an_uploader_cannot_delete_a_pinned_model(as_alice, pinned_iris):
    before = registry_state()

    response = as_alice.delete("/api/v1/models/iris")

    assert (response.status_code, response.json()["error_code"]) == (403, "PERMISSION_DENIED")
    assert registry_state() == before


def test_a_user_who_may_delete_cannot_delete_a_pinned_model_without_the_promoter_role(dora, pinned_iris):
    before = registry_state()

    response = client_for(dora).delete("/api/v1/models/iris")

    assert response.status_code == 403
    assert response.json() == {
        "error_code": "PERMISSION_DENIED",
        "message": f"model 'iris' is served through {pinned_iris}: deleting it needs the promoter role",
    }
    assert registry_state() == before


def test_an_archived_version_pins_its_model_too(dora, as_carol, iris_in_production):
    # /model/iris/Archived/invocations still answers with it.
    as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Archived"}, format="json")

    response = client_for(dora).delete("/api/v1/models/iris")

    assert response.status_code == 403
    assert "stage Archived" in response.json()["message"]
    assert RegisteredModel.objects.filter(name="iris").exists()


def test_a_user_who_may_delete_still_deletes_a_model_that_nothing_pins(dora, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = client_for(dora).delete("/api/v1/models/iris")

    assert response.status_code == 204
    assert not RegisteredModel.objects.exists()
    assert changes().get().actor_name == "dora"


def test_a_promoter_deletes_a_pinned_model_and_it_is_audited(as_carol, pinned_iris):
    response = as_carol.delete("/api/v1/models/iris?comment=retired")

    assert response.status_code == 204
    assert not RegisteredModel.objects.exists()
    assert last_audit("action", "model_name", "actor_name", "comment") == ("model_delete", "iris", "carol", "retired")


def test_patching_a_model_cannot_rename_it(as_alice, iris_in_production):
    before = registry_state()

    as_alice.patch("/api/v1/models/iris", {"name": "iris-old"}, format="json")

    assert registry_state() == before


def test_an_uploader_cannot_remove_an_alias_in_the_web_ui(client, alice, iris_with_alias):
    client.force_login(alice)
    before = registry_state()

    response = client.post("/models/iris/aliases/champion/delete/", {"confirm": "1"})

    assert response.status_code == 403
    assert registry_state() == before
