from django.core.management.base import BaseCommand, CommandError

from registry.compilation.services import onnx_compile
from registry.models import ModelVersion, OnnxStatus


class Command(BaseCommand):
    help = (
        "Compile versions to ONNX (again): the versions named, those still pending (a process that "
        "stopped mid-compile), or every version. Runs in the foreground, one version at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="a registered model (all its versions unless --version)")
        parser.add_argument("--versions", type=int, nargs="+", metavar="N", help="version numbers")
        parser.add_argument("--pending", action="store_true", help="versions never compiled or left pending")
        parser.add_argument("--all", action="store_true", help="every version of every model")

    def handle(self, *args, **opts):
        versions = self._versions(opts)
        for version in versions:
            record = onnx_compile(version=version)
            if record is None:
                self.stdout.write(f"{version.model.name} version {version.version}: deleted meanwhile")
                continue
            reason = f": {record.reason}" if record.reason else ""
            self.stdout.write(f"{version.model.name} version {version.version}: {record.status}{reason}")
        if not versions:
            self.stdout.write("no versions to compile")

    def _versions(self, opts) -> list[ModelVersion]:
        versions = ModelVersion.objects.select_related("model").order_by("model__name", "version")
        if opts["name"]:
            versions = versions.filter(model__name=opts["name"])
            if opts["versions"]:
                versions = versions.filter(version__in=opts["versions"])
        elif not (opts["all"] or opts["pending"]):
            raise CommandError("name a model, or pass --pending or --all")
        if opts["pending"]:
            versions = versions.filter(onnx__isnull=True) | versions.filter(onnx__status=OnnxStatus.PENDING)
        return list(versions)
