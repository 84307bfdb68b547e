"""The body of `POST /api/v1/lineage`: one JSON event, maybe gzip-compressed, within
LINEAGE_MAX_EVENT_BYTES (checked before and after decompression, so neither a large
body nor a small gzip bomb is ever held whole in memory)."""

from __future__ import annotations

import zlib

import orjson
from django.conf import settings

from registry_site.errors import InvalidParameter, PayloadTooLarge


def read_event(request) -> tuple[object, int]:
    """The decoded JSON document and its size in bytes once decompressed."""
    limit = settings.LINEAGE_MAX_EVENT_BYTES
    raw = _read_at_most(request, limit)
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding == "gzip":
        raw = _gunzip(raw, limit)
    elif encoding not in ("", "identity"):
        raise InvalidParameter(f"Content-Encoding {encoding!r} is not supported: send gzip or no encoding")
    if not raw.strip():
        raise InvalidParameter("the request body is empty: send one OpenLineage event as JSON")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"the request body is not valid JSON: {exc}") from None
    if b"\\u0000" in raw and _holds_nul(document):
        raise InvalidParameter("the event holds a \\u0000 (NUL) character, which cannot be stored")
    return document, len(raw)


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _too_large(what: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"{what} is larger than LINEAGE_MAX_EVENT_BYTES ({limit} bytes), the largest event accepted")


def _read_at_most(request, limit: int) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise _too_large("the request body", limit)
    # request.read, not request.body: the body bypasses DATA_UPLOAD_MAX_MEMORY_SIZE,
    # since this endpoint has its own, documented limit.
    body = request.read(limit + 1)
    if len(body) > limit:
        raise _too_large("the request body", limit)
    return body


def _gunzip(raw: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise InvalidParameter(f"the body is not valid gzip ({exc})") from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise _too_large("the decompressed event", limit)
    if not inflater.eof:
        raise InvalidParameter("the gzip body is truncated")
    return body
