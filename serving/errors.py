"""The serving errors that the shared `RegistryError` family does not already have."""

from __future__ import annotations

from registry_site.errors import RegistryError


class UnsupportedMediaType(RegistryError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
