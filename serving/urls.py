from django.urls import path

from . import views

app_name = "serving"

urlpatterns = [
    path("model/<str:name>/invocations", views.invocations, name="invocations-latest"),
    path("model/<str:name>/<str:ref>/invocations", views.invocations, name="invocations"),
    path("ping", views.ping, name="ping"),
    path("health", views.health_view, name="health"),
]
