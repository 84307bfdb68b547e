"""Every MLflow scoring format, for every kind of model, predicts exactly what the
estimator predicts in-process on the same rows."""

import numpy as np
import pytest
from servingkit import customer_rows, customers_pipeline, invoke, iris_forest, iris_logistic, iris_rows, predictions
from sklearn.linear_model import LinearRegression, LogisticRegression

from kit import joblib_bytes, upload

MODELS = {
    "logistic regression": (iris_logistic, iris_rows),
    "random forest": (iris_forest, iris_rows),
    "pipeline with a column transformer": (customers_pipeline, customer_rows),
}
JSON_FORMATS = {
    "dataframe_split": lambda rows: {"dataframe_split": rows.to_dict(orient="split", index=False)},
    "dataframe_records": lambda rows: {"dataframe_records": rows.to_dict(orient="records")},
    "instances": lambda rows: {"instances": rows.to_dict(orient="records")},
    "inputs": lambda rows: {"inputs": rows.to_dict(orient="list")},
}


def call(client, fmt: str, rows, **params):
    """Invoke with the columns in reverse order: serving must put them back."""
    shuffled = rows[rows.columns[::-1]]
    if fmt == "csv":
        return invoke(client, "/model/m/invocations", csv=shuffled.to_csv(index=False))
    body = JSON_FORMATS[fmt](shuffled)
    if params:
        body["params"] = params
    return invoke(client, "/model/m/invocations", body)


@pytest.mark.parametrize("fmt", [*JSON_FORMATS, "csv"])
@pytest.mark.parametrize("model", MODELS)
def test_every_format_predicts_what_the_estimator_predicts(as_alice, as_bob, model, fmt):
    estimator, rows = MODELS[model][0](), MODELS[model][1]()
    upload(as_alice, "m", joblib_bytes(estimator))

    assert predictions(call(as_bob, fmt, rows)) == estimator.predict(rows).tolist()


@pytest.mark.parametrize("fmt", JSON_FORMATS)
@pytest.mark.parametrize("model", MODELS)
def test_predict_proba_returns_the_estimators_probabilities(as_alice, as_bob, model, fmt):
    estimator, rows = MODELS[model][0](), MODELS[model][1]()
    upload(as_alice, "m", joblib_bytes(estimator))

    got = predictions(call(as_bob, fmt, rows, method="predict_proba"))

    assert got == estimator.predict_proba(rows).tolist()


def test_rows_without_names_are_taken_in_the_signatures_order(as_alice, as_bob):
    upload(as_alice, "m", joblib_bytes(iris_logistic()))
    rows = iris_rows()

    for body in ({"instances": rows.values.tolist()}, {"inputs": rows.values.tolist()}):
        assert predictions(invoke(as_bob, "/model/m/invocations", body)) == iris_logistic().predict(rows).tolist()


def test_a_model_fit_on_a_plain_array_takes_rows_of_the_right_width(as_alice, as_bob):
    X = np.random.default_rng(1).normal(size=(60, 5))
    estimator = LogisticRegression().fit(X, X[:, 0] > 0)
    upload(as_alice, "m", joblib_bytes(estimator))

    response = invoke(as_bob, "/model/m/invocations", {"instances": X[:7].tolist()})

    assert predictions(response) == estimator.predict(X[:7]).tolist()


def test_text_class_labels_come_back_as_text(as_alice, as_bob):
    rows = iris_rows()
    names = np.array(["setosa", "versicolor", "virginica"])
    X, y = iris_rows(), names[iris_logistic().predict(iris_rows())]
    estimator = LogisticRegression(max_iter=500).fit(X, y)
    upload(as_alice, "m", joblib_bytes(estimator))

    got = predictions(invoke(as_bob, "/model/m/invocations", {"dataframe_records": rows.to_dict(orient="records")}))

    assert got == estimator.predict(rows).tolist()
    assert set(got) <= set(names)


def test_a_regressors_floats_come_back_exactly(as_alice, as_bob):
    X = np.random.default_rng(2).normal(size=(40, 3))
    estimator = LinearRegression().fit(X, X @ [1.5, -2.0, 0.25] + 1 / 3)
    upload(as_alice, "m", joblib_bytes(estimator))

    got = predictions(invoke(as_bob, "/model/m/invocations", {"inputs": X[:5].tolist()}))

    assert got == estimator.predict(X[:5]).tolist()
    assert all(type(value) is float for value in got)
