"""MLflow's ModelRegistryService over the registry's own selectors and services: the
same versioning, stages, aliases, permissions and audit as the native API."""

from __future__ import annotations

from django.urls import reverse

from mlflow_compat import dialect, published, search, selectors
from mlflow_compat.http import Call, by_method, endpoint
from mlflow_compat.services import model_version_register
from registry import selectors as registry_selectors
from registry import services
from registry.models import RegisteredModel

MAX_MODELS_PAGE = 1000
MAX_VERSIONS_PAGE = 200_000


def _model_body(model: RegisteredModel) -> dict:
    return {"registered_model": dialect.registered_model(model, selectors.newest_per_stage([model.pk]))}


def _model(call: Call) -> RegisteredModel:
    return registry_selectors.model_get(call.required("name"))


def _version(call: Call):
    return selectors.version_described(call.required("name"), call.required("version"))


def _version_body(call: Call) -> dict:
    return {"model_version": dialect.model_version(_version(call))}


# --- registered models ---------------------------------------------------------------


@endpoint("POST")
def registered_model_create(call: Call) -> dict:
    model = services.registered_model_create(
        actor=call.user,
        name=call.required("name"),
        description=call.get("description", ""),
        tags=dialect.tag_dict(call.get("tags")),
    )
    return _model_body(model)


@endpoint("GET")
def registered_model_get(call: Call) -> dict:
    return _model_body(_model(call))


@endpoint("POST")
def registered_model_rename(call: Call) -> dict:
    model = services.registered_model_rename(actor=call.user, model=_model(call), new_name=call.required("new_name"))
    return _model_body(model)


@endpoint("PATCH")
def registered_model_update(call: Call) -> dict:
    model = services.registered_model_update(actor=call.user, model=_model(call), description=call.get("description"))
    return _model_body(model)


@endpoint("DELETE")
def registered_model_delete(call: Call) -> dict:
    services.registered_model_delete(actor=call.user, model=_model(call))
    return {}


@endpoint("GET")
def registered_model_search(call: Call) -> dict:
    found = search.parse_filter(call.get("filter"), search.REGISTERED_MODELS)
    page = call.page(default=100, limit=MAX_MODELS_PAGE)
    order = search.parse_order(call.list("order_by"), search.REGISTERED_MODELS, default=["name", "id"])
    models = selectors.model_search(
        where=found.where, annotations=found.annotations, order=order, offset=page.offset, limit=page.fetch
    )
    newest = selectors.newest_per_stage([model.pk for model in models[: page.limit]])
    return page.body(
        "registered_models", models, lambda m: dialect.registered_model(m, [v for v in newest if v.model_id == m.pk])
    )


@endpoint("POST", "GET", reads=("POST", "GET"))
def latest_versions(call: Call) -> dict:
    """The newest version per stage: of the stages asked for, or of every stage."""
    stages = [services.canonical_stage(stage) for stage in call.list("stages")] or None
    versions = selectors.newest_per_stage([_model(call).pk], stages)
    return {"model_versions": [dialect.model_version(version) for version in versions]}


@endpoint("POST")
def registered_model_set_tag(call: Call) -> dict:
    value = call.get("value")
    if value is None:
        value = ""  # proto JSON leaves an empty string out
    services.registered_model_tag_set(actor=call.user, model=_model(call), key=call.required("key"), value=value)
    return {}


@endpoint("DELETE")
def registered_model_delete_tag(call: Call) -> dict:
    services.registered_model_tag_set(actor=call.user, model=_model(call), key=call.required("key"), value=None)
    return {}


@endpoint("POST")
def alias_set(call: Call) -> dict:
    version = registry_selectors.version_get(call.required("name"), call.required("version"))
    services.alias_set(actor=call.user, model=version.model, alias=call.required("alias"), version=version)
    return {}


@endpoint("DELETE")
def alias_delete(call: Call) -> dict:
    services.alias_delete(actor=call.user, model=_model(call), alias=call.required("alias"))
    return {}


@endpoint("GET")
def alias_get(call: Call) -> dict:
    model = _model(call)
    alias = registry_selectors.alias_get(model, call.required("alias"))
    return {"model_version": dialect.model_version(selectors.version_described(model.name, alias.version.version))}


alias = by_method(GET=alias_get, POST=alias_set, DELETE=alias_delete)


# --- model versions ------------------------------------------------------------------


@endpoint("POST")
def version_create(call: Call) -> dict:
    version = model_version_register(
        actor=call.user,
        name=call.required("name"),
        source=call.required("source"),
        run_id=call.get("run_id", ""),
        model_id=call.get("model_id", ""),
        description=call.get("description", ""),
        tags=dialect.tag_dict(call.get("tags")),
        run_link=call.get("run_link", ""),
    )
    return {"model_version": dialect.model_version(selectors.version_described(version.model.name, version.version))}


@endpoint("GET")
def version_get(call: Call) -> dict:
    return _version_body(call)


@endpoint("PATCH")
def version_update(call: Call) -> dict:
    services.model_version_update(actor=call.user, version=_version(call), description=call.get("description"))
    return _version_body(call)


@endpoint("POST")
def version_transition_stage(call: Call) -> dict:
    services.model_version_transition_stage(
        actor=call.user,
        version=_version(call),
        stage=call.required("stage"),
        archive_existing=call.bool("archive_existing_versions"),
    )
    return _version_body(call)


@endpoint("DELETE")
def version_delete(call: Call) -> dict:
    services.model_version_delete(actor=call.user, version=_version(call))
    return {}


@endpoint("GET")
def version_search(call: Call) -> dict:
    found = search.parse_filter(call.get("filter"), search.MODEL_VERSIONS)
    page = call.page(default=10_000, limit=MAX_VERSIONS_PAGE)
    order = search.parse_order(call.list("order_by"), search.MODEL_VERSIONS, default=["model__name", "-version"])
    versions = selectors.version_search(
        where=found.where, annotations=found.annotations, order=order, offset=page.offset, limit=page.fetch
    )
    return page.body("model_versions", versions, dialect.model_version)


@endpoint("GET")
def version_download_uri(call: Call) -> dict:
    """The version's own stored artifact, as a folder of the artifact proxy. Absolute,
    so it also works for a client whose tracking URI is another server."""
    version = _version(call)
    path = reverse("mlflow_compat:artifact", kwargs={"path": published.location(version)})
    return {"artifact_uri": call.request.build_absolute_uri(path)}


@endpoint("POST")
def version_set_tag(call: Call) -> dict:
    value = call.get("value")
    services.model_version_tag_set(
        actor=call.user, version=_version(call), key=call.required("key"), value="" if value is None else value
    )
    return {}


@endpoint("DELETE")
def version_delete_tag(call: Call) -> dict:
    services.model_version_tag_set(actor=call.user, version=_version(call), key=call.required("key"), value=None)
    return {}
