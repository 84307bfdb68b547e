"""Who may post and read lineage: lineage's own permissions, held by the role groups
(migration 0002). Reads are public when REGISTRY_PUBLIC_READ is on, as in the registry."""

from __future__ import annotations

from django.conf import settings
from rest_framework import permissions

READ = "lineage.view_lineageevent"
POST = "lineage.add_lineageevent"


def may_read(user) -> bool:
    if settings.REGISTRY_PUBLIC_READ:
        return True
    return bool(user and user.is_authenticated and user.has_perm(READ))


class LineageAccess(permissions.BasePermission):
    """Reads need READ (or public read); posting an event needs credentials and POST."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return may_read(request.user)
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(POST))
