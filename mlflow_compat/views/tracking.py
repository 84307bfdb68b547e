"""MLflow's tracking endpoints, as far as the client needs them to log runs and MLflow 3
logged models and register them: experiments, runs, metrics, logged models."""

from __future__ import annotations

from mlflow_compat import dialect, search, selectors, services
from mlflow_compat.http import Call, by_method, endpoint
from mlflow_compat.models import Experiment, LoggedModel, Run
from registry_site import inputs
from registry_site.errors import InvalidParameter

MAX_HISTORY_PAGE = 25_000
MAX_LOGGED_MODELS_PAGE = 100
EXPERIMENTS = search.Entity(
    attributes={"name": "name"},
    order={"name": "name", "creation_time": "created_at", "last_update_time": "updated_at"},
)


def _experiment(experiment_id) -> Experiment:
    if str(experiment_id) == "0":
        return services.default_experiment()
    return selectors.experiment_get(experiment_id)


def _run(call: Call) -> Run:
    run_id = call.get("run_id") or call.get("run_uuid")
    if not run_id:
        raise InvalidParameter("Missing value for required parameter 'run_id'.")
    return selectors.run_get(run_id)


def _run_body(run: Run) -> dict:
    metrics = list(selectors.run_latest_metrics(run).values())
    return {"run": dialect.run(run, metrics, selectors.run_inputs(run))}


# --- experiments ---------------------------------------------------------------------


@endpoint("GET")
def experiment_get_by_name(call: Call) -> dict:
    name = call.required("experiment_name")
    found = services.default_experiment() if name == "Default" else selectors.experiment_by_name(name)
    return {"experiment": dialect.experiment(found)}


@endpoint("GET")
def experiment_get(call: Call) -> dict:
    return {"experiment": dialect.experiment(_experiment(call.required("experiment_id")))}


@endpoint("POST")
def experiment_create(call: Call) -> dict:
    created = services.experiment_create(
        actor=call.user, name=call.required("name"), tags=dialect.tag_dict(call.get("tags"))
    )
    return {"experiment_id": str(created.pk)}


@endpoint("POST", reads=("POST",))
def experiment_search(call: Call) -> dict:
    found = search.parse_filter(call.get("filter"), EXPERIMENTS)
    page = call.page(default=1000, limit=50_000)
    order = search.parse_order(call.list("order_by"), EXPERIMENTS, default=["id"])
    rows = selectors.experiment_search(where=found.where, order=order, offset=page.offset, limit=page.fetch)
    return page.body("experiments", rows, dialect.experiment)


# --- runs ----------------------------------------------------------------------------


@endpoint("POST")
def run_create(call: Call) -> dict:
    run = services.run_create(
        actor=call.user,
        experiment=_experiment(call.get("experiment_id", "0")),
        name=call.get("run_name", ""),
        user_id=call.get("user_id", ""),
        start_time=call.get("start_time"),
        tags=dialect.tag_dict(call.get("tags")),
    )
    return _run_body(run)


@endpoint("POST")
def run_update(call: Call) -> dict:
    run = services.run_update(
        actor=call.user,
        run=_run(call),
        status=call.get("status"),
        end_time=call.get("end_time"),
        name=call.get("run_name"),
    )
    return {"run_info": dialect.run_info(run)}


@endpoint("GET")
def run_get(call: Call) -> dict:
    return _run_body(_run(call))


@endpoint("POST")
def log_parameter(call: Call) -> dict:
    services.run_log(actor=call.user, run=_run(call), params={call.required("key"): call.get("value", "")})
    return {}


@endpoint("POST")
def log_metric(call: Call) -> dict:
    fields = ("key", "value", "timestamp", "step", "model_id", "dataset_name", "dataset_digest")
    metric = {name: call.get(name) for name in fields}
    services.run_log(actor=call.user, run=_run(call), metrics=[metric])
    return {}


@endpoint("POST")
def set_tag(call: Call) -> dict:
    services.run_log(actor=call.user, run=_run(call), tags={call.required("key"): call.get("value", "")})
    return {}


@endpoint("POST")
def delete_tag(call: Call) -> dict:
    services.run_delete_tag(actor=call.user, run=_run(call), key=call.required("key"))
    return {}


@endpoint("POST")
def log_batch(call: Call) -> dict:
    metrics = call.list("metrics")
    if not all(isinstance(metric, dict) for metric in metrics):
        raise InvalidParameter("metrics must be a list of {key, value, timestamp, step} objects")
    services.run_log(
        actor=call.user,
        run=_run(call),
        params=dialect.tag_dict(call.get("params"), what="params"),
        metrics=metrics,
        tags=dialect.tag_dict(call.get("tags")),
    )
    return {}


