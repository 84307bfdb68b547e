"""Bad OIP requests get the status invocations would give, with {"error": "..."} naming
the tensor, column or datatype at fault; never a 500."""

import orjson
import pytest
from servingkit import (
    customer_rows,
    customers_pipeline,
    invoke,
    iris_logistic,
    iris_rows,
    oip_columns,
    oip_error,
    oip_tensor,
)

from kit import joblib_bytes, upload


@pytest.fixture
def iris(as_alice):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))


def infer(client, body, path: str = "/v2/models/iris/infer"):
    return invoke(client, path, body)


def test_a_tensor_of_the_wrong_width_is_a_400_naming_its_shape(iris, as_bob):
    tensor = {"name": "input", "shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6]}

    message = oip_error(infer(as_bob, {"inputs": [tensor]}), 400)

    assert message == "input 'input': shape [2, 3] has 3 columns; the model takes 4"


def test_data_that_does_not_fill_the_shape_is_a_400(iris, as_bob):
    tensor = {"name": "input", "shape": [2, 4], "datatype": "FP64", "data": [1, 2, 3]}

    message = oip_error(infer(as_bob, {"inputs": [tensor]}), 400)

    assert message == "input 'input': shape [2, 4] holds 8 values, but 3 were sent"


def test_an_unknown_input_name_is_a_400_listing_the_columns(iris, as_bob):
    inputs = oip_columns(iris_rows())
    inputs[0]["name"] = "petal colour"

    message = oip_error(infer(as_bob, {"inputs": inputs}), 400)

    assert message.startswith("unknown input 'petal colour': send one input per column (sepal length (cm), ")


def test_a_missing_column_is_a_400_naming_it(iris, as_bob):
    inputs = oip_columns(iris_rows())[1:]

    message = oip_error(infer(as_bob, {"inputs": inputs}), 400)

    assert message.startswith("missing column 'sepal length (cm)'")


def test_a_datatype_that_does_not_fit_the_column_is_a_400(as_alice, as_bob):
    upload(as_alice, "churn", joblib_bytes(customers_pipeline()))
    rows = customer_rows().assign(city=1.0)  # numbers where the model takes text
    inputs = oip_columns(rows, {"city": "FP64", "plan": "BYTES"})

    message = oip_error(infer(as_bob, {"inputs": inputs}, "/v2/models/churn/infer"), 400)

    assert message == "input 'city': datatype FP64 does not fit column 'city', which takes BYTES"


def test_an_unknown_datatype_is_a_400_naming_the_known_ones(iris, as_bob):
    tensor = {**oip_tensor(iris_rows()), "datatype": "DOUBLE"}

    message = oip_error(infer(as_bob, {"inputs": [tensor]}), 400)

    assert message.startswith("input 'input': datatype 'DOUBLE' is not one of BOOL, UINT8,")


def test_values_that_are_not_of_the_datatype_are_a_400(iris, as_bob):
    tensor = {"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [1.0, "2", 3.0, 4.0]}

    message = oip_error(infer(as_bob, {"inputs": [tensor]}), 400)

    assert message == "input 'input': value '2' at position 1 is not FP64"


def test_an_unknown_output_is_a_400(iris, as_bob):
    body = {"inputs": [oip_tensor(iris_rows())], "outputs": [{"name": "explain"}]}

    message = oip_error(infer(as_bob, body), 400)

    assert message == "unknown output 'explain': the outputs are predict, predict_proba"


def test_predict_proba_of_a_regressor_is_a_400(as_alice, as_bob):
    from sklearn.linear_model import LinearRegression

    rows = iris_rows()
    upload(as_alice, "reg", joblib_bytes(LinearRegression().fit(rows, rows.iloc[:, 0])))
    body = {"inputs": [oip_tensor(rows)], "outputs": [{"name": "predict_proba"}]}

    message = oip_error(infer(as_bob, body, "/v2/models/reg/infer"), 400)

    assert message == "params.method 'predict_proba' is not available for this model; it has predict"


def test_a_body_that_is_not_json_is_a_400(iris, as_bob):
    message = oip_error(infer(as_bob, b"{inputs"), 400)

    assert "JSON" in message


def test_an_unknown_model_or_version_is_a_404(iris, as_bob):
    body = {"inputs": [oip_tensor(iris_rows())]}

    assert "nope" in oip_error(infer(as_bob, body, "/v2/models/nope/infer"), 404)
    assert oip_error(infer(as_bob, body, "/v2/models/iris/versions/7/infer"), 404) == "model iris has no version 7"


def test_no_credentials_is_a_401_and_a_user_without_read_is_a_403(iris, anonymous, charlie):
    from kit import client_for

    body = {"inputs": [oip_tensor(iris_rows())]}

    response = infer(anonymous, body)
    assert "credentials are required" in oip_error(response, 401)
    assert response["WWW-Authenticate"]
    assert "may not read models" in oip_error(infer(client_for(charlie), body), 403)


def test_a_body_over_the_limit_is_a_413(iris, as_bob, settings):
    settings.SERVING_MAX_BODY_BYTES = 100

    message = oip_error(infer(as_bob, {"inputs": [oip_tensor(iris_rows())]}), 413)

    assert "SERVING_MAX_BODY_BYTES" in message


def test_another_content_type_is_a_415(iris, as_bob):
    response = invoke(as_bob, "/v2/models/iris/infer", csv="a,b\n1,2\n")

    assert oip_error(response, 415) == "content type 'text/csv' is not supported: send application/json"


def test_a_get_on_infer_is_a_405_naming_post(iris, as_bob):
    response = as_bob.get("/v2/models/iris/infer")

    assert oip_error(response, 405) == "GET is not allowed here; use POST"
    assert response["Allow"] == "POST"


def test_a_header_length_past_the_body_is_a_400(iris, as_bob):
    body = orjson.dumps({"inputs": [oip_tensor(iris_rows())]})

    response = as_bob.post(
        "/v2/models/iris/infer",
        data=body,
        content_type="application/octet-stream",
        headers={"Inference-Header-Content-Length": str(len(body) + 1)},
    )

    assert "Inference-Header-Content-Length must be the JSON header's length" in oip_error(response, 400)


def test_a_tensor_that_is_not_rows_and_columns_is_a_400_saying_what_is_taken(iris, as_bob):
    tensor = {"name": "input", "shape": [4], "datatype": "FP64", "data": [1, 2, 3, 4]}

    message = oip_error(infer(as_bob, {"inputs": [tensor]}), 400)

    assert message.startswith("input 'input': shape [4] is not [rows, columns]: send one input per column (sepal")


def test_columns_of_different_lengths_are_a_400_naming_both(iris, as_bob):
    columns = oip_columns(iris_rows())
    short = columns[2]
    short["data"], short["shape"] = short["data"][:3], [3, 1]

    message = oip_error(infer(as_bob, {"inputs": columns}), 400)

    assert message == f"input {short['name']!r} has 3 rows but input {columns[0]['name']!r} has 10"


def test_a_column_sent_twice_with_another_length_is_a_400(iris, as_bob):
    columns = oip_columns(iris_rows())
    again = {**columns[0], "shape": [3, 1], "data": columns[0]["data"][:3]}

    message = oip_error(infer(as_bob, {"inputs": [*columns, again]}), 400)

    assert message == f"input {again['name']!r} has 3 rows but input {columns[0]['name']!r} has 10"
