"""Inputs the model cannot take get a 4xx whose message names the column or field,
never a 500 and never a silent cast."""

import pytest
from servingkit import (
    NUMERIC_HOUSES,
    customers_pipeline,
    houses,
    houses_mlflow_zip,
    houses_regression,
    invoke,
    iris_logistic,
    message,
    predictions,
)

from kit import joblib_bytes, upload

IRIS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
ROW = [5.1, 3.5, 1.4, 0.2]
PATH = "/model/m/invocations"


@pytest.fixture
def iris_served(as_alice):
    upload(as_alice, "m", joblib_bytes(iris_logistic()))


@pytest.fixture
def houses_served(as_alice):
    upload(as_alice, "m", houses_mlflow_zip(), filename="model.zip")


@pytest.fixture(params=["as a DataFrame", "as an array"])
def integer_model_served(request, as_alice):
    """A model with an integer column, taking a DataFrame (it has a boolean column too)
    or a plain array (all its columns are numeric)."""
    columns = ("rooms", "area", "garden") if request.param == "as a DataFrame" else NUMERIC_HOUSES
    upload(as_alice, "m", houses_mlflow_zip(columns), filename="model.zip")
    return columns


@pytest.fixture
def customers_served(as_alice):
    upload(as_alice, "m", joblib_bytes(customers_pipeline()))


def split(columns, *rows):
    return {"dataframe_split": {"columns": columns, "data": list(rows)}}


def house(columns=("rooms", "area", "garden"), **changes) -> dict:
    return {
        name: value for name, value in {"rooms": 3, "area": 80.5, "garden": True}.items() if name in columns
    } | changes


# --- columns -------------------------------------------------------------------------------


def test_a_missing_column_is_400_naming_it(as_bob, iris_served):
    response = invoke(as_bob, PATH, split(IRIS[:3], ROW[:3]))

    assert "missing column 'petal width (cm)'" in message(response, 400)


def test_an_unknown_column_is_400_naming_it(as_bob, iris_served):
    response = invoke(as_bob, PATH, split([*IRIS, "colour"], [*ROW, 1.0]))

    assert "unknown column 'colour'" in message(response, 400)


def test_a_record_without_one_of_the_columns_is_400_naming_it(as_bob, houses_served):
    incomplete = {"rooms": 3, "area": 80.5}

    response = invoke(as_bob, PATH, {"dataframe_records": [house(), incomplete]})

    assert "dataframe_records[1] is missing column 'garden'" in message(response, 400)


def test_a_column_given_twice_is_400(as_bob, iris_served):
    response = invoke(as_bob, PATH, split([*IRIS, IRIS[0]], [*ROW, 5.0]))

    assert f"column {IRIS[0]!r} appears more than once" in message(response, 400)


# --- values ----------------------------------------------------------------------------------


def test_text_in_a_numeric_column_is_400_naming_the_column(as_bob, iris_served):
    response = invoke(as_bob, PATH, split(IRIS, ROW, ["wide", *ROW[1:]]))

    assert "column 'sepal length (cm)', row 1: 'wide' is not a number" in message(response, 400)


def test_text_in_a_numeric_csv_column_is_400_naming_the_column(as_bob, iris_served):
    body = ",".join(IRIS) + "\n5.1,3.5,1.4,0.2\n5.1,thin,1.4,0.2\n"

    response = invoke(as_bob, PATH, csv=body)

    assert "column 'sepal width (cm)', row 1: 'thin' is not a number" in message(response, 400)


def test_a_null_the_model_cannot_take_is_400_naming_the_column(as_bob, iris_served):
    response = invoke(as_bob, PATH, split(IRIS, [5.1, None, 1.4, 0.2]))

    assert "column 'sepal width (cm)' has missing values (null)" in message(response, 400)


def test_a_null_in_an_integer_column_is_400_naming_it(as_bob, integer_model_served):
    response = invoke(as_bob, PATH, {"dataframe_records": [house(integer_model_served, rooms=None)]})

    assert "column 'rooms', row 0: null is not allowed in an integer column" in message(response, 400)


def test_a_fraction_in_an_integer_column_is_refused_not_truncated(as_bob, integer_model_served):
    rows = [house(integer_model_served), house(integer_model_served, rooms=2.5)]

    response = invoke(as_bob, PATH, {"dataframe_records": rows})

    assert "column 'rooms', row 1: 2.5 is not a whole number" in message(response, 400)


def test_a_fraction_in_an_integer_csv_column_is_refused_not_truncated(as_bob, integer_model_served):
    body = "rooms,area,garden\n1.5,80.0,true\n" if "garden" in integer_model_served else "rooms,area\n1.5,80.0\n"

    response = invoke(as_bob, PATH, csv=body)

    assert "column 'rooms', row 0: " in message(response, 400)
    assert "1.5" in message(response, 400)
    assert "is not a whole number" in message(response, 400)


def test_whole_numbers_in_an_integer_column_are_scored_as_the_estimator_does(as_bob, integer_model_served):
    rows = houses(integer_model_served)[0].head(3)
    records = [record | {"rooms": float(record["rooms"])} for record in rows.to_dict(orient="records")]

    got = predictions(invoke(as_bob, PATH, {"dataframe_records": records}))  # 3.0 is a whole number

    assert got == houses_regression(integer_model_served).predict(rows).tolist()


