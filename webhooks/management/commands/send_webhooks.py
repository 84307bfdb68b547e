"""Enqueue again the webhook deliveries whose background task was lost (still pending
past their time); each is then tried by the worker as usual."""

from django.core.management.base import BaseCommand

from webhooks import services


class Command(BaseCommand):
    help = "Enqueue webhook deliveries still pending after their time (their task was lost)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=float, default=300.0, help="seconds an attempt must be overdue (default 300)"
        )

    def handle(self, *args, **opts):
        count = services.deliveries_requeue(older_than=opts["older_than"])
        self.stdout.write(f"enqueued {count} webhook deliveries")
