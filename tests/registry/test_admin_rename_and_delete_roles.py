"""In the admin, a model that clients reach through a stage or an alias is deleted only by
a promoter (superusers hold every permission, the promoter's included), through the same
service as the API, audited; nobody renames a model in the admin."""

import pytest
from django.contrib.auth.models import User

from registry.models import RegisteredModel

from kit import changes, last_audit, registry_state, upload


@pytest.fixture
def staff_dora(dora):
    """Dora with admin access: she may view, edit and delete models, but not promote."""
    dora.is_staff = True
    dora.save()
    return dora


def _iris_pk() -> int:
    return RegisteredModel.objects.get(name="iris").pk


def test_staff_who_may_delete_cannot_delete_a_pinned_model_without_the_promoter_role(client, staff_dora, pinned_iris):
    client.force_login(staff_dora)
    before = registry_state()

    page = client.get(f"/admin/registry/registeredmodel/{_iris_pk()}/delete/")
    posted = client.post(f"/admin/registry/registeredmodel/{_iris_pk()}/delete/", {"post": "yes"})

    assert (page.status_code, posted.status_code) == (403, 403)
    assert registry_state() == before


def test_staff_who_may_delete_cannot_bulk_delete_a_pinned_model_without_the_promoter_role(
    client, staff_dora, pinned_iris
):
    client.force_login(staff_dora)
    before = registry_state()

    response = client.post(
        "/admin/registry/registeredmodel/",
        {"action": "delete_selected", "_selected_action": [_iris_pk()], "post": "yes"},
    )

    assert response.status_code == 403
    assert registry_state() == before


def test_staff_who_may_delete_do_not_get_a_delete_link_on_a_pinned_model(client, staff_dora, pinned_iris):
    client.force_login(staff_dora)

    page = client.get(f"/admin/registry/registeredmodel/{_iris_pk()}/change/")

    assert page.status_code == 200
    assert b"/delete/" not in page.content


def test_staff_who_may_delete_still_delete_a_model_that_nothing_pins(client, staff_dora, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    client.force_login(staff_dora)

    response = client.post(f"/admin/registry/registeredmodel/{_iris_pk()}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not RegisteredModel.objects.exists()
    assert changes().get().actor_name == "dora"


def test_a_staff_promoter_deletes_a_pinned_model_and_it_is_audited(client, carol, pinned_iris):
    carol.is_staff = True
    carol.save()
    client.force_login(carol)

    response = client.post(f"/admin/registry/registeredmodel/{_iris_pk()}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not RegisteredModel.objects.exists()
    assert last_audit("action", "actor_name", "comment") == ("model_delete", "carol", "deleted in admin")


def test_a_superuser_deletes_a_pinned_model_and_it_is_audited(client, pinned_iris):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "root-password-1"))

    response = client.post(f"/admin/registry/registeredmodel/{_iris_pk()}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not RegisteredModel.objects.exists()
    assert last_audit("action", "actor_name") == ("model_delete", "root")


def test_the_change_form_cannot_rename_a_model(client, staff_dora, iris_in_production):
    client.force_login(staff_dora)
    before = registry_state()

    response = client.post(
        f"/admin/registry/registeredmodel/{_iris_pk()}/change/",
        {"name": "iris-old", "description": "renamed?", "tags": "{}"},
    )

    assert response.status_code == 302
    assert registry_state() == before
    assert RegisteredModel.objects.get().description == "renamed?"
