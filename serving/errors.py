"""The serving errors that the shared `RegistryError` family does not already have."""

from __future__ import annotations

from registry_site.errors import RegistryError


class UnsupportedMediaType(RegistryError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class MethodNotAllowed(RegistryError):
    status = 405
    code = "METHOD_NOT_ALLOWED"

    def __init__(self, method: str, allowed: str):
        super().__init__(f"{method} is not allowed here; use {allowed}")
        self.headers["Allow"] = allowed
