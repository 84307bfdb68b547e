"""One error family for every app, and the one place that turns errors into HTTP.

Services raise `RegistryError` subclasses; the API exception handler below and the
plain-Django views (serving, MLflow dialect) render them as `{"error_code", "message"}`.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

# What a 503 tells clients (the MLflow client honours it) to wait before trying again.
RETRY_AFTER_SECONDS = 5
# What a 401 answers with: the credentials every API takes (registry_site.access).
CHALLENGE = 'Token realm="api", Bearer realm="api", Basic realm="api"'


class RegistryError(Exception):
    """Base of every error a client can cause or be told about."""

    status = 400
    code = "INVALID_PARAMETER_VALUE"

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.headers: dict[str, str] = {}  # sent with the error's response (e.g. Retry-After)

    def as_dict(self) -> dict:
        body = {"error_code": self.code, "message": self.message}
        body.update(self.details)
        return body


class Unauthenticated(RegistryError):
    status = 401
    code = "UNAUTHENTICATED"


class InvalidParameter(RegistryError):
    status = 400
    code = "INVALID_PARAMETER_VALUE"


class MalformedRequest(RegistryError):
    """The request could not be read at all (not JSON, not CSV, refused by Django)."""

    status = 400
    code = "MALFORMED_REQUEST"


class Forbidden(RegistryError):
    status = 403
    code = "PERMISSION_DENIED"


class NotFound(RegistryError):
    status = 404
    code = "RESOURCE_DOES_NOT_EXIST"


class AlreadyExists(RegistryError):
    status = 409
    code = "RESOURCE_ALREADY_EXISTS"


class Conflict(RegistryError):
    """The request is well formed but the state it acts on does not allow it."""

    status = 409
    code = "INVALID_STATE"


class PromotionBlocked(RegistryError):
    """A policy's checks failed: nothing was changed. `details["checks"]` says which."""

    status = 409
    code = "PROMOTION_BLOCKED"


class PayloadTooLarge(RegistryError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class RefusedContent(RegistryError):
    """The bytes were understood and refused: unsafe imports, bad archive, unknown format."""

    status = 422
    code = "REFUSED_CONTENT"


class IntegrityFailure(RegistryError):
    """Stored bytes no longer match their recorded sha256: never deserialize them."""

    status = 500
    code = "ARTIFACT_INTEGRITY_ERROR"


class TooManyAttempts(RegistryError):
    """Too many failed credential checks lately from this address or for this username;
    nothing was checked. MLflow's own code for 429, so its client waits and retries."""

    status = 429
    code = "REQUEST_LIMIT_EXCEEDED"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(retry_after)


class StorageUnavailable(RegistryError):
    status = 503
    code = "TEMPORARILY_UNAVAILABLE"


# --- rendering ---------------------------------------------------------------------

_DRF_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def _flatten(detail, prefix: str = "") -> list[str]:
    """DRF validation details as "field: message" lines, nested fields dotted."""
    if isinstance(detail, dict):
        lines = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            lines += _flatten(value, f"{prefix}{name}." if name else prefix)
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in _flatten(item, prefix)]
    field = prefix.rstrip(".")
    return [f"{field}: {detail}" if field else str(detail)]


