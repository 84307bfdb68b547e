"""The Open Inference Protocol (KServe V2) endpoints: plain Django views over the same
credentials, resolution, loading and scoring as invocations (serving/oip.py speaks the
protocol). Errors are OIP's `{"error": "..."}` with the status invocations would give."""

from __future__ import annotations

from dataclasses import replace

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from registry.selectors import version_list
from registry_site.errors import RegistryError, StorageUnavailable, finished

from . import access, health, oip
from .decoding import Scoring, read_body
from .errors import MethodNotAllowed
from .predict import answer, servable_for
from .resolution import LATEST, resolve
from .views import json_response, versioned

SERVER = {"name": "model-registry", "version": "1", "extensions": oip.EXTENSIONS}


def server_metadata(request) -> HttpResponse:
    return _get(request, lambda: json_response(SERVER))


def server_live(request) -> HttpResponse:
    return _get(request, lambda: json_response({"live": True}))


def server_ready(request) -> HttpResponse:
    return _get(request, _server_ready)


def _server_ready() -> HttpResponse:
    problems = [f"the {name.replace('_', ' ')} is {state}" for name, state in health.checks().items() if state != "ok"]
    if problems:
        raise StorageUnavailable(f"not ready: {'; '.join(problems)}")
    return json_response({"ready": True})


def model_metadata(request, name: str, ref: str = LATEST) -> HttpResponse:
    def metadata() -> HttpResponse:
        version, servable = _served(request, name, ref)
        numbers = version_list(version.model).order_by("version").values_list("version", flat=True)
        return versioned(json_response(oip.model_metadata(version, servable, numbers)), version)

    return _get(request, metadata)


def model_ready(request, name: str, ref: str = LATEST) -> HttpResponse:
    def ready() -> HttpResponse:
        version, _servable = _served(request, name, ref)  # loaded (and verified) once, then cached
        return versioned(json_response({"name": version.model.name, "ready": True}), version)

    return _get(request, ready)


@csrf_exempt  # token and Basic credentials only: no cookie, so nothing to forge
def infer(request, name: str, ref: str = LATEST) -> HttpResponse:
    try:
        if request.method != "POST":
            raise MethodNotAllowed(request.method, "POST")
        access.authorize_read(request)
        oip.check_content_type(request)
        parsed = oip.parse(read_body(request), request.headers.get(oip.HEADER))
        version = resolve(name, ref)
        servable = servable_for(version)
        scoring = Scoring(oip.batch(parsed.tensors, servable.plan), runtime=parsed.runtime)
        answers = [(output, *answer(servable, replace(scoring, method=output.name))) for output in parsed.outputs]
    except RegistryError as exc:
        return _error(exc)
    body, header_length = oip.response(version, parsed.id, [(output, result) for output, result, _ in answers])
    response = HttpResponse(body, content_type=oip.BINARY if header_length is not None else oip.JSON)
    if header_length is not None:
        response[oip.HEADER] = str(header_length)
    response["X-Model-Runtime"] = ", ".join(dict.fromkeys(runtime for _, _, runtime in answers))
    return versioned(response, version)


def _served(request, name: str, ref: str):
    access.authorize_read(request)
    version = resolve(name, ref)
    return version, servable_for(version)


def _get(request, respond) -> HttpResponse:
    try:
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(request.method, "GET")
        return respond()
    except RegistryError as exc:
        return _error(exc)


def _error(exc: RegistryError) -> HttpResponse:
    """The one place a RegistryError becomes OIP's error body."""
    return finished(json_response({"error": exc.message}, status=exc.status, headers=exc.headers))
