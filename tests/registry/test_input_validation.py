import pytest

from registry.models import ModelVersion, RegisteredModel

from kit import upload


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a/b", "may contain only"),
        ("a..b", "'..'"),
        ("has space", "may contain only"),
        ("tab\there", "may contain only"),
        ("x" * 257, "at most 256"),
    ],
    ids=["slash", "dot-dot", "space", "control-char", "too-long"],
)
def test_creating_a_model_with_a_bad_name_is_400_saying_why(as_alice, name, problem):
    response = as_alice.post("/api/v1/models", {"name": name}, format="json")

    assert response.status_code == 400
    assert problem in response.json()["message"]
    assert not RegisteredModel.objects.exists()


@pytest.mark.parametrize("name", ["a..b", "has%20space", "x" * 257])
def test_uploading_under_a_bad_name_is_400(as_alice, iris_joblib, name):
    response = upload(as_alice, name, iris_joblib)

    assert response.status_code == 400
    assert "name" in response.json()["message"]
    assert not ModelVersion.objects.exists()


def test_creating_a_model_twice_is_409(as_alice):
    as_alice.post("/api/v1/models", {"name": "iris"}, format="json")

    response = as_alice.post("/api/v1/models", {"name": "iris"}, format="json")

    assert response.status_code == 409
    assert response.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"


@pytest.mark.parametrize("field", ["params", "metrics", "inputs", "tags"])
def test_malformed_json_in_a_form_field_is_400_naming_the_field(as_alice, iris_joblib, field):
    response = upload(as_alice, "iris", iris_joblib, **{field: "{not json"})

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")
    assert not ModelVersion.objects.exists()


def test_a_non_numeric_metric_is_400_naming_it(as_alice, iris_joblib):
    response = upload(as_alice, "iris", iris_joblib, metrics='{"accuracy": "high"}')

    assert response.status_code == 400
    assert "metrics.accuracy" in response.json()["message"]


def test_an_upload_without_a_file_is_400_naming_file(as_alice):
    response = as_alice.post("/api/v1/models/iris/versions", {"description": "x"}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["message"]


def test_an_upload_over_the_size_limit_is_413_and_stores_nothing(as_alice, iris_joblib, settings, artifact_store):
    from kit import stored_objects

    settings.REGISTRY_MAX_UPLOAD_BYTES = len(iris_joblib) - 1

    response = upload(as_alice, "iris", iris_joblib)

    assert response.status_code == 413
    assert str(len(iris_joblib) - 1) in response.json()["message"]
    assert not ModelVersion.objects.exists()
    assert stored_objects(artifact_store) == {}


def test_an_unknown_stage_is_400_listing_the_stages(as_alice, as_carol, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Prod"}, format="json")

    assert response.status_code == 400
    assert "Production" in response.json()["message"]


def test_an_unknown_api_route_is_a_json_404(as_alice):
    response = as_alice.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
