"""The serving errors that the shared `RegistryError` family does not already have."""

from __future__ import annotations

from registry_site.errors import RegistryError


class MalformedRequest(RegistryError):
    status = 400
    code = "MALFORMED_REQUEST"


class UnsupportedMediaType(RegistryError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
