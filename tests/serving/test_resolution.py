"""Which version answers: latest, a pinned number, a stage, an alias; changes are seen
on the next call, in this process at once and in every other within about a second."""

import pytest
from servingkit import invoke, message

from registry.models import ModelVersion, Stage
from registry_site import caching
from serving import resolution

from kit import upload

ROW = {
    "dataframe_split": {
        "columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
        "data": [[5.1, 3.5, 1.4, 0.2]],
    }
}


@pytest.fixture
def two_versions(as_alice, iris_joblib):
    upload(as_alice, "m", iris_joblib)
    upload(as_alice, "m", iris_joblib)


def answering_version(client, path: str) -> str:
    response = invoke(client, path, ROW)
    assert response.status_code == 200, response.content
    assert response["X-Model-Name"] == "m"
    return response["X-Model-Version"]


def test_the_latest_invocation_answers_with_the_highest_version(as_bob, two_versions):
    assert answering_version(as_bob, "/model/m/invocations") == "2"
    assert answering_version(as_bob, "/model/m/latest/invocations") == "2"


def test_a_pinned_version_number_answers_with_that_version(as_bob, two_versions):
    assert answering_version(as_bob, "/model/m/1/invocations") == "1"
    assert answering_version(as_bob, "/model/m/2/invocations") == "2"


def test_a_stage_answers_with_the_version_promoted_to_it_in_any_case(as_bob, as_carol, two_versions):
    as_carol.post("/api/v1/models/m/versions/1/stage", {"stage": "Production"}, format="json")

    assert answering_version(as_bob, "/model/m/Production/invocations") == "1"
    assert answering_version(as_bob, "/model/m/production/invocations") == "1"


def test_moving_an_alias_changes_the_answer_on_the_next_call(as_bob, as_carol, two_versions):
    as_carol.put("/api/v1/models/m/aliases/champion", {"version": 2}, format="json")
    assert answering_version(as_bob, "/model/m/champion/invocations") == "2"

    as_carol.put("/api/v1/models/m/aliases/champion", {"version": 1}, format="json")

    assert answering_version(as_bob, "/model/m/champion/invocations") == "1"


def test_archiving_the_newest_version_makes_the_previous_one_latest(as_bob, as_carol, two_versions):
    assert answering_version(as_bob, "/model/m/invocations") == "2"

    as_carol.post("/api/v1/models/m/versions/2/stage", {"stage": "Archived"}, format="json")

    assert answering_version(as_bob, "/model/m/invocations") == "1"
    assert answering_version(as_bob, "/model/m/2/invocations") == "2"  # still callable when pinned


def test_a_change_made_by_another_process_is_seen_within_a_second(as_bob, two_versions, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(caching, "now", lambda: clock[0])
    assert answering_version(as_bob, "/model/m/invocations") == "2"

    # Another worker archives v2: no signal reaches this process, only the database changes.
    ModelVersion.objects.filter(version=2).update(stage=Stage.ARCHIVED)
    clock[0] += 0.5
    assert answering_version(as_bob, "/model/m/invocations") == "2"
    clock[0] += resolution.RESOLUTION_TTL_SECONDS

    assert answering_version(as_bob, "/model/m/invocations") == "1"


def test_an_unknown_model_is_404(as_bob, two_versions):
    response = invoke(as_bob, "/model/nope/invocations", ROW)

    assert "nope not found" in message(response, 404)
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_an_unknown_version_is_404(as_bob, two_versions):
    assert "has no version 3" in message(invoke(as_bob, "/model/m/3/invocations", ROW), 404)


def test_an_unknown_alias_is_404_naming_it(as_bob, two_versions):
    assert "'champion'" in message(invoke(as_bob, "/model/m/champion/invocations", ROW), 404)


def test_a_stage_nobody_holds_is_404(as_bob, two_versions):
    assert "no version in stage Staging" in message(invoke(as_bob, "/model/m/Staging/invocations", ROW), 404)


def test_a_model_whose_versions_are_all_archived_has_no_latest(as_bob, as_carol, as_alice, iris_joblib):
    upload(as_alice, "m", iris_joblib)
    as_carol.post("/api/v1/models/m/versions/1/stage", {"stage": "Archived"}, format="json")

    assert "not Archived" in message(invoke(as_bob, "/model/m/invocations", ROW), 404)


def test_a_reference_that_only_looks_like_a_number_is_404(as_bob, two_versions):
    assert message(invoke(as_bob, "/model/m/\u00b2/invocations", ROW), 404)
