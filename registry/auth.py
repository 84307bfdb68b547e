"""Credentials and roles for the API.

Tokens are DRF's own (`drf_create_token`, the admin), accepted with either the
`Token` or the `Bearer` keyword (the MLflow and OpenLineage clients send Bearer).
Roles are Django groups holding model permissions (see migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import authentication, permissions

from registry_site import throttling

READ = "registry.view_registeredmodel"
UPLOAD = "registry.add_modelversion"
CREATE_MODEL = "registry.add_registeredmodel"
EDIT_MODEL = "registry.change_registeredmodel"
DELETE_MODEL = "registry.delete_registeredmodel"
PROMOTE = "registry.promote_modelversion"


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's, with failures counted and the lookup refused (429) past the limits
    (registry_site.throttling)."""

    keyword = "Token"

    def authenticate(self, request):
        self.request = request  # DRF makes authenticators per request and does not pass it on
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        with throttling.guarded(self.request):
            return super().authenticate_credentials(key)


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's, with failures counted and the password hash refused (429) past the limits."""

    def authenticate_credentials(self, userid, password, request=None):
        with throttling.guarded(request, userid):
            return super().authenticate_credentials(userid, password, request)


def may_read(user) -> bool:
    if settings.REGISTRY_PUBLIC_READ:
        return True
    return bool(user and user.is_authenticated and user.has_perm(READ))


class CanRead(permissions.BasePermission):
    """Reads need the read role (or public read); writes need credentials plus the
    permission the view names for the method in `write_permissions` (services check it
    again; checking here too refuses before a large body is read)."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return may_read(request.user)
        if not (request.user and request.user.is_authenticated):
            return False
        needed = getattr(view, "write_permissions", {}).get(request.method)
        return needed is None or request.user.has_perm(needed)
