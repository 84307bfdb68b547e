"""`manage.py record_serving` records what serves for models promoted before serving
was recorded with every promotion (here: stages and aliases written straight to the table)."""

from django.core.management import call_command
from django.utils import timezone
from lineagekit import graph

from registry.models import Alias, AuditEntry, Holding, ModelVersion, RegisteredModel

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


def test_record_serving_rebuilds_what_served_when_from_the_audit_log(as_alice, as_carol, as_bob, iris_joblib):
    for _ in range(2):
        upload(as_alice, "iris", iris_joblib)
    as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 1}, format="json")
    as_carol.post("/api/v1/models/iris/versions/1/stage", {"stage": "Production"}, format="json")
    between = timezone.now()
    as_carol.put("/api/v1/models/iris/aliases/champion", {"version": 2}, format="json")
    Holding.objects.all().delete()  # as before holdings were kept

    call_command("record_serving")

    at_between = as_bob.get("/api/v1/models/iris/history", {"at": between.isoformat()}).json()
    assert (at_between["stages"], at_between["aliases"]) == ({"Production": 1}, {"champion": 1})
    now = as_bob.get("/api/v1/models/iris/history", {"at": timezone.now().isoformat()}).json()
    assert (now["stages"], now["aliases"]) == ({"Production": 1}, {"champion": 2})
    moved = AuditEntry.objects.filter(action="alias_set").order_by("id").last().created_at
    assert Holding.objects.get(target="@champion", version=2).began_at == moved
