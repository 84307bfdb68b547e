"""tritonclient[http], a real OIP client, against a live server: its predictions equal
invocations' on the same rows, by version, stage and alias, in binary and JSON data."""

import numpy as np
import pytest
import requests
import tritonclient.http as triton
from servingkit import iris_logistic, iris_rows

from kit import client_for, joblib_bytes, token_header, upload, user_with_roles

LIVE = {"transaction": True, "serialized_rollback": True}
pytestmark = pytest.mark.django_db(**LIVE)


@pytest.fixture
def served(live_server):
    """Model `iris`: version 1 in Production with the alias `champion`, read with a viewer's token."""
    owner = client_for(user_with_roles("olivia", "uploaders", "promoters"))
    assert upload(owner, "iris", joblib_bytes(iris_logistic())).status_code == 201
    assert owner.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}).status_code == 200
    assert owner.put("/api/v1/models/iris/aliases/champion", {"version": 1}).status_code == 200
    headers = token_header(user_with_roles("bob", "viewers"))
    client = triton.InferenceServerClient(live_server.url.removeprefix("http://"))
    yield client, headers, live_server.url
    client.close()


def invocations(url: str, headers: dict, method: str) -> list:
    body = {"instances": iris_rows().values.tolist(), "params": {"method": method}}
    response = requests.post(f"{url}/model/iris/invocations", json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["predictions"]


@pytest.mark.parametrize("ref", ["", "1", "Production", "champion"])
@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_tritonclient_gets_the_predictions_invocations_give(served, ref, binary):
    client, headers, url = served  # tritonclient adds its own headers to the dict it is given: a copy each call
    rows = iris_rows().to_numpy()
    tensor = triton.InferInput("input", list(rows.shape), "FP64")
    tensor.set_data_from_numpy(rows, binary_data=binary)
    outputs = [triton.InferRequestedOutput(name, binary_data=binary) for name in ("predict", "predict_proba")]

    result = client.infer("iris", [tensor], model_version=ref, outputs=outputs, headers=dict(headers))

    assert result.as_numpy("predict").tolist() == invocations(url, headers, "predict")
    assert result.as_numpy("predict_proba").tolist() == invocations(url, headers, "predict_proba")


def test_tritonclient_sends_one_input_per_column(served):
    client, headers, url = served
    frame = iris_rows()
    tensors = []
    for name in frame.columns:
        tensor = triton.InferInput(name, [len(frame), 1], "FP64")
        tensor.set_data_from_numpy(frame[[name]].to_numpy())
        tensors.append(tensor)

    result = client.infer("iris", tensors, model_version="champion", headers=dict(headers))

    assert result.as_numpy("predict").tolist() == invocations(url, headers, "predict")


def test_tritonclient_sees_the_server_live_and_ready_and_reads_the_metadata(served):
    client, headers, _url = served

    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("iris", "Production", headers=headers)
    metadata = client.get_model_metadata("iris", "champion", headers=headers)
    assert metadata["name"] == "iris"
    assert metadata["versions"] == ["1"]
    assert [(i["name"], i["datatype"], i["shape"]) for i in metadata["inputs"]] == [
        (name, "FP64", [-1, 1]) for name in iris_rows().columns
    ]
    assert [o["name"] for o in metadata["outputs"]] == ["predict", "predict_proba"]


def test_tritonclient_is_told_the_reason_of_a_refusal(served):
    client, headers, _url = served
    tensor = triton.InferInput("input", [1, 3], "FP64")
    tensor.set_data_from_numpy(np.zeros((1, 3)))

    with pytest.raises(triton.InferenceServerException) as refused:
        client.infer("iris", [tensor], headers=dict(headers))

    assert "shape [1, 3] has 3 columns; the model takes 4" in refused.value.message()
    assert refused.value.status() == "400"
