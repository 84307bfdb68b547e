from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LineageConfig(AppConfig):
    name = "lineage"
    verbose_name = "Lineage"

    def ready(self):
        from lineage.roles import ROLES
        from registry_site import access

        post_migrate.connect(access.grant_after_migrate(ROLES), sender=self, weak=False)
        access.forget_on_account_changes()  # the lineage API remembers credential checks
