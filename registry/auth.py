"""The registry's permissions, held by the role groups (registry.roles). Credentials and
the read policy they plug into are site-wide: registry_site.access."""

from __future__ import annotations

from registry_site.access import RoleAccess

READ = "registry.view_registeredmodel"
UPLOAD = "registry.add_modelversion"
CREATE_MODEL = "registry.add_registeredmodel"
EDIT_MODEL = "registry.change_registeredmodel"
DELETE_MODEL = "registry.delete_registeredmodel"
PROMOTE = "registry.promote_modelversion"


class CanRead(RoleAccess):
    """Reads need READ; writes the permission each view names in `write_permissions`."""

    read_permission = READ
