"""The registry's permissions, held by the role groups (registry.roles). Credentials and
the read policy they plug into are site-wide: registry_site.access."""

from __future__ import annotations

from django.db.models import Q

from registry.models import GrantLevel, ModelGrant
from registry_site.access import RoleAccess, may_read

READ = "registry.view_registeredmodel"
UPLOAD = "registry.add_modelversion"
CREATE_MODEL = "registry.add_registeredmodel"
EDIT_MODEL = "registry.change_registeredmodel"
DELETE_MODEL = "registry.delete_registeredmodel"
PROMOTE = "registry.promote_modelversion"


# The grant on one model that stands in for each permission on every model.
_LEVEL_FOR = {
    READ: GrantLevel.READ,
    UPLOAD: GrantLevel.EDIT,
    EDIT_MODEL: GrantLevel.EDIT,
    DELETE_MODEL: GrantLevel.MANAGE,
    PROMOTE: GrantLevel.MANAGE,
}
_AT_LEAST = {
    GrantLevel.READ: [GrantLevel.READ, GrantLevel.EDIT, GrantLevel.MANAGE],
    GrantLevel.EDIT: [GrantLevel.EDIT, GrantLevel.MANAGE],
    GrantLevel.MANAGE: [GrantLevel.MANAGE],
}


def may(user, permission: str, model_name: str | None = None) -> bool:
    """`user` holds `permission` on every model (a role), or a grant on `model_name`
    that includes it (READ, EDIT or MANAGE for the user or one of its groups)."""
    if user.has_perm(permission):
        return True
    level = _LEVEL_FOR.get(permission)
    if level is None or model_name is None or not user.is_authenticated:
        return False
    holders = Q(user=user) | Q(group__in=user.groups.all())
    return ModelGrant.objects.filter(holders, model__name=model_name, level__in=_AT_LEAST[level]).exists()


class CanRead(RoleAccess):
    """Reads need READ; writes the permission each view names in `write_permissions`.
    On one model's URLs a grant on that model counts as well."""

    read_permission = READ

    def has_permission(self, request, view) -> bool:
        if super().has_permission(request, view):
            return True
        name = view.kwargs.get("name")
        if name is None or not (request.user and request.user.is_authenticated):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return may_read(request.user, READ) or may(request.user, READ, name)
        needed = getattr(view, "write_permissions", {}).get(request.method, self.write_permission)
        return needed is not None and may(request.user, needed, name)
