from django.urls import path

from . import oip_views, views

app_name = "serving"

urlpatterns = [
    path("model/<str:name>/invocations", views.invocations, name="invocations-latest"),
    path("model/<str:name>/<str:ref>/invocations", views.invocations, name="invocations"),
    path("ping", views.ping, name="ping"),
    path("health", views.health_view, name="health"),
    # The Open Inference Protocol (KServe V2); <ref> is a version number, latest, a stage or an alias.
    path("v2", oip_views.server_metadata, name="oip-server"),
    path("v2/health/live", oip_views.server_live, name="oip-live"),
    path("v2/health/ready", oip_views.server_ready, name="oip-ready"),
    path("v2/models/<str:name>", oip_views.model_metadata, name="oip-model-latest"),
    path("v2/models/<str:name>/versions/<str:ref>", oip_views.model_metadata, name="oip-model"),
    path("v2/models/<str:name>/ready", oip_views.model_ready, name="oip-model-ready-latest"),
    path("v2/models/<str:name>/versions/<str:ref>/ready", oip_views.model_ready, name="oip-model-ready"),
    path("v2/models/<str:name>/infer", oip_views.infer, name="oip-infer-latest"),
    path("v2/models/<str:name>/versions/<str:ref>/infer", oip_views.infer, name="oip-infer"),
]
