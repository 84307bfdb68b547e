"""Who may call an invocation: the caller named by the Authorization header
(registry_site.access: tokens and HTTP Basic, remembered briefly so steady traffic costs
no database query), checked here rather than through DRF so the request path stays a
plain view."""

from __future__ import annotations

from django.conf import settings

from registry.auth import READ
from registry_site.access import may_read, user_for_header
from registry_site.errors import Forbidden, Unauthenticated


def authorize_read(request) -> None:
    """Return if the request may call invocations; raise Unauthenticated (401) or
    Forbidden (403) otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        if settings.REGISTRY_PUBLIC_READ:
            return
        raise Unauthenticated("credentials are required: send 'Authorization: Token <key>', Bearer or Basic")
    user = user_for_header(header, request)
    if not may_read(user, READ):
        raise Forbidden(f"user {user.get_username()} may not read models (needs the viewers role)")
