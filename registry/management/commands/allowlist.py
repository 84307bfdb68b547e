"""Regenerate (--write) or compare (--check) client/registry_client/safety/allowed_globals.txt."""

from __future__ import annotations

import difflib

import numpy
import scipy
import sklearn
from django.core.management.base import BaseCommand, CommandError

from registry.formats.allowlist_sweep import render, sweep
from registry_client.safety.policy import ALLOWLIST_PATH


class Command(BaseCommand):
    help = "Generate the pickle allow-list from the estimators scikit-learn ships (review the diff)."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--write", action="store_true", help="rewrite the allow-list file")
        mode.add_argument("--check", action="store_true", help="exit 1 if the file differs from a new sweep")

    def handle(self, *args, write: bool, check: bool, **options):
        versions = f"scikit-learn {sklearn.__version__}, NumPy {numpy.__version__}, SciPy {scipy.__version__}"
        skipped: list[str] = []
        generated = render(sweep(skipped), versions)
        for line in skipped:
            self.stdout.write(f"left out (refused at upload): {line}")
        current = ALLOWLIST_PATH.read_text() if ALLOWLIST_PATH.exists() else ""
        if write:
            ALLOWLIST_PATH.write_text(generated)
            self.stdout.write(f"wrote {ALLOWLIST_PATH} ({generated.count(chr(10)) - 4} names)")
            return
        diff = list(difflib.unified_diff(current.splitlines(), generated.splitlines(), "listed", "swept", lineterm=""))
        if diff:
            raise CommandError("the allow-list differs from a new sweep:\n" + "\n".join(diff))
        self.stdout.write("the allow-list matches a new sweep")
