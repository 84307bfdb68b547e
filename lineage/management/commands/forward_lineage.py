"""Retry forwarding lineage events to OPENLINEAGE_URL: those that failed, and those still
pending after --older-than seconds. Stops at the first failure so order is kept."""

from django.core.management.base import BaseCommand, CommandError

from lineage import forwarding


class Command(BaseCommand):
    help = "Send lineage events that could not be forwarded to OPENLINEAGE_URL."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=60.0, help="seconds a pending event must have waited")
        parser.add_argument("--limit", type=int, default=None, help="send at most this many events")

    def handle(self, *args, **opts):
        sent, error = forwarding.forward_pending(older_than=opts["older_than"], limit=opts["limit"])
        self.stdout.write(f"forwarded {sent} event(s)")
        if error:
            raise CommandError(f"stopped: {error}")
