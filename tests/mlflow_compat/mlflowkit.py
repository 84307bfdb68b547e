"""MLflow client test helpers: a trainer with a token, the real client pointed at the
live server, and the fraud data of the issue's script. Not a conftest: a second
`conftest` module would shadow the root one that test modules import from."""

from __future__ import annotations

import functools
import gc
import io
import os
import warnings

# Before mlflow is imported anywhere: no usage reporting from the test run.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow  # noqa: E402
import pandas as pd  # noqa: E402
import skops.io  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.utils import request_utils  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from registry import artifacts, services  # noqa: E402
from registry.models import ModelVersion  # noqa: E402

from kit import joblib_bytes, user_with_roles  # noqa: E402

LIVE = {"transaction": True, "serialized_rollback": True}


def trainer() -> User:
    """Trina trains and ships models: she uploads and promotes."""
    return user_with_roles("trina", "uploaders", "promoters")


def connect(request, user: User | None) -> MlflowClient:
    """Point the real client at the live server as `user` (token auth), failing fast.
    `request` is the test's; at its end the client's kept-alive connections close."""
    live_server = request.getfixturevalue("live_server")
    monkeypatch = request.getfixturevalue("monkeypatch")
    request.addfinalizer(_disconnect)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    if user is not None:
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", Token.objects.get_or_create(user=user)[0].key)
    mlflow.set_tracking_uri(live_server.url)
    mlflow.set_registry_uri(live_server.url)
    return MlflowClient()


def _disconnect() -> None:
    """Drop the client's cached HTTP sessions, closing their sockets, so no server
    thread is left waiting on a kept-alive connection when the live server stops."""
    request_utils._cached_get_request_session.cache_clear()
    gc.collect()


def quietly(call, *args, **kwargs):
    """Run a client call without its advisory warnings (pip inference, pickles)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


@functools.cache
def fraud_data() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    features, labels = make_classification(n_samples=400, n_features=6, n_informative=4, random_state=7)
    frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(6)])
    X_train, X_test, y_train, y_test = train_test_split(frame, pd.Series(labels), random_state=7)
    return X_train, X_test, y_train, y_test


@functools.cache
def small_model() -> LogisticRegression:
    X_train, _, y_train, _ = fraud_data()
    return LogisticRegression(max_iter=500).fit(X_train, y_train)


def native_version(user, name: str, *, format: str = "joblib", **fields) -> ModelVersion:
    """A version registered the native way: the service behind `POST /api/v1/models/<name>/versions`."""
    content = skops.io.dumps(small_model()) if format == "skops" else joblib_bytes(small_model())
    with artifacts.spooled(io.BytesIO(content)) as incoming:
        return services.model_version_create(
            actor=user, model_name=name, artifact=incoming, declared_format=format, **fields
        )
