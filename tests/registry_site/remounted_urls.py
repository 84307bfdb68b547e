"""The whole site mounted under /elsewhere/: pages that link by URL name follow it."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("registry_site.urls"))]
