"""Uploads are in the audit log beside promotions: who registered which version, when."""

import hashlib

from django.contrib.auth.models import User
from django.core.management import call_command

from kit import upload


def test_an_upload_through_the_api_is_in_the_models_audit_log(as_alice, as_bob, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    entries = as_bob.get("/api/v1/models/iris/audit").json()["results"]

    assert len(entries) == 1
    entry = entries[0]
    assert (entry["action"], entry["model_name"], entry["version"], entry["actor"]) == (
        "version_create",
        "iris",
        1,
        "alice",
    )
    assert entry["to_value"] == f"sha256:{hashlib.sha256(iris_joblib).hexdigest()}"
    assert entry["created_at"]


def test_the_register_version_command_is_audited_as_the_system(as_bob, iris_joblib, tmp_path):
    path = tmp_path / "model.joblib"
    path.write_bytes(iris_joblib)

    call_command("register_version", "iris", str(path))

    entry = as_bob.get("/api/v1/models/iris/audit").json()["results"][0]
    assert (entry["action"], entry["version"], entry["actor"]) == ("version_create", 1, "system")


def test_a_refused_upload_leaves_no_audit_entry(as_alice, as_bob, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    refused = upload(as_alice, "iris", b"not a model at all")

    assert refused.status_code == 422
    versions = [e["version"] for e in as_bob.get("/api/v1/models/iris/audit").json()["results"]]
    assert versions == [1]


def test_the_audit_page_and_the_version_history_show_who_registered_a_version(client, bob, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    client.force_login(bob)

    audit_page = client.get("/audit/?action=version_create").content.decode()
    version_page = client.get("/models/iris/versions/1/").content.decode()

    assert "Version registered" in audit_page and "alice" in audit_page
    assert "Version registered" in version_page


def test_the_admin_lists_uploads_in_the_audit_log(client, as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "root-password-1"))

    page = client.get("/admin/registry/auditentry/?action__exact=version_create")

    assert page.status_code == 200
    assert b"Version registered" in page.content and b"alice" in page.content
