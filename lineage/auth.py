"""Who may post and read lineage: lineage's own permissions, held by the role groups
(lineage.roles). Reads are public when REGISTRY_PUBLIC_READ is on, as everywhere
(registry_site.access)."""

from __future__ import annotations

from registry_site.access import RoleAccess

READ = "lineage.view_lineageevent"
POST = "lineage.add_lineageevent"


class LineageAccess(RoleAccess):
    """Reads need READ (or public read); posting an event needs credentials and POST."""

    read_permission = READ
    write_permission = POST
