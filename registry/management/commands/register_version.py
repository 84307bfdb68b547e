import json

from django.core.management.base import BaseCommand, CommandError

from registry import artifacts, services
from registry_site.errors import RegistryError


class Command(BaseCommand):
    help = "Register a model file (joblib, pickle, skops or an MLflow model zip/tar.gz) as a new version."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("path")
        parser.add_argument("--format", choices=["joblib", "pickle", "skops", "mlflow"])
        parser.add_argument("--description", default="")
        parser.add_argument("--params", type=json.loads, help="JSON object")
        parser.add_argument("--metrics", type=json.loads, help="JSON object")
        parser.add_argument("--inputs", type=json.loads, help="JSON list of dataset URIs")

    def handle(self, *args, **opts):
        try:
            with open(opts["path"], "rb") as source, artifacts.spooled(source) as artifact:
                version = services.model_version_create(
                    actor=None,
                    model_name=opts["name"],
                    artifact=artifact,
                    declared_format=opts["format"],
                    description=opts["description"],
                    params=opts["params"],
                    metrics=opts["metrics"],
                    inputs=opts["inputs"],
                )
        except (RegistryError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"registered {version.model.name} version {version.version} ({version.artifact_sha256})")
