"""Which runtime answers: `params.runtime` and SERVING_ONNX force the original, and rows
the original would refuse are never answered by ONNX."""

import pytest
from onnxkit import fitted, held_out, split_body
from servingkit import invoke, iris_logistic, message, predictions

from kit import joblib_bytes, upload

FAMILY = "random forest classifier"


@pytest.fixture
def served(onnx_on, as_alice):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))


def test_params_runtime_sklearn_forces_the_original(served, as_bob):
    rows = held_out(FAMILY)

    response = invoke(as_bob, "/model/m/invocations", split_body(rows, runtime="sklearn"))

    assert response["X-Model-Runtime"] == "sklearn"
    assert predictions(response) == fitted(FAMILY).predict(rows).tolist()


def test_probabilities_forced_to_the_original_are_its_exact_ones(served, as_bob):
    rows = held_out(FAMILY)

    got = predictions(
        invoke(as_bob, "/model/m/invocations", split_body(rows, method="predict_proba", runtime="sklearn"))
    )

    assert got == fitted(FAMILY).predict_proba(rows).tolist()


def test_an_unknown_runtime_is_a_400_naming_the_choices(served, as_bob):
    response = invoke(as_bob, "/model/m/invocations", split_body(held_out(FAMILY), runtime="tensorrt"))

    assert "params.runtime must be one of auto, sklearn" in message(response, 400)


def test_serving_onnx_off_serves_the_original(served, as_bob, settings):
    settings.SERVING_ONNX = False

    response = invoke(as_bob, "/model/m/invocations", split_body(held_out(FAMILY)))

    assert response["X-Model-Runtime"] == "sklearn"


def test_a_method_onnx_lacks_is_answered_by_the_original(onnx_on, as_alice, as_bob):
    upload(as_alice, "m", joblib_bytes(fitted("logistic regression")))
    rows = held_out("logistic regression")

    response = invoke(as_bob, "/model/m/invocations", split_body(rows, method="decision_function"))

    assert response["X-Model-Runtime"] == "sklearn"
    assert predictions(response) == fitted("logistic regression").decision_function(rows).tolist()


def test_a_null_the_original_refuses_is_still_a_400_naming_the_column(onnx_on, as_alice, as_bob):
    upload(as_alice, "m", joblib_bytes(iris_logistic()))
    body = {
        "dataframe_records": [
            {"sepal length (cm)": None, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}
        ]
    }

    assert "column 'sepal length (cm)' has missing values" in message(invoke(as_bob, "/model/m/invocations", body), 400)


def test_a_category_a_strict_encoder_refuses_is_still_a_400(onnx_on, as_alice, as_bob):
    from onnxkit import customers
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer([("n", StandardScaler(), ["age", "income"]), ("t", OneHotEncoder(), ["city", "plan"])])
    model = make_pipeline(columns, LogisticRegression(max_iter=1000)).fit(*customers())
    upload(as_alice, "m", joblib_bytes(model))
    known = customers()[0].iloc[:2]
    assert invoke(as_bob, "/model/m/invocations", split_body(known))["X-Model-Runtime"] == "onnx"

    unseen = known.assign(city="Atlantis")

    assert "Found unknown categories" in message(invoke(as_bob, "/model/m/invocations", split_body(unseen)), 400)