def is_database_outage(exc: BaseException | None) -> bool:
    """Connection refused, server gone, statement cancelled, database locked: the
    database's state, not the request's, so 503 and not 500."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


def error_response_body(exc: Exception) -> tuple[int, dict] | None:
    """(status, body) for any error we know how to explain, else None."""
    from django.core.exceptions import PermissionDenied, RequestDataTooBig
    from django.http import Http404, UnreadablePostError
    from rest_framework import exceptions

    if isinstance(exc, RegistryError):
        return exc.status, exc.as_dict()
    if isinstance(exc, UnreadablePostError):  # the client went away mid-body: nobody reads this
        return 400, {"error_code": "MALFORMED_REQUEST", "message": f"the request body could not be read: {exc}"}
    if is_database_outage(exc):
        log.error("the database could not be used, answering 503: %s", exc)
        return 503, {
            "error_code": "TEMPORARILY_UNAVAILABLE",
            "message": "the database is unavailable; try again shortly",
        }
    if isinstance(exc, RequestDataTooBig):
        return 413, {"error_code": "PAYLOAD_TOO_LARGE", "message": str(exc)}
    if isinstance(exc, Http404):
        return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": str(exc) or "Not found."}
    if isinstance(exc, PermissionDenied):
        return 403, {"error_code": "PERMISSION_DENIED", "message": str(exc) or "Not allowed."}
    if isinstance(exc, exceptions.APIException):
        status = 401 if isinstance(exc, exceptions.NotAuthenticated) else exc.status_code
        message = "; ".join(_flatten(exc.detail)) if isinstance(exc, exceptions.ValidationError) else str(exc.detail)
        if isinstance(exc, exceptions.ParseError):
            return 400, {"error_code": "MALFORMED_REQUEST", "message": message}
        return status, {"error_code": _DRF_CODES.get(status, "ERROR"), "message": message}
    return None


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every API error has the same JSON shape."""
    from rest_framework.response import Response

    known = error_response_body(exc)
    if known is None:
        return None  # a real bug: let Django log it and answer 500
    status, body = known
    return finished(Response(body, status=status, headers=getattr(exc, "headers", None)))


def finished(response):
    """Headers every error response of its status carries, whichever surface made it (a
    surface with a challenge of its own, as the MLflow dialect's, sets it first)."""
    if response.status_code == 401:
        response.setdefault("WWW-Authenticate", CHALLENGE)
    if response.status_code == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def wants_json(request) -> bool:
    """Under the prefixes where the API surfaces speak JSON (errors included)."""
    return request.path.startswith(("/api/", "/ajax-api/", "/model/", "/v2/"))


def error_response(request, exc: Exception):
    """`exc` answered outside any view's own handling (middleware, Django's error
    handlers): JSON under the API prefixes, a short plain-text page elsewhere."""
    from django.http import HttpResponse, JsonResponse

    status, body = error_response_body(exc) or (500, {"error_code": "INTERNAL_ERROR", "message": "The server failed."})
    if wants_json(request):
        return finished(JsonResponse(body, status=status))
    return finished(HttpResponse(body["message"], status=status, content_type="text/plain; charset=utf-8"))


def handler400(request, exception=None):
    """JSON under the API prefixes: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413
    PAYLOAD_TOO_LARGE, anything else Django refuses (SuspiciousOperation) 400."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
    from django.views.defaults import bad_request

    if not wants_json(request):
        return bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, exception)
    # Other messages may repeat what the request sent (a Host header...): said only for these.
    said = str(exception) if isinstance(exception, TooManyFieldsSent | TooManyFilesSent) else "The request was refused."
    return error_response(request, MalformedRequest(said))


def handler404(request, exception=None):
    """JSON 404 under the API prefixes (the MLflow client falls back only on that); else
    the site's page, saying what was not found only when a view said it in words."""
    from django.http import JsonResponse
    from django.shortcuts import render

    if request.path.startswith("/v2/"):  # the Open Inference Protocol's error shape (serving.oip_views)
        return JsonResponse({"error": f"No endpoint at {request.path}"}, status=404)
    if wants_json(request):
        body = {"error_code": "ENDPOINT_NOT_FOUND", "message": f"No endpoint at {request.path}"}
        return JsonResponse(body, status=404)
    return render(request, "404.html", {"message": _said(exception)}, status=404)


def _said(exception) -> str:
    """A view's own Http404 message. Not the resolver's: Django's page would name its
    class (Resolver404) or show the patterns it tried."""
    from django.urls import Resolver404

    if exception is None or isinstance(exception, Resolver404):
        return ""
    said = exception.args[0] if exception.args else ""
    return said if isinstance(said, str) else ""


def handler500(request):
    """JSON under the API prefixes; 503 if the failure was the database's (one that
    escaped every view, e.g. while a middleware saved the session)."""
    from django.http import JsonResponse
    from django.views.defaults import server_error

    if is_database_outage(sys.exc_info()[1]):
        return error_response(request, sys.exc_info()[1])
    if wants_json(request):
        body = {"error_code": "INTERNAL_ERROR", "message": "The server failed; see its log."}
        return JsonResponse(body, status=500)
    return server_error(request)
