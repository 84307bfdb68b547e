"""Bad input never yields a 500 on any surface (native API, MLflow dialect, lineage,
invocations, pages): too-deep JSON, NUL characters, NaN/Infinity and integers beyond a
64-bit column are refused with a 400 naming what is wrong, and a database that cannot
be reached answers 503. One test per cause walks every surface it reaches; run on
SQLite and PostgreSQL (NUL and big integers failed differently on each)."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from kit import client_for, database_unreachable, upload, user_with_roles

API = "/api/2.0/mlflow"
EVENT = {
    "eventType": "COMPLETE",
    "eventTime": "2024-05-01T12:00:00Z",
    "producer": "https://example.com/producer",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "3f5e83fa-3480-44ff-99c5-ff943904e5e8", "facets": {}},
    "job": {"namespace": "etl", "name": "job", "facets": {}},
    "inputs": [],
    "outputs": [],
}
TOO_BIG = 2**63  # one past the largest signed 64-bit integer


def deep(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


def facet_with(raw_value: str) -> str:
    """The event, its run carrying a custom facet {"x": {"v": <raw_value>}} as written."""
    return json.dumps(EVENT).replace('"facets": {}}, "job"', '"facets": {"x": {"v": ' + raw_value + '}}}, "job"')


@pytest.fixture
def as_trina(db, iris_joblib):
    """Trina uploads and promotes; model m has version 1 and she has an MLflow run."""
    client = client_for(user_with_roles("trina", "uploaders", "promoters"), keyword="Bearer")
    client.raise_request_exception = False  # a 500 is a response to look at, not an error here
    assert upload(client, "m", iris_joblib).status_code == 201
    return client


@pytest.fixture
def run_id(as_trina) -> str:
    return as_trina.post(f"{API}/runs/create", {"experiment_id": "0"}, format="json").json()["run"]["info"]["run_id"]


def send(client, method: str, path: str, body: str | None = None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=body.encode(), content_type="application/json")


def refusal(response, status: int = 400) -> str:
    """The message of a JSON refusal that must have `status`."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()["message"]


# --- JSON nesting ------------------------------------------------------------------------

DEEP_BODIES = [
    ("post", "/api/v1/models"),
    ("put", "/api/v1/models/m/aliases/champion"),
    ("post", f"{API}/registered-models/create"),
    ("post", f"{API}/runs/log-batch"),
    ("post", "/api/v1/lineage"),
    ("post", "/model/m/invocations"),
]


@pytest.mark.parametrize("levels", [65, 5000], ids=["just past the limit", "past every parser's recursion"])
@pytest.mark.parametrize(("method", "path"), DEEP_BODIES)
def test_json_nested_deeper_than_64_levels_is_400_naming_the_limit(as_trina, method, path, levels):
    response = send(as_trina, method, path, deep(levels))

    assert "deeper than 64 levels" in refusal(response)


def test_json_nested_64_levels_deep_is_read(as_trina):
    body = json.dumps({"name": "deep", "description": "", "tags": {}})[:-1] + ', "x": ' + deep(62) + "}"

    assert as_trina.post("/api/v1/models", data=body.encode(), content_type="application/json").status_code == 201


# --- NUL characters ----------------------------------------------------------------------

NUL_REQUESTS = [
    ("get", "/api/v1/models/a%00b", None, "path segment 'a%00b'"),
    ("get", "/api/v1/models?search=a%00b", None, "query parameter 'search'"),
    ("get", "/api/v1/models/m/aliases/x%00", None, "path segment 'x%00'"),
    ("delete", "/api/v1/models/m?comment=a%00", None, "query parameter 'comment'"),
    ("get", "/api/v1/namespaces/a%00/jobs", None, "path segment 'a%00'"),
    ("get", f"{API}/registered-models/get?name=m%00", None, "query parameter 'name'"),
    ("get", f"{API}/registered-models/search?filter=name%3D%27a%00%27", None, "query parameter 'filter'"),
    ("post", f"{API}/registered-models/create", '{"name": "ok", "description": "a\\u0000"}', "description"),
    (
        "post",
        f"{API}/registered-models/create",
        '{"name": "ok", "tags": [{"key": "k", "value": "\\u0000"}]}',
        "tags[0].value",
    ),
    ("post", f"{API}/experiments/create", '{"name": "e\\u0000"}', "name"),
    ("post", "/api/v1/lineage", facet_with('"a\\u0000"'), "run.facets.x.v"),
    ("post", "/model/m%00/invocations", '{"instances": [[1, 2, 3, 4]]}', "path segment 'm%00'"),
    ("post", "/model/m/invocations", '{"inputs": {"a\\u0000": [1]}}', "inputs.a\\u0000"),
]


