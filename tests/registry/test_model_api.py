from django.core.management import call_command
from rest_framework.authtoken.models import Token

from registry.models import RegisteredModel

from kit import changes, upload


def _promote(client, name, version, stage):
    return client.post(f"/api/v1/models/{name}/versions/{version}/stage", {"stage": stage}, format="json")


def test_the_model_list_shows_latest_version_stage_holders_and_aliases(as_alice, as_carol, iris_joblib):
    for _ in range(3):
        upload(as_alice, "iris", iris_joblib)
    _promote(as_carol, "iris", 1, "Production")
    _promote(as_carol, "iris", 2, "Staging")
    _promote(as_carol, "iris", 3, "Archived")
    as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 1}, format="json")

    body = as_carol.get("/api/v1/models").json()

    assert body["count"] == 1
    [model] = body["results"]
    assert model["latest_version"]["version"] == 2  # 3 is archived
    assert model["stage_holders"] == {"Production": [1], "Staging": [2]}
    assert model["aliases"] == {"champion": 1}


def test_the_model_list_filters_by_search_tag_and_stage(as_alice, as_carol, iris_joblib):
    upload(as_alice, "iris-a", iris_joblib)
    upload(as_alice, "iris-b", iris_joblib)
    upload(as_alice, "wine", iris_joblib)
    as_alice.patch("/api/v1/models/wine", {"tags": {"team": "cellar"}}, format="json")
    _promote(as_carol, "iris-b", 1, "Production")

    def names(query):
        return [m["name"] for m in as_alice.get(f"/api/v1/models?{query}").json()["results"]]

    assert names("search=iris") == ["iris-a", "iris-b"]
    assert names("tag=team=cellar") == ["wine"]
    assert names("tag=team") == ["wine"]
    assert names("stage=production") == ["iris-b"]


def test_the_model_list_is_paginated(as_alice, iris_joblib):
    for index in range(3):
        as_alice.post("/api/v1/models", {"name": f"m{index}"}, format="json")

    body = as_alice.get("/api/v1/models?page_size=2").json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_editing_a_model_changes_its_description_and_tags(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = as_alice.patch(
        "/api/v1/models/iris", {"description": "Iris *species*", "tags": {"team": "bio"}}, format="json"
    )

    assert response.status_code == 200
    model = RegisteredModel.objects.get()
    assert (model.description, model.tags) == ("Iris *species*", {"team": "bio"})


def test_deleting_a_model_needs_the_promoter_role_and_is_audited(as_alice, as_carol, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    assert as_alice.delete("/api/v1/models/iris").status_code == 403
    response = as_carol.delete("/api/v1/models/iris?comment=retired")

    assert response.status_code == 204
    assert not RegisteredModel.objects.exists()
    entry = changes().get()
    assert (entry.action, entry.model_name, entry.comment, entry.actor_name) == (
        "model_delete",
        "iris",
        "retired",
        "carol",
    )
    assert as_carol.get("/api/v1/models/iris/audit").status_code == 404
    assert as_carol.get("/api/v1/models/iris").status_code == 404


def test_versions_are_listed_newest_first_and_filter_by_stage(as_alice, as_carol, iris_joblib):
    for _ in range(3):
        upload(as_alice, "iris", iris_joblib)
    _promote(as_carol, "iris", 2, "Staging")

    every = as_alice.get("/api/v1/models/iris/versions").json()["results"]
    staging = as_alice.get("/api/v1/models/iris/versions?stage=Staging").json()["results"]

    assert [v["version"] for v in every] == [3, 2, 1]
    assert [v["version"] for v in staging] == [2]


def test_an_unknown_model_or_version_is_404_naming_it(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    unknown_model = as_alice.get("/api/v1/models/nope/versions/1")
    unknown_version = as_alice.get("/api/v1/models/iris/versions/5")

    assert unknown_model.status_code == 404
    assert "name=nope" in unknown_model.json()["message"]
    assert unknown_version.status_code == 404
    assert "version=5" in unknown_version.json()["message"]


def test_drf_create_token_makes_a_token_that_the_api_accepts(alice, iris_joblib):
    from rest_framework.test import APIClient

    call_command("drf_create_token", "alice")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.get(user=alice).key}")

    assert upload(client, "iris", iris_joblib).status_code == 201


def test_the_openapi_schema_and_docs_page_are_served_without_a_cdn(client, db):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/models/{name}/versions" in schema.content
    assert docs.status_code == 200
    assert b"cdn." not in docs.content
    assert b"/static/drf_spectacular_sidecar/" in docs.content
