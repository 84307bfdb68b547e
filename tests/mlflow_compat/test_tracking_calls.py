"""Runs and logged models as the client logs and reads them, and what a version
registered from a run takes from it: params, metrics, input datasets, lineage."""

from __future__ import annotations

import mlflow
import mlflow.data
import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflowkit import LIVE, connect, fraud_data, quietly, small_model, trainer

from lineage.models import LineageEvent
from mlflow_compat.models import Run
from registry.models import ModelVersion

pytestmark = pytest.mark.django_db(**LIVE)
PIP = ["scikit-learn"]  # skips the client's slow requirement inference


@pytest.fixture
def client(request):
    return connect(request, trainer())


def test_a_run_keeps_what_was_logged_to_it(client):
    experiment_id = mlflow.set_experiment("tracking").experiment_id
    run = client.create_run(experiment_id, run_name="first")
    run_id = run.info.run_id
    client.log_param(run_id, "alpha", 0.5)
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 0.9, 1000, 0), Metric("loss", 0.4, 2000, 1)],
        params=[Param("solver", "lbfgs")],
        tags=[RunTag("team", "risk")],
    )
    client.set_terminated(run_id)

    found = client.get_run(run_id)

    assert found.info.run_name == "first"
    assert found.info.status == "FINISHED"
    assert found.data.params == {"alpha": "0.5", "solver": "lbfgs"}
    assert found.data.metrics == {"loss": 0.4}
    assert found.data.tags["team"] == "risk"
    assert [(m.value, m.step) for m in client.get_metric_history(run_id, "loss")] == [(0.9, 0), (0.4, 1)]
    assert client.get_experiment_by_name("tracking").experiment_id == experiment_id


def test_a_param_cannot_change_once_logged(client):
    run_id = client.create_run(mlflow.set_experiment("tracking").experiment_id).info.run_id
    client.log_param(run_id, "alpha", 0.5)

    with pytest.raises(MlflowException) as raised:
        client.log_param(run_id, "alpha", 0.7)

    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_creating_an_experiment_twice_gives_resource_already_exists(client):
    client.create_experiment("twice")

    with pytest.raises(MlflowException) as raised:
        client.create_experiment("twice")

    assert raised.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_logged_models_are_found_by_name_and_loaded_by_id(client):
    experiment_id = mlflow.set_experiment("tracking").experiment_id
    with mlflow.start_run():
        info = quietly(
            mlflow.sklearn.log_model,
            small_model(),
            name="clf",
            serialization_format="cloudpickle",
            pip_requirements=PIP,
        )

    found = client.search_logged_models([experiment_id], filter_string="name = 'clf'")
    loaded = quietly(mlflow.pyfunc.load_model, f"models:/{info.model_id}")

    assert [model.model_id for model in found] == [info.model_id]
    assert found[0].status == "READY"
    assert loaded.predict(fraud_data()[1]).shape == (len(fraud_data()[1]),)


def test_a_version_registered_from_a_run_has_its_input_datasets_in_its_lineage(client):
    X_train = fraud_data()[0]
    mlflow.set_experiment("tracking")
    with mlflow.start_run() as run:
        dataset = mlflow.data.from_pandas(X_train, source="s3://lake/fraud/train.parquet", name="fraud-train")
        mlflow.log_input(dataset, context="training")
        mlflow.log_metric("accuracy", 0.91)
        quietly(
            mlflow.sklearn.log_model,
            small_model(),
            name="model",
            serialization_format="cloudpickle",
            pip_requirements=PIP,
        )
    quietly(mlflow.register_model, f"runs:/{run.info.run_id}/model", "fraud-detector")

    version = ModelVersion.objects.get(model__name="fraud-detector", version=1)
    event = LineageEvent.objects.get().payload

    assert version.inputs == [{"namespace": "s3://lake", "name": "fraud/train.parquet"}]
    assert version.metrics == {"accuracy": 0.91}
    assert version.run_id == run.info.run_id
    assert [(i["namespace"], i["name"]) for i in event["inputs"]] == [("s3://lake", "fraud/train.parquet")]
    assert event["outputs"][0]["namespace"] == "fraud-detector"
    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.tags[0].value) for i in inputs] == [("fraud-train", "training")]


def test_the_logged_model_knows_the_versions_registered_from_it(client):
    mlflow.set_experiment("tracking")
    with mlflow.start_run():
        info = quietly(
            mlflow.sklearn.log_model,
            small_model(),
            name="model",
            serialization_format="cloudpickle",
            pip_requirements=PIP,
        )

    quietly(mlflow.register_model, f"models:/{info.model_id}", "fraud-detector")

    tag = client.get_logged_model(info.model_id).tags["mlflow.modelVersions"]
    assert '"fraud-detector"' in tag
    assert client.get_model_version("fraud-detector", "1").source == f"models:/{info.model_id}"
    assert Run.objects.count() == 1
