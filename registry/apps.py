from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Model registry"

    def ready(self):
        from registry import openapi, roles, spool  # noqa: F401 (openapi: registers the schema's extensions)
        from registry_site import access

        post_migrate.connect(access.grant_after_migrate(roles.ROLES), sender=self, weak=False)
        post_migrate.connect(_create_cache_tables, sender=self, weak=False)
        access.forget_on_account_changes()
        # Uploads cut short by a killed worker left their spool folder behind.
        spool.sweep_at_start()


def _create_cache_tables(using: str, **_kwargs) -> None:
    """The failed-credential counters' table (settings.CACHES), made wherever `migrate`
    runs (dev.py, the container, the test database); does nothing when it exists."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
