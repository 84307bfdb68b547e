"""Input limits every surface shares: what the server refuses before it reaches the
database or a recursive parser, always with a 4xx naming the field or parameter.

- Request bodies: read up to a limit (413 naming the setting); JSON bodies of the APIs up
  to Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB by default).
- JSON (`parse_json`, the one parser for every JSON body and JSON form field): at most
  MAX_JSON_DEPTH levels of nesting; no NUL (\\u0000) in any string or key (PostgreSQL
  cannot store it); no NaN or Infinity (not JSON: PostgreSQL's jsonb refuses them, and no
  JSON answer could carry them; MLflow sends non-finite metric values as the strings
  "NaN", "Infinity", "-Infinity", which stay accepted where MLflow allows them).
- Whole numbers (`whole_number`): within a signed 64-bit column unless narrower.
- The middleware: NUL in the path, the query string, a form field or the Authorization
  credentials is refused before any view runs; a database that cannot be reached answers
  503 TEMPORARILY_UNAVAILABLE with Retry-After instead of a 500.
"""

from __future__ import annotations

import binascii
import json
import math
from base64 import b64decode
from itertools import chain, compress
from typing import Any

import orjson
from django.conf import settings
from rest_framework.parsers import BaseParser

from registry_site.errors import (
    InvalidParameter,
    MalformedRequest,
    PayloadTooLarge,
    error_response,
    is_database_outage,
    wants_json,
)

MAX_JSON_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_CONTAINERS = (dict, list)
_CONTAINER_TYPES = frozenset(_CONTAINERS)
FORM = "application/x-www-form-urlencoded"


# --- bodies ------------------------------------------------------------------------------


def read_at_most(stream, limit: int, *, setting: str, meta: dict) -> bytes:
    """The whole body of `stream` (a request), refused with 413 naming `setting` past
    `limit` bytes: the declared length is checked first, and at most limit + 1 bytes read."""
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > limit else stream.read(limit + 1)
    if declared > limit or len(body) > limit:
        raise too_large("the request body", limit, setting=setting)
    return body


def too_large(what: str, limit: int, *, setting: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"{what} is larger than {setting} ({limit} bytes), the largest accepted")


def json_body(stream, meta: dict) -> bytes:
    """The body of a JSON API call, within Django's DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:  # Django's "no limit"
        return stream.read()
    return read_at_most(stream, limit, setting="DATA_UPLOAD_MAX_MEMORY_SIZE", meta=meta)


# --- JSON --------------------------------------------------------------------------------


def parse_json(raw: bytes | str, *, field: str = "") -> Any:
    """The JSON document in `raw`, or InvalidParameter naming the field at fault (`field`
    prefixes the names: the form field the JSON text came in). orjson parses without
    recursing in Python and refuses NaN/Infinity itself; depth and NUL are checked on the
    result only when the raw text could break them, so large flat bodies cost one pass."""
    text = raw.encode() if isinstance(raw, str) else raw
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        _explain(text, exc, field)
    if text.count(b"[") + text.count(b"{") > MAX_JSON_DEPTH:
        _check_depth(value, field)
    if b"\\u0000" in text:
        _check_nul(value, field)
    return value


def json_of_kind(value: Any, kind: type) -> Any:
    """`value` (JSON text, or already parsed) as a JSON object (`kind` dict) or list, for
    the form fields that carry JSON text; InvalidParameter saying what is wrong."""
    parsed = parse_json(value) if isinstance(value, str) else value
    if not isinstance(parsed, kind):
        raise InvalidParameter(f"must be a JSON {'object' if kind is dict else 'list'}")
    return parsed


def _check_depth(value: Any, field: str) -> None:
    level = [value] if isinstance(value, _CONTAINERS) else []
    for _ in range(MAX_JSON_DEPTH):
        children = list(chain.from_iterable(c.values() if type(c) is dict else c for c in level))
        # Filtered at C speed: a batch of a million values costs a fraction of its parsing.
        level = list(compress(children, map(_CONTAINER_TYPES.__contains__, map(type, children))))
        if not level:
            return
    raise _too_deep(field)


def _too_deep(field: str) -> InvalidParameter:
    where = field or "the JSON document"
    return InvalidParameter(f"{where} is nested deeper than {MAX_JSON_DEPTH} levels, the most accepted")


def _walk(value: Any, field: str):
    """(path, value) of every key and value, depth first, without recursion."""
    pending = [(field, value)]
    while pending:
        path, item = pending.pop()
        yield path, item
        if isinstance(item, dict):
            for key, child in item.items():
                yield f"{path}.{key}" if path else key, key
                pending.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", child) for index, child in enumerate(item))


def _check_nul(value: Any, field: str) -> None:
    for path, item in _walk(value, field):
        if isinstance(item, str):
            without_nul(item, field=path.replace("\x00", "\\u0000") or "the JSON document")


def without_nul(text: str, *, field: str) -> str:
    """`text`, unless it holds a NUL character, which PostgreSQL cannot store in text."""
    if "\x00" in text:
        raise InvalidParameter(f"{_shown(field)} holds a NUL character (\\u0000), which is not accepted")
    return text


class _NonFinite(float):
    """NaN or Infinity as the lenient parser met it, remembering how it was written."""

    def __new__(cls, token: str):
        number = super().__new__(cls, token)
        number.token = token
        return number


def _lenient_float(token: str) -> float:
    number = float(token)
    return number if math.isfinite(number) else _NonFinite(token)


def _explain(text: bytes, exc: orjson.JSONDecodeError, field: str):
    """Raise why orjson refused `text`, naming the field when the cause is a non-finite
    number or the nesting: the lenient stdlib parser (only ever on refused input) finds where."""
    if "depth limit" in str(exc):
        raise _too_deep(field)
    try:
        lenient = json.loads(text, parse_constant=_NonFinite, parse_float=_lenient_float)
    except RecursionError:
        raise _too_deep(field) from None
    except ValueError:
        lenient = None
    else:
        _check_depth(lenient, field)
    for path, item in _walk(lenient, field):
        if isinstance(item, _NonFinite):
            where = path or "the JSON document"
            raise InvalidParameter(
                f"{_shown(where)} is {item.token}: NaN and Infinity are not JSON numbers; send null or a finite number"
            )
    raise MalformedRequest(f"{field + ': ' if field else ''}not valid JSON: {exc}")


def _shown(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."


class JSONParser(BaseParser):
    """DRF's parser for application/json bodies of the native and lineage APIs: the
    shared limits, and DATA_UPLOAD_MAX_MEMORY_SIZE, which DRF's own parser does not apply."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        body = json_body(stream, parser_context["request"].META)
        return parse_json(body)


