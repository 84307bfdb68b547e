"""Lineage pages (`urlpatterns`, mounted at /lineage/) and the Marquez-compatible API
(`api_urlpatterns`, mounted at /api/v1/). `<path:...>` lets URL-encoded namespaces such
as `s3%3A%2F%2Fbucket` through; the query-parameter forms need no encoding rules at all."""

from django.urls import path

from lineage import api, views

app_name = "lineage"

urlpatterns = [
    path("", views.graph_page, name="graph"),
    path("dataset/", views.dataset_page, name="dataset"),
    path("job/", views.job_page, name="job"),
]

api_urlpatterns = [
    path("lineage", api.LineageApi.as_view(), name="lineage"),
    path("events/lineage", api.EventsApi.as_view(), name="events"),
    path("namespaces", api.NamespacesApi.as_view(), name="namespaces"),
    path("namespaces/<path:namespace>/jobs", api.JobsApi.as_view(), name="namespace-jobs"),
    path("namespaces/<path:namespace>/datasets", api.DatasetsApi.as_view(), name="namespace-datasets"),
    path("jobs", api.JobsApi.as_view(), name="jobs"),
    path("datasets", api.DatasetsApi.as_view(), name="datasets"),
    path("jobs/runs/<str:run_id>", api.RunApi.as_view(), name="run"),
    path("search", api.SearchApi.as_view(), name="search"),
]
