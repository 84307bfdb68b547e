"""The version page's input datasets and its lineage drawing say the same thing: the
datasets the runs that produced this version read."""

import re
import uuid

import pytest
from lineagekit import dataset, post, run_event

from kit import nodes_and_edges, svg_of, upload


@pytest.fixture
def three_versions(as_alice, iris_joblib):
    """iris v1 trained on a, v2 on b, v3 registered with no inputs."""
    for inputs in ('["wh/a"]', '["wh/b"]', None):
        fields = {"inputs": inputs} if inputs else {}
        assert upload(as_alice, "iris", iris_joblib, **fields).status_code == 201


def listed_inputs(response) -> list[str]:
    section = re.search(rb"<h2>Input datasets</h2>\s*<ul>(.*?)</ul>", response.content, re.S).group(1).decode()
    return re.findall(r"<li><a [^>]*>([^<]*)</a></li>", section)


def drawn_datasets(response) -> set[str]:
    links, _ = nodes_and_edges(svg_of(response))
    return {node for node in links if node.startswith("dataset:")}


@pytest.mark.parametrize(("version", "inputs"), [(1, ["default / wh/a"]), (2, ["default / wh/b"]), (3, [])])
def test_each_version_page_lists_and_draws_only_its_own_inputs(three_versions, client, bob, version, inputs):
    client.force_login(bob)

    response = client.get(f"/models/iris/versions/{version}/")

    assert listed_inputs(response) == inputs
    assert drawn_datasets(response) == {"dataset:" + i.replace(" / ", ":") for i in inputs}
    if not inputs:
        assert b"None recorded." in response.content


def test_a_version_named_after_an_openlineage_run_lists_that_runs_inputs(as_alice, client, bob, iris_joblib):
    run_id = str(uuid.uuid4())
    post(as_alice, run_event(job=("airflow", "fit"), run_id=run_id, inputs=[dataset("wh", "features")]))
    assert upload(as_alice, "iris", iris_joblib, run_id=run_id).status_code == 201
    client.force_login(bob)

    response = client.get("/models/iris/versions/1/")

    assert listed_inputs(response) == ["wh / features"]
    assert drawn_datasets(response) == {"dataset:wh:features"}
