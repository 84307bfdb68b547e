"""The unmodified openlineage-python client, configured the usual way (OPENLINEAGE_URL,
OPENLINEAGE_API_KEY), posts to this server as it would to Marquez."""

import os
from datetime import UTC, datetime, timedelta

import pytest
import requests
from lineagekit import folded, graph
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.uuid import generate_new_uuid
from rest_framework.authtoken.models import Token

from lineage.models import LineageEvent
from lineage.models import Run as StoredRun

POSTGRES = ("postgres://warehouse:5432", "crm.public.customers")
S3 = ("s3://models", "churn/v7")


@pytest.fixture
def client_env(monkeypatch):
    """The client copies OPENLINEAGE_URL into OPENLINEAGE__TRANSPORT__* variables of its
    own; put the environment back as it was afterwards."""
    before = dict(os.environ)
    yield monkeypatch
    for key in set(os.environ) - set(before):
        del os.environ[key]


def emit_start_and_complete(client: OpenLineageClient) -> str:
    run = Run(runId=str(generate_new_uuid()))
    job = Job(namespace="training", name="export.customers")
    start = datetime.now(UTC)
    for state, moment in ((RunState.START, start), (RunState.COMPLETE, start + timedelta(seconds=3))):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=moment.isoformat(),
                run=run,
                job=job,
                inputs=[InputDataset(namespace=POSTGRES[0], name=POSTGRES[1])],
                outputs=[OutputDataset(namespace=S3[0], name=S3[1])],
            )
        )
    return run.runId


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_client_emits_start_and_complete_and_the_graph_links_postgres_to_s3(live_server, alice, client_env):
    client_env.setenv("OPENLINEAGE_URL", live_server.url)
    client_env.setenv("OPENLINEAGE_API_KEY", Token.objects.create(user=alice).key)

    run_id = emit_start_and_complete(OpenLineageClient())

    assert LineageEvent.objects.count() == 2
    folded()
    assert StoredRun.objects.get(uuid=run_id).state == "COMPLETED"
    reader = requests.Session()
    reader.headers["Authorization"] = f"Bearer {Token.objects.get(user=alice).key}"
    response = reader.get(
        f"{live_server.url}/api/v1/lineage", params={"nodeId": f"dataset:{S3[0]}:{S3[1]}"}, timeout=10
    )
    nodes = {n["id"]: n for n in response.json()["graph"]}
    job, pg, s3 = "job:training:export.customers", f"dataset:{POSTGRES[0]}:{POSTGRES[1]}", f"dataset:{S3[0]}:{S3[1]}"
    assert set(nodes) == {job, pg, s3}
    assert nodes[job]["inEdges"] == [{"origin": pg, "destination": job}]
    assert nodes[job]["outEdges"] == [{"origin": job, "destination": s3}]
    assert nodes[s3]["inEdges"] == [{"origin": job, "destination": s3}] and nodes[s3]["outEdges"] == []
    assert nodes[pg]["outEdges"] == [{"origin": pg, "destination": job}] and nodes[pg]["inEdges"] == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_client_without_an_api_key_gets_401_and_nothing_is_stored(live_server, client_env):
    client_env.setenv("OPENLINEAGE_URL", live_server.url)
    client_env.delenv("OPENLINEAGE_API_KEY", raising=False)

    with pytest.raises(requests.HTTPError) as refused:
        emit_start_and_complete(OpenLineageClient())

    assert refused.value.response.status_code == 401
    assert not LineageEvent.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_client_sending_gzip_is_understood(live_server, alice):
    token = Token.objects.create(user=alice).key
    config = {
        "type": "http",
        "url": live_server.url,
        "compression": "gzip",
        "auth": {"type": "api_key", "apiKey": token},
    }

    emit_start_and_complete(OpenLineageClient(config={"transport": config}))

    assert LineageEvent.objects.count() == 2
    nodes = graph(_reader(alice), f"dataset:{POSTGRES[0]}:{POSTGRES[1]}")
    assert "job:training:export.customers" in nodes


def _reader(user):
    from kit import client_for

    return client_for(user, "Bearer")
