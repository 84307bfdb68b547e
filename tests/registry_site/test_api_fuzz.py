"""Fuzzing the native API from the OpenAPI schema it serves at /api/schema/ (schemathesis):
whatever anyone sends, the server answers with something other than a 5xx, and every
answer with a documented status has the documented shape.

Runs when FUZZ=1 (CI sets it on the PostgreSQL + S3 pass only, where NUL bytes and integer
ranges meet a real database). Each operation gets schemathesis's coverage cases (bounds,
missing and wrong-typed parameters, unexpected methods) and FUZZ_EXAMPLES generated ones,
derandomized: CI sends the same requests on every run, and a failure repeats with

    FUZZ=1 SECRET_KEY=x .venv/bin/python -m pytest -n 0 tests/registry_site/test_api_fuzz.py
"""

from __future__ import annotations

import os
import zlib

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kit import token_header, user_with_roles

if not os.environ.get("FUZZ"):
    pytest.skip("fuzzing runs with FUZZ=1 (CI's PostgreSQL pass)", allow_module_level=True)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))

# Autocommit, as in production: a request whose query fails must not abort a test-wide
# transaction and turn every later request into an error of the harness's making. Serialized
# rollback, like the suite's other transactional tests: its flush then does not re-create
# the role groups, which the next serialized test's restore would insert a second time.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

# The path parameters `iris_with_lineage` creates, for the hook below (set before each test).
EXISTING: dict = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the generated paths name the model, version, alias, namespace and run that
    exist, so that the fuzzer also reaches past the 404 of a name nobody created."""
    existing = {key: EXISTING[key] for key in path_parameters or {} if key in EXISTING}
    if not existing:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, **existing}])


@pytest.fixture
def callers(iris_with_lineage, settings) -> dict:
    """Public read on. Mallory holds every role, so her writes get past the permission
    check; a caller without credentials gets past it on every read."""
    settings.REGISTRY_PUBLIC_READ = True
    EXISTING.update(iris_with_lineage)
    mallory = user_with_roles("mallory", "viewers", "uploaders", "promoters", token_only=True)
    return {"all roles": token_header(mallory), "anonymous": {}}


def _who_asks(case) -> str:
    """Half of the requests ask without credentials, picked by a checksum of the request so
    that Hypothesis replaying a failure asks as the same caller."""
    request = repr((case.method, case.path_parameters, case.query, case.headers, case.body))
    return "anonymous" if zlib.crc32(request.encode("utf-8", "backslashreplace")) % 2 else "all roles"


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: a failure's report is its first request, so the time stays bounded.
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_no_request_gets_a_server_error_or_an_answer_the_schema_does_not_describe(case, callers):
    case.call_and_validate(headers=callers[_who_asks(case)], checks=[not_a_server_error, response_schema_conformance])
