"""Routes of the MLflow-compatible API, mounted at the site root.

Every RPC answers under `/api/2.0/mlflow/` and, as on an MLflow server, under
`/ajax-api/2.0/mlflow/` too. Unknown paths below `/api/` fall through to the site's
JSON 404 (`ENDPOINT_NOT_FOUND`), which the client needs for its fallbacks.
"""

from django.urls import include, path

from mlflow_compat.views import artifacts, model_registry, tracking

app_name = "mlflow_compat"

R, T = model_registry, tracking

rpc = [
    path("registered-models/create", R.registered_model_create),
    path("registered-models/get", R.registered_model_get),
    path("registered-models/rename", R.registered_model_rename),
    path("registered-models/update", R.registered_model_update),
    path("registered-models/delete", R.registered_model_delete),
    path("registered-models/search", R.registered_model_search),
    path("registered-models/get-latest-versions", R.latest_versions),
    path("registered-models/set-tag", R.registered_model_set_tag),
    path("registered-models/delete-tag", R.registered_model_delete_tag),
    path("registered-models/alias", R.alias),
    path("model-versions/create", R.version_create),
    path("model-versions/get", R.version_get),
    path("model-versions/update", R.version_update),
    path("model-versions/transition-stage", R.version_transition_stage),
    path("model-versions/delete", R.version_delete),
    path("model-versions/search", R.version_search),
    path("model-versions/get-download-uri", R.version_download_uri),
    path("model-versions/set-tag", R.version_set_tag),
    path("model-versions/delete-tag", R.version_delete_tag),
    path("experiments/get-by-name", T.experiment_get_by_name),
    path("experiments/get", T.experiment_get),
    path("experiments/create", T.experiment_create),
    path("experiments/search", T.experiment_search),
    path("runs/create", T.run_create),
    path("runs/update", T.run_update),
    path("runs/get", T.run_get),
    path("runs/log-parameter", T.log_parameter),
    path("runs/log-metric", T.log_metric),
    path("runs/log-batch", T.log_batch),
    path("runs/set-tag", T.set_tag),
    path("runs/delete-tag", T.delete_tag),
    path("runs/log-inputs", T.log_inputs),
    path("runs/outputs", T.log_outputs),
    path("metrics/get-history", T.metric_history),
    path("logged-models", T.logged_model_create),
    path("logged-models/search", T.logged_model_search),
    path("logged-models/<str:model_id>", T.logged_model),
    path("logged-models/<str:model_id>/tags", T.logged_model_set_tags),
    path("logged-models/<str:model_id>/tags/<path:key>", T.logged_model_delete_tag),
    path("logged-models/<str:model_id>/params", T.logged_model_log_params),
]


urlpatterns = [
    path("api/2.0/mlflow/", include(rpc)),
    path("ajax-api/2.0/mlflow/", include(rpc)),
    path("api/2.0/mlflow-artifacts/artifacts", artifacts.listing),
    path("api/2.0/mlflow-artifacts/artifacts/<path:path>", artifacts.artifact, name="artifact"),
    path("ajax-api/2.0/mlflow-artifacts/artifacts", artifacts.listing),
    path("ajax-api/2.0/mlflow-artifacts/artifacts/<path:path>", artifacts.artifact),
    path("api/3.0/mlflow/server-info", artifacts.server_info),
    path("ajax-api/3.0/mlflow/server-info", artifacts.server_info),
]
