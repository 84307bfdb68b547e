"""The MLflow tracking models move to the mlflow_compat app, which takes over their
tables (its 0001). Only the migration state changes here: no row is touched."""

from django.db import migrations

# Those that others point at go last, so no model in the state points at a removed one.
MOVED = ["RunMetric", "RunInput", "Run", "LoggedModel", "VersionSource", "Experiment"]


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_audit_version_create"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
        ),
    ]
