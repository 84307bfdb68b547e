"""The MLflow tracking models, moved here from the registry app with their rows.

The tables the registry's 0003 made are taken over as they are (state only), then
renamed to this app's names; their content types, with the permissions and admin
history that point at them, move to this app too. Nothing is copied, so ids and
foreign keys stay as they were.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["experiment", "run", "runmetric", "runinput", "loggedmodel", "versionsource"]


def _move_content_types(source: str, target: str):
    def move(apps, schema_editor):
        content_types = apps.get_model("contenttypes", "ContentType").objects.db_manager(schema_editor.connection.alias)
        for model in MODELS:
            if not content_types.filter(app_label=target, model=model).exists():
                content_types.filter(app_label=source, model=model).update(app_label=target)
        content_types.clear_cache()

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_mlflow_tracking_moves_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Experiment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=500, unique=True)),
                        ("tags", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "registry_experiment",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="LoggedModel",
                    fields=[
                        ("model_id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=500)),
                        ("source_run_id", models.CharField(blank=True, db_index=True, default="", max_length=32)),
                        ("model_type", models.CharField(blank=True, default="", max_length=500)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("LOGGED_MODEL_PENDING", "Pending"),
                                    ("LOGGED_MODEL_READY", "Ready"),
                                    ("LOGGED_MODEL_UPLOAD_FAILED", "Upload Failed"),
                                ],
                                default="LOGGED_MODEL_PENDING",
                                max_length=32,
                            ),
                        ),
                        ("status_message", models.TextField(blank=True, default="")),
                        ("params", models.JSONField(blank=True, default=dict)),
                        ("tags", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "experiment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="logged_models",
                                to="mlflow_compat.experiment",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "registry_loggedmodel",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="Run",
                    fields=[
                        ("run_id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                        ("name", models.CharField(blank=True, default="", max_length=250)),
                        ("user_id", models.CharField(blank=True, default="", max_length=256)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("RUNNING", "Running"),
                                    ("SCHEDULED", "Scheduled"),
                                    ("FINISHED", "Finished"),
                                    ("FAILED", "Failed"),
                                    ("KILLED", "Killed"),
                                ],
                                default="RUNNING",
                                max_length=16,
                            ),
                        ),
                        ("start_time", models.BigIntegerField(blank=True, null=True)),
                        ("end_time", models.BigIntegerField(blank=True, null=True)),
                        ("params", models.JSONField(blank=True, default=dict)),
                        ("tags", models.JSONField(blank=True, default=dict)),
                        ("outputs", models.JSONField(blank=True, default=list)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "experiment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="runs",
                                to="mlflow_compat.experiment",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "registry_run",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="VersionSource",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("source", models.CharField(max_length=1000)),
                        ("location", models.CharField(blank=True, default="", max_length=1000)),
                        ("model_id", models.CharField(blank=True, default="", max_length=64)),
                        ("run_link", models.CharField(blank=True, default="", max_length=1000)),
                        (
                            "version",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="mlflow_source",
                                to="registry.modelversion",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "registry_versionsource",
                    },
                ),
                migrations.CreateModel(
                    name="RunInput",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=500)),
                        ("digest", models.CharField(max_length=64)),
                        ("dataset", models.JSONField(default=dict)),
                        ("tags", models.JSONField(blank=True, default=dict)),
                        (
                            "run",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="dataset_inputs",
                                to="mlflow_compat.run",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "registry_runinput",
                        "ordering": ["id"],
                        "constraints": [
                            models.UniqueConstraint(fields=("run", "name", "digest"), name="unique_run_dataset")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="RunMetric",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=250)),
                        ("value", models.FloatField(null=True)),
                        ("timestamp", models.BigIntegerField()),
                        ("step", models.BigIntegerField(default=0)),
                        ("model_id", models.CharField(blank=True, default="", max_length=64)),
                        ("dataset_name", models.CharField(blank=True, default="", max_length=500)),
                        ("dataset_digest", models.CharField(blank=True, default="", max_length=64)),
                        (
                            "run",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="metric_points",
                                to="mlflow_compat.run",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "registry_runmetric",
                        "ordering": ["run_id", "key", "step", "timestamp", "id"],
                        "indexes": [models.Index(fields=["run", "key"], name="run_metric_key_idx")],
                    },
                ),
            ],
        ),
        *[migrations.AlterModelTable(name=model, table=None) for model in MODELS],
        migrations.RunPython(
            _move_content_types("registry", "mlflow_compat"), _move_content_types("mlflow_compat", "registry")
        ),
    ]
