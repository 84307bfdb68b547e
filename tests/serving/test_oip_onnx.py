"""A version with an accepted ONNX form answers OIP through ONNX Runtime, as invocations do."""

import numpy as np
from onnxkit import fitted, held_out
from servingkit import invoke, oip_outputs, oip_tensor, predictions

from kit import joblib_bytes, upload

FAMILY = "random forest classifier"


def test_onnx_runtime_answers_oip_with_invocations_predictions(onnx_on, as_alice, as_bob):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))
    rows = held_out(FAMILY)
    body = {"inputs": [oip_tensor(rows)], "outputs": [{"name": "predict"}, {"name": "predict_proba"}]}

    response = invoke(as_bob, "/v2/models/m/infer", body)

    assert response["X-Model-Runtime"] == "onnx"
    outputs = oip_outputs(response)
    split = {"dataframe_split": rows.to_dict(orient="split", index=False)}
    assert outputs["predict"]["data"] == predictions(invoke(as_bob, "/model/m/invocations", split))
    expected = predictions(invoke(as_bob, "/model/m/invocations", {**split, "params": {"method": "predict_proba"}}))
    assert np.array(outputs["predict_proba"]["data"]).reshape(outputs["predict_proba"]["shape"]).tolist() == expected


def test_parameters_runtime_sklearn_forces_the_original(onnx_on, as_alice, as_bob):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))
    rows = held_out(FAMILY)

    response = invoke(
        as_bob, "/v2/models/m/infer", {"inputs": [oip_tensor(rows)], "parameters": {"runtime": "sklearn"}}
    )

    assert response["X-Model-Runtime"] == "sklearn"
    assert oip_outputs(response)["predict"]["data"] == fitted(FAMILY).predict(rows).tolist()