def test_a_non_boolean_in_a_boolean_column_is_400_naming_it(as_bob, houses_served):
    response = invoke(as_bob, PATH, {"dataframe_records": [house(garden="yes")]})

    assert "column 'garden', row 0: 'yes' is not true or false" in message(response, 400)


def test_a_number_in_a_text_column_is_400_naming_it(as_bob, customers_served):
    body = {"dataframe_records": [{"age": 30.0, "city": 7, "income": 41_000.0, "plan": "pro"}]}

    assert "column 'city', row 0: 7 is not text" in message(invoke(as_bob, PATH, body), 400)


# --- shapes ----------------------------------------------------------------------------------


def test_a_ragged_row_is_400_naming_the_row(as_bob, iris_served):
    response = invoke(as_bob, PATH, split(IRIS, ROW, ROW[:3]))

    assert "ragged rows: row 1 has 3 values, expected 4" in message(response, 400)


def test_ragged_columns_are_400_naming_the_column(as_bob, iris_served):
    columns = {name: [value, value] for name, value in zip(IRIS, ROW, strict=True)}
    columns[IRIS[2]] = [1.4]

    response = invoke(as_bob, PATH, {"inputs": columns})

    assert f"inputs.{IRIS[2]} has 1 values" in message(response, 400)


def test_a_ragged_csv_line_is_400(as_bob, iris_served):
    body = ",".join(IRIS) + "\n5.1,3.5,1.4,0.2\n5.1,3.5\n"

    assert "row 1 has 2 values, expected 4" in message(invoke(as_bob, PATH, csv=body), 400)


@pytest.mark.parametrize(
    "body",
    [split(IRIS), {"dataframe_records": []}, {"instances": []}, {"inputs": {name: [] for name in IRIS}}],
    ids=["dataframe_split", "dataframe_records", "instances", "inputs"],
)
def test_an_empty_batch_is_400(as_bob, iris_served, body):
    assert "the batch is empty" in message(invoke(as_bob, PATH, body), 400)


def test_a_csv_with_only_a_header_is_an_empty_batch(as_bob, iris_served):
    assert "the batch is empty" in message(invoke(as_bob, PATH, csv=",".join(IRIS) + "\n"), 400)


# --- the envelope ------------------------------------------------------------------------------


def test_two_input_fields_are_400_naming_them(as_bob, iris_served):
    body = split(IRIS, ROW) | {"instances": [ROW]}

    assert "got dataframe_split, instances" in message(invoke(as_bob, PATH, body), 400)


def test_mlflow_1_bodies_without_an_input_field_are_400(as_bob, iris_served):
    body = {"columns": IRIS, "data": [ROW]}

    assert "exactly one of the input fields" in message(invoke(as_bob, PATH, body), 400)


def test_an_unknown_top_level_field_is_400_naming_it(as_bob, iris_served):
    assert "unknown field 'options'" in message(invoke(as_bob, PATH, split(IRIS, ROW) | {"options": {}}), 400)


def test_invalid_json_is_400_malformed(as_bob, iris_served):
    response = invoke(as_bob, PATH, b'{"instances": [[1, 2')

    assert "not valid JSON" in message(response, 400)
    assert response.json()["error_code"] == "MALFORMED_REQUEST"


def test_a_json_list_at_the_top_is_400(as_bob, iris_served):
    assert "must be a JSON object" in message(invoke(as_bob, PATH, b"[[5.1, 3.5, 1.4, 0.2]]"), 400)


def test_an_unknown_method_is_400_naming_the_field(as_bob, iris_served):
    response = invoke(as_bob, PATH, split(IRIS, ROW) | {"params": {"method": "explain"}})

    assert "params.method must be one of" in message(response, 400)


def test_an_unknown_parameter_is_400_naming_it(as_bob, iris_served):
    response = invoke(as_bob, PATH, split(IRIS, ROW) | {"params": {"methd": "predict_proba"}})

    assert "params.methd is not a known parameter" in message(response, 400)


def test_a_method_the_model_lacks_is_400_naming_it(as_bob, houses_served):
    body = {"dataframe_records": [house()], "params": {"method": "predict_proba"}}

    assert "'predict_proba' is not available for this model" in message(invoke(as_bob, PATH, body), 400)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]
)
def test_an_unsupported_content_type_is_415(as_bob, iris_served, content_type):
    response = invoke(as_bob, PATH, split(IRIS, ROW), content_type=content_type)

    assert "is not supported" in message(response, 415)
    assert response.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_body_over_the_limit_is_413(as_bob, iris_served, settings):
    settings.SERVING_MAX_BODY_BYTES = 1000

    response = invoke(as_bob, PATH, split(IRIS, *[ROW] * 100))

    assert "SERVING_MAX_BODY_BYTES" in message(response, 413)


def test_get_is_405(as_bob, iris_served):
    response = as_bob.get(PATH)

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_a_unicode_digit_in_an_integer_csv_column_is_400(as_bob, integer_model_served):
    header = ",".join(integer_model_served)
    cells = {"rooms": "\u00b2", "area": "80.0", "garden": "true"}

    response = invoke(as_bob, PATH, csv=f"{header}\n{','.join(cells[c] for c in integer_model_served)}\n")

    assert "column 'rooms', row 0: '\u00b2' is not a number" in message(response, 400)


def test_rows_of_the_wrong_width_are_400_saying_how_many_values_a_row_needs(as_bob, iris_served):
    response = invoke(as_bob, PATH, {"instances": [5.1, 3.5]})  # one value per row: a one-column model

    assert "each row must have 4 values, one per column; got 1" in message(response, 400)
