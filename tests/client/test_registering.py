"""HttpRegistry against a live server: a model registered from memory becomes a version,
found again by its number, a stage, an alias or as the latest."""

import pytest
from clientkit import LIVE

from registry_client.http import HttpRegistry, RegistryClientError

pytestmark = pytest.mark.django_db(**LIVE)


def test_registering_a_model_answers_its_version_with_params_and_metrics(registry, iris_model):
    version = registry.register(iris_model, "iris", params={"C": 1.0}, metrics={"accuracy": 0.97})

    record = registry.version("iris", version)
    assert version == 1
    assert (record["params"], record["metrics"]) == ({"C": 1.0}, {"accuracy": 0.97})
    assert record["artifact"]["format"] == "skops"  # skops is installed here: the audited format


def test_a_version_is_found_by_number_stage_alias_and_latest(registry, iris_model):
    for _ in range(3):
        registry.register(iris_model, "iris")
    registry.promote("iris", 2, stage="Production")
    registry.promote("iris", 1, alias="champion")

    found = {ref: registry.version("iris", ref)["version"] for ref in (3, "Production", "champion", "latest", None)}

    assert found == {3: 3, "Production": 2, "champion": 1, "latest": 3, None: 3}


def test_an_unknown_reference_is_a_404_naming_it(registry, iris_model):
    registry.register(iris_model, "iris")

    with pytest.raises(RegistryClientError) as raised:
        registry.version("iris", "challenger")

    assert raised.value.status == 404
    assert "challenger" in str(raised.value)


def test_a_bad_token_is_refused_with_the_servers_message(url, iris_model):
    with pytest.raises(RegistryClientError) as raised:
        HttpRegistry(url, "not-a-token").register(iris_model, "iris")

    assert raised.value.status == 401
    assert str(raised.value).endswith("(HTTP 401)")


def test_pull_writes_the_artifact_bytes_the_registry_recorded(registry, iris_joblib, tmp_path):
    source = tmp_path / "model.joblib"
    source.write_bytes(iris_joblib)
    registry.push(str(source), "iris", format="joblib")

    record = registry.pull("iris", "latest", str(tmp_path / "pulled"))

    assert (tmp_path / "pulled").read_bytes() == iris_joblib
    assert record["version"] == 1


def test_pull_follows_the_redirect_to_a_presigned_s3_url(registry, s3_store, settings, iris_joblib, tmp_path):
    settings.ARTIFACTS_REDIRECT_DOWNLOADS = True
    (tmp_path / "model.joblib").write_bytes(iris_joblib)
    registry.push(str(tmp_path / "model.joblib"), "iris", format="joblib")

    registry.pull("iris", 1, str(tmp_path / "pulled"))

    assert (tmp_path / "pulled").read_bytes() == iris_joblib
    answer = registry.connection.send("GET", "/api/v1/models/iris/versions/1/artifact", allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(s3_store["endpoint"])
