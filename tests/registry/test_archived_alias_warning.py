"""An alias still pointing at an Archived version is flagged where aliases are shown:
clients asking for it keep getting that archived model."""

import pytest

from registry.models import Alias, ModelVersion, RegisteredModel

from kit import upload

FLAG = "⚠ Archived"


@pytest.fixture
def iris_with_champion(as_alice, iris_joblib):
    """iris v1 under @champion, v2 under @challenger."""
    upload(as_alice, "iris", iris_joblib)
    upload(as_alice, "iris", iris_joblib)
    model = RegisteredModel.objects.get(name="iris")
    Alias.objects.create(model=model, name="champion", version=model.versions.get(version=1))
    Alias.objects.create(model=model, name="challenger", version=model.versions.get(version=2))


def test_an_alias_on_an_archived_version_is_flagged_on_the_model_page(client, bob, iris_with_champion):
    ModelVersion.objects.filter(version=1).update(stage="Archived")
    client.force_login(bob)

    content = client.get("/models/iris/").content.decode()

    assert f"@champion → v1 <strong>{FLAG}</strong>" in content
    assert "@challenger → v2</span>" in content
    assert content.count(FLAG) == 2  # in the model's aliases and on v1's row


def test_an_alias_on_an_archived_version_is_flagged_on_the_version_page(client, bob, iris_with_champion):
    ModelVersion.objects.filter(version=1).update(stage="Archived")
    client.force_login(bob)

    content = client.get("/models/iris/versions/1/").content.decode()

    assert f"@champion <strong>{FLAG}</strong>" in content
    assert 'id="archived-alias"' in content
    assert "This version is Archived, yet" in content


def test_aliases_on_live_versions_carry_no_flag(client, bob, iris_with_champion):
    client.force_login(bob)

    model_page = client.get("/models/iris/").content.decode()
    version_page = client.get("/models/iris/versions/1/").content.decode()

    assert FLAG not in model_page and FLAG not in version_page
    assert 'id="archived-alias"' not in version_page
