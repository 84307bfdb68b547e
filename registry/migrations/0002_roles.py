"""The roles of DESIGN §5 as groups holding model permissions."""

from django.db import migrations

from registry import roles
from registry_site import access


def create_roles(apps, schema_editor):
    access.grant("registry", roles.ROLES, apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
