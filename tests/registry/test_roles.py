import base64

from rest_framework.test import APIClient

from registry.models import ModelVersion

from kit import changes, client_for, upload


def test_an_anonymous_upload_is_401(anonymous, iris_joblib, db):
    response = upload(anonymous, "iris", iris_joblib)

    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert not ModelVersion.objects.exists()


def test_a_viewer_uploading_is_403(as_bob, iris_joblib):
    response = upload(as_bob, "iris", iris_joblib)

    assert response.status_code == 403
    assert response.json()["error_code"] == "PERMISSION_DENIED"
    assert not ModelVersion.objects.exists()


def test_a_user_without_a_role_cannot_read(charlie, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = client_for(charlie).get("/api/v1/models/iris")

    assert response.status_code == 403


def test_an_uploader_promoting_is_403_and_nothing_changes(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = as_alice.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")

    assert response.status_code == 403
    assert ModelVersion.objects.get().stage == "None"
    assert not changes().exists()


def test_a_promoter_archiving_existing_moves_the_old_production_version_to_archived(as_alice, as_carol, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    upload(as_alice, "iris", iris_joblib)
    as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")

    response = as_carol.post(
        "/api/v1/models/iris/versions/2/stage",
        {"stage": "production", "archive_existing": True, "comment": "better recall"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "Production"
    assert dict(ModelVersion.objects.values_list("version", "stage")) == {1: "Archived", 2: "Production"}
    audit = as_carol.get("/api/v1/models/iris/audit").json()["results"]
    changes = [(e["version"], e["from_value"], e["to_value"], e["actor"]) for e in audit]
    assert (2, "None", "Production", "carol") in changes
    assert (1, "Production", "Archived", "carol") in changes
    assert any(e["comment"] == "better recall" for e in audit)


def test_token_and_bearer_keywords_and_basic_auth_all_authenticate(alice, iris_joblib):
    basic = APIClient()
    basic.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"alice:alice-password-1").decode())

    for client in (client_for(alice, "Token"), client_for(alice, "Bearer"), basic):
        assert upload(client, "iris", iris_joblib).status_code == 201

    assert ModelVersion.objects.count() == 3


def test_a_wrong_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")

    assert client.get("/api/v1/models").status_code == 401


def test_public_read_lets_anonymous_clients_read_but_not_write(settings, anonymous, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    settings.REGISTRY_PUBLIC_READ = True

    assert anonymous.get("/api/v1/models/iris").status_code == 200
    assert upload(anonymous, "iris", iris_joblib).status_code == 401
