"""The body of `POST /api/v1/lineage`: one JSON event, maybe gzip-compressed, within
LINEAGE_MAX_EVENT_BYTES (checked before and after decompression, so neither a large
body nor a small gzip bomb is ever held whole in memory)."""

from __future__ import annotations

import zlib

from django.conf import settings

from registry_site import inputs
from registry_site.errors import InvalidParameter

SETTING = "LINEAGE_MAX_EVENT_BYTES"


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
    # Depth, NUL (which PostgreSQL cannot store) and NaN are refused there, naming the field.
    return inputs.parse_json(raw), len(raw)


def _read_at_most(request, limit: int) -> bytes:
    # request.read, not request.body: the body bypasses DATA_UPLOAD_MAX_MEMORY_SIZE,
    # since this endpoint has its own, documented limit.
    return inputs.read_at_most(request, limit, setting=SETTING, meta=request.META)


def _gunzip(raw: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise InvalidParameter(f"the body is not valid gzip ({exc})") from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise inputs.too_large("the decompressed event", limit, setting=SETTING)
    if not inflater.eof:
        raise InvalidParameter("the gzip body is truncated")
    return body
