"""Events that cannot be read are refused with 400 (the client does not retry 4xx) and a
message naming the field; nothing is stored."""

import copy

import pytest
from lineagekit import post, run_event

from lineage.models import LineageEvent


def without(path: str) -> dict:
    event = run_event()
    *parents, last = path.split(".")
    target = event
    for key in parents:
        target = target[key]
    del target[last]
    return event


def replaced(path: str, value) -> dict:
    event = copy.deepcopy(run_event())
    *parents, last = path.split(".")
    target = event
    for key in parents:
        target = target[key]
    target[last] = value
    return event


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (without("eventTime"), "eventTime"),
        (without("producer"), "producer"),
        (without("schemaURL"), "schemaURL"),
        (without("run.runId"), "run.runId"),
        (without("run"), "run"),
        (without("job.namespace"), "job.namespace"),
        (without("job.name"), "job.name"),
        (without("job"), "job"),
        (replaced("eventTime", "2021-11-03"), "eventTime"),
        (replaced("eventTime", "yesterday at noon"), "eventTime"),
        (replaced("eventType", "FINISHED"), "eventType"),
        (replaced("job.name", ""), "job.name"),
        (replaced("inputs", {"namespace": "a", "name": "b"}), "inputs"),
        (replaced("outputs", [{"namespace": "s3://b"}]), "outputs[0].name"),
        (replaced("inputs", [{"name": "t"}]), "inputs[0].namespace"),
        (replaced("job.facets", ["sql"]), "job.facets"),
        (replaced("job.name", "x" * 2000), "job.name"),
    ],
)
def test_a_bad_event_is_refused_with_400_naming_the_field(as_alice, event, field):
    response = post(as_alice, event)

    assert response.status_code == 400, response.content
    assert field in response.json()["message"]
    assert not LineageEvent.objects.exists()


def test_a_dataset_event_without_its_dataset_is_refused_naming_dataset(as_alice):
    event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
    }

    response = post(as_alice, event)

    assert response.status_code == 400
    assert "dataset" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b"[1, 2]", "JSON object"),
        (b'"RunEvent"', "JSON object"),
    ],
)
def test_a_body_that_is_not_one_json_object_is_refused_with_400(as_alice, body, says):
    response = post(as_alice, body)

    assert response.status_code == 400
    assert says in response.json()["message"]


def test_a_body_that_is_not_gzip_though_it_says_so_is_refused_with_400(as_alice):
    response = post(as_alice, b'{"eventTime": "x"}', HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 400
    assert "gzip" in response.json()["message"]


def test_an_event_holding_a_nul_character_is_refused_with_400(as_alice):
    event = run_event(job=("etl", "bad\u0000name"))

    response = post(as_alice, event)

    assert response.status_code == 400
    assert "NUL" in response.json()["message"]
