"""The MLflow surface answers every refusal in JSON (the client reads only JSON errors),
and its bodies stay valid JSON even for the non-finite metric values MLflow allows.
The walk of every surface per cause is tests/registry_site/test_bad_input_refused.py."""

from __future__ import annotations

import json
import math

import pytest
from mlflowkit import LIVE, connect, trainer

API = "/api/2.0/mlflow"


def strict_json(response) -> dict:
    """The body as a strict JSON parser reads it: NaN and Infinity tokens are not JSON."""

    def refuse(token):
        raise ValueError(f"{token} is not JSON")

    return json.loads(response.content, parse_constant=refuse)


def test_a_body_over_the_memory_limit_is_json_413_naming_the_setting(as_trina):
    body = json.dumps({"name": "big", "description": "x" * (3 * 1024 * 1024)})  # past Django's 2.5 MiB default

    response = as_trina.post(f"{API}/registered-models/create", data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error_code"] == "PAYLOAD_TOO_LARGE"
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in response.json()["message"]


def test_a_query_string_django_refuses_is_json_400_naming_the_setting(as_trina):
    fields = "&".join(f"f{number}=1" for number in range(1001))  # past DATA_UPLOAD_MAX_NUMBER_FIELDS

    response = as_trina.get(f"{API}/registered-models/search?{fields}")

    assert response.status_code == 400
    assert response.json()["error_code"] == "MALFORMED_REQUEST"
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.json()["message"]


def test_an_experiment_id_of_other_digits_than_ascii_is_404_not_500(as_trina):
    response = as_trina.get(f"{API}/experiments/get", {"experiment_id": "\u00b2"})  # superscript two: isdigit()

    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_metric_sent_as_mlflow_sends_it_reads_back_as_valid_json(as_trina, value):
    run_id = as_trina.post(f"{API}/runs/create", {"experiment_id": "0"}, format="json").json()["run"]["info"]["run_id"]
    logged = {"run_id": run_id, "key": "loss", "value": value, "timestamp": 1, "step": 0}
    assert as_trina.post(f"{API}/runs/log-metric", logged, format="json").status_code == 200

    run = strict_json(as_trina.get(f"{API}/runs/get", {"run_id": run_id}))
    history = strict_json(as_trina.get(f"{API}/metrics/get-history", {"run_id": run_id, "metric_key": "loss"}))

    assert run["run"]["data"]["metrics"][0]["value"] == value
    assert history["metrics"][0]["value"] == value


@pytest.mark.django_db(**LIVE)
def test_the_client_logs_and_reads_back_a_nan_metric(request):
    client = connect(request, trainer())
    run_id = client.create_run("0").info.run_id

    client.log_metric(run_id, "loss", float("nan"))
    client.log_metric(run_id, "gain", float("inf"))

    metrics = client.get_run(run_id).data.metrics
    assert math.isnan(metrics["loss"])
    assert metrics["gain"] == math.inf
