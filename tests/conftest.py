"""Shared fixtures: named users with roles, token clients, isolated artifact stores,
and an S3-compatible server (moto's server mode on 127.0.0.1) for the S3 tests."""

from __future__ import annotations

import contextlib
import os
import uuid

import joblib
import numpy as np
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from registry_site import access

from kit import client_for, free_port, joblib_bytes, s3_client, s3_storage_config, upload, user_with_roles

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


# --- people ---------------------------------------------------------------------------


@pytest.fixture
def alice(db):
    """Alice trains models: she uploads."""
    return user_with_roles("alice", "uploaders")


@pytest.fixture
def bob(db):
    """Bob reviews: he may read."""
    return user_with_roles("bob", "viewers")


@pytest.fixture
def carol(db):
    """Carol approves releases: she promotes."""
    return user_with_roles("carol", "promoters")


@pytest.fixture
def charlie(db):
    """Charlie has an account and no role."""
    return user_with_roles("charlie")


@pytest.fixture
def as_alice(alice):
    return client_for(alice)


@pytest.fixture
def as_bob(bob):
    return client_for(bob)


@pytest.fixture
def as_carol(carol):
    return client_for(carol)


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture(autouse=True)
def forgotten_credentials():
    """Each test's database is rolled back, not deleted row by row, so no signal tells the
    credential cache (registry_site.access) that its users are gone: start each test empty."""
    access.forget()


@pytest.fixture(autouse=True)
def no_failed_credentials(settings):
    """Failed-credential counters live in a cache table that the flush after a
    transactional test leaves as it is: each test counts under keys of its own."""
    throttle = {**settings.CACHES["throttle"], "KEY_PREFIX": uuid.uuid4().hex}
    settings.CACHES = {**settings.CACHES, "throttle": throttle}


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    """Django's default hasher spends about a quarter of a second per password by design,
    and most tests create users; the strength of the hash is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- ONNX ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def onnx_off(settings):
    """The suite pins the original runtime, whose answers it compares bit for bit with
    the estimator's; ONNX answers agree within a tolerance instead, and its tests
    (tests/serving/test_onnx_*.py) switch it on with `onnx_on`."""
    settings.SERVING_ONNX = False


@pytest.fixture
def onnx_on(settings):
    """Versions are compiled to ONNX and served by ONNX Runtime. No background threads
    in tests: each compilation is done, its outcome recorded, before the upload answers."""
    settings.SERVING_ONNX = True
    settings.ONNX_COMPILE_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def lineage_tasks_at_once(settings):
    """Each lineage event enqueues its own background run, due at once, so a test's worker
    finds it (in production a run waits a moment for the events that follow)."""
    settings.LINEAGE_BATCH_WAIT_MS = 0


# --- background work ----------------------------------------------------------------------


@pytest.fixture
def run_worker(settings):
    """Runs every background task enqueued so far, as the configured backend's worker
    does (`manage.py db_worker`, or an RQ worker), in this process and on the test's
    database, until none is left; then fails the test if any task failed. Tasks are
    enqueued after commit: tests using this need committed transactions
    (`django_db(transaction=True)`) or `django_capture_on_commit_callbacks(execute=True)`."""
    if settings.TASKS_BACKEND == "rq":
        rq_queue().empty()

    def run() -> None:
        if settings.TASKS_BACKEND == "rq":
            _run_rq_worker()
        else:
            _run_db_worker()

    return run


def rq_queue():
    import django_rq
    from django_tasks_rq import Job

    return django_rq.get_queue("default", job_class=Job)


def _run_db_worker() -> None:
    from django_tasks_db.models import DBTaskResult

    started = set(DBTaskResult.objects.values_list("pk", flat=True))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    failed = DBTaskResult.objects.exclude(pk__in=started).filter(status="FAILED")
    assert not failed.exists(), [(r.task_path, r.traceback) for r in failed]


def _run_rq_worker() -> None:
    from django_tasks_rq import Job
    from rq import SimpleWorker

    queue = rq_queue()
    failed_before = queue.failed_job_registry.count
    # SimpleWorker runs each job in this process (no fork), on the test's database.
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True, logging_level="WARNING")
    assert queue.failed_job_registry.count == failed_before, "a background task failed: see the RQ log above"


# --- artifact stores ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def artifact_store(settings, tmp_path):
    """Each test gets its own empty store of the configured kind (folder or S3 prefix)."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    os.makedirs(settings.FILE_UPLOAD_TEMP_DIR)
    configured = settings.STORAGES["artifacts"]
    if configured["BACKEND"].endswith("S3Storage"):
        options = configured["OPTIONS"]
        _ensure_bucket(options["endpoint_url"], options["bucket_name"])
        store = s3_storage_config(options["endpoint_url"], options["bucket_name"], f"test-{uuid.uuid4().hex}")
    else:
        store = {"BACKEND": configured["BACKEND"], "OPTIONS": {"location": str(tmp_path / "artifacts")}}
    settings.STORAGES = {**settings.STORAGES, "artifacts": store}
    return store


