"""The roles of DESIGN §5 as groups holding model permissions.

Granted by each app's data migration and again after every `migrate` (post_migrate), so
a database whose groups were flushed or edited by hand gets its roles back."""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

READ = ["view_registeredmodel", "view_modelversion", "view_alias", "view_auditentry"]
ROLES = {
    "viewers": READ,
    "uploaders": [*READ, "add_registeredmodel", "change_registeredmodel", "add_modelversion", "change_modelversion"],
    "promoters": [*READ, "promote_modelversion", "delete_registeredmodel", "delete_modelversion"],
}


def grant(app_label: str, roles: dict[str, list[str]], apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the role groups if missing and give them `app_label`'s permissions."""
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config(app_label)
    if apps is not global_apps:
        # In a migration the permissions do not exist yet: Django makes them after all
        # migrations ran, and only for app configs that say they have models.
        config.models_module = True
    create_permissions(config, apps=apps, verbosity=0, using=using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in roles.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        permissions = Permission.objects.using(using).filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*permissions)


def grant_after_migrate(roles: dict[str, list[str]]):
    """A post_migrate receiver granting `roles` for the app config that sent the signal."""

    def receiver(sender, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs):
        grant(sender.label, roles, apps=apps, using=using)

    return receiver
