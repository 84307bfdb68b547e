from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LineageConfig(AppConfig):
    name = "lineage"
    verbose_name = "Lineage"

    def ready(self):
        from lineage.roles import ROLES
        from registry.roles import grant_after_migrate

        post_migrate.connect(grant_after_migrate(ROLES), sender=self, weak=False)
