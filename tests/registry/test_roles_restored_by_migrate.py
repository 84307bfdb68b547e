from django.contrib.auth.models import Group
from django.core.management import call_command


def test_migrate_gives_back_a_deleted_role_with_its_permissions(db):
    Group.objects.filter(name="uploaders").delete()

    call_command("migrate", verbosity=0)

    granted = set(Group.objects.get(name="uploaders").permissions.values_list("content_type__app_label", "codename"))
    assert ("registry", "add_modelversion") in granted
    assert ("lineage", "add_lineageevent") in granted
    assert ("registry", "promote_modelversion") not in granted
