"""`manage.py record_serving` records what serves for models promoted before serving
was recorded with every promotion (here: stages and aliases written straight to the table)."""

from django.core.management import call_command
from lineagekit import graph

from registry.models import Alias, Holding, ModelVersion, RegisteredModel

from kit import upload


def test_record_serving_puts_existing_stages_and_aliases_downstream_once(as_alice, as_bob, iris_joblib, capsys):
    upload(as_alice, "iris", iris_joblib)
    ModelVersion.objects.filter(version=1).update(stage="Production")
    Alias.objects.create(model=RegisteredModel.objects.get(), name="champion", version=ModelVersion.objects.get())

    call_command("record_serving")
    call_command("record_serving")

    nodes = graph(as_bob, "model:iris:1", direction="downstream")
    assert {"job:model-registry:serve.iris/Production", "job:model-registry:serve.iris@champion"} <= set(nodes)
    assert Holding.objects.count() == 2
    assert capsys.readouterr().out.splitlines() == [
        "2 stage and alias holdings recorded",
        "0 stage and alias holdings recorded",
    ]
