"""HttpLineage emits OpenLineage events that show in the server's lineage graph."""

import pytest
import requests
from clientkit import LIVE

from lineage import backlog
from registry_client import LineageEvent
from registry_client.http import HttpLineage

pytestmark = pytest.mark.django_db(**LIVE)


def test_an_emitted_event_shows_its_job_and_datasets_in_the_graph(url, trina_token):
    lineage = HttpLineage(url, trina_token, "training")
    event = LineageEvent(
        "prepare.iris",
        inputs=["s3://lake/iris/raw.csv", {"namespace": "postgres://db:5432", "name": "crm.flowers"}],
        outputs=["features:iris"],
        metadata={"rows": 150},
    )

    lineage.emit(event)

    backlog.catch_up()  # the server folds events in the background; this test cannot wait for it
    graph = requests.get(
        f"{url}/api/v1/lineage",
        params={"nodeId": "job:training:prepare.iris"},
        headers={"Authorization": f"Token {trina_token}"},
        timeout=10,
    ).json()["graph"]
    job = {node["id"]: node for node in graph}["job:training:prepare.iris"]
    assert {edge["origin"] for edge in job["inEdges"]} == {
        "dataset:s3://lake:iris/raw.csv",
        "dataset:postgres://db:5432:crm.flowers",
    }
    assert [edge["destination"] for edge in job["outEdges"]] == ["dataset:features:iris"]
