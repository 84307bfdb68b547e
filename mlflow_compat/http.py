"""The HTTP side of the MLflow dialect: who is calling, what they sent, and answers
in MLflow's form. Success is HTTP 200 exactly (the client treats 201 and 204 as
failures); errors are `{"error_code", "message"}` with MLflow's codes, and never a
status the client retries (429, 5xx) for an error that would only happen again.

Views are plain Django functions: GET reads the query string (lists as repeated
keys), every other method a JSON body, DELETE included.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import APIException

from mlflow_compat import search
from registry.auth import READ
from registry_site import access, inputs
from registry_site.errors import (
    Forbidden,
    InvalidParameter,
    MalformedRequest,
    RegistryError,
    Unauthenticated,
    error_response_body,
    finished,
    handler404,
)

CHALLENGE = 'Bearer realm="mlflow", Basic realm="mlflow"'


# Where the registry's own error differs from what an MLflow server answers.
_MLFLOW_ERRORS = {
    "RESOURCE_ALREADY_EXISTS": (400, "RESOURCE_ALREADY_EXISTS"),
    "REFUSED_CONTENT": (400, "INVALID_PARAMETER_VALUE"),
    # Deterministic: as a 500 the client would retry it for minutes.
    "ARTIFACT_INTEGRITY_ERROR": (409, "INVALID_STATE"),
    "METHOD_NOT_ALLOWED": (404, "ENDPOINT_NOT_FOUND"),
    # A code the client knows, at the status it expects for it; the checks stay in the body.
    "PROMOTION_BLOCKED": (409, "RESOURCE_CONFLICT"),
}


def error(exc: Exception) -> JsonResponse:
    status, body = error_response_body(exc)
    status, code = _MLFLOW_ERRORS.get(body["error_code"], (status, body["error_code"]))
    response = JsonResponse({**body, "error_code": code}, status=status, headers=getattr(exc, "headers", None))
    if status == 401:
        response["WWW-Authenticate"] = CHALLENGE
    return finished(response)


# --- who is calling ------------------------------------------------------------------


def caller(request):
    """The user the Authorization header names (Token/Bearer key, or Basic), or anonymous.
    The same check as the rest of the registry's hot paths: a good one is remembered for
    a few seconds per process, since the client sends its credentials on every call of a
    flow of dozens (and Basic passwords cost a deliberately slow hash)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return access.user_for_header(header, request) if header else AnonymousUser()


def authorize(request, *, write: bool):
    """The calling user, if they may make this call at all: reads need the read role
    (or public read), writes need credentials (the services check the role)."""
    user = caller(request)
    if not user.is_authenticated and (write or not settings.REGISTRY_PUBLIC_READ):
        raise Unauthenticated(
            "credentials are required: set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD"
        )
    if not write and not access.may_read(user, READ):
        raise Forbidden(f"{user.get_username()} may not read the registry (needs the viewers role)")
    return user


# --- what they sent ------------------------------------------------------------------


class Call:
    """One request's user and fields: the query string for GET, else the JSON body."""

    def __init__(self, request, user, *, raw_body: bool = False):
        self.request, self.user = request, user
        self._fields = request.GET if request.method == "GET" or raw_body else _json_body(request)

    def get(self, name: str, default=None):
        value = self._fields.get(name)
        return default if value is None else value

    def required(self, name: str):
        value = self.get(name)
        if value in (None, ""):
            raise InvalidParameter(f"Missing value for required parameter '{name}'.")
        return value

    def list(self, name: str) -> list:
        if hasattr(self._fields, "getlist"):
            return self._fields.getlist(name)
        value = self._fields.get(name) or []
        if not isinstance(value, list):
            raise InvalidParameter(f"{name} must be a list")
        return value

    def page(self, *, default: int, limit: int) -> search.Page:
        """The page of a listing asked for with `max_results` and `page_token`."""
        return search.Page.asked(self.get("max_results"), self.get("page_token"), default=default, limit=limit)

    def bool(self, name: str) -> bool:
        value = self.get(name, False)
        return value if isinstance(value, bool) else str(value).lower() == "true"


def _json_body(request) -> dict:
    raw = inputs.json_body(request, request.META)
    if not raw:
        return request.GET
    body = inputs.parse_json(raw)
    if not isinstance(body, dict):
        raise MalformedRequest("the request body must be a JSON object")
    return body


# --- answering -----------------------------------------------------------------------


def endpoint(*methods: str, reads: tuple[str, ...] = ("GET",), raw_body: bool = False):
    """An MLflow endpoint answering `methods`; those in `reads` need the read role,
    the others credentials. The view takes a Call and returns a dict (sent as 200)
    or a ready response. With `raw_body` the body is left for the view to stream."""

    def decorate(view):
        @csrf_exempt  # tokens and Basic credentials only: no cookie to forge a request with
        @functools.wraps(view)
        def handle(request, **kwargs):
            if request.method not in methods:
                return handler404(request)  # JSON ENDPOINT_NOT_FOUND: the client may fall back
            try:
                call = Call(request, authorize(request, write=request.method not in reads), raw_body=raw_body)
                answer = view(call, **kwargs)
            except (RegistryError, APIException) as exc:
                return error(exc)
            return answer if isinstance(answer, HttpResponseBase) else JsonResponse(answer or {})

        return handle

    return decorate


def by_method(**views):
    """One URL served by a view per method (e.g. GET, POST and DELETE of an alias)."""

    @csrf_exempt
    def route(request, **kwargs):
        view = views.get(request.method)
        return view(request, **kwargs) if view else handler404(request)

    return route