@endpoint("POST")
def log_inputs(call: Call) -> dict:
    datasets = []
    for item in call.list("datasets"):
        if not isinstance(item, dict) or not isinstance(item.get("dataset"), dict):
            raise InvalidParameter("datasets must be a list of {dataset, tags} objects")
        datasets.append({"dataset": item["dataset"], "tags": dialect.tag_dict(item.get("tags"))})
    # Logged models given as `models` (models a run evaluated) are not kept.
    services.run_log_inputs(actor=call.user, run=_run(call), datasets=datasets)
    return {}


@endpoint("POST")
def log_outputs(call: Call) -> dict:
    services.run_log_outputs(actor=call.user, run=_run(call), models=call.list("models"))
    return {}


@endpoint("GET")
def metric_history(call: Call) -> dict:
    page = call.page(default=MAX_HISTORY_PAGE, limit=MAX_HISTORY_PAGE)
    points = selectors.metric_history(_run(call), call.required("metric_key"), offset=page.offset, limit=page.fetch)
    return page.body("metrics", points, dialect.metric)


# --- logged models -------------------------------------------------------------------


def _logged_body(model: LoggedModel) -> dict:
    return {"model": dialect.logged_model(model, selectors.logged_model_metrics(model))}


@endpoint("POST")
def logged_model_create(call: Call) -> dict:
    model = services.logged_model_create(
        actor=call.user,
        experiment=_experiment(call.required("experiment_id")),
        name=call.get("name", ""),
        source_run_id=call.get("source_run_id", ""),
        model_type=call.get("model_type", ""),
        params=dialect.tag_dict(call.get("params"), what="params"),
        tags=dialect.tag_dict(call.get("tags")),
    )
    return _logged_body(model)


@endpoint("GET")
def logged_model_get(call: Call, model_id: str) -> dict:
    return _logged_body(selectors.logged_model_get(model_id))


@endpoint("PATCH")
def logged_model_finalize(call: Call, model_id: str) -> dict:
    model = selectors.logged_model_get(model_id)
    return _logged_body(services.logged_model_finalize(actor=call.user, model=model, status=call.required("status")))


logged_model = by_method(GET=logged_model_get, PATCH=logged_model_finalize)


@endpoint("PATCH")
def logged_model_set_tags(call: Call, model_id: str) -> dict:
    tags = dialect.tag_dict(call.get("tags"))
    services.logged_model_update(actor=call.user, model=selectors.logged_model_get(model_id), tags=tags)
    return {}


@endpoint("DELETE")
def logged_model_delete_tag(call: Call, model_id: str, key: str) -> dict:
    services.logged_model_update(actor=call.user, model=selectors.logged_model_get(model_id), drop_tag=key)
    return {}


@endpoint("POST")
def logged_model_log_params(call: Call, model_id: str) -> dict:
    params = dialect.tag_dict(call.get("params"), what="params")
    services.logged_model_update(actor=call.user, model=selectors.logged_model_get(model_id), params=params)
    return {}


@endpoint("POST", reads=("POST",))
def logged_model_search(call: Call) -> dict:
    found = search.parse_filter(call.get("filter"), search.LOGGED_MODELS)
    page = call.page(default=MAX_LOGGED_MODELS_PAGE, limit=1000)
    order = _logged_model_order(call.list("order_by"))
    experiment_ids = [
        inputs.whole_number(e, name="experiment_ids", minimum=0)
        for e in call.list("experiment_ids")
        if str(e).isascii() and str(e).isdigit()
    ]
    models = selectors.logged_model_search(
        experiment_ids=experiment_ids,
        where=found.where,
        annotations=found.annotations,
        order=order,
        offset=page.offset,
        limit=page.fetch,
    )
    return page.body("models", models, lambda m: dialect.logged_model(m, selectors.logged_model_metrics(m)))


def _logged_model_order(clauses: list) -> list[str]:
    """Logged-model order_by entries are objects: `{field_name, ascending}`."""
    text = []
    for clause in clauses:
        if not isinstance(clause, dict) or "field_name" not in clause:
            raise InvalidParameter("order_by entries must be {field_name, ascending} objects")
        text.append(f"{clause['field_name']} {'ASC' if clause.get('ascending', True) else 'DESC'}")
    return search.parse_order(text, search.LOGGED_MODELS, default=["-created_at", "model_id"])
