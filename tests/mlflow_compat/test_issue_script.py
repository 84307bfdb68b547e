"""The issue's script, unchanged, against the live server with the real mlflow client;
then the version it registered, seen through the native API and serving."""

from __future__ import annotations

import mlflow
import pytest
from mlflow import MlflowClient
from mlflowkit import LIVE, connect, fraud_data, quietly, trainer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import f1_score

from kit import client_for

SCRIPT = """
mlflow.set_experiment("fraud-detection-v2")
with mlflow.start_run(run_name="gb-baseline") as run:
    mlflow.log_param("n_estimators", 100)
    mlflow.log_param("max_depth", 3)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3).fit(X_train, y_train)
    mlflow.log_metric("f1", f1_score(y_test, model.predict(X_test)))
    mlflow.sklearn.log_model(model, name="model", input_example=X_train[:5],
                             skops_trusted_types=["sklearn.tree._tree.Tree"])
    mlflow.log_artifact("feature_config.yaml")
mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", "fraud-detector")
client = MlflowClient()
client.transition_model_version_stage("fraud-detector", mv.version, "Production")
client.set_registered_model_alias("fraud-detector", "champion", mv.version)
loaded = mlflow.pyfunc.load_model("models:/fraud-detector/Production")
assert (loaded.predict(X_test) == model.predict(X_test)).all()
assert mlflow.pyfunc.load_model("models:/fraud-detector@champion") is not None
"""
CLOUDPICKLE = SCRIPT.replace('skops_trusted_types=["sklearn.tree._tree.Tree"]', 'serialization_format="cloudpickle"')


def run_script(script: str, folder, monkeypatch) -> dict:
    """Run the script as a user would: from a folder holding feature_config.yaml."""
    (folder / "feature_config.yaml").write_text("features: [f0, f1, f2, f3, f4, f5]\n")
    monkeypatch.chdir(folder)
    X_train, X_test, y_train, y_test = fraud_data()
    namespace = {
        "mlflow": mlflow,
        "MlflowClient": MlflowClient,
        "GradientBoostingClassifier": GradientBoostingClassifier,
        "f1_score": f1_score,
        "X_train": X_train,
        "X_test": X_test,
        "y_train": y_train,
        "y_test": y_test,
    }
    quietly(exec, script, namespace)
    return namespace


@pytest.fixture
def trina(request):
    user = trainer()
    connect(request, user)
    return user


@pytest.mark.django_db(**LIVE)
@pytest.mark.parametrize("script", [SCRIPT, CLOUDPICKLE], ids=["skops", "cloudpickle"])
def test_the_issue_script_runs_unchanged(trina, tmp_path, monkeypatch, script):
    ran = run_script(script, tmp_path, monkeypatch)

    assert ran["mv"].version == "1"
    assert ran["mv"].status == "READY"


@pytest.mark.django_db(**LIVE)
def test_the_registered_version_shows_its_run_params_and_metric_in_the_native_api_and_the_ui(
    trina, tmp_path, monkeypatch, client
):
    ran = run_script(SCRIPT, tmp_path, monkeypatch)

    response = client_for(trina).get("/api/v1/models/fraud-detector/versions/1")

    assert response.status_code == 200
    body = response.json()
    assert body["params"] == {"n_estimators": "100", "max_depth": "3"}
    assert body["metrics"]["f1"] == pytest.approx(f1_score(fraud_data()[3], ran["model"].predict(fraud_data()[1])))
    assert body["run_id"] == ran["run"].info.run_id
    assert body["stage"] == "Production"
    assert body["aliases"] == ["champion"]
    assert body["artifact"]["format"] == "mlflow"
    assert body["artifact"]["serialization"] == "skops"
    assert [column["name"] for column in body["signature"]["inputs"]] == [f"f{i}" for i in range(6)]
    client.force_login(trina)
    page = client.get("/models/fraud-detector/versions/1/").content.decode()
    assert "<th>n_estimators</th>" in page and "<th>max_depth</th>" in page
    assert f'<th>f1</th><td class="mono">{body["metrics"]["f1"]}</td>' in page
    assert ran["run"].info.run_id in page


@pytest.mark.django_db(**LIVE)
def test_the_production_invocation_predicts_what_the_trained_model_predicts(trina, tmp_path, monkeypatch):
    ran = run_script(CLOUDPICKLE, tmp_path, monkeypatch)
    X_test = fraud_data()[1]

    response = client_for(trina).post(
        "/model/fraud-detector/Production/invocations",
        {"dataframe_split": {"columns": list(X_test.columns), "data": X_test.values.tolist()}},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["predictions"] == ran["model"].predict(X_test).tolist()
    assert response["X-Model-Version"] == "1"
