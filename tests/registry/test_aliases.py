from registry.models import Alias, AuditEntry

from kit import upload


def _two_versions(client, content):
    upload(client, "iris", content)
    upload(client, "iris", content)


def test_a_promoter_sets_an_alias_and_reads_the_version_through_it(as_alice, as_carol, iris_joblib):
    _two_versions(as_alice, iris_joblib)

    response = as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 2}, format="json")

    assert response.status_code == 200
    assert response.json()["aliases"] == ["champion"]
    assert as_carol.get("/api/v1/models/iris/aliases/champion").json()["version"] == 2


def test_moving_an_alias_points_it_at_the_new_version_and_is_audited(as_alice, as_carol, iris_joblib):
    _two_versions(as_alice, iris_joblib)
    as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 2}, format="json")

    as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 1, "comment": "rollback"}, format="json")

    assert Alias.objects.get().version.version == 1
    entry = AuditEntry.objects.filter(action="alias_set").first()
    assert (entry.from_value, entry.to_value, entry.comment, entry.actor_name) == (
        "champion@2",
        "champion@1",
        "rollback",
        "carol",
    )


def test_deleting_an_alias_removes_it_and_is_audited(as_alice, as_carol, iris_joblib):
    _two_versions(as_alice, iris_joblib)
    as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 2}, format="json")

    response = as_carol.delete("/api/v1/models/iris/aliases/champion")

    assert response.status_code == 204
    assert not Alias.objects.exists()
    assert AuditEntry.objects.filter(action="alias_delete", from_value="champion@2").exists()


def test_an_alias_that_would_read_as_a_version_or_stage_is_400(as_alice, as_carol, iris_joblib):
    _two_versions(as_alice, iris_joblib)

    for alias in ("3", "latest", "Production", "v2"):
        response = as_carol.put(f"/api/v1/models/iris/aliases/{alias}", {"version": 1}, format="json")
        assert response.status_code == 400, alias
        assert "reserved" in response.json()["message"]
    assert not Alias.objects.exists()


def test_an_uploader_cannot_set_an_alias(as_alice, iris_joblib):
    _two_versions(as_alice, iris_joblib)

    response = as_alice.put("/api/v1/models/iris/aliases/champion", {"version": 1}, format="json")

    assert response.status_code == 403
    assert not Alias.objects.exists()


def test_an_alias_to_an_unknown_version_is_404(as_alice, as_carol, iris_joblib):
    _two_versions(as_alice, iris_joblib)

    response = as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 7}, format="json")

    assert response.status_code == 404
