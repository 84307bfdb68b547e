"""Lineage permissions for the role groups of DESIGN §5: every role reads lineage,
uploaders also post events. The groups are fetched or created by name, so lineage does
not depend on the registry's migrations."""

from django.db import migrations

from lineage.roles import ROLES
from registry_site import access


def grant(apps, schema_editor):
    access.grant("lineage", ROLES, apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("lineage", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
