import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create a superuser if missing, password from DJANGO_SUPERUSER_PASSWORD (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")

    def handle(self, *args, **opts):
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not password:
            raise CommandError("DJANGO_SUPERUSER_PASSWORD must be set")
        users = get_user_model().objects
        if users.filter(username=opts["username"]).exists():
            self.stdout.write(f"{opts['username']} already exists")
            return
        users.create_superuser(opts["username"], opts["email"], password)
        self.stdout.write(f"created superuser {opts['username']}")
