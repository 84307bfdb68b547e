"""The OpenAPI schema served at /api/schema/ says what the API really answers: each
listing's answer, paginated envelope included, validates against the schema, and the
schema names every key of that envelope."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis.specs.openapi.checks import response_schema_conformance

from kit import token_header, user_with_roles

LISTINGS = [
    ("/api/v1/models", {}),
    ("/api/v1/models/{name}/versions", {}),
    ("/api/v1/models/{name}/audit", {}),
    ("/api/v1/namespaces", {}),
    ("/api/v1/namespaces/{namespace}/jobs", {}),
    ("/api/v1/namespaces/{namespace}/datasets", {}),
    ("/api/v1/jobs", {}),
    ("/api/v1/datasets", {}),
    ("/api/v1/jobs/runs/{run_id}", {}),
    ("/api/v1/events/lineage", {}),
    ("/api/v1/search", {"q": "iris"}),
    ("/api/v1/lineage", {"nodeId": "model:iris:1"}),
]

# Autocommit as in production: a request through the WSGI handler closes its database
# connection at the end, which would break a test-wide transaction.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def served_schema():
    """The schema as a client reads it, from the same WSGI application as every request."""
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def listings(served_schema, iris_with_lineage) -> list:
    """(path, the case asked, the answer) for each listing, as Bob reads them."""
    bob = token_header(user_with_roles("bob", "viewers", token_only=True))
    found = []
    for path, query in LISTINGS:
        names = {key: value for key, value in iris_with_lineage.items() if "{" + key + "}" in path}
        case = served_schema[path]["GET"].Case(path_parameters=names, query=query)
        response = case.call(headers=bob)
        assert response.status_code == 200, (path, response.text)
        found.append((path, case, response))
    return found


def test_each_listing_answers_in_the_shape_the_schema_documents(listings):
    mismatches = {}
    for path, case, response in listings:
        try:
            case.validate_response(response, checks=[response_schema_conformance])
        except AssertionError as failure:
            mismatches[path] = str(failure)[:300]

    assert mismatches == {}


def test_the_schema_names_every_key_of_each_listings_envelope(served_schema, listings):
    components = served_schema.raw_schema["components"]["schemas"]
    undocumented = {}
    for path, case, response in listings:
        documented = case.operation.definition.raw["responses"]["200"]["content"]["application/json"]["schema"]
        component = components[documented["$ref"].rsplit("/", 1)[-1]] if "$ref" in documented else documented
        undocumented[path] = sorted(set(response.json()) - set(component.get("properties", {})))

    assert undocumented == {path: [] for path, _ in LISTINGS}