def _ensure_bucket(endpoint: str | None, bucket: str) -> None:
    client = s3_client(endpoint)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):  # another worker made it first
            client.create_bucket(Bucket=bucket)


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-protocol server over HTTP on 127.0.0.1 (moto's server mode)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_store(settings, s3_endpoint, tmp_path):
    """Switch this test's artifact store to a fresh bucket on the S3 server."""
    bucket = f"artifacts-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "artifacts": s3_storage_config(s3_endpoint, bucket, "registry")}
    return {"endpoint": s3_endpoint, "bucket": bucket, "prefix": "registry"}


# --- models to upload -----------------------------------------------------------------


@pytest.fixture(scope="session")
def iris():
    data = load_iris(as_frame=True)
    return data.data, data.target


@pytest.fixture(scope="session")
def iris_model(iris):
    X, y = iris
    return LogisticRegression(max_iter=500).fit(X, y)


@pytest.fixture(scope="session")
def iris_joblib(iris_model) -> bytes:
    return joblib_bytes(iris_model)


@pytest.fixture
def iris_with_lineage(iris_joblib) -> dict:
    """Model `iris`: version 1 in Production with the alias `champion`, trained on
    s3://lake/iris/train.parquet, so lineage holds its namespaces, job, datasets and run.
    Returns the path parameters that name them."""
    from lineage import backlog
    from lineage.models import Run

    owner = client_for(user_with_roles("olivia", "uploaders", "promoters", token_only=True))
    response = upload(owner, "iris", iris_joblib, inputs='["s3://lake/iris/train.parquet"]')
    assert response.status_code == 201, response.content
    assert owner.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}).status_code == 200
    assert owner.put("/api/v1/models/iris/aliases/champion", {"version": 1}).status_code == 200
    backlog.catch_up()
    run = Run.objects.select_related("job__namespace").get(job__name="train.iris")
    return {
        "name": "iris",
        "version": 1,
        "alias": "champion",
        "namespace": run.job.namespace.name,
        "run_id": str(run.uuid),
    }


@pytest.fixture(scope="session")
def wide_joblib(tmp_path_factory) -> bytes:
    """A real model of about 20 MiB (three 8 MiB parts on the way to S3), random so that
    a part sent twice or out of place could not go unnoticed."""
    model = LogisticRegression().fit(np.eye(2), [0, 1])
    model.coef_ = np.random.default_rng(0).normal(size=(1, 20 * 1024 * 1024 // 8))
    model.n_features_in_ = model.coef_.shape[1]
    path = tmp_path_factory.mktemp("wide") / "wide.joblib"
    joblib.dump(model, path)
    return path.read_bytes()


# --- models that clients reach through a stage or an alias ------------------------------


@pytest.fixture
def dora(db):
    """Dora uploads and may delete (granted by hand, as an operator might) but does not
    promote: the stage-and-alias rule, not the delete permission, must stop her."""
    from django.contrib.auth.models import Permission

    user = user_with_roles("dora", "uploaders")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["delete_registeredmodel", "delete_modelversion"])
    )
    return user


@pytest.fixture
def iris_in_production(as_alice, as_carol, iris_joblib):
    """iris with version 1 in Production (promoted by carol, so audited) and no alias."""
    upload(as_alice, "iris", iris_joblib)
    response = as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")
    assert response.status_code == 200, response.content


@pytest.fixture
def iris_with_alias(as_alice, as_carol, iris_joblib):
    """iris with version 1 under the alias champion and in no stage."""
    upload(as_alice, "iris", iris_joblib)
    response = as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 1}, format="json")
    assert response.status_code == 200, response.content


PINS = {"stage Production": "iris_in_production", "alias champion": "iris_with_alias"}


@pytest.fixture(params=list(PINS), ids=["production", "alias"])
def pinned_iris(request) -> str:
    """iris with version 1 served through a stage, then through an alias only: the pin
    as a refusal names it."""
    request.getfixturevalue(PINS[request.param])
    return request.param
