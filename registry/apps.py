from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Model registry"

    def ready(self):
        from registry import openapi, roles, spool  # noqa: F401 (openapi: registers the schema's extensions)

        post_migrate.connect(roles.grant_after_migrate(roles.ROLES), sender=self, weak=False)
        post_migrate.connect(_create_cache_tables, sender=self, weak=False)
        _forget_credentials_on_account_changes()
        # Uploads cut short by a killed worker left their spool folder behind.
        spool.sweep_at_start()


def _create_cache_tables(using: str, **_kwargs) -> None:
    """The failed-credential counters' table (settings.CACHES), made wherever `migrate`
    runs (dev.py, the container, the test database); does nothing when it exists."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


def _forget_credentials_on_account_changes() -> None:
    """A user, token, group membership or permission changed here: this process forgets
    every remembered credential check at once (others within CREDENTIALS_CACHE_SECONDS)."""
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from registry import credentials

    def forget(**_kwargs) -> None:
        credentials.forget()

    for model in (User, Token):
        post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"credentials-{model.__name__}-save")
        post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"credentials-{model.__name__}-delete")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(forget, sender=through, weak=False, dispatch_uid=f"credentials-{through.__name__}")
