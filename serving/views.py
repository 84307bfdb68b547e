"""Invocations, liveness and readiness: plain Django views (no DRF on the request path),
JSON in and out through orjson."""

from __future__ import annotations

import orjson
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from registry_site.errors import RegistryError, error_response_body, finished

from . import access, health
from .decoding import decode, media_type, read_body
from .predict import score, servable_for
from .resolution import LATEST, resolve

JSON_TYPE = "application/json"


@csrf_exempt  # token and Basic credentials only: no cookie, so nothing to forge
def invocations(request, name: str, ref: str = LATEST) -> HttpResponse:
    if request.method != "POST":
        return _method_not_allowed(request, "POST")
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
    response["X-Model-Name"] = version.model.name
    response["X-Model-Version"] = str(version.version)
    response["X-Model-Runtime"] = runtime
    return response


def ping(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(request, "GET")
    return _json({"status": "ok"})


def health_view(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(request, "GET")
    state = health.checks()
    ready = all(value == "ok" for value in state.values())
    return _json({"status": "ok" if ready else "unavailable", **state}, status=200 if ready else 503)


def _json(body: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), content_type=JSON_TYPE, status=status, headers=headers)


def _error(exc: RegistryError) -> HttpResponse:
    status, body = error_response_body(exc)
    return finished(_json(body, status=status, headers=exc.headers))


def _method_not_allowed(request, allowed: str) -> HttpResponse:
    body = {"error_code": "METHOD_NOT_ALLOWED", "message": f"{request.method} is not allowed here; use {allowed}"}
    response = _json(body, status=405)
    response["Allow"] = allowed
    return response
