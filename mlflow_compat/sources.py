"""What an MLflow `source` names, and its bytes as an artifact to register.

The server only reads what it stores: a logged model (`models:/m-<id>`), a run's
folder (`runs:/<run>/<path>`), a folder of the artifact proxy (`mlflow-artifacts:/...`
or its `http(s)://.../mlflow-artifacts/artifacts/...` form), or a registered version
(`models:/<name>/<ref>`, `models:/<name>@<alias>`). It never fetches other URIs
(s3://, file://, another host): that would let a client make it read anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from mlflow_compat import published, selectors, store
from mlflow_compat.models import LoggedModel
from registry import artifacts
from registry.artifacts import IncomingArtifact
from registry.models import ModelVersion
from registry.selectors import alias_get, model_get, version_for_ref, version_get
from registry_site.errors import InvalidParameter, NotFound

PROXY_MARKER = "/mlflow-artifacts/artifacts/"


def run_folder(run) -> str:
    return f"{run.experiment_id}/{run.run_id}/artifacts"


def logged_model_folder(model: LoggedModel) -> str:
    return f"{model.experiment_id}/models/{model.model_id}/artifacts"


@dataclass(frozen=True)
class Origin:
    location: str = ""  # a folder under the proxy root, when the source is one
    version: ModelVersion | None = None  # a registered version, when the source is one
    logged_model: LoggedModel | None = None
    run_id: str = ""

    @property
    def model_id(self) -> str:
        return self.logged_model.model_id if self.logged_model else ""

    @property
    def format(self) -> str:
        return self.version.artifact_format if self.version else "mlflow"

    @contextlib.contextmanager
    def artifact(self) -> Iterator[IncomingArtifact]:
        if self.version is None:
            with store.zipped_folder(self.location) as incoming:
                yield incoming
            return
        with artifacts.open_stream(self.version.artifact_sha256) as stored, artifacts.spooled(stored) as incoming:
            yield incoming


def resolve(source: str, *, model_id: str = "") -> Origin:
    if not isinstance(source, str) or not source:
        raise InvalidParameter("source must be a non-empty URI")
    if source.startswith("models:/"):
        return _registered(source.removeprefix("models:/").strip("/"))
    if source.startswith("runs:/"):
        return _run_path(source.removeprefix("runs:/"))
    if source.startswith("mlflow-artifacts:"):
        return _folder(_proxy_path(source))
    if source.startswith(("http://", "https://")) and PROXY_MARKER in source:
        return _folder(urlsplit(source).path.split(PROXY_MARKER, 1)[1])
    if model_id:
        return _logged_model(model_id)
    raise InvalidParameter(
        f"cannot register from {source!r}: this server reads models:/, runs:/ and mlflow-artifacts:/ sources only"
    )


def _proxy_path(source: str) -> str:
    """`mlflow-artifacts:/p`, `mlflow-artifacts:///p` or `mlflow-artifacts://host/p`: p."""
    parts = urlsplit(source)
    return parts.path.lstrip("/")


def _folder(raw: str) -> Origin:
    path = store.clean_path(raw)
    if published.is_published(path):
        return _registered_folder(path)
    return Origin(location=path)


def _logged_model(model_id: str) -> Origin:
    model = selectors.logged_model_get(model_id)
    return Origin(location=logged_model_folder(model), logged_model=model, run_id=model.source_run_id)


def _registered(reference: str) -> Origin:
    """`<name>/<version|stage|latest>[/sub]` or `<name>@<alias>`; a bare `<id>` is a
    logged model, as the MLflow client reads one-segment `models:/` URIs."""
    name, at, alias = reference.partition("@")
    if at:
        number = alias_get(model_get(name), alias.split("/")[0]).version.version
    elif "/" in reference:
        name, _, ref = reference.partition("/")
        number = version_for_ref(name, ref.split("/")[0]).version
    else:
        return _logged_model(reference)
    version = version_get(name, number)
    return Origin(version=version, run_id=version.run_id)


def _registered_folder(path: str) -> Origin:
    _, name, number, *rest = path.split("/", 3) + [""]
    if rest[0]:
        raise InvalidParameter(f"register the whole version folder registry/{name}/{number}, not a file inside it")
    return _registered(f"{name}/{number}")


def _run_path(reference: str) -> Origin:
    """`runs:/<run>/<path>`: the run's own folder when it holds an MLmodel (MLflow 2),
    else the run's newest logged model named <path> (MLflow 3)."""
    run_id, _, path = reference.partition("/")
    run = selectors.run_get(run_id)
    folder = store.clean_path(f"{run_folder(run)}/{path}".rstrip("/"))
    if any(entry["path"] == "MLmodel" for entry in store.listing(folder)):
        return Origin(location=folder, run_id=run.run_id)
    model = selectors.run_logged_model(run, path.strip("/"))
    if model is None:
        raise NotFound(f"Unable to find a logged_model with artifact_path {path} under run {run_id}")
    return Origin(location=logged_model_folder(model), logged_model=model, run_id=run.run_id)
