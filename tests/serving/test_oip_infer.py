"""OIP infer requests, as one [rows, columns] tensor or one input per column, predict what
invocations predict on the same rows, and predict_proba when it is asked for."""

import numpy as np
from servingkit import (
    customer_rows,
    customers_pipeline,
    invoke,
    iris_logistic,
    iris_rows,
    oip_columns,
    oip_outputs,
    oip_tensor,
    predictions,
)
from sklearn.base import clone

from kit import joblib_bytes, upload


def test_one_tensor_in_the_signatures_order_predicts_what_invocations_predict(as_alice, as_bob):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))
    rows = iris_rows()

    response = invoke(as_bob, "/v2/models/iris/infer", {"inputs": [oip_tensor(rows)]})

    expected = predictions(invoke(as_bob, "/model/iris/invocations", {"instances": rows.values.tolist()}))
    assert oip_outputs(response)["predict"] == {
        "name": "predict",
        "datatype": "INT64",
        "shape": [len(rows)],
        "data": expected,
    }
    assert response.json()["model_name"] == "iris"
    assert response.json()["model_version"] == "1"
    assert (response["X-Model-Name"], response["X-Model-Version"], response["X-Model-Runtime"]) == (
        "iris",
        "1",
        "sklearn",
    )


def test_nested_data_is_taken_as_rows(as_alice, as_bob):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))
    rows = iris_rows()
    tensor = {"name": "x", "shape": list(rows.shape), "datatype": "FP32", "data": rows.values.tolist()}

    response = invoke(as_bob, "/v2/models/iris/infer", {"inputs": [tensor]})

    assert oip_outputs(response)["predict"]["data"] == iris_logistic().predict(rows).tolist()


def test_one_input_per_column_in_any_order_predicts_what_the_estimator_predicts(as_alice, as_bob):
    upload(as_alice, "churn", joblib_bytes(customers_pipeline()))
    rows = customer_rows()
    shuffled = rows[rows.columns[::-1]]

    body = {"inputs": oip_columns(shuffled, {"city": "BYTES", "plan": "BYTES"})}
    response = invoke(as_bob, "/v2/models/churn/infer", body)

    assert oip_outputs(response)["predict"]["data"] == customers_pipeline().predict(rows).tolist()


def test_predict_proba_comes_back_when_requested(as_alice, as_bob):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))
    rows = iris_rows()
    body = {"id": "r-1", "inputs": [oip_tensor(rows)], "outputs": [{"name": "predict"}, {"name": "predict_proba"}]}

    response = invoke(as_bob, "/v2/models/iris/versions/1/infer", body)

    outputs = oip_outputs(response)
    expected = iris_logistic().predict_proba(rows)
    assert outputs["predict_proba"]["shape"] == list(expected.shape)
    assert outputs["predict_proba"]["datatype"] == "FP64"
    assert np.array(outputs["predict_proba"]["data"]).reshape(expected.shape).tolist() == expected.tolist()
    assert outputs["predict"]["data"] == iris_logistic().predict(rows).tolist()
    assert response.json()["id"] == "r-1"


def test_text_labels_come_back_as_bytes(as_alice, as_bob):
    rows = customer_rows()
    estimator = clone(customers_pipeline()).fit(rows, ["no", "yes"] * 4)
    upload(as_alice, "churn", joblib_bytes(estimator))

    response = invoke(
        as_bob, "/v2/models/churn/infer", {"inputs": oip_columns(rows, {"city": "BYTES", "plan": "BYTES"})}
    )

    assert oip_outputs(response)["predict"]["datatype"] == "BYTES"
    assert oip_outputs(response)["predict"]["data"] == estimator.predict(rows).tolist()
