"""Invocations, liveness and readiness: plain Django views (no DRF on the request path),
JSON in and out through orjson."""

from __future__ import annotations

import orjson
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from registry_site.errors import RegistryError, error_response_body, finished

from . import access, health
from .decoding import decode, media_type, read_body
from .errors import MethodNotAllowed
from .predict import score, servable_for
from .resolution import LATEST, resolve

JSON_TYPE = "application/json"


@csrf_exempt  # token and Basic credentials only: no cookie, so nothing to forge
def invocations(request, name: str, ref: str = LATEST) -> HttpResponse:
    if request.method != "POST":
        return _error(MethodNotAllowed(request.method, "POST"))
    try:
        access.authorize_read(request)
        content_type = media_type(request)
        body = read_body(request)
        version = resolve(name, ref)
        servable = servable_for(version)
        predictions, runtime = score(servable, decode(content_type, body))
    except RegistryError as exc:
        return _error(exc)
    response = HttpResponse(predictions, content_type=JSON_TYPE)
    response["X-Model-Runtime"] = runtime
    return versioned(response, version)


def ping(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _error(MethodNotAllowed(request.method, "GET"))
    return json_response({"status": "ok"})


def health_view(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _error(MethodNotAllowed(request.method, "GET"))
    state = health.checks()
    ready = all(value == "ok" for value in state.values())
    return json_response({"status": "ok" if ready else "unavailable", **state}, status=200 if ready else 503)


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), content_type=JSON_TYPE, status=status, headers=headers)


def versioned(response: HttpResponse, version) -> HttpResponse:
    """The headers naming the version that answered, whichever protocol asked."""
    response["X-Model-Name"] = version.model.name
    response["X-Model-Version"] = str(version.version)
    return response


def _error(exc: RegistryError) -> HttpResponse:
    status, body = error_response_body(exc)
    return finished(json_response(body, status=status, headers=exc.headers))
