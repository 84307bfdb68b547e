from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Model registry"

    def ready(self):
        from registry import roles

        post_migrate.connect(roles.grant_after_migrate(roles.ROLES), sender=self, weak=False)
