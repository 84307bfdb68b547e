from django.core.management import call_command

from registry.models import Alias, ModelVersion, RegisteredModel


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
