from django.core.management.base import BaseCommand

from registry import services
from registry.models import RegisteredModel


class Command(BaseCommand):
    help = (
        "Record in lineage which version each stage and alias serves, for models promoted before this "
        "was recorded on every promotion. Safe to run again: what is already recorded is left as it is."
    )

    def handle(self, *args, **opts):
        opened = sum(services.serving_sync(model=model) for model in RegisteredModel.objects.order_by("name"))
        self.stdout.write(f"{opened} stage and alias holdings recorded")