# --- whole numbers -----------------------------------------------------------------------


def whole_number(value: Any, *, name: str, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """`value` (an int, an exact integral float or its text) as an int from `minimum` to
    `maximum`, by default what a signed 64-bit column holds; else InvalidParameter naming it."""
    try:
        # A float only when exact: JSON parsers turn integers past 64 bits into rounded floats.
        if isinstance(value, bool) or (isinstance(value, float) and not (value.is_integer() and abs(value) < 2**53)):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameter(f"{name} must be a whole number, got {_shown(repr(value))}") from None
    if not minimum <= number <= maximum:
        raise InvalidParameter(f"{name} must be from {minimum} to {maximum}, got {_shown(str(number))}")
    return number


# --- before and around every view --------------------------------------------------------


class InputLimitsMiddleware:
    """NUL characters refused wherever the request carries text to a view (400 naming
    where), and a database outage answered 503 (JSON under the API prefixes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _nul_in_request(request)
        if problem:
            return error_response(request, InvalidParameter(problem))
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_outage(exception):
            return error_response(request, exception)
        return None


def _nul_in_request(request) -> str | None:
    for segment in request.path_info.split("/"):
        if "\x00" in segment:
            return f"the path segment {_escaped(segment)!r} holds a NUL character (%00), which is not accepted"
    fields = [("query parameter", request.GET)]
    # Forms are the pages' (the APIs read their bodies themselves: `curl -d @event.json`
    # sends JSON labelled as a form); multipart bodies are left to the views' upload handlers.
    if not wants_json(request) and request.method == "POST" and request.content_type == FORM:
        fields.append(("form field", request.POST))
    for kind, data in fields:
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return f"{kind} {_escaped(key)!r} holds a NUL character (%00), which is not accepted"
    if _nul_in_credentials(request.META.get("HTTP_AUTHORIZATION", "")):
        return "the Authorization header's credentials hold a NUL character, which is not accepted"
    return None


def _nul_in_credentials(header: str) -> bool:
    if "\x00" in header:
        return True
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        return b"\x00" in b64decode(encoded.strip(), validate=False)
    except (binascii.Error, ValueError):
        return False  # not Basic credentials at all: authentication says so


def _escaped(text: str) -> str:
    return _shown(text.replace("\x00", "%00"), 100)
