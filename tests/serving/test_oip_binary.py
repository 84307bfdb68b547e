"""The binary tensor data extension: raw little-endian tensors after the JSON header
(Inference-Header-Content-Length), BYTES elements length-prefixed, in both directions."""

import struct

import numpy as np
import orjson
from servingkit import customer_rows, customers_pipeline, iris_logistic, iris_rows

from kit import joblib_bytes, upload

HEADER = "Inference-Header-Content-Length"


def post_binary(client, path: str, header: dict, *tensors: bytes):
    head = orjson.dumps(header)
    return client.post(
        path, data=head + b"".join(tensors), content_type="application/octet-stream", headers={HEADER: str(len(head))}
    )


def split_response(response) -> tuple[dict, bytes]:
    assert response.status_code == 200, response.content
    length = int(response[HEADER])
    return orjson.loads(response.content[:length]), response.content[length:]


def length_prefixed(values: list[str]) -> bytes:
    return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in values)


def test_a_binary_fp32_tensor_gets_binary_predictions_and_probabilities(as_alice, as_bob):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))
    rows = iris_rows().to_numpy(dtype=np.float32)
    raw = rows.tobytes()
    header = {
        "inputs": [
            {"name": "x", "shape": list(rows.shape), "datatype": "FP32", "parameters": {"binary_data_size": len(raw)}}
        ],
        "outputs": [
            {"name": "predict", "parameters": {"binary_data": True}},
            {"name": "predict_proba", "parameters": {"binary_data": True}},
        ],
    }

    head, data = split_response(post_binary(as_bob, "/v2/models/iris/infer", header, raw))

    predict, proba = head["outputs"]
    assert predict == {
        "name": "predict",
        "datatype": "INT64",
        "shape": [len(rows)],
        "parameters": {"binary_data_size": 8 * len(rows)},
    }
    labels = np.frombuffer(data[: 8 * len(rows)], dtype="<i8")
    probabilities = np.frombuffer(data[8 * len(rows) :], dtype="<f8").reshape(proba["shape"])
    expected = rows.astype(np.float64)  # what a float32 widens to, exactly
    assert labels.tolist() == iris_logistic().predict(expected).tolist()
    assert probabilities.tolist() == iris_logistic().predict_proba(expected).tolist()


def test_binary_bytes_columns_are_length_prefixed_text(as_alice, as_bob):
    upload(as_alice, "churn", joblib_bytes(customers_pipeline()))
    rows = customer_rows()
    inputs, tensors = [], []
    for name in rows.columns:
        text = rows[name].dtype == object
        raw = length_prefixed(rows[name].tolist()) if text else rows[name].to_numpy(dtype="<f8").tobytes()
        datatype = "BYTES" if text else "FP64"
        inputs.append(
            {"name": name, "shape": [len(rows)], "datatype": datatype, "parameters": {"binary_data_size": len(raw)}}
        )
        tensors.append(raw)

    response = post_binary(
        as_bob, "/v2/models/churn/infer", {"inputs": inputs, "parameters": {"binary_data_output": True}}, *tensors
    )

    head, data = split_response(response)
    assert head["outputs"][0]["name"] == "predict"
    assert np.frombuffer(data, dtype="<i8").tolist() == customers_pipeline().predict(rows).tolist()


def test_bytes_left_over_after_the_inputs_are_a_400(as_alice, as_bob):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))
    raw = iris_rows().to_numpy().tobytes()
    header = {
        "inputs": [{"name": "x", "shape": [10, 4], "datatype": "FP64", "parameters": {"binary_data_size": len(raw)}}]
    }

    response = post_binary(as_bob, "/v2/models/iris/infer", header, raw, b"extra")

    assert response.status_code == 400
    assert response.json() == {
        "error": "the body has 5 bytes after the JSON header that no input's binary_data_size claims"
    }


def test_a_binary_size_that_is_not_whole_values_is_a_400(as_alice, as_bob):
    upload(as_alice, "iris", joblib_bytes(iris_logistic()))
    header = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "parameters": {"binary_data_size": 30}}]}

    response = post_binary(as_bob, "/v2/models/iris/infer", header, b"\0" * 30)

    assert response.status_code == 400
    assert response.json() == {"error": "input 'x': 30 bytes is not a whole number of FP64 values"}
