"""A database made before the MLflow tracking models moved to the mlflow_compat app keeps
its rows: migrating it forward leaves every id and foreign key as it was, and the MLflow
API reads them as before."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mlflow_compat.models import Experiment, LoggedModel, Run
from registry.models import ModelVersion

from kit import client_for, user_with_roles

# The registry's last migration on main before the move, when mlflow_compat had none.
BEFORE_THE_MOVE = [("registry", "0004_onnx_compilation")]
RUN_ID = "0123456789abcdef0123456789abcdef"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _migrate(targets=None):
    """Migrate to `targets` (the latest migrations when None); the apps of that state."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()  # what was just applied, for the state below
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    """The models as main had them; the database goes back to the latest state after."""
    try:
        yield _migrate(BEFORE_THE_MOVE)
    finally:
        _migrate()


def _rows_made_before_the_move(old_apps) -> dict:
    get = old_apps.get_model
    user = get("auth", "User").objects.create(username="trina")
    model = get("registry", "RegisteredModel").objects.create(name="fraud", last_version_number=1)
    version = get("registry", "ModelVersion").objects.create(
        model=model,
        version=1,
        artifact_sha256="a" * 64,
        artifact_size=3,
        artifact_format="mlflow",
        flavor="sklearn",
        serialization="skops",
        estimator_class="sklearn.linear_model.LogisticRegression",
        run_id=RUN_ID,
    )
    experiment = get("registry", "Experiment").objects.create(name="fraud-training", created_by=user)
    run = get("registry", "Run").objects.create(
        run_id=RUN_ID, experiment=experiment, name="nightly", status="FINISHED", params={"C": "0.5"}
    )
    metric = get("registry", "RunMetric").objects.create(run=run, key="f1", value=0.91, timestamp=1700000000000)
    dataset = {"name": "transactions", "digest": "d1", "source_type": "local", "source": "{}"}
    run_input = get("registry", "RunInput").objects.create(run=run, name="transactions", digest="d1", dataset=dataset)
    logged = get("registry", "LoggedModel").objects.create(
        model_id="m-0123", experiment=experiment, name="model", source_run_id=RUN_ID, status="LOGGED_MODEL_READY"
    )
    source = get("registry", "VersionSource").objects.create(
        version=version, source="models:/m-0123", model_id="m-0123"
    )
    return {
        "user": user.pk,
        "version": version.pk,
        "experiment": experiment.pk,
        "metric": metric.pk,
        "input": run_input.pk,
        "source": source.pk,
        "logged": logged.pk,
    }


def test_rows_logged_before_the_move_keep_their_ids_and_links(old_apps):
    made = _rows_made_before_the_move(old_apps)

    _migrate()

    run = Run.objects.get(pk=RUN_ID)
    assert run.experiment_id == made["experiment"]
    assert Experiment.objects.get(pk=made["experiment"]).created_by_id == made["user"]
    assert list(run.metric_points.values_list("pk", "key", "value")) == [(made["metric"], "f1", 0.91)]
    assert list(run.dataset_inputs.values_list("pk", "name")) == [(made["input"], "transactions")]
    logged = LoggedModel.objects.get(pk="m-0123")
    assert (logged.experiment_id, logged.source_run_id) == (made["experiment"], RUN_ID)
    source = ModelVersion.objects.get(pk=made["version"]).mlflow_source
    assert (source.pk, source.source) == (made["source"], "models:/m-0123")


def test_the_mlflow_api_reads_a_run_logged_before_the_move(old_apps):
    _rows_made_before_the_move(old_apps)
    _migrate()

    answer = client_for(user_with_roles("bob", "viewers")).get("/api/2.0/mlflow/runs/get", {"run_id": RUN_ID})

    assert answer.status_code == 200
    run = answer.json()["run"]
    assert run["info"]["run_name"] == "nightly"
    assert run["data"]["metrics"][0]["key"] == "f1"
    assert run["data"]["params"] == [{"key": "C", "value": "0.5"}]
    assert run["inputs"]["dataset_inputs"][0]["dataset"]["name"] == "transactions"


def test_the_tracking_models_permissions_move_with_them(old_apps):
    ContentTypes = old_apps.get_model("contenttypes", "ContentType")
    before = ContentTypes.objects.get(app_label="registry", model="run").pk

    _migrate()

    moved = ContentType.objects.get(app_label="mlflow_compat", model="run")
    assert moved.pk == before
    assert (
        Permission.objects.get(codename="view_run", content_type__app_label="mlflow_compat").content_type_id == before
    )
    assert not ContentType.objects.filter(app_label="registry", model="run").exists()


def test_an_experiment_created_after_the_move_gets_an_id_of_its_own(old_apps):
    made = _rows_made_before_the_move(old_apps)
    _migrate()

    created = Experiment.objects.create(name="after-the-move")

    assert created.pk > made["experiment"]
    assert Experiment.objects.count() == 2
