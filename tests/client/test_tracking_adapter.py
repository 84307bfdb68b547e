"""HttpTracker logs a run over the MLflow tracking API; the run's model becomes a version
that carries the run's id, params and metrics."""

import pytest
import requests
from clientkit import LIVE

from registry_client.http import HttpTracker

pytestmark = pytest.mark.django_db(**LIVE)


def test_a_runs_model_becomes_a_version_with_its_run_id_and_metrics(registry, url, trina_token, iris_model):
    tracker = HttpTracker(url, trina_token, "iris-training")
    run = tracker.start_run("first")
    tracker.log_params({"C": 1.0, "solver": "lbfgs"})
    tracker.log_metrics({"loss": 0.9}, step=0)
    tracker.log_metrics({"loss": 0.4, "accuracy": 0.97}, step=1)

    version = tracker.log_model(iris_model, "iris")
    tracker.end_run()

    record = registry.version("iris", version)
    assert record["run_id"] == run.run_id
    assert record["metrics"] == {"loss": 0.4, "accuracy": 0.97}
    assert record["params"] == {"C": "1.0", "solver": "lbfgs"}
    found = requests.get(
        f"{url}/api/2.0/mlflow/runs/get",
        params={"run_id": run.run_id},
        headers={"Authorization": f"Token {trina_token}"},
        timeout=10,
    ).json()["run"]
    assert found["info"]["status"] == "FINISHED"
    assert {m["key"]: m["value"] for m in found["data"]["metrics"]} == {"loss": 0.4, "accuracy": 0.97}
