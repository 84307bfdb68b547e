import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from registry.models import Alias, ModelVersion, RegisteredModel

from kit import own_sqlite_processes

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def test_the_demo_command_registers_models_with_versions_a_production_version_and_an_alias(db):
    call_command("seed_demo")

    names = set(RegisteredModel.objects.values_list("name", flat=True))
    assert {"iris-classifier", "breast-cancer-screening", "wine-quality", "diabetes-progression"} <= names
    for model in RegisteredModel.objects.all():
        assert model.versions.count() >= 2
        assert model.versions.filter(stage="Production").count() == 1
    assert Alias.objects.filter(name="champion").count() == len(names)
    version = ModelVersion.objects.filter(model__name="iris-classifier").first()
    assert version.metrics and version.params and version.inputs


def test_running_the_demo_command_twice_adds_nothing(db):
    call_command("seed_demo")
    count = ModelVersion.objects.count()

    call_command("seed_demo")

    assert ModelVersion.objects.count() == count


@own_sqlite_processes
def test_the_demo_versions_are_compiled_to_onnx_by_the_worker(tmp_path):
    """What `python3 dev.py run` does on a fresh clone: migrate, seed with ONNX compilation
    on and in the background (the defaults), and run the worker, each a process of its own."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "ARTIFACTS_URL": f"file://{tmp_path / 'artifacts'}",
        "SERVING_ONNX": "true",
        "ONNX_COMPILE_IN_BACKGROUND": "true",
        "TASKS_BACKEND": "database",
    }
    worker = ["db_worker", "--batch", "--no-startup-delay", "--no-reload"]
    for command in (["migrate", "--verbosity", "0"], ["seed_demo"], worker):
        finished = subprocess.run([sys.executable, str(MANAGE), *command], env=env, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr[-2000:]

    with sqlite3.connect(tmp_path / "registry.sqlite3") as database:
        statuses = [row[0] for row in database.execute("SELECT status FROM registry_onnxcompilation")]
        versions = database.execute("SELECT count(*) FROM registry_modelversion").fetchone()[0]
    assert len(statuses) == versions >= 8
    assert "pending" not in {status.lower() for status in statuses}
