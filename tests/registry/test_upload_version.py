import hashlib
import json

from registry.models import ModelVersion, RegisteredModel

from kit import stored_objects, temporary_files, upload

TRAINING = {
    "params": json.dumps({"C": 1.0, "max_iter": 500}),
    "metrics": json.dumps({"accuracy": 0.97, "f1": 0.96}),
    "inputs": json.dumps(["s3://datasets/iris/train.csv", {"namespace": "sklearn", "name": "iris"}]),
    "description": "first try",
    "run_id": "run-123",
}


def test_uploading_a_joblib_model_creates_version_1_with_its_training_record(as_alice, iris_joblib):
    response = upload(as_alice, "iris", iris_joblib, **TRAINING)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "iris"
    assert body["version"] == 1
    assert body["stage"] == "None"
    assert body["params"] == {"C": 1.0, "max_iter": 500}
    assert body["metrics"] == {"accuracy": 0.97, "f1": 0.96}
    assert body["inputs"] == [
        {"namespace": "s3://datasets", "name": "iris/train.csv"},
        {"namespace": "sklearn", "name": "iris"},
    ]
    assert body["run_id"] == "run-123"
    assert body["created_by"] == "alice"


def test_a_second_upload_to_the_same_model_becomes_version_2(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    response = upload(as_alice, "iris", iris_joblib)

    assert response.status_code == 201
    assert response.json()["version"] == 2
    assert list(ModelVersion.objects.order_by("version").values_list("version", flat=True)) == [1, 2]


def test_an_upload_records_hash_format_estimator_signature_and_environment(as_alice, iris_joblib):
    body = upload(as_alice, "iris", iris_joblib).json()

    assert body["artifact"]["sha256"] == hashlib.sha256(iris_joblib).hexdigest()
    assert body["artifact"]["size"] == len(iris_joblib)
    assert body["artifact"]["format"] == "joblib"
    assert body["flavor"] == "sklearn"
    assert body["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    names = [column["name"] for column in body["signature"]["inputs"]]
    assert names == ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
    assert body["environment"]["scikit-learn"]
    assert body["environment"]["joblib"]


def test_identical_bytes_are_stored_once_under_their_sha256(as_alice, iris_joblib, artifact_store):
    upload(as_alice, "iris", iris_joblib)
    upload(as_alice, "iris-copy", iris_joblib)

    objects = stored_objects(artifact_store)
    digest = hashlib.sha256(iris_joblib).hexdigest()
    assert len(objects) == 1
    [(key, content)] = objects.items()
    assert key.endswith(digest)
    assert content == iris_joblib


def test_uploading_to_a_new_name_creates_the_registered_model(as_alice, iris_joblib):
    upload(as_alice, "brand-new.model_1", iris_joblib)

    model = RegisteredModel.objects.get(name="brand-new.model_1")
    assert model.created_by.username == "alice"
    assert model.versions.count() == 1


def test_an_upload_leaves_no_temporary_file_behind(as_alice, iris_joblib):
    upload(as_alice, "iris", iris_joblib)

    assert temporary_files() == []
