from django.contrib.auth.models import Permission, User

from registry.models import Alias, ModelVersion

from kit import changes, upload


def _staff_promoter(carol):
    carol.is_staff = True
    carol.save()
    return carol


def _admin_action(client, action, versions, **form):
    payload = {"action": action, "_selected_action": [v.pk for v in versions], "apply": "Confirm", **form}
    return client.post("/admin/registry/modelversion/", payload)


def test_the_promote_action_asks_for_a_comment_before_changing_anything(client, carol, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    client.force_login(_staff_promoter(carol))
    version = ModelVersion.objects.get()

    response = client.post(
        "/admin/registry/modelversion/", {"action": "promote_to_production", "_selected_action": [version.pk]}
    )

    assert response.status_code == 200
    assert b"Move to Production" in response.content
    assert b'name="comment"' in response.content
    assert b'href="/admin/registry/modelversion/" class="button cancel-link"' in response.content
    assert ModelVersion.objects.get().stage == "None"


def test_a_promoter_promotes_to_production_in_the_admin_with_an_audited_comment(client, carol, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    upload(as_alice, "iris", iris_joblib)
    client.force_login(_staff_promoter(carol))
    v1, v2 = ModelVersion.objects.order_by("version")
    _admin_action(client, "promote_to_production", [v1], comment="first release")

    response = _admin_action(client, "promote_to_production", [v2], comment="retrained", archive_existing="on")

    assert response.status_code == 302
    assert dict(ModelVersion.objects.values_list("version", "stage")) == {1: "Archived", 2: "Production"}
    entry = changes().filter(version=2).get()
    assert (entry.actor_name, entry.from_value, entry.to_value, entry.comment) == (
        "carol",
        "None",
        "Production",
        "retrained",
    )


def test_the_set_alias_action_points_the_alias_at_the_selected_version(client, carol, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    client.force_login(_staff_promoter(carol))

    _admin_action(client, "set_alias", list(ModelVersion.objects.all()), alias="champion", comment="best so far")

    assert Alias.objects.get().name == "champion"
    assert changes().get().to_value == "champion@1"


def test_staff_without_the_promote_role_do_not_get_the_promotion_actions(client, as_alice, iris_joblib, db):
    upload(as_alice, "iris", iris_joblib)
    staff = User.objects.create_user("sam", password="sam-password-1", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_modelversion"))
    client.force_login(staff)
    version = ModelVersion.objects.get()

    page = client.get("/admin/registry/modelversion/")
    _admin_action(client, "promote_to_production", [version], comment="sneaky")

    assert page.status_code == 200
    assert b"promote_to_production" not in page.content
    assert ModelVersion.objects.get().stage == "None"
    assert not changes().exists()
