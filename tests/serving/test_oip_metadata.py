"""OIP server and model metadata, liveness and readiness: inputs from the signature,
readiness by version, stage and alias, and the same credentials as invocations."""

import numpy as np
from servingkit import customers_pipeline, houses_mlflow_zip, invoke, iris_logistic, oip_error, oip_outputs
from sklearn.linear_model import LinearRegression

from kit import joblib_bytes, upload


def test_the_server_says_its_name_and_the_binary_extension(anonymous):
    response = anonymous.get("/v2")

    assert response.status_code == 200
    assert response.json() == {"name": "model-registry", "version": "1", "extensions": ["binary_tensor_data"]}


def test_the_server_is_live_and_ready(anonymous, db):
    assert anonymous.get("/v2/health/live").json() == {"live": True}
    assert anonymous.get("/v2/health/ready").json() == {"ready": True}


def test_the_server_is_not_ready_when_the_artifact_store_is_unusable(anonymous, db, settings, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    store = {"BACKEND": "registry.storage.AtomicFileSystemStorage", "OPTIONS": {"location": str(tmp_path / "a-file")}}
    settings.STORAGES = {**settings.STORAGES, "artifacts": store}

    response = anonymous.get("/v2/health/ready")

    assert oip_error(response, 503) == "not ready: the artifact store is unusable"
    assert response["Retry-After"]
    assert anonymous.get("/v2/health/live").status_code == 200


def test_the_model_metadata_lists_one_input_per_column_from_the_signature(as_alice, as_bob):
    upload(as_alice, "churn", joblib_bytes(customers_pipeline()))
    upload(as_alice, "churn", joblib_bytes(customers_pipeline()))

    response = as_bob.get("/v2/models/churn/versions/1")

    assert response.status_code == 200
    assert response.json() == {
        "name": "churn",
        "versions": ["1", "2"],
        "platform": "scikit-learn",
        "inputs": [
            {"name": "age", "datatype": "FP64", "shape": [-1, 1]},
            {"name": "city", "datatype": "BYTES", "shape": [-1, 1]},
            {"name": "income", "datatype": "FP64", "shape": [-1, 1]},
            {"name": "plan", "datatype": "BYTES", "shape": [-1, 1]},
        ],
        "outputs": [
            {"name": "predict", "datatype": "INT64", "shape": [-1]},
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 2]},
        ],
        "parameters": {"content_type": "pd", "tensor_input": {"name": "input", "datatype": "BYTES", "shape": [-1, 4]}},
    }
    assert response["X-Model-Version"] == "1"


def test_integer_and_boolean_columns_have_their_own_datatypes(as_alice, as_bob):
    upload(as_alice, "houses", houses_mlflow_zip(), filename="model.zip")

    inputs = as_bob.get("/v2/models/houses").json()["inputs"]

    assert [(i["name"], i["datatype"]) for i in inputs] == [("rooms", "INT64"), ("area", "FP64"), ("garden", "BOOL")]


def test_a_version_is_ready_by_number_stage_and_alias(as_alice, as_carol, as_bob):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))
    as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Staging"})
    as_carol.put("/api/v1/models/iris/aliases/challenger", {"version": 1})

    for ref in ("1", "latest", "Staging", "staging", "challenger"):
        response = as_bob.get(f"/v2/models/iris/versions/{ref}/ready")
        assert response.status_code == 200, ref
        assert response.json() == {"name": "iris", "ready": True}
    assert as_bob.get("/v2/models/iris/ready").status_code == 200


def test_a_stage_nobody_holds_is_not_ready(as_alice, as_bob):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))

    response = as_bob.get("/v2/models/iris/versions/Production/ready")

    assert oip_error(response, 404) == "model iris has no version in stage Production"


def test_metadata_needs_the_same_credentials_as_invocations(as_alice, anonymous):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))

    assert "credentials are required" in oip_error(anonymous.get("/v2/models/iris"), 401)


def test_an_unknown_route_under_v2_is_a_json_404(anonymous):
    response = anonymous.get("/v2/nothing")

    assert oip_error(response, 404) == "No endpoint at /v2/nothing"


def test_a_model_fit_on_a_plain_array_takes_one_tensor_of_its_width(as_alice, as_bob):
    X = np.random.default_rng(1).normal(size=(60, 5))
    estimator = LinearRegression().fit(X, X[:, 0] * 2)
    upload(as_alice, "plain", joblib_bytes(estimator))

    metadata = as_bob.get("/v2/models/plain").json()
    tensor = {"name": "input", "shape": [3, 5], "datatype": "FP64", "data": X[:3].tolist()}
    response = invoke(as_bob, "/v2/models/plain/infer", {"inputs": [tensor]})

    assert metadata["inputs"] == [{"name": "input", "datatype": "FP64", "shape": [-1, 5]}]
    assert metadata["outputs"] == [{"name": "predict", "datatype": "FP64", "shape": [-1]}]
    assert oip_outputs(response)["predict"]["data"] == estimator.predict(X[:3]).tolist()
