"""Permissions on one model, as MLflow's READ / EDIT / MANAGE: on top of the role groups,
a user or a group granted MANAGE on one model may promote that model and no other."""

import pytest
from django.contrib.auth.models import Group

from registry.models import Alias, AuditEntry, ModelVersion

from kit import client_for, upload, user_with_roles


@pytest.fixture
def two_models(as_alice, iris_joblib):
    for name in ("iris", "wine"):
        assert upload(as_alice, name, iris_joblib).status_code == 201


@pytest.fixture
def mona(db):
    """Mona has an account and no role: only what is granted to her on one model."""
    return user_with_roles("mona", token_only=True)


def grant(client, model: str, level: str, **holder):
    return client.put(f"/api/v1/models/{model}/permissions", {"level": level, **holder}, format="json")


def set_alias(client, model: str):
    return client.put(f"/api/v1/models/{model}/aliases/champion", {"version": 1}, format="json")


def test_a_user_granted_manage_on_one_model_may_promote_it_and_no_other(two_models, as_carol, mona):
    assert grant(as_carol, "iris", "MANAGE", user="mona").status_code == 200
    as_mona = client_for(mona)

    assert set_alias(as_mona, "iris").status_code == 200
    stage = as_mona.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")
    assert stage.status_code == 200
    assert set_alias(as_mona, "wine").status_code == 403
    assert list(Alias.objects.values_list("model__name", flat=True)) == ["iris"]


def test_a_group_granted_manage_lets_its_members_promote_that_model(two_models, as_carol, mona):
    team = Group.objects.create(name="iris-team")
    mona.groups.add(team)
    assert grant(as_carol, "iris", "MANAGE", group="iris-team").status_code == 200

    assert set_alias(client_for(mona), "iris").status_code == 200
    assert set_alias(client_for(mona), "wine").status_code == 403


def test_edit_lets_a_user_upload_to_that_model_but_not_promote_it(two_models, as_carol, mona, iris_joblib):
    grant(as_carol, "iris", "EDIT", user="mona")
    as_mona = client_for(mona)

    assert upload(as_mona, "iris", iris_joblib).status_code == 201
    assert upload(as_mona, "wine", iris_joblib).status_code == 403
    assert set_alias(as_mona, "iris").status_code == 403
    assert ModelVersion.objects.filter(model__name="iris").count() == 2


def test_read_lets_a_user_read_that_model_only(two_models, as_carol, mona):
    grant(as_carol, "iris", "READ", user="mona")
    as_mona = client_for(mona)

    assert as_mona.get("/api/v1/models/iris").status_code == 200
    assert as_mona.get("/api/v1/models/wine").status_code == 403
    assert set_alias(as_mona, "iris").status_code == 403


def test_revoking_a_grant_takes_the_permission_away(two_models, as_carol, mona):
    grant(as_carol, "iris", "MANAGE", user="mona")

    assert as_carol.delete("/api/v1/models/iris/permissions?user=mona").status_code == 204

    assert set_alias(client_for(mona), "iris").status_code == 403
    assert as_carol.get("/api/v1/models/iris/permissions").json()["permissions"] == []


def test_grants_are_listed_and_audited(two_models, as_carol, mona):
    grant(as_carol, "iris", "EDIT", user="mona")
    grant(as_carol, "iris", "MANAGE", user="mona")

    listed = as_carol.get("/api/v1/models/iris/permissions").json()["permissions"]

    assert listed == [{"user": "mona", "group": None, "level": "MANAGE"}]
    entries = AuditEntry.objects.filter(action="permission").order_by("id")
    assert [(e.from_value, e.to_value, e.actor_name) for e in entries] == [
        ("", "user mona:EDIT", "carol"),
        ("user mona:EDIT", "user mona:MANAGE", "carol"),
    ]


def test_a_manager_of_a_model_may_grant_on_it_but_a_reader_may_not(two_models, as_carol, as_bob, mona, bob):
    assert grant(as_bob, "iris", "MANAGE", user="bob").status_code == 403
    grant(as_carol, "iris", "MANAGE", user="mona")

    assert grant(client_for(mona), "iris", "READ", user="bob").status_code == 200
    assert grant(client_for(mona), "wine", "READ", user="bob").status_code == 403


def test_a_grant_names_one_known_user_or_group_and_a_known_level(two_models, as_carol):
    both = grant(as_carol, "iris", "READ", user="carol", group="viewers")
    unknown = grant(as_carol, "iris", "READ", user="nobody")
    level = grant(as_carol, "iris", "OWNER", user="carol")

    assert both.status_code == 400 and "either a user or a group" in both.content.decode()
    assert unknown.status_code == 404 and "nobody" in unknown.json()["message"]
    assert level.status_code == 400 and "level" in level.content.decode()


def test_the_version_page_offers_promotion_to_a_manager_of_that_model(two_models, as_carol, client):
    manager = user_with_roles("max")
    grant(as_carol, "iris", "MANAGE", user="max")
    client.force_login(manager)

    iris = client.get("/models/iris/versions/1/")
    wine = client.get("/models/wine/versions/1/")

    assert iris.status_code == 200 and b'name="alias"' in iris.content
    assert wine.status_code == 403


def test_the_admin_shows_a_models_grants(two_models, as_carol, client, admin_user):
    grant(as_carol, "iris", "MANAGE", group="viewers")
    client.force_login(admin_user)
    model_id = ModelVersion.objects.filter(model__name="iris").first().model_id

    page = client.get(f"/admin/registry/registeredmodel/{model_id}/change/")

    assert page.status_code == 200
    assert "MANAGE" in page.content.decode() and "viewers" in page.content.decode()