@pytest.mark.parametrize(("method", "path", "body", "named"), NUL_REQUESTS)
def test_a_nul_character_anywhere_is_400_naming_where(as_trina, method, path, body, named):
    response = send(as_trina, method, path, body)

    message = refusal(response)
    assert named in message
    assert "NUL" in message


@pytest.mark.parametrize("path", ["/api/v1/models", f"{API}/registered-models/get?name=m", "/api/v1/namespaces"])
def test_basic_credentials_holding_a_nul_are_400(db, path):
    credentials = base64.b64encode(b"trina\x00:password").decode()

    response = Client().get(path, HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert "Authorization" in refusal(response)


def test_a_nul_in_a_form_field_of_a_page_is_400_naming_it(as_trina, carol):
    browser = Client()
    browser.force_login(carol)

    form = "comment=a%00&confirm=1"  # as a browser sends the page's form

    response = browser.post(
        "/models/m/aliases/champion/delete/", form, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert "form field 'comment'" in response.content.decode()


def test_a_large_event_sent_as_curl_d_sends_it_is_read_as_json(as_trina):
    # curl -d labels the body a form; parsed as one, a 3 MiB event would meet Django's 2.5 MiB
    # form limit instead of LINEAGE_MAX_EVENT_BYTES (8 MiB).
    event = facet_with(json.dumps("x" * 3 * 1024 * 1024))

    response = as_trina.post("/api/v1/lineage", data=event, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 201, response.content[:300]


def test_a_nul_in_a_json_field_of_an_upload_is_400_naming_it(as_trina, iris_joblib):
    response = upload(as_trina, "m", iris_joblib, tags='{"team": "a\\u0000"}')

    assert "tags: team holds a NUL character" in refusal(response)


# --- NaN and Infinity --------------------------------------------------------------------

NON_FINITE = [
    ("post", "/api/v1/models", '{"name": "n", "tags": {"a": NaN}}', "tags.a is NaN"),
    ("post", f"{API}/registered-models/create", '{"name": "n", "tags": [{"key": "k", "value": NaN}]}', "tags[0].value"),
    ("post", f"{API}/runs/log-metric", '{"run_id": "RUN", "key": "k", "value": Infinity, "timestamp": 1}', "value is"),
    ("post", f"{API}/runs/log-batch", '{"run_id": "RUN", "params": [{"key": "p", "value": -Infinity}]}', "params[0]"),
    ("post", "/api/v1/lineage", facet_with("NaN"), "run.facets.x.v is NaN"),
    ("post", "/api/v1/lineage", facet_with("1e999"), "run.facets.x.v is 1e999"),
    ("post", "/model/m/invocations", '{"instances": [[NaN, 1, 2, 3]]}', "instances[0][0] is NaN"),
]


@pytest.mark.parametrize(("method", "path", "body", "named"), NON_FINITE)
def test_nan_or_infinity_in_a_json_body_is_400_naming_the_field(as_trina, run_id, method, path, body, named):
    response = send(as_trina, method, path, body.replace("RUN", run_id))

    message = refusal(response)
    assert named in message
    assert "NaN and Infinity are not JSON numbers" in message


def test_nan_in_the_params_of_an_upload_is_400_naming_the_field(as_trina, iris_joblib):
    response = upload(as_trina, "m", iris_joblib, params='{"C": NaN}')

    assert "params: C is NaN" in refusal(response)


# --- integers beyond 64 bits -------------------------------------------------------------


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


BIG_INTEGERS = [
    ("get", f"/api/v1/namespaces?offset={TOO_BIG}", None, "offset"),
    ("get", f"/api/v1/jobs?offset={TOO_BIG}", None, "offset"),
    ("get", f"/api/v1/datasets?offset={TOO_BIG}", None, "offset"),
    ("get", f"/api/v1/events/lineage?offset={TOO_BIG}", None, "offset"),
    ("get", f"{API}/registered-models/search?page_token={page_token(TOO_BIG)}", None, "page_token"),
    ("get", f"{API}/model-versions/search?page_token={page_token(TOO_BIG)}", None, "page_token"),
    ("post", f"{API}/experiments/search", json.dumps({"page_token": page_token(TOO_BIG)}), "page_token"),
    ("get", f"{API}/metrics/get-history?run_id=RUN&metric_key=k&page_token={page_token(TOO_BIG)}", None, "page_token"),
    (
        "post",
        f"{API}/runs/log-metric",
        f'{{"run_id": "RUN", "key": "k", "value": 1, "timestamp": {TOO_BIG}}}',
        "timestamp",
    ),
    (
        "post",
        f"{API}/runs/log-metric",
        f'{{"run_id": "RUN", "key": "k", "value": 1, "timestamp": 1, "step": {TOO_BIG}}}',
        "step",
    ),
    (
        "post",
        f"{API}/runs/log-batch",
        f'{{"run_id": "RUN", "metrics": [{{"key": "k", "value": 1, "timestamp": 1, "step": {-TOO_BIG - 1}}}]}}',
        "step",
    ),
    ("post", f"{API}/runs/create", f'{{"experiment_id": "0", "start_time": {TOO_BIG}}}', "start_time"),
    ("post", f"{API}/logged-models/search", f'{{"experiment_ids": ["{TOO_BIG}"]}}', "experiment_ids"),
    ("post", f"{API}/runs/update", f'{{"run_id": "RUN", "end_time": {TOO_BIG}}}', "end_time"),
]


@pytest.mark.parametrize(("method", "path", "body", "named"), BIG_INTEGERS)
def test_an_integer_beyond_64_bits_is_400_naming_the_parameter(as_trina, run_id, method, path, body, named):
    response = send(as_trina, method, path.replace("RUN", run_id), body and body.replace("RUN", run_id))

    assert named in refusal(response)


def test_a_version_number_in_a_search_filter_beyond_any_float_is_400_naming_it(as_trina):
    response = as_trina.get(f"{API}/model-versions/search", {"filter": f"version_number = {'9' * 400}"})

    assert "version_number must be a whole number" in refusal(response)


@pytest.mark.parametrize("bound", ["after=0001-01-01T00:00:00%2B14:00", "before=9999-12-31T23:59:59-14:00"])
def test_a_date_time_beyond_the_calendar_once_in_utc_is_400_naming_it(as_trina, bound):
    response = as_trina.get(f"/api/v1/events/lineage?{bound}")

    assert f"{bound.split('=')[0]}: is out of range" in refusal(response)


def test_a_comparison_of_versions_beyond_64_bits_leaves_them_out(as_trina, bob):
    browser = Client()
    browser.force_login(bob)

    response = browser.get(f"/models/m/compare/?v={TOO_BIG}&v=1")

    assert response.status_code == 200
    assert response.context["selected"] == [1]


# --- the database unreachable ------------------------------------------------------------

OUTAGE_REQUESTS = [
    ("get", "/api/v1/models", None),
    ("post", "/api/v1/models", '{"name": "new"}'),
    ("get", f"{API}/registered-models/get?name=m", None),
    ("post", f"{API}/registered-models/create", '{"name": "new"}'),
    ("get", "/api/v1/namespaces", None),
    ("post", "/api/v1/lineage", json.dumps(EVENT)),
    ("post", "/model/m/invocations", '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'),
]


@pytest.mark.parametrize(("method", "path", "body"), OUTAGE_REQUESTS)
def test_an_unreachable_database_is_503_temporarily_unavailable(as_trina, tmp_path, method, path, body):
    with database_unreachable(tmp_path):
        response = send(as_trina, method, path, body)

    assert response.status_code == 503, response.content[:300]
    assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert response["Retry-After"] == "5"


def test_a_page_answers_a_plain_503_when_the_database_is_unreachable(as_trina, bob, tmp_path):
    browser = Client(raise_request_exception=False)
    browser.force_login(bob)

    with database_unreachable(tmp_path):
        response = browser.get("/models/")

    assert response.status_code == 503
    assert "the database is unavailable" in response.content.decode()
